"""Aggregation up the agency tree, completeness and timeliness, the national export."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from egov.directory import services as directory_services
from egov.directory.models import Agency
from egov.reporting import selectors, services
from egov.reporting.models import ExpectedReport
from egov.reporting.tests.conftest import good_values


def _send(period, agency, values, *, accept=True, late=False):
    report = ExpectedReport.objects.get(period=period, agency=agency)
    now = None
    if late:
        now = timezone.make_aware(dt.datetime.combine(period.deadline + dt.timedelta(days=2), dt.time(10)))
    services.submit(actor=None, report=report, values=values, now=now)
    if accept:
        services.accept(actor=None, report=report)
    return report


def test_aggregate_sum_average_weighted_ratio_and_drilldown(period, tree) -> None:
    _send(
        period,
        tree.department,
        {**good_values(received=10, online=4, resolved=8, on_time=6), "satisfaction": 8},
    )
    _send(
        period,
        tree.commune,
        {**good_values(received=20, online=5, resolved=12, on_time=12), "satisfaction": 9},
    )
    _send(period, tree.office, good_values(received=1000, online=1000), accept=False)  # sent, not accepted

    with CaptureQueriesContext(connection) as queries:
        result = selectors.aggregate(period, tree.province)
    assert len(queries) <= 4  # indicators, values (one query whatever the number of agencies), children
    values = {i["code"]: i["value"] for i in result["indicators"]}
    assert values["received"] == 30 and values["online"] == 9 and values["direct"] == 21
    assert values["on_time_rate"] == 90  # (6 + 12) / (8 + 12), not the mean of 75 % and 100 %
    assert values["satisfaction"] == 8.5
    assert values["by_field"] == {"tu_phap": 6, "dat_dai": 14}
    assert values["notes"] is None
    assert result["contributors"] == 2
    children = {c["agency"]["id"]: c for c in result["children"]}
    assert set(children) == {tree.department.pk, tree.commune.pk}
    assert children[tree.commune.pk]["values"]["received"] == 20
    by_agency = {c["agency"]["id"]: c for c in result["by_agency"]}
    assert by_agency[tree.department.pk]["values"]["notes"] == "Ổn định"

    with_submitted = selectors.aggregate(period, tree.province, include_submitted=True)
    assert next(i["value"] for i in with_submitted["indicators"] if i["code"] == "received") == 1030
    only_department = selectors.aggregate(period, tree.department)
    assert next(i["value"] for i in only_department["indicators"] if i["code"] == "received") == 10


def test_subordinate_agencies_roll_up_through_their_parent(period, tree, regime) -> None:
    ward = directory_services.create_agency(
        actor=None, parent=tree.department, kind=Agency.Kind.OTHER, name="Trung tâm trực thuộc Sở"
    )
    services.import_regime(
        actor=None,
        data={
            "code": regime.code,
            "reporting_agencies": [{"id": a.pk} for a in (tree.department, tree.commune, ward)],
        },
    )
    services.generate_periods(actor=None, regime=regime)
    _send(period, tree.department, good_values(received=10, online=4))
    _send(period, ward, good_values(received=5, online=5))
    result = selectors.aggregate(period, tree.province)
    children = {c["agency"]["id"]: c for c in result["children"]}
    assert children[tree.department.pk]["values"]["received"] == 15
    assert children[tree.department.pk]["contributors"] == 2


def test_completeness_and_timeliness(period, tree) -> None:
    _send(period, tree.department, good_values())
    _send(period, tree.commune, good_values(), late=True)
    summary = selectors.completeness(period)
    assert (summary["expected"], summary["received"], summary["on_time"], summary["missing"]) == (3, 2, 1, 1)
    assert summary["completeness_percent"] == 66.7 and summary["timeliness_percent"] == 33.3
    rows = {r["agency"]["id"]: r for r in summary["by_agency"]}
    assert rows[tree.commune.pk]["on_time"] is False and rows[tree.office.pk]["status"] == "missing"
    late_view = selectors.completeness(period, today=period.deadline + dt.timedelta(days=1))
    assert {r["agency"]["id"] for r in late_view["by_agency"] if r["overdue"]} == {tree.office.pk}
    per_period = {row["period"]["id"]: row for row in selectors.completeness_by_period(period.regime)}
    assert per_period[period.pk]["received"] == 2 and per_period[period.pk]["expected"] == 3


def test_period_export_shape(period, tree) -> None:
    _send(period, tree.department, good_values())
    data = selectors.period_export(period)
    assert data["schema"] == "egov.reporting.period-export/1"
    assert data["regime"]["code"] == "dvc-thang" and data["period"]["key"] == period.key
    assert data["receiving_agency"]["code_qcvn102"] == "000.00.00.H99"
    assert data["completeness"] == {"expected": 3, "received": 1, "on_time": 1, "accepted": 1}
    assert data["aggregate"]["received"] == 10
    reports = {r["agency"]["id"]: r for r in data["reports"]}
    assert reports[tree.department.pk]["values"]["received"] == 10
    assert reports[tree.office.pk]["values"] is None and reports[tree.office.pk]["status"] == "missing"
