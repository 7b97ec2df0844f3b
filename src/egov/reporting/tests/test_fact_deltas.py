"""Platform facts as append-only deltas: writers only insert ``FactDelta`` rows, compaction moves them into
the daily and monthly facts, readers see facts + pending deltas, and a recomputation never counts a delta
twice."""

from __future__ import annotations

import datetime as dt
import io
import random
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from egov.directory.demo_data import load_demo
from egov.documents.tests.conftest import doctypes, qd, registers  # noqa: F401  (fixtures)
from egov.documents.tests.test_outgoing import certificates, draft, office_staff  # noqa: F401
from egov.reporting import dashboards, facts, services
from egov.reporting.models import DailyFact, FactDelta, MonthlyFact

Key = tuple[int, dt.date, str]


def live_daily() -> dict[Key, tuple[int, int]]:
    """Facts + pending deltas per (agency, day, metric), zeros left out (without compacting)."""
    acc: dict[Key, list[int]] = {}
    for f in DailyFact.objects.all():
        acc.setdefault((f.agency_id, f.day, f.metric), [0, 0])
        acc[(f.agency_id, f.day, f.metric)][0] += f.numerator
        acc[(f.agency_id, f.day, f.metric)][1] += f.denominator
    for d in FactDelta.objects.all():
        acc.setdefault((d.agency_id, d.day, d.metric), [0, 0])
        acc[(d.agency_id, d.day, d.metric)][0] += d.numerator
        acc[(d.agency_id, d.day, d.metric)][1] += d.denominator
    return {k: (v[0], v[1]) for k, v in acc.items() if v[0] or v[1]}


def stored(model: Any, column: str) -> dict[Key, tuple[int, int]]:
    return {
        (f.agency_id, getattr(f, column), f.metric): (f.numerator, f.denominator)
        for f in model.objects.all()
        if f.numerator or f.denominator
    }


def rebuilt(years: list[int]) -> tuple[dict[Key, tuple[int, int]], dict[Key, tuple[int, int]]]:
    for year in years:
        facts.recompute(year)
    assert not FactDelta.objects.filter(day__year__in=years).exists()
    return stored(DailyFact, "day"), stored(MonthlyFact, "month")


def test_writers_append_deltas_and_readers_see_them_before_compaction(tree) -> None:
    day = dt.date(2026, 3, 5)
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 1, 1)
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 0, 1)
    facts.apply(
        [
            (tree.commune.pk, day, "dossiers.received", 1, 0),
            (tree.commune.pk, day, "dossiers.received", -1, 0),
        ]
    )
    assert FactDelta.objects.count() == 2  # the pair that cancels out is not written
    assert not DailyFact.objects.exists() and not MonthlyFact.objects.exists()  # writers never touch facts
    span = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    before = dashboards.totals(tree.province, *span)
    assert before["dossiers.on_time"] == (1, 2)
    trend = dashboards._trend(tree.province, dt.date(2026, 3, 31))
    assert trend[-1]["on_time"] == 50.0
    assert facts.compact() == 2
    assert facts.compact() == 0  # nothing left: idempotent
    assert not FactDelta.objects.exists()
    assert dashboards.totals(tree.province, *span) == before
    assert stored(MonthlyFact, "month") == {
        (tree.commune.pk, dt.date(2026, 3, 1), "dossiers.on_time"): (1, 2)
    }
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 1, 1)  # facts and a pending delta together
    assert dashboards.totals(tree.province, *span)["dossiers.on_time"] == (2, 3)
    assert dashboards.totals(tree.province, day, day)["dossiers.on_time"] == (2, 3)  # daily edge + delta
    assert facts.compact() == 1
    assert stored(DailyFact, "day")[(tree.commune.pk, day, "dossiers.on_time")] == (2, 3)


def test_a_save_that_changes_no_watched_column_costs_no_query_for_the_facts(demo_world) -> None:
    from egov.dossiers.models import Dossier

    dossier = Dossier.objects.filter(received_at__isnull=False).first()
    deltas = FactDelta.objects.count()
    with CaptureQueriesContext(connection) as queries:
        dossier.save(update_fields=["updated_at"])
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(s.lstrip().upper().startswith("SELECT") for s in sql), sql  # no re-read of the old row
    assert not any("reporting_factdelta" in s for s in sql), sql
    assert FactDelta.objects.count() == deltas
    # A watched change: one delta insert, still no SELECT of the old row.
    dossier.is_on_time = not dossier.is_on_time if dossier.is_on_time is not None else None
    dossier.channel = 2 if dossier.channel != 2 else 1
    with CaptureQueriesContext(connection) as queries:
        dossier.save()
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum("INSERT INTO reporting_factdelta" in s for s in sql) == 1, sql
    assert not any('FROM "dossiers_dossier"' in s and s.lstrip().upper().startswith("SELECT") for s in sql)


def test_deltas_present_before_recompute_are_not_counted_twice(demo_world) -> None:
    """The demo's changes are all pending deltas when the recomputation starts: it must absorb them."""
    assert FactDelta.objects.exists()
    live = live_daily()
    years = sorted({d.year for _a, d, _m in live})
    for year in years:
        counts = services.recompute_facts(actor=None, year=year)
        assert counts
    assert not FactDelta.objects.exists()
    assert stored(DailyFact, "day") == live
    facts.compact()
    assert stored(DailyFact, "day") == live


def test_facts_equal_a_recompute_after_random_changes(demo_world) -> None:
    from egov.dossiers.models import Dossier, Rating

    rng = random.Random(6)
    facts.compact()  # part of the history compacted, part pending: both paths mixed
    dossiers = list(Dossier.objects.filter(received_at__isnull=False).order_by("pk"))
    for d in rng.sample(dossiers, min(12, len(dossiers))):
        d = Dossier.objects.get(pk=d.pk)
        choice = rng.randrange(4)
        if choice == 0:
            d.channel = rng.choice([1, 2, 3])
        elif choice == 1:
            d.received_at = d.received_at - dt.timedelta(days=rng.randint(1, 40))
        elif choice == 2 and d.finished_at is not None:
            d.is_on_time = not d.is_on_time
            d.result_signed = not d.result_signed
        else:
            d.finished_at = (d.received_at or timezone.now()) + dt.timedelta(days=rng.randint(1, 9))
            d.is_on_time = rng.random() < 0.5
        d.save()
        if rng.random() < 0.3:
            facts.compact()
    rating = Rating.objects.first()
    if rating is not None:
        rating.score = 1 if rating.score > 1 else 5
        rating.save()
    live = live_daily()
    facts.compact()
    assert stored(DailyFact, "day") == live
    monthly = stored(MonthlyFact, "month")
    years = sorted({d.year for _a, d, _m in live} | {m.year for _a, m, _m in monthly})
    daily_again, monthly_again = rebuilt(years)
    assert daily_again == live
    assert monthly_again == monthly


def test_revoked_outgoing_document_no_longer_counts_as_issued(
    registers,  # noqa: F811
    office_staff,  # noqa: F811
    clerk,
    leader,
    specialist,
    qd,  # noqa: F811
    certificates,  # noqa: F811
) -> None:
    from egov.documents import outgoing

    tree = registers
    doc = draft(specialist, tree, qd, drafting_unit=None, recipients=[tree.office])
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    outgoing.sign(actor=leader, document=doc)
    doc = outgoing.issue(actor=clerk, document=doc)
    day = timezone.localdate(doc.issued_at)
    t = dashboards.totals(tree.department, day, day)
    assert t["documents.outgoing"] == (1, 0) and t["documents.outgoing_signed"] == (1, 1)
    outgoing.revoke(actor=leader, document=doc, reason="Ban hành sai thẩm quyền")
    t = dashboards.totals(tree.department, day, day)
    assert t.get("documents.outgoing", (0, 0)) == (0, 0)
    assert t.get("documents.outgoing_signed", (0, 0)) == (0, 0)
    facts.compact()
    live = stored(DailyFact, "day")
    daily_again, _monthly = rebuilt([day.year])
    assert daily_again == live  # the recomputation leaves revoked documents out too


@pytest.fixture
def demo_world(db: Any) -> Any:
    from egov.dossiers import demo as dossiers_demo
    from egov.procedures import demo as procedures_demo

    province = load_demo().province
    procedures_demo.load(province=province)
    result = dossiers_demo.load(io.StringIO(), province=province, scale=0.06)
    assert result.created >= 15, result.errors
    return province


@pytest.mark.postgresql  # the concurrency of the deltas with the recomputation is PostgreSQL's
@pytest.mark.django_db(transaction=True)
def test_recompute_while_writers_commit_deltas_postgresql(tree) -> None:
    """Concurrent writers (threads, own connections) append facts while compactions and a REPEATABLE READ
    recomputation run: at the end, facts + deltas equal a fresh recomputation (nothing lost or doubled)."""
    assert connection.vendor == "postgresql"
    from egov.dossiers.models import Apology, Dossier

    world = load_demo()
    from egov.dossiers import demo as dossiers_demo
    from egov.procedures import demo as procedures_demo

    procedures_demo.load(province=world.province)
    dossiers_demo.load(io.StringIO(), province=world.province, scale=0.03)
    dossier = Dossier.objects.filter(received_at__isnull=False).select_related("receiving_agency").first()
    assert dossier is not None
    user = dossier.created_by
    year = timezone.localdate().year
    stop = threading.Event()
    errors: list[BaseException] = []
    written = [0]

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                with transaction.atomic():
                    Apology.objects.create(
                        dossier=dossier,
                        reason="Chậm do thiếu hồ sơ",
                        old_due_at=timezone.now(),
                        new_due_at=timezone.now(),
                        issuing_agency=dossier.receiving_agency,
                        issued_by=user,
                        issuer_name="Nguyễn Văn A",
                        issued_at=timezone.now() - dt.timedelta(days=rng.randint(0, 3)),
                    )
                written[0] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def compactor() -> None:
        try:
            while not stop.is_set():
                facts.compact()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=compactor))
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            services.recompute_facts(actor=None, year=year)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert written[0] > 0
    facts.compact()
    live = stored(DailyFact, "day")
    apologies = sum(v[0] for k, v in live.items() if k[2] == "dossiers.apology" and k[1].year == year)
    assert apologies == Apology.objects.filter(issued_at__year=year).count()
    daily_again, _monthly = rebuilt([year])
    assert daily_again == live
