from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from egov.audit.models import AuditEntry
from egov.signing import crypto, pdf, services
from egov.signing.models import Certificate
from egov.signing.tests.documents import SIGNATURE_BOX, attachment_pdf, decision_pdf
from egov.signing.tests.helpers import external_ca, needs_pdfsig, pdfsig, tamper

TITLE = ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")
HCM = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def signed_decision(personal_cert, agency_cert):
    return services.sign_document_pdf(
        actor=None,
        pdf=decision_pdf(),
        personal_certificate=personal_cert,
        agency_certificate=agency_cert,
        title_lines=TITLE,
        page=0,
        box=SIGNATURE_BOX,
        location="Demo",
    )


def _signed_range_end(data: bytes, index: int) -> int:
    reader = PdfFileReader(io.BytesIO(data))
    byte_range = list(reader.embedded_signatures[index].sig_object["/ByteRange"])
    return int(byte_range[1])  # end of the first signed block


def test_two_signatures_verify_with_pyhanko(signed_decision, personal_cert, agency_cert, ca):
    results = services.verify_pdf(signed_decision)
    assert [r.field_name for r in results] == ["egov-signer-1", "egov-agency-1"]
    signer, agency = results
    for r in results:
        assert r.intact and r.valid and r.trusted and r.ok, r.problems
        assert r.trusted_root.startswith("Common Name: egov Demo Root CA")
        assert r.subfilter == "/ETSI.CAdES.detached" and r.md_algorithm == "sha256"
        assert r.signing_time is not None and not r.revoked
    assert signer.signer_common_name == "Trần Thị Mai" and signer.certificate_id == personal_cert.pk
    assert agency.signer_common_name == "Sở Nội vụ" and agency.certificate_id == agency_cert.pk
    # The signer's signature covers its revision; the agency's incremental update only adds a signature.
    assert signer.coverage == "ENTIRE_REVISION" and not signer.covers_whole_document
    assert signer.modification_level == "FORM_FILLING" and signer.modifications_allowed
    assert agency.covers_whole_document and agency.modification_level == "NONE"
    assert signer.signing_time <= agency.signing_time
    # The chain (signer + root) is embedded in each signature.
    reader = PdfFileReader(io.BytesIO(signed_decision))
    for embedded in reader.embedded_signatures:
        assert len(embedded.signed_data["certificates"]) == 2
    # Audited, with the digests of the files.
    entries = AuditEntry.objects.filter(action="signing.pdf.sign").order_by("seq")
    assert [e.object_id for e in entries] == [str(personal_cert.pk), str(agency_cert.pk)]
    assert len(entries[0].after["sha256_after"]) == 64


def test_visible_layout_follows_decree_30(signed_decision, personal_cert):
    reader = PdfFileReader(io.BytesIO(signed_decision))
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    rects = {}
    for annot in page["/Annots"]:
        annot = annot.get_object()
        if annot.get("/FT") == "/Sig":
            rects[str(annot["/T"])] = [float(v) for v in annot["/Rect"]]
    signer, seal = rects["egov-signer-1"], rects["egov-agency-1"]
    layout = services.document_layout(
        decision_pdf(),
        title_lines=TITLE,
        signer_name="Trần Thị Mai",
        signature_image=bytes(personal_cert.signature_image),
        page=0,
        box=SIGNATURE_BOX,
    )
    ix, iy, iw, ih = layout.signature_image_rect
    # The signature image lies between the title line (above) and the name (below), inside the signer box.
    assert signer[1] + 13 < iy and iy + ih < signer[3] - 2 * 13
    # The seal covers the left third of the signature image, and is centred on it vertically.
    assert seal[2] == pytest.approx(ix + iw / 3, abs=1)
    assert seal[0] < ix
    assert (seal[1] + seal[3]) / 2 == pytest.approx(iy + ih / 2, abs=1)
    assert seal[2] - seal[0] == pytest.approx(36 * pdf.MM, abs=1.5)  # actual size: 36 mm


@needs_pdfsig
def test_pdfsig_trusts_both_signatures(signed_decision, ca, tmp_path):
    report = pdfsig(signed_decision, [ca.certificate_pem], tmp_path)
    assert len(report) == 2
    for signature in report:
        assert signature["Signature Validation"] == "Signature is Valid."
        assert signature["Certificate Validation"] == "Certificate is Trusted."
        assert signature["Signature Type"] == "ETSI.CAdES.detached"
    assert report[0]["Signer Certificate Common Name"] == "Trần Thị Mai"
    assert report[1]["Signer Certificate Common Name"] == "Sở Nội vụ"
    assert "Total document signed" in report[1]
    # Without the CA in the NSS database the signatures are intact but not trusted.
    empty = tmp_path / "untrusted"
    empty.mkdir()
    untrusted = pdfsig(signed_decision, [], empty)
    assert untrusted[0]["Signature Validation"] == "Signature is Valid."
    assert untrusted[0]["Certificate Validation"] != "Certificate is Trusted."


def test_tampering_is_detected_by_pyhanko(signed_decision):
    tampered = tamper(signed_decision, _signed_range_end(signed_decision, 0))
    assert len(tampered) == len(signed_decision) and tampered != signed_decision
    results = services.verify_pdf(tampered)
    assert len(results) == 2
    for r in results:
        assert not r.intact and not r.ok
        assert any("changed after signing" in p for p in r.problems)


@needs_pdfsig
def test_tampering_is_detected_by_pdfsig(signed_decision, ca, tmp_path):
    tampered = tamper(signed_decision, _signed_range_end(signed_decision, 0))
    report = pdfsig(tampered, [ca.certificate_pem], tmp_path)
    assert len(report) == 2
    for signature in report:
        assert signature["Signature Validation"] != "Signature is Valid."
        assert (
            "Mismatch" in signature["Signature Validation"] or "Invalid" in signature["Signature Validation"]
        )


def test_changes_after_signing_are_reported(signed_decision):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_decision))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, overlay)
    out = io.BytesIO()
    writer.write(out)
    results = services.verify_pdf(out.getvalue())
    for r in results:
        assert r.intact and r.valid and r.trusted  # what was signed is unchanged...
        assert not r.covers_whole_document
        assert (
            r.modification_level == "OTHER" and not r.modifications_allowed and not r.ok
        )  # ...but not the page


def test_stamp_attachment(agency_cert, clerk):
    moment = (dt.datetime.now(HCM) - dt.timedelta(minutes=5)).replace(microsecond=0)
    signed = services.stamp_attachment(
        actor=clerk,
        pdf=attachment_pdf(),
        agency_certificate=agency_cert,
        number_notation="15/QĐ-UBND",
        signing_time=moment,
    )
    (result,) = services.verify_pdf(signed)
    assert result.ok and result.field_name == "egov-attachment-1"
    assert result.signing_time == moment  # the time written in the corner is the time in the signature
    assert services.attachment_stamp_lines("15/QĐ-UBND", moment) == (
        "Số: 15/QĐ-UBND",
        f"Thời gian ký: {moment.isoformat()}",
    )
    assert services.attachment_stamp_lines("1/QĐ-UBND", dt.datetime(2026, 1, 5, 2, 15, 30, tzinfo=dt.UTC))[
        1
    ] == ("Thời gian ký: 2026-01-05T09:15:30+07:00")
    reader = PdfFileReader(io.BytesIO(signed))
    annot = next(
        a.get_object()
        for a in reader.root["/Pages"]["/Kids"][0].get_object()["/Annots"]
        if a.get_object().get("/FT")
    )
    _x1, y1, x2, _y2 = (float(v) for v in annot["/Rect"])
    width, height = pdf.page_size(signed, 0)
    assert x2 > width * 0.7 and y1 > height - 25 * pdf.MM  # top right corner, inside the top margin


def test_invisible_signature_and_field_names(agency_cert):
    once = services.sign_pdf(actor=None, pdf=decision_pdf(), certificate=agency_cert, reason="Lưu trữ")
    with pytest.raises(ValidationError, match="already signed"):
        services.sign_pdf(actor=None, pdf=once, certificate=agency_cert, field_name="egov-agency-1")
    twice = services.sign_pdf(actor=None, pdf=once, certificate=agency_cert)
    assert [r.field_name for r in services.verify_pdf(twice)] == ["egov-agency-1", "egov-agency-2"]
    assert all(r.ok for r in services.verify_pdf(twice))


def test_signing_permissions(personal_cert, agency_cert, leader, clerk, specialist, deputy):
    document = decision_pdf()
    with pytest.raises(PermissionDenied):
        services.sign_pdf(actor=leader, pdf=document, certificate=personal_cert)
    with pytest.raises(PermissionDenied):
        services.sign_pdf(actor=specialist, pdf=document, certificate=agency_cert)
    assert not AuditEntry.objects.filter(action="signing.pdf.sign").exists()
    services.sign_pdf(actor=deputy, pdf=document, certificate=personal_cert)
    services.sign_pdf(actor=clerk, pdf=document, certificate=agency_cert)
    # The leader signs, the clerk (văn thư) applies the seal.
    signed = services.sign_document_pdf(
        actor=deputy,
        agency_actor=clerk,
        pdf=document,
        personal_certificate=personal_cert,
        agency_certificate=agency_cert,
        title_lines=TITLE,
    )
    assert [r.ok for r in services.verify_pdf(signed)] == [True, True]
    with pytest.raises(PermissionDenied):
        services.sign_document_pdf(
            actor=deputy,
            pdf=document,
            personal_certificate=personal_cert,
            agency_certificate=agency_cert,
            title_lines=TITLE,
        )


def test_unusable_certificates_do_not_sign(ca, personal_cert, agency_cert):
    document = decision_pdf()
    with pytest.raises(ValidationError):
        services.sign_pdf(actor=None, pdf=document, certificate=ca)
    services.revoke_certificate(actor=None, certificate=agency_cert)
    with pytest.raises(ValidationError, match="hiệu lực"):
        services.sign_pdf(actor=None, pdf=document, certificate=agency_cert)
    with pytest.raises(ValidationError):
        services.sign_pdf(actor=None, pdf=b"not a pdf", certificate=personal_cert)
    with pytest.raises(ValidationError):
        services.sign_pdf(actor=None, pdf=document, certificate=personal_cert, box=(500, 800, 700, 900))


def test_revoked_certificate_is_reported(signed_decision, agency_cert, personal_cert):
    services.revoke_certificate(actor=None, certificate=personal_cert, reason="Lộ khóa")
    signer, agency = services.verify_pdf(signed_decision)
    # Revoked after signing: the signature made before stays good.
    assert signer.ok and not signer.revoked
    Certificate.objects.filter(pk=personal_cert.pk).update(
        revoked_at=signer.signing_time - dt.timedelta(hours=1)
    )
    signer, agency = services.verify_pdf(signed_decision)
    assert signer.revoked and not signer.ok and agency.ok


def test_untrusted_root_until_imported(db, tree):
    vendor = external_ca()
    data = vendor.pkcs12(vendor.issue("Sở Tài chính tỉnh Demo"), "pw")
    row = services.import_pkcs12(actor=None, data=data, password="pw", owner_agency=tree.department)
    signed = services.sign_pdf(actor=None, pdf=decision_pdf(), certificate=row)
    (result,) = services.verify_pdf(signed)
    assert result.intact and result.valid and not result.trusted and not result.ok
    services.import_trusted_root(actor=None, data=crypto.to_pem(vendor.root.certificate).encode())
    (result,) = services.verify_pdf(signed)
    assert result.trusted and result.ok and "như VNPT-CA" in result.trusted_root


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm missing: apt-get install poppler-utils")
def test_signed_page_renders(signed_decision, tmp_path):
    target = tmp_path / "signed.pdf"
    target.write_bytes(signed_decision)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(target), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 10_000


# --- Form fields filled after a signature (number and date given at issue) -------------------------------

FIELDS = (
    pdf.TextField("SoVanBan", 0, (100, 700, 140, 716), align="right"),
    pdf.TextField("NgayBanHanh", 0, (300, 700, 320, 716), font="Times-Italic"),
    pdf.TextField("GhiChu", 0, (100, 650, 300, 666), font="Helvetica", size=10),
)


@pytest.fixture
def signed_with_open_fields(personal_cert):
    prepared = services.add_text_fields(decision_pdf(), FIELDS)
    return services.sign_pdf(
        actor=None,
        pdf=prepared,
        certificate=personal_cert,
        field_name="NguoiKy",
        box=SIGNATURE_BOX,
        open_fields=["SoVanBan", "NgayBanHanh", "CoQuanBanHanh"],
    )


def test_filling_open_fields_keeps_the_signature_valid(signed_with_open_fields, agency_cert):
    assert services.text_field_values(signed_with_open_fields) == {
        "SoVanBan": "",
        "NgayBanHanh": "",
        "GhiChu": "",
    }
    filled = services.fill_text_fields(signed_with_open_fields, {"SoVanBan": "07", "NgayBanHanh": "03"})
    assert filled.startswith(signed_with_open_fields)  # an incremental update
    assert services.text_field_values(filled)["SoVanBan"] == "07"
    (check,) = services.verify_pdf(filled)
    assert check.ok and check.modifications_allowed and check.modification_level == "FORM_FILLING"
    sealed = services.sign_pdf(
        actor=None, pdf=filled, certificate=agency_cert, field_name="CoQuanBanHanh", box=(80, 80, 180, 180)
    )
    assert [c.ok for c in services.verify_pdf(sealed)] == [True, True]
    # the appearance shows the value in the field's font (what a viewer draws)
    reader = PdfFileReader(io.BytesIO(filled))
    widget = next(
        f.get_object() for f in reader.root["/AcroForm"]["/Fields"] if f.get_object()["/T"] == "SoVanBan"
    )
    stream = widget["/AP"]["/N"].get_object()
    assert b"(07) Tj" in stream.data and "/TiRo" in stream["/Resources"]["/Font"]


def test_filling_a_locked_field_or_changing_the_page_breaks_the_signature(signed_with_open_fields):
    locked = services.fill_text_fields(signed_with_open_fields, {"GhiChu": "x"})
    (check,) = services.verify_pdf(locked)
    assert not check.ok and not check.modifications_allowed
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_with_open_fields))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    page_ref, _res = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    contents = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [contents]), overlay]
    )
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    (check,) = services.verify_pdf(out.getvalue())
    assert not check.ok


def test_bad_field_values_are_refused(signed_with_open_fields):
    with pytest.raises(ValidationError):
        services.fill_text_fields(signed_with_open_fields, {"KhongCo": "1"})
    with pytest.raises(ValidationError):
        services.fill_text_fields(signed_with_open_fields, {"SoVanBan": "số"})
    with pytest.raises(ValidationError):
        services.add_text_fields(decision_pdf(), [FIELDS[0], FIELDS[0]])
    with pytest.raises(ValidationError):
        services.add_text_fields(b"not a pdf", FIELDS)
