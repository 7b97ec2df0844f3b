"""One deadline-flag rule (``deadlines.flag``) for the periodic scan that stores ``Dossier.deadline_flag``,
the queue's live flags and its flag filter, and the statistics' count of open overdue dossiers.

Calendar facts used (Vietnam 2026): Thu 30/04 and Fri 01/05 are holidays."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from egov.dossiers import deadlines, selectors, services
from egov.dossiers.deadlines import Clock
from egov.dossiers.models import DeadlineFlag, Dossier, Status

from .conftest import at, desk

F = DeadlineFlag
S = Status


@pytest.fixture
def clock(monkeypatch):
    real = timezone.now
    box: dict[str, dt.datetime | None] = {"now": None}
    monkeypatch.setattr(timezone, "now", lambda: box["now"] or real())
    return box


# --- the pure rule --------------------------------------------------------------------------------------

NOW = at(2026, 4, 29, 10)  # Wednesday; the next working day is Monday 04/05 (holidays 30/04, 01/05)
LIMIT = at(2026, 5, 4, 17)


def test_the_at_risk_limit_is_the_end_of_the_next_working_day(db):
    assert deadlines.at_risk_limit(NOW) == LIMIT


@pytest.mark.parametrize(
    ("due", "clock_state", "paused_at", "expected"),
    [
        (None, Clock.RUNNING, None, F.NONE),
        (NOW - dt.timedelta(minutes=1), Clock.RUNNING, None, F.OVERDUE),
        (NOW, Clock.RUNNING, None, F.AT_RISK),  # due this very moment: not yet late
        (at(2026, 4, 29, 17), Clock.RUNNING, None, F.AT_RISK),
        (LIMIT, Clock.RUNNING, None, F.AT_RISK),  # across the holidays: Monday's closing time
        (LIMIT + dt.timedelta(minutes=1), Clock.RUNNING, None, F.NONE),
        # Paused (waiting for papers): time stands still; late before the pause stays late.
        (NOW - dt.timedelta(days=3), Clock.PAUSED, NOW - dt.timedelta(days=1), F.OVERDUE),
        (NOW - dt.timedelta(days=3), Clock.PAUSED, NOW - dt.timedelta(days=5), F.NONE),
        (NOW + dt.timedelta(hours=1), Clock.PAUSED, NOW - dt.timedelta(days=1), F.NONE),
        (NOW - dt.timedelta(days=3), Clock.PAUSED, None, F.NONE),
        # No clock (new, finished): never flagged.
        (NOW - dt.timedelta(days=3), Clock.NONE, None, F.NONE),
        (NOW + dt.timedelta(hours=1), Clock.NONE, None, F.NONE),
    ],
)
def test_flag_rule(db, due, clock_state, paused_at, expected):
    assert deadlines.flag(due, clock=clock_state, now=NOW, limit=LIMIT, paused_at=paused_at) == expected
    # Without ``limit`` the rule asks the calendar itself and agrees.
    assert deadlines.flag(due, clock=clock_state, now=NOW, paused_at=paused_at) == expected


def test_clock_states():
    assert {s for s in Status if deadlines.clock_state(s) is Clock.RUNNING} == {
        Status.RECEIVED,
        Status.PROCESSING,
        Status.PAYMENT,
    }
    assert [s for s in Status if deadlines.clock_state(s) is Clock.PAUSED] == [Status.SUPPLEMENT]


def test_unknown_flag_value_is_refused():
    with pytest.raises(ValueError, match="unknown deadline flag"):
        deadlines.flag_condition(7, NOW, LIMIT)


# --- the scan, the filter and the pure rule agree -------------------------------------------------------


def _variety(world, clock):
    """Dossiers in every clock state with appointments around NOW, and stale stored flags."""
    clock["now"] = at(2026, 4, 13, 9)
    made = []
    dues = [
        None,
        NOW - dt.timedelta(days=2),
        NOW - dt.timedelta(minutes=1),
        NOW,
        LIMIT,
        LIMIT + dt.timedelta(minutes=1),
        LIMIT + dt.timedelta(days=10),
    ]
    statuses = [
        Status.NEW,
        Status.RECEIVED,
        Status.PROCESSING,
        Status.SUPPLEMENT,
        Status.PAYMENT,
        Status.DONE,
    ]
    pauses = [None, NOW - dt.timedelta(days=5), NOW - dt.timedelta(hours=1)]
    stale = itertools.cycle([F.NONE, F.AT_RISK, F.OVERDUE])
    base = desk(world)
    for due, status, paused in itertools.product(dues, statuses, pauses):
        if paused is not None and status != Status.SUPPLEMENT:
            continue
        made.append((due, status, paused, next(stale)))
    rows = []
    for i, (due, status, paused, flag) in enumerate(made):
        rows.append(
            Dossier(
                **{
                    f.attname: getattr(base, f.attname)
                    for f in Dossier._meta.concrete_fields
                    if f.attname not in ("id", "code", "idempotency_key")
                },
                code=f"{base.code}-{i}",
            )
        )
        rows[-1].due_at, rows[-1].status, rows[-1].paused_at, rows[-1].deadline_flag = (
            due,
            status,
            paused,
            flag,
        )
    Dossier.objects.bulk_create(rows)
    return Dossier.objects.exclude(pk=base.pk)


def test_scan_stores_exactly_the_flag_of_the_rule(world, clock):
    dossiers = _variety(world, clock)
    assert dossiers.count() > 40
    counts = services.flag_deadlines(NOW)
    assert counts["overdue"] and counts["at_risk"] and counts["cleared"]
    for d in dossiers:
        assert d.deadline_flag == deadlines.dossier_flag(d, NOW), (d.status, d.due_at, d.paused_at)
    # The database form of the rule selects the same dossiers as the rule itself.
    for value in F:
        selected = set(dossiers.filter(deadlines.flag_condition(value, NOW)).values_list("pk", flat=True))
        assert selected == {d.pk for d in dossiers if deadlines.dossier_flag(d, NOW) == value}, value
    assert services.flag_deadlines(NOW) == {"overdue": 0, "at_risk": 0, "cleared": 0}


def test_supplement_requested_after_the_appointment_stays_overdue(world, clock):
    clock["now"] = at(2026, 4, 13, 9)
    d = services.start_processing(actor=world.officer, dossier=desk(world))  # due 20/04 17:00
    clock["now"] = at(2026, 4, 22, 9)
    services.flag_deadlines()
    assert Dossier.objects.get(pk=d.pk).deadline_flag == F.OVERDUE
    d = services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu giấy tờ")
    clock["now"] = at(2026, 4, 24, 9)
    services.flag_deadlines()
    assert Dossier.objects.get(pk=d.pk).deadline_flag == F.OVERDUE


def test_supplement_requested_in_time_carries_no_flag(world, clock):
    clock["now"] = at(2026, 4, 13, 9)
    d = services.start_processing(actor=world.officer, dossier=desk(world))  # due 20/04 17:00
    clock["now"] = at(2026, 4, 17, 9)
    services.flag_deadlines()
    assert Dossier.objects.get(pk=d.pk).deadline_flag == F.AT_RISK
    services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu giấy tờ")
    clock["now"] = at(2026, 4, 24, 9)  # the appointment has passed on the calendar, but the clock stood still
    services.flag_deadlines()
    assert Dossier.objects.get(pk=d.pk).deadline_flag == F.NONE


# --- the officer pages use the rule live ----------------------------------------------------------------


def test_queue_shows_a_dossier_late_since_the_last_scan_and_filters_by_the_same_rule(client, world):
    late = desk(world)
    fine = desk(world)
    services.flag_deadlines()  # both in time: nothing stored
    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    assert Dossier.objects.get(pk=late.pk).deadline_flag == F.NONE  # the scan has not run since

    client.force_login(world.officer)
    response = client.get(reverse("dossiers:queue"))
    flags = {d.pk: f for d, f in response.context["rows"]}
    assert flags[late.pk] == "late" and flags[fine.pk] == ""

    overdue = client.get(reverse("dossiers:queue"), {"flag": str(F.OVERDUE)})
    assert [d.pk for d, _f in overdue.context["rows"]] == [late.pk]
    calm = client.get(reverse("dossiers:queue"), {"flag": str(F.NONE)})
    assert [d.pk for d, _f in calm.context["rows"]] == [fine.pk]

    page = client.get(reverse("dossiers:detail", args=[late.pk]))
    assert page.context["flag"] == "late"

    # The statistics count open overdue dossiers with the same rule.
    stats = selectors.statistics({world.tree.department.pk}, timezone.localdate(), timezone.localdate())
    assert stats["overdue_open"] == 1
