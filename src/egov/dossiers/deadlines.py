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
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from egov.core import calendar


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
