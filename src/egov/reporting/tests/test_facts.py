"""Platform facts: the incremental path (receivers, deltas, compaction) and the set-based recompute agree;
computed indicators prefill a report; the dashboard sums the facts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from egov.directory.demo_data import load_demo
from egov.reporting import dashboards, facts
from egov.reporting.models import DailyFact, FactDelta, MonthlyFact


def snapshot() -> dict[tuple[int, dt.date, str], tuple[int, int]]:
    facts.compact()
    return {
        (f.agency_id, f.day, f.metric): (f.numerator, f.denominator)
        for f in DailyFact.objects.all()
        if f.numerator or f.denominator
    }


def monthly() -> dict[tuple[int, dt.date, str], tuple[int, int]]:
    facts.compact()
    return {
        (f.agency_id, f.month, f.metric): (f.numerator, f.denominator)
        for f in MonthlyFact.objects.all()
        if f.numerator or f.denominator
    }


def test_bump_appends_deltas_that_compaction_adds_to_day_and_month(tree):
    day = dt.date(2026, 3, 5)
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 1, 1)
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 0, 1)
    facts.bump(tree.commune.pk, dt.date(2026, 3, 20), "dossiers.on_time", 1, 1)
    assert snapshot()[(tree.commune.pk, day, "dossiers.on_time")] == (1, 2)
    assert monthly()[(tree.commune.pk, dt.date(2026, 3, 1), "dossiers.on_time")] == (2, 3)
    t = dashboards.totals(tree.province, dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert t["dossiers.on_time"] == (1, 2)
    t = dashboards.totals(tree.province, dt.date(2026, 2, 15), dt.date(2026, 4, 14))  # month + edge days
    assert t["dossiers.on_time"] == (2, 3)
    assert dashboards.metric_value(t, "dossiers.on_time") == pytest.approx(66.67)


def test_bump_rolls_back_with_the_change(tree):
    with pytest.raises(RuntimeError), transaction.atomic():
        facts.bump(tree.commune.pk, dt.date(2026, 3, 5), "dossiers.received")
        raise RuntimeError
    assert not FactDelta.objects.exists()
    assert facts.compact() == 0
    assert not DailyFact.objects.exists() and not MonthlyFact.objects.exists()


def test_source_codes_resolve():
    assert facts.resolve_source("documents.incoming_count")[0].code == "documents.incoming"  # type: ignore[index]
    assert facts.resolve_source("dossiers.on_time.denominator")[1] == "denominator"  # type: ignore[index]
    assert facts.resolve_source("nothing.here") is None


def test_span_parsing():
    assert dashboards.parse_span("2026-Q2").end == dt.date(2026, 6, 30)
    assert dashboards.parse_span("2026-02").end == dt.date(2026, 2, 28)
    assert dashboards.parse_span("2026").start == dt.date(2026, 1, 1)
    with pytest.raises(Exception, match="Kỳ không hợp lệ"):
        dashboards.parse_span("2026-13")


@pytest.fixture
def demo_world(db: Any) -> Any:
    from egov.dossiers import demo as dossiers_demo
    from egov.procedures import demo as procedures_demo

    province = load_demo().province
    procedures_demo.load(province=province)
    result = dossiers_demo.load(io.StringIO(), province=province, scale=0.06)
    assert result.created >= 15, result.errors
    return province


def test_incremental_facts_equal_recompute_after_the_demo_dossiers(demo_world):
    from egov.dossiers.models import Dossier

    incremental = snapshot()
    assert any(m == "dossiers.received" for _a, _d, m in incremental)
    assert any(m == "dossiers.on_time" for _a, _d, m in incremental)
    months_before = monthly()
    years = sorted({d.year for _a, d, _m in incremental})
    for year in years:
        facts.recompute(year)
    assert snapshot() == incremental
    assert monthly() == months_before
    # Idempotent.
    facts.recompute(years[-1])
    assert snapshot() == incremental
    received = Dossier.objects.filter(received_at__isnull=False).count()
    assert sum(v[0] for k, v in incremental.items() if k[2] == "dossiers.received") == received


def test_recompute_repairs_drift(demo_world):
    from egov.dossiers.models import Dossier

    good = snapshot()
    DailyFact.objects.filter(metric="dossiers.received").delete()
    Dossier.objects.filter(pk=Dossier.objects.filter(received_at__isnull=False).first().pk).update(
        channel=2
    )  # a change the receivers do not see
    for year in sorted({d.year for _a, d, _m in good}):
        facts.recompute(year)
    repaired = snapshot()
    assert sum(v[0] for k, v in repaired.items() if k[2] == "dossiers.received") == sum(
        v[0] for k, v in good.items() if k[2] == "dossiers.received"
    )


def test_delete_removes_the_contribution(demo_world):
    from egov.dossiers.models import Rating

    before = sum(v[1] for k, v in snapshot().items() if k[2] == "dossiers.satisfaction")
    rating = Rating.objects.first()
    if rating is None:
        pytest.skip("the small demo has no rating")
    rating.delete()
    after = sum(v[1] for k, v in snapshot().items() if k[2] == "dossiers.satisfaction")
    assert after == before - 1


def test_dashboard_and_transparency_read_the_facts(demo_world):
    today = timezone.localdate()
    span = dashboards.parse_span(str(today.year))
    board = dashboards.dashboard(None, demo_world, span)
    cards = {c["code"]: c for c in board.cards}
    assert cards["dossiers.received"]["value"] > 0
    assert board.index["score"] is not None
    assert board.children and board.trend and len(board.trend) == 12
    page = dashboards.transparency(span)
    assert page["received"] == cards["dossiers.received"]["value"]
    assert all("applicant" not in row for row in page["rows"])


def test_recompute_command_is_audited_and_checks_input(tree):
    from django.core.management import CommandError, call_command

    from egov.audit.models import AuditEntry

    out = io.StringIO()
    call_command("reporting_recompute", "--year", "2026", stdout=out)
    assert "recomputed 2026" in out.getvalue()
    assert AuditEntry.objects.filter(action="reporting.facts.recompute").count() == 1
    with pytest.raises(CommandError):
        call_command("reporting_recompute", "--year", "1900", stdout=out)
