"""Kỳ báo cáo and their data cut-off windows (thời gian chốt số liệu, Nghị định 09/2019, Điều 12).

=============  ==========================================  =========  ======================
Frequency      Cut-off window                              Key        Label
=============  ==========================================  =========  ======================
monthly        15th of the previous month → 14th           2026-11    Tháng 11/2026
quarterly      15th of the month before the quarter →      2026-Q4    Quý IV/2026
               14th of the quarter's last month
half_year      15/12 of the previous year → 14/6           2026-H1    6 tháng đầu năm 2026
nine_months    15/12 of the previous year → 14/9           2026-9M    9 tháng năm 2026
yearly         15/12 of the previous year → 14/12          2026       Năm 2026
ad_hoc         set when the period is opened                —          —
=============  ==========================================  =========  ======================

The sending deadline is ``deadline_working_days`` working days (``egov.core.calendar``) after the cut-off day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from egov.core import calendar
from egov.reporting.models import Frequency

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
CUTOFF_DAY = 14  # the window ends on the 14th and the next one starts on the 15th


@dataclass(frozen=True)
class PeriodSpec:
    key: str
    label: str
    start: dt.date
    end: dt.date

    def deadline(self, working_days: int) -> dt.date:
        return calendar.add_working_days(self.end, working_days)


def _month_before(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _window(year: int, first_month: int, last_month: int) -> tuple[dt.date, dt.date]:
    py, pm = _month_before(year, first_month)
    return dt.date(py, pm, CUTOFF_DAY + 1), dt.date(year, last_month, CUTOFF_DAY)


def monthly(year: int, month: int) -> PeriodSpec:
    start, end = _window(year, month, month)
    return PeriodSpec(f"{year}-{month:02d}", f"Tháng {month:02d}/{year}", start, end)


def quarterly(year: int, quarter: int) -> PeriodSpec:
    start, end = _window(year, 3 * quarter - 2, 3 * quarter)
    return PeriodSpec(f"{year}-Q{quarter}", f"Quý {ROMAN[quarter]}/{year}", start, end)


def half_year(year: int) -> PeriodSpec:
    start, end = _window(year, 1, 6)
    return PeriodSpec(f"{year}-H1", f"6 tháng đầu năm {year}", start, end)


def nine_months(year: int) -> PeriodSpec:
    start, end = _window(year, 1, 9)
    return PeriodSpec(f"{year}-9M", f"9 tháng năm {year}", start, end)


def yearly(year: int) -> PeriodSpec:
    start, end = _window(year, 1, 12)
    return PeriodSpec(f"{year}", f"Năm {year}", start, end)


def _candidates(frequency: str, year: int) -> list[PeriodSpec]:
    if frequency == Frequency.MONTHLY:
        return [monthly(year, m) for m in range(1, 13)]
    if frequency == Frequency.QUARTERLY:
        return [quarterly(year, q) for q in range(1, 5)]
    if frequency == Frequency.HALF_YEAR:
        return [half_year(year)]
    if frequency == Frequency.NINE_MONTHS:
        return [nine_months(year)]
    if frequency == Frequency.YEARLY:
        return [yearly(year)]
    return []  # ad hoc periods are opened by hand


def periods_between(frequency: str, first: dt.date, last: dt.date) -> Iterator[PeriodSpec]:
    """Periods of ``frequency`` whose window ends on or after ``first`` and starts on or before ``last``,
    oldest first. Nothing for ad hoc regimes."""
    for year in range(first.year, last.year + 2):
        for spec in _candidates(frequency, year):
            if spec.end >= first and spec.start <= last:
                yield spec


def period_containing(frequency: str, day: dt.date) -> PeriodSpec | None:
    """The period whose cut-off window holds ``day`` (``None`` for ad hoc, and for the 6- and 9-month
    reports outside their window)."""
    return next(iter(periods_between(frequency, day, day)), None)
