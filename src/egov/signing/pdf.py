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


# --- Text form fields (filled after a signature) --------------------------------------------------------

# The standard Type 1 fonts a text field may use (digits only: every viewer has them, nothing to embed).
FIELD_FONTS = {"Times-Roman": "/TiRo", "Times-Italic": "/TiIt", "Helvetica": "/Helv"}


@dataclass(frozen=True)
class TextField:
    """An AcroForm text field with one widget: ``rect`` = (x1, y1, x2, y2) in points on ``page``; the value
    is written in ``font`` at ``size``, its baseline 0.3 x ``size`` above the bottom of the box, aligned
    ``align`` ("left", "center" or "right")."""

    name: str
    page: int
    rect: Box
    font: str = "Times-Roman"
    size: float = 13.0
    align: str = "center"
    max_len: int = 0


_ALIGN = {"left": 0, "center": 1, "right": 2}
_FF_DO_NOT_SPELL_CHECK = 1 << 22
_FF_DO_NOT_SCROLL = 1 << 23


def _font_dict(font: str) -> Any:
    from pyhanko.pdf_utils import generic

    return generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/" + font),
            generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
        }
    )


def _appearance_stream(writer: Any, field: TextField, value: str) -> Any:
    """A form XObject showing ``value`` in the field's box (``/Tx BMC … EMC``, as viewers draw fields)."""
    from pyhanko.pdf_utils import generic
    from reportlab.pdfbase.pdfmetrics import stringWidth

    x1, y1, x2, y2 = field.rect
    width, height = x2 - x1, y2 - y1
    size = field.size
    while value and stringWidth(value, field.font, size) > width - 1 and size > 5:
        size -= 0.5
    text_w = stringWidth(value, field.font, size)
    x = {"left": 1.0, "right": width - 1 - text_w}.get(field.align, (width - text_w) / 2)
    escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    tag = FIELD_FONTS[field.font]
    body = f"/Tx BMC q BT {tag} {size:g} Tf 0 g {x:.2f} {0.3 * field.size:.2f} Td ({escaped}) Tj ET Q EMC"
    stream = generic.StreamObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
            generic.pdf_name("/BBox"): generic.ArrayObject(
                [
                    generic.FloatObject(0),
                    generic.FloatObject(0),
                    generic.FloatObject(width),
                    generic.FloatObject(height),
                ]
            ),
            generic.pdf_name("/Resources"): generic.DictionaryObject(
                {
                    generic.pdf_name("/Font"): generic.DictionaryObject(
                        {generic.pdf_name(tag): writer.add_object(_font_dict(field.font))}
                    )
                }
            ),
        },
        stream_data=(body if value else "/Tx BMC EMC").encode("latin-1"),
    )
    return writer.add_object(stream)


def add_text_fields(pdf: bytes, fields: Sequence[TextField]) -> bytes:
    """Add empty text fields to an unsigned PDF (in an incremental update), for values that are only known
    after someone signs — then :func:`fill_text_fields` writes them without breaking that signature."""
    from pyhanko.pdf_utils import generic

    name = generic.pdf_name
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise PdfSigningError(f"not a readable PDF file: {exc}") from exc
    root = writer.root
    if "/AcroForm" in root:
        form = root["/AcroForm"]
        raw_form = root.raw_get("/AcroForm")
        if isinstance(raw_form, generic.IndirectObject):
            writer.mark_update(raw_form)
        else:
            writer.update_root()
    else:
        form = generic.DictionaryObject({name("/Fields"): generic.ArrayObject()})
        root[name("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    raw_fields = form.raw_get("/Fields") if "/Fields" in form else None
    if raw_fields is None:
        form[name("/Fields")] = generic.ArrayObject()
    elif isinstance(raw_fields, generic.IndirectObject):
        writer.mark_update(raw_fields)
    form_fields = form["/Fields"]
    existing = {str(f.get_object().get("/T", "")) for f in form_fields}
    resources = form.get("/DR", generic.DictionaryObject())
    fonts = resources.get("/Font", generic.DictionaryObject())
    for font, tag in FIELD_FONTS.items():
        if name(tag) not in fonts:
            fonts[name(tag)] = writer.add_object(_font_dict(font))
    resources[name("/Font")] = fonts
    form[name("/DR")] = resources
    form[name("/DA")] = generic.TextStringObject("/Helv 0 Tf 0 g")
    pages = int(writer.root["/Pages"]["/Count"])
    for spec in fields:
        if spec.name in existing:
            raise PdfSigningError(f"the form field {spec.name!r} already exists")
        page = spec.page if spec.page >= 0 else pages + spec.page
        try:
            page_ref, _res = writer.find_page_for_modification(page)
        except Exception as exc:
            raise PdfSigningError(f"page {spec.page} not found") from exc
        page_obj = page_ref.get_object()
        widget = generic.DictionaryObject(
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/Widget"),
                name("/FT"): name("/Tx"),
                name("/T"): generic.TextStringObject(spec.name),
                name("/Rect"): generic.ArrayObject([generic.FloatObject(round(v, 2)) for v in spec.rect]),
                name("/F"): generic.NumberObject(4),  # printed
                name("/P"): page_ref,
                name("/Ff"): generic.NumberObject(_FF_DO_NOT_SPELL_CHECK | _FF_DO_NOT_SCROLL),
                name("/DA"): generic.TextStringObject(f"{FIELD_FONTS[spec.font]} {spec.size:g} Tf 0 g"),
                name("/Q"): generic.NumberObject(_ALIGN.get(spec.align, 1)),
                name("/V"): generic.TextStringObject(""),
            }
        )
        if spec.max_len:
            widget[name("/MaxLen")] = generic.NumberObject(spec.max_len)
        # No appearance yet: an empty field shows nothing. (An unchanged appearance stream of a locked field
        # would be counted by pyHanko's difference analysis as an update of that spec.)
        ref = writer.add_object(widget)
        form_fields.append(ref)
        raw_annots = page_obj.raw_get("/Annots") if "/Annots" in page_obj else None
        if raw_annots is None:
            page_obj[name("/Annots")] = generic.ArrayObject([ref])
            writer.update_container(page_obj)
        else:
            raw_annots.get_object().append(ref)
            if isinstance(raw_annots, generic.IndirectObject):
                writer.mark_update(raw_annots)
            else:
                writer.update_container(page_obj)
        existing.add(spec.name)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_field_refs(reader: Any) -> dict[str, Any]:
    try:
        form_fields = reader.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    found = {}
    for ref in form_fields:
        obj = ref.get_object()
        if obj.get("/FT") == "/Tx" and "/T" in obj:
            found[str(obj["/T"])] = ref
    return found


def text_field_values(pdf: bytes) -> dict[str, str]:
    """The value (``/V``) of each text field of the document, by name."""
    reader = _reader(pdf)
    return {name: str(ref.get_object().get("/V", "")) for name, ref in _text_field_refs(reader).items()}


def fill_text_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Fill text fields in an incremental update: the value (``/V``) and an appearance stream (``/AP /N``)
    drawn in the field's own font, size and alignment, for each field of ``values``. Nothing else of the
    file changes, so a signature made earlier stays valid when its lock leaves these fields open (pyHanko
    judges the update "form filling"). Every name must be a text field of the document."""
    from pyhanko.pdf_utils import generic

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise PdfSigningError(f"not a readable PDF file: {exc}") from exc
    refs = _text_field_refs(writer)
    missing = sorted(set(values) - set(refs))
    if missing:
        raise PdfSigningError(f"the document has no text field {', '.join(missing)}")
    for field_name, value in values.items():
        if not value.isprintable() or any(ord(ch) > 0x7E for ch in value):
            raise PdfSigningError(f"the value of {field_name!r} must be printable ASCII text")
        widget = refs[field_name].get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        da = str(widget.get("/DA", "/TiRo 13 Tf 0 g")).split()
        tag = da[0] if da else "/TiRo"
        font = {v: k for k, v in FIELD_FONTS.items()}.get(tag, "Times-Roman")
        size = float(da[1]) if len(da) > 1 and da[1].replace(".", "", 1).isdigit() else 13.0
        align = {v: k for k, v in _ALIGN.items()}.get(int(widget.get("/Q", 1)), "center")
        box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        spec = TextField(field_name, 0, box, font=font, size=size or 13.0, align=align)
        widget[generic.pdf_name("/V")] = generic.TextStringObject(value)
        widget[generic.pdf_name("/AP")] = generic.DictionaryObject(
            {generic.pdf_name("/N"): _appearance_stream(writer, spec, value)}
        )
        writer.update_container(widget)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
    # Lock every form field but these once signed (FieldMDP /Exclude): None = no lock dictionary.
    open_fields: Sequence[str] | None = None


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
    lock = None
    if request.open_fields is not None:
        lock = fields.FieldMDPSpec(fields.FieldMDPAction.EXCLUDE, fields=list(request.open_fields))
    spec = fields.SigFieldSpec(sig_field_name=request.field_name, on_page=page, box=box, field_mdp_spec=lock)
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
