"""PAdES signing and validation of PDF files with pyHanko, and the visible signature appearances.

Nothing here touches the database: :mod:`egov.signing.services` loads keys and trust roots and calls these
functions. Signatures are PAdES baseline B-B (``ETSI.CAdES.detached``, SHA-256, the certificate chain
embedded), each one an incremental update, so earlier signatures stay valid. No timestamp authority and no
revocation data are used (the platform works offline).

A visible appearance is drawn by reportlab as a one-page PDF exactly the size of the signature box (Unicode
font, PNG images with transparency) and placed by pyHanko as the widget's appearance stream.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from egov.signing import fonts, images
from egov.signing.crypto import PrivateKey

MM = 72 / 25.4
A4 = (595.2756, 841.8898)
Box = tuple[float, float, float, float]


class PdfSigningError(ValueError):
    """The PDF cannot be signed (unreadable file, field already signed, box off the page...)."""


# --- Appearance -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Appearance:
    """What a visible signature shows, top to bottom: text lines, an image, text lines.

    For the signer (Nghị định 30, Phụ lục I): ``top_lines`` = the title line (e.g. "KT. GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC"), ``image`` = the blue signature, ``bottom_lines`` = the full name. For the agency:
    ``image`` = the red seal only. For an attachment: two plain text lines, no image."""

    top_lines: Sequence[str] = ()
    image: bytes | None = None
    bottom_lines: Sequence[str] = ()
    font_size: float = 13.0
    bold: bool = True
    align: str = "center"  # "center", "left" or "right"
    image_gap: float = 4.0

    def line_height(self) -> float:
        return self.font_size * 1.25


def image_rect(appearance: Appearance, width: float, height: float) -> Box | None:
    """Where the image lands inside a ``width`` x ``height`` box: (x, y, w, h), or ``None`` without image.

    The image is fitted (aspect kept) between the top and the bottom lines, centred horizontally."""
    if not appearance.image:
        return None
    lh = appearance.line_height()
    top = height - len(appearance.top_lines) * lh - (appearance.image_gap if appearance.top_lines else 0)
    bottom = len(appearance.bottom_lines) * lh + (appearance.image_gap if appearance.bottom_lines else 0)
    avail_w, avail_h = width, max(top - bottom, 1.0)
    px_w, px_h = images.png_size(appearance.image)
    scale = min(avail_w / px_w, avail_h / px_h)
    w, h = px_w * scale, px_h * scale
    return ((width - w) / 2, bottom + (avail_h - h) / 2, w, h)


def render_appearance(appearance: Appearance, width: float, height: float) -> bytes:
    """A one-page PDF of exactly ``width`` x ``height`` points showing ``appearance``."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = ""
    if appearance.top_lines or appearance.bottom_lines:  # an image alone needs no font
        regular, bold, _italic = fonts.reportlab_fonts()
        font = bold if appearance.bold else regular
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(width, height), pageCompression=1)
    c.setTitle("signature appearance")
    lh = appearance.line_height()

    def line(text: str, baseline: float) -> None:
        size = appearance.font_size
        while stringWidth(text, font, size) > width and size > 5:  # shrink a line that does not fit
            size -= 0.5
        c.setFont(font, size)
        c.setFillColorRGB(0, 0, 0)
        if appearance.align == "left":
            c.drawString(0, baseline, text)
        elif appearance.align == "right":
            c.drawRightString(width, baseline, text)
        else:
            c.drawCentredString(width / 2, baseline, text)

    descent = appearance.font_size * 0.25
    for i, text in enumerate(appearance.top_lines):
        line(text, height - (i + 1) * lh + descent)
    n = len(appearance.bottom_lines)
    for i, text in enumerate(appearance.bottom_lines):
        line(text, (n - 1 - i) * lh + descent)
    rect = image_rect(appearance, width, height)
    if rect and appearance.image:
        x, y, w, h = rect
        c.drawImage(ImageReader(io.BytesIO(appearance.image)), x, y, w, h, mask="auto")
    c.showPage()
    c.save()
    return out.getvalue()


class _PdfBytesPage(content.PdfContent):
    """Like pyHanko's ``ImportedPdfPage``, from bytes in memory instead of a file name."""

    def __init__(self, data: bytes, page_ix: int = 0) -> None:
        self.data = data
        self.page_ix = page_ix
        super().__init__()

    def render(self) -> bytes:
        import binascii
        import uuid

        writer = self._ensure_writer
        reader = PdfFileReader(io.BytesIO(self.data))
        xobj = writer.import_page_as_xobject(reader, page_ix=self.page_ix)
        name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name + b" Do"


def _stamp_style(appearance_pdf: bytes) -> StaticStampStyle:
    return StaticStampStyle(
        background=_PdfBytesPage(appearance_pdf),
        background_opacity=1.0,
        border_width=0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0),
        ),
    )


# --- Reading the document -------------------------------------------------------------------------------


def _reader(pdf: bytes) -> PdfFileReader:
    try:
        return PdfFileReader(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise PdfSigningError(f"not a readable PDF file: {exc}") from exc


def page_count(pdf: bytes) -> int:
    reader = _reader(pdf)
    return int(reader.root["/Pages"]["/Count"])


def page_size(pdf: bytes, page: int = 0) -> tuple[float, float]:
    """(width, height) in points of a page (its MediaBox, possibly inherited); A4 when absent."""
    reader = _reader(pdf)
    try:
        page_ref, _res = reader.find_page_for_modification(page)
    except Exception as exc:
        raise PdfSigningError(f"page {page} not found") from exc
    node: Any = page_ref.get_object()
    while node is not None:
        if "/MediaBox" in node:
            x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
            return abs(x2 - x1), abs(y2 - y1)
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return A4


def signature_field_names(pdf: bytes) -> list[str]:
    reader = _reader(pdf)
    try:
        return [s.field_name for s in reader.embedded_signatures]
    except Exception as exc:
        raise PdfSigningError(f"cannot read the signatures of the PDF: {exc}") from exc


# --- Signing --------------------------------------------------------------------------------------------


class _Signer(signers.PdfSigner):
    """A ``PdfSigner`` whose claimed signing time (``/M``) is fixed in advance, so that a visible text
    (the attachment stamp) can show exactly the time recorded in the signature."""

    def __init__(self, *args: Any, signing_time: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


@dataclass(frozen=True)
class SignRequest:
    key: PrivateKey
    certificate: x509.Certificate
    chain: Sequence[x509.Certificate] = ()
    field_name: str = "Signature1"
    reason: str = ""
    location: str = ""
    contact_info: str = ""
    page: int = 0
    box: Box | None = None  # (x1, y1, x2, y2) in points; None: invisible signature
    appearance: Appearance | None = None
    signing_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def sign(pdf: bytes, request: SignRequest) -> bytes:
    """Sign ``pdf`` (PAdES B-B) in a new incremental update; returns the signed file."""
    if request.field_name in signature_field_names(pdf):
        raise PdfSigningError(f"the field {request.field_name!r} is already signed")
    pages = page_count(pdf)
    page = request.page if request.page >= 0 else pages + request.page
    if not 0 <= page < pages:
        raise PdfSigningError(f"page {request.page} out of range (the document has {pages} pages)")
    style = None
    box: tuple[int, int, int, int] | None = None
    if request.box is not None:
        x1, y1, x2, y2 = request.box
        width, height = page_size(pdf, page)
        if not (0 <= x1 < x2 <= width + 0.5 and 0 <= y1 < y2 <= height + 0.5):
            raise PdfSigningError(f"signature box {request.box} is not inside the page ({width}x{height})")
        # pyHanko takes whole points; round outwards and draw the appearance at that size.
        box = (int(x1), int(y1), int(-(-x2 // 1)), int(-(-y2 // 1)))
        appearance = request.appearance or Appearance()
        style = _stamp_style(render_appearance(appearance, box[2] - box[0], box[3] - box[1]))
    chain = [_asn1_cert(c) for c in request.chain]
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(request.certificate),
        signing_key=_asn1_key(request.key),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=request.field_name,
        reason=request.reason or None,
        location=request.location or None,
        contact_info=request.contact_info or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    spec = fields.SigFieldSpec(sig_field_name=request.field_name, on_page=page, box=box)
    pdf_signer = _Signer(
        meta, signer, stamp_style=style, new_field_spec=spec, signing_time=request.signing_time
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = pdf_signer.sign_pdf(writer)
    except PdfSigningError:
        raise
    except Exception as exc:  # pyHanko raises SigningError, PdfError, PdfReadError, ValueError...
        raise PdfSigningError(f"cannot sign the PDF: {exc}") from exc
    return bytes(out.getvalue())


# --- Validation -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko found about one signature of a PDF."""

    field_name: str
    signer_subject: str
    signer_common_name: str
    signer_fingerprint: str
    signer_serial: str
    issuer_subject: str
    signing_time: dt.datetime | None
    intact: bool  # the digest of the signed byte ranges matches
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the certificate chains to one of the trust roots
    trusted_root: str  # subject of that root, "" when untrusted
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION, CONTIGUOUS_BLOCK_FROM_START, UNCLEAR
    covers_whole_document: bool
    modification_level: str  # NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    modifications_allowed: bool  # later incremental updates are of a permitted kind
    ok: bool  # pyHanko's bottom line
    problems: tuple[str, ...] = ()
    md_algorithm: str = ""
    subfilter: str = ""
    certificate_id: int | None = None  # the matching row of this installation, if any
    revoked: bool = False  # revoked in this installation before the signing time


def _subject(name: Any) -> str:
    try:
        return str(name.human_friendly)
    except Exception:
        return ""


def _name_attr(name: Any, key: str) -> str:
    try:
        return str(name.native.get(key, ""))
    except Exception:
        return ""


def verify(pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> list[SignatureCheck]:
    """Validate every signature of ``pdf`` against ``trust_roots`` (offline: no OCSP, CRL or AIA fetching)."""
    reader = _reader(pdf)
    roots = [_asn1_cert(c) for c in trust_roots]
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    results = []
    for embedded in reader.embedded_regular_signatures:
        cert = embedded.signer_cert
        base: dict[str, Any] = {
            "field_name": embedded.field_name,
            "signer_subject": _subject(cert.subject),
            "signer_common_name": _name_attr(cert.subject, "common_name"),
            "signer_fingerprint": cert.sha256.hex(),
            "signer_serial": format(cert.serial_number, "x"),
            "issuer_subject": _subject(cert.issuer),
            "subfilter": str(embedded.sig_object.get("/SubFilter", "")),
        }
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", other_certs=[]
        )
        try:
            status = validate_pdf_signature(embedded, context, key_usage_settings=usage)
        except Exception as exc:
            results.append(
                SignatureCheck(
                    **base,
                    signing_time=None,
                    intact=False,
                    valid=False,
                    trusted=False,
                    trusted_root="",
                    coverage="UNCLEAR",
                    covers_whole_document=False,
                    modification_level="OTHER",
                    modifications_allowed=False,
                    ok=False,
                    problems=(f"validation failed: {exc}",),
                )
            )
            continue
        path = status.validation_path
        root = ""
        if status.trusted and path is not None:
            try:
                root = _subject(path.trust_anchor.authority.name)
            except Exception:
                root = ""
        coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
        level = status.modification_level.name if status.modification_level is not None else "OTHER"
        problems = []
        if not status.intact:
            problems.append("the document was changed after signing (digest mismatch)")
        if not status.valid:
            problems.append("the cryptographic signature is not valid")
        if not status.trusted:
            problems.append(
                "the certificate does not chain to a trusted root"
                + (
                    f" ({getattr(status.trust_problem_indic, 'name', status.trust_problem_indic)})"
                    if status.trust_problem_indic
                    else ""
                )
            )
        if status.docmdp_ok is False:
            problems.append(f"modifications after signing are not permitted ({level})")
        results.append(
            SignatureCheck(
                **base,
                signing_time=status.signer_reported_dt,
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                trusted_root=root,
                coverage=coverage,
                covers_whole_document=coverage == "ENTIRE_FILE",
                modification_level=level,
                modifications_allowed=status.docmdp_ok is not False,
                ok=bool(status.bottom_line),
                problems=tuple(problems),
                md_algorithm=str(status.md_algorithm),
            )
        )
    return results
