"""Outgoing documents (văn bản đi): draft → unit review → agency approval → signature → numbering and
registration → issue.

Nghị định 30 (Điều 15, 16, 18; Phụ lục I boxes 3 and 4) puts the number and date after the competent
person's signature: the clerk (văn thư) gives the number and the date, registers the document, and then the
agency signs (the digital seal). But the number and date are part of the document's body, on the first
page, and a signature covers the bytes it signs: writing ``Số: 12/UBND-VX`` into the page content after the
signature would break it. PDF allows one kind of later change to an approval signature: filling form fields
in an incremental update. So:

* :func:`sign` (the signer) takes no number. :func:`prepare_number_and_date` writes the number line
  ``Số: ____/UBND-VX`` (the notation is known: :func:`build_notation` — type abbreviation + agency short
  name, ``QĐ-UBND``, or for a công văn agency short name + drafting-unit short name, ``UBND-VX``) and the
  date line ``Cần Thơ, ngày __ tháng __ năm ____`` over the blanks the draft leaves for them on the first
  page (or, in a draft without them, into the top margin); the blanks are empty AcroForm text fields
  (:data:`NUMBER_AND_DATE_FIELDS`). The signer's PAdES signature is made on that page; its field lock
  (FieldMDP, ``/Exclude``) leaves only those fields and the agency's seal field open, so any other change
  after it — page content, another field — makes it invalid.
* :func:`issue` (the clerk) does, in one transaction: the next number of the register (unique and
  gap-free: the counter row is locked and rolls back with the transaction) and today's date; the values
  written into the fields in an incremental update (``/V`` and an appearance stream for each), which
  pyHanko judges "form filling" on fields the lock leaves open, so the personal signature stays valid; the
  agency's seal signature (seal image over the left third of the signer's) in a further incremental
  update; the attachment stamps (number, notation, signing time); delivery. A failure anywhere rolls back
  the number and discards the stored files (``storage.discard_on_error``).

Documents signed while the number was still given at signature (number already set, written into the
page) keep that number: :func:`issue` only seals and delivers them.

Recipients inside egov receive the document directly as an incoming document (status 01, waiting for their
clerk); recipients elsewhere are served by the exchange axis (issue #4), which builds its packets in
``outgoing_issuing`` (inside the issue transaction, once the number is given and the seal applied).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.directory import selectors as directory
from egov.directory.models import Agency, Role, User
from egov.documents import selectors, storage
from egov.documents.models import (
    Attachment,
    Confidentiality,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    Register,
    Urgency,
)
from egov.documents.numbering import format_number, take_next_number
from egov.documents.services import default_register, register_incoming

S = OutgoingDocument.Status
outgoing_issued = Signal()  # kwargs: document (sent after commit)
# Sent inside the issuing transaction, once the number is given and the seal applied: the exchange app
# builds, signs and queues one packet per outside recipient here (transactional outbox).
outgoing_issuing = Signal()  # kwargs: document, actor
outgoing_revoking = Signal()  # kwargs: document, actor, reason (inside the revoking transaction)


def _event(doc: OutgoingDocument, kind: str, actor: Any, note: str = "", **data: Any) -> None:
    DocumentEvent.objects.create(
        outgoing=doc,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        note=note,
        data=data,
    )


def _locked(doc: OutgoingDocument) -> OutgoingDocument:
    return (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "document_type", "drafting_unit")
        .get(pk=doc.pk)
    )


def _move(doc: OutgoingDocument, allowed: tuple[str, ...], target: str) -> str:
    if doc.status not in allowed:
        raise ValidationError(
            _("Không thể chuyển văn bản từ “%(a)s” sang “%(b)s”.")
            % {"a": doc.get_status_display(), "b": S(target).label}
        )
    before, doc.status = doc.status, target
    return before


def _member(actor: Any, agency: Agency) -> None:
    if actor is None or directory.is_system_admin(actor):
        return
    if agency.pk not in directory.member_agency_ids(actor):
        raise PermissionDenied(_("Bạn không công tác tại %(a)s.") % {"a": agency})


def _role(actor: Any, agency: Agency, *roles: str) -> None:
    if actor is None:
        return
    if not selectors.may_act(actor, agency, *roles):
        raise PermissionDenied(_("Bạn không có vai trò phù hợp tại %(a)s.") % {"a": agency})


def uses_this_instance(agency: Agency) -> bool:
    """An agency keeps its registers in this egov (deliver directly) or elsewhere (send through the axis)."""
    return Register.objects.filter(agency=agency.organisation(), active=True).exists()


@storage.discard_on_error
@transaction.atomic
def create_draft(
    *,
    actor: Any,
    agency: Agency,
    document_type: DocumentType,
    subject: str,
    drafting_unit: Agency | None = None,
    signer: User | None = None,
    signing_authority: str = "",
    recipients: list[Agency] | None = None,
    recipients_text: str = "",
    urgency: int = Urgency.NORMAL,
    confidentiality: int = Confidentiality.NORMAL,
    files: list[Any] | None = None,
) -> OutgoingDocument:
    _member(actor, agency)
    errors: dict[str, Any] = {}
    if not subject.strip():
        errors["subject"] = _("Cần nhập trích yếu.")
    if drafting_unit is not None and drafting_unit.pk not in directory.unit_closure(agency):
        errors["drafting_unit"] = _("Đơn vị soạn thảo phải thuộc cơ quan.")
    if document_type.is_cong_van and (drafting_unit is None or not drafting_unit.short_name):
        errors["drafting_unit"] = _("Công văn cần đơn vị soạn thảo có tên viết tắt (ví dụ VX).")
    if not agency.short_name:
        errors["agency"] = _("Cơ quan chưa có tên viết tắt để ghi ký hiệu văn bản.")
    if errors:
        raise ValidationError(errors)
    doc = OutgoingDocument(
        agency=agency,
        document_type=document_type,
        subject=subject.strip(),
        drafting_unit=drafting_unit,
        signer=signer,
        signing_authority=signing_authority,
        recipients_text=recipients_text,
        urgency=urgency,
        confidentiality=confidentiality,
        created_by=actor,
    )
    doc.refresh_search_key()
    doc.full_clean(exclude=["created_by"])
    doc.save()
    for recipient in dict.fromkeys(recipients or []):
        internal = uses_this_instance(recipient)
        if not internal and not recipient.code_qcvn102:
            raise ValidationError(
                {
                    "recipients": _("%(a)s không dùng hệ thống này và chưa có mã QCVN 102 để gửi qua trục.")
                    % {"a": recipient}
                }
            )
        OutgoingRecipient.objects.create(
            document=doc,
            agency=recipient,
            organ_id=recipient.code_qcvn102 or "",
            name=recipient.name,
            channel=OutgoingRecipient.Channel.INTERNAL if internal else OutgoingRecipient.Channel.EXCHANGE,
        )
    for upload in files or []:
        storage.attach(doc, upload, actor=actor)
    _event(doc, "drafted", actor, recipients=[a.pk for a in recipients or []])
    record("documents.outgoing.draft", actor=actor, agency=agency, target=doc, after=snapshot(doc))
    return doc


@transaction.atomic
def submit(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    doc = _locked(document)
    if actor is not None and doc.created_by_id != actor.pk:
        raise PermissionDenied(_("Chỉ người soạn thảo được trình dự thảo."))
    if not doc.attachments.filter(role=Attachment.Role.MAIN).exists():
        raise ValidationError({"files": _("Cần tệp dự thảo (PDF) trước khi trình.")})
    before = _move(doc, (S.DRAFT,), S.IN_REVIEW)
    doc.save()
    _event(doc, "submitted", actor)
    record(
        "documents.outgoing.submit",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status},
    )
    return doc


@transaction.atomic
def review(*, actor: Any, document: OutgoingDocument, approve: bool, note: str = "") -> OutgoingDocument:
    """Lãnh đạo đơn vị soạn thảo cho ý kiến: forward to the agency's leader, or return to the drafter. The
    agency's own leaders may review too."""
    doc = _locked(document)
    if doc.drafting_unit is None or not (
        actor is None or directory.user_has_role(actor, doc.drafting_unit, Role.LEADER, Role.DEPUTY_LEADER)
    ):
        _role(actor, doc.agency, Role.LEADER, Role.DEPUTY_LEADER)
    if not approve and not note.strip():
        raise ValidationError({"note": _("Cần ghi lý do trả lại.")})
    before = _move(doc, (S.IN_REVIEW,), S.PENDING_APPROVAL if approve else S.DRAFT)
    doc.save()
    _event(doc, "reviewed" if approve else "returned", actor, note=note.strip())
    record(
        "documents.outgoing.review",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "note": note.strip()},
    )
    return doc


@transaction.atomic
def approve(
    *, actor: Any, document: OutgoingDocument, approve: bool = True, note: str = ""
) -> OutgoingDocument:
    """Lãnh đạo cơ quan duyệt: approved documents wait for the signer's digital signature."""
    doc = _locked(document)
    _role(actor, doc.agency, Role.LEADER, Role.DEPUTY_LEADER)
    if not approve and not note.strip():
        raise ValidationError({"note": _("Cần ghi lý do trả lại.")})
    before = _move(doc, (S.PENDING_APPROVAL,), S.APPROVED if approve else S.DRAFT)
    if approve and doc.signer is None:
        doc.signer = actor
    doc.save()
    _event(doc, "approved" if approve else "returned", actor, note=note.strip())
    record(
        "documents.outgoing.approve",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "signer": doc.signer_id},
    )
    return doc


def _pdf_of(att: Attachment) -> bytes:
    with att.file.file.open("rb") as fh:
        return bytes(fh.read())


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def title_lines_for(doc: OutgoingDocument, signer: User) -> list[str]:
    """The title line above the signature: signing authority (``KT. GIÁM ĐỐC``) and the signer's position."""
    from egov.directory.selectors import active_positions

    position = active_positions(signer).filter(agency_id__in=directory.unit_closure(doc.agency)).first()
    lines = [line.upper() for line in [doc.signing_authority, position.title if position else ""] if line]
    return lines or [doc.agency.name.upper()]


# --- Number and date in the body (Phụ lục I, boxes 3 and 4) ----------------------------------------------

_NUMBER_LINE = re.compile(r"^Số\s*:")
_DATE_LINE = re.compile(r"^(?P<place>[^,]{1,60}),\s*ngày\b.*\btháng\b.*\bnăm\b")
MM = 72 / 25.4


def date_line(place: str, day: dt.date) -> str:
    """``Cần Thơ, ngày 05 tháng 11 năm 2026``: day below 10 and months 1 and 2 with a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text.capitalize()


def place_of(agency: Agency) -> str:
    """The place name of the date line: the province (tỉnh, thành phố) of the agency (``Cần Thơ``)."""
    for node in [agency, *reversed(list(agency.ancestors()))]:
        if node.kind == Agency.Kind.PROVINCE:
            name = node.name
            for prefix in ("Ủy ban nhân dân ", "Uỷ ban nhân dân ", "UBND ", "tỉnh ", "thành phố ", "TP. "):
                if name.lower().startswith(prefix.lower()):
                    name = name[len(prefix) :]
            return name.strip()
    return ""


# Form fields of the number and date (Phụ lục I, boxes 3 and 4), filled by the clerk's issue.
NUMBER_FIELD = "SoVanBan"
DAY_FIELD, MONTH_FIELD, YEAR_FIELD = "NgayBanHanh", "ThangBanHanh", "NamBanHanh"
NUMBER_AND_DATE_FIELDS = (NUMBER_FIELD, DAY_FIELD, MONTH_FIELD, YEAR_FIELD)
SIGNER_FIELD, SEAL_FIELD = "NguoiKy", "CoQuanBanHanh"


def number_and_date_values(code_number: str, issued: dt.date) -> dict[str, str]:
    """What the issue writes into the fields: ``05``; day ``05``, month ``02`` (1 and 2 with a leading
    zero, as in :func:`date_line`), year ``2026``."""
    month = f"{issued.month:02d}" if issued.month < 3 else str(issued.month)
    return {
        NUMBER_FIELD: code_number,
        DAY_FIELD: f"{issued.day:02d}",
        MONTH_FIELD: month,
        YEAR_FIELD: str(issued.year),
    }


def _number_and_date_lines(pdf: bytes) -> tuple[Any, float, float, dict[str, Any], dict[str, Any]]:
    """Read the first page: (reader, width, height, found, origins). ``found`` maps "number" / "date" to
    (x, y, size, text) of the draft's own line (``Số:      /UBND-VX``, ``Cần Thơ, ngày … tháng … năm …``);
    ``origins`` to its text-space start, to remove it from the content stream."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        page = reader.pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        found: dict[str, tuple[float, float, float, str]] = {}
        origins: dict[str, tuple[float, float]] = {}

        def visit(text: str, cm: Any, tm: Any, _font: Any, size: float) -> None:
            line = unicodedata.normalize("NFC", text).strip()
            if not line:
                return
            x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
            y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
            scale = abs(tm[3] * cm[3]) or 1.0
            key = "number" if _NUMBER_LINE.match(line) else "date" if _DATE_LINE.match(line) else ""
            if key and key not in found:
                found[key] = (x, y, float(size) * (scale if scale < 5 else 1.0), line)
                origins[key] = (float(tm[4]), float(tm[5]))

        page.extract_text(visitor_text=visit)
    except (PdfReadError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise ValidationError(
            {"files": _("Không đọc được tệp PDF để ghi số văn bản: %(e)s") % {"e": exc}}
        ) from exc
    return reader, width, height, found, origins


def _rewrite_first_page(reader: Any, origins: dict[str, Any], overlay: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=reader)
    first = writer.pages[0]
    if origins:
        _drop_text_at(first, writer, list(origins.values()))
    first.merge_page(PdfReader(io.BytesIO(overlay)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def prepare_number_and_date(pdf: bytes, *, notation: str, place: str = "") -> bytes:
    """Before the signer signs: write ``Số: ____/<notation>`` and ``<place>, ngày __ tháng __ năm ____`` on
    the first page, the blanks being empty text fields (:data:`NUMBER_AND_DATE_FIELDS`) that the clerk's
    :func:`issue` fills. The draft's own lines are found in its text layer, covered with white, removed from
    the text layer and written again centred where they were, same size (the draft's place name is kept);
    a line the draft lacks goes into the top margin (number at the left, date at the right). The page
    content changes here, so this happens before anyone signs (see the module docstring)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    from egov.signing import fonts
    from egov.signing import services as signing
    from egov.signing.pdf import TextField

    reader, width, height, found, origins = _number_and_date_lines(pdf)
    regular, _bold, italic = fonts.reportlab_fonts()
    if "date" in found:
        match = _DATE_LINE.match(found["date"][3])
        place = match.group("place").strip() if match else place
    day_word = "ngày" if place else "Ngày"
    # Each line: pieces of text and blanks (field name, width in digits), in the page font / field font.
    lines: dict[str, tuple[str, str, list[tuple[str, str | int]]]] = {
        "number": (regular, "Times-Roman", [("text", "Số: "), (NUMBER_FIELD, 4), ("text", f"/{notation}")]),
        "date": (
            italic,
            "Times-Italic",
            [
                ("text", f"{place}, {day_word} " if place else f"{day_word} "),
                (DAY_FIELD, 2),
                ("text", " tháng "),
                (MONTH_FIELD, 2),
                ("text", " năm "),
                (YEAR_FIELD, 4),
            ],
        ),
    }
    overlay = io.BytesIO()
    c = Canvas(overlay, pagesize=(width, height))
    fields: list[TextField] = []
    for key, (font, field_font, pieces) in lines.items():

        def piece_width(
            kind: str, value: str | int, size: float, font: str = font, ff: str = field_font
        ) -> float:
            if kind == "text":
                return float(stringWidth(str(value), font, size))
            return float(stringWidth("0" * int(value), ff, size)) + 2

        if key in found:
            x, y, size, old = found[key]
            old_width = stringWidth(old, font, size)
            c.setFillColorRGB(1, 1, 1)
            c.rect(x - 1, y - 0.3 * size, old_width + 2, 1.25 * size, stroke=0, fill=1)
            total = sum(piece_width(k, v, size) for k, v in pieces)
            start = x + old_width / 2 - total / 2
        else:
            size, y = 11.0, height - 12 * MM
            total = sum(piece_width(k, v, size) for k, v in pieces)
            start = 20 * MM if key == "number" else width - 15 * MM - total
        c.setFillColorRGB(0, 0, 0)
        c.setFont(font, size)
        cursor = start
        for kind, value in pieces:
            w = piece_width(kind, value, size)
            if kind == "text":
                c.drawString(cursor, y, str(value))
            else:
                align = "right" if kind == NUMBER_FIELD else "center"
                rect = (cursor, y - 0.3 * size, cursor + w, y + 0.95 * size)
                fields.append(TextField(kind, 0, rect, font=field_font, size=round(size, 2), align=align))
            cursor += w
    c.showPage()
    c.save()
    page = _rewrite_first_page(reader, origins, overlay.getvalue())
    return signing.add_text_fields(page, fields)


def _drop_text_at(page: Any, writer: Any, origins: list[tuple[float, float]]) -> None:
    """Remove from the page's content stream the text shown from each of ``origins`` (text-space start of a
    line) to the end of its line, so that the old line (``Số:      /UBND-VX``) leaves the text layer too,
    not only the picture. Follows ``BT``/``Tm``/``Td``/``TD``/``T*``; a line it cannot find stays (the white
    cover still hides it)."""
    from pypdf.generic import ContentStream

    contents = page.get_contents()
    if contents is None:
        return
    stream = contents if isinstance(contents, ContentStream) else ContentStream(contents, writer)
    kept: list[Any] = []
    x = y = lx = ly = leading = 0.0
    dropping: float | None = None  # y of the line being removed
    changed = False
    for operands, operator in stream.operations:
        if operator == b"BT":
            x = y = lx = ly = 0.0
            dropping = None
        elif operator == b"Tm" and len(operands) == 6:
            x = lx = float(operands[4])
            y = ly = float(operands[5])
        elif operator in (b"Td", b"TD") and len(operands) == 2:
            lx, ly = lx + float(operands[0]), ly + float(operands[1])
            x, y = lx, ly
            if operator == b"TD":
                leading = -float(operands[1])
        elif operator == b"TL" and operands:
            leading = float(operands[0])
        elif operator == b"T*":
            ly -= leading
            x, y = lx, ly
        elif operator in (b"Tj", b"TJ", b"'", b'"'):
            if operator in (b"'", b'"'):
                ly -= leading
                x, y = lx, ly
            if dropping is not None and abs(y - dropping) > 0.5:
                dropping = None
            if dropping is None and any(abs(x - ox) < 0.5 and abs(y - oy) < 0.5 for ox, oy in origins):
                dropping = y
            if dropping is not None:
                changed = True
                continue
        kept.append((operands, operator))
    if changed:
        stream.operations = kept
        page.replace_contents(stream)


def _take_number(doc: OutgoingDocument, register: Register | None, now: dt.datetime) -> Register:
    """Give ``doc`` the next number of ``register`` (default: the agency's outgoing register, the secret
    one for a secret document) and its notation; the caller saves it inside the same transaction."""
    register = register or default_register(
        doc.agency, Register.Direction.OUTGOING, secret=doc.confidentiality > Confidentiality.NORMAL
    )
    if register.agency_id != doc.agency_id or register.direction != Register.Direction.OUTGOING:
        raise ValidationError({"register": _("Sổ không thuộc cơ quan hoặc không phải sổ văn bản đi.")})
    doc.register = register
    doc.number_year = timezone.localtime(now).year
    doc.number = take_next_number(register, doc.number_year)
    doc.code_number = format_number(doc.number)
    doc.code_notation = build_notation(doc)
    doc.issued_date = timezone.localtime(now).date()
    return register


@storage.discard_on_error
@transaction.atomic
def sign(*, actor: Any, document: OutgoingDocument) -> OutgoingDocument:
    """Ký số: the designated signer signs the approved PDF with their personal certificate (PAdES), the
    signature visible where Nghị định 30 puts it (title line, blue signature image, full name). No number is
    taken here: the first page gets the number and date lines with empty form fields
    (:func:`prepare_number_and_date`), and the signature locks every form field but those and the agency's
    seal. The clerk's :func:`issue` gives the number and date and seals (see the module docstring)."""
    from egov.signing import selectors as signing_selectors
    from egov.signing import services as signing

    doc = _locked(document)
    if actor is None or doc.signer_id != actor.pk:
        raise PermissionDenied(_("Chỉ người ký được chỉ định mới ký văn bản này."))
    main = (
        doc.attachments.filter(role=Attachment.Role.MAIN, file__content_type=storage.PDF)
        .select_related("file")
        .first()
    )
    if main is None:
        raise ValidationError({"files": _("Văn bản cần một tệp PDF chính để ký số.")})
    cert = signing_selectors.signing_certificate_for(actor)
    if cert is None:
        raise ValidationError({"certificate": _("Bạn chưa có chứng thư số cá nhân còn hiệu lực.")})
    if not cert.signature_image:
        raise ValidationError({"certificate": _("Chứng thư số cá nhân chưa có hình ảnh chữ ký.")})
    before = _move(doc, (S.APPROVED,), S.SIGNED)
    # Blanks for the number and date, filled at issue (see the module docstring).
    pdf = prepare_number_and_date(_pdf_of(main), notation=build_notation(doc), place=place_of(doc.agency))
    layout = signing.document_layout(
        pdf,
        title_lines=title_lines_for(doc, actor),
        signer_name=actor.get_full_name(),
        signature_image=bytes(cert.signature_image),
    )
    signed = signing.sign_pdf(
        actor=actor,
        pdf=pdf,
        certificate=cert,
        reason="Ký ban hành văn bản",
        location=doc.agency.name,
        field_name=SIGNER_FIELD,
        box=layout.signer_box,
        page=layout.page,
        appearance=layout.signer_appearance,
        open_fields=[*NUMBER_AND_DATE_FIELDS, SEAL_FIELD],
    )
    stored = storage.store(
        _Named(signed, main.file.original_name.rsplit(".", 1)[0] + "-da-ky.pdf"), actor=actor
    )
    Attachment.objects.create(outgoing=doc, file=stored, role=Attachment.Role.SIGNED)
    doc.signer_name = actor.get_full_name()
    doc.signer_position = title_lines_for(doc, actor)[-1].capitalize()
    doc.refresh_search_key(storage.texts_of(doc))
    doc.save()
    _event(
        doc,
        "signed",
        actor,
        certificate=cert.fingerprint_sha256,
        fields=list(NUMBER_AND_DATE_FIELDS),
        seal_box=list(layout.seal_box),
        page=layout.page,
        file=stored.pk,
    )
    record(
        "documents.outgoing.sign",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={
            "status": doc.status,
            "notation": build_notation(doc),
            "number_fields": list(NUMBER_AND_DATE_FIELDS),
            "certificate": cert.fingerprint_sha256,
            "sha256": stored.sha256,
        },
    )
    return doc


def _seal(doc: OutgoingDocument, actor: Any) -> None:
    """At issue: the number and date written into the signed main file's form fields (an incremental
    update, for documents signed with them), then the agency's signature (seal image over the left third of
    the signer's), and the attachment stamp (number, notation, signing time) on each PDF annex."""
    from egov.signing import selectors as signing_selectors
    from egov.signing import services as signing
    from egov.signing.pdf import Appearance

    cert = signing_selectors.agency_certificate_for(doc.agency)
    if cert is None or not cert.seal_image:
        raise ValidationError({"certificate": _("Cơ quan chưa có chứng thư số (con dấu số) còn hiệu lực.")})
    signed_event = doc.events.filter(kind="signed").order_by("-at").first()
    signed_att = doc.attachments.filter(role=Attachment.Role.SIGNED).select_related("file").first()
    if signed_event is None or signed_att is None:
        raise ValidationError(_("Văn bản chưa được ký số."))
    number = doc.number_notation
    pdf = _pdf_of(signed_att)
    fields = signed_event.data.get("fields") or []
    if fields:  # signed with blanks for the number and date (not in documents numbered at signature)
        assert doc.issued_date is not None
        values = number_and_date_values(doc.code_number, doc.issued_date)
        pdf = signing.fill_text_fields(pdf, {name: values[name] for name in fields if name in values})
    sealed = signing.sign_pdf(
        actor=actor,
        pdf=pdf,
        certificate=cert,
        reason=f"Ban hành văn bản số {number}",
        location=doc.agency.name,
        field_name=SEAL_FIELD,
        box=tuple(signed_event.data["seal_box"]),
        page=signed_event.data.get("page", -1),
        appearance=Appearance(image=bytes(cert.seal_image)),
        open_fields=(),  # the seal locks every field: the number and date cannot be changed after it
    )
    name = f"{doc.code_number}-{doc.code_notation}.pdf".replace("/", "-")
    signed_att.file = storage.store(_Named(sealed, name), actor=actor)
    signed_att.save(update_fields=["file"])
    for annex in doc.attachments.filter(
        role=Attachment.Role.ANNEX, file__content_type=storage.PDF
    ).select_related("file"):
        stamped = signing.stamp_attachment(
            actor=actor, pdf=_pdf_of(annex), agency_certificate=cert, number_notation=number
        )
        annex.file = storage.store(_Named(stamped, annex.file.original_name), actor=actor)
        annex.save(update_fields=["file"])


def document_id(doc: OutgoingDocument) -> str:
    """edXML DocumentId: ``<OrganId>,<yyyy/MM/dd>,<Number>/<Notation>``."""
    organ = doc.agency.code_qcvn102 or str(doc.agency.pk)
    assert doc.issued_date is not None
    return f"{organ},{doc.issued_date:%Y/%m/%d},{doc.number_notation}"


def build_notation(doc: OutgoingDocument) -> str:
    agency_short = doc.agency.short_name
    if doc.document_type.is_cong_van or not doc.document_type.abbreviation:
        unit = doc.drafting_unit.short_name if doc.drafting_unit else ""
        return f"{agency_short}-{unit}" if unit else agency_short
    return f"{doc.document_type.abbreviation}-{agency_short}"


@storage.discard_on_error
@transaction.atomic
def issue(*, actor: Any, document: OutgoingDocument, register: Register | None = None) -> OutgoingDocument:
    """Cấp số, đăng ký và phát hành (Nghị định 30, Điều 15, 16): in one transaction the next number of
    ``register`` (default: the agency's outgoing register, the secret one for a secret document) and today's
    date are given and written into the signed file's form fields, the agency's seal signature follows, the
    annexes are stamped, and the document is delivered to the recipients inside egov. A failure anywhere
    rolls back the number and discards the stored files. A document numbered at signature (before numbering
    moved here) keeps its number."""
    doc = _locked(document)
    _role(actor, doc.agency, Role.CLERK)
    before = _move(doc, (S.SIGNED,), S.ISSUED)
    now = timezone.now()
    if doc.number is None:  # the number is given now (Điều 15.2: at issue, after the signature)
        register = _take_number(doc, register, now)
    elif register is not None and register.pk != doc.register_id:  # numbered at signature (older flow)
        raise ValidationError(
            {
                "register": _("Văn bản đã được cấp số %(n)s trong sổ “%(r)s” khi ký.")
                % {"n": doc.number_notation, "r": doc.register}
            }
        )
    else:
        assert doc.register is not None
        register = doc.register
    doc.issued_at = now
    if doc.signer is not None:
        doc.signer_name = doc.signer.get_full_name()
    _seal(doc, actor)
    doc.refresh_search_key(storage.texts_of(doc))
    doc.save()
    delivered = []
    internal = doc.recipients.select_for_update(of=("self",)).filter(
        channel=OutgoingRecipient.Channel.INTERNAL, incoming=None
    )
    for rcpt in internal.select_related("agency"):
        assert rcpt.agency is not None
        org = rcpt.agency.organisation()
        incoming = register_incoming(
            actor=None,
            agency=org,
            document_type=doc.document_type,
            subject=doc.subject,
            issuing_agency=doc.agency,
            code_number=doc.code_number,
            code_notation=doc.code_notation,
            issued_date=doc.issued_date,
            signer_name=doc.signer_name,
            urgency=doc.urgency,
            confidentiality=doc.confidentiality,
            source=IncomingDocument.Source.EXCHANGE,
            number_now=False,
            external_id=document_id(doc),
        )
        for att in doc.attachments.exclude(role=Attachment.Role.MAIN).select_related("file"):
            role = Attachment.Role.MAIN if att.role == Attachment.Role.SIGNED else att.role
            Attachment.objects.create(incoming=incoming, file=att.file, role=role)
        rcpt.incoming = incoming
        rcpt.status_code, rcpt.status_description, rcpt.status_at = "01", "Đã đến", now
        rcpt.save(update_fields=["incoming", "status_code", "status_description", "status_at"])
        delivered.append(incoming.pk)
    outgoing_issuing.send(sender=OutgoingDocument, document=doc, actor=actor)
    _event(doc, "issued", actor, number=doc.number_notation, delivered=delivered)
    record(
        "documents.outgoing.issue",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={
            "status": doc.status,
            "number": doc.number_notation,
            "register": register.pk,
            "issued_date": doc.issued_date,
            "delivered": delivered,
        },
    )
    pk = doc.pk
    transaction.on_commit(
        lambda: outgoing_issued.send(sender=OutgoingDocument, document=OutgoingDocument.objects.get(pk=pk))
    )
    return doc


@transaction.atomic
def revoke(*, actor: Any, document: OutgoingDocument, reason: str) -> OutgoingDocument:
    """Thu hồi văn bản đã ban hành (Nghị định 30, Điều 18.4): the document is frozen; recipients in this
    instance get a revocation request on their copy; outside recipients get a revocation packet (edXML
    BussinessDocType 1) through the exchange axis. Each recipient answers 15 (agrees) or 16 (refuses)."""
    from egov.documents import services as incoming_services

    doc = _locked(document)
    _role(actor, doc.agency, Role.LEADER, Role.DEPUTY_LEADER, Role.CLERK)
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do thu hồi.")})
    before = _move(doc, (S.ISSUED,), S.REVOKED)
    doc.save()
    for rcpt in doc.recipients.filter(channel=OutgoingRecipient.Channel.INTERNAL).select_related("incoming"):
        if rcpt.incoming is not None:
            incoming_services.request_revocation(actor=actor, document=rcpt.incoming, reason=reason)
    outgoing_revoking.send(sender=OutgoingDocument, document=doc, actor=actor, reason=reason.strip())
    _event(doc, "revoked", actor, note=reason.strip())
    record(
        "documents.outgoing.revoke",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "reason": reason.strip()},
    )
    return doc
