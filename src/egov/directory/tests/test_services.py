from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory import selectors, services
from egov.directory.models import Agency, Delegation, Position, Role, User
from egov.directory.tests.fixtures import make_staff


def test_tree_paths_and_subtree(tree):
    assert tree.unit.path == f"/{tree.province.pk}/{tree.department.pk}/{tree.unit.pk}/"
    assert tree.unit.depth == 2
    assert set(Agency.objects.subtree(tree.department)) == {tree.department, tree.unit}
    assert [a.pk for a in tree.unit.ancestors()] == [tree.province.pk, tree.department.pk]
    assert tree.unit.organisation() == tree.department


def test_move_agency_rewrites_descendant_paths(tree, system_admin):
    services.move_agency(actor=system_admin, agency=tree.department, new_parent=tree.office)
    tree.unit.refresh_from_db()
    assert tree.unit.path == f"/{tree.province.pk}/{tree.office.pk}/{tree.department.pk}/{tree.unit.pk}/"
    assert tree.unit.depth == 3
    with pytest.raises(ValidationError):
        services.move_agency(actor=system_admin, agency=tree.office, new_parent=tree.unit)


def test_invalid_codes_rejected_and_nothing_saved(tree):
    count, audits = Agency.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as err:
        services.create_agency(
            actor=None,
            parent=tree.province,
            kind=Agency.Kind.DEPARTMENT,
            name="Sở X",
            code_qcvn102="ABC",
            code_qd20="h37 dn",
        )
    assert {"code_qcvn102", "code_qd20"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError):
        services.create_agency(actor=None, kind="nonsense", name="X")
    assert (Agency.objects.count(), AuditEntry.objects.count()) == (count, audits)


def test_search_is_accent_and_case_insensitive(tree):
    services.create_agency(actor=None, kind=Agency.Kind.PROVINCE, name="Ủy ban nhân dân Thành phố Hà Nội")
    services.create_agency(actor=None, kind=Agency.Kind.PROVINCE, name="Ủy ban nhân dân tỉnh Đắk Lắk")
    for text in ("ha noi", "Hà Nội", "HA NOI", "hà nội"):
        assert [a.name for a in Agency.objects.search(text)] == ["Ủy ban nhân dân Thành phố Hà Nội"], text
    assert Agency.objects.search("dak lak").count() == 1
    assert Agency.objects.search("ĐẮK").count() == 1


def test_merge_keeps_history(tree, system_admin):
    effective = dt.date(2025, 7, 1)
    new = services.merge_agencies(
        actor=system_admin,
        predecessors=[tree.commune],
        effective=effective,
        parent=tree.province,
        kind=Agency.Kind.COMMUNE,
        name="Ủy ban nhân dân xã Mới",
    )
    tree.commune.refresh_from_db()
    assert tree.commune.valid_to == dt.date(2025, 6, 30)
    assert list(new.predecessors.all()) == [tree.commune]
    assert list(tree.commune.successors.all()) == [new]
    assert Agency.objects.filter(pk=tree.commune.pk).exists()  # never deleted
    assert tree.commune not in Agency.objects.current()
    assert tree.commune in Agency.objects.valid_on(dt.date(2025, 6, 1))


def test_permissions_of_agency_admin(tree, agency_admin, foreign_staff):
    services.update_agency(actor=agency_admin, agency=tree.unit, phone="0292 1234")  # own subtree
    with pytest.raises(PermissionDenied):
        services.update_agency(actor=agency_admin, agency=tree.office, phone="1")
    with pytest.raises(PermissionDenied):
        services.update_agency(actor=foreign_staff, agency=tree.department, name="Hijacked")
    with pytest.raises(PermissionDenied):
        services.create_agency(actor=agency_admin, kind=Agency.Kind.OTHER, name="Root")
    tree.department.refresh_from_db()
    assert tree.department.name == "Sở Nội vụ"


def test_member_visibility(tree, clerk, specialist, foreign_staff, system_admin):
    assert selectors.can_view_agency_members(clerk, tree.department)
    assert selectors.can_view_agency_members(specialist, tree.department)  # unit of the same organisation
    assert not selectors.can_view_agency_members(clerk, tree.office)
    assert not selectors.can_view_agency_members(foreign_staff, tree.department)
    assert selectors.can_view_agency_members(system_admin, tree.department)
    assert set(selectors.people_visible_to(clerk)) == {clerk, specialist}
    assert foreign_staff not in selectors.people_visible_to(clerk)
    assert list(selectors.agency_members(foreign_staff, tree.department)) == []


def test_position_rules(tree, clerk, agency_admin):
    with pytest.raises(ValidationError):
        services.assign_position(actor=agency_admin, user=clerk, agency=tree.department, role=Role.CLERK)
    with pytest.raises(PermissionDenied):
        services.assign_position(
            actor=agency_admin, user=clerk, agency=tree.department, role=Role.SYSTEM_ADMIN
        )
    position = Position.objects.get(user=clerk)
    services.end_position(actor=agency_admin, position=position, last_day=timezone.localdate())
    assert (
        Position.objects.active(timezone.localdate() + dt.timedelta(days=1)).filter(user=clerk).count() == 0
    )


def test_delegation_window(tree, leader, clerk):
    deputy = make_staff("phogiamdoc", tree.department, Role.DEPUTY_LEADER)
    now = timezone.now()
    d = services.create_delegation(
        actor=leader,
        delegator=leader,
        delegate=deputy,
        agency=tree.department,
        role=Role.LEADER,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=3),
        reason="Đi công tác",
    )
    assert (tree.department, Role.LEADER) in [(a, r) for a, r in selectors.acting_roles(deputy)]
    assert selectors.user_has_role(deputy, tree.department, Role.LEADER)
    with pytest.raises(ValidationError):  # the clerk does not hold the leader role
        services.create_delegation(
            actor=clerk,
            delegator=clerk,
            delegate=deputy,
            agency=tree.department,
            role=Role.LEADER,
            starts_at=now,
            ends_at=now + dt.timedelta(days=1),
            reason="x",
        )
    with pytest.raises(ValidationError):  # window reversed
        services.create_delegation(
            actor=leader,
            delegator=leader,
            delegate=deputy,
            agency=tree.department,
            role=Role.LEADER,
            starts_at=now,
            ends_at=now - dt.timedelta(days=1),
            reason="x",
        )
    services.revoke_delegation(actor=leader, delegation=d)
    assert not selectors.user_has_role(deputy, tree.department, Role.LEADER)
    assert Delegation.objects.active().count() == 0


def test_citizen_registration(db):
    user = services.register_citizen(
        full_name="Nguyễn Văn An",
        identity_number="092090001234",
        phone="+84 912 345 678",
        password="Cong-dan-2026!",
    )
    assert user.username == "0912345678" and user.kind == User.Kind.CITIZEN
    assert not user.is_government_staff and user.citizen_profile.identity_number == "092090001234"
    count = User.objects.count()
    for bad in ("12345", "09209000123A", "999090001234"):
        with pytest.raises(ValidationError) as err:
            services.register_citizen(
                full_name="B", identity_number=bad, email="b@example.vn", password="Cong-dan-2026!"
            )
        assert "identity_number" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.register_citizen(
            full_name="C", identity_number="092090009999", phone="12345", password="Cong-dan-2026!"
        )
    assert "phone" in err.value.message_dict
    with pytest.raises(ValidationError):  # duplicate CCCD
        services.register_citizen(
            full_name="D", identity_number="092090001234", email="d@example.vn", password="Cong-dan-2026!"
        )
    assert User.objects.count() == count
