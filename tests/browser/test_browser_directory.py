"""A staff member's walk through the directory in a real browser (chromium), on a desktop and on a phone.

Also writes the screenshots of ``docs/screenshots/`` that the README shows.
"""

from __future__ import annotations

import re
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
    """A full-page screenshot. ``caret="initial"``: Playwright's caret hiding would leave ``style=""`` on the
    inputs, which htmx's history snapshot would later replay against the CSP."""
    page.screenshot(path=str(path), full_page=True, caret="initial")


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/")
    assert "/login/" in page.url
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def test_staff_walks_through_the_directory(
    browser: Any, live_server: Any, demo: Any, screenshots: Path
) -> None:
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    errors = watch_console(page)

    # Log in.
    log_in(page, base, "mai", demo.password)
    assert page.get_by_role("heading", name="Xin chào, Nguyễn Thị Mai").is_visible()
    assert page.get_by_text("Văn thư — Sở Nội vụ").is_visible()
    shot(page, screenshots / "home-desktop.png")

    # Open the directory and expand a node: its children arrive through htmx.
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Danh bạ cơ quan"
    ).click()
    page.wait_for_url(f"{base}/directory/")
    tree = page.locator("#directory-results")
    assert tree.get_by_role("link", name="Ủy ban nhân dân thành phố Cần Thơ", exact=True).is_visible()
    assert tree.get_by_text("Sở Nội vụ", exact=True).count() == 0
    node = tree.locator("details").filter(
        has=page.get_by_role("link", name="Ủy ban nhân dân thành phố Cần Thơ")
    )
    with page.expect_response(re.compile(rf"/directory/{demo.province.pk}/children/$")):
        node.locator("summary .node-meta").first.click()
    child = tree.get_by_role("link", name="Sở Nội vụ", exact=True)
    child.wait_for()
    assert tree.get_by_role("link", name="Ủy ban nhân dân phường Ninh Kiều").is_visible()
    # A second level: the internal units of the department.
    sub = tree.locator("details").filter(has=page.get_by_role("link", name="Sở Nội vụ", exact=True)).last
    with page.expect_response(re.compile(rf"/directory/{demo.department.pk}/children/$")):
        sub.locator("summary .node-meta").first.click()
    tree.get_by_role("link", name="Phòng Tổ chức, biên chế").wait_for()
    shot(page, screenshots / "directory-desktop.png")

    # Search as you type, without accents: "ha noi" finds "Hà Nội".
    search = page.get_by_role("searchbox", name="Tìm cơ quan")
    search.press_sequentially("ha noi", delay=40)
    result = tree.get_by_role("link", name="Ủy ban nhân dân thành phố Hà Nội")
    result.wait_for()
    page.wait_for_url(re.compile(r"/directory/\?.*q=ha(\+|%20)noi"))
    assert tree.get_by_role("link", name="Sở Nội vụ thành phố Hà Nội").is_visible()
    assert tree.get_by_text("Cần Thơ").count() == 0
    assert "Tìm thấy 2 cơ quan" in page.locator("#search-status").inner_text()

    # Another search, then open the agency page.
    search.fill("so noi vu")
    tree.get_by_role("link", name="Sở Nội vụ", exact=True).wait_for()
    tree.get_by_role("link", name="Sở Nội vụ", exact=True).click()
    page.wait_for_url(f"{base}/agencies/{demo.department.pk}/")
    assert page.get_by_role("heading", name="Sở Nội vụ", level=1).is_visible()
    assert page.get_by_text("000.01.00.H13").is_visible()
    assert page.get_by_text("01/07/2025").first.is_visible()
    assert page.get_by_role("link", name="Trần Văn Hùng").is_visible()  # own agency: people are listed
    shot(page, screenshots / "agency-desktop.png")

    # The people of the user's organisation, searched without accents.
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Cán bộ").click()
    people = page.locator("#people-results")
    assert people.get_by_role("link", name="Lê Minh Tuấn").is_visible()
    page.get_by_role("searchbox", name="Tìm cán bộ").press_sequentially("tran van", delay=40)
    people.get_by_text("Tìm thấy 1 cán bộ").wait_for()
    assert people.get_by_role("link", name="Trần Văn Hùng").is_visible()
    assert people.get_by_role("link", name="Lê Minh Tuấn").count() == 0
    shot(page, screenshots / "people-desktop.png")
    page.go_back()
    page.wait_for_url(f"{base}/people/")
    page.go_back()
    page.wait_for_url(f"{base}/agencies/{demo.department.pk}/")

    # Switch to English: the labels change and the choice persists.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="General information").is_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Agency directory").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    nav.get_by_role("link", name="Agency directory").click()
    assert page.get_by_role("searchbox", name="Find an agency").is_visible()
    shot(page, screenshots / "directory-english-desktop.png")

    # Log out (a POST form); the login page stays in English.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/"))
    assert page.get_by_role("heading", name="Log in").is_visible()
    assert page.get_by_text("You have logged out.").is_visible()
    page.goto(f"{base}/directory/")
    assert "/login/" in page.url

    assert errors == []
    context.close()


def test_phone_layout(browser: Any, live_server: Any, demo: Any, screenshots: Path) -> None:
    base = live_server.url
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    errors = watch_console(page)

    page.goto(f"{base}/login/")
    shot(page, screenshots / "login-phone.png")
    log_in(page, base, "mai", demo.password)

    def no_horizontal_scroll() -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px screen: {page.url}"

    no_horizontal_scroll()
    shot(page, screenshots / "home-phone.png")

    page.goto(f"{base}/directory/")
    page.get_by_role("searchbox", name="Tìm cơ quan").press_sequentially("ninh kieu", delay=40)
    page.locator("#directory-results").get_by_role("link", name="Ủy ban nhân dân phường Ninh Kiều").wait_for()
    no_horizontal_scroll()
    shot(page, screenshots / "directory-search-phone.png")

    page.goto(f"{base}/agencies/{demo.province.pk}/")
    assert page.get_by_role("heading", name="Lịch sử sắp xếp").is_visible()
    assert page.get_by_role("link", name="Ủy ban nhân dân tỉnh Sóc Trăng").is_visible()
    assert page.get_by_text("Danh sách cán bộ chỉ hiển thị cho cán bộ thuộc cơ quan này.").is_visible()
    no_horizontal_scroll()
    shot(page, screenshots / "agency-phone.png")

    page.goto(f"{base}/agencies/{demo.department.pk}/")
    no_horizontal_scroll()

    assert errors == []
    context.close()


def test_agency_admin_sees_field_errors(browser: Any, live_server: Any, demo: Any, screenshots: Path) -> None:
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    errors = watch_console(page)
    log_in(page, base, "lan", demo.password)
    page.goto(f"{base}/agencies/{demo.department.pk}/")
    page.get_by_role("link", name="Sửa thông tin").click()
    page.get_by_label("Tên đầy đủ").fill("")
    page.get_by_label("Thư điện tử").fill("khong-phai-email")
    page.get_by_label("Hiệu lực đến").fill("01/01/2020")
    page.get_by_role("button", name="Lưu thay đổi").click()
    alert = page.get_by_role("alert")
    assert "Chưa lưu được" in alert.inner_text()
    assert page.get_by_text("Trường này là bắt buộc.").first.is_visible()
    assert page.get_by_label("Tên đầy đủ").get_attribute("aria-invalid") == "true"
    shot(page, screenshots / "agency-edit-errors-desktop.png")
    demo.department.refresh_from_db()
    assert demo.department.name == "Sở Nội vụ"
    assert errors == [] or all("400" in e for e in errors)
    context.close()


def test_two_factor_enrolment_and_login(browser: Any, live_server: Any, demo: Any, screenshots: Path) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def code(device: Any, step: int = 0) -> str:
        device.refresh_from_db()
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + step):06d}"

    base = live_server.url
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="vi-VN")
    page = context.new_page()
    errors = watch_console(page)
    log_in(page, base, "tuan", demo.password)
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Hồ sơ của tôi").click()
    page.get_by_role("link", name="Bật xác thực hai lớp").click()
    qr = page.get_by_role("img", name="Mã QR để thêm tài khoản egov vào ứng dụng xác thực")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the data: URI passes the CSP
    shot(page, screenshots / "two-factor-setup-phone.png")
    device = TOTPDevice.objects.get(user__username="tuan")
    page.get_by_label("Mã xác thực (6 chữ số)").fill(code(device))
    page.get_by_role("button", name="Bật xác thực hai lớp").click()
    assert page.get_by_text("Đã bật xác thực hai lớp.").is_visible()
    shot(page, screenshots / "profile-phone.png")

    # The next login asks for the code before any staff page opens.
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_label("Tên đăng nhập").fill("tuan")
    page.get_by_label("Mật khẩu").fill(demo.password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/login/verify/")
    page.goto(f"{base}/directory/")
    assert "/login/" in page.url
    page.goto(f"{base}/login/verify/")
    page.get_by_label("Mã xác thực (6 chữ số)").fill(code(device, step=1))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", name="Xin chào, Lê Minh Tuấn").is_visible()
    assert errors == []
    context.close()
