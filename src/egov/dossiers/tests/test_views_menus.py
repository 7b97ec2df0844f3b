"""The staff menu by role (Một cửa, Báo cáo) and delegates (ủy quyền) in the handler pickers of the officer
pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from egov.core.navigation import Menu, menu
from egov.directory import services as directory_services
from egov.directory.models import Position, Role
from egov.directory.selectors import acting_roles
from egov.directory.tests.fixtures import make_staff
from egov.dossiers import selectors, services
from egov.dossiers.models import Status
from egov.reporting.dashboards import dashboard_roots
from egov.reporting.selectors import can_use_reporting

from .conftest import desk

ONE_STOP = reverse("dossiers:queue")
REPORTS = reverse("reporting:list")


def nav_links(client, user, path=None):
    client.force_login(user)
    response = client.get(path or reverse("profile"))
    assert response.status_code == 200
    html = response.content.decode()
    found = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    return set(re.findall(r'href="([^"]+)"', found.group(0))) if found else set()


def delegate(delegator, to, agency, role):
    now = timezone.now()
    return directory_services.create_delegation(
        actor=delegator,
        delegator=delegator,
        delegate=to,
        agency=agency,
        role=role,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=7),
        reason="Nghỉ phép",
    )


# --- menus ----------------------------------------------------------------------------------------------


def test_one_stop_menu_for_one_stop_roles_only(client, world):
    clerk = make_staff("vanthu", world.tree.department, Role.CLERK, title="Văn thư")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))

    # A clerk (văn thư) of the receiving agency has no one-stop role: no "Một cửa"; reports of their
    # organisation are theirs to see.
    links = nav_links(client, clerk)
    assert ONE_STOP not in links and REPORTS in links
    # Officer, the specialist of the procedure's first step (in a unit of the agency), the leader: yes.
    for user in (world.officer, world.specialist, world.leader):
        links = nav_links(client, user)
        assert ONE_STOP in links and REPORTS in links, user
    # The page keeps its own check: the clerk is not locked out by the menu, nor let in by it.
    client.force_login(clerk)
    assert client.get(ONE_STOP).status_code == 200
    assert client.get(reverse("dossiers:desk")).status_code == 403


def test_one_stop_menu_through_a_delegation(client, world):
    clerk = make_staff("vanthu", world.tree.department, Role.CLERK, title="Văn thư")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    assert ONE_STOP not in nav_links(client, clerk)
    delegate(world.officer, clerk, world.tree.department, Role.ONE_STOP_OFFICER)
    assert ONE_STOP in nav_links(client, clerk)


def test_specialist_of_an_agency_without_dossier_work_has_no_one_stop_menu(client, world):
    outsider = make_staff("chuyenvien.so", world.tree.office, Role.SPECIALIST, title="Chuyên viên")
    assert not selectors.works_at_one_stop(outsider)
    assert ONE_STOP not in nav_links(client, outsider)
    # Once a dossier has a step at their agency, they have work there.
    d = services.start_processing(actor=world.officer, dossier=desk(world))
    d.steps.filter(order=1).update(agency=world.tree.office)
    assert selectors.works_at_one_stop(outsider)


def test_staff_without_any_position_see_neither(client, world):
    lonely = make_staff("cu", world.tree.department, Role.CLERK, title="Văn thư")
    Position.objects.filter(user=lonely).update(valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2021, 1, 1))
    links = nav_links(client, lonely)
    assert links and ONE_STOP not in links and REPORTS not in links
    assert dashboard_roots(lonely) == []  # the reporting app's own rule agrees


def test_reporting_menu_follows_the_reporting_rule(world, system_admin):
    """One rule (``reporting.selectors.can_use_reporting``) for the menu; it agrees with the dashboards'
    own ``dashboard_roots`` for every kind of account, including delegates and staff without a position."""
    factory = RequestFactory()
    clerk = make_staff("vanthu", world.tree.department, Role.CLERK, title="Văn thư")
    lonely = make_staff("cu", world.tree.office, Role.CLERK, title="Văn thư")
    delegated = make_staff("uyquyen", world.tree.office, Role.CLERK, title="Văn thư")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    Position.objects.filter(user__in=[lonely, delegated]).update(valid_to=dt.date(2021, 1, 1))
    delegate(world.leader, delegated, world.tree.department, Role.LEADER)
    users = (clerk, lonely, delegated, world.officer, world.specialist, world.leader, system_admin)
    for user in (*users, world.citizen):
        request = factory.get("/")
        request.user = user
        expected = bool(dashboard_roots(user)) if user.is_government_staff else False
        assert Menu(request).reporting == can_use_reporting(user) == expected, user
    assert [can_use_reporting(u) for u in (lonely, delegated, world.citizen)] == [False, True, False]


def test_reporting_rule_costs_no_query_when_the_roles_are_known(world):
    pairs = acting_roles(world.leader)
    with CaptureQueriesContext(connection) as queries:
        assert can_use_reporting(world.leader, pairs, is_admin=False)
        assert not can_use_reporting(world.leader, [], is_admin=False)
        assert can_use_reporting(world.leader, [], is_admin=True)
    assert len(queries) == 0


def test_citizens_see_neither(client, world):
    request = RequestFactory().get("/")
    request.user = world.citizen
    m = menu(request)["menu"]
    assert not m.one_stop and not m.reporting
    client.force_login(world.citizen)
    html = client.get(reverse("portal:home")).content.decode()
    assert f'href="{ONE_STOP}"' not in html and f'href="{REPORTS}"' not in html


def test_menu_is_computed_once_per_request(world):
    request = RequestFactory().get("/")
    request.user = world.leader
    first = menu(request)["menu"]
    with CaptureQueriesContext(connection) as queries:
        assert first.one_stop and first.reporting
    assert 0 < len(queries) <= 10
    with CaptureQueriesContext(connection) as again:
        second = menu(request)["menu"]
        assert second is first and second.one_stop and second.reporting
    assert len(again) == 0


def test_system_admin_sees_both(client, world, system_admin):
    links = nav_links(client, system_admin)
    assert ONE_STOP in links and REPORTS in links


# --- delegates in the handler pickers -------------------------------------------------------------------


def test_delegate_is_offered_labelled_and_accepted(client, world):
    stand_in = make_staff("vanthu", world.tree.department, Role.CLERK, title="Văn thư", full_name="Phạm Thu")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    delegate(world.specialist, stand_in, world.tree.unit, Role.SPECIALIST)
    d = desk(world)
    assert d.status == Status.RECEIVED

    client.force_login(world.officer)
    dialog = client.get(reverse("dossiers:action", args=[d.pk, "start"]))
    choices = dict(dialog.context["form"].fields["handler"].choices)
    assert choices[stand_in.pk] == "Phạm Thu (ủy quyền)"
    assert choices[world.specialist.pk] == world.specialist.get_full_name()  # own position: no label
    assert "Phạm Thu (ủy quyền)" in dialog.content.decode()

    response = client.post(reverse("dossiers:action", args=[d.pk, "start"]), {"handler": str(stand_in.pk)})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.PROCESSING and d.current_step.handler == stand_in

    # The delegate acts on the step: forward it back to the specialist, then complete it after all.
    client.force_login(stand_in)
    dialog = client.get(reverse("dossiers:action", args=[d.pk, "forward"]))
    assert world.specialist.pk in dict(dialog.context["form"].fields["handler"].choices)
    response = client.post(
        reverse("dossiers:action", args=[d.pk, "complete"]),
        {"note": "Hồ sơ hợp lệ", "handler": str(world.leader.pk)},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current_step.order == 2 and d.current_step.handler == world.leader


def test_leader_delegate_is_offered_for_the_next_step(client, world):
    deputy = make_staff("phogiamdoc", world.tree.department, Role.CLERK, title="Văn thư", full_name="Võ Phó")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    delegate(world.leader, deputy, world.tree.department, Role.LEADER)
    d = services.start_processing(actor=world.officer, dossier=desk(world), handler=world.specialist)
    client.force_login(world.specialist)
    dialog = client.get(reverse("dossiers:action", args=[d.pk, "complete"]))
    choices = dict(dialog.context["form"].fields["handler"].choices)
    assert choices[deputy.pk] == "Võ Phó (ủy quyền)" and world.leader.pk in choices
    response = client.post(
        reverse("dossiers:action", args=[d.pk, "complete"]), {"note": "Đạt", "handler": str(deputy.pk)}
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current_step.handler == deputy


def test_revoked_or_expired_delegation_is_not_offered_nor_accepted(client, world):
    stand_in = make_staff("vanthu", world.tree.department, Role.CLERK, title="Văn thư", full_name="Phạm Thu")
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    grant = delegate(world.specialist, stand_in, world.tree.unit, Role.SPECIALIST)
    directory_services.revoke_delegation(actor=world.specialist, delegation=grant)
    d = desk(world)

    client.force_login(world.officer)
    dialog = client.get(reverse("dossiers:action", args=[d.pk, "start"]))
    assert stand_in.pk not in dict(dialog.context["form"].fields["handler"].choices)
    response = client.post(reverse("dossiers:action", args=[d.pk, "start"]), {"handler": str(stand_in.pk)})
    assert response.status_code == 400
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
    # The service refuses them too, whatever the form offered.
    with pytest.raises(ValidationError):
        services.start_processing(actor=world.officer, dossier=d, handler=stand_in)
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
