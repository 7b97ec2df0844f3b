"""Mẫu 01–07: the PDFs carry the dossier's facts as text, the Vietnamese headings and a QR code of the public
status page; the dossier book opens in openpyxl with one row per dossier."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from egov.dossiers import printouts, services
from egov.dossiers.models import Status
from egov.procedures.models import Channel, RequiredPaper

from .conftest import desk, pdf_io, submit

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Lines of the text layer joined: wrapped paragraphs become one string."""
    return " ".join(text.split())


def decode_qr_image(data: bytes) -> list[list[bool]]:
    """Read the modules back from the QR image embedded in the first page (a pixel sample at the centre of
    each module), to compare with the QR code of the expected URL."""
    reader = PdfReader(io.BytesIO(data))
    images = reader.pages[0].images
    assert len(images) == 1, "one QR image on the form"
    image = images[0].image.convert("L")
    box = printouts.QR_BOX
    assert image.width == image.height and image.width % box == 0
    n = image.width // box
    return [
        [image.getpixel((c * box + box // 2, r * box + box // 2)) < 128 for c in range(n)] for r in range(n)
    ]


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://dichvucong.cantho.example/"
    return "https://dichvucong.cantho.example"


def test_status_url_is_built_from_site_url(site):
    assert printouts.status_url("000.00.01.H99-260115-0001") == (
        f"{site}/dich-vu-cong/tra-cuu/000.00.01.H99-260115-0001/"
    )


def test_form_01_reception_receipt_has_the_facts_headings_and_qr(world, site):
    paper = world.procedure.papers.get(code="CCCD")
    RequiredPaper.objects.filter(pk=paper.pk).update(originals=1, copies=2)
    d = desk(
        world,
        applicant=services.Applicant(
            name="Lê Thị Hồng Nhung",
            identity_number="092190000123",
            phone="0912000111",
            address="Số 12 đường Hòa Bình, phường Ninh Kiều",
        ),
        description="Cấp bản sao trích lục khai sinh",
    )
    assert d.status == Status.RECEIVED
    data = printouts.form_pdf(d, "01")
    text = flat(pdf_text(data))
    for fact in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        d.code,
        "Lê Thị Hồng Nhung",
        "092190000123",
        "Số 12 đường Hòa Bình, phường Ninh Kiều",
        "Thủ tục 1.000001",
        "Tờ khai",
        "Bản chính: 01; Bản sao: 02",
        "Thời gian trả kết quả giải quyết hồ sơ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "NGƯỜI NỘP HỒ SƠ",
        world.officer.get_full_name(),
        world.tree.department.name.upper(),
    ):
        assert fact in text, fact
    received = timezone.localtime(d.received_at)
    due = timezone.localtime(d.due_at)
    assert f"{received:%H} giờ {received:%M} phút, ngày {received:%d/%m/%Y}" in text
    assert f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}" in text
    assert printouts.date_line(printouts.place_of(d.receiving_agency), d.received_at) in text
    url = printouts.status_url(d.code)
    assert url in text.replace(" ", "")
    assert decode_qr_image(data) == printouts.qr_matrix(url)
    assert url.encode() in data  # the link annotation on the URL


def test_date_line_follows_the_decree_padding():
    assert printouts.date_line("Cần Thơ", dt.date(2026, 11, 22)) == "Cần Thơ, ngày 22 tháng 11 năm 2026"
    assert printouts.date_line("Cần Thơ", dt.date(2026, 2, 5)) == "Cần Thơ, ngày 05 tháng 02 năm 2026"
    assert printouts.date_line("Cần Thơ", dt.date(2026, 4, 5)) == "Cần Thơ, ngày 05 tháng 4 năm 2026"


def test_forms_02_04_06_follow_the_dossier_life(world, site):
    d = submit(world)
    d = services.accept(actor=world.officer, dossier=d)
    d = services.start_processing(actor=world.officer, dossier=d, handler=world.specialist)
    d = services.request_supplement(
        actor=world.specialist, dossier=d, reason="Bản sao CCCD bị mờ", papers=["Bản sao CCCD rõ nét"]
    )
    text = flat(pdf_text(printouts.form_pdf(d, "02")))
    for fact in (
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "Bản sao CCCD rõ nét",
        "Lý do: Bản sao CCCD bị mờ",
        "Nguyễn Văn An",
        d.code,
        "NGƯỜI HƯỚNG DẪN",
        world.specialist.get_full_name(),
    ):
        assert fact in text, fact

    services.provide_supplement(
        actor=world.citizen,
        dossier=d,
        papers=[
            services.PaperInput(required_paper=world.procedure.papers.get(code="CCCD"), upload=pdf_io("CCCD"))
        ],
    )
    d.refresh_from_db()
    old_due = d.due_at
    from egov.core import calendar

    new_day = calendar.add_working_days(timezone.localtime(old_due).date(), 3)
    services.issue_apology(
        actor=world.leader,
        dossier=d,
        reason="Phải xác minh thêm thông tin hộ tịch",
        new_due_at=new_day,
        issuer_title="Giám đốc",
    )
    d.refresh_from_db()
    text = flat(pdf_text(printouts.form_pdf(d, "04")))
    for fact in (
        "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        "Kính gửi: Nguyễn Văn An",
        "Phải xác minh thêm thông tin hộ tịch",
        f"ngày {new_day:%d/%m/%Y}",
        f"ngày {timezone.localtime(old_due):%d/%m/%Y}",
        "GIÁM ĐỐC",
        world.leader.get_full_name(),
    ):
        assert fact in text, fact

    d = services.complete_step(actor=world.specialist, dossier=d, note="Hồ sơ hợp lệ")
    text = flat(pdf_text(printouts.form_pdf(d, "06")))
    for fact in (
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "Tiếp nhận hồ sơ",
        "1. Thẩm định",
        "2. Phê duyệt",
        "Yêu cầu bổ sung hồ sơ",
        world.specialist.get_full_name(),
        "Hồ sơ hợp lệ",
        "Đang xử lý",
    ):
        assert fact in text, fact
    step = d.steps.get(order=1)
    finished = timezone.localtime(step.finished_at)  # the time and the date may wrap in the narrow cell
    assert f"{finished:%H:%M}" in text and f"{finished:%d/%m/%Y}" in text
    assert printouts.on_time_mark(step.finished_at, step.due_at) in text
    rows = printouts.control_rows(d)
    assert [r["step"] for r in rows][:3] == ["Tiếp nhận hồ sơ", "1. Thẩm định", "2. Phê duyệt"]
    assert rows[1]["handler"] == world.specialist.get_full_name()
    assert rows[1]["mark"] in {"Trước hạn", "Đúng hạn"}


def test_on_time_marks():
    due = timezone.make_aware(dt.datetime(2026, 5, 5, 17))
    assert printouts.on_time_mark(due - dt.timedelta(days=1), due) == "Trước hạn"
    assert printouts.on_time_mark(due - dt.timedelta(hours=2), due) == "Đúng hạn"
    assert printouts.on_time_mark(due + dt.timedelta(minutes=1), due) == "Quá hạn"
    assert printouts.on_time_mark(None, due, now=due + dt.timedelta(hours=1)) == "Quá hạn (đang xử lý)"
    assert printouts.on_time_mark(None, due, now=due - dt.timedelta(hours=1)) == "Đang xử lý"


def test_forms_03_and_05_carry_the_reason(world, site):
    refused = desk(world, channel=Channel.POSTAL, accept=False)
    refused = services.refuse(actor=world.officer, dossier=refused, reason="Hồ sơ không thuộc thẩm quyền")
    data = printouts.form_pdf(refused, "03")
    text = flat(pdf_text(data))
    for fact in (
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "Hồ sơ không thuộc thẩm quyền",
        refused.code,
        "Lê Văn Cường",
        world.officer.get_full_name(),
    ):
        assert fact in text, fact
    assert decode_qr_image(data) == printouts.qr_matrix(printouts.status_url(refused.code))

    d = desk(world)
    stopped = services.stop(actor=world.officer, dossier=d, reason="Người nộp không bổ sung đúng hạn")
    text = flat(pdf_text(printouts.form_pdf(stopped, "05")))
    for fact in ("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "Người nộp không bổ sung đúng hạn", stopped.code):
        assert fact in text, fact


def test_unknown_form_is_refused(world):
    d = desk(world)
    with pytest.raises(ValueError, match="Unknown form"):
        printouts.form_pdf(d, "09")


def test_dossier_book_xlsx_and_pdf(world):
    from openpyxl import load_workbook

    first = desk(
        world,
        applicant=services.Applicant(
            name="Phạm Minh Tuấn", identity_number="092190000456", phone="0913000222"
        ),
    )
    second = submit(world)
    services.start_processing(actor=world.officer, dossier=first, handler=world.specialist)
    refused = services.refuse(actor=world.officer, dossier=second, reason="Sai thẩm quyền")
    other = desk(world, agency=world.tree.department)  # same agency, third row
    today = timezone.localdate()

    data = printouts.dossier_book_xlsx(world.tree.department, today - dt.timedelta(days=1), today)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A2"].value == "SỔ THEO DÕI HỒ SƠ"
    headers = [c.value for c in ws[6]]
    assert headers == [h for h, _x, _p in printouts.BOOK_COLUMNS]
    assert headers[:4] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Chủ hồ sơ"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=8)]
    assert [r[1] for r in rows] == [first.code, refused.code, other.code]
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][3] == "Phạm Minh Tuấn" and "0913000222" in rows[0][4]
    assert rows[0][5].date() == timezone.localtime(first.received_at).date()
    assert rows[0][6].date() == timezone.localtime(first.due_at).date()
    assert rows[0][7] is not None  # forwarded to the first step
    assert "Sai thẩm quyền" in rows[1][9] and "Không được tiếp nhận" in rows[1][9]

    # Out of range: nothing.
    empty = printouts.dossier_book_xlsx(
        world.tree.department, today + dt.timedelta(days=1), today + dt.timedelta(days=2)
    )
    assert load_workbook(io.BytesIO(empty)).active.max_row <= 7

    text = flat(pdf_text(printouts.dossier_book_pdf(world.tree.department, today, today)))
    for fact in ("SỔ THEO DÕI HỒ SƠ", first.code, refused.code, "Phạm Minh Tuấn", "Tổng số hồ sơ: 3"):
        assert fact in text, fact
