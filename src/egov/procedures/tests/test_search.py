from __future__ import annotations

from decimal import Decimal

from egov.procedures import selectors, services
from egov.procedures.models import Channel, Procedure
from egov.procedures.tests.conftest import Part, make_procedure


def test_accent_insensitive_search(birth, tree):
    make_procedure(tree, code="1.004222", name="Đăng ký thường trú")
    for text in ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh dang ky", "1.001193", "Khai  Sinh"):
        assert list(selectors.procedure_search(text)) == [birth], text
    assert selectors.procedure_search("dang ky").count() == 2
    assert not selectors.procedure_search("ket hon").exists()


def test_filters(birth, tree):
    field = services.ensure_field(actor=None, name="Cư trú", code="CT")
    residence = make_procedure(
        tree,
        code="1.004222",
        name="Đăng ký thường trú",
        field=field,
        levels=["province", "commune"],
        online_level=Procedure.OnlineLevel.FULL,
        methods=[{"channel": Channel.DIRECT, "processing_days": 7}],
        agencies=[(tree.department, Part.RECEIVING)],
    )
    assert list(selectors.procedure_search(field="CT")) == [residence]
    assert list(selectors.procedure_search(field=field.pk)) == [residence]
    assert list(selectors.procedure_search(level="province")) == [residence]
    assert selectors.procedure_search(level="commune").count() == 2
    assert list(selectors.procedure_search(agency=tree.department)) == [residence]
    assert list(selectors.procedure_search(online_level="full")) == [residence]
    assert list(selectors.procedure_search(channel=Channel.ONLINE)) == [birth]
    assert list(selectors.procedures_received_by(tree.commune)) == [birth]
    assert selectors.processing_days(residence, Channel.DIRECT) == Decimal(7)
    assert selectors.processing_days(residence, Channel.ONLINE) is None
    counts = {f.code: f.procedure_count for f in selectors.fields_with_counts()}
    assert counts == {"HT": 1, "CT": 1}
    services.deactivate_procedure(actor=None, procedure=residence)
    assert not selectors.procedure_search("thuong tru").exists()
    assert selectors.procedure_search("thuong tru", include_inactive=True).exists()
    detail = selectors.procedure_detail("1.001193")
    assert detail is not None and [s.order for s in detail.steps.all()] == [1, 2]
    assert selectors.procedure_detail("9.999999") is None
