"""The report flow: draft → submitted (validated, signed) → accepted / returned → new version; bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.notify.models import Message
from egov.reporting import selectors, services
from egov.reporting.models import ExpectedReport, Reminder, Submission, Value
from egov.reporting.tests.conftest import good_values, previous_period
from egov.signing import services as signing_services


def _state(report: ExpectedReport) -> tuple:
    report.refresh_from_db()
    return (
        AuditEntry.objects.count(),
        report.status,
        Submission.objects.filter(expected=report).count(),
        Value.objects.count(),
    )


def test_send_accept_and_values_stored(report, clerk, province_leader) -> None:
    draft = services.save_draft(actor=clerk, report=report, values={"received": "12"})
    assert draft.version == 1 and draft.state == "draft"
    report.refresh_from_db()
    assert report.status == "draft"
    sent = services.submit(actor=clerk, report=report, values=good_values())
    assert sent.pk == draft.pk and sent.state == "submitted" and sent.submitted_by == clerk
    assert sent.values["satisfaction"] == 8.5 and sent.values["by_field"] == {"tu_phap": 3, "dat_dai": 7}
    report.refresh_from_db()
    assert report.status == "submitted" and report.on_time is True and report.current_id == sent.pk
    # 7 numbers, 2 table rows, the text, and the computed indicator prefilled from the platform facts
    assert Value.objects.filter(submission=sent).count() == 10
    assert sent.values["incoming_docs"] == 0
    services.accept(actor=province_leader, report=report)
    report.refresh_from_db()
    assert report.status == "accepted" and report.accepted_at is not None
    actions = list(
        AuditEntry.objects.filter(action__startswith="reporting.report").values_list("action", flat=True)
    )
    assert actions == ["reporting.report.draft", "reporting.report.submit", "reporting.report.accept"]


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({**good_values(), "received": None}, "received", "bắt buộc"),
        ({**good_values(), "resolved": -1}, "resolved", "phải từ 0"),
        ({**good_values(), "satisfaction": 11}, "satisfaction", "0 đến 10"),
        ({**good_values(), "received": "mười"}, "received", "không phải là số"),
        ({**good_values(), "received": 10.5}, "received", "số nguyên"),
        ({**good_values(), "direct": 1}, "received", "Tổng các chỉ tiêu thành phần"),
        ({**good_values(), "by_field": {"xay_dung": 1}}, "by_field", "xay_dung"),
        ({**good_values(), "bogus": 1}, "values", "bogus"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(report, clerk, values, field, text) -> None:
    before = _state(report)
    with pytest.raises(ValidationError) as exc:
        services.submit(actor=clerk, report=report, values=values)
    assert any(text in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert _state(report) == before


def test_computed_indicator_is_filled_from_the_facts_and_table_rows_are_optional_unless_required(
    report, clerk
) -> None:
    values = good_values()
    values.pop("by_field")
    values.pop("incoming_docs", None)
    sent = services.submit(actor=clerk, report=report, values=values)
    assert sent.values["incoming_docs"] == 0  # left empty: the platform's figure (no document yet)
    assert "by_field" not in sent.values


def test_foreign_agency_cannot_draft_or_send(report, foreign_staff, specialist, clerk) -> None:
    before = _state(report)
    with pytest.raises(PermissionDenied):
        services.save_draft(actor=foreign_staff, report=report, values=good_values())
    with pytest.raises(PermissionDenied):
        services.submit(actor=foreign_staff, report=report, values=good_values())
    # A specialist of the department's internal unit is not staff of the department itself.
    with pytest.raises(PermissionDenied):
        services.submit(actor=specialist, report=report, values=good_values())
    assert _state(report) == before


def test_sender_cannot_accept_own_report(report, clerk, leader) -> None:
    services.submit(actor=clerk, report=report, values=good_values())
    with pytest.raises(PermissionDenied):
        services.accept(actor=leader, report=report)  # leader of the department, not of the province


def test_closed_period_refuses_everything(report, clerk, province_leader) -> None:
    services.close_period(actor=province_leader, period=report.period)
    before = _state(report)
    with pytest.raises(ValidationError, match="khóa số liệu"):
        services.submit(actor=clerk, report=report, values=good_values())
    with pytest.raises(ValidationError, match="khóa số liệu"):
        services.save_draft(actor=clerk, report=report, values=good_values())
    assert _state(report) == before


def test_return_and_resubmit_keeps_versions(report, clerk, province_leader) -> None:
    first = services.submit(actor=clerk, report=report, values=good_values())
    with pytest.raises(ValidationError):
        services.return_report(actor=province_leader, report=report, reason="  ")
    with pytest.raises(ValidationError, match="đang chờ"):
        services.save_draft(actor=clerk, report=report, values=good_values())
    services.return_report(actor=province_leader, report=report, reason="Số đúng hạn chưa khớp sổ theo dõi")
    report.refresh_from_db()
    assert report.status == "returned"
    second = services.submit(actor=clerk, report=report, values=good_values(on_time=7))
    assert second.version == 2 and second.pk != first.pk
    first.refresh_from_db()
    assert first.state == "returned" and first.values["on_time"] == 6
    assert first.return_reason == "Số đúng hạn chưa khớp sổ theo dõi"
    report.refresh_from_db()
    assert report.current_id == second.pk and report.status == "submitted"
    assert [s.version for s in selectors.history(report)] == [2, 1]


def test_late_submission_and_timeliness(report, clerk) -> None:
    late = timezone.make_aware(dt.datetime.combine(report.period.deadline + dt.timedelta(days=3), dt.time(9)))
    with pytest.raises(PermissionDenied):
        services.submit(actor=clerk, report=report, values=good_values(), now=late)
    services.submit(actor=None, report=report, values=good_values(), now=late)
    report.refresh_from_db()
    assert report.on_time is False


def test_large_change_is_a_warning_not_an_error(regime, period, tree, clerk, province_leader) -> None:
    previous = previous_period(period)
    earlier = ExpectedReport.objects.get(period=previous, agency=tree.department)
    services.submit(actor=clerk, report=earlier, values=good_values(received=10, online=6))
    services.accept(actor=province_leader, report=earlier)
    report = ExpectedReport.objects.get(period=period, agency=tree.department)
    sent = services.submit(actor=clerk, report=report, values=good_values(received=40, online=30))
    assert sent.state == "submitted"
    flagged = {w["indicator"] for w in sent.warnings}
    assert {"received", "online"} <= flagged and "resolved" not in flagged
    assert "300" in next(w["message"] for w in sent.warnings if w["indicator"] == "received")


def test_signed_with_agency_certificate_and_verified(report, clerk) -> None:
    signing_services.issue_agency_certificate(actor=None, agency=report.agency)
    sent = services.submit(actor=clerk, report=report, values=good_values())
    assert sent.signature.count(".") == 2 and sent.signature_certificate is not None
    check = selectors.verify(sent)
    assert check["signed"] and check["valid"], check
    # A value changed behind the application's back no longer matches the signature.
    Submission.objects.filter(pk=sent.pk).update(values={**sent.values, "received": 11})
    sent.refresh_from_db()
    check = selectors.verify(sent)
    assert not check["valid"] and any("does not match" in p for p in check["problems"])


def test_unsigned_when_no_certificate_unless_required(report, clerk, settings) -> None:
    sent = services.submit(actor=clerk, report=report, values=good_values())
    assert sent.signature == "" and selectors.verify(sent)["signed"] is False
    other = ExpectedReport.objects.get(period=report.period, agency__kind="commune")
    settings.EGOV_REPORTING_REQUIRE_SIGNATURE = True
    with pytest.raises(ValidationError, match="chứng thư số"):
        services.submit(actor=None, report=other, values=good_values())


def test_reminders_are_idempotent(report, clerk) -> None:
    overdue_day = report.period.deadline + dt.timedelta(days=1)
    first = services.send_reminders(today=overdue_day)
    assert {r.expected_id for r in first} == set(
        ExpectedReport.objects.filter(period__deadline__lt=overdue_day).values_list("pk", flat=True)
    )
    assert services.send_reminders(today=overdue_day) == []
    assert services.send_reminders(today=overdue_day + dt.timedelta(days=2)) == []  # weekly
    mine = Reminder.objects.get(expected=report, kind="overdue")
    assert "vanthu@example.gov.vn" in mine.recipients
    # the clerk is told by e-mail (and SMS when the account has a phone), once
    mails = Message.objects.filter(
        event="reporting.reminder",
        channel="email",
        recipient="vanthu@example.gov.vn",
        object_id=str(report.pk),
    )
    assert mails.count() == 1 and mine.messages_queued >= 1
    assert report.regime.name in mails.get().body and report.period.label in mails.get().subject
    services.submit(actor=clerk, report=report, values=good_values())
    later = services.send_reminders(today=overdue_day + dt.timedelta(days=8))
    assert report.pk not in {r.expected_id for r in later}
