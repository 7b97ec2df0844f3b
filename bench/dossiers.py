"""Benchmark of the one-stop shop (issue #5) on PostgreSQL with 1,000,000 dossiers.

Run: ``.venv/bin/python bench/dossiers.py [--dossiers 1000000] [--submissions 3000] [--mode processes|threads]
[--processes 2,3,4] [--threads 4] [--lookups 5000] [--http [--web-workers 2] [--web-threads 2,4]
[--http-clients 4,8] [--http-seconds 30] [--portal] [--client requests|wrk [--wrk-threads 1]]] [--skip PART]
[--database-url postgres://user@host:port/db] [--keep | --reuse DB]``. Without ``--database-url`` a throwaway
PostgreSQL cluster with the durable defaults (``fsync`` and ``synchronous_commit`` on,
``documents_pgcluster.TUNED``) is started in a temporary directory.

Set-up (not timed): a fresh database, ``migrate``, a province with a Trung tâm Phục vụ hành chính công and
40 communes (each with its QCVN 102 code and a one-stop officer, made through the directory services),
20 procedures (one-step process, no paper required so that an online submission needs no upload), 40
citizen accounts; then N dossiers bulk-loaded with ``COPY`` over three years, codes in the real format
(``<QCVN 102>-<yymmdd>-<nnnn>``), about 2 % still open (new, received, processing, supplement, fee, done),
the rest refused, withdrawn, stopped or returned; the centre receives 20 % of all dossiers. Secondary
indexes are dropped for the load, rebuilt from their definitions, then VACUUM ANALYZE.

Timed, through the real code paths:

* online submission: ``services.submit_online`` (validation, code counter locked ``FOR UPDATE``, event,
  audit row, notification outbox, all in one transaction), ``--submissions`` in all, split evenly over
  the workers. ``--mode processes`` (the default, as gunicorn workers are): for each count of
  ``--processes``, that many processes each set Django up, connect to the database, load the world and
  submit 5 dossiers to warm up, then all start on one signal and call the service in a loop, each call in
  its own request context (request id). ``--mode threads``: ``--threads`` threads of this process (one
  interpreter lock). Printed: the sustained rate (submissions / wall time from the first start to the last
  end) and per 10 s window, latency p50/p95/p99/max, CPU per submission of the callers (Python) and of
  their PostgreSQL backends (``/proc``, when the server runs on this machine), the whole machine's busy
  CPU, the load average. Target: 100/s sustained, p95 < 200 ms.
* public status: ``selectors.public_status(code)`` in-process from ``--threads`` threads, random existing
  codes. Then over HTTP: with ``--http``, ``egov serve`` (gunicorn, ``--web-workers`` workers × each of
  ``--web-threads`` threads) against the benchmark database, and for each count of ``--http-clients``,
  that many client processes, each with a keep-alive ``requests.Session``, send ``GET
  /api/v1/public/dossiers/<code>/`` (and with ``--portal`` the portal page ``/dich-vu-cong/tra-cuu/<code>/``)
  for random existing codes during ``--http-seconds``: rate, p50/p95/p99, CPU per request of gunicorn,
  of the clients and of the rest of the machine (mostly PostgreSQL). The clients share the machine's cores
  with gunicorn and PostgreSQL. Without ``--http``: ``GET /api/v1/public/dossiers/<code>/`` through
  Django's WSGI test client in this process, from ``--threads`` threads. Target: 500/s, p95 < 50 ms.
  ``--client wrk`` replaces the Python clients by ``wrk`` (C, ``apt-get install wrk``): ``--http-clients``
  is then its number of keep-alive connections (on ``--wrk-threads`` threads), each request for a random
  code of the loaded set (a small Lua script reading the codes from a file); wrk costs a few microseconds
  of CPU per request instead of ~1 ms for ``requests``, so the rate is the server's. Always printed too:
  the CPU per request of the whole Django stack through the test client in this process, one thread
  (requests per CPU-second of one server process). The per-IP limiter is switched off for the run
  (``EGOV_PUBLIC_STATUS_RATE`` empty): it limits one IP address, while the target is the aggregate of many
  citizens.
* officer queue: ``list(selectors.officer_queue(officer)[:50])`` for the centre's officer (the busiest
  queue), p95 over 60 runs. Target: < 100 ms.
* overdue scan: ``services.flag_deadlines()`` over all open dossiers — the first scan (flags set) and a
  steady one (nothing changed). Target: < 5 s.

``--skip submit|status|queue|scan`` (repeatable) leaves a part out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from documents_pgcluster import TUNED, _free_port, bench_database, percentile, setup_django

COMMUNES = 40
PROCEDURES = 20
CITIZENS = 40
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương")
MIDDLE = ("Văn", "Thị", "Hoàng", "Minh", "Ngọc", "Thanh", "Quốc", "Kim")
GIVEN = ("An", "Bình", "Cường", "Dung", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Tâm", "Thảo")


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def build_world() -> dict[str, Any]:
    from egov.core import context
    from egov.directory import services as directory
    from egov.directory.models import Agency, Position, Role
    from egov.procedures.models import (
        Channel,
        ExecutionMethod,
        Field,
        Procedure,
        ProcedureAgency,
        ProcessStep,
        RequiredPaper,
    )

    kinds = Agency.Kind
    with context.bind(source="cli"):
        province = directory.create_agency(
            actor=None,
            kind=kinds.PROVINCE,
            name="Ủy ban nhân dân Thành phố Cần Thơ",
            short_name="UBND",
            code_qcvn102="000.00.00.H92",
        )
        centre = directory.create_agency(
            actor=None,
            parent=province,
            kind=kinds.DEPARTMENT,
            name="Trung tâm Phục vụ hành chính công thành phố Cần Thơ",
            short_name="TTPVHCC",
            code_qcvn102="000.00.07.H92",
        )
        communes = [
            directory.create_agency(
                actor=None,
                parent=province,
                kind=kinds.COMMUNE,
                short_name="UBND",
                name=f"Ủy ban nhân dân Xã Thử Nghiệm {i}",
                admin_unit_code=f"99{i:03d}",
                code_qcvn102=f"000.{20 + i:02d}.01.H92",
            )
            for i in range(1, COMMUNES + 1)
        ]
        officers = {}
        for i, agency in enumerate([centre, *communes]):
            user = directory.create_staff_user(
                actor=None, username=f"motcua{i}", full_name=f"Cán bộ một cửa {i}"
            )
            directory.assign_position(actor=None, user=user, agency=agency, role=Role.ONE_STOP_OFFICER)
            officers[agency.pk] = user
        Position.objects.update(valid_from=dt.date(2020, 1, 1))
        citizens = [
            directory.register_citizen(
                full_name=f"Công Dân Thử {i}",
                identity_number=f"0920950{i:05d}",
                password="Bench-Password-2026!",
                phone=f"0901{i:06d}",
            )
            for i in range(1, CITIZENS + 1)
        ]
    # The catalogue (set-up, like the test fixtures): 20 procedures received by every agency above.
    field, _ = Field.objects.get_or_create(code="HT", defaults={"name": "Hộ tịch"})
    procedures = []
    for i in range(1, PROCEDURES + 1):
        p = Procedure.objects.create(
            code=f"1.{i:06d}", name=f"Thủ tục thử nghiệm số {i}", field=field, levels=["commune"]
        )
        for channel in (Channel.DIRECT, Channel.ONLINE, Channel.POSTAL):
            ExecutionMethod.objects.create(
                procedure=p, channel=channel, processing_days=Decimal(rng_days(i)), fee_amount=0
            )
        for agency in [centre, *communes]:
            ProcedureAgency.objects.create(procedure=p, agency=agency, role=ProcedureAgency.Part.RECEIVING)
        RequiredPaper.objects.create(procedure=p, order=0, code="TO_KHAI", name="Tờ khai", is_required=False)
        ProcessStep.objects.create(procedure=p, order=1, name="Thẩm định", role=Role.ONE_STOP_OFFICER, days=1)
        procedures.append(p)
    return {
        "province": province,
        "centre": centre,
        "agencies": [centre, *communes],
        "officers": officers,
        "citizens": citizens,
        "procedures": procedures,
    }


def rng_days(i: int) -> int:
    return (1, 3, 5, 7, 10, 15)[i % 6]


def existing_world() -> dict[str, Any]:
    from egov.directory.models import Agency, User
    from egov.procedures.models import Procedure

    centre = Agency.objects.get(short_name="TTPVHCC")
    agencies = [centre, *Agency.objects.filter(kind=Agency.Kind.COMMUNE).order_by("pk")]
    return {
        "centre": centre,
        "agencies": agencies,
        "officers": {centre.pk: User.objects.get(username="motcua0")},
        "citizens": list(User.objects.filter(citizen_profile__isnull=False).order_by("pk")),
        "procedures": list(Procedure.objects.order_by("pk")),
    }


def generate(world: dict[str, Any], n: int, rng: random.Random) -> tuple[Any, dict, list[str]]:
    """The rows of dossiers_dossier; collects the code counters and a sample of codes on the side."""
    from django.utils import timezone

    from egov.dossiers.models import DeadlineFlag, Dossier, Status

    agencies = world["agencies"]
    weights = [20 * (len(agencies) - 1) / 80, *([1] * (len(agencies) - 1))]  # the centre: 20 %
    procedures = world["procedures"]
    citizens = world["citizens"]
    officers = world["officers"]
    loader = next(iter(officers.values()))
    now = timezone.now()
    today = timezone.localdate()
    start = today - dt.timedelta(days=3 * 365)
    days = [start + dt.timedelta(days=k) for k in range((today - start).days)]  # never today
    days = [d for d in days if d.weekday() < 5]
    per_day = n / len(days)
    attnames = [f.attname for f in Dossier._meta.concrete_fields]
    counters: dict[tuple[int, dt.date], int] = {}
    sample: list[str] = []
    d = Dossier()
    finished = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED)
    open_statuses = (
        Status.NEW,
        Status.RECEIVED,
        Status.PROCESSING,
        Status.SUPPLEMENT,
        Status.PAYMENT,
        Status.DONE,
    )
    tz = timezone.get_current_timezone()

    def rows() -> Any:
        made, carry = 0, 0.0
        for day in days:
            carry += per_day
            count = int(carry) if day != days[-1] else n - made
            carry -= int(carry)
            count = min(count, n - made)
            if count <= 0:
                continue
            age = (today - day).days
            for _ in range(count):
                made += 1
                agency = rng.choices(agencies, weights=weights)[0]
                key = (agency.pk, day)
                counters[key] = counters.get(key, 0) + 1
                minute = rng.randint(7 * 60 + 30, 16 * 60 + 30)
                submitted = timezone.make_aware(
                    dt.datetime.combine(day, dt.time(minute // 60, minute % 60)), tz
                )
                # Open dossiers are recent; a few old ones are forgotten (overdue).
                p_open = 0.5 if age < 20 else (0.05 if age < 90 else 0.004)
                status = (
                    rng.choice(open_statuses)
                    if rng.random() < p_open
                    else rng.choices(finished, weights=(3, 2, 1, 94))[0]
                )
                procedure = rng.choice(procedures)
                days_legal = rng_days(procedure.pk)
                citizen = rng.choice(citizens) if rng.random() < 0.6 else None
                d.id = made
                d.code = f"{agency.code_qcvn102}-{day:%y%m%d}-{counters[key]:04d}"
                d.procedure_id = procedure.pk
                d.receiving_agency_id = agency.pk
                d.channel = 2 if citizen else rng.choice((1, 3))
                d.status = status
                d.group_id = None
                d.owner_id = citizen.pk if citizen else None
                d.created_by_id = citizen.pk if citizen else loader.pk
                d.idempotency_key = ""
                d.applicant_kind = 1
                d.applicant_name = person(rng)
                d.applicant_identity = f"092{rng.randint(0, 999999999):09d}"
                d.applicant_phone = f"09{rng.randint(0, 99999999):08d}"
                d.applicant_email = ""
                d.applicant_address = f"Số {rng.randint(1, 300)} đường 30/4"
                d.description = ""
                d.submitted_at = submitted
                received = status not in (Status.NEW, Status.REFUSED)
                d.received_at = submitted + dt.timedelta(hours=1) if received else None
                d.received_by_id = officers.get(agency.pk, loader).pk if received else None
                d.processing_days = Decimal(days_legal)
                d.due_at = submitted + dt.timedelta(days=days_legal * 7 // 5 + 1) if received else None
                d.original_due_at = d.due_at
                d.paused_at = submitted + dt.timedelta(days=1) if status == Status.SUPPLEMENT else None
                d.paused_working_days = 0
                d.supplement_count = 1 if status == Status.SUPPLEMENT else 0
                d.resume_status = Status.PROCESSING if status in (Status.SUPPLEMENT, Status.PAYMENT) else None
                end = None
                if status in finished or status == Status.DONE:
                    end = min(submitted + dt.timedelta(days=rng.randint(0, days_legal * 2 + 1)), now)
                d.finished_at = end
                d.is_on_time = (end <= d.due_at) if (end and d.due_at) else (True if end else None)
                d.deadline_flag = DeadlineFlag.NONE
                d.current_step_id = None
                d.fee_amount = 0
                d.result_file_id = None
                d.result_signed = False
                d.result_note = ""
                d.returned_at = end + dt.timedelta(hours=2) if status == Status.RETURNED and end else None
                d.return_method = "desk" if status == Status.RETURNED else ""
                d.tracking_number = ""
                d.end_reason = "" if status in (Status.RETURNED, *open_statuses) else "Lý do thử nghiệm"
                d.created_at = d.updated_at = submitted
                if len(sample) < 20000 and rng.random() < 0.05:
                    sample.append(d.code)
                yield tuple(getattr(d, a) for a in attnames)

    return rows(), counters, sample


def copy_rows(table: str, columns: list[str], rows: Any, total: int, label: str) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for i, row in enumerate(rows, start=1):
                copy.write_row(row)
                if i % 200_000 == 0:
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


def load(world: dict[str, Any], n: int, rng: random.Random) -> list[str]:
    from django.db import connection

    from egov.dossiers.models import Dossier, DossierCounter

    table = Dossier._meta.db_table
    saved = secondary_indexes(table)
    with connection.cursor() as cursor:
        for name, _definition in saved:
            cursor.execute(f'DROP INDEX "{name}"')
    rows, counters, sample = generate(world, n, rng)
    columns = [str(f.column) for f in Dossier._meta.concrete_fields]
    seconds = copy_rows(table, columns, rows, n, "dossiers")
    print(f"COPY {n:,} dossiers: {seconds:.1f} s ({n / seconds:,.0f} rows/s)")
    DossierCounter.objects.bulk_create(
        DossierCounter(agency_id=agency, scope=f"code:{day:%y%m%d}", last_number=last)
        for (agency, day), last in counters.items()
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
        for name, definition in saved:
            t0 = time.perf_counter()
            cursor.execute(definition)
            print(f"  index {name}: {time.perf_counter() - t0:.1f} s")
    print(f"indexes rebuilt: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f} s")
    return sample


def in_threads(threads: int, count: int, work: Any) -> tuple[float, list[float], int]:
    """Run ``work(i)`` ``count`` times over ``threads`` threads; (seconds, latencies ms, errors)."""
    from django.db import connections

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(count))

    def worker() -> None:
        mine = []
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                t0 = time.perf_counter()
                try:
                    work(i)
                except Exception as exc:
                    with lock:
                        errors[0] += 1
                        if errors[0] <= 3:
                            print(f"  error: {exc!r}")
                mine.append((time.perf_counter() - t0) * 1000)
        finally:
            connections.close_all()
            with lock:
                latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - started, latencies, errors[0]


def report(label: str, seconds: float, latencies: list[float], errors: int) -> dict[str, float]:
    rate = len(latencies) / seconds
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"{label}: {len(latencies):,} in {seconds:.1f} s = {rate:,.0f}/s; p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms; errors {errors} "
        f"(load average {load_average()})"
    )
    return {"rate": rate, "p50": p50, "p95": p95, "p99": p99}


# --- CPU accounting (/proc) ---------------------------------------------------------------------------------


def cpu_seconds(pid: int, exited_children: bool = False) -> float:
    """User + system CPU time of a process (0 when it is gone or not on this machine), with
    ``exited_children`` plus that of its children that have exited (and been waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = sum(int(x) for x in fields[11 : 15 if exited_children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


def machine_cpu() -> float:
    """Busy CPU seconds of the machine since boot, all cores (``/proc/stat``; idle and iowait left out)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


POSTMASTER: list[int] = []  # the PostgreSQL server's main process, when it runs on this machine


def postgres_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (0 when unknown): the postmaster, its
    live children (backends, writers) and those that have exited."""
    if not POSTMASTER:
        return 0.0
    main = POSTMASTER[0]
    return cpu_seconds(main, exited_children=True) + sum(cpu_seconds(pid) for pid in children(main))


def find_postmaster() -> None:
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            directory = cursor.fetchone()[0]
        POSTMASTER.append(int((Path(directory) / "postmaster.pid").read_text().split()[0]))
    except (DatabaseError, OSError, ValueError, IndexError):
        print("PostgreSQL server processes not found on this machine: no server CPU figures")


def gather(results: Any, count: int, procs: list[Any], timeout: float) -> list[Any]:
    """``count`` items from a multiprocessing queue; fails early when a process died without answering."""
    items: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(items) < count:
        try:
            items.append(results.get(timeout=2))
        except queue.Empty:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(items)}/{count} answers after {timeout:.0f} s") from None
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"worker process failed (exit code {dead[0].exitcode})") from None
    return items


# --- online submission ------------------------------------------------------------------------------------


def submit_loop(
    world: dict[str, Any], worker: int, count: int, tag: str, start: Any, ready: Any
) -> dict[str, Any]:
    """One caller (process or thread): 5 warm-up submissions, ``ready()``, wait for ``start``, then ``count``
    submissions, each in its own request context as one web request would be."""
    from django.db import connection

    from egov.core import context
    from egov.dossiers import services

    citizens, procedures = world["citizens"], world["procedures"]
    agencies, centre = world["agencies"], world["centre"]

    def submit(i: int, key: str) -> None:
        with context.bind(request_id=context.new_request_id(), source="web"):
            services.submit_online(
                actor=citizens[i % len(citizens)],
                procedure=procedures[i % len(procedures)],
                agency=agencies[i % len(agencies)] if i % 5 else centre,
                papers=[],
                description="Nộp thử nghiệm",
                idempotency_key=key,
            )

    base = worker * 7919
    for k in range(5):
        submit(base + k, f"bench-{tag}-{worker}-warm-{k}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    latencies: list[float] = []
    ends: list[float] = []
    errors: list[str] = []
    ready()
    start.wait()
    began = time.time()
    cpu, backend_cpu = time.thread_time(), cpu_seconds(backend)
    for k in range(count):
        t0 = time.perf_counter()
        try:
            submit(base + 5 + k, f"bench-{tag}-{worker}-{k}")
        except Exception as exc:  # counted and reported; the run goes on
            errors.append(f"{type(exc).__name__}: {exc}")
        latencies.append((time.perf_counter() - t0) * 1000)
        ends.append(time.time())
    result = {
        "latencies": latencies,
        "ends": ends,
        "errors": errors,
        "began": began,
        "ended": time.time(),
        "cpu": time.thread_time() - cpu,
        "backend_cpu": cpu_seconds(backend) - backend_cpu,
    }
    connection.close()
    return result


def _submit_process(url: str, worker: int, count: int, tag: str, start: Any, ready: Any, out: Any) -> None:
    setup_django(url)
    out.put(submit_loop(existing_world(), worker, count, tag, start, lambda: ready.put(worker)))


def submissions(url: str, world: dict[str, Any], mode: str, workers: int, total: int) -> dict[str, Any]:
    """``total`` online submissions from ``workers`` processes or threads started together."""
    tag = f"{os.getpid()}-{time.time_ns()}-{workers}"
    per = total // workers
    if mode == "processes":
        ctx = multiprocessing.get_context("spawn")
        start, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
        procs = [
            ctx.Process(target=_submit_process, args=(url, w, per, tag, start, ready, out))
            for w in range(workers)
        ]
        for p in procs:
            p.start()
        gather(ready, workers, procs, 600)
        load0, busy0, pg0 = load_average(), machine_cpu(), postgres_cpu()
        start.set()
        results = gather(out, workers, procs, 3600)
        busy, pg = machine_cpu() - busy0, postgres_cpu() - pg0
        for p in procs:
            p.join()
    else:
        start_t = threading.Event()
        ready_t: queue.Queue[int] = queue.Queue()
        out_t: queue.Queue[dict[str, Any]] = queue.Queue()

        def run(w: int) -> None:
            out_t.put(submit_loop(world, w, per, tag, start_t, lambda: ready_t.put(w)))

        threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        for _ in threads:
            ready_t.get(timeout=600)
        load0, busy0, pg0 = load_average(), machine_cpu(), postgres_cpu()
        start_t.set()
        for t in threads:
            t.join()
        busy, pg = machine_cpu() - busy0, postgres_cpu() - pg0
        results = [out_t.get() for _ in threads]
    return summarise_submissions(f"online submission, {workers} {mode}", results, busy, pg, load0)


def summarise_submissions(
    label: str, results: list[dict[str, Any]], busy: float, pg: float, load0: str
) -> dict[str, Any]:
    latencies = [x for r in results for x in r["latencies"]]
    errors = [e for r in results for e in r["errors"]]
    began, ended = min(r["began"] for r in results), max(r["ended"] for r in results)
    wall = ended - began
    done = len(latencies) - len(errors)
    ends = [e for r in results for e in r["ends"]]
    windows = [
        sum(1 for e in ends if began + 10 * w <= e < began + 10 * (w + 1)) / 10
        for w in range(int(wall // 10))
    ]
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    cpu = sum(r["cpu"] for r in results) / len(latencies) * 1000
    backend = sum(r["backend_cpu"] for r in results) / len(latencies) * 1000
    load1 = load_average()
    print(
        f"{label}: {done:,} in {wall:.1f} s = {done / wall:.1f}/s sustained; p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms; errors {len(errors)}"
    )
    if windows:
        print(f"  per 10 s window: {' '.join(f'{w:.0f}' for w in windows)} /s")
    server = pg / len(latencies) * 1000
    print(
        f"  CPU per submission: callers {cpu:.1f} ms, their PostgreSQL backends {backend:.1f} ms, all of "
        f"PostgreSQL {server:.1f} ms, whole machine {busy / len(latencies) * 1000:.1f} ms "
        f"({busy / wall:.2f} of {os.cpu_count()} cores busy)"
    )
    print(f"  load average at the start {load0}, at the end {load1}")
    if errors:
        print(f"  first error: {errors[0]}")
    return {
        "label": label,
        "rate": done / wall,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": len(errors),
        "cpu": cpu,
        "backend": backend,
        "server": server,
        "busy": busy / wall,
        "load": f"{load0} → {load1}",
    }


# --- public status over HTTP ------------------------------------------------------------------------------


def _http_client(root: str, paths: list[str], seconds: float, start: Any, ready: Any, out: Any) -> None:
    """One client process: keep-alive session, warm-up, then GET ``paths`` in turn for ``seconds``."""
    import requests

    session = requests.Session()
    for path in paths[:20]:
        session.get(root + path, timeout=30)
    ready.put(1)
    start.wait()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    began, cpu = time.time(), time.process_time()
    deadline = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < deadline:
        path = paths[k % len(paths)]
        k += 1
        t0 = time.perf_counter()
        try:
            statuses[session.get(root + path, timeout=30).status_code] += 1
        except requests.RequestException:
            statuses[0] += 1
        latencies.append((time.perf_counter() - t0) * 1000)
    out.put(
        {
            "latencies": latencies,
            "statuses": dict(statuses),
            "began": began,
            "ended": time.time(),
            "cpu": time.process_time() - cpu,
        }
    )


def http_run(root: str, web_pid: int, paths: list[list[str]], seconds: float, label: str) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    start, ready, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [
        ctx.Process(target=_http_client, args=(root, mine, seconds, start, ready, out)) for mine in paths
    ]
    for p in procs:
        p.start()
    gather(ready, len(procs), procs, 300)
    web = [web_pid, *children(web_pid)]
    load0, busy0, web0 = load_average(), machine_cpu(), sum(cpu_seconds(pid) for pid in web)
    pg0 = postgres_cpu()
    start.set()
    results = gather(out, len(procs), procs, seconds + 300)
    busy, web_cpu = machine_cpu() - busy0, sum(cpu_seconds(pid) for pid in web) - web0
    pg = postgres_cpu() - pg0
    load1 = load_average()
    for p in procs:
        p.join()
    latencies = [x for r in results for x in r["latencies"]]
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update({int(k): v for k, v in r["statuses"].items()})
    wall = max(r["ended"] for r in results) - min(r["began"] for r in results)
    n = len(latencies)
    ok = statuses.get(200, 0)
    client_cpu = sum(r["cpu"] for r in results)
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    print(
        f"{label}: {n:,} in {wall:.1f} s = {n / wall:,.0f}/s; p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms; answers {dict(sorted(statuses.items()))}"
    )
    rest = busy - web_cpu - client_cpu - pg
    print(
        f"  CPU per request: gunicorn {web_cpu / n * 1000:.2f} ms, clients {client_cpu / n * 1000:.2f} ms, "
        f"PostgreSQL {pg / n * 1000:.2f} ms, rest of the machine (other jobs) {rest / n * 1000:.2f} ms; "
        f"{busy / wall:.2f} of {os.cpu_count()} cores busy; load average {load0} → {load1}"
    )
    return {
        "label": label,
        "rate": n / wall,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": n - ok,
        "web_cpu": web_cpu / n * 1000,
        "client_cpu": client_cpu / n * 1000,
        "pg_cpu": pg / n * 1000,
        "rest_cpu": rest / n * 1000,
        "load": f"{load0} → {load1}",
    }


WRK_SCRIPT = r"""
-- egov bench: GET <prefix><random code>/ ; the codes are read from a file, one a line.
local codes = {}
for line in io.lines(os.getenv("EGOV_WRK_CODES")) do codes[#codes + 1] = line end
local prefix = os.getenv("EGOV_WRK_PREFIX")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(seed * 7919 + os.time())
end

function request()
  return wrk.format("GET", prefix .. codes[math.random(#codes)] .. "/")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "EGOV-WRK requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50=%d p95=%d p99=%d max=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def wrk_run(
    root: str,
    web_pid: int,
    prefix: str,
    codes_file: str,
    connections: int,
    args: argparse.Namespace,
    label: str,
) -> dict[str, Any]:
    """One run of ``wrk`` (C, epoll: a few microseconds of CPU per request) with ``connections`` keep-alive
    connections on ``--wrk-threads`` threads, random codes from ``codes_file``; same accounting as
    :func:`http_run`, the client CPU being wrk's own (``wait4``)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {**os.environ, "EGOV_WRK_CODES": codes_file, "EGOV_WRK_PREFIX": prefix}
    threads = min(args.wrk_threads, connections)
    command = [
        *("wrk", "-t", str(threads), "-c", str(connections), "-d", f"{args.http_seconds:g}s"),
        *("--timeout", "30s", "-s", script.name, root),
    ]
    web = [web_pid, *children(web_pid)]
    load0, busy0, web0 = load_average(), machine_cpu(), sum(cpu_seconds(pid) for pid in web)
    pg0 = postgres_cpu()
    began = time.time()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.time() - began
        busy, web_cpu = machine_cpu() - busy0, sum(cpu_seconds(pid) for pid in web) - web0
        pg = postgres_cpu() - pg0
        load1 = load_average()
        out.seek(0)
        text = out.read()
    os.unlink(script.name)
    line = next((x for x in text.splitlines() if x.startswith("EGOV-WRK ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {text[-2000:]}")
    got = {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
    n = got["requests"]
    seconds = got["duration_us"] / 1e6
    errors = got["connect"] + got["read"] + got["write"] + got["status"] + got["timeout"]
    client_cpu = usage.ru_utime + usage.ru_stime
    p50, p95, p99, worst = (got[k] / 1000 for k in ("p50", "p95", "p99", "max"))
    print(
        f"{label}: {n:,} in {seconds:.1f} s = {n / seconds:,.0f}/s; p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"p99 {p99:.1f} ms, max {worst:.1f} ms; errors {errors} (non-2xx {got['status']}, "
        f"timeouts {got['timeout']})"
    )
    rest = busy - web_cpu - client_cpu - pg
    print(
        f"  CPU per request: gunicorn {web_cpu / n * 1000:.2f} ms, wrk {client_cpu / n * 1000:.3f} ms, "
        f"PostgreSQL {pg / n * 1000:.2f} ms, rest of the machine (other jobs) {rest / n * 1000:.2f} ms; "
        f"{busy / wall:.2f} of {os.cpu_count()} cores busy; gunicorn alone {n / web_cpu:,.0f} requests per "
        f"CPU-second; load average {load0} → {load1}"
    )
    return {
        "label": label,
        "rate": n / seconds,
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "errors": errors,
        "web_cpu": web_cpu / n * 1000,
        "client_cpu": client_cpu / n * 1000,
        "pg_cpu": pg / n * 1000,
        "rest_cpu": rest / n * 1000,
        "load": f"{load0} → {load1}",
    }


def http_lookups(url: str, codes: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """``egov serve`` for each thread count, client processes for each client count; see the docstring."""
    import requests

    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EGOV_LOG_LEVEL": "WARNING",
        "SECRET_KEY": "b" * 50,
        "EGOV_DB_CONN_MAX_AGE": "60",
        "EGOV_PUBLIC_STATUS_RATE": "",  # empty: no limit (API and portal page, docs/configuration.md)
    }
    if args.client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("--client wrk: wrk not found (apt-get install wrk)")
    kinds = [("API", "/api/v1/public/dossiers/{}/")]
    if args.portal:
        kinds.append(("portal page", "/dich-vu-cong/tra-cuu/{}/"))
    figures = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(codes) + "\n")
    codes_file = listing.name
    for threads in args.web_threads:
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            web = subprocess.Popen(
                [
                    *(sys.executable, "-m", "egov", "serve", "--bind", f"127.0.0.1:{port}"),
                    *("--workers", str(args.web_workers), "--threads", str(threads)),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            root = f"http://127.0.0.1:{port}"
            try:
                for _ in range(240):
                    try:
                        requests.get(f"{root}/healthz", timeout=1)  # any answer: the server is up
                        break
                    except requests.RequestException:
                        pass
                    if web.poll() is not None:
                        break
                    time.sleep(0.5)
                else:
                    raise RuntimeError("egov serve did not answer /healthz")
                if web.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"egov serve exited: {log.read()[-2000:].decode(errors='replace')}")
                for clients in args.http_clients:
                    for kind, pattern in kinds:
                        if args.client == "wrk":
                            label = (
                                f"GET {kind}, gunicorn {args.web_workers} workers × {threads} threads, "
                                f"wrk {clients} connections"
                            )
                            prefix = pattern.format("")[:-1]
                            figures.append(wrk_run(root, web.pid, prefix, codes_file, clients, args, label))
                            continue
                        paths = []
                        for c in range(clients):
                            mine = list(codes)
                            random.Random(c).shuffle(mine)
                            paths.append([pattern.format(code) for code in mine])
                        label = (
                            f"GET {kind}, gunicorn {args.web_workers} workers × {threads} threads, "
                            f"{clients} client processes"
                        )
                        figures.append(http_run(root, web.pid, paths, args.http_seconds, label))
            finally:
                web.terminate()
                web.wait(30)
    os.unlink(codes_file)
    return figures


def in_process_cpu(codes: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """CPU per request of the whole Django stack (middleware, URL resolution, view, query, rendering) through
    Django's test client in this process, one thread: requests per CPU-second of one server process, the
    figure that the other jobs on a shared machine disturb least (``time.process_time``)."""
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    kinds = [("API", "/api/v1/public/dossiers/{}/")]
    if args.portal:
        kinds.append(("portal page", "/dich-vu-cong/tra-cuu/{}/"))
    out = []
    for kind, pattern in kinds:
        client = Client()
        picks = [pattern.format(code) for code in random.Random(5).choices(codes, k=args.lookups)]
        for path in picks[:100]:
            client.get(path)
        statuses: Counter[int] = Counter()
        cpu0 = time.process_time()
        for path in picks:
            statuses[client.get(path).status_code] += 1
        cpu = time.process_time() - cpu0
        print(
            f"GET {kind} in-process (Django test client, 1 thread): {cpu / len(picks) * 1000:.2f} ms CPU per "
            f"request = {len(picks) / cpu:,.0f} requests per CPU-second; answers {dict(statuses)}"
        )
        out.append({"label": kind, "cpu_ms": cpu / len(picks) * 1000, "per_cpu_second": len(picks) / cpu})
    return out


def measure(world: dict[str, Any], codes: list[str], url: str, args: argparse.Namespace) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from egov.core import context
    from egov.dossiers import selectors, services
    from egov.dossiers.models import Dossier

    figures: dict[str, Any] = {}
    centre = world["centre"]
    officer = world["officers"][centre.pk]
    rng = random.Random(11)

    # --- online submission --------------------------------------------------------------------------
    if "submit" not in args.skip:
        counts = args.processes if args.mode == "processes" else [args.threads]
        figures["submit"] = [submissions(url, world, args.mode, n, args.submissions) for n in counts]

    # --- public status -------------------------------------------------------------------------------
    if "status" not in args.skip:
        settings.EGOV_PUBLIC_STATUS_RATE = ""
        picks = [rng.choice(codes) for _ in range(args.lookups)]

        def lookup(i: int) -> None:
            if selectors.public_status(picks[i]) is None:
                raise LookupError(picks[i])

        for i in range(50):
            lookup(i)
        seconds, lat, errors = in_threads(args.threads, args.lookups, lookup)
        figures["status"] = report(f"public_status in-process ({args.threads} threads)", seconds, lat, errors)

        figures["status_cpu"] = in_process_cpu(codes, args)
        if args.http:
            figures["status_http"] = http_lookups(url, codes, args)
        else:
            local = threading.local()

            def http_lookup(i: int) -> None:
                client = getattr(local, "client", None)
                if client is None:
                    client = local.client = Client()
                response = client.get(f"/api/v1/public/dossiers/{picks[i]}/")
                if response.status_code != 200:
                    raise LookupError(f"{picks[i]}: {response.status_code}")

            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
            for i in range(50):
                http_lookup(i)
            seconds, lat, errors = in_threads(args.threads, args.lookups, http_lookup)
            figures["status_wsgi"] = report(
                f"GET /api/v1/public/dossiers/<code>/ via WSGI ({args.threads} threads)", seconds, lat, errors
            )

    # --- officer queue ---------------------------------------------------------------------------------
    if "queue" not in args.skip:

        def queue_page() -> float:
            with context.bind(request_id=context.new_request_id(), source="web"):
                t0 = time.perf_counter()
                list(selectors.officer_queue(officer)[:50])
                return (time.perf_counter() - t0) * 1000

        open_count = selectors.officer_queue(officer).count()
        times = [queue_page() for _ in range(70)][10:]
        figures["queue"] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "open": open_count}
        print(
            f"officer queue first page (50 of {open_count:,} open at the centre): p50 "
            f"{percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms"
        )

    # --- overdue scan ----------------------------------------------------------------------------------
    if "scan" not in args.skip:
        from egov.dossiers.models import OPEN_STATUSES

        open_all = Dossier.objects.filter(status__in=OPEN_STATUSES).count()
        scans = []
        for i in range(3):
            t0 = time.perf_counter()
            result = services.flag_deadlines()
            scans.append((time.perf_counter() - t0, result))
            print(
                f"flag_deadlines run {i + 1} over {open_all:,} open dossiers: {scans[-1][0]:.2f} s {result}"
            )
        figures["scan"] = {
            "first": scans[0][0],
            "steady": statistics.median(s for s, _ in scans[1:]),
            "open": open_all,
        }
    return figures


def explain(world: dict[str, Any]) -> None:
    from django.db.models import Q
    from django.utils import timezone

    from egov.dossiers import selectors
    from egov.dossiers.models import CLOCK_STATUSES, DeadlineFlag, Dossier

    officer = world["officers"][world["centre"].pk]
    print("\nEXPLAIN ANALYZE officer queue first page:")
    print(selectors.officer_queue(officer)[:50].explain(analyze=True, buffers=True))
    print("\nEXPLAIN ANALYZE overdue selection of the scan:")
    qs = Dossier.objects.filter(Q(status__in=CLOCK_STATUSES), due_at__lt=timezone.now()).exclude(
        deadline_flag=DeadlineFlag.OVERDUE
    )
    print(qs.explain(analyze=True, buffers=True))
    print("\nEXPLAIN ANALYZE public status:")
    code = Dossier.objects.order_by("-id").values_list("code", flat=True).first() or ""
    print(
        Dossier.objects.filter(code=code)
        .order_by()
        .values(*selectors.PUBLIC_FIELDS)[:1]
        .explain(analyze=True)
    )


def counts(text: str) -> list[int]:
    """``2,3,4`` → [2, 3, 4]."""
    values = [int(x) for x in text.split(",") if x.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers separated by commas: {text!r}")
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--submissions", type=int, default=3000, help="per run, split over the workers")
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes")
    parser.add_argument("--processes", type=counts, default=[4], help="e.g. 2,3,4: one run for each")
    parser.add_argument("--threads", type=int, default=4, help="--mode threads, and in-process lookups")
    parser.add_argument("--lookups", type=int, default=5000, help="in-process lookups")
    parser.add_argument("--http", action="store_true", help="lookups over HTTP against egov serve")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=counts, default=[2, 4], help="e.g. 2,4: one server for each")
    parser.add_argument("--http-clients", type=counts, default=[4, 8], help="client processes, e.g. 4,8")
    parser.add_argument("--http-seconds", type=float, default=30)
    parser.add_argument("--portal", action="store_true", help="also the portal page /dich-vu-cong/tra-cuu/")
    parser.add_argument(
        "--client",
        choices=["requests", "wrk"],
        default="requests",
        help="--http load generator: Python processes with requests.Session (--http-clients processes), or "
        "wrk (C; --http-clients connections on --wrk-threads threads)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="--client wrk: wrk's threads")
    parser.add_argument("--skip", action="append", default=[], choices=["submit", "status", "queue", "scan"])
    parser.add_argument("--database-url", help="a PostgreSQL server to create the benchmark database on")
    parser.add_argument("--keep", action="store_true", help="keep the database (only with --database-url)")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a database kept by an earlier run")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {load_average()} (other jobs share the machine)")
    with bench_database(
        args.database_url, "dossiers", keep=args.keep, settings=TUNED, reuse=args.reuse
    ) as url:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            shown = []
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers"):
                cursor.execute(f"SHOW {name}")
                shown.append(f"{name}={cursor.fetchone()[0]}")
            print(f"PostgreSQL: {', '.join(shown)}")
        find_postmaster()
        rng = random.Random(args.seed)
        if args.reuse:
            world = existing_world()
            from egov.dossiers.models import Dossier

            print(f"reused database: {Dossier.objects.count():,} dossiers")
            codes = list(Dossier.objects.order_by("?").values_list("code", flat=True)[:20000])
        else:
            started = time.perf_counter()
            world = build_world()
            print(
                f"world: {len(world['agencies'])} receiving agencies, {len(world['citizens'])} citizens "
                f"({time.perf_counter() - started:.1f} s)"
            )
            codes = load(world, args.dossiers, rng)
        connection.close()  # the worker processes connect on their own
        figures = measure(world, codes, url, args)
        explain(world)
        print("\nsummary (targets: submission 100/s with p95 < 200 ms; status 500/s with p95 < 50 ms):")
        for sub in figures.get("submit", []):
            print(f"  {sub['label']}: {sub['rate']:.0f}/s, p95 {sub['p95']:.0f} ms (load {sub['load']})")
        if "status" in figures:
            st = figures["status"]
            print(f"  status in-process: {st['rate']:.0f}/s, p95 {st['p95']:.1f} ms")
        for cpu in figures.get("status_cpu", []):
            print(f"  status {cpu['label']} in-process: {cpu['per_cpu_second']:.0f} requests per CPU-second")
        for http in figures.get("status_http", []):
            print(f"  {http['label']}: {http['rate']:.0f}/s, p95 {http['p95']:.1f} ms (load {http['load']})")
        if "status_wsgi" in figures:
            wsgi = figures["status_wsgi"]
            print(f"  status via the WSGI test client: {wsgi['rate']:.0f}/s, p95 {wsgi['p95']:.1f} ms")
        if "queue" in figures:
            print(f"  queue p95 {figures['queue']['p95']:.1f} ms (target 100 ms)")
        if "scan" in figures:
            scan = figures["scan"]
            print(f"  overdue scan first {scan['first']:.2f} s, steady {scan['steady']:.2f} s (target 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
