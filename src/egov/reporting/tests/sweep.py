"""What agency B (``tree.department``) owns in the reporting app, for the API permission sweep
(``directory/tests/test_api_permissions.py``): a monthly regime received by the province, B's expected
report with one sent version, created once per test world and memoised on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from egov.reporting import services
from egov.reporting.models import ExpectedReport, Period, Regime, Submission


@dataclass
class BReporting:
    regime: Regime
    period: Period
    report: ExpectedReport
    submission: Submission


SWEEP_REGIME = {
    "code": "sweep-monthly",
    "name": "Báo cáo thử quyền truy cập",
    "frequency": "monthly",
    "effective_from": "2026-01-01",
    "deadline_working_days": 2,
    "indicators": [
        {"code": "total", "name": "Tổng số", "kind": "integer"},
        {"code": "note", "name": "Ghi chú", "kind": "text", "required": False},
    ],
}


def b_reporting(world: Any) -> BReporting:
    cached = getattr(world, "_reporting", None)
    if cached is not None:
        return cached
    tree = world.tree
    regime = services.import_regime(
        actor=None,
        data={
            **SWEEP_REGIME,
            "receiving_agency": {"id": tree.province.pk},
            "reporting_agencies": [{"id": tree.department.pk}, {"id": tree.commune.pk}],
        },
    )
    services.generate_periods(actor=None, regime=regime, until=dt.date(2026, 2, 20))
    period = Period.objects.get(regime=regime, key="2026-02")
    report = ExpectedReport.objects.get(period=period, agency=tree.department)
    submission = services.submit(actor=None, report=report, values={"total": 12, "note": "Sở Nội vụ"})
    data = BReporting(regime=regime, period=period, report=report, submission=submission)
    world._reporting = data
    return data


def b_report_kwargs(world: Any) -> dict[str, Any]:
    return {"pk": b_reporting(world).report.pk}


def b_period_kwargs(world: Any) -> dict[str, Any]:
    return {"pk": b_reporting(world).period.pk}


def b_regime_kwargs(world: Any) -> dict[str, Any]:
    return {"pk": b_reporting(world).regime.pk}


def b_submission_kwargs(world: Any) -> dict[str, Any]:
    return {"pk": b_reporting(world).submission.pk}


def b_report_ids(world: Any) -> set[int]:
    return {b_reporting(world).report.pk}


def b_report_queries(world: Any) -> list[dict[str, Any]]:
    data = b_reporting(world)
    return [
        {},
        {"agency": world.tree.department.pk},
        {"regime": data.regime.pk, "period": data.period.pk},
        {"status": "submitted"},
    ]


def regime_definition_body(world: Any) -> dict[str, Any]:
    """A valid new regime (a system administrator gets 201 with it)."""
    return {
        **SWEEP_REGIME,
        "code": "sweep-takeover",
        "receiving_agency": {"id": world.tree.department.pk},
        "reporting_agencies": [{"id": world.tree.department.pk}],
    }


def values_body(world: Any) -> dict[str, Any]:
    return {"values": {"total": 99}}


def ensure(world: Any) -> dict[str, Any]:
    """Route kwargs for the list routes: none, but B's reporting objects must exist before the sweep
    measures the database."""
    b_reporting(world)
    return {}


def period_open_body(world: Any) -> dict[str, Any]:
    return {
        "regime": b_reporting(world).regime.pk,
        "key": "sweep-adhoc",
        "label": "Đột xuất",
        "start": "2026-03-01",
        "end": "2026-03-10",
    }


def routes(route_spec: Any, read: Any, deny: Any, list_without: Any) -> dict[str, Any]:
    """The reporting routes' expectations for the sweep (its ``RouteSpec``, ``Read``, ``Deny`` and
    ``ListWithout`` passed in). Regimes and periods are reference data readable by all staff (changes by
    system administrators / the receiving agency); B's reports and versions, and the completeness, aggregates
    and export of a period received by B's province, are refused."""

    def regime_pk(w: Any) -> int:
        return b_reporting(w).regime.pk

    def period_pk(w: Any) -> int:
        return b_reporting(w).period.pk

    by_report = {"kwargs": b_report_kwargs}
    by_period = {"kwargs": b_period_kwargs}
    by_regime = {"kwargs": b_regime_kwargs}
    table = {
        "regime-list": route_spec(
            {
                "get": read(must_include=regime_pk),
                "head": read(),
                "post": deny(body=regime_definition_body),
            },
            kwargs=ensure,
        ),
        "regime-detail": route_spec(
            {
                "get": read(must_include=regime_pk),
                "head": read(),
                "patch": deny(body=lambda w: {"name": "X"}),
            },
            **by_regime,
        ),
        "regime-export": route_spec({"get": read(must_include=regime_pk), "head": read()}, **by_regime),
        "regime-completeness": route_spec({"get": deny(), "head": deny()}, **by_regime),
        "regime-generate-periods": route_spec({"post": deny(body=lambda w: {})}, **by_regime),
        "period-list": route_spec(
            {"get": read(must_include=period_pk), "head": read(), "post": deny(body=period_open_body)},
            kwargs=ensure,
        ),
        "period-detail": route_spec({"get": read(must_include=period_pk), "head": read()}, **by_period),
        "period-completeness": route_spec({"get": deny(), "head": deny()}, **by_period),
        "period-aggregate": route_spec({"get": deny(), "head": deny()}, **by_period),
        "period-export": route_spec({"get": deny(), "head": deny()}, **by_period),
        "period-close": route_spec({"post": deny(body=lambda w: {})}, **by_period),
        "report-list": route_spec(
            {
                "get": list_without(forbidden=b_report_ids, row_agency="agency", queries=b_report_queries),
                "head": list_without(forbidden=b_report_ids),
            },
            kwargs=ensure,
        ),
        "report-detail": route_spec({"get": deny(), "head": deny()}, **by_report),
        "report-draft": route_spec({"post": deny(body=values_body)}, **by_report),
        "report-submit": route_spec({"post": deny(body=values_body)}, **by_report),
        "report-accept": route_spec({"post": deny(body=lambda w: {})}, **by_report),
        "report-return": route_spec({"post": deny(body=lambda w: {"reason": "Sai số liệu"})}, **by_report),
        "submission-detail": route_spec({"get": deny(), "head": deny()}, kwargs=b_submission_kwargs),
    }
    return {f"reporting-api:{name}": spec for name, spec in table.items()}
