"""The directory REST API (/api/v1/): happy paths, validation errors, authentication.

The permission sweep over every route lives in ``test_api_permissions.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.directory import services
from egov.directory.models import Agency, Delegation, Position, Role, User
from egov.directory.tests.fixtures import PASSWORD, Tree, make_staff

API = "/api/v1"


def client_for(user: User | None = None) -> APIClient:
    """A client authenticating with a real DRF token (``Authorization: Token ...``)."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def counts() -> dict[str, int]:
    return {
        "agencies": Agency.objects.count(),
        "positions": Position.objects.count(),
        "delegations": Delegation.objects.count(),
        "users": User.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def position_of(user: User, agency: Agency) -> Position:
    return Position.objects.get(user=user, agency=agency)


@pytest.fixture
def citizen(db: Any) -> User:
    return services.register_citizen(
        full_name="Nguyễn Văn Dân", identity_number="001099012345", password=PASSWORD, phone="0912345678"
    )


# --- Authentication -------------------------------------------------------------------------------------


def test_token_authentication(clerk: User) -> None:
    response = client_for(clerk).get(f"{API}/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "vanthu"


def test_bad_token_is_401(tree: Tree) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get(f"{API}/agencies/").status_code == 401


def test_session_authentication(clerk: User) -> None:
    client = APIClient()
    client.force_login(clerk)
    assert client.get(f"{API}/agencies/").status_code == 200


@pytest.mark.parametrize("path", ["/agencies/", "/people/", "/positions/", "/delegations/", "/me/"])
def test_anonymous_gets_401(tree: Tree, path: str) -> None:
    response = APIClient().get(f"{API}{path}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("path", ["/agencies/", "/people/", "/positions/", "/delegations/", "/me/"])
def test_citizen_gets_403(tree: Tree, citizen: User, path: str) -> None:
    assert client_for(citizen).get(f"{API}{path}").status_code == 403


def test_citizen_cannot_write(tree: Tree, citizen: User) -> None:
    before = counts()
    body = {"parent": tree.province.pk, "kind": "unit", "name": "Phòng mới"}
    assert client_for(citizen).post(f"{API}/agencies/", body, format="json").status_code == 403
    assert counts() == before


# --- Agencies: reading ----------------------------------------------------------------------------------


def test_agency_list_in_tree_order(tree: Tree, clerk: User) -> None:
    response = client_for(clerk).get(f"{API}/agencies/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 6
    expected = list(Agency.objects.order_by("path").values_list("pk", flat=True))
    assert ids(response) == expected
    first = data["results"][0]
    assert first["name"] == "Ủy ban nhân dân tỉnh Demo"
    assert first["kind"] == "province"
    assert first["kind_display"] == "UBND tỉnh, thành phố"
    assert first["code_qcvn102"] == "000.00.00.H99"
    assert first["is_current"] is True
    assert first["depth"] == 0
    assert first["parent"] is None
    assert {"predecessors", "successors", "valid_from", "valid_to", "address", "email", "short_name"} <= set(
        first
    )


def test_agency_list_is_paginated(tree: Tree, clerk: User) -> None:
    client = client_for(clerk)
    first = client.get(f"{API}/agencies/?page=1").json()
    assert first["next"] is None and first["previous"] is None
    assert client.get(f"{API}/agencies/?page=99").status_code == 404


def test_agency_search_is_accent_insensitive(tree: Tree, clerk: User) -> None:
    hanoi = services.create_agency(
        actor=None, kind=Agency.Kind.PROVINCE, name="Ủy ban nhân dân thành phố Hà Nội"
    )
    client = client_for(clerk)
    assert ids(client.get(f"{API}/agencies/", {"search": "ha noi"})) == [hanoi.pk]
    assert ids(client.get(f"{API}/agencies/", {"search": "HÀ NỘI"})) == [hanoi.pk]
    assert ids(client.get(f"{API}/agencies/", {"search": "an binh"})) == [tree.commune.pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "department"}, ["department", "office"]),
        ({"roots": "true"}, ["province", "other_province"]),
        ({"code": "000.00.01.H99"}, ["department"]),
        ({"code": "99001"}, ["commune"]),
        ({"kind": "unit", "search": "to chuc"}, ["unit"]),
    ],
)
def test_agency_filters(tree: Tree, clerk: User, params: dict[str, str], expected: list[str]) -> None:
    response = client_for(clerk).get(f"{API}/agencies/", params)
    assert response.status_code == 200
    assert sorted(ids(response)) == sorted(getattr(tree, name).pk for name in expected)


def test_agency_filter_parent(tree: Tree, clerk: User) -> None:
    response = client_for(clerk).get(f"{API}/agencies/", {"parent": tree.province.pk})
    assert sorted(ids(response)) == sorted([tree.department.pk, tree.office.pk, tree.commune.pk])


def test_agency_include_past(tree: Tree, clerk: User) -> None:
    services.close_agency(
        actor=None, agency=tree.office, last_day=timezone.localdate() - dt.timedelta(days=1)
    )
    client = client_for(clerk)
    assert tree.office.pk not in ids(client.get(f"{API}/agencies/"))
    assert tree.office.pk in ids(client.get(f"{API}/agencies/", {"include_past": "true"}))
    detail = client.get(f"{API}/agencies/{tree.office.pk}/").json()  # detail finds past agencies too
    assert detail["is_current"] is False


@pytest.mark.parametrize(("params", "field"), [({"kind": "planet"}, "kind"), ({"parent": "abc"}, "parent")])
def test_agency_bad_filter_is_400(tree: Tree, clerk: User, params: dict[str, str], field: str) -> None:
    response = client_for(clerk).get(f"{API}/agencies/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_agency_detail_with_breadcrumb(tree: Tree, clerk: User) -> None:
    response = client_for(clerk).get(f"{API}/agencies/{tree.unit.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["parent"] == tree.department.pk
    assert data["depth"] == 2
    assert [a["id"] for a in data["breadcrumb"]] == [tree.province.pk, tree.department.pk, tree.unit.pk]
    assert "path" not in data


def test_agency_detail_lineage(tree: Tree, clerk: User) -> None:
    merged = services.merge_agencies(
        actor=None, predecessors=[tree.office], effective=timezone.localdate(), parent=tree.province,
        kind=Agency.Kind.DEPARTMENT, name="Văn phòng mới",
    )  # fmt: skip
    client = client_for(clerk)
    assert client.get(f"{API}/agencies/{merged.pk}/").json()["predecessors"] == [tree.office.pk]
    assert client.get(f"{API}/agencies/{tree.office.pk}/").json()["successors"] == [merged.pk]


def test_agency_detail_unknown_is_404(tree: Tree, clerk: User) -> None:
    assert client_for(clerk).get(f"{API}/agencies/999999/").status_code == 404


def test_agency_children(tree: Tree, clerk: User) -> None:
    response = client_for(clerk).get(f"{API}/agencies/{tree.province.pk}/children/")
    assert response.status_code == 200
    assert sorted(ids(response)) == sorted([tree.department.pk, tree.office.pk, tree.commune.pk])


def test_agency_children_include_past(tree: Tree, clerk: User) -> None:
    services.close_agency(
        actor=None, agency=tree.office, last_day=timezone.localdate() - dt.timedelta(days=1)
    )
    client = client_for(clerk)
    url = f"{API}/agencies/{tree.province.pk}/children/"
    assert tree.office.pk not in ids(client.get(url))
    assert tree.office.pk in ids(client.get(url, {"include_past": "true"}))


# --- Agencies: writing ----------------------------------------------------------------------------------


def test_agency_admin_creates_agency_under_their_agency(tree: Tree, agency_admin: User) -> None:
    before = counts()
    body = {"parent": tree.department.pk, "kind": "unit", "name": "Phòng Công chức", "short_name": "CC"}
    response = client_for(agency_admin).post(f"{API}/agencies/", body, format="json")
    assert response.status_code == 201, response.json()
    created = Agency.objects.get(pk=response.json()["id"])
    assert created.parent_id == tree.department.pk
    assert created.path == f"{tree.department.path}{created.pk}/"
    assert response.json()["depth"] == 2
    assert counts() == {**before, "agencies": before["agencies"] + 1, "audit": before["audit"] + 1}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "directory.agency.create",
        agency_admin.pk,
        str(created.pk),
    )
    assert entry.source == "api"


def test_agency_admin_creates_child_through_children_route(tree: Tree, agency_admin: User) -> None:
    body = {"kind": "unit", "name": "Phòng Cải cách hành chính"}
    response = client_for(agency_admin).post(
        f"{API}/agencies/{tree.department.pk}/children/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Agency.objects.get(pk=response.json()["id"]).parent_id == tree.department.pk


def test_agency_admin_cannot_create_elsewhere(tree: Tree, agency_admin: User) -> None:
    before = counts()
    client = client_for(agency_admin)
    sibling = {"parent": tree.office.pk, "kind": "unit", "name": "Phòng X"}
    assert client.post(f"{API}/agencies/", sibling, format="json").status_code == 403
    top = {"kind": "province", "name": "Tỉnh mới"}
    assert client.post(f"{API}/agencies/", top, format="json").status_code == 403
    assert client.post(f"{API}/agencies/{tree.office.pk}/children/", top, format="json").status_code == 403
    assert counts() == before


def test_system_admin_creates_top_level_agency(tree: Tree, system_admin: User) -> None:
    body = {"kind": "province", "name": "Ủy ban nhân dân tỉnh Mới", "code_qcvn102": "000.00.00.H97"}
    response = client_for(system_admin).post(f"{API}/agencies/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["parent"] is None
    assert response.json()["code_qcvn102"] == "000.00.00.H97"


def test_clerk_cannot_create_agency(tree: Tree, clerk: User) -> None:
    before = counts()
    body = {"parent": tree.department.pk, "kind": "unit", "name": "Phòng X"}
    assert client_for(clerk).post(f"{API}/agencies/", body, format="json").status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "unit", "name": "Phòng X", "code_qcvn102": "ABC"}, "code_qcvn102"),
        ({"kind": "unit", "name": "Phòng X", "code_qcvn102": "000.00.01.H99"}, "code_qcvn102"),  # taken
        ({"kind": "unit", "name": "Phòng X", "code_qd20": "h37 02"}, "code_qd20"),
        ({"kind": "unit"}, "name"),
        ({"kind": "unit", "name": ""}, "name"),
        ({"kind": "planet", "name": "Phòng X"}, "kind"),
        ({"name": "Phòng X"}, "kind"),
        ({"kind": "unit", "name": "Phòng X", "email": "not-an-email"}, "email"),
        (
            {"kind": "unit", "name": "Phòng X", "valid_from": "2026-02-01", "valid_to": "2026-01-01"},
            "valid_to",
        ),
        ({"kind": "unit", "name": "Phòng X", "parent": 999999}, "parent"),
    ],
)
def test_agency_create_bad_input_is_400_and_writes_nothing(
    tree: Tree, agency_admin: User, body: dict[str, Any], field: str
) -> None:
    before = counts()
    body = {"parent": tree.department.pk, **body}
    response = client_for(agency_admin).post(f"{API}/agencies/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert counts() == before


def test_agency_bad_qcvn_code_message_is_vietnamese(tree: Tree, agency_admin: User) -> None:
    body = {"parent": tree.department.pk, "kind": "unit", "name": "Phòng X", "code_qcvn102": "ABC"}
    response = client_for(agency_admin).post(f"{API}/agencies/", body, format="json")
    assert "không đúng dạng NNN.NN.NN.XNN" in response.json()["code_qcvn102"][0]


def test_agency_admin_updates_agency(tree: Tree, agency_admin: User) -> None:
    before = counts()
    body = {"name": "Sở Nội vụ tỉnh Demo", "phone": "02923820000", "code_qd20": "H99.01"}
    response = client_for(agency_admin).patch(f"{API}/agencies/{tree.department.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    tree.department.refresh_from_db()
    assert tree.department.name == "Sở Nội vụ tỉnh Demo"
    assert tree.department.code_qd20 == "H99.01"
    assert tree.department.code_qcvn102 == "000.00.01.H99"  # untouched
    assert counts() == {**before, "audit": before["audit"] + 1}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "directory.agency.update"
    assert entry.before == {"name": "Sở Nội vụ", "phone": "", "code_qd20": ""}


def test_agency_admin_of_ancestor_updates_subordinate(tree: Tree) -> None:
    province_admin = make_staff("qttinh", tree.province, Role.AGENCY_ADMIN)
    url = f"{API}/agencies/{tree.unit.pk}/"
    assert client_for(province_admin).patch(url, {"short_name": "PTC"}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({"code_qcvn102": "ABC"}, "code_qcvn102"), ({"name": ""}, "name"), ({"kind": "planet"}, "kind")],
)
def test_agency_update_bad_input_is_400(
    tree: Tree, agency_admin: User, body: dict[str, Any], field: str
) -> None:
    before = counts()
    response = client_for(agency_admin).patch(f"{API}/agencies/{tree.department.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before
    tree.department.refresh_from_db()
    assert (tree.department.name, tree.department.code_qcvn102) == ("Sở Nội vụ", "000.00.01.H99")


def test_clerk_cannot_update_agency(tree: Tree, clerk: User) -> None:
    before = counts()
    url = f"{API}/agencies/{tree.department.pk}/"
    assert client_for(clerk).patch(url, {"name": "X"}, format="json").status_code == 403
    assert counts() == before


def test_agencies_are_never_deleted_or_replaced(tree: Tree, system_admin: User) -> None:
    before = counts()
    client = client_for(system_admin)
    url = f"{API}/agencies/{tree.department.pk}/"
    assert client.delete(url).status_code == 405
    assert client.put(url, {"kind": "unit", "name": "X"}, format="json").status_code == 405
    assert counts() == before


def test_agency_admin_closes_agency(tree: Tree, agency_admin: User) -> None:
    last_day = timezone.localdate() + dt.timedelta(days=30)
    url = f"{API}/agencies/{tree.unit.pk}/close/"
    response = client_for(agency_admin).post(url, {"last_day": last_day.isoformat()}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["valid_to"] == last_day.isoformat()
    tree.unit.refresh_from_db()
    assert tree.unit.valid_to == last_day
    assert (
        AuditEntry.objects.order_by("-seq").values_list("action", flat=True).first()
        == "directory.agency.update"
    )


def test_close_defaults_to_today(tree: Tree, agency_admin: User) -> None:
    response = client_for(agency_admin).post(f"{API}/agencies/{tree.unit.pk}/close/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["valid_to"] == timezone.localdate().isoformat()
    assert response.json()["is_current"] is True  # still valid until the end of its last day


def test_close_before_valid_from_is_400(tree: Tree, agency_admin: User) -> None:
    services.update_agency(actor=None, agency=tree.unit, valid_from=dt.date(2025, 7, 1))
    before = counts()
    url = f"{API}/agencies/{tree.unit.pk}/close/"
    response = client_for(agency_admin).post(url, {"last_day": "2025-06-30"}, format="json")
    assert response.status_code == 400
    assert "last_day" in response.json()
    assert counts() == before


def test_clerk_cannot_close_agency(tree: Tree, clerk: User) -> None:
    before = counts()
    assert (
        client_for(clerk).post(f"{API}/agencies/{tree.unit.pk}/close/", {}, format="json").status_code == 403
    )
    assert counts() == before
    tree.unit.refresh_from_db()
    assert tree.unit.valid_to is None


# --- Agency members -------------------------------------------------------------------------------------


def test_agency_members(tree: Tree, clerk: User, leader: User, specialist: User) -> None:
    response = client_for(clerk).get(f"{API}/agencies/{tree.department.pk}/members/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["user"] for r in rows} == {clerk.pk, leader.pk, specialist.pk}
    unit_row = next(r for r in rows if r["user"] == specialist.pk)
    assert unit_row["agency"] == tree.unit.pk
    assert unit_row["agency_detail"]["name"] == "Phòng Tổ chức"
    assert unit_row["role_display"] == "Chuyên viên"
    assert unit_row["user_detail"]["username"] == "chuyenvien"


def test_agency_members_refused_outside_the_organisation(tree: Tree, clerk: User) -> None:
    office_clerk = make_staff("vanthuvp", tree.office, Role.CLERK)
    assert client_for(office_clerk).get(f"{API}/agencies/{tree.department.pk}/members/").status_code == 403
    # A unit's staff see their parent organisation, the organisation's staff see the unit.
    assert client_for(clerk).get(f"{API}/agencies/{tree.unit.pk}/members/").status_code == 200


# --- People ---------------------------------------------------------------------------------------------


def test_people_list_shows_the_organisation(
    tree: Tree, clerk: User, leader: User, specialist: User, foreign_staff: User, system_admin: User
) -> None:
    response = client_for(clerk).get(f"{API}/people/")
    assert response.status_code == 200
    assert set(ids(response)) == {clerk.pk, leader.pk, specialist.pk}
    everyone = client_for(system_admin).get(f"{API}/people/")
    assert {clerk.pk, leader.pk, specialist.pk, foreign_staff.pk, system_admin.pk} <= set(ids(everyone))


def test_person_shows_only_positions_the_caller_may_see(tree: Tree, clerk: User, leader: User) -> None:
    services.assign_position(actor=None, user=leader, agency=tree.other_province, role=Role.SPECIALIST)
    data = client_for(clerk).get(f"{API}/people/{leader.pk}/").json()
    assert data["username"] == "giamdoc"
    assert [p["agency"] for p in data["positions"]] == [tree.department.pk]
    assert "password" not in data


def test_person_not_visible_is_404(tree: Tree, clerk: User, foreign_staff: User) -> None:
    assert client_for(clerk).get(f"{API}/people/{foreign_staff.pk}/").status_code == 404


def test_agency_admin_creates_staff_account(tree: Tree, agency_admin: User) -> None:
    before = counts()
    body = {"username": "nguyenvana", "full_name": "Nguyễn Văn A", "email": "A@Example.gov.vn",
            "phone": "+84 912 345 678", "password": "Mat-khau-rat-manh-2026"}  # fmt: skip
    response = client_for(agency_admin).post(f"{API}/people/", body, format="json")
    assert response.status_code == 201, response.json()
    user = User.objects.get(username="nguyenvana")
    assert (user.kind, user.email, user.phone) == (User.Kind.STAFF, "a@example.gov.vn", "0912345678")
    assert user.check_password("Mat-khau-rat-manh-2026")
    assert not user.is_superuser
    assert "password" not in response.json()
    assert counts() == {**before, "users": before["users"] + 1, "audit": before["audit"] + 1}


def test_clerk_cannot_create_staff_account(tree: Tree, clerk: User) -> None:
    before = counts()
    body = {"username": "nguyenvana", "full_name": "Nguyễn Văn A"}
    assert client_for(clerk).post(f"{API}/people/", body, format="json").status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "vanthu", "full_name": "Trùng tên"}, "username"),
        ({"username": "moi", "full_name": ""}, "full_name"),
        ({"username": "moi", "full_name": "Mới", "phone": "12345"}, "phone"),
        ({"username": "moi", "full_name": "Mới", "password": "123"}, "password"),
        ({"full_name": "Mới"}, "username"),
    ],
)
def test_create_staff_account_bad_input(
    tree: Tree, clerk: User, agency_admin: User, body: dict[str, Any], field: str
) -> None:
    before = counts()
    response = client_for(agency_admin).post(f"{API}/people/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == before


# --- Positions ------------------------------------------------------------------------------------------


def test_agency_admin_assigns_and_ends_a_position(tree: Tree, agency_admin: User) -> None:
    newcomer = services.create_staff_user(actor=None, username="moi", full_name="Người Mới")
    client = client_for(agency_admin)
    before = counts()
    body = {"user": newcomer.pk, "agency": tree.unit.pk, "role": "specialist", "title": "Chuyên viên"}
    response = client.post(f"{API}/positions/", body, format="json")
    assert response.status_code == 201, response.json()
    position_id = response.json()["id"]
    assert response.json()["valid_from"] == timezone.localdate().isoformat()
    assert counts() == {**before, "positions": before["positions"] + 1, "audit": before["audit"] + 1}
    assert position_id in ids(client.get(f"{API}/positions/", {"agency": tree.unit.pk}))
    assert client.get(f"{API}/positions/{position_id}/").json()["user"] == newcomer.pk

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert (
        client.post(
            f"{API}/positions/{position_id}/end/", {"last_day": yesterday.isoformat()}, format="json"
        ).status_code
        == 400
    )  # before it began
    response = client.post(f"{API}/positions/{position_id}/end/", {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["valid_to"] == timezone.localdate().isoformat()
    assert Position.objects.get(pk=position_id).valid_to == timezone.localdate()


def test_positions_list_hides_past_unless_asked(tree: Tree, agency_admin: User, clerk: User) -> None:
    position = position_of(clerk, tree.department)
    position.valid_from = dt.date(2025, 1, 1)
    position.save()
    services.end_position(actor=None, position=position, last_day=dt.date(2025, 12, 31))
    client = client_for(agency_admin)
    assert position.pk not in ids(client.get(f"{API}/positions/"))
    assert position.pk in ids(client.get(f"{API}/positions/", {"include_past": "true"}))
    assert client.get(f"{API}/positions/{position.pk}/").status_code == 200


def test_positions_list_filters(tree: Tree, agency_admin: User, clerk: User, leader: User) -> None:
    client = client_for(agency_admin)
    clerk_position = position_of(clerk, tree.department)
    assert ids(client.get(f"{API}/positions/", {"user": clerk.pk})) == [clerk_position.pk]
    assert ids(client.get(f"{API}/positions/", {"role": "clerk"})) == [clerk_position.pk]
    assert client.get(f"{API}/positions/", {"role": "king"}).status_code == 400


def test_clerk_cannot_assign_position(tree: Tree, clerk: User, leader: User) -> None:
    before = counts()
    body = {"user": leader.pk, "agency": tree.department.pk, "role": "agency_admin"}
    assert client_for(clerk).post(f"{API}/positions/", body, format="json").status_code == 403
    assert (
        client_for(clerk)
        .post(f"{API}/positions/{position_of(leader, tree.department).pk}/end/", {}, format="json")
        .status_code
        == 403
    )
    assert counts() == before


def test_agency_admin_cannot_make_system_admins(tree: Tree, agency_admin: User, clerk: User) -> None:
    before = counts()
    body = {"user": clerk.pk, "agency": tree.department.pk, "role": "system_admin"}
    assert client_for(agency_admin).post(f"{API}/positions/", body, format="json").status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "king"}, "role"),
        ({"role": "clerk"}, "role"),  # already holds it
        ({"role": "specialist", "valid_from": "2026-03-01", "valid_to": "2026-02-01"}, "valid_to"),
        ({"role": "specialist", "agency": 999999}, "agency"),
        ({"role": "specialist", "user": None}, "user"),
    ],
)
def test_assign_position_bad_input(
    tree: Tree, agency_admin: User, clerk: User, body: dict[str, Any], field: str
) -> None:
    before = counts()
    payload = {"user": clerk.pk, "agency": tree.department.pk, **body}
    response = client_for(agency_admin).post(f"{API}/positions/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == before


def test_citizen_cannot_be_given_a_position(tree: Tree, agency_admin: User, citizen: User) -> None:
    body = {"user": citizen.pk, "agency": tree.department.pk, "role": "specialist"}
    response = client_for(agency_admin).post(f"{API}/positions/", body, format="json")
    assert response.status_code == 400
    assert "user" in response.json()


# --- Delegations ----------------------------------------------------------------------------------------


def window(hours_from: int = -1, hours_to: int = 48) -> tuple[str, str]:
    now = timezone.now()
    return (now + dt.timedelta(hours=hours_from)).isoformat(), (
        now + dt.timedelta(hours=hours_to)
    ).isoformat()


def test_leader_delegates_and_revokes(tree: Tree, leader: User, clerk: User) -> None:
    starts, ends = window()
    before = counts()
    body = {"delegate": clerk.pk, "agency": tree.department.pk, "role": "leader", "starts_at": starts,
            "ends_at": ends, "reason": "Đi công tác"}  # fmt: skip
    client = client_for(leader)
    response = client.post(f"{API}/delegations/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["delegator"], data["delegate"], data["is_active"]) == (leader.pk, clerk.pk, True)
    assert counts() == {**before, "delegations": before["delegations"] + 1, "audit": before["audit"] + 1}

    # The delegate now acts as leader.
    me = client_for(clerk).get(f"{API}/me/").json()
    assert {
        "agency": tree.department.pk,
        "role": "leader",
        "via": "delegation",
        "delegation": data["id"],
    } in [
        {k: r[k] if k != "agency" else r["agency"]["id"] for k in ("agency", "role", "via", "delegation")}
        for r in me["roles"]
    ]
    assert [d["id"] for d in me["delegations"]] == [data["id"]]
    assert data["id"] in ids(client_for(clerk).get(f"{API}/delegations/", {"active": "true"}))

    # Only the delegator (or an administrator) may revoke it.
    assert client_for(clerk).post(f"{API}/delegations/{data['id']}/revoke/").status_code == 403
    response = client.post(f"{API}/delegations/{data['id']}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None and response.json()["is_active"] is False
    assert Delegation.objects.get(pk=data["id"]).revoked_at is not None
    assert data["id"] not in ids(client.get(f"{API}/delegations/", {"active": "true"}))
    assert data["id"] in ids(client.get(f"{API}/delegations/", {"active": "false"}))
    assert client_for(clerk).get(f"{API}/me/").json()["delegations"] == []


def test_agency_admin_delegates_on_behalf_of_the_holder(tree: Tree, agency_admin: User, leader: User,
                                                         clerk: User) -> None:  # fmt: skip
    starts, ends = window()
    body = {"delegator": leader.pk, "delegate": clerk.pk, "agency": tree.department.pk, "role": "leader",
            "starts_at": starts, "ends_at": ends, "reason": "Nghỉ phép"}  # fmt: skip
    response = client_for(agency_admin).post(f"{API}/delegations/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["delegator"] == leader.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reversed": True}, "ends_at"),
        ({"role": "clerk"}, "role"),  # the leader does not hold it
        ({"role": "boss"}, "role"),
        ({"reason": ""}, "reason"),
        ({"delegate": "self"}, "delegate"),
        ({"delegate": "citizen"}, "delegate"),
        ({"agency": 999999}, "agency"),
    ],
)
def test_delegation_bad_input_is_400_and_writes_nothing(
    tree: Tree, leader: User, clerk: User, citizen: User, change: dict[str, Any], field: str
) -> None:
    starts, ends = window()
    body: dict[str, Any] = {"delegate": clerk.pk, "agency": tree.department.pk, "role": "leader",
                            "starts_at": starts, "ends_at": ends, "reason": "Đi công tác"}  # fmt: skip
    if change.pop("reversed", False):
        body["starts_at"], body["ends_at"] = ends, starts
    if change.get("delegate") == "self":
        change["delegate"] = leader.pk
    elif change.get("delegate") == "citizen":
        change["delegate"] = citizen.pk
    body.update(change)
    before = counts()
    response = client_for(leader).post(f"{API}/delegations/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert counts() == before


def test_delegation_for_someone_else_is_403(tree: Tree, clerk: User, leader: User, specialist: User) -> None:
    starts, ends = window()
    body = {"delegator": leader.pk, "delegate": specialist.pk, "agency": tree.department.pk, "role": "leader",
            "starts_at": starts, "ends_at": ends, "reason": "Giả mạo"}  # fmt: skip
    before = counts()
    assert client_for(clerk).post(f"{API}/delegations/", body, format="json").status_code == 403
    assert counts() == before


def test_delegation_detail_and_list(tree: Tree, leader: User, clerk: User, specialist: User) -> None:
    now = timezone.now()
    delegation = services.create_delegation(
        actor=leader, delegator=leader, delegate=clerk, agency=tree.department, role=Role.LEADER,
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=2), reason="Công tác",
    )  # fmt: skip
    # The organisation's staff see it (the specialist works in an internal unit of the department).
    client = client_for(specialist)
    assert ids(client.get(f"{API}/delegations/")) == [delegation.pk]
    assert ids(client.get(f"{API}/delegations/", {"agency": tree.department.pk, "role": "leader"})) == [
        delegation.pk
    ]
    data = client.get(f"{API}/delegations/{delegation.pk}/").json()
    assert data["delegator_detail"]["username"] == "giamdoc"
    assert data["agency_detail"]["id"] == tree.department.pk
    assert data["role_display"] == "Lãnh đạo"


# --- Me -------------------------------------------------------------------------------------------------


def test_me(tree: Tree, system_admin: User, clerk: User) -> None:
    data = client_for(clerk).get(f"{API}/me/").json()
    assert (data["id"], data["username"], data["full_name"], data["is_system_admin"]) == (
        clerk.pk, "vanthu", "Vanthu", False,
    )  # fmt: skip
    assert [(p["agency"], p["role"], p["title"]) for p in data["positions"]] == [
        (tree.department.pk, "clerk", "Văn thư")
    ]
    assert data["roles"] == [
        {"agency": {"id": tree.department.pk, "name": "Sở Nội vụ", "short_name": "SNV", "kind": "department"},
         "role": "clerk", "role_display": "Văn thư", "via": "position", "delegation": None}
    ]  # fmt: skip
    assert client_for(system_admin).get(f"{API}/me/").json()["is_system_admin"] is True


def test_me_without_positions(tree: Tree) -> None:
    lonely = services.create_staff_user(actor=None, username="moi", full_name="Người Mới")
    data = client_for(lonely).get(f"{API}/me/").json()
    assert (data["positions"], data["delegations"], data["roles"]) == ([], [], [])
