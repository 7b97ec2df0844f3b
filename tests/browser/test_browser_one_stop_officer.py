"""The one-stop shop (Bộ phận Một cửa) walked in a real browser (chromium) by two people:

* the one-stop officer receives a dossier at the desk: finds the procedure typing without accents, enters the
  applicant, ticks the papers (one with its scan), first forgets a required paper (clearly refused, nothing
  saved), then receives it; prints the receipt (mẫu 01) and sends the dossier to the specialist (dialog
  loaded by htmx);
* the specialist finds it in the queue, asks for a supplement (an empty reason is refused inside the dialog);
* the officer receives the supplement at the desk: the dossier is back in processing; the timeline says so.

Screenshots (desktop and a 390 px phone) go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def watch_console(page: Any) -> list[str]:
    """Console errors (a CSP violation or a failed htmx request shows up here)."""
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


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px screen: {page.url}"


def scan_pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from egov.signing import fonts

    regular, _bold, _italic = fonts.reportlab_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont(regular, 14)
    c.drawString(72, 760, text)
    c.showPage()
    c.save()
    return out.getvalue()


def make_catalogue(demo: Any) -> Any:
    from egov.procedures.models import (
        Channel,
        ExecutionMethod,
        Field,
        Procedure,
        ProcedureAgency,
        ProcessStep,
        RequiredPaper,
    )

    field = Field.objects.create(code="CBCC", name="Công chức, viên chức")
    procedure = Procedure.objects.create(
        code="1.005384",
        name="Đăng ký dự tuyển công chức",
        field=field,
        levels=["province"],
        online_level=Procedure.OnlineLevel.PARTIAL,
    )
    for channel in (Channel.DIRECT, Channel.POSTAL, Channel.ONLINE):
        ExecutionMethod.objects.create(procedure=procedure, channel=channel, processing_days=Decimal("10"))
    ProcedureAgency.objects.create(
        procedure=procedure, agency=demo.department, role=ProcedureAgency.Part.RECEIVING
    )
    RequiredPaper.objects.create(
        procedure=procedure, order=1, code="PHIEU_DT", name="Phiếu đăng ký dự tuyển", copies=0
    )
    RequiredPaper.objects.create(
        procedure=procedure,
        order=2,
        code="VAN_BANG",
        name="Bản sao văn bằng, chứng chỉ",
        originals=0,
        copies=1,
    )
    from egov.directory.models import Role

    ProcessStep.objects.create(
        procedure=procedure, order=1, name="Thẩm định hồ sơ", role=Role.SPECIALIST, days=Decimal("7")
    )
    ProcessStep.objects.create(
        procedure=procedure, order=2, name="Phê duyệt", role=Role.LEADER, days=Decimal("3")
    )
    return procedure


def officer_of(demo: Any) -> Any:
    from egov.directory import services
    from egov.directory.models import Role

    user = services.create_staff_user(
        actor=None, username="thu", full_name="Võ Thị Thu", email="thu@cantho.gov.vn", password=demo.password
    )
    services.assign_position(
        actor=None,
        user=user,
        agency=demo.department,
        role=Role.ONE_STOP_OFFICER,
        title="Cán bộ một cửa",
        valid_from=dt.date(2025, 7, 1),
    )
    return user


def test_officer_receives_forwards_and_the_specialist_asks_for_a_supplement(
    browser: Any, live_server: Any, demo: Any, screenshots: Path, tmp_path: Path
) -> None:
    from egov.dossiers.models import Dossier, Status

    base = live_server.url
    make_catalogue(demo)
    officer_of(demo)
    scan = tmp_path / "phieu-dang-ky.pdf"
    scan.write_bytes(scan_pdf("Phiếu đăng ký dự tuyển — Nguyễn Văn Bình"))
    contexts = []
    try:
        # --- The officer receives the dossier at the desk -------------------------------------------------
        ctx = browser.new_context(viewport=DESKTOP, locale="vi-VN")
        contexts.append(ctx)
        officer = ctx.new_page()
        errors = watch_console(officer)
        log_in(officer, base, "thu", demo.password)
        officer.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Một cửa").click()
        officer.wait_for_url(f"{base}/mot-cua/")
        assert officer.get_by_text("Không có hồ sơ nào đang chờ giải quyết.").is_visible()
        officer.get_by_role("link", name="Tiếp nhận hồ sơ mới").click()
        officer.wait_for_url(f"{base}/mot-cua/tiep-nhan/")
        with officer.expect_response(re.compile(r"/mot-cua/tiep-nhan/\?")):
            officer.get_by_label("Tìm thủ tục").fill("dang ky du tuyen")
        results = officer.locator(".procedure-results")
        results.get_by_text("Đăng ký dự tuyển công chức").wait_for()
        results.get_by_role("link", name="Chọn").click()
        officer.wait_for_url(re.compile(r"/mot-cua/tiep-nhan/\d+/\d+/$"))
        officer.get_by_label("Họ tên chủ hồ sơ / tên tổ chức").fill("Nguyễn Văn Bình")
        officer.get_by_label("Số CCCD/định danh").fill("092090001234")
        officer.get_by_label("Điện thoại").fill("0912345678")
        officer.get_by_label("Địa chỉ").fill("27 Lê Lợi, phường Cái Khế")
        officer.get_by_label("Phiếu đăng ký dự tuyển").check()
        officer.locator("input[type=file]").first.set_input_files(str(scan))
        # The copy of the diploma is forgotten: refused, with the reason, nothing saved.
        officer.get_by_role("button", name="Tiếp nhận", exact=True).click()
        officer.wait_for_load_state()
        assert officer.get_by_text("Thiếu giấy tờ bắt buộc").first.is_visible()
        assert Dossier.objects.count() == 0
        assert officer.get_by_text("Các tệp đã chọn chưa được lưu").is_visible()
        officer.get_by_label("Bản sao văn bằng, chứng chỉ").check()
        officer.locator("input[type=file]").first.set_input_files(str(scan))
        shot(officer, screenshots / "one-stop-desk-desktop.png")
        officer.get_by_role("button", name="Tiếp nhận", exact=True).click()
        officer.wait_for_url(re.compile(r"/mot-cua/ho-so/\d+/$"))
        dossier = Dossier.objects.get()
        assert dossier.status == Status.RECEIVED
        assert officer.get_by_text(f"Đã tiếp nhận hồ sơ {dossier.code}").is_visible()
        assert officer.get_by_text("phieu-dang-ky.pdf").is_visible()

        # The receipt (mẫu 01) is an inline PDF.
        receipt = officer.get_by_role("link", name="In giấy tiếp nhận (mẫu 01)")
        assert receipt.is_visible()
        if importlib.util.find_spec("egov.dossiers.printouts") is not None:
            response = officer.request.get(base + receipt.get_attribute("href"))
            assert response.status == 200 and response.headers["content-type"] == "application/pdf"
            assert response.body().startswith(b"%PDF")

        # Send it to the specialist (dialog loaded by htmx, the page stays).
        with officer.expect_response(re.compile(r"/start/$")):
            officer.get_by_role("link", name="Chuyển xử lý").click()
        dialog = officer.get_by_role("dialog", name="Chuyển xử lý")
        dialog.wait_for()
        assert officer.url.endswith(f"/mot-cua/ho-so/{dossier.pk}/")
        dialog.get_by_label("Người xử lý").select_option(label="Lê Minh Tuấn")
        dialog.get_by_role("button", name="Chuyển xử lý").click()
        officer.wait_for_url(f"{base}/mot-cua/ho-so/{dossier.pk}/")
        assert officer.get_by_text("Đã chuyển hồ sơ sang bước “Thẩm định hồ sơ”.").is_visible()
        dossier.refresh_from_db()
        assert dossier.status == Status.PROCESSING and dossier.current_step.handler.username == "tuan"

        # --- The specialist asks for a supplement -----------------------------------------------------------
        ctx = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        contexts.append(ctx)
        specialist = ctx.new_page()
        errors += watch_console(specialist)
        log_in(specialist, base, "tuan", demo.password)
        specialist.goto(f"{base}/mot-cua/")
        specialist.get_by_role("link", name=dossier.code).click()
        specialist.wait_for_url(f"{base}/mot-cua/ho-so/{dossier.pk}/")
        no_horizontal_scroll(specialist)
        shot(specialist, screenshots / "one-stop-dossier-phone.png")
        with specialist.expect_response(re.compile(r"/supplement/$")):
            specialist.get_by_role("link", name="Yêu cầu bổ sung").click()
        dialog = specialist.get_by_role("dialog", name="Yêu cầu bổ sung, hoàn thiện hồ sơ")
        dialog.wait_for()
        dialog.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
        specialist.wait_for_load_state()
        dialog = specialist.get_by_role("dialog", name="Yêu cầu bổ sung, hoàn thiện hồ sơ")
        assert dialog.locator(".field-errors").first.is_visible()  # the error is shown in the dialog
        dossier.refresh_from_db()
        assert dossier.status == Status.PROCESSING
        dialog.get_by_label("Lý do yêu cầu bổ sung").fill("Bản sao văn bằng chưa được chứng thực.")
        dialog.get_by_label("Bản sao văn bằng, chứng chỉ").check()
        dialog.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
        specialist.wait_for_url(f"{base}/mot-cua/ho-so/{dossier.pk}/")
        assert specialist.get_by_text("Đã yêu cầu bổ sung hồ sơ").is_visible()
        dossier.refresh_from_db()
        assert dossier.status == Status.SUPPLEMENT

        # --- The officer receives the supplement at the desk ------------------------------------------------
        officer.goto(f"{base}/mot-cua/ho-so/{dossier.pk}/")
        with officer.expect_response(re.compile(r"/provide/$")):
            officer.get_by_role("link", name="Nhận giấy tờ bổ sung").click()
        dialog = officer.get_by_role("dialog", name="Nhận giấy tờ bổ sung")
        dialog.wait_for()
        dialog.get_by_label("Giấy tờ", exact=True).select_option(label="Bản sao văn bằng, chứng chỉ")
        dialog.locator("input[type=file]").set_input_files(str(scan))
        dialog.get_by_role("button", name="Nhận bổ sung").click()
        officer.wait_for_url(f"{base}/mot-cua/ho-so/{dossier.pk}/")
        dossier.refresh_from_db()
        assert dossier.status == Status.PROCESSING
        timeline = officer.locator(".timeline")
        assert timeline.get_by_text("Yêu cầu bổ sung hồ sơ").is_visible()
        assert timeline.get_by_text("Bổ sung hồ sơ", exact=True).is_visible()
        shot(officer, screenshots / "one-stop-dossier-desktop.png")

        officer.goto(f"{base}/mot-cua/thong-ke/")
        assert officer.get_by_role("heading", name="Thống kê giải quyết thủ tục hành chính").is_visible()
        assert officer.locator("progress").first.is_visible()
        # The two refused forms answer 400 on purpose (the error page is the form with its errors).
        assert [e for e in errors if "status of 400" not in e] == [], errors
    finally:
        for ctx in contexts:
            ctx.close()
