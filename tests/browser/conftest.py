"""Real-browser tests: Playwright's sync API drives Debian's chromium against pytest-django's live server.

Skipped (with the reason) when /usr/bin/chromium is missing; ``.ci/run`` installs it and turns skips into
failures. Playwright's sync API runs an event loop in the test thread, so Django's "async unsafe" guard is
relaxed (``DJANGO_ALLOW_ASYNC_UNSAFE``) while the browser is open, for the ORM calls the fixtures and tests
make there; the live server itself runs in its own thread.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Screenshots go to test-artifacts/ (git-ignored); `EGOV_SCREENSHOTS=docs` refreshes the README's copies
# in docs/screenshots/ instead.
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("EGOV_SCREENSHOTS") == "docs"
    else REPO / "test-artifacts" / "screenshots"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            "/usr/bin/chromium is not installed (apt-get install chromium); the browser tests need it"
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@dataclass
class Demo:
    province: Any
    department: Any
    commune: Any
    hanoi: Any
    clerk: Any
    password: str


@pytest.fixture
def demo(transactional_db: Any) -> Demo:
    """A small but realistic slice of a province after the 2025 reorganisation."""
    from egov.directory import services
    from egov.directory.models import Agency, Role
    from egov.directory.tests.fixtures import PASSWORD

    def add(parent: Any = None, **fields: Any) -> Any:
        return services.create_agency(actor=None, parent=parent, **fields)

    def staff(username: str, full_name: str, agency: Any, role: str, title: str) -> Any:
        user = services.create_staff_user(
            actor=None,
            username=username,
            full_name=full_name,
            email=f"{username}@cantho.gov.vn",
            password=PASSWORD,
        )
        services.assign_position(
            actor=None, user=user, agency=agency, role=role, title=title, valid_from=dt.date(2025, 7, 1)
        )
        return user

    province_kind, dept, unit, commune = (
        Agency.Kind.PROVINCE,
        Agency.Kind.DEPARTMENT,
        Agency.Kind.UNIT,
        Agency.Kind.COMMUNE,
    )
    old = [
        add(kind=province_kind, name=name, short_name="UBND", valid_to=dt.date(2025, 6, 30))
        for name in (
            "Ủy ban nhân dân thành phố Cần Thơ (trước sáp nhập)",
            "Ủy ban nhân dân tỉnh Sóc Trăng",
            "Ủy ban nhân dân tỉnh Hậu Giang",
        )
    ]
    province = services.merge_agencies(
        actor=None,
        predecessors=old,
        effective=dt.date(2025, 7, 1),
        parent=None,
        kind=province_kind,
        name="Ủy ban nhân dân thành phố Cần Thơ",
        short_name="UBND",
        code_qcvn102="000.00.00.H13",
        code_qd20="H13",
        admin_unit_code="92",
        address="2 Hòa Bình, phường Ninh Kiều, thành phố Cần Thơ",
        phone="0292 3821 034",
        email="ubnd@cantho.gov.vn",
        website="https://cantho.gov.vn",
    )
    department = add(
        province,
        kind=dept,
        name="Sở Nội vụ",
        short_name="SNV",
        code_qcvn102="000.01.00.H13",
        code_qd20="H13.01",
        address="27 Lê Lợi, phường Cái Khế",
        phone="0292 3820 123",
        email="sonoivu@cantho.gov.vn",
        valid_from=dt.date(2025, 7, 1),
    )
    for name in ("Phòng Tổ chức, biên chế", "Phòng Công chức, viên chức", "Văn phòng Sở"):
        add(department, kind=unit, name=name)
    for name, short, code in (
        ("Sở Tài chính", "STC", "000.02.00.H13"),
        ("Sở Khoa học và Công nghệ", "SKHCN", "000.03.00.H13"),
        ("Văn phòng Ủy ban nhân dân thành phố", "VP", "000.04.00.H13"),
    ):
        add(province, kind=dept, name=name, short_name=short, code_qcvn102=code)
    ninh_kieu = add(
        province,
        kind=commune,
        name="Ủy ban nhân dân phường Ninh Kiều",
        short_name="UBND",
        admin_unit_code="31117",
    )
    add(
        province,
        kind=commune,
        name="Ủy ban nhân dân phường Cái Khế",
        short_name="UBND",
        admin_unit_code="31120",
    )
    add(
        province,
        kind=commune,
        name="Ủy ban nhân dân xã Phong Điền",
        short_name="UBND",
        admin_unit_code="31300",
    )
    hanoi = add(
        kind=province_kind,
        name="Ủy ban nhân dân thành phố Hà Nội",
        short_name="UBND",
        code_qcvn102="000.00.00.H26",
    )
    add(hanoi, kind=dept, name="Sở Nội vụ thành phố Hà Nội", short_name="SNV")
    clerk = staff("mai", "Nguyễn Thị Mai", department, Role.CLERK, "Văn thư")
    staff("hung", "Trần Văn Hùng", department, Role.LEADER, "Giám đốc")
    staff("tuan", "Lê Minh Tuấn", department, Role.SPECIALIST, "Chuyên viên")
    staff("lan", "Phạm Thị Lan", department, Role.AGENCY_ADMIN, "Chánh Văn phòng")
    return Demo(province, department, ninh_kieu, hanoi, clerk, PASSWORD)
