"""Working-day calendar (ngày làm việc) for legal deadlines.

A day is a working day when it is Monday–Friday and not a Vietnamese public holiday (Tết and the others,
from the ``holidays`` package, which also knows the Saturdays the government turns into make-up working
days), unless an administrator recorded a :class:`~egov.core.models.CalendarOverride` for it: the
government moves holidays by decision each year, and the override always wins.

Overrides are read from the database on each call (one indexed query for the span involved), so every web
and worker process sees an administrator's change at once.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

MAX_SPAN_DAYS = 3660  # refuse absurd spans (10 years) instead of looping for ever


@lru_cache(maxsize=64)
def _national(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from egov.core.models import CalendarOverride

    rows = CalendarOverride.objects.filter(date__gte=start, date__lte=end).values_list(
        "date", "is_working_day"
    )
    return dict(rows)


def _is_working(day: dt.date, overrides: dict[dt.date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    return bool(_national(day.year).is_working_day(day))


def holiday_name(day: dt.date) -> str | None:
    """Vietnamese name of the public holiday on ``day`` (``Tết Nguyên Đán`` …), or None."""
    from egov.core.models import CalendarOverride

    override = CalendarOverride.objects.filter(date=day).first()
    if override is not None:
        return None if override.is_working_day else override.reason
    name = _national(day.year).get(day)
    return str(name) if name else None


def is_working_day(day: dt.date) -> bool:
    return _is_working(day, _overrides(day, day))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    ``add_working_days(friday, 1)`` is the next Monday (if it is a working day); ``days=0`` returns
    ``start`` moved forward to a working day when it is not one.
    """
    if days < 0:
        raise ValueError("days must be zero or positive")
    window_end = start + dt.timedelta(days=days * 2 + 60)
    overrides = _overrides(start, window_end)
    current = start
    counted = 0
    for _ in range(MAX_SPAN_DAYS):
        if current > window_end:  # rare: very long spans; read the overrides of the next stretch
            window_end = current + dt.timedelta(days=366)
            overrides.update(_overrides(current, window_end))
        if days == 0 and _is_working(current, overrides):
            return current
        current += dt.timedelta(days=1)
        if days > 0 and _is_working(current, overrides):
            counted += 1
            if counted == days:
                return current
    raise ValueError("span too long")


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in the interval (start, end]; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start)
    if (end - start).days > MAX_SPAN_DAYS:
        raise ValueError("span too long")
    overrides = _overrides(start, end)
    return sum(
        1 for n in range(1, (end - start).days + 1) if _is_working(start + dt.timedelta(days=n), overrides)
    )
