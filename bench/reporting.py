"""Benchmark of the reporting facts (issue #6) on PostgreSQL.

Run: ``.venv/bin/python bench/reporting.py [--dossiers 5000000] [--documents 2000000] [--year 2026]
[--database-url postgres://user@host:port/db] [--keep | --reuse DB]``. Without ``--database-url`` a
throwaway PostgreSQL cluster is started in a temporary directory (``documents_pgcluster.py``).

Set-up (not timed): a fresh database, ``migrate``, a province with 20 departments and 100 communes (through
the directory services), 20 procedures of the three online levels, each received by every agency; then the
transaction rows generated server-side (``INSERT … SELECT generate_series``: dashboards read only the facts,
so the rows only need realistic columns): N dossiers received during the year (30 % online, 90 % of the
finished ones on time, 70 % with a signed electronic result, 5 % rated) and M registered incoming documents
(40 % through the exchange axis, 98 % completed, 85 % of those on time; the 2 % still open are
the late items the dashboard lists). Columns the facts do not read get
constant values. VACUUM ANALYZE.

Timed:

* full recomputation of a year (``services.recompute_facts``: one ``INSERT … SELECT … GROUP BY`` per metric
  and the monthly roll-up, one transaction). Target: < 10 minutes at 5M dossiers + 2M documents;
* province dashboard (``dashboards.dashboard`` with the late-items lists, as the page renders it) for the
  year, each quarter and each month; and the whole page through Django's request stack (test client).
  Target: < 300 ms;
* incremental update: ``facts.bump`` (one delta INSERT) inside a transaction with its commit, and the added
  cost of the receivers on a real ``Dossier.save()`` that finishes a dossier (save with receivers − save
  without), p50/p95. Target: < 5 ms;
* compaction (``facts.compact``): time to move 1,000, 10,000 and 100,000 pending deltas into the daily and
  monthly facts (one statement), and deltas per second.

``--reuse`` runs ``migrate`` first (a kept database may predate the current schema).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from typing import Any

from documents_pgcluster import TUNED, bench_database, percentile, setup_django

LOAD_SETTINGS = {**TUNED, "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DEPARTMENTS = 20
COMMUNES = 100
PROCEDURES = 20


def not_null_defaults(cursor: Any, table: str, given: dict[str, str]) -> tuple[list[str], list[str]]:
    """Columns and SQL expressions for an INSERT: ``given`` ones, then a typed constant for every other
    NOT NULL column (Django sets no database defaults)."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
        [table],
    )
    cols, exprs = list(given), list(given.values())
    for name, kind in cursor.fetchall():
        if name in given or name == "id":
            continue
        if kind in ("integer", "smallint", "bigint", "numeric", "double precision"):
            expr = "0"
        elif kind == "boolean":
            expr = "false"
        elif kind.startswith("timestamp"):
            expr = "now()"
        elif kind == "date":
            expr = "current_date"
        elif kind in ("jsonb", "json"):
            expr = "'{}'"
        else:
            expr = "''"
        cols.append(name)
        exprs.append(expr)
    return cols, exprs


def setup(year: int) -> dict[str, Any]:
    from egov.core import context
    from egov.directory import services as directory
    from egov.directory.models import Agency, Role
    from egov.procedures.models import Field, Procedure, ProcedureAgency

    kinds = Agency.Kind
    with context.bind(source="cli"):
        province = directory.create_agency(
            actor=None, kind=kinds.PROVINCE, name="Ủy ban nhân dân Thành phố Cần Thơ", short_name="UBND"
        )
        agencies = [
            directory.create_agency(
                actor=None,
                parent=province,
                kind=kinds.DEPARTMENT,
                name=f"Sở Thử Nghiệm {i}",
                short_name=f"S{i}",
            )
            for i in range(1, DEPARTMENTS + 1)
        ]
        agencies += [
            directory.create_agency(
                actor=None,
                parent=province,
                kind=kinds.COMMUNE,
                name=f"Ủy ban nhân dân Xã Thử {i}",
                short_name="UBND",
            )
            for i in range(1, COMMUNES + 1)
        ]
        leader = directory.create_staff_user(actor=None, username="chutich", full_name="Chủ tịch")
        directory.assign_position(actor=None, user=leader, agency=province, role=Role.LEADER)
    field, _ = Field.objects.get_or_create(code="HT", defaults={"name": "Hộ tịch"})
    levels = [Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL, Procedure.OnlineLevel.NONE]
    procedures = []
    for i in range(PROCEDURES):
        p = Procedure.objects.create(
            code=f"1.{i:06d}",
            name=f"Thủ tục {i}",
            field=field,
            levels=["commune"],
            online_level=levels[i % 3],
        )
        ProcedureAgency.objects.bulk_create(
            [ProcedureAgency(procedure=p, agency=a, role=ProcedureAgency.Part.RECEIVING) for a in agencies]
        )
        procedures.append(p)
    return {"province": province, "agencies": agencies, "procedures": procedures, "leader": leader}


def generate(world: dict[str, Any], dossiers: int, documents: int, year: int) -> None:
    from django.db import connection

    from egov.documents.models import DocumentType, Register

    ids = [a.pk for a in world["agencies"]]
    procs = [p.pk for p in world["procedures"]]
    user = world["leader"].pk
    start = f"{year}-01-01 00:00:00+07"
    agency_arr = "ARRAY[" + ",".join(map(str, ids)) + "]"
    proc_arr = "ARRAY[" + ",".join(map(str, procs)) + "]"
    with connection.cursor() as cur:
        # Dossiers: received during the year; ~85 % finished a few days later.
        given = {
            "code": "'B-' || g",
            "procedure_id": f"({proc_arr})[1 + g % {len(procs)}]",
            "receiving_agency_id": f"({agency_arr})[1 + (g::bigint * 7919) % {len(ids)}]",
            "channel": "CASE WHEN g % 10 < 3 THEN 2 WHEN g % 10 < 9 THEN 1 ELSE 3 END",
            "status": "CASE WHEN g % 20 < 3 THEN 4 ELSE 10 END",
            "created_by_id": str(user),
            "submitted_at": "r",
            "received_at": "r",
            "finished_at": "CASE WHEN g % 20 < 3 THEN NULL ELSE r + interval '3 days' END",
            "is_on_time": "CASE WHEN g % 20 < 3 THEN NULL ELSE (g % 10 <> 0) END",
            "result_signed": "(g % 10 < 7)",
            "applicant_name": "'Nguyễn Văn An'",
            "created_at": "r",
            "updated_at": "r",
        }
        cols, exprs = not_null_defaults(cur, "dossiers_dossier", given)
        t0 = time.monotonic()
        cur.execute(
            f"INSERT INTO dossiers_dossier ({', '.join(cols)}) "
            f"SELECT {', '.join(exprs)} FROM (SELECT g, timestamptz '{start}' + "
            f"(random() * interval '364 days') AS r FROM generate_series(1, {dossiers}) g) s"
        )
        print(f"  {dossiers:,} dossiers inserted in {time.monotonic() - t0:.0f} s", flush=True)
        given_r = {
            "dossier_id": "d.id",
            "score": "1 + d.id % 5",
            "comment": "''",
            "rated_by_id": str(user),
            "rated_at": "d.finished_at + interval '1 day'",
        }
        cols, exprs = not_null_defaults(cur, "dossiers_rating", given_r)
        cur.execute(
            f"INSERT INTO dossiers_rating ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            "FROM dossiers_dossier d WHERE d.finished_at IS NOT NULL AND d.id % 20 = 0"
        )
        # Incoming documents, one register per agency.
        doc_type = DocumentType.objects.first() or DocumentType.objects.create(
            name="Công văn", abbreviation="CV"
        )
        registers = [
            Register.objects.create(agency_id=a, direction="in", name="Sổ văn bản đến", is_default=True).pk
            for a in ids
        ]
        reg_arr = "ARRAY[" + ",".join(map(str, registers)) + "]"
        given_d = {
            "agency_id": f"({agency_arr})[1 + g % {len(ids)}]",
            "register_id": f"({reg_arr})[1 + g % {len(ids)}]",
            "document_type_id": str(doc_type.pk),
            "subject": "'Về việc thử nghiệm'",
            "created_by_id": str(user),
            "arrival_date": "r",
            "arrival_year": str(year),
            "arrival_number": "g",
            "source": "CASE WHEN g % 5 < 2 THEN 'exchange' ELSE 'paper' END",
            "status": "CASE WHEN g % 50 = 0 THEN 'in_progress' ELSE 'completed' END",
            "due_date": "(r + interval '10 days')::date",
            "completed_at": "CASE WHEN g % 50 <> 0 THEN r + (CASE WHEN g % 20 < 3 THEN interval '15 days' "
            "ELSE interval '5 days' END) END",
            "issuing_agency_name": "'Ủy ban nhân dân'",
            "created_at": "r",
            "updated_at": "r",
        }
        cols, exprs = not_null_defaults(cur, "documents_incomingdocument", given_d)
        t0 = time.monotonic()
        cur.execute(
            f"INSERT INTO documents_incomingdocument ({', '.join(cols)}) "
            f"SELECT {', '.join(exprs)} FROM (SELECT g, timestamptz '{start}' + "
            f"(random() * interval '364 days') AS r FROM generate_series(1, {documents}) g) s"
        )
        print(f"  {documents:,} incoming documents inserted in {time.monotonic() - t0:.0f} s", flush=True)
    connection.commit() if not connection.get_autocommit() else None
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE dossiers_dossier")
        cur.execute("VACUUM ANALYZE documents_incomingdocument")
        cur.execute("VACUUM ANALYZE dossiers_rating")


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=5_000_000)
    parser.add_argument("--documents", type=int, default=2_000_000)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--database-url")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse")
    args = parser.parse_args()
    with bench_database(
        args.database_url, "reporting", keep=args.keep, settings=LOAD_SETTINGS, reuse=args.reuse
    ) as url:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.test import Client

        from egov.directory.models import Agency, User
        from egov.dossiers.models import Dossier
        from egov.reporting import dashboards, facts, services
        from egov.reporting.models import DailyFact, FactDelta, MonthlyFact

        # Always: a database kept by an earlier run (--reuse) may predate the current schema (FactDelta).
        call_command("migrate", verbosity=0)
        if not args.reuse:
            print("set-up …", flush=True)
            world = setup(args.year)
            generate(world, args.dossiers, args.documents, args.year)
        province = Agency.objects.get(parent__isnull=True, kind=Agency.Kind.PROVINCE)
        leader = User.objects.get(username="chutich")
        print(f"load average: {os.getloadavg()}", flush=True)

        # --- full recomputation -----------------------------------------------------------------------
        t0 = time.monotonic()
        counts = services.recompute_facts(actor=None, year=args.year)
        took = time.monotonic() - t0
        print(
            f"recompute {args.year}: {took:.1f} s, {sum(counts.values()):,} daily rows, "
            f"{MonthlyFact.objects.count():,} monthly rows",
            flush=True,
        )
        with connection.cursor() as cur:
            cur.execute("ANALYZE reporting_dailyfact")
            cur.execute("ANALYZE reporting_monthlyfact")

        # --- dashboards -------------------------------------------------------------------------------
        spans = (
            [str(args.year)]
            + [f"{args.year}-Q{q}" for q in range(1, 5)]
            + [f"{args.year}-{m:02d}" for m in range(1, 13)]
        )
        results = {}
        for key in spans:
            span = dashboards.parse_span(key)
            dashboards.dashboard(leader, province, span)  # warm
            results[key] = timed(lambda s=span: dashboards.dashboard(leader, province, s), 5)
        worst = max(results, key=lambda k: statistics.median(results[k]))
        med = {k: statistics.median(v) for k, v in results.items()}
        quarters, months = [med[k] for k in spans[1:5]], [med[k] for k in spans[5:]]
        print(
            f"dashboard (selectors) median ms: year {med[spans[0]]:.0f}, quarters {min(quarters):.0f}–"
            f"{max(quarters):.0f}, months {min(months):.0f}–{max(months):.0f}; worst {worst} "
            f"p95 {percentile(results[worst], 95):.0f}",
            flush=True,
        )
        no_late = timed(
            lambda: dashboards.dashboard(
                leader, province, dashboards.parse_span(str(args.year)), with_late=False
            ),
            5,
        )
        print(
            f"dashboard without the late-item lists, year: median {statistics.median(no_late):.0f} ms",
            flush=True,
        )
        client = Client(HTTP_HOST="localhost")
        client.force_login(leader)
        page = []
        for key in (str(args.year), f"{args.year}-Q2", f"{args.year}-06"):
            client.get("/bao-cao/dieu-hanh/", {"p": key})
            page += timed(lambda k=key: client.get("/bao-cao/dieu-hanh/", {"p": k}), 5)
        print(
            f"dashboard page (full request): median {statistics.median(page):.0f} ms, "
            f"p95 {percentile(page, 95):.0f} ms",
            flush=True,
        )
        public = timed(
            lambda: Client(HTTP_HOST="localhost").get("/dich-vu-cong/minh-bach/", {"p": str(args.year)}), 10
        )
        print(f"public transparency page: median {statistics.median(public):.0f} ms", flush=True)

        # --- incremental ------------------------------------------------------------------------------
        agency_ids = list(Agency.objects.exclude(pk=province.pk).values_list("pk", flat=True))
        rng = random.Random(6)

        def one_bump() -> None:
            with transaction.atomic():
                facts.bump(
                    rng.choice(agency_ids),
                    dt.date(args.year, rng.randint(1, 12), rng.randint(1, 28)),
                    "dossiers.on_time",
                    1,
                    1,
                )

        facts.compact()
        bumps = timed(one_bump, 1000)
        print(
            f"delta insert (facts.bump: one INSERT into reporting_factdelta) + commit: "
            f"p50 {percentile(bumps, 50):.2f} ms, p95 {percentile(bumps, 95):.2f} ms",
            flush=True,
        )
        sample = list(Dossier.objects.filter(status=4).values_list("pk", flat=True)[:800])
        from django.db.models.signals import post_init, post_save, pre_save

        def finish(pk: int) -> None:
            with transaction.atomic():
                d = Dossier.objects.get(pk=pk)
                d.status = 10 if d.status == 4 else 4
                d.finished_at = None if d.finished_at else d.received_at + dt.timedelta(days=2)
                d.is_on_time = None if d.is_on_time is not None else True
                t0 = time.perf_counter()
                d.save()
                return (time.perf_counter() - t0) * 1000

        with_receivers = [finish(pk) for pk in sample[:400]]
        uid = "reporting-facts-dossiers.Dossier"
        pre_save.disconnect(sender=Dossier, dispatch_uid=uid + "-pre")
        post_save.disconnect(sender=Dossier, dispatch_uid=uid + "-post")
        post_init.disconnect(sender=Dossier, dispatch_uid=uid + "-init")
        without = [finish(pk) for pk in sample[400:]]
        print(
            f"Dossier.save() finishing a dossier: with receivers p50 {percentile(with_receivers, 50):.2f} ms "
            f"p95 {percentile(with_receivers, 95):.2f} ms; without p50 {percentile(without, 50):.2f} ms "
            f"p95 {percentile(without, 95):.2f} ms; added p50 "
            f"{percentile(with_receivers, 50) - percentile(without, 50):.2f} ms",
            flush=True,
        )
        print(f"facts: {DailyFact.objects.count():,} daily rows", flush=True)

        # --- compaction -------------------------------------------------------------------------------
        facts.compact()
        ids_sql = "ARRAY[" + ",".join(map(str, agency_ids)) + "]"
        metric_sql = "ARRAY[" + ",".join(f"'{m}'" for m in facts.METRICS) + "]"
        for n in (1_000, 10_000, 100_000):
            with transaction.atomic(), connection.cursor() as cur:
                # Deltas as writers leave them: random agencies, days of the year and metrics.
                cur.execute(
                    "INSERT INTO reporting_factdelta (agency_id, day, metric, numerator, denominator) "
                    f"SELECT ({ids_sql})[1 + (random() * {len(agency_ids) - 1})::int], "
                    f"date '{args.year}-01-01' + (random() * 364)::int, "
                    f"({metric_sql})[1 + (random() * {len(facts.METRICS) - 1})::int], 1, 1 "
                    f"FROM generate_series(1, {n})"
                )
            with connection.cursor() as cur:
                cur.execute("ANALYZE reporting_factdelta")
            t0 = time.perf_counter()
            moved = facts.compact()
            took = time.perf_counter() - t0
            assert moved == n and not FactDelta.objects.exists(), (moved, n)
            print(
                f"compaction of {n:,} deltas: {took * 1000:.0f} ms ({n / took:,.0f} deltas/s), "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
