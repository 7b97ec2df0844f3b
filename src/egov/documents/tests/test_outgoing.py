from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import outgoing, services, storage
from egov.documents.models import Attachment, IncomingDocument, OutgoingDocument
from egov.documents.services import AssignmentSpec
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.signing import services as signing

S = OutgoingDocument.Status


@pytest.fixture
def certificates(registers, leader):
    from egov.signing import services as signing

    signing.ensure_builtin_ca(actor=None)
    return {
        "leader": signing.issue_personal_certificate(actor=None, user=leader, agency=registers.department),
        "agency": signing.issue_agency_certificate(actor=None, agency=registers.department),
    }


@pytest.fixture
def office_staff(registers):
    services.ensure_default_registers(actor=None, agency=registers.office)
    return {
        "clerk": make_staff("vanthu_vp", registers.office, Role.CLERK),
        "leader": make_staff("chanhvanphong", registers.office, Role.LEADER),
        "specialist": make_staff("chuyenvien_vp", registers.office, Role.SPECIALIST),
    }


def draft(actor, tree, doc_type, **kw):
    defaults = {
        "actor": actor,
        "agency": tree.department,
        "document_type": doc_type,
        "subject": "Về việc cử cán bộ tham gia tập huấn chuyển đổi số",
        "drafting_unit": tree.unit,
        "files": [NamedBytes(pdf_bytes(), "du-thao.pdf")],
    }
    defaults.update(kw)
    return outgoing.create_draft(**defaults)


def test_full_outgoing_flow_numbers_and_delivers(
    registers,
    office_staff,
    clerk,
    leader,
    specialist,
    cv,
    qd,
    certificates,
    django_capture_on_commit_callbacks,
):
    tree = registers
    unit_head = make_staff("truongphong", tree.unit, Role.LEADER, title="Trưởng phòng")
    doc = draft(
        specialist,
        tree,
        cv,
        recipients=[tree.office, tree.other_province],
        signing_authority="KT. Giám đốc",
        files=[NamedBytes(pdf_bytes(), "du-thao.pdf")],
    )
    Attachment.objects.create(
        outgoing=doc,
        role=Attachment.Role.ANNEX,
        file=storage.store(NamedBytes(pdf_bytes("Phu luc danh sach"), "phu-luc.pdf")),
    )
    assert doc.recipients.count() == 2
    outgoing.submit(actor=specialist, document=doc)
    with pytest.raises(ValidationError):
        outgoing.review(actor=unit_head, document=doc, approve=False)  # a return needs a reason
    outgoing.review(actor=unit_head, document=doc, approve=True, note="Đồng ý trình")
    with pytest.raises(PermissionDenied):
        outgoing.approve(actor=specialist, document=doc)
    doc = outgoing.approve(actor=leader, document=doc)
    assert doc.status == S.APPROVED and doc.signer == leader
    with pytest.raises(ValidationError):
        outgoing.issue(actor=clerk, document=doc)  # not signed yet
    with pytest.raises(PermissionDenied):
        outgoing.sign(actor=clerk, document=doc)  # only the designated signer
    doc = outgoing.sign(actor=leader, document=doc)
    assert doc.status == S.SIGNED
    with pytest.raises(PermissionDenied):
        outgoing.issue(actor=specialist, document=doc)
    with django_capture_on_commit_callbacks(execute=True):
        doc = outgoing.issue(actor=clerk, document=doc)
    assert doc.status == S.ISSUED
    assert doc.number_notation == "01/SNV-TC"  # công văn: agency short name + drafting unit
    final = doc.attachments.get(role=Attachment.Role.SIGNED)
    with final.file.file.open("rb") as fh:
        checks = signing.verify_pdf(fh.read())
    assert len(checks) == 2 and all(c.ok for c in checks)  # the leader's signature, then the agency's seal
    annex = doc.attachments.get(role=Attachment.Role.ANNEX)
    with annex.file.file.open("rb") as fh:
        annex_checks = signing.verify_pdf(fh.read())
    assert len(annex_checks) == 1 and annex_checks[0].ok
    delivered = IncomingDocument.objects.get(agency=tree.office)
    assert (
        delivered.status == IncomingDocument.Status.RECEIVED and delivered.issuing_agency == tree.department
    )
    assert delivered.code_number == "01" and delivered.code_notation == "SNV-TC"
    assert delivered.attachments.count() == 2  # the signed document and the stamped annex
    assert delivered.attachments.get(role=Attachment.Role.MAIN).file == final.file
    # the recipient's progress shows on the sender's side
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_received(actor=office_staff["clerk"], document=delivered)
        services.assign(
            actor=office_staff["leader"],
            document=delivered,
            direction="Cử chuyên viên",
            lead=AssignmentSpec("lead", user=office_staff["specialist"]),
        )
    rcpt = doc.recipients.get(agency=tree.office)
    assert rcpt.status_code == "04" and rcpt.incoming == delivered

    second = draft(specialist, tree, qd, drafting_unit=None)
    for step in (outgoing.submit,):
        step(actor=specialist, document=second)
    outgoing.review(actor=leader, document=second, approve=True)
    outgoing.approve(actor=leader, document=second)
    outgoing.sign(actor=leader, document=second)
    second = outgoing.issue(actor=clerk, document=second)
    assert second.number_notation == "02/QĐ-SNV"  # same register and year: next number


def test_bad_drafts_refused(registers, specialist, foreign_staff, cv):
    with pytest.raises(ValidationError) as err:
        draft(specialist, registers, cv, drafting_unit=None, subject="")
    assert {"subject", "drafting_unit"} <= set(err.value.message_dict)
    with pytest.raises(PermissionDenied):
        draft(foreign_staff, registers, cv)
    doc = draft(specialist, registers, cv, files=[])
    with pytest.raises(ValidationError):
        outgoing.submit(actor=specialist, document=doc)  # nothing to review yet
    assert OutgoingDocument.objects.get(pk=doc.pk).status == S.DRAFT


def test_revocation_inside_the_instance(
    registers, office_staff, clerk, leader, specialist, qd, certificates, django_capture_on_commit_callbacks
):
    tree = registers
    doc = draft(specialist, tree, qd, drafting_unit=None, recipients=[tree.office])
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    outgoing.sign(actor=leader, document=doc)
    doc = outgoing.issue(actor=clerk, document=doc)
    copy = IncomingDocument.objects.get(agency=tree.office)
    with pytest.raises(ValidationError):
        outgoing.revoke(actor=leader, document=doc, reason=" ")
    with pytest.raises(PermissionDenied):
        outgoing.revoke(actor=specialist, document=doc, reason="Sai sót")
    doc = outgoing.revoke(actor=leader, document=doc, reason="Ban hành sai thẩm quyền")
    assert doc.status == S.REVOKED
    copy.refresh_from_db()
    assert copy.revocation_requested_at and copy.revocation_reason == "Ban hành sai thẩm quyền"
    with pytest.raises(ValidationError):
        services.refuse_revocation(actor=office_staff["clerk"], document=copy, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse_revocation(
            actor=office_staff["clerk"], document=copy, reason="Đã triển khai thực hiện"
        )
    rcpt = doc.recipients.get()
    assert rcpt.status_code == "16"
    outgoing_again = IncomingDocument.objects.get(pk=copy.pk)
    assert (
        outgoing_again.revocation_requested_at is None
        and outgoing_again.status == IncomingDocument.Status.RECEIVED
    )
    services.request_revocation(actor=leader, document=copy, reason="Thu hồi lần 2")
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_revocation(actor=office_staff["clerk"], document=copy)
    copy.refresh_from_db()
    rcpt.refresh_from_db()
    assert copy.status == IncomingDocument.Status.REVOKED and rcpt.status_code == "15"
    assert [e.kind for e in copy.events.all()][-1] == "revoked"


def _text(pdf: bytes) -> str:
    import io
    import unicodedata

    from pypdf import PdfReader

    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def test_number_and_date_are_in_the_signed_body_and_both_signatures_verify(
    registers, clerk, leader, specialist, cv, certificates, tmp_path
):
    import shutil
    import subprocess

    from django.utils import timezone

    from egov.documents.demo import Letter, render_letter

    tree = registers
    blank = render_letter(
        Letter(
            body_above="ỦY BAN NHÂN DÂN TỈNH DEMO",
            issuer="SỞ NỘI VỤ",
            number_notation=f"{' ' * 8}/SNV-TC",  # the draft leaves the number blank
            place="Cần Thơ",
            date=None,
            type_name="Công văn",
            subject="Về việc cử cán bộ tham gia tập huấn chuyển đổi số",
            body=["Sở Nội vụ đề nghị các cơ quan cử cán bộ tham gia tập huấn./."],
            recipients=["- Các cơ quan, đơn vị;"],
            cong_van=True,
        )
    )
    assert "Số: 01/SNV-TC" not in _text(blank)
    doc = draft(specialist, tree, cv, files=[NamedBytes(blank, "du-thao.pdf")])
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    doc = outgoing.sign(actor=leader, document=doc)
    # numbered when signed: the number is in the page the leader's signature covers
    assert doc.number == 1 and doc.number_notation == "01/SNV-TC" and doc.register is not None
    today = timezone.localdate()
    month = f"{today.month:02d}" if today.month < 3 else str(today.month)
    date_text = f"Cần Thơ, ngày {today.day:02d} tháng {month} năm {today.year}"
    signed = doc.attachments.get(role=Attachment.Role.SIGNED)
    with signed.file.file.open("rb") as fh:
        text = _text(fh.read())
    assert "Số: 01/SNV-TC" in text and date_text in text and "ngày      tháng" not in text
    with pytest.raises(ValidationError):  # the number was given in the default register at signature
        outgoing.issue(
            actor=clerk,
            document=doc,
            register=services.default_register(tree.department, "outgoing", secret=True),
        )
    doc = outgoing.issue(actor=clerk, document=doc)
    assert doc.status == S.ISSUED and doc.number_notation == "01/SNV-TC" and doc.issued_date == today
    final = doc.attachments.get(role=Attachment.Role.SIGNED)
    with final.file.file.open("rb") as fh:
        data = fh.read()
    assert "Số: 01/SNV-TC" in _text(data) and date_text in _text(data)
    checks = signing.verify_pdf(data)
    assert len(checks) == 2 and all(c.ok for c in checks)  # the leader's signature, then the agency's seal
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    path = tmp_path / "final.pdf"
    path.write_bytes(data)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert report.count("Signature is Valid") == 2, report


def test_a_draft_without_number_line_gets_it_in_the_top_margin():
    pdf = outgoing.stamp_number_and_date(
        pdf_bytes("Ke hoach kiem tra"),
        number_notation="07/KH-SNV",
        issued=dt.date(2026, 2, 3),
    )
    text = _text(pdf)
    assert "Số: 07/KH-SNV" in text and "Ngày 03 tháng 02 năm 2026" in text and "Ke hoach kiem tra" in text
