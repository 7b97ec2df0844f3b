"""Benchmark of incoming registration (vào sổ văn bản đến) by concurrent clerks on PostgreSQL.

Run: ``.venv/bin/python bench/documents_register.py [--clerks 4] [--per-clerk 250] [--agencies 1]
[--mode processes|threads] [--with-pdf] [--database-url postgres://user@host:port/db]``. Without
``--database-url`` a throwaway PostgreSQL cluster (``fsync`` on, the durable default) is started in a
temporary directory (see ``documents_pgcluster.py``).

Each clerk — a separate process by default, as gunicorn workers are — calls ``services.register_incoming``
(validation, document row, number from the register counter taken last, timeline event, audit row, all in
one transaction) as fast as it can, after a common start signal, each call as one request (its own request
id). ``--agencies 1`` puts every clerk on the same register, the worst case: the counter row is locked by
each registration from the number to the commit. Printed: the
sustained rate (documents / wall time from the first start to the last end), latency p50/p95/max, the
clerks' CPU per registration, what their database sessions were doing (lock waits named by queue: register
counter row, audit chain head), and the checks — arrival numbers unique and gap-free in every register,
counters equal to the last number, every audit chain intact. Target (issue #3): 100 registrations/s
sustained with concurrent clerks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections import Counter
from typing import Any

from documents_pgcluster import TUNED, bench_database, percentile, setup_django

SUBJECTS = 40


def _pdf() -> bytes:
    from egov.documents.demo import Letter, render_letter

    return render_letter(
        Letter(
            body_above="ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ",
            issuer="SỞ TÀI CHÍNH",
            number_notation="125/STC-NS",
            place="Cần Thơ",
            date=dt.date(2026, 11, 5),
            type_name="Công văn",
            subject="Về việc báo cáo tình hình thực hiện dự toán ngân sách năm 2026",
            body=["Sở Tài chính đề nghị các cơ quan, đơn vị báo cáo tình hình thực hiện dự toán./."],
            recipients=["- Các sở, ban, ngành;"],
            authority=["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"],
            signer="Nguyễn Văn An",
            cong_van=True,
        )
    )


def clerk_loop(clerk_id: int, username: str, agency_id: int, count: int, with_pdf: bool, start: Any) -> dict:
    """One clerk: ``count`` registrations; returns latencies and the wall-clock span."""
    import random

    from django.db import connection

    from egov.core import context
    from egov.directory.models import Agency, User
    from egov.documents import demo, services
    from egov.documents.models import DocumentType

    rng = random.Random(clerk_id)
    clerk = User.objects.get(username=username)
    agency = Agency.objects.get(pk=agency_id)
    cong_van = DocumentType.objects.get(code="cong-van")
    pdf = _pdf() if with_pdf else b""
    subjects = [demo.subject_for(rng, "cong-van") for _ in range(SUBJECTS)]
    latencies: list[float] = []
    errors: list[str] = []
    start.wait()
    began = time.time()
    cpu = time.thread_time()
    for i in range(count):
        t0 = time.perf_counter()
        # one registration = one API request: its own request id, so per-request caches start empty
        with context.bind(source="api", request_id=context.new_request_id()):
            try:
                files = None
                if with_pdf:
                    upload = io.BytesIO(pdf)
                    upload.name = f"{clerk_id}-{i}.pdf"
                    files = [upload]
                services.register_incoming(
                    actor=clerk,
                    agency=agency,
                    document_type=cong_van,
                    subject=subjects[i % SUBJECTS],
                    issuing_agency_name=rng.choice(demo.CENTRAL)[0],
                    code_number=f"{rng.randint(1, 2400):02d}",
                    code_notation="BNV-VP",
                    issued_date=dt.date.today() - dt.timedelta(days=rng.randint(0, 5)),
                    files=files,
                )
            except Exception as exc:  # report, keep going: the checks below say whether numbering held
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - t0)
    ended = time.time()
    cpu = time.thread_time() - cpu
    connection.close()
    return {"latencies": latencies, "began": began, "ended": ended, "errors": errors, "cpu": cpu}


def _disconnect_reporting_facts() -> None:
    """Diagnostics (``--without-reporting-facts``): the reporting app's receivers write the agency's fact
    rows when a document is inserted or changed; this measures the documents code path without them."""
    from django.db.models.signals import post_delete, post_init, post_save, pre_save

    from egov.documents.models import IncomingDocument

    uid = "reporting-facts-documents.IncomingDocument"
    post_init.disconnect(sender=IncomingDocument, dispatch_uid=uid + "-init")
    pre_save.disconnect(sender=IncomingDocument, dispatch_uid=uid + "-pre")
    post_save.disconnect(sender=IncomingDocument, dispatch_uid=uid + "-post")
    post_delete.disconnect(sender=IncomingDocument, dispatch_uid=uid + "-del")


def _process_main(url: str, args: tuple, start: Any, results: Any, without_facts: bool = False) -> None:
    setup_django(url)
    if without_facts:
        _disconnect_reporting_facts()
    results.put(clerk_loop(*args, start))


def _lock_owner(query: str) -> str:
    """Which queue a lock wait is in, from the statement that waits (row locks all show as
    ``transactionid``/``tuple``)."""
    if "registercounter" in query:
        return " (register counter row)"
    if "audit_auditchain" in query or "advisory" in query:
        return " (audit chain head)"
    return ""


class WaitSampler(threading.Thread):
    """Samples what the clerks' database sessions are doing every 20 ms (pg_stat_activity): running, waiting
    for a lock (which one), or idle in the client (Python at work)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: Counter[str] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                ).fetchall()
                for state, kind, event, query in rows:
                    if state == "active" and kind == "Lock":
                        self.samples[f"waiting for lock: {event}{_lock_owner(query)}"] += 1
                    elif state == "active":
                        self.samples["running in PostgreSQL" + (f" ({kind}: {event})" if kind else "")] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.samples["idle in transaction (client working, locks held)"] += 1
                    else:
                        self.samples[f"{state} (client working)"] += 1
                time.sleep(0.02)


def build_world(clerks: int, agencies: int) -> list[tuple[str, int]]:
    from egov.core import context
    from egov.directory import services as directory
    from egov.directory.models import Agency, Role
    from egov.documents import services

    with context.bind(source="cli"):
        province = directory.create_agency(
            actor=None, kind=Agency.Kind.PROVINCE, name="Ủy ban nhân dân Thành phố Cần Thơ", short_name="UBND"
        )
        offices = []
        for i in range(agencies):
            office = directory.create_agency(
                actor=None,
                parent=province,
                kind=Agency.Kind.DEPARTMENT,
                name=f"Sở thử nghiệm {i + 1}",
                short_name=f"STN{i + 1}",
            )
            services.ensure_default_registers(actor=None, agency=office)
            offices.append(office)
        people = []
        for c in range(clerks):
            office = offices[c % agencies]
            user = directory.create_staff_user(
                actor=None, username=f"vanthu{c + 1}", full_name=f"Văn thư {c + 1}"
            )
            directory.assign_position(actor=None, user=user, agency=office, role=Role.CLERK)
            people.append((user.username, office.pk))
    return people


def verify() -> list[str]:
    from egov.audit.services import verify as verify_audit
    from egov.documents.models import IncomingDocument, RegisterCounter

    problems = []
    for counter in RegisterCounter.objects.all():
        numbers = list(
            IncomingDocument.objects.filter(register_id=counter.register_id, arrival_year=counter.year)
            .order_by("arrival_number")
            .values_list("arrival_number", flat=True)
        )
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"register {counter.register_id}/{counter.year}: numbers not 1..{len(numbers)}")
        if counter.last_number != len(numbers):
            problems.append(f"register {counter.register_id}/{counter.year}: counter {counter.last_number}")
    check = verify_audit()
    if not check.ok:
        problems.append(f"audit chain broken: {check}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clerks", type=int, default=4)
    parser.add_argument("--per-clerk", type=int, default=250)
    parser.add_argument("--agencies", type=int, default=1, help="clerks are spread over this many agencies")
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes")
    parser.add_argument("--with-pdf", action="store_true", help="attach a one-page PDF to each registration")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the benchmark database on")
    parser.add_argument(
        "--without-reporting-facts",
        action="store_true",
        help="diagnostics: disconnect the reporting app's fact receivers in the clerks",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting of the throwaway cluster (diagnostics, e.g. synchronous_commit=off)",
    )
    args = parser.parse_args()
    settings = {**TUNED, **dict(item.split("=", 1) for item in args.pg_setting)}

    with bench_database(args.database_url, "register", settings=settings) as url:
        setup_django(url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
        people = build_world(args.clerks, args.agencies)
        connection.close()
        print(f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync})")
        print(
            f"{args.clerks} clerks ({args.mode}) × {args.per_clerk} registrations, {args.agencies} agenc"
            f"{'y' if args.agencies == 1 else 'ies'}{', with a PDF each' if args.with_pdf else ''}"
        )
        jobs = [(i, name, agency, args.per_clerk, args.with_pdf) for i, (name, agency) in enumerate(people)]
        results: list[dict] = []
        if args.mode == "processes":
            ctx = multiprocessing.get_context("spawn")
            start = ctx.Event()
            out = ctx.Queue()
            procs = [
                ctx.Process(target=_process_main, args=(url, job, start, out, args.without_reporting_facts))
                for job in jobs
            ]
            for p in procs:
                p.start()
            time.sleep(8)  # let every process start Django and load its clerk
            print("load average at the start:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
            sampler = WaitSampler(url)
            sampler.start()
            start.set()
            for _ in procs:
                results.append(out.get(timeout=3600))
            for p in procs:
                p.join()
        else:
            if args.without_reporting_facts:
                _disconnect_reporting_facts()
            start_t = threading.Event()
            out_t: queue.Queue = queue.Queue()
            threads = [
                threading.Thread(target=lambda job=job: out_t.put(clerk_loop(*job, start_t))) for job in jobs
            ]
            for t in threads:
                t.start()
            time.sleep(2)
            sampler = WaitSampler(url)
            sampler.start()
            start_t.set()
            for t in threads:
                t.join()
            while not out_t.empty():
                results.append(out_t.get())

        sampler.stop.set()
        latencies = [x for r in results for x in r["latencies"]]
        errors = [e for r in results for e in r["errors"]]
        wall = max(r["ended"] for r in results) - min(r["began"] for r in results)
        done = len(latencies) - len(errors)
        print(f"registered {done} documents in {wall:.2f} s: {done / wall:.1f} documents/s sustained")
        print("load average after the run (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
        print(
            f"latency per registration: p50 {percentile(latencies, 50) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
        )
        cpu = sum(r["cpu"] for r in results)
        print(
            f"clerk processes' CPU: {cpu / len(latencies) * 1000:.1f} ms per registration "
            f"({cpu / wall:.2f} cores busy on average)"
        )
        total = sum(sampler.samples.values()) or 1
        print("clerk sessions, sampled every 20 ms:")
        for what, n in sampler.samples.most_common(6):
            print(f"  {100 * n / total:5.1f} %  {what}")
        if errors:
            print(f"errors: {len(errors)}; first: {errors[0]}")
        from django.db.models import Count

        from egov.audit.models import AuditEntry

        per_chain = AuditEntry.objects.order_by("chain").values_list("chain").annotate(n=Count("id"))
        print("audit rows per chain:", ", ".join(f"{chain}: {n}" for chain, n in per_chain))
        problems = verify()
        print("arrival numbers unique and gap-free, counters right, audit chains intact:", not problems)
        for problem in problems:
            print("  PROBLEM:", problem)
        from django.db import connection as conn

        conn.close()
        ok = not problems and not errors and done / wall >= 100
        print("RESULT:", "OK (≥ 100/s)" if ok else "TARGET MISSED or inconsistent")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
