from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.audit.models import AuditEntry
from egov.directory import selectors
from egov.directory.demo_data import DEMO_PASSWORD, DEPARTMENTS, STAFF
from egov.directory.models import Agency, CitizenProfile, Position, Role, User


@pytest.fixture(autouse=True)
def _no_demo_documents(settings):
    """These tests are about the directory part of ``egov demo``; its documents are tested in documents."""
    settings.EGOV_DEMO_DOCUMENTS_SCALE = 0
    settings.EGOV_DEMO_DOSSIERS_SCALE = 0


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Agency.objects.count(),
        User.objects.count(),
        Position.objects.count(),
        CitizenProfile.objects.count(),
        AuditEntry.objects.count(),
    )


def test_demo_province_departments_and_units(db):
    out = demo()
    province = Agency.objects.get(external_key="gso2025:province:92")
    assert province.name == "Ủy ban nhân dân Thành phố Cần Thơ"
    assert province.code_qcvn102 == "000.00.00.H92"
    assert province.children.filter(kind=Agency.Kind.COMMUNE).count() == 103
    departments = {a.short_name: a for a in province.children.filter(kind=Agency.Kind.DEPARTMENT)}
    assert set(departments) == {"VP", "SNV", "STP", "SYT", "STC", "SKHCN", "TTPVHCC"}
    assert departments["SNV"].name == "Sở Nội vụ thành phố Cần Thơ"
    assert departments["VP"].name == "Văn phòng Ủy ban nhân dân thành phố Cần Thơ"
    assert departments["TTPVHCC"].name == "Trung tâm Phục vụ hành chính công thành phố Cần Thơ"
    assert all(d.code_qcvn102 and d.code_qcvn102.endswith(".H92") for d in departments.values())
    assert len({d.code_qcvn102 for d in departments.values()}) == len(DEPARTMENTS)
    for short in ("SNV", "VP"):
        assert departments[short].children.filter(kind=Agency.Kind.UNIT).count() >= 2
    assert "illustrative" in out and "minh họa" in out


def test_demo_staff_in_every_role_and_a_citizen(db):
    out = demo()
    roles = set(Position.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    one_stop = Position.objects.filter(role=Role.ONE_STOP_OFFICER).select_related("agency")
    kinds = sorted(p.agency.kind for p in one_stop)
    assert kinds.count(Agency.Kind.COMMUNE) == 2 and Agency.Kind.DEPARTMENT in kinds
    assert one_stop.filter(agency__short_name="TTPVHCC").exists()
    assert len({p.agency_id for p in one_stop.filter(agency__kind=Agency.Kind.COMMUNE)}) == 2
    for spec in STAFF:
        user = User.objects.get(username=spec.username)
        assert user.kind == User.Kind.STAFF and user.full_name == spec.full_name
        assert user.check_password(DEMO_PASSWORD)
        assert spec.username in out
    sysadmin = User.objects.get(username="quantri.hethong")
    assert selectors.is_system_admin(sysadmin) and sysadmin.is_staff
    citizen = User.objects.get(kind=User.Kind.CITIZEN)
    assert citizen.citizen_profile.identity_number.startswith("092")
    assert citizen.check_password(DEMO_PASSWORD)
    assert citizen.username in out
    assert DEMO_PASSWORD in out
    assert "Tên đăng nhập / username" in out


def test_demo_is_idempotent(db):
    demo()
    before = counts()
    out = demo()
    assert counts() == before
    assert "already present" in out
    assert "chutich" in out and DEMO_PASSWORD in out  # logins still printed


def test_demo_refused_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        demo()
    assert counts() == (0, 0, 0, 0, 0)


def test_demo_province_from_settings(db, settings):
    settings.EGOV_DEMO_PROVINCE_CODE = "96"  # Cà Mau: a province (tỉnh), not a city
    demo()
    province = Agency.objects.get(external_key="gso2025:province:96")
    assert province.code_qcvn102 == "000.00.00.H96"
    assert province.children.get(short_name="SNV").name == "Sở Nội vụ tỉnh Cà Mau"
    assert CitizenProfile.objects.get().identity_number.startswith("096")
    assert not Agency.objects.filter(external_key="gso2025:province:92").exists()


def test_demo_keeps_a_code_that_is_already_taken(db, tree):
    """The demo never steals a QCVN 102 code that another agency holds."""
    from egov.directory import services

    services.update_agency(actor=None, agency=tree.other_province, code_qcvn102="000.00.02.H92")
    demo()
    snv = Agency.objects.get(external_key="demo:92:snv")
    assert snv.code_qcvn102 is None
    tree.other_province.refresh_from_db()
    assert tree.other_province.code_qcvn102 == "000.00.02.H92"
