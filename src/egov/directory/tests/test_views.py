"""The staff web interface of the directory: who sees which page, htmx fragments, forms, languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from egov.audit.models import AuditEntry
from egov.directory import services
from egov.directory.models import Agency, Role, User
from egov.directory.tests.fixtures import PASSWORD, Tree, make_staff

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def citizen(db: Any) -> User:
    return services.register_citizen(
        full_name="Nguyễn Văn Dân", identity_number="001099012345", password=PASSWORD, phone="0912345678"
    )


def page_urls(tree: Tree, person: User) -> list[str]:
    return [
        reverse("home"),
        reverse("directory"),
        reverse("directory") + "?q=so+noi+vu",
        reverse("agency-detail", args=[tree.department.pk]),
        reverse("people"),
        reverse("person-detail", args=[person.pk]),
        reverse("profile"),
        reverse("otp-setup"),
        reverse("password_change"),
    ]


# --- Access -----------------------------------------------------------------------------------------------


def test_every_page_renders_for_staff(tree: Tree, clerk: User, leader: User) -> None:
    client = client_for(clerk)
    for url in page_urls(tree, leader):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"egov" in response.content


def test_anonymous_is_sent_to_login(tree: Tree, clerk: User) -> None:
    client = client_for(None)
    for url in [*page_urls(tree, clerk), reverse("agency-edit", args=[tree.department.pk])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_anonymous_htmx_request_reloads_at_login(tree: Tree) -> None:
    response = client_for(None).get(
        reverse("directory") + "?q=x", HTTP_HX_CURRENT_URL="http://testserver/directory/?q=x", **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")


def test_citizen_is_refused(tree: Tree, citizen: User) -> None:
    client = client_for(citizen)
    for url in (reverse("home"), reverse("directory"), reverse("people"), reverse("profile")):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "chỉ dành cho tài khoản cán bộ" in response.content.decode()


def test_login_page_for_signed_in_citizen_does_not_loop(citizen: User) -> None:
    response = client_for(citizen).get(reverse("login"))
    assert response.status_code == 200


# --- Layout -----------------------------------------------------------------------------------------------


def test_layout_has_landmarks_navigation_and_no_inline_code(tree: Tree, clerk: User) -> None:
    response = client_for(clerk).get(reverse("home"))
    html = response.content.decode()
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html and "<header" in html and "<nav" in html and "<footer" in html
    for label in ("Trang chủ", "Danh bạ cơ quan", "Cán bộ", "Hồ sơ của tôi"):
        assert label in html
    assert "/admin/" not in html  # not a system administrator
    assert 'action="/logout/" method="post"' in html
    assert 'action="/i18n/setlang/"' in html
    # CSP: script-src 'self' and style-src 'self' - no inline script or style.
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert "<style" not in html and " style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "/static/vendor/htmx/htmx.min.js" in html


def test_system_admin_sees_admin_link(tree: Tree, system_admin: User) -> None:
    html = client_for(system_admin).get(reverse("home")).content.decode()
    assert 'href="/admin/"' in html


def test_home_lists_positions_and_roles(tree: Tree, leader: User) -> None:
    html = client_for(leader).get(reverse("home")).content.decode()
    assert "Giám đốc" in html and "Sở Nội vụ" in html and "Lãnh đạo" in html


# --- Directory --------------------------------------------------------------------------------------------


def test_directory_shows_roots_as_tree(tree: Tree, clerk: User) -> None:
    html = client_for(clerk).get(reverse("directory")).content.decode()
    assert "Ủy ban nhân dân tỉnh Demo" in html and "Ủy ban nhân dân tỉnh Khác" in html
    assert "Sở Nội vụ" not in html  # children are loaded on demand
    assert f'hx-get="{reverse("agency-children", args=[tree.province.pk])}"' in html
    assert 'hx-trigger="toggle once"' in html


def test_expand_node_returns_children_fragment(tree: Tree, clerk: User) -> None:
    client = client_for(clerk)
    url = reverse("agency-children", args=[tree.province.pk])
    response = client.get(url, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    for name in ("Sở Nội vụ", "Văn phòng UBND tỉnh", "Ủy ban nhân dân xã An Bình"):
        assert name in html
    assert "Phòng Tổ chức" not in html  # a grandchild
    # Without htmx, the URL leads to the agency page.
    assert client.get(url)["Location"] == reverse("agency-detail", args=[tree.province.pk])


def test_search_is_accent_insensitive_and_returns_fragment_for_htmx(tree: Tree, clerk: User) -> None:
    services.create_agency(actor=None, kind=Agency.Kind.PROVINCE, name="Ủy ban nhân dân thành phố Hà Nội")
    client = client_for(clerk)
    response = client.get(reverse("directory"), {"q": "ha noi"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Ủy ban nhân dân thành phố Hà Nội" in html
    assert "tỉnh Demo" not in html
    assert 'hx-swap-oob="true"' in html  # the result count for screen readers
    assert "HX-Request" in response["Vary"]
    full = client.get(reverse("directory"), {"q": "HA NOI"}).content.decode()
    assert "<html" in full and "Ủy ban nhân dân thành phố Hà Nội" in full
    assert client.get(reverse("directory"), {"q": "xa an binh"}).content.decode().count("An Bình") >= 1


def test_filter_by_kind(tree: Tree, clerk: User) -> None:
    html = client_for(clerk).get(reverse("directory"), {"kind": Agency.Kind.DEPARTMENT}).content.decode()
    assert "Sở Nội vụ" in html and "Văn phòng UBND tỉnh" in html
    assert "Ủy ban nhân dân xã An Bình" not in html


def test_search_is_paginated(tree: Tree, clerk: User) -> None:
    for i in range(30):
        services.create_agency(
            actor=None, parent=tree.commune, kind=Agency.Kind.UNIT, name=f"Tổ dân phố số {i:02d}"
        )
    client = client_for(clerk)
    first = client.get(reverse("directory"), {"q": "to dan pho"}).content.decode()
    assert "Tìm thấy 30 cơ quan" in first
    assert "Trang 1/2" in first and "page=2" in first
    second = client.get(reverse("directory"), {"q": "to dan pho", "page": 2}).content.decode()
    assert "Trang 2/2" in second
    names = set(re.findall(r"Tổ dân phố số \d\d", first + second))
    assert len(names) == 30
    assert not set(re.findall(r"Tổ dân phố số \d\d", first)) & set(re.findall(r"Tổ dân phố số \d\d", second))


def test_agency_page(tree: Tree, clerk: User) -> None:
    services.update_agency(
        actor=None,
        agency=tree.department,
        phone="0292 3820 123",
        email="snv@demo.gov.vn",
        code_qd20="G12.34",
        admin_unit_code="92",
        valid_from=dt.date(2025, 7, 1),
    )
    html = client_for(clerk).get(reverse("agency-detail", args=[tree.department.pk])).content.decode()
    for text in ("Sở Nội vụ", "000.00.01.H99", "G12.34", "snv@demo.gov.vn", "01/07/2025", "Phòng Tổ chức"):
        assert text in html, text
    assert "Ủy ban nhân dân tỉnh Demo" in html  # breadcrumb
    assert "Vanthu" in html  # the clerk's own agency: people are listed
    assert "Sửa thông tin" not in html  # a clerk cannot edit


def test_agency_page_lineage(tree: Tree, clerk: User) -> None:
    merged = services.merge_agencies(
        actor=None,
        predecessors=[tree.office],
        effective=dt.date(2025, 7, 1),
        parent=tree.province,
        kind=Agency.Kind.DEPARTMENT,
        name="Văn phòng Đoàn ĐBQH, HĐND và UBND tỉnh",
    )
    client = client_for(clerk)
    html = client.get(reverse("agency-detail", args=[merged.pk])).content.decode()
    assert "Đơn vị tiền thân" in html and "Văn phòng UBND tỉnh" in html
    old = client.get(reverse("agency-detail", args=[tree.office.pk])).content.decode()
    assert "Hết hiệu lực" in old and "Đơn vị kế thừa" in old and "30/06/2025" in old


def test_foreign_staff_sees_no_people_of_another_organisation(
    tree: Tree, clerk: User, specialist: User, foreign_staff: User
) -> None:
    client = client_for(foreign_staff)
    html = client.get(reverse("agency-detail", args=[tree.department.pk])).content.decode()
    assert "Sở Nội vụ" in html  # the directory itself is visible
    assert "Vanthu" not in html and "Chuyenvien" not in html
    assert "chỉ hiển thị cho cán bộ thuộc cơ quan này" in html
    people = client.get(reverse("people")).content.decode()
    assert "Vanthu" not in people and "Nguoingoai" in people
    assert client.get(reverse("person-detail", args=[clerk.pk])).status_code == 404
    assert client.get(reverse("people"), {"q": "vanthu"}).content.decode().count("Vanthu") == 0


def test_people_search_is_accent_insensitive(tree: Tree, clerk: User) -> None:
    make_staff("lan", tree.department, Role.SPECIALIST, full_name="Trần Thị Lân", title="Chuyên viên")
    client = client_for(clerk)
    response = client.get(reverse("people"), {"q": "tran thi lan"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "Trần Thị Lân" in html and "Vanthu" not in html
    assert "Chuyên viên — Sở Nội vụ" in html


def test_person_page(tree: Tree, clerk: User, specialist: User) -> None:
    html = client_for(clerk).get(reverse("person-detail", args=[specialist.pk])).content.decode()
    assert "Chuyenvien" in html and "Phòng Tổ chức" in html and "chuyenvien@example.gov.vn" in html


def test_profile_lists_positions_and_delegations(tree: Tree, leader: User, clerk: User) -> None:
    from django.utils import timezone

    now = timezone.now()
    services.create_delegation(
        actor=leader,
        delegator=leader,
        delegate=clerk,
        agency=tree.department,
        role=Role.LEADER,
        starts_at=now,
        ends_at=now + dt.timedelta(days=3),
        reason="Đi công tác",
    )
    html = client_for(leader).get(reverse("profile")).content.decode()
    assert "Giám đốc" in html and "Đi công tác" in html and "Vanthu" in html
    received = client_for(clerk).get(reverse("profile")).content.decode()
    assert "Người ủy quyền" in received and "Giamdoc" in received


# --- Editing ----------------------------------------------------------------------------------------------


def edit_data(agency: Agency, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": agency.kind,
        "name": agency.name,
        "short_name": agency.short_name,
        "address": agency.address,
        "phone": agency.phone,
        "email": agency.email,
        "website": agency.website,
        "code_qcvn102": agency.code_qcvn102 or "",
        "code_qd20": agency.code_qd20,
        "admin_unit_code": agency.admin_unit_code,
        "valid_from": "",
        "valid_to": "",
    }
    data.update(changes)
    return data


def test_agency_admin_edits_agency(tree: Tree, agency_admin: User) -> None:
    client = client_for(agency_admin)
    url = reverse("agency-edit", args=[tree.department.pk])
    assert client.get(reverse("agency-detail", args=[tree.department.pk])).content.decode().count(url) == 1
    assert client.get(url).status_code == 200
    before = AuditEntry.objects.count()
    response = client.post(
        url,
        edit_data(
            tree.department, name="Sở Nội vụ tỉnh Demo", phone="0292 3820 123", valid_from="01/07/2025"
        ),
    )
    assert response.status_code == 302
    tree.department.refresh_from_db()
    assert tree.department.name == "Sở Nội vụ tỉnh Demo"
    assert tree.department.valid_from == dt.date(2025, 7, 1)
    assert AuditEntry.objects.count() == before + 1
    assert "Đã lưu thông tin cơ quan" in client.get(response["Location"]).content.decode()


def test_edit_form_errors_are_vietnamese_and_save_nothing(tree: Tree, agency_admin: User) -> None:
    client = client_for(agency_admin)
    url = reverse("agency-edit", args=[tree.department.pk])
    before = AuditEntry.objects.count()
    response = client.post(
        url,
        edit_data(
            tree.department,
            name="",
            email="khong-phai-email",
            code_qcvn102="sai-ma",
            valid_from="31/12/2025",
            valid_to="01/01/2025",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Chưa lưu được" in html
    assert "Trường này là bắt buộc." in html
    assert "Nhập địa chỉ thư điện tử hợp lệ" in html
    assert "Ngày hết hiệu lực không được trước ngày có hiệu lực." in html
    assert 'aria-invalid="true"' in html
    tree.department.refresh_from_db()
    assert tree.department.name == "Sở Nội vụ" and tree.department.email == ""
    assert AuditEntry.objects.count() == before
    assert "Sửa thông tin: Sở Nội vụ" in html  # the title keeps the saved name


def test_edit_form_unique_code_error(tree: Tree, agency_admin: User) -> None:
    url = reverse("agency-edit", args=[tree.department.pk])
    response = client_for(agency_admin).post(url, edit_data(tree.department, code_qcvn102="000.00.02.H99"))
    assert response.status_code == 400
    assert "Mã định danh này đã được dùng cho một cơ quan khác." in response.content.decode()
    tree.department.refresh_from_db()
    assert tree.department.code_qcvn102 == "000.00.01.H99"


def test_edit_is_refused_to_others(tree: Tree, clerk: User, foreign_staff: User, agency_admin: User) -> None:
    url = reverse("agency-edit", args=[tree.department.pk])
    assert client_for(clerk).get(url).status_code == 403
    assert client_for(foreign_staff).post(url, edit_data(tree.department, name="X")).status_code == 403
    # An agency administrator of the department cannot edit its parent.
    assert client_for(agency_admin).get(reverse("agency-edit", args=[tree.province.pk])).status_code == 403
    tree.department.refresh_from_db()
    assert tree.department.name == "Sở Nội vụ"


def test_system_admin_adds_child_agency(tree: Tree, system_admin: User, agency_admin: User) -> None:
    url = reverse("agency-add-child", args=[tree.department.pk])
    assert client_for(agency_admin).get(url).status_code == 403
    client = client_for(system_admin)
    assert (
        "Thêm đơn vị trực thuộc"
        in client.get(reverse("agency-detail", args=[tree.department.pk])).content.decode()
    )
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": Agency.Kind.UNIT, "name": "", "valid_from": "32/13/2025"})
    assert bad.status_code == 400
    assert "Nhập ngày theo dạng dd/mm/yyyy" in bad.content.decode()
    assert not Agency.objects.filter(parent=tree.department, name="").exists()
    response = client.post(
        url, {"kind": Agency.Kind.UNIT, "name": "Phòng Công chức, viên chức", "short_name": "CCVC"}
    )
    assert response.status_code == 302
    child = Agency.objects.get(name="Phòng Công chức, viên chức")
    assert child.parent_id == tree.department.pk and child.path.startswith(tree.department.path)


# --- Languages --------------------------------------------------------------------------------------------


def test_english_switch_shows_english_labels_and_persists(tree: Tree, clerk: User) -> None:
    client = client_for(clerk)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("directory")})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    html = client.get(reverse("directory")).content.decode()
    assert '<html lang="en">' in html
    for label in ("Home", "Agency directory", "Staff", "My profile", "Log out", "Find an agency"):
        assert label in html, label
    assert "Danh bạ cơ quan" not in html
    agency = client.get(reverse("agency-detail", args=[tree.department.pk])).content.decode()
    assert "General information" in agency and "Department, board, sector" in agency
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Danh bạ cơ quan" in client.get(reverse("directory")).content.decode()


def test_vietnamese_is_the_default(tree: Tree, clerk: User) -> None:
    html = client_for(clerk).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="vi">' in html and "Trang chủ" in html


def test_vietnamese_first_whatever_the_browser_says(client, clerk):
    from egov.directory.tests.fixtures import PASSWORD

    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    assert 'lang="vi"' in page.content.decode()
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/login/").content.decode()
    assert PASSWORD  # the fixture module is importable for other tests


def test_admin_login_goes_through_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/admin/")
