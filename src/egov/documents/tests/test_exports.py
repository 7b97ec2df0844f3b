from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import exports, outgoing, services
from egov.documents.models import Confidentiality, Register, Urgency
from egov.documents.services import AssignmentSpec
from egov.documents.tests.conftest import NamedBytes, pdf_bytes

YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def aware(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def xlsx_rows(data: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def incoming_docs(registers, clerk, leader, specialist, qd, cv):
    tree = registers
    reg = services.default_register(tree.department, Register.Direction.INCOMING)
    common = {"actor": clerk, "agency": tree.department, "register": reg}
    old = services.register_incoming(
        **common,
        document_type=cv,
        subject="Về việc tổng kết năm 2025",
        issuing_agency_name="Bộ Nội vụ",
        code_number="09",
        code_notation="BNV-VP",
        issued_date=dt.date(2025, 12, 20),
        arrival_date=aware(2025, 12, 29, 9),
    )
    first = services.register_incoming(
        **common,
        document_type=qd,
        subject="Về việc thành lập Tổ công tác chuyển đổi số",
        issuing_agency_name="Ủy ban nhân dân tỉnh Demo",
        code_number="15",
        code_notation="QĐ-UBND",
        issued_date=dt.date(2026, 3, 2),
        arrival_date=aware(2026, 3, 4, 8, 30),
        urgency=Urgency.URGENT,
        due_date=dt.date(2026, 3, 20),
    )
    services.assign(
        actor=leader,
        document=first,
        direction="Giao Phòng Tổ chức chủ trì",
        lead=AssignmentSpec("lead", user=specialist),
    )
    second = services.register_incoming(
        **common,
        document_type=cv,
        subject="Về việc báo cáo tình hình thực hiện Đề án 06",
        issuing_agency_name="Văn phòng Chính phủ",
        code_number="120",
        code_notation="VPCP-KSTT",
        issued_date=dt.date(2026, 5, 8),
        arrival_date=aware(2026, 5, 11, 14),
    )
    secret = services.register_incoming(
        actor=clerk,
        agency=tree.department,
        document_type=cv,
        subject="Về việc bảo vệ bí mật nhà nước",
        issuing_agency_name="Công an tỉnh Demo",
        code_number="7",
        code_notation="CAT-PA03",
        issued_date=dt.date(2026, 6, 1),
        arrival_date=aware(2026, 6, 2, 9),
        confidentiality=Confidentiality.SECRET,
    )
    return {"register": reg, "old": old, "first": first, "second": second, "secret": secret}


def test_incoming_register_xlsx_has_the_columns_of_phu_luc_iv(incoming_docs, clerk, specialist):
    data = exports.incoming_register_xlsx(clerk, incoming_docs["register"], *YEAR)
    rows = xlsx_rows(data)
    assert rows[0][0] == "SỞ NỘI VỤ"
    assert rows[1][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert rows[2][0] == "Năm 2026"
    assert rows[3][0] == "(Sổ văn bản đến)"
    assert list(rows[5]) == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    assert rows[6][:3] == ("(1)", "(2)", "(3)")
    data_rows = rows[7:]
    assert (
        len(data_rows) == 2
    )  # the 2025 document is outside the range; the secret one is in its own register
    first, second = data_rows
    assert first[0].date() == dt.date(2026, 3, 4) and first[1] == 1
    assert first[2] == "Ủy ban nhân dân tỉnh Demo" and first[3] == "15/QĐ-UBND"
    assert first[4].date() == dt.date(2026, 3, 2)
    assert first[5] == "Quyết định: Về việc thành lập Tổ công tác chuyển đổi số"
    assert first[6] == specialist.get_full_name()
    assert first[7].date() == timezone.localdate()  # the day of the leader's direction
    assert first[8] is None  # Ký nhận: signed by hand on the printed register
    assert "Khẩn" in first[9] and "20/03/2026" in first[9]
    assert second[1] == 2 and second[3] == "120/VPCP-KSTT" and second[6] is None
    assert second[5] == "Công văn: Về việc báo cáo tình hình thực hiện Đề án 06"

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A8"].number_format == "DD/MM/YYYY"
    assert sheet["F8"].alignment.wrap_text
    assert sheet.column_dimensions["F"].width > sheet.column_dimensions["B"].width
    assert sheet.print_title_rows == "$6:$7"
    assert sheet.page_setup.orientation == "landscape"

    march = exports.incoming_register_xlsx(clerk, incoming_docs["register"], dt.date(2026, 3, 1), None)
    assert xlsx_rows(march)[2][0] == "Từ ngày 01/03/2026"
    old_year = xlsx_rows(
        exports.incoming_register_xlsx(
            clerk, incoming_docs["register"], dt.date(2025, 1, 1), dt.date(2025, 12, 31)
        )
    )
    assert [r[3] for r in old_year[7:]] == ["09/BNV-VP"]


def test_incoming_register_pdf_landscape_vietnamese_text(incoming_docs, clerk):
    data = exports.incoming_register_pdf(clerk, incoming_docs["register"], *YEAR)
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(data)).pages[0]
    assert page.mediabox.width > page.mediabox.height  # A4 landscape
    text = squash(pdf_pages(data)[0])
    for expected in (
        "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
        "SỞ NỘI VỤ",
        "ỦY BAN NHÂN DÂN TỈNH DEMO",
        "Năm 2026",
        "Tên loại và trích yếu nội dung",
        "15/QĐ-UBND",
        "120/VPCP-KSTT",
        "Văn phòng Chính phủ",
        "04/03/2026",
        "Trang 1/1",
        "Sổ gồm 2 văn bản",
    ):
        assert expected in text, expected
    assert "Về việc thành lập Tổ công tác chuyển" in text


def test_long_register_repeats_the_header_on_every_page(registers, clerk, cv):
    reg = services.default_register(registers.department, Register.Direction.INCOMING)
    for i in range(1, 61):
        services.register_incoming(
            actor=clerk,
            agency=registers.department,
            document_type=cv,
            subject=f"Về việc triển khai nhiệm vụ số {i} của kế hoạch cải cách hành chính năm 2026",
            issuing_agency_name="Ủy ban nhân dân xã An Bình",
            code_number=f"{i:02d}",
            code_notation="UBND-VP",
            issued_date=dt.date(2026, 4, 1),
            arrival_date=aware(2026, 4, 2, 8) + dt.timedelta(minutes=i),
        )
    pages = pdf_pages(exports.incoming_register_pdf(clerk, reg, *YEAR))
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        flat = squash(text)
        assert "Tên loại và trích yếu nội dung" in flat and f"Trang {n}/{len(pages)}" in flat
    everything = squash(" ".join(pages))
    assert all(f"{i:02d}/UBND-VP" in everything for i in range(1, 61))
    assert "Sổ gồm 60 văn bản" in everything
    rows = xlsx_rows(exports.incoming_register_xlsx(clerk, reg, *YEAR))[7:]
    assert [r[1] for r in rows] == list(range(1, 61))  # in order of arrival number, gap-free


def test_foreign_and_unprivileged_users_are_refused(
    incoming_docs, registers, foreign_staff, specialist, clerk
):
    reg = incoming_docs["register"]
    for function in (exports.incoming_register_xlsx, exports.incoming_register_pdf):
        with pytest.raises(PermissionDenied):
            function(foreign_staff, reg, *YEAR)
    secret_reg = incoming_docs["secret"].register
    assert secret_reg.is_secret
    with pytest.raises(PermissionDenied):
        exports.incoming_register_xlsx(specialist, secret_reg, *YEAR)
    rows = xlsx_rows(exports.incoming_register_xlsx(clerk, secret_reg, *YEAR))[7:]
    assert [r[5] for r in rows] == ["Công văn: Về việc bảo vệ bí mật nhà nước"]
    assert rows[0][9] == "Mật"
    # a staff member of the agency sees the ordinary register
    assert len(xlsx_rows(exports.incoming_register_xlsx(specialist, reg, *YEAR))) == 9
    with pytest.raises(ValidationError):
        exports.outgoing_register_xlsx(clerk, reg, *YEAR)  # an incoming register
    out_reg = services.default_register(registers.department, Register.Direction.OUTGOING)
    with pytest.raises(PermissionDenied):
        exports.outgoing_register_pdf(foreign_staff, out_reg, *YEAR)


@pytest.fixture
def certificates(registers, leader):
    from egov.signing import services as signing

    signing.ensure_builtin_ca(actor=None)
    signing.issue_personal_certificate(actor=None, user=leader, agency=registers.department)
    signing.issue_agency_certificate(actor=None, agency=registers.department)


def test_outgoing_register(registers, certificates, clerk, leader, specialist, cv):
    tree = registers
    services.ensure_default_registers(actor=None, agency=tree.office)
    services.ensure_default_registers(actor=None, agency=tree.commune)
    doc = outgoing.create_draft(
        actor=specialist,
        agency=tree.department,
        document_type=cv,
        subject="Về việc cử cán bộ tham gia tập huấn chuyển đổi số",
        drafting_unit=tree.unit,
        signing_authority="KT. Giám đốc",
        recipients=[tree.office, tree.commune],
        recipients_text="- Lưu: VT, TC.",
        files=[NamedBytes(pdf_bytes(), "du-thao.pdf")],
    )
    outgoing.submit(actor=specialist, document=doc)
    unit_head = make_staff("truongphong", tree.unit, Role.LEADER, title="Trưởng phòng")
    outgoing.review(actor=unit_head, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    outgoing.sign(actor=leader, document=doc)
    doc = outgoing.issue(actor=clerk, document=doc)
    outgoing.create_draft(  # a draft has no number: not in the register
        actor=specialist, agency=tree.department, document_type=cv, subject="Dự thảo", drafting_unit=tree.unit
    )
    reg = doc.register
    rows = xlsx_rows(exports.outgoing_register_xlsx(clerk, reg, *YEAR))
    assert rows[1][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    assert list(rows[5]) == [
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung",
        "Người ký",
        "Nơi nhận văn bản",
        "Đơn vị, người nhận bản lưu",
        "Số lượng bản",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    (row,) = rows[7:]
    assert row[0] == "01/SNV-TC"
    assert row[1].date() == timezone.localdate() == row[7].date()
    assert row[2] == "Công văn: Về việc cử cán bộ tham gia tập huấn chuyển đổi số"
    assert leader.get_full_name() in row[3]
    assert "Văn phòng UBND tỉnh" in row[4] and "Ủy ban nhân dân xã An Bình" in row[4] and "Lưu: VT" in row[4]
    assert row[5] == f"Phòng Tổ chức ({specialist.get_full_name()})"
    assert row[6] == 2 and row[8] is None
    text = squash(" ".join(pdf_pages(exports.outgoing_register_pdf(clerk, reg, *YEAR))))
    for expected in (
        "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
        "01/SNV-TC",
        "Nơi nhận văn bản",
        "tập huấn chuyển đổi số",
        "Trang 1/1",
    ):
        assert expected in text, expected


def test_export_register_command(incoming_docs, tmp_path, foreign_staff):
    reg = incoming_docs["register"]
    out = tmp_path / "so.xlsx"
    stdout = io.StringIO()
    call_command(
        "export_register",
        f"--register={reg.pk}",
        "--from=2026-01-01",
        "--to=2026-12-31",
        "--format=xlsx",
        f"--out={out}",
        stdout=stdout,
    )
    assert len(xlsx_rows(out.read_bytes())) == 9 and "Năm 2026" in stdout.getvalue()
    pdf = tmp_path / "so.pdf"
    call_command("export_register", f"--register={reg.pk}", "--format=pdf", f"--out={pdf}", stdout=stdout)
    assert pdf.read_bytes().startswith(b"%PDF-")
    with pytest.raises(CommandError, match="permission denied"):
        call_command(
            "export_register", f"--register={reg.pk}", f"--user={foreign_staff.username}", f"--out={out}"
        )
    with pytest.raises(CommandError):
        call_command("export_register", "--register=999999", f"--out={out}")
