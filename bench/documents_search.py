"""Benchmark of document search and of the first page of the incoming list on PostgreSQL.

Run: ``.venv/bin/python bench/documents_search.py [--documents 1000000] [--queries 200]
[--database-url postgres://user@host:port/db] [--keep]``. Without ``--database-url`` a throwaway
PostgreSQL cluster is started in a temporary directory (see ``documents_pgcluster.py``).

Steps: a fresh database, ``migrate``, a province of 53 agencies (province, office with 3 units,
18 departments, 30 communes) with clerks made through the directory services, then N synthetic incoming
documents bulk-loaded with ``COPY`` — realistic Vietnamese subjects from the demo vocabulary, senders,
numbers and notations, five years of arrival dates with gap-free arrival numbers per register and year,
statuses, secret documents in the secret registers, one lead assignment per handled document. The search
key of every row is computed by the model itself (``DocumentMetadata.refresh_search_key``, i.e. ``fold``).
Secondary indexes are dropped for the load and rebuilt from their own definitions, then VACUUM ANALYZE.

Measured as a clerk of the biggest agency (the provincial office, 10 % of all documents) and of a
department (3 %), through the real code paths: search =
``search.apply(selectors.incoming_visible_to(clerk), q)[:20]`` over varied queries; first list page =
``selectors.incoming_list(clerk)[:50]``. Targets (issue #3): search p95 < 150 ms, first page < 100 ms.
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

LOCAL_SENDERS = (
    ("Ủy ban nhân dân Thành phố Cần Thơ", "UBND"),
    ("Sở Tài chính thành phố Cần Thơ", "STC"),
    ("Sở Y tế thành phố Cần Thơ", "SYT"),
    ("Công an thành phố Cần Thơ", "CATP"),
    ("Sở Giáo dục và Đào tạo thành phố Cần Thơ", "SGDĐT"),
    ("Ủy ban nhân dân Phường Ninh Kiều", "UBND"),
    ("Ủy ban nhân dân Xã Thới Lai", "UBND"),
)


def build_world() -> dict[str, Any]:
    """Agencies, registers and the people the measurements act as, through the audited services."""
    from egov.core import context
    from egov.directory import services as directory
    from egov.directory.models import Agency, Role
    from egov.documents import services
    from egov.documents.models import DocumentType, Register

    kinds = Agency.Kind
    with context.bind(source="cli"):
        province = directory.create_agency(
            actor=None,
            kind=kinds.PROVINCE,
            name="Ủy ban nhân dân Thành phố Cần Thơ",
            short_name="UBND",
            code_qcvn102="000.00.00.H92",
        )
        office = directory.create_agency(
            actor=None,
            parent=province,
            kind=kinds.DEPARTMENT,
            short_name="VP",
            name="Văn phòng Ủy ban nhân dân thành phố Cần Thơ",
        )
        units = [
            directory.create_agency(actor=None, parent=office, kind=kinds.UNIT, name=name, short_name=short)
            for name, short in (
                ("Phòng Tổng hợp", "TH"),
                ("Phòng Kinh tế", "KT"),
                ("Phòng Khoa giáo - Văn xã", "KGVX"),
            )
        ]
        departments = [
            directory.create_agency(
                actor=None,
                parent=province,
                kind=kinds.DEPARTMENT,
                short_name=f"S{i:02d}",
                name=name,
            )
            for i, name in enumerate(
                ["Sở Nội vụ"] + [f"Sở chuyên ngành số {i}" for i in range(2, 19)], start=1
            )
        ]
        communes = [
            directory.create_agency(
                actor=None,
                parent=province,
                kind=kinds.COMMUNE,
                short_name="UBND",
                name=f"Ủy ban nhân dân Xã Thử Nghiệm {i}",
                admin_unit_code=f"99{i:03d}",
            )
            for i in range(1, 31)
        ]
        owners = [province, office, *departments, *communes]
        weights = [6, 10, *([3] * len(departments)), *([1] * len(communes))]
        registers = {}
        for agency in owners:
            services.ensure_default_registers(actor=None, agency=agency)
            registers[agency.pk] = {
                secret: Register.objects.get(
                    agency=agency, direction="incoming", is_secret=secret, is_default=not secret
                ).pk
                for secret in (False, True)
            }

        def staff(username: str, agency: Agency, role: str) -> Any:
            user = directory.create_staff_user(actor=None, username=username, full_name=username.title())
            directory.assign_position(actor=None, user=user, agency=agency, role=role)
            return user

        clerk_big = staff("vanthu.vp", office, Role.CLERK)
        clerk_dept = staff("vanthu.snv", departments[0], Role.CLERK)
        handlers = [staff(f"chuyenvien.{u.short_name.lower()}", u, Role.SPECIALIST) for u in units]
        loader = staff("nhaplieu", province, Role.CLERK)
    return {
        "owners": owners,
        "weights": weights,
        "registers": registers,
        "doctypes": {t.code: t for t in DocumentType.objects.all()},
        "clerk_big": clerk_big,
        "clerk_dept": clerk_dept,
        "handlers": {office.pk: handlers},
        "loader": loader,
        "office": office,
    }


def existing_world() -> dict[str, Any]:
    """The people measured, in a database loaded by an earlier run (``--reuse``)."""
    from egov.directory.models import User

    return {
        "clerk_big": User.objects.get(username="vanthu.vp"),
        "clerk_dept": User.objects.get(username="vanthu.snv"),
    }


def generate(world: dict[str, Any], n: int, rng: random.Random) -> tuple[Any, list[tuple], dict]:
    """Yield the rows of documents_incomingdocument in arrival order; collects assignment rows and the
    register counters on the side."""
    from django.utils import timezone

    from egov.documents import demo
    from egov.documents.models import Assignment, IncomingDocument

    doctypes = world["doctypes"]
    owners, weights = world["owners"], world["weights"]
    loader = world["loader"]
    now = timezone.now()
    today = timezone.localdate()
    start = dt.date(today.year - 4, 1, 2)
    days = [start + dt.timedelta(days=k) for k in range((today - start).days)]
    days = [d for d in days if d.weekday() < 5]
    per_day = n / len(days)
    type_codes = list(demo.SUBJECTS)
    type_weights = [demo.SUBJECTS[c][0] for c in type_codes]
    senders = [(name, short, units) for name, short, units, _h, _d in demo.CENTRAL]
    senders += [(name, short, ("VP", "KT", "VX")) for name, short in LOCAL_SENDERS]
    attnames = [f.attname for f in IncomingDocument._meta.concrete_fields]
    a_attnames = [f.attname for f in Assignment._meta.concrete_fields]
    counters: dict[tuple[int, int], int] = {}
    assignments: list[tuple] = []
    doc = IncomingDocument()
    assignment = Assignment()
    statuses = ("registered", "presented", "assigned", "in_progress", "completed")

    def rows() -> Any:
        made, carry = 0, 0.0
        for day in days:
            carry += per_day
            count = int(carry) if day != days[-1] else n - made
            carry -= int(carry)
            count = min(count, n - made)
            if count <= 0:
                continue
            minutes = sorted(rng.randint(7 * 60, 17 * 60) for _ in range(count))
            old = (today - day).days > 30
            for minute in minutes:
                made += 1
                agency = rng.choices(owners, weights=weights)[0]
                type_code = rng.choices(type_codes, weights=type_weights)[0]
                dtype = doctypes[type_code]
                name, short, units = rng.choice(senders)
                secret = rng.random() < 0.03
                arrival = timezone.make_aware(dt.datetime.combine(day, dt.time(minute // 60, minute % 60)))
                arrival = min(arrival, now)
                register = world["registers"][agency.pk][secret]
                key = (register, day.year)
                counters[key] = counters.get(key, 0) + 1
                if old:
                    status = rng.choices(statuses, weights=(0, 0, 4, 4, 92))[0]
                else:
                    status = rng.choices(statuses, weights=(20, 20, 25, 20, 15))[0]
                doc.id = made
                doc.agency_id = agency.pk
                doc.document_type = dtype
                doc.code_number = f"{rng.randint(1, 2400):02d}"
                unit = rng.choice(units)
                doc.code_notation = (
                    f"{short}-{unit}" if type_code == "cong-van" else f"{dtype.abbreviation}-{short}"
                )
                doc.issued_date = day - dt.timedelta(days=rng.randint(0, 5))
                doc.subject = demo.subject_for(rng, type_code)
                doc.signer_name = demo.person_name(rng)
                doc.signer_position = rng.choice(("Phó Giám đốc", "Thứ trưởng", "Phó Chủ tịch", "Giám đốc"))
                doc.urgency = rng.choices((0, 1, 2, 3), weights=(85, 10, 4, 1))[0]
                doc.confidentiality = 1 if secret else 0
                doc.page_count = rng.randint(1, 12)
                # no database call here: the connection is busy with the COPY
                doc.due_date = day + dt.timedelta(days=14) if rng.random() < 0.5 else None
                doc.created_by_id = loader.pk
                doc.created_at = doc.updated_at = arrival
                doc.register_id = register
                doc.arrival_year = day.year
                doc.arrival_number = counters[key]
                doc.arrival_date = arrival
                doc.source = rng.choice(("paper", "upload", "exchange"))
                doc.status = status
                doc.issuing_agency_id = None
                doc.issuing_agency_name = name
                doc.external_id = ""
                doc.identity_key = IncomingDocument.make_identity_key(
                    name, doc.code_number, doc.code_notation
                )
                doc.refusal_reason = ""
                doc.completed_at = (
                    arrival + dt.timedelta(days=rng.randint(1, 20)) if status == "completed" else None
                )
                if doc.completed_at and doc.completed_at > now:
                    doc.completed_at = now
                doc.refresh_search_key()
                if status in ("assigned", "in_progress", "completed"):
                    handlers = world["handlers"].get(agency.pk)
                    assignment.id = len(assignments) + 1
                    assignment.document_id = made
                    assignment.kind = "lead"
                    assignment.unit_id = None
                    assignment.user_id = rng.choice(handlers).pk if handlers else loader.pk
                    assignment.deadline = doc.due_date
                    assignment.assigned_by_id = loader.pk
                    assignment.parent_id = None
                    assignment.created_at = arrival + dt.timedelta(hours=2)
                    assignment.completed_at = doc.completed_at
                    assignments.append(tuple(getattr(assignment, a) for a in a_attnames))
                yield tuple(getattr(doc, a) for a in attnames)

    return rows(), assignments, counters


def copy_rows(table: str, columns: list[str], rows: Any, total: int, label: str) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i, row in enumerate(rows, start=1):
                copy.write_row(row)
                if i % 100_000 == 0:
                    rate = i / (time.perf_counter() - started)
                    print(f"  {label}: {i:,}/{total:,} rows ({rate:,.0f}/s)", flush=True)
    return time.perf_counter() - started


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)",
            [table],
        )
        return list(cursor.fetchall())


def load(world: dict[str, Any], n: int, rng: random.Random) -> None:
    from django.db import connection

    from egov.documents.models import Assignment, IncomingDocument, RegisterCounter

    tables = (IncomingDocument._meta.db_table, Assignment._meta.db_table)
    saved = {t: secondary_indexes(t) for t in tables}
    with connection.cursor() as cursor:
        for table in tables:
            for name, _definition in saved[table]:
                cursor.execute(f'DROP INDEX "{name}"')
    rows, assignments, counters = generate(world, n, rng)
    columns = [f.column for f in IncomingDocument._meta.concrete_fields]
    seconds = copy_rows(tables[0], columns, rows, n, "documents")
    print(f"COPY {n:,} documents: {seconds:.1f} s ({n / seconds:,.0f} rows/s, search keys made by the model)")
    a_columns = [f.column for f in Assignment._meta.concrete_fields]
    seconds = copy_rows(tables[1], a_columns, assignments, len(assignments), "assignments")
    print(f"COPY {len(assignments):,} assignments: {seconds:.1f} s")
    RegisterCounter.objects.bulk_create(
        RegisterCounter(register_id=register, year=year, last_number=last)
        for (register, year), last in counters.items()
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
            for name, definition in saved[table]:
                t0 = time.perf_counter()
                cursor.execute(definition)
                print(f"  index {name}: {time.perf_counter() - t0:.1f} s")
    print(f"indexes rebuilt: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")


def make_queries(rng: random.Random, count: int) -> list[str]:
    from egov.core.text import fold
    from egov.documents import demo

    def topic() -> str:
        return rng.choice(demo.TOPICS).split(" về ")[0]

    def prefix(text: str) -> str:
        words = text.split()
        last = words[-1]
        return " ".join([*words[:-1], last[: max(2, len(last) - 2)]])

    makers = [
        (20, lambda: topic()),
        (10, lambda: fold(topic())),
        (10, lambda: f"{rng.choice(('quyết định', 'kế hoạch', 'báo cáo', 'công văn'))} {topic()}"),
        (
            15,
            lambda: f"{rng.randint(1, 2400):02d}/{rng.choice(('QĐ-UBND', 'BNV-VP', 'VPCP-KSTT', 'KH-STC'))}",
        ),
        (10, lambda: rng.choice(demo.CENTRAL)[0]),
        (10, lambda: demo.person_name(rng)),
        (10, lambda: prefix(topic())),
        (10, lambda: rng.choice(("báo cáo", "công văn", "kế hoạch", "giấy mời", "năm 2026", "thông báo"))),
        (5, lambda: rng.choice(("hợp tác quốc tế về vũ trụ", "đê điều hồ chứa", "xuất khẩu gạo thơm"))),
    ]
    weights = [w for w, _ in makers]
    return [rng.choices(makers, weights=weights)[0][1]() for _ in range(count)]


def timed(fn: Any) -> tuple[float, Any]:
    """Milliseconds of ``fn()``, run as one request: a new request id, so nothing cached by an earlier call
    (the per-request permission look-ups of ``documents.selectors``) is reused."""
    from egov.core import context

    with context.bind(request_id=context.new_request_id(), source="web"):
        started = time.perf_counter()
        value = fn()
        return (time.perf_counter() - started) * 1000, value


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(world: dict[str, Any], queries: list[str], rng: random.Random) -> dict[str, Any]:
    from egov.documents import search, selectors

    figures: dict[str, Any] = {}
    for label, clerk in (
        ("office clerk (10 %)", world["clerk_big"]),
        ("department clerk (3 %)", world["clerk_dept"]),
    ):
        visible = selectors.incoming_visible_to(clerk).count()
        for q in make_queries(random.Random(7), 20):  # warm-up, not measured
            list(search.apply(selectors.incoming_visible_to(clerk), q)[:20])
        results = []
        for q in queries:
            ms, rows = timed(
                lambda q=q, c=clerk: list(search.apply(selectors.incoming_visible_to(c), q)[:20])
            )
            results.append((ms, q, len(rows)))
        times = [r[0] for r in results]
        list_times = [timed(lambda c=clerk: list(selectors.incoming_list(c)[:50]))[0] for _ in range(60)][10:]
        filtered = [
            timed(lambda c=clerk: list(selectors.incoming_list(c, status="in_progress")[:50]))[0]
            for _ in range(30)
        ][5:]
        print(f"\n== {label}: sees {visible:,} documents (load average {load_average()}) ==")
        print(
            f"search ({len(queries)} queries, first 20 hits): p50 {percentile(times, 50):.1f} ms, "
            f"p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms, "
            f"mean {statistics.mean(times):.1f} ms"
        )
        print(
            f"first list page (50 rows): p50 {percentile(list_times, 50):.1f} ms, "
            f"p95 {percentile(list_times, 95):.1f} ms, max {max(list_times):.1f} ms"
        )
        print(
            f"first list page filtered by status: p50 {percentile(filtered, 50):.1f} ms, "
            f"p95 {percentile(filtered, 95):.1f} ms"
        )
        slow = sorted(results, reverse=True)[:8]
        print("slowest queries:")
        for ms, q, _hits in slow:
            total = search.apply(selectors.incoming_visible_to(clerk), q).count()
            print(f"  {ms:7.1f} ms  {q!r}: {total:,} matches")
        figures[label] = {
            "search_p50": percentile(times, 50),
            "search_p95": percentile(times, 95),
            "search_max": max(times),
            "list_p50": percentile(list_times, 50),
            "list_p95": percentile(list_times, 95),
            "slow": slow,
            "clerk": clerk,
        }
    return figures


def explain(world: dict[str, Any], figures: dict[str, Any]) -> None:
    from egov.documents import search, selectors

    clerk = world["clerk_big"]
    worst = figures["office clerk (10 %)"]["slow"][0][1]
    print(f"\nEXPLAIN ANALYZE of the slowest search ({worst!r}):")
    print(search.apply(selectors.incoming_visible_to(clerk), worst)[:20].explain(analyze=True, buffers=True))
    print("\nEXPLAIN ANALYZE of the first list page:")
    print(selectors.incoming_list(clerk)[:50].explain(analyze=True, buffers=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server to create the benchmark database on")
    parser.add_argument("--keep", action="store_true", help="keep the database (only with --database-url)")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="measure a database kept by an earlier run (--database-url … --keep): migrate it, skip the load",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with bench_database(
        args.database_url, "search", keep=args.keep, settings=LOAD_SETTINGS, reuse=args.reuse
    ) as url:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            settings = {}
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "fsync"):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
        print(f"PostgreSQL {version}; {', '.join(f'{k}={v}' for k, v in settings.items())}")
        rng = random.Random(args.seed)
        if args.reuse:
            world = existing_world()
            print(f"migrate (kept database {args.reuse}): {time.perf_counter() - started:.1f} s")
        else:
            world = build_world()
            print(f"migrate + agencies: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            load(world, args.documents, rng)
            print(f"load total: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('documents_incomingdocument'))")
            print(f"documents table with indexes: {cursor.fetchone()[0]}")
        queries = make_queries(random.Random(args.seed + 1), args.queries)
        print(f"load average before measuring: {load_average()}")
        figures = measure(world, queries, rng)
        print(f"load average after measuring: {load_average()}")
        explain(world, figures)
        big = figures["office clerk (10 %)"]
        ok = big["search_p95"] < 150 and big["list_p95"] < 100
        print(
            f"\nRESULT ({args.documents:,} documents): search p95 {big['search_p95']:.1f} ms (target < 150), "
            f"first page p95 {big['list_p95']:.1f} ms (target < 100): {'OK' if ok else 'TARGET MISSED'}"
        )
        connection.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
