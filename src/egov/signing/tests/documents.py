"""Test documents made with reportlab: an administrative decision in Vietnamese, and an attachment."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from egov.signing import fonts

# Where the decision leaves room for the signature block (x1, y1, x2, y2), in points.
SIGNATURE_BOX = (A4[0] - 20 * mm - 85 * mm, 60 * mm, A4[0] - 20 * mm, 60 * mm + 52 * mm)
BODY_MARKER = "Điều 1. Phê duyệt kế hoạch chuyển đổi số năm 2026"


def decision_pdf() -> bytes:
    regular, bold, italic = fonts.reportlab_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    c.setTitle("Quyết định phê duyệt kế hoạch chuyển đổi số")
    w, h = A4
    left, right = 30 * mm, w - 20 * mm
    c.setFont(regular, 12)
    c.drawCentredString(left + 30 * mm, h - 25 * mm, "ỦY BAN NHÂN DÂN")
    c.setFont(bold, 12)
    c.drawCentredString(left + 30 * mm, h - 30 * mm, "TỈNH DEMO")
    c.drawCentredString(right - 50 * mm, h - 25 * mm, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(bold, 13)
    c.drawCentredString(right - 50 * mm, h - 30 * mm, "Độc lập - Tự do - Hạnh phúc")
    c.setFont(regular, 13)
    c.drawCentredString(left + 30 * mm, h - 40 * mm, "Số: 15/QĐ-UBND")
    c.setFont(italic, 13)
    c.drawCentredString(right - 50 * mm, h - 40 * mm, "Demo, ngày 05 tháng 01 năm 2026")
    c.setFont(bold, 14)
    c.drawCentredString(w / 2, h - 55 * mm, "QUYẾT ĐỊNH")
    c.setFont(bold, 13)
    c.drawCentredString(w / 2, h - 61 * mm, "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026")
    c.setFont(regular, 12)
    lines = [
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH DEMO",
        "",
        "Căn cứ Luật Tổ chức chính quyền địa phương;",
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020",
        "của Chính phủ về công tác văn thư;",
        "Theo đề nghị của Giám đốc Sở Nội vụ.",
        "",
        "QUYẾT ĐỊNH:",
        BODY_MARKER + ".",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Điều 3. Chánh Văn phòng, Giám đốc các sở, ngành chịu trách nhiệm",
        "thi hành Quyết định này.",
    ]
    y = h - 75 * mm
    for line in lines:
        c.drawString(left, y, line)
        y -= 7 * mm
    c.setFont(bold, 12)
    c.drawString(left, 100 * mm, "Nơi nhận:")
    c.setFont(regular, 11)
    c.drawString(left, 95 * mm, "- Như Điều 3;")
    c.drawString(left, 90 * mm, "- Lưu: VT.")
    c.showPage()
    c.save()
    return out.getvalue()


def attachment_pdf(pages: int = 2) -> bytes:
    regular, bold, _italic = fonts.reportlab_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=0)
    w, h = A4
    for n in range(1, pages + 1):
        c.setFont(bold, 14)
        c.drawCentredString(w / 2, h - 35 * mm, "PHỤ LỤC")
        c.setFont(regular, 13)
        c.drawCentredString(
            w / 2, h - 42 * mm, "Danh mục nhiệm vụ chuyển đổi số (kèm theo Quyết định số 15/QĐ-UBND)"
        )
        c.drawString(30 * mm, h - 60 * mm, f"Trang {n}: Xây dựng cơ sở dữ liệu dùng chung của tỉnh.")
        c.showPage()
    c.save()
    return out.getvalue()
