"""Trả lại bước trước (issue #5): ``services.return_to_previous_step``, its dialog on the officer page and its
API action — who may return, from where, what is written (new step rows, deadlines, timeline, audit) and
that nothing is written when it is refused."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from egov.audit.models import AuditEntry
from egov.core import clock
from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.dossiers import deadlines, services
from egov.dossiers.models import Dossier, DossierEvent, DossierStep, Status

from .conftest import at, desk, make_procedure, submit
from .test_api import client_for

REASON = "Dự thảo quyết định sai họ tên người được cấp, đề nghị làm lại."


def _at_leader_step(world: Any, frozen: Any) -> Dossier:
    """Received at the desk, the specialist's step done: the dossier waits at the leader's step."""
    d = desk(world)
    d = services.start_processing(actor=world.officer, dossier=d, handler=world.specialist)
    frozen.advance(hours=5)
    return services.complete_step(actor=world.specialist, dossier=d, note="Dự thảo kết quả")


def _snapshot(d: Dossier) -> tuple[Any, ...]:
    d.refresh_from_db()
    steps = tuple(
        DossierStep.objects.filter(dossier=d).order_by("id").values_list("state", "handler_id", "due_at")
    )
    return (
        d.status,
        d.current_step_id,
        d.due_at,
        steps,
        DossierEvent.objects.filter(dossier=d).count(),
        AuditEntry.objects.filter(object_id=str(d.pk)).count(),
    )


def test_leader_returns_to_the_specialist_who_completes_again_and_the_dossier_proceeds(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:  # Monday
        d = _at_leader_step(world, frozen)
        due_at = d.due_at
        returned = d.current_step
        assert returned is not None and returned.order == 2
        frozen.advance(days=1)  # Tuesday 14:00
        now = clock.now()
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason=f"  {REASON} ")

        d.refresh_from_db()
        assert d.status == Status.PROCESSING
        assert d.due_at == due_at  # the appointment does not move
        reopened = d.current_step
        assert reopened is not None and reopened.pk not in (returned.pk,)
        assert (reopened.order, reopened.state, reopened.handler_id) == (1, "active", world.specialist.pk)
        assert reopened.started_at == now
        assert reopened.due_at == deadlines.appointment(now, Decimal("3"))  # its share, from now
        returned.refresh_from_db()
        assert returned.state == DossierStep.State.RETURNED
        assert (returned.note, returned.finished_by_id, returned.finished_at) == (
            REASON,
            world.leader.pk,
            now,
        )
        again = DossierStep.objects.get(dossier=d, order=2, state=DossierStep.State.PENDING)
        assert again.due_at == deadlines.appointment(now, Decimal("5"))
        # The first specialist row stays done: the history keeps every row.
        assert list(d.steps.order_by("order", "id").values_list("order", "state")) == [
            (1, "done"),
            (1, "active"),
            (2, "returned"),
            (2, "pending"),
        ]

        event = DossierEvent.objects.get(dossier=d, kind="step_returned")
        assert event.note == REASON and event.actor_id == world.leader.pk
        assert event.step_id == returned.pk and event.to_status == Status.PROCESSING
        assert event.data["from_step"] == 2 and event.data["to_step"] == 1
        assert event.data["handler"] == world.specialist.pk
        entry = AuditEntry.objects.get(action="dossiers.dossier.step.return", object_id=str(d.pk))
        assert entry.actor_id == world.leader.pk
        assert entry.after["reason"] == REASON and entry.after["step"] == 1

        frozen.advance(hours=2)
        d = services.complete_step(actor=world.specialist, dossier=d, note="Đã sửa dự thảo")
        assert d.current_step is not None and d.current_step.pk == again.pk
        again.refresh_from_db()
        assert again.state == DossierStep.State.ACTIVE
        assert again.handler_id == world.leader.pk  # back to whoever returned it
        frozen.advance(hours=1)
        d = services.complete_step(actor=world.leader, dossier=d, note="Đồng ý")
        assert d.status == Status.DONE and d.due_at == due_at


def test_previous_handler_gone_leaves_the_step_to_its_role_holders(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = _at_leader_step(world, frozen)
        world.specialist.is_active = False
        world.specialist.save(update_fields=["is_active"])
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason=REASON)
        step = d.current_step
        assert step is not None and step.order == 1 and step.handler_id is None
        other = make_staff("chuyenvien2", world.tree.unit, Role.SPECIALIST)
        frozen.advance(hours=1)
        d = services.complete_step(actor=other, dossier=d)
        assert d.current_step is not None and d.current_step.order == 2


def test_unassigned_previous_step_goes_back_to_whoever_finished_it(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = services.start_processing(actor=world.officer, dossier=desk(world))  # no handler
        frozen.advance(hours=1)
        d = services.complete_step(actor=world.specialist, dossier=d)
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason=REASON)
        assert d.current_step is not None and d.current_step.handler_id == world.specialist.pk


def test_later_steps_deadlines_are_counted_again_from_now(world, tree):
    procedure = make_procedure(
        "1.000777",
        receiving=tree.department,
        days="10",
        steps=[
            ("Thẩm định", Role.SPECIALIST, None, "3"),
            ("Kiểm tra", Role.LEADER, None, "2"),
            ("Ký duyệt", Role.LEADER, None, "4"),
        ],
    )
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = services.start_processing(
            actor=world.officer, dossier=desk(world, procedure=procedure), handler=world.specialist
        )
        d = services.complete_step(actor=world.specialist, dossier=d)
        frozen.advance(days=2)
        now = clock.now()
        due_at = d.due_at
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason=REASON)
        last = DossierStep.objects.get(dossier=d, order=3)
        assert last.state == DossierStep.State.PENDING
        assert last.due_at == deadlines.appointment(now, Decimal("9"))
        d.refresh_from_db()
        assert d.due_at == due_at


# --- refusals: nothing written ----------------------------------------------------------------------------


def test_only_the_current_steps_actor_may_return(world, tree, foreign_staff):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = _at_leader_step(world, frozen)
    before = _snapshot(d)
    # The specialist (step 1 done), the one-stop officer, another province's staff, the citizen, another
    # agency's leader: none holds the leader step's role in the department.
    office_leader = make_staff("ldvanphong", tree.office, Role.LEADER)
    for actor in (world.specialist, world.officer, foreign_staff, world.citizen, office_leader):
        with pytest.raises(PermissionDenied):
            services.return_to_previous_step(actor=actor, dossier=d, reason=REASON)
    assert _snapshot(d) == before


def test_first_step_wrong_status_and_empty_reason_are_refused(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        received = desk(world)
        with pytest.raises(ValidationError, match="đang xử lý"):
            services.return_to_previous_step(actor=world.leader, dossier=received, reason=REASON)
        d = services.start_processing(actor=world.officer, dossier=desk(world), handler=world.specialist)
        before = _snapshot(d)
        with pytest.raises(ValidationError, match="bước xử lý đầu tiên"):
            services.return_to_previous_step(actor=world.specialist, dossier=d, reason=REASON)
        assert _snapshot(d) == before
        d = services.complete_step(actor=world.specialist, dossier=d)
        before = _snapshot(d)
        for reason in ("", "   "):
            with pytest.raises(ValidationError) as info:
                services.return_to_previous_step(actor=world.leader, dossier=d, reason=reason)
            assert "reason" in info.value.message_dict
        assert _snapshot(d) == before
        frozen.advance(hours=1)
        done = services.complete_step(actor=world.leader, dossier=d)
        with pytest.raises(ValidationError):
            services.return_to_previous_step(actor=world.leader, dossier=done, reason=REASON)


def test_returned_twice_goes_back_one_step_each_time_and_never_before_the_first(world, tree):
    procedure = make_procedure(
        "1.000778",
        receiving=tree.department,
        steps=[
            ("Thẩm định", Role.SPECIALIST, None, "1"),
            ("Kiểm tra", Role.LEADER, None, "1"),
            ("Ký duyệt", Role.LEADER, None, "1"),
        ],
    )
    with clock.at(at(2026, 3, 2, 9)):
        d = services.start_processing(
            actor=world.officer, dossier=desk(world, procedure=procedure), handler=world.specialist
        )
        d = services.complete_step(actor=world.specialist, dossier=d)
        d = services.complete_step(actor=world.leader, dossier=d)
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason="Lần 1")
        assert d.current_step is not None and d.current_step.order == 2
        d = services.return_to_previous_step(actor=world.leader, dossier=d, reason="Lần 2")
        assert d.current_step is not None and d.current_step.order == 1
        with pytest.raises(ValidationError):
            services.return_to_previous_step(actor=world.specialist, dossier=d, reason="Lần 3")
        open_rows = d.steps.filter(state__in=["pending", "active"]).order_by("order")
        assert list(open_rows.values_list("order", flat=True)) == [1, 2, 3]
        d = services.complete_step(actor=world.specialist, dossier=d)
        d = services.complete_step(actor=world.leader, dossier=d)
        d = services.complete_step(actor=world.leader, dossier=d)
        assert d.status == Status.DONE


# --- officer page ---------------------------------------------------------------------------------------


def _url(name: str, *args: Any) -> str:
    return reverse(f"dossiers:{name}", args=args)


def test_dialog_returns_with_reason_and_the_timeline_shows_it(world, client):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = _at_leader_step(world, frozen)
    client.force_login(world.specialist)
    page = client.get(_url("detail", d.pk)).content.decode()
    assert 'data-action="return_step"' not in page  # not the specialist's step any more
    assert client.get(_url("action", d.pk, "return_step")).status_code == 403

    client.force_login(world.leader)
    page = client.get(_url("detail", d.pk)).content.decode()
    assert 'data-action="return_step"' in page and "Trả lại bước trước" in page
    dialog = client.get(_url("action", d.pk, "return_step"))
    assert dialog.status_code == 200 and 'name="reason"' in dialog.content.decode()

    before = _snapshot(d)
    bad = client.post(_url("action", d.pk, "return_step"), {"reason": "  "})
    assert bad.status_code == 400 and _snapshot(d) == before

    response = client.post(_url("action", d.pk, "return_step"), {"reason": REASON})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.current_step is not None and d.current_step.order == 1
    page = client.get(_url("detail", d.pk)).content.decode()
    assert REASON in page and "Trả lại bước: Thẩm định" in page


def test_no_button_at_the_first_step(world, client):
    with clock.at(at(2026, 3, 2, 9)):
        d = services.start_processing(actor=world.officer, dossier=desk(world), handler=world.specialist)
    client.force_login(world.specialist)
    page = client.get(_url("detail", d.pk)).content.decode()
    assert 'data-action="complete"' in page and 'data-action="return_step"' not in page


# --- API ------------------------------------------------------------------------------------------------


def test_api_return_step(world, tree, foreign_staff):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = _at_leader_step(world, frozen)
    path = f"/api/v1/dossiers/{d.pk}/return-step/"
    before = _snapshot(d)
    assert client_for(foreign_staff).post(path, {"reason": REASON}, format="json").status_code == 404
    # Citizens get 403 on every officials' route (docs/dossiers.md), whatever the dossier.
    assert client_for(world.citizen).post(path, {"reason": REASON}, format="json").status_code == 403
    denied = client_for(world.officer).post(path, {"reason": REASON}, format="json")
    assert denied.status_code == 403 and denied.json()["detail"]
    empty = client_for(world.leader).post(path, {"reason": ""}, format="json")
    assert empty.status_code == 400 and "reason" in empty.json()
    assert _snapshot(d) == before

    done = client_for(world.leader).post(path, {"reason": REASON}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["status"] == Status.PROCESSING
    assert [s["state"] for s in body["steps"]] == ["done", "active", "returned", "pending"]
    # Now at the first step: nothing before it.
    first = client_for(world.specialist).post(path, {"reason": REASON}, format="json")
    assert first.status_code == 400


def test_citizen_owner_cannot_use_the_staff_route(world):
    with clock.at(at(2026, 3, 2, 9)) as frozen:
        d = submit(world)
        d = services.accept(actor=world.officer, dossier=d)
        d = services.start_processing(actor=world.officer, dossier=d, handler=world.specialist)
        frozen.advance(hours=1)
        d = services.complete_step(actor=world.specialist, dossier=d)
    before = _snapshot(d)
    owner = client_for(world.citizen)
    staff_route = owner.post(f"/api/v1/dossiers/{d.pk}/return-step/", {"reason": REASON}, format="json")
    assert staff_route.status_code == 403
    # The citizens' routes have no such action.
    my_route = owner.post(f"/api/v1/my/dossiers/{d.pk}/return-step/", {"reason": REASON}, format="json")
    assert my_route.status_code == 404
    assert _snapshot(d) == before
