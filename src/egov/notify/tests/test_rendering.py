from __future__ import annotations

import datetime as dt
import decimal
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from egov.notify import events, services
from egov.notify.defaults import DEFAULTS
from egov.notify.models import Channel, Template
from egov.notify.rendering import MissingPlaceholders, format_amount, format_value, render, template_fields
from egov.notify.sms.encoding import decode, encode, udh
from egov.notify.tests.conftest import context

TYPICAL = context(
    reason="thiếu bản sao sổ đỏ",
    papers="Giấy chứng nhận QSDĐ",
    amount=1_200_000,
    new_due_date=dt.date(2025, 9, 4),
    regime_name="Báo cáo tình hình giải quyết thủ tục hành chính",
    period_label="Tháng 11/2026",
    deadline=dt.date(2026, 11, 17),
    status="Chưa gửi",
    kind="Quá hạn gửi báo cáo",
)


def test_gsm7_and_ucs2_segment_counts() -> None:
    assert encode("a" * 160).segments == 1 and encode("a" * 160).encoding == "gsm7"
    assert encode("a" * 161).segments == 2  # 153 + 8
    assert encode("a" * 306).segments == 2 and encode("a" * 307).segments == 3
    assert encode("ồ" * 70).segments == 1 and encode("ồ" * 70).encoding == "ucs2"
    assert encode("ồ" * 71).segments == 2  # 67 + 4
    assert encode("ồ" * 134).segments == 2 and encode("ồ" * 135).segments == 3
    assert encode("€" * 80).segments == 1  # escape sequences count two septets: 160
    assert encode("€" * 81).segments == 2
    assert encode("é" * 10).encoding == "gsm7"  # é is in the GSM alphabet, ế is not
    assert encode("ế").encoding == "ucs2" and encode("ế").data_coding == 0x08


def test_nfd_vietnamese_is_normalised_before_counting() -> None:
    text = "Hồ sơ đã có kết quả " * 3
    decomposed = unicodedata.normalize("NFD", text)
    assert len(decomposed) > len(text)
    assert encode(decomposed).segments == encode(text).segments
    assert encode(decomposed).text == text


def test_parts_round_trip_and_never_split_an_escape() -> None:
    text = "{" * 80 + "a"
    sms = encode(text)
    assert [len(p) for p in sms.parts] == [152, 9]  # 76 escaped braces (not 76.5), then 4 + "a"
    assert "".join(decode(p, sms.data_coding) for p in sms.parts) == text
    assert udh(7, 2, 1) == bytes([5, 0, 3, 7, 2, 1])


def test_values_are_formatted_the_vietnamese_way() -> None:
    assert format_value("due_date", dt.date(2025, 8, 28)) == "28/08/2025"
    assert format_amount(1_200_000) == "1.200.000 đồng"
    assert format_value("amount", decimal.Decimal("1200000.00")) == "1.200.000 đồng"
    assert format_value("papers", ["Đơn", "Bản vẽ"]) == "Đơn, Bản vẽ"


def test_template_placeholders_are_names_only() -> None:
    assert template_fields("Hồ sơ {dossier_code} hẹn {due_date}") == ["dossier_code", "due_date"]
    for bad in ("{x.__class__}", "{x[0]}", "{x!r}", "{x:>10}", "{"):
        with pytest.raises(ValidationError):
            template_fields(bad)


@pytest.mark.parametrize("event", sorted(events.EVENTS))
def test_default_templates_render_and_sms_fit_two_parts(event: str) -> None:
    sms, subject, body = DEFAULTS[event]
    allowed = set(events.EVENTS[event])
    for text in (sms, subject, body):
        assert set(template_fields(text)) <= allowed
    values = {k: format_value(k, v) for k, v in TYPICAL.items()}
    rendered = render(sms, values)
    encoded = encode(rendered)
    assert encoded.encoding == "ucs2" and encoded.segments <= 2, rendered
    assert "{" not in render(body, values) and "dossier_code" not in render(subject, values)


def test_templates_seeded_for_every_event_and_channel(templates: None) -> None:
    for event in events.EVENTS:
        for channel in Channel:
            assert Template.objects.filter(event=event, channel=channel, language="vi").exists()


def test_unknown_event_and_missing_placeholder_fail_at_queue_time(templates: None) -> None:
    with pytest.raises(ValueError, match="unknown notification event"):
        services.notify(event="dossier.nope", context=context(), phone="0912345678")
    with pytest.raises(MissingPlaceholders, match="reason"):
        services.notify(event="dossier.refused", context=context(), phone="0912345678")


def test_template_edit_is_validated_and_audited(templates: None, system_admin, clerk) -> None:
    from egov.audit.models import AuditEntry

    tpl = Template.objects.get(event="dossier.refused", channel="sms")
    with pytest.raises(ValidationError):
        services.update_template(actor=system_admin, template=tpl, subject="", body="Hồ sơ {ma_ho_so}")
    with pytest.raises(ValidationError):
        services.update_template(actor=system_admin, template=tpl, subject="", body="Hồ sơ {amount}")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.update_template(actor=clerk, template=tpl, subject="", body="Hồ sơ {dossier_code}")
    services.update_template(actor=system_admin, template=tpl, subject="", body="HS {dossier_code}: {reason}")
    tpl.refresh_from_db()
    assert tpl.body == "HS {dossier_code}: {reason}"
    entry = AuditEntry.objects.filter(action="notify.template.update").get()
    assert entry.after["body"] == tpl.body and "Lý do" in entry.before["body"]
