"""Exports of a dashboard: XLSX (openpyxl) and PDF (reportlab, A4 portrait, the DejaVu/Liberation fonts
``egov.signing.fonts`` finds, as the register exports do). Both hold the same tables: key figures, the
Quyết định 766 index and its components, the figures of each direct child agency, the monthly trend."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from egov.core.text import fold
from egov.reporting import facts
from egov.reporting.dashboards import KEY_METRICS, Dashboard


def _num(value: float | None) -> Any:
    return "" if value is None else value


def _tables(board: Dashboard) -> list[tuple[str, list[str], list[list[Any]]]]:
    cards = [
        [
            c["label"],
            _num(c["value"]),
            c["unit"],
            c["numerator"],
            c["denominator"] if c["kind"] != "count" else "",
        ]
        for c in board.cards
    ]
    index = [[c["label"], c["weight"], _num(c["value"])] for c in board.index["components"]]
    index.append(
        ["Chỉ số tổng hợp", sum(c["weight"] for c in board.index["components"]), _num(board.index["score"])]
    )
    heads = ["Cơ quan", *[str(facts.METRICS[m].label) for m in KEY_METRICS[:6]], "Chỉ số 766"]
    children = [
        [r["agency"].name, *[_num(r["values"].get(m)) for m in KEY_METRICS[:6]], _num(r["index"])]
        for r in board.children
    ]
    trend = [
        [p["label"], p["received"], _num(p["on_time"]), _num(p["online"]), p["incoming"]] for p in board.trend
    ]
    return [
        ("Chỉ tiêu chính", ["Chỉ tiêu", "Giá trị", "Đơn vị", "Tử số / số lượng", "Mẫu số"], cards),
        (
            "Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)",
            ["Thành phần", "Trọng số", "Điểm (0–100)"],
            index,
        ),
        ("Theo cơ quan trực thuộc", heads, children),
        (
            "Diễn biến 12 tháng",
            ["Tháng", "Hồ sơ tiếp nhận", "Đúng hạn (%)", "Trực tuyến (%)", "Văn bản đến"],
            trend,
        ),
    ]


def _title(board: Dashboard) -> str:
    return f"BÁO CÁO TÌNH HÌNH HOẠT ĐỘNG — {board.root.name.upper()}"


def dashboard_xlsx(board: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    ws.append([_title(board)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Kỳ: {board.span.label} ({board.span.start:%d/%m/%Y} – {board.span.end:%d/%m/%Y})"])
    ws.append([f"Lập lúc: {timezone.localtime():%d/%m/%Y %H:%M}"])
    for name, head, rows in _tables(board):
        ws.append([])
        ws.append([name])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        ws.append(head)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def dashboard_pdf(board: Dashboard) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from egov.signing import fonts

    regular, bold, italic = fonts.reportlab_fonts()
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    head = ParagraphStyle("head", parent=cell, fontName=bold)
    h1 = ParagraphStyle("h1", fontName=bold, fontSize=13, leading=16, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=bold, fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=4)
    note = ParagraphStyle("note", fontName=italic, fontSize=9, leading=11)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=15 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm
    )
    story: list[Any] = [
        Paragraph(escape(_title(board)), h1),
        Paragraph(
            escape(
                f"Kỳ: {board.span.label} ({board.span.start:%d/%m/%Y} – {board.span.end:%d/%m/%Y}); "
                f"lập lúc {timezone.localtime():%d/%m/%Y %H:%M}"
            ),
            note,
        ),
    ]
    width = A4[0] - 27 * mm
    for name, heads, rows in _tables(board):
        story.append(Paragraph(escape(name), h2))
        data = [[Paragraph(escape(str(h)), head) for h in heads]]
        data += [[Paragraph(escape(_pdf(v)), cell) for v in row] for row in rows]
        first = width * (0.4 if len(heads) <= 5 else 0.25)
        rest = (width - first) / max(1, len(heads) - 1)
        table = Table(data, colWidths=[first] + [rest] * (len(heads) - 1), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 4)]
    doc.build(story)
    return out.getvalue()


def _pdf(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def filename(board: Dashboard, fmt: str) -> str:
    slug = "-".join(fold(board.root.short_name or board.root.name).split())[:40] or "co-quan"
    return f"bao-cao-dieu-hanh-{slug}-{board.span.key}.{fmt}"
