"""Ngày hẹn trả and the other deadlines of dossiers, in working days (:mod:`egov.core.calendar`).

Rules (documented in ``docs/dossiers.md``):

* **Reception day.** A dossier received on a working day before the desks close
  (``EGOV_DOSSIER_OFFICE_CLOSES``, 17:00) has that day as its reception day; one received at or after closing,
  or on a weekend or holiday, has the next working day.
* **Appointment.** The reception day itself is not counted. For ``n`` whole working days the appointment is
  the ``n``-th working day after the reception day, at closing time; ``0`` days means the same day at closing
  time. A half day (``n.5``) ends at noon (``EGOV_DOSSIER_NOON``) of the ``(n+1)``-th working day.
* **Pause.** While a supplement is requested the clock stops; when the papers arrive, the appointment (and
  the deadlines of the current and later steps) move forward by the working days between the request date
  and the arrival date (``working_days_between``: a request on Friday answered on Monday costs one day;
  one answered the same day costs none).
* **On time** (national index): finished (status 3, 7, 8, 9 or 10) no later than the appointment, and at most
  one supplement request.
* **Deadline flag** (cảnh báo hạn, :func:`flag`): one rule for the periodic scan that stores
  ``Dossier.deadline_flag`` and for the officer pages that show it live. While the clock runs (status 2, 4,
  6) a dossier is *overdue* once its appointment has passed and *at risk* when the appointment falls no later
  than the end of the next working day (:func:`at_risk_limit`). While the clock is paused (status 5) time
  stands still: a dossier already late when the supplement was requested stays overdue, any other carries
  no flag. Without a running or paused clock (new, finished) there is no flag.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from egov.core import calendar
from egov.dossiers.models import CLOCK_STATUSES, DeadlineFlag, Status


def _clock(value: str) -> dt.time:
    hours, minutes = value.split(":", 1)
    return dt.time(int(hours), int(minutes))


def closing_time() -> dt.time:
    return _clock(settings.EGOV_DOSSIER_OFFICE_CLOSES)


def noon() -> dt.time:
    return _clock(settings.EGOV_DOSSIER_NOON)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_current_timezone())


def reception_day(moment: dt.datetime) -> dt.date:
    local = timezone.localtime(moment)
    day = local.date()
    if not calendar.is_working_day(day):
        return calendar.add_working_days(day, 0)
    if local.time() >= closing_time():
        return calendar.add_working_days(day, 1)
    return day


def appointment(received_at: dt.datetime, days: Decimal | int | float) -> dt.datetime:
    """Ngày hẹn trả for a dossier received at ``received_at`` with ``days`` working days to process."""
    value = Decimal(str(days))
    if value < 0:
        raise ValueError("days must be zero or positive")
    whole = int(value)
    half = value - whole >= Decimal("0.5")
    base = reception_day(received_at)
    if half:
        return _at(calendar.add_working_days(base, whole + 1), noon())
    return _at(calendar.add_working_days(base, whole), closing_time())


def shift(moment: dt.datetime, working_days: int) -> dt.datetime:
    """``moment`` moved ``working_days`` working days later, same time of day."""
    if working_days <= 0:
        return moment
    local = timezone.localtime(moment)
    return _at(calendar.add_working_days(local.date(), working_days), local.time())


def paused_working_days(paused_at: dt.datetime, resumed_at: dt.datetime) -> int:
    return max(
        0,
        calendar.working_days_between(
            timezone.localtime(paused_at).date(), timezone.localtime(resumed_at).date()
        ),
    )


def on_time(finished_at: dt.datetime, due_at: dt.datetime | None, supplement_count: int) -> bool:
    if supplement_count > 1:
        return False
    return due_at is None or finished_at <= due_at


def at_risk_limit(now: dt.datetime) -> dt.datetime:
    """Dossiers due no later than this moment are "at risk": the end of the next working day."""
    today = timezone.localtime(now).date()
    return _at(calendar.add_working_days(today, 1), closing_time())


class Clock(enum.Enum):
    """State of the legal clock of a dossier."""

    RUNNING = "running"  # được tiếp nhận, đang xử lý, chờ nghĩa vụ tài chính
    PAUSED = "paused"  # chờ bổ sung giấy tờ
    NONE = "none"  # chưa tiếp nhận, hoặc đã kết thúc


def clock_state(status: int) -> Clock:
    if status in CLOCK_STATUSES:
        return Clock.RUNNING
    if status == Status.SUPPLEMENT:
        return Clock.PAUSED
    return Clock.NONE


def flag(
    due_at: dt.datetime | None,
    *,
    clock: Clock,
    now: dt.datetime,
    limit: dt.datetime | None = None,
    paused_at: dt.datetime | None = None,
) -> DeadlineFlag:
    """The deadline flag (cảnh báo hạn) of a dossier: the one rule of the module docstring.

    ``limit`` is :func:`at_risk_limit` of ``now`` (the only use of the calendar); pass it when flagging many
    dossiers at once. :func:`flag_condition` is the same rule as a database filter, for the set-based scan
    and the queue's filter; a test checks that both agree."""
    if due_at is None:
        return DeadlineFlag.NONE
    if clock is Clock.RUNNING:
        if due_at < now:
            return DeadlineFlag.OVERDUE
        if due_at <= (limit if limit is not None else at_risk_limit(now)):
            return DeadlineFlag.AT_RISK
        return DeadlineFlag.NONE
    if clock is Clock.PAUSED and paused_at is not None and due_at < paused_at:
        return DeadlineFlag.OVERDUE
    return DeadlineFlag.NONE


def dossier_flag(dossier: Any, now: dt.datetime, limit: dt.datetime | None = None) -> DeadlineFlag:
    """:func:`flag` of a dossier (anything with ``due_at``, ``status`` and ``paused_at``)."""
    return flag(
        dossier.due_at,
        clock=clock_state(dossier.status),
        now=now,
        limit=limit,
        paused_at=dossier.paused_at,
    )


def flag_condition(value: int, now: dt.datetime, limit: dt.datetime | None = None) -> Q:
    """Filter on ``Dossier`` selecting the dossiers whose :func:`flag` at ``now`` is ``value``."""
    limit = limit if limit is not None else at_risk_limit(now)
    running = Q(status__in=CLOCK_STATUSES)
    overdue = (running & Q(due_at__lt=now)) | Q(
        status=Status.SUPPLEMENT, paused_at__isnull=False, due_at__lt=F("paused_at")
    )
    at_risk = running & Q(due_at__gte=now, due_at__lte=limit)
    if value == DeadlineFlag.OVERDUE:
        return overdue
    if value == DeadlineFlag.AT_RISK:
        return at_risk
    if value == DeadlineFlag.NONE:
        return ~overdue & ~at_risk
    raise ValueError(f"unknown deadline flag {value!r}")


#: CSS/template names of the flags on the officer pages (red, amber, nothing).
FLAG_CLASSES = {DeadlineFlag.OVERDUE: "late", DeadlineFlag.AT_RISK: "due_soon", DeadlineFlag.NONE: ""}


def format_day(moment: dt.datetime | dt.date | None) -> str:
    """dd/mm/yyyy (local date of a moment)."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    return moment.strftime("%d/%m/%Y")


def format_date(moment: dt.datetime | dt.date | None) -> str:
    """dd/mm/yyyy for users (and ``HH:MM dd/mm/yyyy`` for a moment)."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")
    return moment.strftime("%d/%m/%Y")
