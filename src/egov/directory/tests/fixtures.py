"""Fixtures for tests of every app: a small agency tree and staff in each role.

Tree::

    UBND tỉnh Demo (province, 000.00.00.H99)
    ├── Sở Nội vụ (department)
    │   └── Phòng Tổ chức (unit)
    ├── Văn phòng UBND tỉnh (department)
    └── UBND xã An Bình (commune)
    UBND tỉnh Khác (province, 000.00.00.H98)  -- the "foreign" agency
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from egov.directory import services
from egov.directory.models import Agency, Role, User

PASSWORD = "Egov-Test-2026!"


@dataclass
class Tree:
    province: Agency
    department: Agency
    unit: Agency
    office: Agency
    commune: Agency
    other_province: Agency


def make_staff(username: str, agency: Agency, role: str, *, title: str = "", full_name: str = "") -> User:
    user = services.create_staff_user(
        actor=None,
        username=username,
        full_name=full_name or username.title(),
        email=f"{username}@example.gov.vn",
        password=PASSWORD,
    )
    services.assign_position(actor=None, user=user, agency=agency, role=role, title=title)
    return user


@pytest.fixture
def tree(db: Any) -> Tree:
    c = services.create_agency
    province = c(
        actor=None,
        kind=Agency.Kind.PROVINCE,
        name="Ủy ban nhân dân tỉnh Demo",
        short_name="UBND",
        code_qcvn102="000.00.00.H99",
    )
    department = c(
        actor=None,
        parent=province,
        kind=Agency.Kind.DEPARTMENT,
        name="Sở Nội vụ",
        short_name="SNV",
        code_qcvn102="000.00.01.H99",
    )
    unit = c(actor=None, parent=department, kind=Agency.Kind.UNIT, name="Phòng Tổ chức", short_name="TC")
    office = c(
        actor=None,
        parent=province,
        kind=Agency.Kind.DEPARTMENT,
        name="Văn phòng UBND tỉnh",
        short_name="VP",
        code_qcvn102="000.00.02.H99",
    )
    commune = c(
        actor=None,
        parent=province,
        kind=Agency.Kind.COMMUNE,
        name="Ủy ban nhân dân xã An Bình",
        short_name="UBND",
        admin_unit_code="99001",
    )
    other = c(
        actor=None,
        kind=Agency.Kind.PROVINCE,
        name="Ủy ban nhân dân tỉnh Khác",
        short_name="UBND",
        code_qcvn102="000.00.00.H98",
    )
    return Tree(province, department, unit, office, commune, other)


@pytest.fixture
def clerk(tree: Tree) -> User:
    return make_staff("vanthu", tree.department, Role.CLERK, title="Văn thư")


@pytest.fixture
def leader(tree: Tree) -> User:
    return make_staff("giamdoc", tree.department, Role.LEADER, title="Giám đốc")


@pytest.fixture
def specialist(tree: Tree) -> User:
    return make_staff("chuyenvien", tree.unit, Role.SPECIALIST, title="Chuyên viên")


@pytest.fixture
def agency_admin(tree: Tree) -> User:
    return make_staff("quantri", tree.department, Role.AGENCY_ADMIN, title="Quản trị")


@pytest.fixture
def system_admin(tree: Tree) -> User:
    return make_staff("sysadmin", tree.province, Role.SYSTEM_ADMIN, title="Quản trị hệ thống")


@pytest.fixture
def foreign_staff(tree: Tree) -> User:
    """Staff of another province: must see none of tree.department's objects."""
    return make_staff("nguoingoai", tree.other_province, Role.AGENCY_ADMIN, title="Quản trị")


def register_test_citizen() -> User:
    """One citizen account with e-mail and phone (Nguyễn Văn Dân), for the auth and password-reset tests."""
    return services.register_citizen(
        full_name="Nguyễn Văn Dân",
        identity_number="001099012345",
        password=PASSWORD,
        phone="0912345678",
        email="dan@example.com",
    )
