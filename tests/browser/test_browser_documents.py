"""Document management walked end to end in a real browser (chromium), by four people in their own sessions:

* incoming: the clerk registers a paper document with its scanned PDF → presents it → the leader assigns it to
  the specialist with a deadline (dialog loaded by htmx) → the specialist adds an opinion and completes it;
* outgoing: the specialist drafts a công văn with a PDF and recipients found in the directory → the unit head
  reviews → the leader approves and signs (certificates issued in the setup; no number yet) → the clerk
  gives the number and date at issue (filled into the signed PDF's form fields) and issues; the page shows
  ``01/SNV-TC`` and the recipients' statuses.

Screenshots (desktop and a 390 px phone) go to test-artifacts/screenshots/ (docs/screenshots/ with
``EGOV_SCREENSHOTS=docs``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # chromium's built-in PDF viewer


@dataclass
class Office:
    demo: Any
    unit: Any
    clerk: Any
    leader: Any
    specialist: Any
    unit_head: Any
    password: str


def document_pdf(kind: str, number: str, title: str, body: list[str], *, sender: tuple[str, str]) -> bytes:
    """A one-page administrative document in Vietnamese (reportlab, the signing app's fonts), leaving the
    lower right of the page free for the signature block."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from egov.signing import fonts

    regular, bold, italic = fonts.reportlab_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    w, h = A4
    left, right = 25 * mm, w - 20 * mm
    c.setFont(regular, 12)
    c.drawCentredString(left + 32 * mm, h - 22 * mm, sender[0])
    c.setFont(bold, 12)
    c.drawCentredString(left + 32 * mm, h - 27 * mm, sender[1])
    c.drawCentredString(right - 50 * mm, h - 22 * mm, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(bold, 13)
    c.drawCentredString(right - 50 * mm, h - 27 * mm, "Độc lập - Tự do - Hạnh phúc")
    c.setFont(regular, 13)
    c.drawCentredString(left + 32 * mm, h - 37 * mm, f"Số: {number}")
    c.setFont(italic, 13)
    c.drawCentredString(right - 50 * mm, h - 37 * mm, "Cần Thơ, ngày      tháng      năm 2026")
    y = h - 52 * mm
    if kind:
        c.setFont(bold, 14)
        c.drawCentredString(w / 2, y, kind)
        y -= 6 * mm
    c.setFont(bold, 13)
    c.drawCentredString(w / 2, y, title)
    c.setFont(regular, 12.5)
    y -= 14 * mm
    for line in body:
        c.drawString(left, y, line)
        y -= 7 * mm
    c.setFont(bold, 11)
    c.drawString(left, 80 * mm, "Nơi nhận:")
    c.setFont(regular, 10.5)
    c.drawString(left, 75 * mm, "- Như trên;")
    c.drawString(left, 70 * mm, "- Lưu: VT.")
    c.showPage()
    c.save()
    return out.getvalue()


@pytest.fixture
def office(demo: Any) -> Office:
    """The demo department with registers, a unit head, short names for the notation, and certificates."""
    from egov.directory import services as directory_services
    from egov.directory.models import Agency, Role, User
    from egov.documents import services
    from egov.documents.doctypes import ensure_document_types
    from egov.signing import services as signing

    ensure_document_types()  # the browser tests flush the database between tests
    unit = Agency.objects.get(parent=demo.department, name="Phòng Tổ chức, biên chế")
    unit = directory_services.update_agency(actor=None, agency=unit, short_name="TC")
    for agency in (demo.department, demo.commune, Agency.objects.get(name="Sở Tài chính")):
        services.ensure_default_registers(actor=None, agency=agency)
    head = directory_services.create_staff_user(
        actor=None, username="nam", full_name="Đỗ Văn Nam", email="nam@cantho.gov.vn", password=demo.password
    )
    directory_services.assign_position(
        actor=None,
        user=head,
        agency=unit,
        role=Role.LEADER,
        title="Trưởng phòng",
        valid_from=dt.date(2025, 7, 1),
    )
    leader = User.objects.get(username="hung")
    signing.ensure_builtin_ca(actor=None)
    signing.issue_personal_certificate(actor=None, user=leader, agency=demo.department)
    signing.issue_agency_certificate(actor=None, agency=demo.department)
    return Office(
        demo=demo,
        unit=unit,
        clerk=demo.clerk,
        leader=leader,
        specialist=User.objects.get(username="tuan"),
        unit_head=head,
        password=demo.password,
    )


def watch_console(page: Any) -> list[str]:
    """Console errors (a CSP violation, a refused frame or a failed htmx request shows up here)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def shot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True, caret="initial")


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def session(browser: Any, base: str, username: str, password: str, *, phone: bool = False) -> tuple[Any, Any]:
    if phone:
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
        )
    else:
        context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    log_in(page, base, username, password)
    return context, page


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px screen: {page.url}"


def wait_for_viewer(page: Any, attachment_url: re.Pattern[str]) -> None:
    """The inline PDF viewer: the iframe loads the file view (same origin: allowed by the page's CSP and by
    the file's X-Frame-Options: SAMEORIGIN) and chromium's PDF viewer renders it inside."""
    for _ in range(100):
        urls = [f.url for f in page.frames]
        if any(attachment_url.search(u) for u in urls) and any(u.startswith(PDF_VIEWER) for u in urls):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the PDF viewer did not open: {urls}")
    page.locator("iframe.pdf-viewer").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # the viewer paints once visible


def test_incoming_and_outgoing_documents_end_to_end(
    browser: Any, live_server: Any, office: Office, screenshots: Path
) -> None:
    from django.utils import timezone

    from egov.documents.models import IncomingDocument, OutgoingDocument

    base = live_server.url
    issued = timezone.localdate() - dt.timedelta(days=3)
    contexts = []

    # --- The clerk registers a paper document with its scan ------------------------------------------------
    ctx, clerk = session(browser, base, "mai", office.password)
    contexts.append(ctx)
    errors = watch_console(clerk)
    nav(clerk, "Văn bản đến")
    assert clerk.get_by_role("heading", name="Văn bản đến", level=1).is_visible()
    assert clerk.get_by_text("Chưa có văn bản đến nào.").is_visible()
    clerk.get_by_role("link", name="Vào sổ văn bản đến").first.click()
    clerk.wait_for_url(f"{base}/documents/incoming/new/")
    form = clerk.locator("main form").first
    form.get_by_label("Loại văn bản").select_option(label="Quyết định")
    form.get_by_label("Ngày văn bản").fill(issued.strftime("%d/%m/%Y"))
    form.get_by_label("Số", exact=True).fill("125")
    form.get_by_label("Ký hiệu").fill("CV-UBND")  # wrong for a Quyết định
    form.get_by_label("Cơ quan ban hành").fill("Ủy ban nhân dân thành phố Cần Thơ")
    form.get_by_label("Trích yếu").fill("Về việc thành lập Tổ công tác chuyển đổi số của thành phố")
    form.get_by_label("Người ký", exact=True).fill("Trần Văn Bình")
    form.get_by_label("Chức vụ người ký").fill("Chủ tịch")
    form.get_by_label("Độ khẩn").select_option(label="Khẩn")
    scan = document_pdf(
        "QUYẾT ĐỊNH",
        "125/QĐ-UBND",
        "Về việc thành lập Tổ công tác chuyển đổi số của thành phố",
        [
            "CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ",
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Theo đề nghị của Giám đốc Sở Nội vụ.",
            "QUYẾT ĐỊNH:",
            "Điều 1. Thành lập Tổ công tác chuyển đổi số của thành phố.",
            "Điều 2. Sở Nội vụ tham mưu danh sách thành viên trong 05 ngày làm việc.",
        ],
        sender=("ỦY BAN NHÂN DÂN", "THÀNH PHỐ CẦN THƠ"),
    )
    pdf_file = {"name": "QD-125-UBND.pdf", "mimeType": "application/pdf", "buffer": scan}
    form.get_by_label("Tệp văn bản").set_input_files(files=[pdf_file])
    form.get_by_role("button", name="Vào sổ").click()
    alert = clerk.get_by_role("alert").first
    alert.wait_for()
    assert "Chưa lưu được" in alert.inner_text()
    assert clerk.get_by_text("không khớp loại Quyết định").first.is_visible()
    assert clerk.get_by_text("vui lòng chọn lại tệp").is_visible()
    assert IncomingDocument.objects.count() == 0  # nothing half-saved
    shot(clerk, screenshots / "documents-register-errors-desktop.png")
    form = clerk.locator("main form").first
    form.get_by_label("Ký hiệu").fill("QĐ-UBND")
    form.get_by_label("Tệp văn bản").set_input_files(files=[pdf_file])
    form.get_by_role("button", name="Vào sổ").click()
    clerk.wait_for_url(re.compile(r"/documents/incoming/\d+/$"))
    assert clerk.get_by_text("Đã vào sổ văn bản đến, số đến 1.").is_visible()
    doc = IncomingDocument.objects.get()
    assert doc.number_notation == "125/QĐ-UBND" and doc.attachments.count() == 1
    attachment = doc.attachments.get()
    wait_for_viewer(clerk, re.compile(rf"/documents/files/{attachment.pk}/\?inline=1(#|$)"))
    shot(clerk, screenshots / "documents-incoming-registered-desktop.png")

    # The same document received again: the live check warns while the clerk types.
    clerk.goto(f"{base}/documents/incoming/new/")
    form = clerk.locator("main form").first
    form.get_by_label("Cơ quan ban hành").fill("UY BAN NHAN DAN THANH PHO CAN THO")
    form.get_by_label("Ký hiệu").fill("QĐ-UBND")
    form.get_by_label("Ngày văn bản").fill(issued.strftime("%d/%m/%Y"))
    form.get_by_label("Số", exact=True).fill("125")
    form.get_by_label("Trích yếu").click()  # leaves the field: change → htmx check
    warning = clerk.locator("#duplicate-check").get_by_text("Có thể trùng văn bản đã vào sổ")
    warning.wait_for()
    assert clerk.get_by_label("Tôi đã kiểm tra: đây không phải bản trùng, vẫn vào sổ.").is_visible()
    clerk.wait_for_load_state("networkidle")
    shot(clerk, screenshots / "documents-duplicate-warning-desktop.png")

    # Present to the leader.
    clerk.goto(f"{base}/documents/incoming/{doc.pk}/")
    clerk.get_by_label("Lãnh đạo nhận trình").select_option(label="Trần Văn Hùng")
    clerk.get_by_role("button", name="Trình lãnh đạo").click()
    assert clerk.get_by_text("Đã trình lãnh đạo.").is_visible()

    # --- The leader assigns it to the specialist -----------------------------------------------------------
    ctx, leader = session(browser, base, "hung", office.password)
    contexts.append(ctx)
    errors += watch_console(leader)
    nav(leader, "Việc cần xử lý")
    incoming_box = leader.locator("section").filter(has=leader.get_by_role("heading", name="Văn bản đến"))
    incoming_box.get_by_role("link", name="Về việc thành lập Tổ công tác chuyển đổi số của thành phố").click()
    leader.wait_for_url(f"{base}/documents/incoming/{doc.pk}/")
    with leader.expect_response(re.compile(rf"/documents/incoming/{doc.pk}/assign/$")):
        leader.get_by_role("link", name="Phân công xử lý").click()
    dialog = leader.get_by_role("dialog", name="Phân công xử lý")
    dialog.wait_for()
    assert leader.url == f"{base}/documents/incoming/{doc.pk}/"  # opened inside the page
    dialog.get_by_label("Ý kiến chỉ đạo").fill("Giao Phòng Tổ chức, biên chế tham mưu danh sách thành viên.")
    dialog.get_by_label("Chủ trì xử lý").select_option(label="Lê Minh Tuấn — Chuyên viên, Sở Nội vụ")
    dialog.get_by_role("group", name="Để biết").get_by_label("Phạm Thị Lan").check()
    dialog.get_by_label("Hạn xử lý (số ngày làm việc)").fill("2")
    shot(leader, screenshots / "documents-assign-dialog-desktop.png")
    dialog.get_by_role("button", name="Phân công", exact=True).click()
    leader.wait_for_url(f"{base}/documents/incoming/{doc.pk}/")
    assert leader.get_by_text("Đã phân công xử lý văn bản.").is_visible()
    doc.refresh_from_db()
    assert doc.status == IncomingDocument.Status.ASSIGNED and doc.due_date is not None

    # --- The specialist gives an opinion and completes it ------------------------------------------------
    ctx, specialist = session(browser, base, "tuan", office.password)
    contexts.append(ctx)
    errors += watch_console(specialist)
    nav(specialist, "Việc cần xử lý")
    row = specialist.locator(".task-list li").filter(has_text="Tổ công tác chuyển đổi số")
    assert row.get_by_text("Sắp đến hạn").is_visible()  # due within 2 working days, said in words
    shot(specialist, screenshots / "documents-inbox-desktop.png")
    row.get_by_role("link").first.click()
    specialist.get_by_label("Ý kiến xử lý").fill("Đã dự thảo danh sách thành viên, xin ý kiến các phòng.")
    specialist.get_by_role("button", name="Ghi ý kiến").click()
    assert specialist.get_by_text("Đã ghi ý kiến xử lý.").is_visible()
    specialist.get_by_label("Kết quả xử lý").fill("Đã trình Giám đốc danh sách Tổ công tác.")
    specialist.get_by_role("button", name="Hoàn thành xử lý").click()
    assert specialist.get_by_text("Đã hoàn thành xử lý văn bản.").is_visible()
    timeline = specialist.locator(".timeline")
    for step in (
        "Vào sổ văn bản đến",
        "Trình lãnh đạo",
        "Phân công xử lý",
        "Ý kiến xử lý",
        "Hoàn thành xử lý",
    ):
        assert timeline.get_by_text(step, exact=True).is_visible(), step
    assert timeline.get_by_text("Chủ trì: Lê Minh Tuấn").is_visible()
    doc.refresh_from_db()
    assert doc.status == IncomingDocument.Status.COMPLETED
    wait_for_viewer(specialist, re.compile(rf"/documents/files/{attachment.pk}/\?inline=1(#|$)"))
    shot(specialist, screenshots / "documents-incoming-completed-desktop.png")

    # --- The specialist drafts a công văn -------------------------------------------------------------------
    nav(specialist, "Văn bản đi")
    specialist.get_by_role("link", name="Soạn dự thảo").click()
    specialist.wait_for_url(f"{base}/documents/outgoing/new/")
    form = specialist.locator("main form").first
    form.get_by_label("Loại văn bản").select_option(label="Công văn")
    form.get_by_label("Đơn vị soạn thảo").select_option(label="Phòng Tổ chức, biên chế")
    form.get_by_label("Trích yếu").fill("Về việc cử thành viên tham gia Tổ công tác chuyển đổi số")
    form.get_by_label("Người ký", exact=True).select_option(label="Trần Văn Hùng")
    search = specialist.get_by_role("searchbox", name="Tìm cơ quan nhận")
    search.press_sequentially("so tai chinh", delay=30)
    results = specialist.locator("#recipient-results")
    results.get_by_role("button", name="Thêm Sở Tài chính").click()
    chosen = specialist.locator("#recipient-list")
    chosen.get_by_label("Sở Tài chính").wait_for()
    search.fill("")
    search.press_sequentially("ninh kieu", delay=30)
    results.get_by_role("button", name="Thêm Ủy ban nhân dân phường Ninh Kiều").click()
    chosen.get_by_label("Ủy ban nhân dân phường Ninh Kiều").wait_for()
    search.press("Enter")  # runs the search, does not send the draft
    assert specialist.url == f"{base}/documents/outgoing/new/"
    form.get_by_label("Nơi nhận (ghi trên văn bản)").fill("- Như trên;\n- Lưu: VT, TC.")
    draft_pdf = document_pdf(
        "",
        "      /SNV-TC",
        "V/v cử thành viên tham gia Tổ công tác chuyển đổi số",
        [
            "Kính gửi: - Sở Tài chính;",
            "               - Ủy ban nhân dân phường Ninh Kiều.",
            "Thực hiện Quyết định số 125/QĐ-UBND của Ủy ban nhân dân thành phố,",
            "Sở Nội vụ đề nghị các cơ quan cử 01 lãnh đạo tham gia Tổ công tác,",
            "gửi danh sách về Sở Nội vụ trước ngày 15 của tháng.",
        ],
        sender=("UBND THÀNH PHỐ CẦN THƠ", "SỞ NỘI VỤ"),
    )
    form.get_by_label("Tệp dự thảo").set_input_files(
        files=[{"name": "du-thao-cong-van.pdf", "mimeType": "application/pdf", "buffer": draft_pdf}]
    )
    shot(specialist, screenshots / "documents-draft-form-desktop.png")
    form.get_by_role("button", name="Lưu dự thảo").click()
    specialist.wait_for_url(re.compile(r"/documents/outgoing/\d+/$"))
    out = OutgoingDocument.objects.get()
    assert out.recipients.count() == 2 and out.signer == office.leader
    specialist.get_by_role("button", name="Trình duyệt").click()
    assert specialist.get_by_text("Đã trình dự thảo.").is_visible()

    # --- The unit head reviews, the leader approves and signs --------------------------------------------
    ctx, head = session(browser, base, "nam", office.password)
    contexts.append(ctx)
    errors += watch_console(head)
    nav(head, "Việc cần xử lý")
    head.get_by_role("link", name="Về việc cử thành viên tham gia Tổ công tác chuyển đổi số").click()
    head.get_by_label("Ý kiến").fill("Đồng ý nội dung, kính trình Giám đốc.")
    head.get_by_role("button", name="Đồng ý, trình lãnh đạo cơ quan").click()
    assert head.get_by_text("Đã trình lãnh đạo cơ quan.").is_visible()

    nav(leader, "Việc cần xử lý")
    leader.get_by_role("link", name="Về việc cử thành viên tham gia Tổ công tác chuyển đổi số").click()
    leader.get_by_role("button", name="Duyệt", exact=True).click()
    assert leader.get_by_text("Đã duyệt văn bản, chờ ký số.").is_visible()
    assert leader.get_by_text("Ký bằng chứng thư số của Trần Văn Hùng").is_visible()
    assert leader.get_by_text("Văn bản được ký khi số và ngày còn để trống").is_visible()
    leader.get_by_role("button", name="Ký số").click()
    assert leader.get_by_text("Đã ký số văn bản.").is_visible()
    out.refresh_from_db()
    assert out.status == OutgoingDocument.Status.SIGNED and out.number is None  # numbered at issue
    assert leader.get_by_text("chưa cấp số").is_visible()
    signed = out.attachments.get(role="signed")
    wait_for_viewer(leader, re.compile(rf"/documents/files/{signed.pk}/\?inline=1(#|$)"))
    shot(leader, screenshots / "documents-outgoing-signed-desktop.png")

    # --- The clerk gives the number and issues ------------------------------------------------------------
    nav(clerk, "Việc cần xử lý")
    outgoing_box = clerk.locator("section").filter(has=clerk.get_by_role("heading", name="Văn bản đi"))
    outgoing_box.get_by_role("link", name="Về việc cử thành viên tham gia Tổ công tác chuyển đổi số").click()
    assert clerk.get_by_text("Số được cấp ngay bây giờ").is_visible()
    assert clerk.get_by_label("Sổ văn bản đi").is_visible()  # the register is chosen at issue
    clerk.get_by_role("button", name="Cấp số và phát hành").click()
    assert clerk.get_by_text("Đã cấp số 01/SNV-TC và phát hành văn bản.").is_visible()
    assert clerk.locator(".doc-number").inner_text() == "01/SNV-TC"
    recipients = clerk.locator(".recipients-status")
    assert recipients.locator("li").count() == 2
    assert recipients.locator("li").filter(has_text="Sở Tài chính").get_by_text("01 · Đã đến").is_visible()
    out.refresh_from_db()
    assert out.number_notation == "01/SNV-TC" and out.status == OutgoingDocument.Status.ISSUED
    wait_for_viewer(clerk, re.compile(rf"/documents/files/{signed.pk}/\?inline=1(#|$)"))
    shot(clerk, screenshots / "documents-outgoing-issued-desktop.png")

    # The registers and the search.
    nav(clerk, "Văn bản đi")
    assert clerk.locator(".doc-table").get_by_text("01/SNV-TC").is_visible()
    shot(clerk, screenshots / "documents-outgoing-list-desktop.png")
    nav(clerk, "Văn bản đến")
    assert clerk.locator(".doc-table").get_by_text("125/QĐ-UBND").is_visible()
    shot(clerk, screenshots / "documents-incoming-list-desktop.png")
    nav(clerk, "Tìm kiếm văn bản")
    clerk.get_by_role("searchbox", name="Từ khóa").fill("to cong tac")
    clerk.get_by_role("button", name="Tìm", exact=True).click()
    clerk.locator("#search-results").get_by_text("Tìm thấy 1 văn bản").wait_for()
    assert clerk.get_by_role("link", name="Văn bản đi 1").is_visible()  # the other tab's count
    clerk.get_by_role("link", name="Văn bản đi 1").click()
    clerk.locator("#search-results").get_by_text("01/SNV-TC").wait_for()
    shot(clerk, screenshots / "documents-search-desktop.png")

    # In English (the catalogue covers the document pages).
    clerk.goto(f"{base}/documents/incoming/{doc.pk}/")
    clerk.get_by_role("button", name="English").click()
    clerk.get_by_role("heading", name="Document details").wait_for()
    assert clerk.get_by_role("heading", name="Timeline").is_visible()
    assert (
        clerk.get_by_role("navigation", name="Main navigation")
        .get_by_role("link", name="My tasks")
        .is_visible()
    )
    shot(clerk, screenshots / "documents-incoming-english-desktop.png")
    clerk.get_by_role("button", name="Tiếng Việt").click()
    clerk.get_by_role("heading", name="Thông tin văn bản").wait_for()

    # The only console error: the register form answered 400 to the wrong notation.
    assert [e for e in errors if "status of 400" not in e] == [], errors
    for context in contexts:
        context.close()

    # --- The same pages on a phone -----------------------------------------------------------------------
    # One more document, already late, so that the clerk's inbox and register have something to flag.
    from egov.documents import services
    from egov.documents.models import DocumentType, Register

    services.register_incoming(
        actor=office.clerk,
        agency=office.demo.department,
        register=Register.objects.get(agency=office.demo.department, name="Sổ văn bản đến"),
        document_type=DocumentType.objects.get(code="cong-van"),
        subject="Về việc báo cáo tình hình sắp xếp đơn vị hành chính cấp xã",
        issuing_agency_name="Sở Tài chính",
        code_number="88",
        code_notation="STC-NS",
        issued_date=issued,
        due_date=timezone.localdate() - dt.timedelta(days=1),
    )
    ctx, phone = session(browser, base, "mai", office.password, phone=True)
    phone_errors = watch_console(phone)
    for name, url in (
        ("inbox", "/documents/"),
        ("incoming-list", "/documents/incoming/"),
        ("incoming-detail", f"/documents/incoming/{doc.pk}/"),
        ("register-form", "/documents/incoming/new/"),
        ("outgoing-detail", f"/documents/outgoing/{out.pk}/"),
        ("draft-form", "/documents/outgoing/new/"),
        ("search", "/documents/search/?q=to+cong+tac"),
    ):
        phone.goto(f"{base}{url}")
        phone.wait_for_load_state()
        no_horizontal_scroll(phone)
        shot(phone, screenshots / f"documents-{name}-phone.png")
    assert phone_errors == []
    ctx.close()
