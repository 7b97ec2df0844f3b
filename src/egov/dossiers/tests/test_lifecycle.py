"""The whole life of a dossier through the services, online and at the desk."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from egov.audit.models import AuditEntry
from egov.dossiers import selectors, services
from egov.dossiers.models import (
    Dossier,
    DossierEvent,
    DossierStep,
    Payment,
    Rating,
    Status,
)
from egov.procedures.models import Channel, Procedure

from .conftest import desk, make_procedure, pdf_io, submit, upload


def test_online_dossier_from_submission_to_rating(world):
    d = submit(world, description="Xin cấp bản sao trích lục")
    assert d.status == Status.NEW
    assert re.fullmatch(r"000\.00\.01\.H99-\d{6}-0001", d.code)
    assert d.owner == world.citizen and d.channel == Channel.ONLINE
    assert d.applicant_name == "Nguyễn Văn An" and d.applicant_identity == "001090000001"
    assert d.papers.count() == 2 and all(p.file_id for p in d.papers.all())
    assert d.fee_amount == 50_000 and d.due_at is None

    d = services.accept(actor=world.officer, dossier=d)
    assert d.status == Status.RECEIVED and d.due_at is not None and d.received_by == world.officer
    steps = list(d.steps.order_by("order"))
    assert [s.name for s in steps] == ["Thẩm định", "Phê duyệt"]
    assert steps[0].due_at < steps[1].due_at == d.due_at  # 3 + 2 days = the procedure's 5
    assert all(s.agency == world.tree.department for s in steps)

    d = services.start_processing(actor=world.officer, dossier=d, handler=world.specialist)
    assert d.status == Status.PROCESSING and d.current_step.order == 1
    assert d.current_step.handler == world.specialist

    d = services.request_payment(actor=world.officer, dossier=d)
    assert d.status == Status.PAYMENT
    payment = services.record_payment(actor=world.citizen, dossier=d, method="sandbox")
    assert payment.state == Payment.State.PAID and payment.receipt_number.endswith(f"/{payment.receipt_year}")
    assert payment.reference.startswith("SBX-")
    d.refresh_from_db()
    assert d.status == Status.PROCESSING

    d = services.complete_step(actor=world.specialist, dossier=d, note="Hồ sơ hợp lệ")
    assert d.status == Status.PROCESSING and d.current_step.order == 2
    with pytest.raises(PermissionDenied):  # step 2 is the leader's
        services.complete_step(actor=world.specialist, dossier=d)
    d = services.attach_result(actor=world.leader, dossier=d, upload=pdf_io(), note="Bản sao trích lục")
    d = services.complete_step(actor=world.leader, dossier=d, note="Đồng ý")
    assert d.status == Status.DONE and d.finished_at is not None and d.is_on_time is True
    assert d.current_step is None
    assert set(d.steps.values_list("state", flat=True)) == {DossierStep.State.DONE}

    d = services.return_result(actor=world.officer, dossier=d, method=Dossier.ReturnMethod.DESK)
    assert d.status == Status.RETURNED and d.returned_at is not None

    # The result and the papers are in the citizen's store.
    store = selectors.citizen_documents(world.citizen)
    assert store.filter(is_result=True, file=d.result_file).exists()
    assert set(store.filter(is_result=False).values_list("paper_code", flat=True)) == {"TO_KHAI", "CCCD"}

    rating = services.rate(actor=world.citizen, dossier=d, score=5, comment="Nhanh")
    assert rating.score == 5
    with pytest.raises(ValidationError):
        services.rate(actor=world.citizen, dossier=d, score=4)
    assert Rating.objects.count() == 1
    services.add_feedback(actor=world.citizen, dossier=d, text="Cán bộ hướng dẫn tận tình")

    kinds = list(selectors.timeline(d).values_list("kind", flat=True))
    assert kinds == [
        "submitted",
        "accepted",
        "processing",
        "payment_requested",
        "paid",
        "step_done",
        "result_attached",
        "done",
        "returned",
        "rated",
        "feedback",
    ]
    statuses = [(e.from_status, e.to_status) for e in selectors.timeline(d)][:5]
    assert statuses == [(None, 1), (1, 2), (2, 4), (4, 6), (6, 4)]
    actions = set(AuditEntry.objects.filter(object_id=str(d.pk)).values_list("action", flat=True))
    assert {"dossiers.dossier.submit", "dossiers.dossier.accept", "dossiers.dossier.return"} <= actions


def test_desk_reception_accepts_at_once_and_links_the_citizen_account(world):
    d = desk(world, applicant=services.Applicant(name="Nguyễn Văn An", identity_number="001090000001"))
    assert d.status == Status.RECEIVED and d.channel == Channel.DIRECT and d.due_at is not None
    assert d.owner == world.citizen  # same CCCD as the account: followed on the portal
    assert d.papers.filter(file__isnull=True).count() == 2  # originals at the desk, no scans
    postal = desk(world, channel=Channel.POSTAL, accept=False)
    assert postal.status == Status.NEW and postal.owner is None and postal.channel == Channel.POSTAL
    assert postal.code.endswith("-0002")
    refused = services.refuse(actor=world.officer, dossier=postal, reason="Sai thẩm quyền")
    assert refused.status == Status.REFUSED and refused.finished_at and refused.is_on_time is True
    assert refused.end_reason == "Sai thẩm quyền"


def test_desk_reception_refuses_the_online_channel_and_non_officers(world):
    with pytest.raises(ValidationError):
        desk(world, channel=Channel.ONLINE)
    with pytest.raises(PermissionDenied):
        desk(world, actor=world.specialist)
    with pytest.raises(PermissionDenied):
        desk(world, actor=world.citizen)


def test_procedure_without_template_gets_one_step_and_finishes(world, tree):
    procedure = make_procedure("1.000002", receiving=tree.department, steps=[], days="0")
    d = desk(world, procedure=procedure)
    step = d.steps.get()
    assert step.agency == tree.department and step.due_at == d.due_at
    services.start_processing(actor=world.officer, dossier=d)
    d = services.complete_step(actor=world.specialist, dossier=d)
    assert d.status == Status.DONE


def test_steps_in_another_agency_are_done_by_its_staff(world, tree):
    from egov.directory.models import Role
    from egov.directory.tests.fixtures import make_staff

    office_specialist = make_staff("cvvanphong", tree.office, Role.SPECIALIST)
    procedure = make_procedure(
        "1.000003",
        receiving=tree.department,
        steps=[("Thẩm định", Role.SPECIALIST, tree.office, "2"), ("Ký", Role.LEADER, None, "1")],
        days="3",
    )
    d = desk(world, procedure=procedure)
    d = services.start_processing(actor=world.officer, dossier=d)
    with pytest.raises(PermissionDenied):
        services.complete_step(actor=world.specialist, dossier=d)  # not a member of the office
    with pytest.raises(ValidationError):  # the handler must hold the step's role there
        services.forward_step(actor=office_specialist, dossier=d, handler=world.specialist)
    d = services.forward_step(actor=office_specialist, dossier=d, handler=office_specialist)
    d = services.complete_step(actor=office_specialist, dossier=d)
    assert d.current_step.agency == tree.department
    # The office specialist sees the dossier (a step there); the foreign staff does not.
    assert selectors.dossiers_visible_to(office_specialist).filter(pk=d.pk).exists()


def test_withdraw_stop_and_supplement_without_clock(world):
    d = submit(world)
    d = services.request_supplement(actor=world.officer, dossier=d, reason="Ảnh mờ", papers=["Bản sao CCCD"])
    assert (
        d.status == Status.SUPPLEMENT and d.paused_at is None and d.supplement_count == 0
    )  # not yet received
    d = services.provide_supplement(
        actor=world.citizen,
        dossier=d,
        papers=[services.PaperInput(required_paper=d.procedure.papers.last(), upload=upload())],
    )
    assert d.status == Status.NEW
    d = services.withdraw(actor=world.citizen, dossier=d, reason="Không còn nhu cầu")
    assert d.status == Status.WITHDRAWN and d.finished_at

    other = desk(world)
    services.start_processing(actor=world.officer, dossier=other)
    stopped = services.stop(actor=world.leader, dossier=other, reason="Đối tượng không đủ điều kiện")
    assert stopped.status == Status.STOPPED
    assert not stopped.steps.filter(state__in=[DossierStep.State.ACTIVE, DossierStep.State.PENDING]).exists()


def test_result_is_downloadable_online_only_for_full_online_procedures(world, tree):
    d = desk(world)
    services.start_processing(actor=world.officer, dossier=d)
    services.complete_step(actor=world.specialist, dossier=d)
    d = services.complete_step(actor=world.leader, dossier=d)
    with pytest.raises(ValidationError):
        services.return_result(actor=world.officer, dossier=d, method=Dossier.ReturnMethod.ONLINE)
    with pytest.raises(ValidationError):
        services.return_result(actor=world.officer, dossier=d, method=Dossier.ReturnMethod.POST)
    d = services.return_result(
        actor=world.officer, dossier=d, method=Dossier.ReturnMethod.POST, tracking_number="EB123456789VN"
    )
    assert d.tracking_number == "EB123456789VN"

    full = make_procedure("1.000004", receiving=tree.department, online_level=Procedure.OnlineLevel.FULL)
    d2 = submit(world, procedure=full)
    services.accept(actor=world.officer, dossier=d2)
    services.start_processing(actor=world.officer, dossier=d2)
    services.complete_step(actor=world.specialist, dossier=d2)
    d2 = services.complete_step(actor=world.leader, dossier=d2)
    assert selectors.result_file_for(world.citizen, d2) is None
    with pytest.raises(ValidationError):  # no e-result yet
        services.return_result(actor=world.officer, dossier=d2, method=Dossier.ReturnMethod.ONLINE)
    d2 = services.attach_result(actor=world.officer, dossier=d2, upload=pdf_io())
    assert selectors.result_file_for(world.citizen, d2) == d2.result_file
    assert selectors.result_file_for(world.other_citizen, d2) is None
    d2 = services.return_result(actor=world.officer, dossier=d2, method=Dossier.ReturnMethod.ONLINE)
    assert d2.status == Status.RETURNED


def test_signed_result_uses_the_agency_certificate(world, tree):
    from egov.signing import services as signing

    d = desk(world)
    services.start_processing(actor=world.officer, dossier=d)
    with pytest.raises(ValidationError):  # no certificate yet
        services.attach_result(actor=world.officer, dossier=d, upload=pdf_io(), sign=True)
    signing.issue_agency_certificate(actor=None, agency=tree.department)
    d = services.attach_result(actor=world.officer, dossier=d, upload=pdf_io(), sign=True)
    assert d.result_signed
    with d.result_file.file.open("rb") as fh:
        checks = signing.verify_pdf(fh.read())
    assert len(checks) == 1


def test_desk_payment_receipts_are_sequential_per_agency_and_year(world):
    numbers = []
    for _ in range(3):
        d = desk(world)
        services.request_payment(actor=world.officer, dossier=d)
        with pytest.raises(PermissionDenied):  # the desk method is the officer's
            services.record_payment(actor=world.citizen, dossier=d, method="desk")
        p = services.record_payment(actor=world.officer, dossier=d, method="desk", reference="")
        numbers.append(p.receipt_seq)
        assert d.events.filter(kind="paid").exists()
    assert numbers == [1, 2, 3]
    d = desk(world)
    services.request_payment(actor=world.officer, dossier=d, amount=20_000)
    with pytest.raises(ValidationError):
        services.record_payment(actor=None, dossier=d, method="sandbox", fail=True)
    with pytest.raises(ValidationError):
        services.record_payment(actor=None, dossier=d, method="momo-khong-co")
    first = services.record_payment(actor=None, dossier=d, method="sandbox", reference="GW-1")
    again = services.record_payment(
        actor=None, dossier=d, method="sandbox", reference="GW-1"
    )  # callback retried
    assert first.pk == again.pk and Payment.objects.filter(state=Payment.State.PAID).count() == 4


def test_national_sync_payload_and_public_status(world):
    d = submit(world)
    d = services.accept(actor=world.officer, dossier=d)
    payload = selectors.national_sync_payload(d)
    assert payload["MaHoSo"] == d.code and payload["MaTTHC"] == "1.000001"
    assert payload["TrangThai"] == 2 and payload["KenhThucHien"] == 2
    assert payload["MaDonViTiepNhan"] == "000.00.01.H99"
    assert len(payload["ThanhPhanHoSo"]) == 2
    assert payload["ThanhPhanHoSo"][0]["GiayToDinhKem"][0]["HashTepTin"]
    progress = payload["TienTrinh"]
    assert [p["TrangThai"] for p in progress] == [1, 2]
    assert progress[1]["NguoiXuLy"] == world.officer.get_full_name()
    assert progress[1]["PhongBanXuLy"] == world.tree.department.name
    assert progress[1]["NgayKetThucTheoQuyDinh"]

    public = selectors.public_status(d.code)
    assert public is not None and public.status == 2 and public.agency_name == world.tree.department.name
    text = repr(public)
    assert "Nguyễn Văn An" not in text and "001090000001" not in text and "0912345678" not in text
    assert selectors.public_status("khong-co") is None


def test_events_carry_actor_agency_and_dates(world):
    d = desk(world)
    e = DossierEvent.objects.filter(dossier=d, kind="accepted").get()
    assert e.actor == world.officer and e.agency == world.tree.department
    assert e.from_status == 1 and e.to_status == 2 and e.due_at == d.due_at and e.started_at
