from __future__ import annotations

import datetime as dt
import io

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


def _widget_text(pdf: bytes) -> dict[str, str]:
    """The text each form field's appearance stream shows (what a viewer draws), by field name."""
    import io
    import re

    from pypdf import PdfReader

    shown = {}
    for annot in PdfReader(io.BytesIO(pdf)).pages[0].get("/Annots", []):
        annot = annot.get_object()
        if annot.get("/FT") == "/Tx" and "/AP" in annot:
            data = annot["/AP"]["/N"].get_object().get_data().decode("latin-1")
            shown[str(annot["/T"])] = "".join(re.findall(r"\((.*?)\) Tj", data))
    return shown


def _blank_letter() -> bytes:
    from egov.documents.demo import Letter, render_letter

    return render_letter(
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


def _signed_to_issue(registers, leader, specialist, cv):
    doc = draft(specialist, registers, cv, files=[NamedBytes(_blank_letter(), "du-thao.pdf")])
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    return outgoing.sign(actor=leader, document=doc)


def _main_pdf(doc) -> bytes:
    with doc.attachments.get(role=Attachment.Role.SIGNED).file.file.open("rb") as fh:
        return fh.read()


def test_number_and_date_are_given_at_issue_into_form_fields_and_both_signatures_verify(
    registers, clerk, leader, specialist, cv, certificates, tmp_path
):
    from django.utils import timezone

    from egov.audit.models import AuditEntry
    from egov.signing.tests.helpers import HAS_PDFSIG, pdfsig

    tree = registers
    assert "Số: 01/SNV-TC" not in _text(_blank_letter())
    doc = _signed_to_issue(tree, leader, specialist, cv)
    # signed without a number: the page has the number and date lines with empty fields for them
    assert doc.status == S.SIGNED and doc.number is None and doc.register is None
    signed = _main_pdf(doc)
    text = _text(signed)
    assert "Số:" in text and "/SNV-TC" in text and "Cần Thơ, ngày" in text and "01/SNV-TC" not in text
    assert "ngày      tháng" not in text  # the draft's own blank line left the text layer
    assert signing.text_field_values(signed) == dict.fromkeys(outgoing.NUMBER_AND_DATE_FIELDS, "")
    (personal,) = signing.verify_pdf(signed)
    assert personal.ok and personal.field_name == outgoing.SIGNER_FIELD
    sign_audit = AuditEntry.objects.filter(action="documents.outgoing.sign").latest("seq")
    assert "number" not in sign_audit.after and sign_audit.after["notation"] == "SNV-TC"

    # the clerk numbers, dates and seals at issue, in the register chosen now (here the secret one)
    secret = services.default_register(tree.department, "outgoing", secret=True)
    doc = outgoing.issue(actor=clerk, document=doc, register=secret)
    today = timezone.localdate()
    month = f"{today.month:02d}" if today.month < 3 else str(today.month)
    assert doc.status == S.ISSUED and doc.number_notation == "01/SNV-TC" and doc.register == secret
    assert doc.issued_date == today
    issue_audit = AuditEntry.objects.filter(action="documents.outgoing.issue").latest("seq")
    assert issue_audit.after["number"] == "01/SNV-TC" and issue_audit.after["register"] == secret.pk
    data = _main_pdf(doc)
    assert data.startswith(signed)  # incremental updates only: the signed bytes are untouched
    values = {
        outgoing.NUMBER_FIELD: "01",
        outgoing.DAY_FIELD: f"{today.day:02d}",
        outgoing.MONTH_FIELD: month,
        outgoing.YEAR_FIELD: str(today.year),
    }
    assert signing.text_field_values(data) == values
    assert _widget_text(data) == values  # what a viewer shows in the blanks

    # pyHanko: the personal signature allows the form filling and the seal after it; the seal covers all
    personal, seal = signing.verify_pdf(data)
    assert (personal.field_name, seal.field_name) == (outgoing.SIGNER_FIELD, outgoing.SEAL_FIELD)
    assert personal.ok and personal.intact and personal.trusted and personal.modifications_allowed
    assert personal.modification_level == "FORM_FILLING" and not personal.covers_whole_document
    assert seal.ok and seal.covers_whole_document and seal.modification_level == "NONE"

    # tampering: a later change of page content breaks both; a new number after the seal breaks the seal
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 100 100 Td (99) Tj ET"))
    page_ref, _res = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    page["/Contents"] = generic.ArrayObject([*_as_list(page.raw_get("/Contents")), overlay])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    assert not any(c.ok for c in signing.verify_pdf(out.getvalue()))
    refilled = signing.fill_text_fields(data, {outgoing.NUMBER_FIELD: "99"})
    personal_after, seal_after = signing.verify_pdf(refilled)
    assert personal_after.ok and not seal_after.ok  # the seal locked every field

    if not HAS_PDFSIG:
        pytest.skip("pdfsig/certutil (poppler-utils, libnss3-tools) are not installed")
    from egov.signing import selectors as signing_selectors

    roots = [c.certificate_pem for c in signing_selectors.trust_roots()]
    report = pdfsig(data, roots, tmp_path)
    assert len(report) == 2
    for signature in report:
        assert signature["Signature Validation"] == "Signature is Valid.", report
        assert signature["Certificate Validation"] == "Certificate is Trusted.", report
    assert "Total document signed" in report[1]


def _as_list(contents):
    from pyhanko.pdf_utils import generic

    if isinstance(contents, generic.ArrayObject):
        return list(contents)
    return [contents]


def test_a_failed_issue_gives_no_number_and_keeps_no_file(
    registers, clerk, leader, specialist, cv, certificates, monkeypatch
):
    from egov.documents.models import StoredFile
    from egov.signing import services as signing_services

    doc = _signed_to_issue(registers, leader, specialist, cv)
    files = StoredFile.objects.count()

    def broken(**kwargs):
        raise ValidationError({"pdf": "hỏng"})

    monkeypatch.setattr(signing_services, "stamp_attachment", broken)
    Attachment.objects.create(
        outgoing=doc,
        role=Attachment.Role.ANNEX,
        file=storage.store(NamedBytes(pdf_bytes("Phu luc"), "phu-luc.pdf")),
    )
    files += 1
    with pytest.raises(ValidationError):
        outgoing.issue(actor=clerk, document=doc)
    doc.refresh_from_db()
    assert doc.status == S.SIGNED and doc.number is None and StoredFile.objects.count() == files
    monkeypatch.undo()
    doc = outgoing.issue(actor=clerk, document=doc)
    assert doc.number_notation == "01/SNV-TC"  # the failed attempt used no number


def test_a_document_numbered_at_signature_keeps_its_number(
    registers, clerk, leader, specialist, cv, certificates
):
    """Signed under the older flow (number stamped into the page before the signature): issue seals it
    without numbering again, and refuses another register."""
    from django.utils import timezone

    doc = draft(specialist, registers, cv)
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    doc = outgoing.sign(actor=leader, document=doc)
    # what the older sign() left: a number, register and date, and a signed event without fields
    outgoing._take_number(doc, None, timezone.now())
    doc.save()
    event = doc.events.get(kind="signed")
    event.data.pop("fields")
    event.save()
    with pytest.raises(ValidationError):
        outgoing.issue(
            actor=clerk,
            document=doc,
            register=services.default_register(registers.department, "outgoing", secret=True),
        )
    doc = outgoing.issue(actor=clerk, document=doc)
    assert doc.number_notation == "01/SNV-TC"
    data = _main_pdf(doc)
    assert signing.text_field_values(data)[outgoing.NUMBER_FIELD] == ""  # not filled: numbered before
    assert all(c.ok for c in signing.verify_pdf(data))
    second = _signed_to_issue(registers, leader, specialist, cv)
    assert outgoing.issue(actor=clerk, document=second).number_notation == "02/SNV-TC"


def test_a_draft_without_number_line_gets_it_in_the_top_margin():
    pdf = outgoing.prepare_number_and_date(pdf_bytes("Ke hoach kiem tra"), notation="KH-SNV")
    text = _text(pdf)
    assert "Số:" in text and "/KH-SNV" in text and "Ngày" in text and "Ke hoach kiem tra" in text
    assert signing.text_field_values(pdf) == dict.fromkeys(outgoing.NUMBER_AND_DATE_FIELDS, "")
    filled = signing.fill_text_fields(pdf, outgoing.number_and_date_values("07", dt.date(2026, 2, 3)))
    assert _widget_text(filled) == {
        outgoing.NUMBER_FIELD: "07",
        outgoing.DAY_FIELD: "03",
        outgoing.MONTH_FIELD: "02",
        outgoing.YEAR_FIELD: "2026",
    }
