"""Reporting walked in a real browser (chromium): the department's clerk fills the monthly report (the
computed indicator prefilled from the platform facts) and sends it → the province's leader returns it with a
reason → the clerk corrects and sends version 2 → the leader accepts → the leader's dashboard shows the
platform figures with its SVG charts, on a desktop and on a 390 px phone; the public transparency page too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/")


def session(browser: Any, base: str, username: str, password: str, *, phone: bool = False) -> tuple[Any, Any]:
    if phone:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    else:
        context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    log_in(page, base, username, password)
    return context, page


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def fill(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


@pytest.fixture
def setup(demo: Any) -> dict[str, Any]:
    from django.utils import timezone

    from egov.directory import services as directory_services
    from egov.directory.models import Role
    from egov.reporting import facts, services
    from egov.reporting.models import ExpectedReport, Period
    from egov.reporting.periods import period_containing
    from egov.reporting.tests.conftest import REGIME

    leader = directory_services.create_staff_user(
        actor=None,
        username="binh",
        full_name="Trần Văn Bình",
        email="binh@cantho.gov.vn",
        password=demo.password,
    )
    directory_services.assign_position(
        actor=None,
        user=leader,
        agency=demo.province,
        role=Role.LEADER,
        title="Chủ tịch",
        valid_from=dt.date(2025, 7, 1),
    )
    regime = services.import_regime(
        actor=None,
        data={
            **REGIME,
            "receiving_agency": {"id": demo.province.pk},
            "reporting_agencies": [{"id": demo.department.pk}, {"id": demo.commune.pk}],
        },
    )
    services.generate_periods(actor=None, regime=regime)
    spec = period_containing(regime.frequency, timezone.localdate())
    assert spec is not None
    period = Period.objects.get(regime=regime, key=spec.key)
    today = timezone.localdate()
    facts.bump(demo.department.pk, max(period.start, today.replace(day=1)), "documents.incoming", 17)
    facts.bump(demo.department.pk, today, "dossiers.received", 240)
    facts.bump(demo.department.pk, today, "dossiers.on_time", 190, 200)
    facts.bump(demo.commune.pk, today, "dossiers.received", 60)
    facts.bump(demo.commune.pk, today, "dossiers.on_time", 45, 50)
    report = ExpectedReport.objects.get(period=period, agency=demo.department)
    return {"report": report, "regime": regime}


VALUES = {
    "v-received": "10",
    "v-online": "6",
    "v-direct": "4",
    "v-resolved": "8",
    "v-on_time": "6",
    "v-satisfaction": "8,5",
    "v-by_field-tu_phap": "3",
    "v-by_field-dat_dai": "7",
}


def test_submit_return_resubmit_accept_then_dashboard(
    browser: Any, live_server: Any, demo: Any, setup: dict[str, Any], screenshots: Path
) -> None:
    base = live_server.url
    regime_name = setup["regime"].name

    # The clerk opens the report from the list: the computed indicator is prefilled.
    ctx_c, clerk = session(browser, base, "mai", demo.password)
    nav(clerk, "Báo cáo")
    label = setup["report"].period.label
    clerk.locator("#own-list tr", has_text=label).get_by_role("link", name=regime_name).click()
    assert clerk.locator("#v-incoming_docs").input_value() == "17"
    fill(clerk, {**VALUES, "v-direct": "5"})  # parts do not add up: refused, nothing lost
    clerk.get_by_role("button", name="Gửi báo cáo").click()
    assert clerk.locator(".field-errors").first.is_visible()
    assert clerk.locator("#v-received").input_value() == "10"
    fill(clerk, VALUES)
    clerk.get_by_role("button", name="Gửi báo cáo").click()
    assert clerk.locator("#report-status").inner_text() == "Đã gửi"
    clerk.screenshot(path=str(screenshots / "reporting-report-sent.png"), full_page=True)

    # The province's leader returns it with a reason.
    ctx_l, leader = session(browser, base, "binh", demo.password)
    nav(leader, "Báo cáo")
    leader.locator("#review-list").get_by_role("link", name=regime_name).click()
    leader.get_by_label("Lý do trả lại").fill("Số hồ sơ tiếp nhận chưa khớp sổ theo dõi")
    leader.get_by_role("button", name="Trả lại để sửa").click()
    assert leader.locator("#report-status").inner_text() == "Trả lại để sửa"

    # The clerk sees the reason, corrects and sends version 2.
    clerk.reload()
    assert clerk.get_by_text("Số hồ sơ tiếp nhận chưa khớp sổ theo dõi").first.is_visible()
    fill(clerk, {"v-received": "11", "v-direct": "5"})
    clerk.get_by_role("button", name="Gửi báo cáo").click()
    assert clerk.locator("#report-status").inner_text() == "Đã gửi"
    assert clerk.locator("#history tbody tr").count() == 2

    # The leader accepts it.
    leader.goto(f"{base}/bao-cao/{setup['report'].pk}/")
    leader.get_by_role("button", name="Tiếp nhận").click()
    assert leader.locator("#report-status").inner_text() == "Đã tiếp nhận"

    # The dashboard shows the platform figures, with the department in the drill-down and the rankings.
    leader.goto(f"{base}/bao-cao/")
    leader.get_by_role("link", name="Bảng điều hành").click()
    kpi = leader.locator("#kpi")
    assert "300" in kpi.locator("[data-metric='dossiers.received']").inner_text()
    assert "94,0" in kpi.locator("[data-metric='dossiers.on_time']").inner_text()  # 235/250
    assert leader.locator("#children").get_by_role("link", name="Sở Nội vụ").is_visible()
    assert leader.locator("svg.rp-bars").count() >= 2
    leader.screenshot(path=str(screenshots / "reporting-dashboard.png"), full_page=True)
    leader.locator("#children").get_by_role("link", name="Sở Nội vụ").click()
    assert "240" in leader.locator("#kpi [data-metric='dossiers.received']").inner_text()

    # On a phone: readable, no horizontal scrolling.
    ctx_p, phone = session(browser, base, "binh", demo.password, phone=True)
    phone.goto(f"{base}/bao-cao/dieu-hanh/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"dashboard is {width}px wide on a phone"
    phone.screenshot(path=str(screenshots / "reporting-dashboard-phone.png"), full_page=True)

    # The public page, anonymous.
    ctx_a = browser.new_context(viewport=PHONE)
    anonymous = ctx_a.new_page()
    anonymous.goto(f"{base}/dich-vu-cong/minh-bach/")
    assert anonymous.get_by_role("heading", level=1).inner_text().startswith("Công khai")
    assert "Ủy ban nhân dân phường Ninh Kiều" in anonymous.locator("#agencies").inner_text()
    width = anonymous.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"transparency page is {width}px wide on a phone"
    for ctx in (ctx_c, ctx_l, ctx_p, ctx_a):
        ctx.close()
