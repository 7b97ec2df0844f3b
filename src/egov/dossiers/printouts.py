"""Mẫu phiếu của Bộ phận Một cửa (Thông tư 03/2025/TT-VPCP, Phụ lục I; earlier Thông tư 01/2018/TT-VPCP).

* 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả;
* 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ;
* 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ;
* 04 Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (phiếu xin lỗi và hẹn lại ngày trả kết quả);
* 05 Thông báo dừng giải quyết hồ sơ;
* 06 Phiếu kiểm soát quá trình giải quyết hồ sơ;
* 07 Sổ theo dõi hồ sơ (XLSX and PDF).

Forms 01–06 are A4 PDFs with a text layer, in the Vietnamese administrative layout (agency top left, national
motto top right, place and date, title, body, signature block) and a QR code that opens the dossier's
public status page (``{SITE_URL}/dich-vu-cong/tra-cuu/<mã hồ sơ>/``). The fonts are those of
:mod:`egov.signing.fonts` (Times New Roman or a free font with every Vietnamese letter).

Callers check permissions (the staff views pass a dossier from :func:`egov.dossiers.selectors.dossier_get`);
this module only reads.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from egov.directory.models import Agency
from egov.dossiers.models import Apology, Dossier, DossierEvent, DossierStep, Status, SupplementRequest
from egov.procedures.models import Channel

if TYPE_CHECKING:
    from PIL.Image import Image

#: The forms :func:`form_pdf` renders, with their titles (Phụ lục I of Thông tư 03/2025/TT-VPCP).
FORMS: dict[str, str] = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    "05": "Thông báo dừng giải quyết hồ sơ",
    "06": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}
BOOK_TITLE = "Sổ theo dõi hồ sơ"
BOOK_COLUMNS: tuple[tuple[str, float, float], ...] = (
    # (header, XLSX width in characters, PDF width in mm) — landscape A4 leaves 267 mm.
    ("STT", 6, 10),
    ("Mã hồ sơ", 24, 44),
    ("Tên thủ tục hành chính", 40, 40),
    ("Chủ hồ sơ", 24, 28),
    ("Địa chỉ, số điện thoại", 32, 33),
    ("Ngày nhận hồ sơ", 13, 20),
    ("Ngày hẹn trả kết quả", 13, 20),
    ("Ngày chuyển hồ sơ", 13, 20),
    ("Ngày trả kết quả", 13, 20),
    ("Ghi chú", 30, 32),
)
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
QR_BOX = 4  # pixels per module of the embedded QR image
QR_BORDER = 2  # quiet zone, in modules


# --- helpers -------------------------------------------------------------------------------------------


def status_url(code: str) -> str:
    """The public status page of a dossier (``portal:status``), built from ``SITE_URL`` so a printout made
    before the portal route exists still carries the right address."""
    return f"{settings.SITE_URL.rstrip('/')}/dich-vu-cong/tra-cuu/{quote(code, safe='')}/"


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR code of ``data`` as modules (True = dark), quiet zone included."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=QR_BOX, border=QR_BORDER)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(map(bool, row)) for row in qr.get_matrix()]


def qr_image(data: str) -> Image:
    """A black-and-white image of :func:`qr_matrix` (``QR_BOX`` pixels per module)."""
    from PIL import Image as PILImage

    matrix = qr_matrix(data)
    size = len(matrix) * QR_BOX
    image = PILImage.new("L", (size, size), 255)
    pixels = image.load()
    assert pixels is not None
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                for dy in range(QR_BOX):
                    for dx in range(QR_BOX):
                        pixels[c * QR_BOX + dx, r * QR_BOX + dy] = 0
    return image


def place_of(agency: Agency) -> str:
    """The place name of the place-and-date line: ``Cần Thơ`` for any agency under Ủy ban nhân dân thành phố
    Cần Thơ; the agency's own locality (commune, province) otherwise."""
    chain = [agency, *reversed(list(agency.ancestors()))]
    wanted = next((a for a in chain if a.kind == Agency.Kind.PROVINCE), None)
    wanted = wanted or next((a for a in chain if a.kind in (Agency.Kind.COMMUNE, Agency.Kind.DISTRICT)), None)
    if wanted is None:
        return ""
    name = wanted.name
    for prefix in ("Ủy ban nhân dân ", "Uỷ ban nhân dân ", "UBND "):
        name = name.removeprefix(prefix)
    lowered = name.lower()
    for prefix in ("thành phố ", "tỉnh ", "xã ", "phường ", "thị trấn ", "đặc khu ", "huyện ", "quận "):
        if lowered.startswith(prefix):
            return name[len(prefix) :].strip()
    return name.strip()


def date_line(place: str, moment: dt.datetime | dt.date | None) -> str:
    """``Cần Thơ, ngày 22 tháng 11 năm 2026`` (days below 10 and months 1–2 zero-padded, Nghị định 30)."""
    if moment is None:
        moment = timezone.localdate()
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    month = f"{moment.month:02d}" if moment.month < 3 else str(moment.month)
    text = f"ngày {moment.day:02d} tháng {month} năm {moment.year}"
    return f"{place}, {text}" if place else text[:1].upper() + text[1:]


def _day(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    return moment.strftime("%d/%m/%Y")


def _moment(moment: dt.datetime | None) -> str:
    """``09 giờ 30 phút, ngày 22/11/2026``."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _short(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def _days(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",")


def on_time_mark(
    finished: dt.datetime | None, due: dt.datetime | None, now: dt.datetime | None = None
) -> str:
    """Trước hạn / Đúng hạn / Quá hạn for a finished step (Phiếu kiểm soát); for a running one, Quá hạn
    once the due time has passed, else Đang xử lý."""
    if due is None:
        return "Đã xong" if finished else ""
    if finished is None:
        return "Quá hạn (đang xử lý)" if (now or timezone.now()) > due else "Đang xử lý"
    if finished > due:
        return "Quá hạn"
    if timezone.localtime(finished).date() < timezone.localtime(due).date():
        return "Trước hạn"
    return "Đúng hạn"


def _paper_form(paper: Any) -> tuple[str, int]:
    """(``Bản chính`` / ``Bản sao`` / ``Bản điện tử`` …, number of copies) of one received paper."""
    if paper.file_id:
        return "Bản điện tử", paper.quantity
    required = paper.required_paper
    if required is None:
        return "Bản giấy", paper.quantity
    parts = []
    if required.originals:
        parts.append(f"Bản chính: {required.originals:02d}")
    if required.copies:
        parts.append(f"Bản sao: {required.copies:02d}")
    return ("; ".join(parts) or "Bản giấy"), max(paper.quantity, (required.originals or 0) + required.copies)


def _actor_of(dossier: Dossier, kind: str) -> str:
    event = DossierEvent.objects.filter(dossier=dossier, kind=kind).order_by("-at", "-id").first()
    if event is None:
        return ""
    if event.actor_name:
        return event.actor_name
    return event.actor.get_full_name() if event.actor is not None else ""


def _name(user: Any) -> str:
    return user.get_full_name() if user is not None else ""


# --- layout -------------------------------------------------------------------------------------------


@dataclass
class _Kit:
    """The fonts and paragraph styles of one document."""

    regular: str
    bold: str
    italic: str
    styles: dict[str, Any]


def _kit() -> _Kit:
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle

    from egov.signing import fonts

    regular, bold, italic = fonts.reportlab_fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=12.5, leading=17, alignment=TA_JUSTIFY)
    styles = {
        "body": body,
        "indent": ParagraphStyle("indent", parent=body, firstLineIndent=10 * 2.8346),
        "head_left": ParagraphStyle("hl", fontName=regular, fontSize=11, leading=13.5, alignment=TA_CENTER),
        "head_left_bold": ParagraphStyle(
            "hlb", fontName=bold, fontSize=11, leading=13.5, alignment=TA_CENTER
        ),
        "motto": ParagraphStyle("motto", fontName=bold, fontSize=11.5, leading=14, alignment=TA_CENTER),
        "motto2": ParagraphStyle("motto2", fontName=bold, fontSize=12.5, leading=15, alignment=TA_CENTER),
        "date": ParagraphStyle("date", fontName=italic, fontSize=12, leading=15, alignment=TA_CENTER),
        "code": ParagraphStyle("code", fontName=regular, fontSize=9.5, leading=12, alignment=TA_CENTER),
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("sub", fontName=italic, fontSize=12, leading=15, alignment=TA_CENTER),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=10, leading=12.5, alignment=TA_LEFT),
        "cell_c": ParagraphStyle("cellc", fontName=regular, fontSize=10, leading=12.5, alignment=TA_CENTER),
        "cell_h": ParagraphStyle("cellh", fontName=bold, fontSize=10, leading=12.5, alignment=TA_CENTER),
        "cell_i": ParagraphStyle("celli", fontName=italic, fontSize=9, leading=11, alignment=TA_LEFT),
        "sign": ParagraphStyle("sign", fontName=bold, fontSize=12, leading=15, alignment=TA_CENTER),
        "sign_note": ParagraphStyle("signn", fontName=italic, fontSize=11, leading=14, alignment=TA_CENTER),
        "small": ParagraphStyle("small", fontName=regular, fontSize=9.5, leading=12, alignment=TA_LEFT),
        "small_i": ParagraphStyle("smalli", fontName=italic, fontSize=9.5, leading=12, alignment=TA_LEFT),
        "book": ParagraphStyle("book", fontName=regular, fontSize=8.5, leading=10.5, alignment=TA_LEFT),
        "book_c": ParagraphStyle("bookc", fontName=regular, fontSize=8.5, leading=10.5, alignment=TA_CENTER),
        "book_code": ParagraphStyle("bookcode", fontName=regular, fontSize=8, leading=10, alignment=TA_LEFT),
        "book_i": ParagraphStyle("booki", fontName=italic, fontSize=8, leading=10, alignment=TA_LEFT),
    }
    return _Kit(regular, bold, italic, styles)


def _p(kit: _Kit, text: str, style: str = "body") -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(text, kit.styles[style])


def _t(text: Any) -> str:
    """Escape user text for a reportlab paragraph."""
    return escape(str(text or "")).replace("\n", "<br/>")


def _header_names(agency: Agency) -> tuple[str, str]:
    """(the body the agency belongs to, the agency) in upper case for the top-left corner."""
    org = agency.organisation()
    upper = ""
    if agency.kind == Agency.Kind.UNIT and org.pk != agency.pk:
        upper = org.name
    elif org.parent_id is not None and org.kind not in (Agency.Kind.PROVINCE, Agency.Kind.MINISTRY):
        parent = org.parent
        assert parent is not None
        upper = parent.name
    return upper.upper(), agency.name.upper()


def _header(kit: _Kit, agency: Agency, place_date: str, number: str, width: float) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Paragraph, Table, TableStyle

    upper, name = _header_names(agency)
    left: list[Any] = []
    if upper:
        left.append(_p(kit, _t(upper), "head_left"))
    left.append(_p(kit, _t(name), "head_left_bold"))
    left.append(HRFlowable(width=25 * mm, thickness=0.6, color="black", spaceBefore=1, spaceAfter=4))
    if number:
        left.append(_p(kit, _t(number), "code"))
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth

    left_w = 0.38 * width
    # The national motto stays on one line: the font shrinks to the column (DejaVu Serif is wide).
    size = min(12.0, (width - left_w - 4) / stringWidth(MOTTO[0], kit.bold, 1))
    motto = ParagraphStyle("motto_fit", parent=kit.styles["motto"], fontSize=size, leading=size * 1.25)
    right: list[Any] = [
        Paragraph(MOTTO[0], motto),
        _p(kit, MOTTO[1], "motto2"),
        HRFlowable(width=55 * mm, thickness=0.6, color="black", spaceBefore=1, spaceAfter=4),
        _p(kit, _t(place_date), "date"),
    ]
    table = Table([[left, right]], colWidths=[left_w, width - left_w])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table]


def _title(kit: _Kit, title: str, subtitle: str = "") -> list[Any]:
    from reportlab.platypus import Spacer

    out = [Spacer(1, 14), _p(kit, _t(title.upper()), "title")]
    if subtitle:
        out.append(_p(kit, _t(subtitle), "subtitle"))
    out.append(Spacer(1, 10))
    return out


def _qr_block(kit: _Kit, code: str, width: float) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Spacer, Table, TableStyle

    url = status_url(code)
    buffer = io.BytesIO()
    qr_image(url).save(buffer, format="PNG")
    buffer.seek(0)
    side = 26 * mm
    image = Image(buffer, width=side, height=side)
    text = [
        _p(kit, "Tra cứu tình trạng giải quyết hồ sơ: quét mã QR hoặc truy cập", "small"),
        _p(kit, f'<link href="{_t(url)}">{_t(url)}</link>', "small_i"),
        _p(kit, f"Mã hồ sơ: <b>{_t(code)}</b>", "small"),
    ]
    table = Table([[image, text]], colWidths=[side + 4 * mm, width - side - 4 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Spacer(1, 8), table]


def _signatures(kit: _Kit, blocks: Sequence[tuple[str, str, str]], width: float) -> list[Any]:
    """Signature blocks side by side: (title, note, name)."""
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    cells = []
    for title, note, name in blocks:
        cell: list[Any] = [_p(kit, _t(title.upper()), "sign")]
        if note:
            cell.append(_p(kit, _t(note), "sign_note"))
        cell.append(Spacer(1, 60))
        cell.append(_p(kit, _t(name), "sign"))
        cells.append(cell)
    if len(cells) == 1:
        cells.insert(0, [])
    columns = len(cells)
    table = Table([cells], colWidths=[width / columns] * columns)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(1, 12), KeepTogether([table])]


def _grid(kit: _Kit, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data: list[list[Any]] = [[_p(kit, _t(h), "cell_h") for h in header]]
    for row in rows:
        data.append([cell if not isinstance(cell, str) else _p(kit, _t(cell), "cell") for cell in row])
    table = Table(data, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _build(title: str, author: str, story: list[Any], *, landscape_page: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    kit = _kit()
    buffer = io.BytesIO()
    size = landscape(A4) if landscape_page else A4

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(kit.italic, 8.5)
        canvas.drawRightString(size[0] - 15 * mm, 10 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=(20 if landscape_page else 30) * mm,
        rightMargin=(10 if landscape_page else 15) * mm,
        topMargin=(15 if landscape_page else 20) * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        creator="egov",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _frame_width(landscape_page: bool = False) -> float:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm

    if landscape_page:
        return float(landscape(A4)[0] - 30 * mm)
    return float(A4[0] - 45 * mm)


# --- forms 01–06 ----------------------------------------------------------------------------------------


def _applicant_lines(kit: _Kit, d: Dossier) -> list[Any]:
    who = "Tổ chức" if d.applicant_kind == Dossier.ApplicantKind.ORGANISATION else "Ông/Bà"
    lines = [_p(kit, f"{who}: <b>{_t(d.applicant_name)}</b>")]
    if d.applicant_identity:
        lines.append(_p(kit, f"Số định danh cá nhân (CCCD): {_t(d.applicant_identity)}"))
    if d.applicant_address:
        lines.append(_p(kit, f"Địa chỉ: {_t(d.applicant_address)}"))
    contact = []
    if d.applicant_phone:
        contact.append(f"Số điện thoại: {_t(d.applicant_phone)}")
    if d.applicant_email:
        contact.append(f"Thư điện tử: {_t(d.applicant_email)}")
    if contact:
        lines.append(_p(kit, "; ".join(contact)))
    return lines


def _procedure_line(kit: _Kit, d: Dossier) -> Any:
    text = f"Nội dung yêu cầu giải quyết: {_t(d.procedure.name)} (mã thủ tục {_t(d.procedure.code)})"
    if d.description:
        text += f". {_t(d.description)}"
    return _p(kit, text)


def _dossier_facts(d: Dossier) -> Dossier:
    return (
        Dossier.objects.select_related("procedure", "receiving_agency", "received_by", "owner")
        .filter(pk=d.pk)
        .get()
    )


def _form_01(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    from reportlab.lib.units import mm

    story: list[Any] = [_p(kit, "(Liên: Lưu / Giao người nộp hồ sơ)", "subtitle")]
    story.append(
        _p(
            kit,
            f"{_t(d.receiving_agency.name)} — Bộ phận Tiếp nhận và Trả kết quả đã tiếp nhận hồ sơ của:",
            "indent",
        )
    )
    story += _applicant_lines(kit, d)
    story.append(_procedure_line(kit, d))
    story.append(_p(kit, "1. Thành phần hồ sơ và số lượng mỗi loại giấy tờ gồm:"))
    papers = list(d.papers.select_related("required_paper").order_by("id"))
    rows = []
    for i, paper in enumerate(papers, start=1):
        form, count = _paper_form(paper)
        rows.append([_p(kit, str(i), "cell_c"), paper.name, form, _p(kit, f"{count:02d}", "cell_c")])
    if rows:
        story.append(
            _grid(
                kit,
                ["TT", "Tên giấy tờ", "Hình thức (bản chính, bản sao, bản điện tử)", "Số lượng"],
                rows,
                [10 * mm, width - 80 * mm, 50 * mm, 20 * mm],
            )
        )
    else:
        story.append(_p(kit, "(Không có giấy tờ kèm theo.)"))
    story.append(_p(kit, "2. Số lượng hồ sơ: 01 (bộ)"))
    story.append(
        _p(kit, f"3. Thời gian giải quyết hồ sơ theo quy định: {_days(d.processing_days)} ngày làm việc")
    )
    story.append(_p(kit, f"4. Thời gian nhận hồ sơ: {_moment(d.received_at or d.submitted_at)}"))
    story.append(_p(kit, f"5. Thời gian trả kết quả giải quyết hồ sơ: {_moment(d.due_at)}"))
    returning = Dossier.ReturnMethod(d.return_method).label if d.return_method else "Bộ phận Một cửa"
    story.append(_p(kit, f"6. Đăng ký nhận kết quả tại: {_t(returning)}"))
    story.append(
        _p(kit, f"7. Kênh nộp hồ sơ: {_t(Channel(d.channel).label)}; ngày nộp: {_moment(d.submitted_at)}")
    )
    if d.fee_amount:
        story.append(_p(kit, f"8. Phí, lệ phí: {d.fee_amount:,} đồng".replace(",", ".")))
    story += _qr_block(kit, d.code, width)
    story += _signatures(
        kit,
        [
            ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", d.applicant_name),
            ("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", _name(d.received_by)),
        ],
        width,
    )
    return story, d.received_at or d.submitted_at


def _form_02(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    request = (
        SupplementRequest.objects.select_related("requested_by")
        .filter(dossier=d)
        .order_by("-requested_at", "-id")
        .first()
    )
    story: list[Any] = [
        _p(
            kit,
            f"Ngày {_day(d.received_at or d.submitted_at)}, {_t(d.receiving_agency.name)} tiếp nhận hồ sơ "
            f"mã số <b>{_t(d.code)}</b> của:",
            "indent",
        )
    ]
    story += _applicant_lines(kit, d)
    story.append(_procedure_line(kit, d))
    story.append(_p(kit, "Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:"))
    if request is None:
        story.append(_p(kit, "(Chưa có yêu cầu bổ sung.)"))
    else:
        for i, paper in enumerate(request.papers or [], start=1):
            story.append(_p(kit, f"{i}. {_t(paper)}"))
        story.append(_p(kit, f"Lý do: {_t(request.reason)}"))
        story.append(_p(kit, f"Thời điểm yêu cầu: {_moment(request.requested_at)}"))
        if request.provided_at:
            story.append(_p(kit, f"Đã bổ sung lúc: {_moment(request.provided_at)}"))
    contact = d.receiving_agency.phone
    story.append(
        _p(
            kit,
            "Thời gian giải quyết hồ sơ tạm dừng từ khi có yêu cầu này đến khi nhận đủ giấy tờ bổ sung. "
            "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "
            f"{_t(d.receiving_agency.name)}"
            + (f", số điện thoại {_t(contact)}" if contact else "")
            + " để được hướng dẫn./.",
            "indent",
        )
    )
    story += _qr_block(kit, d.code, width)
    story += _signatures(
        kit,
        [("Người hướng dẫn", "(Ký và ghi rõ họ tên)", _name(request.requested_by) if request else "")],
        width,
    )
    return story, request.requested_at if request else None


def _form_03(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    story: list[Any] = [
        _p(
            kit,
            f"{_t(d.receiving_agency.name)} — Bộ phận Tiếp nhận và Trả kết quả nhận được hồ sơ mã số "
            f"<b>{_t(d.code)}</b> ngày {_day(d.submitted_at)} của:",
            "indent",
        )
    ]
    story += _applicant_lines(kit, d)
    story.append(_procedure_line(kit, d))
    story.append(
        _p(
            kit,
            "Qua xem xét, cơ quan thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
            "indent",
        )
    )
    story.append(_p(kit, f"<b>{_t(d.end_reason) or '…'}</b>", "indent"))
    story.append(_p(kit, "Xin thông báo để Ông/Bà được biết và thực hiện./.", "indent"))
    story += _qr_block(kit, d.code, width)
    story += _signatures(
        kit, [("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", _actor_of(d, "refused"))], width
    )
    return story, d.finished_at


def _form_04(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    from reportlab.platypus import Spacer

    apology = (
        Apology.objects.select_related("issuing_agency").filter(dossier=d).order_by("-issued_at").first()
    )
    agency_name = apology.issuing_agency.name if apology else d.receiving_agency.name
    story: list[Any] = [
        _p(kit, f"Kính gửi: <b>{_t(d.applicant_name)}</b>", "centre"),
        Spacer(1, 6),
        _p(
            kit,
            f"Ngày {_day(d.received_at or d.submitted_at)}, {_t(d.receiving_agency.name)} tiếp nhận giải "
            f"quyết hồ sơ mã số <b>{_t(d.code)}</b> của Ông/Bà, nội dung: {_t(d.procedure.name)}.",
            "indent",
        ),
    ]
    if apology is None:
        story.append(_p(kit, "(Chưa có văn bản xin lỗi cho hồ sơ này.)", "indent"))
        return story, None
    story += [
        _p(
            kit,
            f"Thời hạn trả kết quả giải quyết hồ sơ theo giấy hẹn: {_moment(apology.old_due_at)}, nhưng đến "
            f"nay {_t(agency_name)} chưa trả kết quả giải quyết hồ sơ cho Ông/Bà được.",
            "indent",
        ),
        _p(kit, f"Lý do: {_t(apology.reason)}", "indent"),
        _p(
            kit,
            f"Sự chậm trễ này đã gây phiền hà, tốn kém chi phí đi lại của Ông/Bà. {_t(agency_name)} xin lỗi "
            "Ông/Bà và đề nghị gia hạn thời gian giải quyết; kết quả giải quyết hồ sơ sẽ được trả cho Ông/Bà "
            f"vào <b>{_moment(apology.new_due_at)}</b>.",
            "indent",
        ),
        _p(kit, "Kính mong nhận được sự thông cảm của Ông/Bà./.", "indent"),
    ]
    story += _qr_block(kit, d.code, width)
    story += _signatures(
        kit,
        [(apology.issuer_title or "Thủ trưởng cơ quan, đơn vị", "(Ký, ghi rõ họ tên)", apology.issuer_name)],
        width,
    )
    return story, apology.issued_at


def _form_05(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    story: list[Any] = [
        _p(
            kit,
            f"Ngày {_day(d.received_at or d.submitted_at)}, {_t(d.receiving_agency.name)} tiếp nhận hồ sơ mã "
            f"số <b>{_t(d.code)}</b> của:",
            "indent",
        )
    ]
    story += _applicant_lines(kit, d)
    story.append(_procedure_line(kit, d))
    if d.status == Status.STOPPED:
        story.append(
            _p(
                kit,
                f"Cơ quan thông báo dừng giải quyết hồ sơ nêu trên kể từ {_moment(d.finished_at)}, lý do:",
                "indent",
            )
        )
        story.append(_p(kit, f"<b>{_t(d.end_reason) or '…'}</b>", "indent"))
    else:
        story.append(
            _p(
                kit,
                f"Hồ sơ đang ở trạng thái: {_t(Status(d.status).label)} (chưa dừng giải quyết).",
                "indent",
            )
        )
    story.append(
        _p(
            kit,
            "Giấy tờ đã nộp được trả lại theo yêu cầu của Ông/Bà; phí, lệ phí đã nộp (nếu có) được xử lý "
            "theo quy định. Xin thông báo để Ông/Bà được biết./.",
            "indent",
        )
    )
    story += _qr_block(kit, d.code, width)
    story += _signatures(
        kit,
        [("Thủ trưởng cơ quan, đơn vị", "(Ký, ghi rõ họ tên)", _actor_of(d, "stopped"))],
        width,
    )
    return story, d.finished_at if d.status == Status.STOPPED else None


def _handlings(d: Dossier) -> list[tuple[DossierStep, int]]:
    """The dossier's step rows in the order they were handled, each with its round (lần xử lý) at its process
    step. A step returned to the previous one (trả lại bước trước) keeps its row, closed as returned; the
    previous step and the returned one are played again in new rows (``services.return_to_previous_step``).
    The paper form has one line per handling, with its own times: so the rows follow one another as they
    happened (by the time each was received, then the steps still to come in process order), and a step
    handled again is marked as its second (third…) round, never shown as a duplicate of the first."""
    steps = DossierStep.objects.select_related("agency", "handler", "finished_by").filter(dossier=d)
    ordered = sorted(
        steps,
        key=lambda s: (
            s.started_at is None,
            s.started_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            s.order,
            s.pk,
        ),
    )
    rounds: dict[int, int] = {}
    out = []
    for step in ordered:
        rounds[step.order] = rounds.get(step.order, 0) + 1
        out.append((step, rounds[step.order]))
    return out


def control_rows(d: Dossier, now: dt.datetime | None = None) -> list[dict[str, str]]:
    """The lines of the processing control sheet (mẫu 06): reception, each handling of a step in the order
    it happened (:func:`_handlings`: its handler, the times it was received, due and finished, and the
    on-time mark, or "Trả lại bước trước" with the reason for a step returned to the previous one),
    supplement pauses and the return."""
    rows = [
        {
            "step": "Tiếp nhận hồ sơ",
            "agency": d.receiving_agency.name,
            "handler": _name(d.received_by),
            "received": _short(d.submitted_at),
            "due": "",
            "finished": _short(d.received_at),
            "mark": "Đã tiếp nhận" if d.received_at else "Chưa tiếp nhận",
            "note": str(Channel(d.channel).label),
        }
    ]
    marks = {
        DossierStep.State.CANCELLED: "Đã hủy",
        DossierStep.State.PENDING: "Chưa đến lượt",
        DossierStep.State.RETURNED: "Trả lại bước trước",
    }
    for step, round_ in _handlings(d):
        handler = step.finished_by or step.handler
        mark = marks.get(DossierStep.State(step.state), "")
        rows.append(
            {
                "step": f"{step.order}. {step.name}" + (f" (lần {round_})" if round_ > 1 else ""),
                "agency": step.agency.name,
                "handler": _name(handler),
                "received": _short(step.started_at),
                "due": _short(step.due_at),
                "finished": _short(step.finished_at),
                "mark": mark or on_time_mark(step.finished_at, step.due_at, now),
                "note": step.note,
            }
        )
    for request in SupplementRequest.objects.select_related("requested_by").filter(dossier=d):
        rows.append(
            {
                "step": "Yêu cầu bổ sung hồ sơ",
                "agency": d.receiving_agency.name,
                "handler": _name(request.requested_by),
                "received": _short(request.requested_at),
                "due": "",
                "finished": _short(request.provided_at),
                "mark": f"Tạm dừng {request.paused_working_days} ngày"
                if request.provided_at
                else "Chờ bổ sung",
                "note": request.reason,
            }
        )
    if d.finished_at is not None or d.returned_at is not None:
        rows.append(
            {
                "step": "Trả kết quả" if d.status == Status.RETURNED else "Kết thúc xử lý",
                "agency": d.receiving_agency.name,
                "handler": "",
                "received": _short(d.finished_at),
                "due": _short(d.due_at),
                "finished": _short(d.returned_at or d.finished_at),
                "mark": ("" if d.is_on_time is None else ("Đúng hạn" if d.is_on_time else "Quá hạn")),
                "note": str(Status(d.status).label),
            }
        )
    return rows


def _form_06(kit: _Kit, d: Dossier, width: float) -> tuple[list[Any], dt.datetime | None]:
    from reportlab.lib.units import mm

    story: list[Any] = [
        _p(kit, f"Mã hồ sơ: <b>{_t(d.code)}</b>"),
        _p(kit, f"(Kèm theo hồ sơ của: {_t(d.applicant_name)})"),
        _p(kit, f"Thủ tục: {_t(d.procedure.name)} (mã {_t(d.procedure.code)})"),
        _p(kit, f"Cơ quan tiếp nhận: {_t(d.receiving_agency.name)}"),
        _p(
            kit,
            f"Ngày nhận: {_moment(d.received_at or d.submitted_at)}; ngày hẹn trả: {_moment(d.due_at)}"
            + (
                f" (hẹn ban đầu: {_day(d.original_due_at)})"
                if d.original_due_at and d.original_due_at != d.due_at
                else ""
            ),
        ),
    ]
    rows = []
    for i, row in enumerate(control_rows(d), start=1):
        step = _p(kit, f"<b>{_t(row['step'])}</b><br/>{_t(row['agency'])}", "cell")
        note = [step]
        if row["note"]:
            note.append(_p(kit, _t(row["note"]), "cell_i"))
        rows.append(
            [
                _p(kit, str(i), "cell_c"),
                note,
                row["handler"],
                _p(kit, _t(row["received"]).replace(" ", "<br/>", 1), "cell_c"),
                _p(kit, _t(row["due"]).replace(" ", "<br/>", 1), "cell_c"),
                _p(kit, _t(row["finished"]).replace(" ", "<br/>", 1), "cell_c"),
                _p(kit, _t(row["mark"]), "cell_c"),
            ]
        )
    fixed = [8 * mm, 28 * mm, 21 * mm, 21 * mm, 21 * mm, 20 * mm]
    story.append(
        _grid(
            kit,
            ["TT", "Bước xử lý, cơ quan", "Người xử lý", "Nhận", "Hạn xử lý", "Hoàn thành", "Kết quả"],
            rows,
            [fixed[0], width - sum(fixed), *fixed[1:]],
        )
    )
    summary = "Chưa kết thúc"
    if d.is_on_time is not None:
        summary = "Đúng hạn" if d.is_on_time else "Quá hạn"
    story.append(_p(kit, f"Trạng thái: {_t(Status(d.status).label)}; kết quả giải quyết: {summary}."))
    story += _qr_block(kit, d.code, width)
    return story, None


_RENDERERS = {"01": _form_01, "02": _form_02, "03": _form_03, "04": _form_04, "05": _form_05, "06": _form_06}


def available_forms(dossier: Dossier) -> list[str]:
    """The printed forms that exist for ``dossier``, in order — the one rule for the officer page, the API and
    the citizen portal: 01 (giấy tiếp nhận) and 06 (phiếu kiểm soát) once received, 02 after a supplement
    request, 03 when refused, 04 after an apology, 05 when stopped. A form whose event never happened is not
    offered (and its download is a 404)."""
    received = dossier.received_at is not None
    wanted = {
        "01": received,
        "02": SupplementRequest.objects.filter(dossier=dossier).exists(),
        "03": dossier.status == Status.REFUSED,
        "04": Apology.objects.filter(dossier=dossier).exists(),
        "05": dossier.status == Status.STOPPED,
        "06": received,
    }
    return [code for code, present in wanted.items() if present]


def form_pdf(dossier: Dossier, form: str) -> bytes:
    """Mẫu ``form`` ("01"–"06") of ``dossier`` as a PDF. Unknown form codes raise ``ValueError``."""
    if form not in _RENDERERS:
        raise ValueError(f"Unknown form {form!r}: expected one of {', '.join(_RENDERERS)}")
    d = _dossier_facts(dossier)
    kit = _kit()
    width = _frame_width()
    body, moment = _RENDERERS[form](kit, d, width)
    agency = d.receiving_agency
    if form == "04":
        apology = (
            Apology.objects.select_related("issuing_agency").filter(dossier=d).order_by("-issued_at").first()
        )
        if apology is not None:
            agency = apology.issuing_agency
    story = _header(kit, agency, date_line(place_of(agency), moment), f"Mã hồ sơ: {d.code}", width)
    story += _title(kit, FORMS[form])
    story += body
    return _build(f"Mẫu {form} — {FORMS[form]} — {d.code}", agency.name, story)


# --- form 07: the dossier book ------------------------------------------------------------------------


def _range(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def book_rows(agency: Agency, date_from: dt.date, date_to: dt.date) -> list[list[Any]]:
    """The lines of the dossier book (mẫu 07): every dossier the agency received (submitted) in the range,
    oldest first, as values of :data:`BOOK_COLUMNS` (dates as :class:`datetime.date`)."""
    if date_to < date_from:
        raise ValueError("date_to before date_from")
    start, end = _range(date_from, date_to)
    first_step = (
        DossierStep.objects.filter(dossier=OuterRef("pk"), started_at__isnull=False)
        .order_by()
        .values("dossier")
        .annotate(first=Min("started_at"))
        .values("first")
    )
    apologies = (
        Apology.objects.filter(dossier=OuterRef("pk"))
        .order_by()
        .values("dossier")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = (
        Dossier.objects.filter(receiving_agency=agency, submitted_at__gte=start, submitted_at__lt=end)
        .select_related("procedure")
        .annotate(forwarded_at=Subquery(first_step), apology_count=Subquery(apologies))
        .order_by("submitted_at", "id")
    )

    def local(moment: dt.datetime | None) -> dt.date | None:
        return timezone.localtime(moment).date() if moment else None

    rows: list[list[Any]] = []
    for i, d in enumerate(qs.iterator(chunk_size=2000), start=1):
        contact = "; ".join(x for x in (d.applicant_address, d.applicant_phone) if x)
        notes = [str(Status(d.status).label), str(Channel(d.channel).label)]
        if d.is_on_time is False:
            notes.append("Quá hạn")
        elif d.is_on_time:
            notes.append("Đúng hạn")
        if d.apology_count:
            notes.append(f"Đã xin lỗi, hẹn lại ngày {_day(d.due_at)}")
        if d.supplement_count:
            notes.append(f"Bổ sung {d.supplement_count} lần")
        if d.status in (Status.REFUSED, Status.STOPPED, Status.WITHDRAWN) and d.end_reason:
            notes.append(d.end_reason)
        rows.append(
            [
                i,
                d.code,
                d.procedure.name,
                d.applicant_name,
                contact,
                local(d.received_at or d.submitted_at),
                local(d.due_at),
                local(d.forwarded_at),
                local(d.returned_at),
                "; ".join(notes),
            ]
        )
    return rows


def _period(date_from: dt.date, date_to: dt.date) -> str:
    return f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}"


def dossier_book_xlsx(agency: Agency, date_from: dt.date, date_to: dt.date) -> bytes:
    """Sổ theo dõi hồ sơ (mẫu 07) of ``agency`` for the dossiers submitted from ``date_from`` to
    ``date_to`` (inclusive), as an XLSX workbook: heading rows, the column headers on row 6, the column
    numbers on row 7 and one row per dossier from row 8."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    rows = book_rows(agency, date_from, date_to)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(BOOK_TITLE)
    ncols = len(BOOK_COLUMNS)
    last = get_column_letter(ncols)
    for i, (_, width, _pdf) in enumerate(BOOK_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
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
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

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

    upper, name = _header_names(agency)
    ws.append([cell(f"{upper} — {name}" if upper else name, font=Font(bold=True, size=12))])
    ws.append([cell(BOOK_TITLE.upper(), font=Font(bold=True, size=16), align=centre)])
    ws.append([cell(_period(date_from, date_to), font=Font(italic=True, size=12), align=centre)])
    ws.append([cell("(Mẫu số 07 — Thông tư 03/2025/TT-VPCP)", font=Font(italic=True, size=11), align=centre)])
    ws.append([])
    ws.append([cell(h, font=Font(bold=True), align=centre, border=box) for h, _w, _p in BOOK_COLUMNS])
    ws.append([cell(f"({i})", font=Font(italic=True), align=centre, border=box) for i in range(1, ncols + 1)])
    for values in rows:
        out = []
        for value in values:
            if isinstance(value, dt.date):
                out.append(cell(value, align=centre, border=box, fmt="DD/MM/YYYY"))
            elif isinstance(value, int):
                out.append(cell(value, align=centre, border=box))
            else:
                out.append(cell(value or None, align=wrap, border=box))
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def dossier_book_pdf(agency: Agency, date_from: dt.date, date_to: dt.date) -> bytes:
    """The same book as :func:`dossier_book_xlsx`, as a landscape A4 PDF."""
    from reportlab.lib.units import mm

    rows = book_rows(agency, date_from, date_to)
    kit = _kit()
    width = _frame_width(landscape_page=True)
    upper, name = _header_names(agency)
    story: list[Any] = []
    if upper:
        story.append(_p(kit, _t(upper), "small"))
    story.append(_p(kit, f"<b>{_t(name)}</b>", "small"))
    story += _title(kit, BOOK_TITLE, _period(date_from, date_to))
    data = []
    for values in rows:
        data.append(
            [
                _p(kit, str(values[0]), "book_c"),
                _p(kit, _t(values[1]), "book_code"),
                _p(kit, _t(values[2]), "book"),
                _p(kit, _t(values[3]), "book"),
                _p(kit, _t(values[4]), "book"),
                *[_p(kit, _day(v), "book_c") for v in values[5:9]],
                _p(kit, _t(values[9]), "book_i"),
            ]
        )
    widths = [w * mm for _h, _x, w in BOOK_COLUMNS]
    scale = width / sum(widths)
    widths = [w * scale for w in widths]
    if data:
        story.append(_grid(kit, [h for h, _x, _w in BOOK_COLUMNS], data, widths))
    else:
        story.append(_p(kit, "(Không có hồ sơ trong khoảng thời gian này.)", "centre"))
    story.append(_p(kit, f"Tổng số hồ sơ: {len(rows)}", "body"))
    return _build(
        f"{BOOK_TITLE} — {agency.name} — {_period(date_from, date_to)}",
        agency.name,
        story,
        landscape_page=True,
    )
