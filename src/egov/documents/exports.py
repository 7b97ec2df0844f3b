"""Printed registers (Nghị định 30/2020, Phụ lục IV): sổ đăng ký văn bản đến / đi for a date range, as XLSX
and as PDF (A4 landscape), with the columns the decree prescribes.

Registers kept in the system must be printed with all their fields, signed and bound (Điều 16.2.b,
22.3.b): that is what these files are for.

* **Incoming** (sổ đăng ký văn bản đến), in order of arrival number: (1) Ngày đến (2) Số đến (3) Tác giả
  (4) Số, ký hiệu văn bản (5) Ngày tháng văn bản (6) Tên loại và trích yếu nội dung (7) Đơn vị hoặc người
  nhận — the lead handler of the leader's direction (8) Ngày chuyển — the day of that direction
  (9) Ký nhận — left blank for the handwritten receipt (10) Ghi chú — urgency, confidentiality, deadline.
* **Outgoing** (sổ đăng ký văn bản đi), in order of number: (1) Số, ký hiệu văn bản (2) Ngày tháng văn bản
  (3) Tên loại và trích yếu nội dung (4) Người ký (5) Nơi nhận văn bản (6) Đơn vị, người nhận bản lưu — the
  drafting unit and the drafter (7) Số lượng bản — the number of recipients the electronic document was
  sent to (8) Ngày chuyển — the issue date (9) Ký nhận — blank (10) Ghi chú.

Reads go through ``documents.selectors``: a user outside the register's agency gets ``PermissionDenied``,
as does a user who is neither clerk nor leader there asking for a secret register; ``user=None`` is the
system (operator command ``egov manage export_register``). Rows are read once, in chunks
(``QuerySet.iterator``) with their handlers/recipients prefetched per chunk; the XLSX is written by
openpyxl's streaming (write-only) workbook, the PDF is laid out in tables of a page or so each under a
header drawn on every page, so that a year of several thousand documents needs neither two reads nor
quadratic table splitting.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.text import fold
from egov.directory import selectors as directory
from egov.directory.models import Agency
from egov.documents import selectors
from egov.documents.models import (
    Assignment,
    Confidentiality,
    IncomingDocument,
    OutgoingDocument,
    Register,
    Urgency,
)

Value = str | int | dt.date | None
CHUNK = 500  # rows read from the database at a time

INCOMING_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
OUTGOING_TITLE = "SỔ ĐĂNG KÝ VĂN BẢN ĐI"


@dataclass(frozen=True)
class Column:
    header: str
    xlsx_width: float  # characters
    pdf_width: float  # millimetres (the ten columns of a register fill 267 mm: A4 landscape inside margins)
    kind: str = "text"  # text | date | number


INCOMING_COLUMNS = (
    Column("Ngày đến", 11, 21, "date"),
    Column("Số đến", 8, 13, "number"),
    Column("Tác giả", 28, 33),
    Column("Số, ký hiệu văn bản", 18, 32),
    Column("Ngày tháng văn bản", 11, 21, "date"),
    Column("Tên loại và trích yếu nội dung", 50, 60),
    Column("Đơn vị hoặc người nhận", 24, 32),
    Column("Ngày chuyển", 11, 21, "date"),
    Column("Ký nhận", 10, 14),
    Column("Ghi chú", 16, 20),
)

OUTGOING_COLUMNS = (
    Column("Số, ký hiệu văn bản", 18, 30),
    Column("Ngày tháng văn bản", 11, 21, "date"),
    Column("Tên loại và trích yếu nội dung", 48, 58),
    Column("Người ký", 22, 30),
    Column("Nơi nhận văn bản", 32, 40),
    Column("Đơn vị, người nhận bản lưu", 24, 30),
    Column("Số lượng bản", 8, 12, "number"),
    Column("Ngày chuyển", 11, 21, "date"),
    Column("Ký nhận", 9, 12),
    Column("Ghi chú", 12, 13),
)
assert sum(c.pdf_width for c in INCOMING_COLUMNS) == sum(c.pdf_width for c in OUTGOING_COLUMNS) == 267


@dataclass(frozen=True)
class RegisterSheet:
    """What a printed register shows above and in its table."""

    agency: Agency
    register: Register
    title: str
    period: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Value, ...]]


# --- permission and rows ---------------------------------------------------------------------------------


def _check_access(user: Any, register: Register, direction: str) -> None:
    if register.direction != direction:
        label = _("văn bản đến") if direction == Register.Direction.INCOMING else _("văn bản đi")
        raise ValidationError({"register": _("Đây không phải sổ %(d)s.") % {"d": label}})
    if user is None or directory.is_system_admin(user):
        return
    if register.agency_id not in directory.member_agency_ids(user):
        raise PermissionDenied(_("Bạn không công tác tại cơ quan giữ sổ này."))
    if register.is_secret:
        closure = directory.unit_closure(register.agency)
        if not any(
            agency.pk in closure and role in selectors.PRIVILEGED
            for agency, role in directory.acting_roles(user)
        ):
            raise PermissionDenied(_("Chỉ văn thư và lãnh đạo cơ quan được in sổ văn bản mật."))


def _bounds(date_from: dt.date | None, date_to: dt.date | None) -> dict[str, dt.datetime]:
    """Local calendar days → aware instants, so that the filter can use the (agency, date) index."""
    bounds = {}
    if date_from:
        bounds["gte"] = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        bounds["lt"] = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return bounds


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


def type_and_subject(type_name: str, subject: str) -> str:
    """Tên loại và trích yếu: ``Quyết định: Về việc …``, unless the subject already starts with the type."""
    if fold(subject).startswith(fold(type_name)):
        return subject
    return f"{type_name}: {subject}"


def _notes(doc: IncomingDocument | OutgoingDocument) -> list[str]:
    notes = []
    if doc.urgency != Urgency.NORMAL:
        notes.append(str(Urgency(doc.urgency).label))
    if doc.confidentiality != Confidentiality.NORMAL:
        notes.append(str(Confidentiality(doc.confidentiality).label))
    return notes


def _incoming_queryset(user: Any, register: Register, date_from: Any, date_to: Any) -> QuerySet[Any]:
    base = (
        IncomingDocument.objects.select_related("document_type", "register", "agency")
        if user is None
        else selectors.incoming_visible_to(user)
    )
    qs = base.filter(register=register, arrival_number__isnull=False)
    for lookup, moment in _bounds(date_from, date_to).items():
        qs = qs.filter(**{f"arrival_date__{lookup}": moment})
    leads = (
        Assignment.objects.filter(kind=Assignment.Kind.LEAD, parent__isnull=True)
        .select_related("user", "unit")
        .order_by("-created_at", "-id")
    )
    return qs.prefetch_related(Prefetch("assignments", queryset=leads, to_attr="register_leads")).order_by(
        "arrival_year", "arrival_number", "id"
    )


def incoming_rows(
    user: Any, register: Register, date_from: dt.date | None, date_to: dt.date | None
) -> Iterator[tuple[Value, ...]]:
    """The ten columns of the incoming register, one tuple per registered document, in number order.
    The permission check happens at once; the rows are read as they are consumed."""
    _check_access(user, register, Register.Direction.INCOMING)
    return _incoming_rows(user, register, date_from, date_to)


def _incoming_rows(
    user: Any, register: Register, date_from: Any, date_to: Any
) -> Iterator[tuple[Value, ...]]:
    for doc in _incoming_queryset(user, register, date_from, date_to).iterator(chunk_size=CHUNK):
        lead = doc.register_leads[0] if doc.register_leads else None
        receiver = ""
        if lead is not None:
            receiver = lead.user.get_full_name() if lead.user else str(lead.unit.name if lead.unit else "")
        notes = _notes(doc)
        if doc.due_date:
            notes.append(_("Hạn xử lý %(d)s") % {"d": f"{doc.due_date:%d/%m/%Y}"})
        if doc.source == IncomingDocument.Source.EXCHANGE:
            notes.append(_("Văn bản điện tử liên thông"))
        yield (
            _local_date(doc.arrival_date),
            doc.arrival_number,
            doc.issuing_agency_name,
            doc.number_notation,
            doc.issued_date,
            type_and_subject(doc.document_type.name, doc.subject),
            receiver,
            _local_date(lead.created_at) if lead else None,
            "",
            "; ".join(notes),
        )


def _outgoing_queryset(user: Any, register: Register, date_from: Any, date_to: Any) -> QuerySet[Any]:
    base = (
        OutgoingDocument.objects.select_related("document_type", "register", "agency", "drafting_unit")
        if user is None
        else selectors.outgoing_visible_to(user)
    )
    qs = base.filter(register=register, number__isnull=False).select_related("created_by")
    if date_from:
        qs = qs.filter(issued_date__gte=date_from)
    if date_to:
        qs = qs.filter(issued_date__lte=date_to)
    return qs.prefetch_related("recipients").order_by("number_year", "number", "id")


def outgoing_rows(
    user: Any, register: Register, date_from: dt.date | None, date_to: dt.date | None
) -> Iterator[tuple[Value, ...]]:
    """The ten columns of the outgoing register, one tuple per numbered document, in number order.
    The permission check happens at once; the rows are read as they are consumed."""
    _check_access(user, register, Register.Direction.OUTGOING)
    return _outgoing_rows(user, register, date_from, date_to)


def _outgoing_rows(
    user: Any, register: Register, date_from: Any, date_to: Any
) -> Iterator[tuple[Value, ...]]:
    for doc in _outgoing_queryset(user, register, date_from, date_to).iterator(chunk_size=CHUNK):
        recipients = [r.name for r in doc.recipients.all()]
        places = "\n".join([*(f"- {name}" for name in recipients), doc.recipients_text.strip()]).strip()
        keeper = doc.drafting_unit.name if doc.drafting_unit else doc.agency.name
        drafter = doc.created_by.get_full_name() if doc.created_by_id else ""
        signer = doc.signer_name
        if doc.signer_position:
            signer = f"{signer} ({doc.signer_position})" if signer else doc.signer_position
        notes = _notes(doc)
        if doc.status == OutgoingDocument.Status.REVOKED:
            notes.append(str(OutgoingDocument.Status.REVOKED.label))
        yield (
            doc.number_notation,
            doc.issued_date,
            type_and_subject(doc.document_type.name, doc.subject),
            signer,
            places,
            f"{keeper} ({drafter})" if drafter else keeper,
            len(recipients) or None,
            _local_date(doc.issued_at),
            "",
            "; ".join(notes),
        )


def period_label(date_from: dt.date | None, date_to: dt.date | None) -> str:
    """``Năm 2026`` for a calendar year, else ``Từ ngày 01/03/2026 đến ngày 31/03/2026``."""
    if (
        date_from
        and date_to
        and date_from.year == date_to.year
        and (date_from.month, date_from.day, date_to.month, date_to.day) == (1, 1, 12, 31)
    ):
        return f"Năm {date_from.year}"
    parts = []
    if date_from:
        parts.append(f"Từ ngày {date_from:%d/%m/%Y}")
    if date_to:
        parts.append(f"đến ngày {date_to:%d/%m/%Y}")
    text = " ".join(parts) or "Toàn bộ"
    return text[:1].upper() + text[1:]


def _sheet(
    user: Any, register: Register, date_from: dt.date | None, date_to: dt.date | None, direction: str
) -> RegisterSheet:
    incoming = direction == Register.Direction.INCOMING
    make_rows: Callable[..., Iterator[tuple[Value, ...]]] = incoming_rows if incoming else outgoing_rows
    rows = make_rows(user, register, date_from, date_to)  # raises PermissionDenied now
    return RegisterSheet(
        agency=register.agency,
        register=register,
        title=INCOMING_TITLE if incoming else OUTGOING_TITLE,
        period=period_label(date_from, date_to),
        columns=INCOMING_COLUMNS if incoming else OUTGOING_COLUMNS,
        rows=rows,
    )


# --- XLSX ------------------------------------------------------------------------------------------------


def render_xlsx(sheet: RegisterSheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet.title.title()[:31])
    ncols = len(sheet.columns)
    last = get_column_letter(ncols)
    for i, col in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.xlsx_width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "6:7"
    ws.freeze_panes = "A8"
    ws.oddFooter.center.text = "Trang &P/&N"
    for row in range(1, 5):
        ws.merged_cells.add(f"A{row}:{last}{row}")

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre_wrap = Alignment(wrap_text=True, vertical="top", horizontal="center")

    def cell(value: Any, *, font: Any = None, align: Any = None, border: Any = None, fmt: str = "") -> Any:
        c = WriteOnlyCell(ws, value=value)
        if font is not None:
            c.font = font
        if align is not None:
            c.alignment = align
        if border is not None:
            c.border = border
        if fmt:
            c.number_format = fmt
        return c

    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.append([cell(sheet.agency.name.upper(), font=Font(bold=True, size=12))])
    ws.append([cell(sheet.title, font=Font(bold=True, size=16), align=centre)])
    ws.append([cell(sheet.period, font=Font(italic=True, size=12), align=centre)])
    ws.append([cell(f"({sheet.register.name})", font=Font(italic=True, size=11), align=centre)])
    ws.append([])
    header_font = Font(bold=True)
    ws.append([cell(c.header, font=header_font, align=centre, border=box) for c in sheet.columns])
    ws.append([cell(f"({i})", font=Font(italic=True), align=centre, border=box) for i in range(1, ncols + 1)])
    for values in sheet.rows:
        out = []
        for col, value in zip(sheet.columns, values, strict=True):
            if col.kind == "date":
                out.append(cell(value, align=centre_wrap, border=box, fmt="DD/MM/YYYY"))
            elif col.kind == "number":
                out.append(cell(value, align=centre_wrap, border=box))
            else:
                out.append(cell(value or None, align=wrap, border=box))
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- PDF -------------------------------------------------------------------------------------------------

ROWS_PER_TABLE = 8  # small tables: each is laid out about once (a long one is re-wrapped at every page)


def _pdf_text(value: Value, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "date" and isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return escape(str(value)).replace("\n", "<br/>")


def render_pdf(sheet: RegisterSheet) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

    from egov.signing import fonts

    regular, bold, italic = fonts.reportlab_fonts()
    page_w, page_h = landscape(A4)
    left, right, top, bottom = 20 * mm, 10 * mm, 12 * mm, 14 * mm
    widths = [c.pdf_width * mm for c in sheet.columns]

    cell_style = ParagraphStyle("cell", fontName=regular, fontSize=8.5, leading=10.5)
    centre_style = ParagraphStyle("cellc", parent=cell_style, alignment=TA_CENTER)
    head_style = ParagraphStyle("head", parent=centre_style, fontName=bold)
    num_style = ParagraphStyle("num", parent=centre_style, fontName=italic, fontSize=8, leading=9)
    grid = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    header = Table(
        [
            [Paragraph(escape(c.header), head_style) for c in sheet.columns],
            [Paragraph(f"({i})", num_style) for i in range(1, len(sheet.columns) + 1)],
        ],
        colWidths=widths,
        style=TableStyle([*grid, ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
    )
    header_h = header.wrap(page_w - left - right, page_h)[1]

    # (text, font, size, centred): the agency (and the body it belongs to) on the left, the title centred.
    title_lines: list[tuple[str, str, float, bool]] = []
    parent = sheet.agency.parent
    if parent is not None and sheet.agency.kind != Agency.Kind.PROVINCE:
        title_lines.append((parent.name.upper(), regular, 10, False))
    title_lines += [
        (sheet.agency.name.upper(), bold, 10, False),
        ("", regular, 4, False),
        (sheet.title, bold, 15, True),
        (sheet.period, italic, 11, True),
        (f"({sheet.register.name})", italic, 10, True),
        ("", regular, 4, False),
    ]
    title_h = sum(line[2] * 1.35 for line in title_lines)

    def draw_header(canvas: Any, y_top: float) -> None:
        header.wrapOn(canvas, page_w - left - right, page_h)
        header.drawOn(canvas, left, y_top - header_h)

    def first_page(canvas: Any, doc: Any) -> None:
        y = page_h - top
        for text, font, size, centred in title_lines:
            y -= size * 1.35
            if not text:
                continue
            canvas.setFont(font, size)
            if centred:
                canvas.drawCentredString(page_w / 2, y, text)
            else:
                canvas.drawString(left, y, text)
        draw_header(canvas, page_h - top - title_h)

    def later_page(canvas: Any, doc: Any) -> None:
        draw_header(canvas, page_h - top)

    body_h = page_h - top - bottom
    frames = {
        "first": Frame(
            left, bottom, page_w - left - right, body_h - title_h - header_h, 0, 0, 0, 0, id="first"
        ),
        "later": Frame(left, bottom, page_w - left - right, body_h - header_h, 0, 0, 0, 0, id="later"),
    }

    class NumberedCanvas(Canvas):
        """Writes ``Trang x/y`` once the number of pages is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(regular, 9)
                self.drawCentredString(page_w / 2, 7 * mm, f"Trang {self._pageNumber}/{total}")
                super().showPage()
            super().save()

    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=(page_w, page_h),
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=f"{sheet.title} — {sheet.agency.name} — {sheet.period}",
        author="egov",
    )
    doc.addPageTemplates(
        [
            PageTemplate(
                id="first", frames=[frames["first"]], onPage=first_page, autoNextPageTemplate="later"
            ),
            PageTemplate(id="later", frames=[frames["later"]], onPage=later_page),
        ]
    )
    # Dates, numbers and empty cells are plain strings (one line, no wrapping to compute); text wraps.
    plain = [i for i, c in enumerate(sheet.columns) if c.kind in ("date", "number")]
    body_style = TableStyle(
        [
            *grid,
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTSIZE", (0, 0), (-1, -1), cell_style.fontSize),
            ("LEADING", (0, 0), (-1, -1), cell_style.leading),
            *(("ALIGN", (i, 0), (i, -1), "CENTER") for i in plain),
        ]
    )
    story: list[Any] = []
    chunk: list[list[Any]] = []
    count = 0

    def flush() -> None:
        if chunk:
            story.append(Table(list(chunk), colWidths=widths, style=body_style, splitByRow=1))
            chunk.clear()

    def cell(value: Value, column: Column) -> Any:
        if value is None or value == "":
            return ""
        if column.kind in ("date", "number"):
            return f"{value:%d/%m/%Y}" if isinstance(value, dt.date) else str(value)
        return Paragraph(_pdf_text(value, column.kind), cell_style)

    for values in sheet.rows:
        chunk.append([cell(v, c) for v, c in zip(values, sheet.columns, strict=True)])
        count += 1
        if len(chunk) >= ROWS_PER_TABLE:
            flush()
    flush()
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            escape(
                _("Sổ gồm %(n)s văn bản. In ngày %(d)s.")
                % {"n": count, "d": f"{timezone.localdate():%d/%m/%Y}"}
            ),
            ParagraphStyle("foot", parent=cell_style, fontName=italic),
        )
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


# --- public interface ------------------------------------------------------------------------------------


def incoming_register_xlsx(user: Any, register: Register, date_from: Any, date_to: Any) -> bytes:
    return render_xlsx(_sheet(user, register, date_from, date_to, Register.Direction.INCOMING))


def incoming_register_pdf(user: Any, register: Register, date_from: Any, date_to: Any) -> bytes:
    return render_pdf(_sheet(user, register, date_from, date_to, Register.Direction.INCOMING))


def outgoing_register_xlsx(user: Any, register: Register, date_from: Any, date_to: Any) -> bytes:
    return render_xlsx(_sheet(user, register, date_from, date_to, Register.Direction.OUTGOING))


def outgoing_register_pdf(user: Any, register: Register, date_from: Any, date_to: Any) -> bytes:
    return render_pdf(_sheet(user, register, date_from, date_to, Register.Direction.OUTGOING))


def export(user: Any, register: Register, date_from: Any, date_to: Any, fmt: str) -> bytes:
    """The register in ``fmt`` (``xlsx`` or ``pdf``), whichever direction it is."""
    functions: dict[tuple[str, str], Callable[[Any, Register, Any, Any], bytes]] = {
        (Register.Direction.INCOMING, "xlsx"): incoming_register_xlsx,
        (Register.Direction.INCOMING, "pdf"): incoming_register_pdf,
        (Register.Direction.OUTGOING, "xlsx"): outgoing_register_xlsx,
        (Register.Direction.OUTGOING, "pdf"): outgoing_register_pdf,
    }
    try:
        function = functions[(register.direction, fmt)]
    except KeyError:
        raise ValidationError({"format": _("Định dạng phải là xlsx hoặc pdf.")}) from None
    return function(user, register, date_from, date_to)


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filename(register: Register, date_from: Any, date_to: Any, fmt: str) -> str:
    """``so-van-ban-den-SNV-2026-01-01-2026-12-31.xlsx``."""
    kind = "den" if register.direction == Register.Direction.INCOMING else "di"
    secret = "-mat" if register.is_secret else ""
    short = register.agency.short_name or str(register.agency_id)
    span = "-".join(str(d) for d in (date_from, date_to) if d)
    return f"so-van-ban-{kind}{secret}-{short}{'-' + span if span else ''}.{fmt}"
