"""Cut-off windows of Nghị định 09/2019, Điều 12, and period generation."""

from __future__ import annotations

import datetime as dt

from egov.core import calendar
from egov.reporting import periods
from egov.reporting.models import ExpectedReport, Period

D = dt.date


def test_cutoff_windows_of_article_12() -> None:
    assert periods.monthly(2026, 11) == periods.PeriodSpec(
        "2026-11", "Tháng 11/2026", D(2026, 10, 15), D(2026, 11, 14)
    )
    assert periods.monthly(2026, 1).start == D(2025, 12, 15)
    q4 = periods.quarterly(2026, 4)
    assert (q4.key, q4.label, q4.start, q4.end) == ("2026-Q4", "Quý IV/2026", D(2026, 9, 15), D(2026, 12, 14))
    assert periods.quarterly(2026, 1).start == D(2025, 12, 15)
    assert (periods.half_year(2026).start, periods.half_year(2026).end) == (D(2025, 12, 15), D(2026, 6, 14))
    assert (periods.nine_months(2026).start, periods.nine_months(2026).end) == (
        D(2025, 12, 15),
        D(2026, 9, 14),
    )
    assert (periods.yearly(2026).start, periods.yearly(2026).end) == (D(2025, 12, 15), D(2026, 12, 14))
    assert periods.period_containing("monthly", D(2026, 11, 15)).key == "2026-12"
    assert periods.period_containing("monthly", D(2026, 11, 14)).key == "2026-11"
    assert periods.period_containing("ad_hoc", D(2026, 11, 14)) is None


def test_generation_is_idempotent_and_deadlines_use_working_days(regime, tree) -> None:
    from egov.reporting import services

    created = services.generate_periods(actor=None, regime=regime, until=D(2026, 3, 1))
    assert [p.key for p in created] == ["2026-01", "2026-02", "2026-03"]
    assert services.generate_periods(actor=None, regime=regime, until=D(2026, 3, 1)) == []
    jan = Period.objects.get(regime=regime, key="2026-01")
    assert jan.deadline == calendar.add_working_days(D(2026, 1, 14), 2)
    # One expected report per reporting agency and period.
    assert ExpectedReport.objects.filter(period=jan).count() == 3
    assert set(ExpectedReport.objects.filter(period=jan).values_list("status", flat=True)) == {"missing"}
