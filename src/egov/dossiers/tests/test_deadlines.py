"""Appointment arithmetic (working days, office hours, half days), the supplement pause across a weekend and
public holidays, the on-time rule and the periodic deadline scan.

Calendar facts used (Vietnam 2026): Sun 26/04 Giỗ Tổ Hùng Vương with Mon 27/04 in lieu; Thu 30/04 and
Fri 01/05 holidays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from egov.core import schedules
from egov.dossiers import deadlines, services
from egov.dossiers.models import DeadlineFlag, Dossier, Status

from .conftest import at, desk, full_papers, submit, upload


class Clock:
    def __init__(self) -> None:
        self.now: dt.datetime | None = None


@pytest.fixture
def clock(monkeypatch):
    real = timezone.now
    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now or real())
    return c


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (
            at(2026, 4, 23, 9),
            "5",
            at(2026, 5, 5, 17),
        ),  # Fri, (weekend, 27/04), Tue, Wed, (30/04–03/05), Mon, Tue
        (at(2026, 4, 23, 9), "0", at(2026, 4, 23, 17)),  # same day
        (at(2026, 4, 23, 9), "2.5", at(2026, 4, 29, 12)),  # noon of the third working day
        (at(2026, 4, 23, 9), "0.5", at(2026, 4, 24, 12)),
        (at(2026, 4, 24, 17, 30), "2", at(2026, 5, 4, 17)),  # after closing: counts from Tue 28/04
        (at(2026, 4, 24, 16, 59), "2", at(2026, 4, 29, 17)),  # before closing: counts from Fri 24/04
        (at(2026, 4, 25, 10), "1", at(2026, 4, 29, 17)),  # Saturday: reception day Tue 28/04
        (at(2026, 4, 25, 10), "0", at(2026, 4, 28, 17)),
    ],
)
def test_appointment(db, received, days, due):
    assert deadlines.appointment(received, Decimal(days)) == due


def test_office_hours_come_from_the_settings(db, settings):
    settings.EGOV_DOSSIER_OFFICE_CLOSES = "16:30"
    assert deadlines.appointment(at(2026, 4, 23, 16, 45), 1) == at(2026, 4, 28, 16, 30)


def test_paused_working_days(db):
    assert deadlines.paused_working_days(at(2026, 4, 24, 10), at(2026, 4, 24, 15)) == 0
    assert deadlines.paused_working_days(at(2026, 4, 24, 10), at(2026, 4, 28, 9)) == 1
    assert deadlines.paused_working_days(at(2026, 4, 24, 10), at(2026, 5, 4, 9)) == 3


def processing_dossier(world, clock, when):
    clock.now = when
    d = desk(world)
    return services.start_processing(actor=world.officer, dossier=d)


def test_supplement_pause_moves_the_appointment_over_weekend_and_holidays(world, clock):
    d = processing_dossier(world, clock, at(2026, 4, 23, 9))
    assert d.due_at == at(2026, 5, 5, 17)
    step_due = d.current_step.due_at
    assert step_due == at(2026, 4, 29, 17)  # 3 days of "Thẩm định"

    clock.now = at(2026, 4, 24, 10)
    d = services.request_supplement(
        actor=world.specialist, dossier=d, reason="Thiếu chữ ký", papers=["Tờ khai"]
    )
    assert d.status == Status.SUPPLEMENT and d.paused_at == clock.now and d.supplement_count == 1

    clock.now = at(2026, 5, 4, 9)  # Tue 28, Wed 29 and Mon 04/05 passed: 3 working days
    d = services.provide_supplement(
        actor=world.officer,
        dossier=d,
        papers=[services.PaperInput(required_paper=d.procedure.papers.first(), upload=upload())],
    )
    assert d.status == Status.PROCESSING and d.paused_at is None
    assert d.paused_working_days == 3
    assert d.due_at == at(2026, 5, 8, 17)  # 05/05 + 3 working days
    assert d.original_due_at == at(2026, 5, 5, 17)
    d.current_step.refresh_from_db()
    assert d.current_step.due_at == at(2026, 5, 6, 17)  # 29/04 + 3 working days
    supplement = d.supplements.get()
    assert supplement.provided_at == clock.now and supplement.paused_working_days == 3
    assert d.papers.filter(supplement=supplement).count() == 1


def test_supplement_answered_after_the_weekend_costs_one_day(world, clock):
    d = processing_dossier(world, clock, at(2026, 4, 23, 9))
    clock.now = at(2026, 4, 24, 10)
    services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu")
    clock.now = at(2026, 4, 28, 8)
    d = services.provide_supplement(
        actor=world.officer, dossier=d, papers=[services.PaperInput(name="Giấy xác nhận", upload=upload())]
    )
    assert d.due_at == at(2026, 5, 6, 17)


def test_on_time_rule(world, clock):
    d = processing_dossier(world, clock, at(2026, 4, 23, 9))
    clock.now = at(2026, 5, 5, 16)
    services.complete_step(actor=world.specialist, dossier=d)
    d = services.complete_step(actor=world.leader, dossier=d)
    assert d.is_on_time is True and d.finished_at == at(2026, 5, 5, 16)

    late = processing_dossier(world, clock, at(2026, 4, 23, 9))
    clock.now = at(2026, 5, 6, 8)
    services.complete_step(actor=world.specialist, dossier=late)
    late = services.complete_step(actor=world.leader, dossier=late)
    assert late.is_on_time is False

    # Two supplement requests: late even when finished early.
    twice = processing_dossier(world, clock, at(2026, 4, 23, 9))
    for day in (24, 28):
        clock.now = at(2026, 4, day, 9)
        services.request_supplement(actor=world.officer, dossier=twice, reason="Thiếu")
        services.provide_supplement(
            actor=world.officer, dossier=twice, papers=[services.PaperInput(name="Bổ sung", upload=upload())]
        )
    services.complete_step(actor=world.specialist, dossier=twice)
    twice = services.complete_step(actor=world.leader, dossier=twice)
    assert twice.supplement_count == 2 and twice.is_on_time is False


def test_withdrawn_while_waiting_for_papers_counts_from_the_request(world, clock):
    d = processing_dossier(world, clock, at(2026, 4, 23, 9))
    clock.now = at(2026, 5, 4, 9)
    services.request_supplement(actor=world.officer, dossier=d, reason="Thiếu")
    clock.now = at(2026, 5, 20, 9)  # long after the appointment
    d = services.withdraw(actor=world.officer, dossier=d, reason="Công dân rút")
    assert d.finished_at == at(2026, 5, 4, 9) and d.is_on_time is True


def test_apology_gives_a_new_appointment(world, clock):
    d = processing_dossier(world, clock, at(2026, 4, 23, 9))
    clock.now = at(2026, 5, 5, 10)
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):  # must be later than the current appointment
        services.issue_apology(
            actor=world.leader, dossier=d, reason="Chờ xác minh", new_due_at=dt.date(2026, 5, 4)
        )
    with pytest.raises(ValidationError):  # a Saturday
        services.issue_apology(
            actor=world.leader, dossier=d, reason="Chờ xác minh", new_due_at=dt.date(2026, 5, 9)
        )
    with pytest.raises(PermissionDenied):
        services.issue_apology(actor=world.citizen, dossier=d, reason="x", new_due_at=dt.date(2026, 5, 12))
    apology = services.issue_apology(
        actor=world.leader,
        dossier=d,
        reason="Chờ kết quả xác minh",
        new_due_at=dt.date(2026, 5, 12),
        issuer_title="Giám đốc",
    )
    d.refresh_from_db()
    assert apology.old_due_at == at(2026, 5, 5, 17) and apology.new_due_at == at(2026, 5, 12, 17)
    assert d.due_at == at(2026, 5, 12, 17) and apology.issuer_name == world.leader.get_full_name()
    assert d.events.filter(kind="extended").exists()
    from egov.dossiers import selectors

    assert list(selectors.apologies(d)) == [apology]


def test_periodic_scan_flags_at_risk_and_overdue_with_set_based_updates(
    world, clock, django_assert_max_num_queries
):
    assert "dossiers.flag_deadlines" in schedules.registry or __import__("egov.dossiers.tasks")
    ok = processing_dossier(world, clock, at(2026, 4, 23, 9))  # due 05/05 17:00
    soon = processing_dossier(world, clock, at(2026, 4, 20, 9))  # due 28/04 17:00
    overdue = processing_dossier(world, clock, at(2026, 4, 13, 9))  # due 20/04 17:00
    paused = processing_dossier(world, clock, at(2026, 4, 13, 9))
    services.request_supplement(actor=world.officer, dossier=paused, reason="Thiếu")
    new = submit(world)  # no appointment yet

    now = at(2026, 4, 24, 10)  # at risk until the end of the next working day: Tue 28/04 17:00
    with django_assert_max_num_queries(8):
        counts = services.flag_deadlines(now)
    assert counts == {"overdue": 1, "at_risk": 1, "cleared": 0}
    flags = dict(Dossier.objects.values_list("pk", "deadline_flag"))
    assert flags[ok.pk] == DeadlineFlag.NONE
    assert flags[soon.pk] == DeadlineFlag.AT_RISK
    assert flags[overdue.pk] == DeadlineFlag.OVERDUE
    assert flags[paused.pk] == DeadlineFlag.NONE and flags[new.pk] == DeadlineFlag.NONE
    assert services.flag_deadlines(now) == {"overdue": 0, "at_risk": 0, "cleared": 0}  # idempotent

    # An extension clears the flag; finishing clears it too; the next scan agrees.
    clock.now = now
    services.issue_apology(
        actor=world.leader, dossier=overdue, reason="Chậm", new_due_at=dt.date(2026, 5, 15)
    )
    services.complete_step(actor=world.specialist, dossier=soon)
    services.complete_step(actor=world.leader, dossier=soon)
    assert Dossier.objects.get(pk=soon.pk).deadline_flag == DeadlineFlag.NONE
    assert services.flag_deadlines(at(2026, 5, 4, 9)) == {"overdue": 0, "at_risk": 1, "cleared": 0}
    assert Dossier.objects.get(pk=ok.pk).deadline_flag == DeadlineFlag.AT_RISK


def test_the_scan_is_a_periodic_job_on_the_periodic_queue(db):
    schedules.autodiscover()
    schedule = schedules.registry["dossiers.flag_deadlines"]
    assert schedule.task.queue_name == "periodic"
    assert schedule.interval == dt.timedelta(minutes=15)


def test_full_papers_helper_matches_the_procedure(world):
    assert len(full_papers(world.procedure)) == 2
