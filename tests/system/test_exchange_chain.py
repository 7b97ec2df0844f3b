"""The whole exchange chain with three real egov processes, each with its own database.

* **national** — the national axis (hub only): web server.
* **province** — Cần Thơ: its own hub (parent: national) and the document system of Sở Nội vụ: web + worker.
* **ministry** — Bộ Nội vụ's document system, connected to the national axis: worker.

A document issued by the province's Sở Nội vụ travels province outbox → province hub → national hub →
ministry; the ministry's clerk registers it and its handling advances; statuses 01, 03, 04, 05, 06 travel
back the same way to the province's outgoing page. Then the national hub is killed (SIGKILL) and restarted in
the middle of a burst of packets sent to the ministry: every packet arrives exactly once.

The databases are SQLite files, or fresh PostgreSQL databases on the test server when the suite runs on
PostgreSQL. Runs in a few minutes; ``EGOV_CHAIN_BURST`` sets the burst size (default 1,000).
"""

from __future__ import annotations

import concurrent.futures
import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.chain]

BURST = int(os.environ.get("EGOV_CHAIN_BURST", "1000"))
NATIONAL_SECRET_PROVINCE = "province-at-national-secret-0123456789"
NATIONAL_SECRET_MINISTRY = "ministry-at-national-secret-0123456789"
NATIONAL_SECRET_BURST = "burst-sender-at-national-secret-012345"
PROVINCE_SELF_SECRET = "province-agency-side-secret-0123456789"
SNV, BNV, SENDER = "000.00.01.H92", "000.00.00.G09", "000.00.00.G22"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    name: str
    root: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EGOV_", "DATABASE_"))}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "EGOV_VAR_DIR": str(self.root),
                "EGOV_ALLOWED_HOSTS": "127.0.0.1",
                "EGOV_WORKER_HEARTBEAT_SECONDS": "1",
                "EGOV_EXCHANGE_POLL_SECONDS": "1",
                "EGOV_EXCHANGE_HUB_ID": self.name,
                "EGOV_EXCHANGE_TIMEOUT": "20",
                "EGOV_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                "SECRET_KEY": f"chain-test-{self.name}-" + "x" * 40,
            }
        )
        env.update(self.env)
        return env

    def run(self, *args: str, timeout: float = 300) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "egov", *args],
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert out.returncode == 0, f"{self.name}: egov {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
        return out.stdout

    def shell(self, code: str, timeout: float = 300) -> str:
        return self.run("manage", "shell", "-c", textwrap.dedent(code), timeout=timeout)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{args[0]}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "egov", *args],
            env=self.environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def serve(self) -> subprocess.Popen[bytes]:
        proc = self.start("serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "2")
        wait_for(lambda: http_ok(f"{self.url}/healthz"), 60, f"{self.name} web server")
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def parallel(jobs: list[Callable[[], object]]) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def http_ok(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def chain_databases(tmp_path: Path) -> Iterator[dict[str, str]]:
    """One database per instance, on the same kind of server the suite runs on."""
    test_url = os.environ.get("DATABASE_URL", "")
    if not test_url.startswith("postgres"):
        yield {
            name: f"sqlite:///{tmp_path / name / 'egov.sqlite3'}"
            for name in ("national", "province", "ministry")
        }
        return
    import psycopg

    base, _, _dbname = test_url.rpartition("/")
    suffix = uuid.uuid4().hex[:8]
    names = {name: f"egov_chain_{name}_{suffix}" for name in ("national", "province", "ministry")}
    with psycopg.connect(test_url, autocommit=True) as conn:
        for db in names.values():
            conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield {name: f"{base}/{db}" for name, db in names.items()}
    finally:
        with psycopg.connect(test_url, autocommit=True) as conn:
            for db in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture
def chain(tmp_path: Path, chain_databases: dict[str, str]) -> Iterator[dict[str, Instance]]:
    national = Instance("national", tmp_path / "national", chain_databases["national"])
    province = Instance("province", tmp_path / "province", chain_databases["province"])
    ministry = Instance("ministry", tmp_path / "ministry", chain_databases["ministry"])
    for inst in (national, province, ministry):
        inst.root.mkdir(parents=True, exist_ok=True)
    province.env.update(
        {
            "EGOV_EXCHANGE_HUB_URL": f"{province.url}/lgsp/v1/",
            "EGOV_EXCHANGE_SYSTEM_ID": "tinh-can-tho-qlvb",
            "EGOV_EXCHANGE_SECRET": PROVINCE_SELF_SECRET,
            "EGOV_EXCHANGE_PARENT_URL": f"{national.url}/lgsp/v1/",
            "EGOV_EXCHANGE_PARENT_SYSTEM_ID": "truc-can-tho",
            "EGOV_EXCHANGE_PARENT_SECRET": NATIONAL_SECRET_PROVINCE,
        }
    )
    ministry.env.update(
        {
            "EGOV_EXCHANGE_HUB_URL": f"{national.url}/lgsp/v1/",
            "EGOV_EXCHANGE_SYSTEM_ID": "qlvb-bo-noi-vu",
            "EGOV_EXCHANGE_SECRET": NATIONAL_SECRET_MINISTRY,
        }
    )
    parallel([lambda i=i: i.run("migrate", "--noinput", timeout=600) for i in (national, province, ministry)])
    national_setup = f"""
        from egov.exchange import hub
        p, _ = hub.register_system(actor=None, system_id="truc-can-tho", name="Trục tỉnh Cần Thơ",
                                   secret="{NATIONAL_SECRET_PROVINCE}")
        hub.register_organ(actor=None, system=p, organ_id="{SNV}", name="Sở Nội vụ thành phố Cần Thơ")
        m, _ = hub.register_system(actor=None, system_id="qlvb-bo-noi-vu", name="QLVB Bộ Nội vụ",
                                   secret="{NATIONAL_SECRET_MINISTRY}")
        hub.register_organ(actor=None, system=m, organ_id="{BNV}", name="Bộ Nội vụ")
        s, _ = hub.register_system(actor=None, system_id="qlvb-vpcp", name="QLVB VPCP",
                                   secret="{NATIONAL_SECRET_BURST}")
        hub.register_organ(actor=None, system=s, organ_id="{SENDER}", name="Văn phòng Chính phủ")
    """
    people = """
        def person(username, agency, role, title):
            u = d.create_staff_user(actor=None, username=username, full_name=username.title(),
                                    password="Chain-Test-2026!")
            d.assign_position(actor=None, user=u, agency=agency, role=role, title=title)
            return u
    """
    province_setup = f"""
        from egov.directory import services as d
        from egov.directory.models import Agency, Role
        from egov.documents import services as s
        from egov.documents.doctypes import ensure_document_types
        from egov.signing import services as sig
        from egov.exchange import hub
        {textwrap.indent(textwrap.dedent(people), "        ").strip()}
        ensure_document_types()
        p = d.create_agency(actor=None, kind="province", name="Ủy ban nhân dân thành phố Cần Thơ",
                            short_name="UBND", code_qcvn102="000.00.00.H92")
        snv = d.create_agency(actor=None, parent=p, kind="department", name="Sở Nội vụ thành phố Cần Thơ",
                              short_name="SNV", code_qcvn102="{SNV}")
        unit = d.create_agency(actor=None, parent=snv, kind="unit", name="Phòng Tổ chức", short_name="TC")
        for i in range(3):
            d.create_agency(actor=None, parent=p, kind="commune", name=f"Ủy ban nhân dân phường {{i + 1}}",
                            short_name="UBND")
        d.create_agency(actor=None, kind="ministry", name="Bộ Nội vụ", short_name="BNV", code_qcvn102="{BNV}")
        s.ensure_default_registers(actor=None, agency=snv)
        person("vanthu", snv, Role.CLERK, "Văn thư")
        leader = person("giamdoc", snv, Role.LEADER, "Giám đốc")
        person("chuyenvien", unit, Role.SPECIALIST, "Chuyên viên")
        sig.ensure_builtin_ca(actor=None)
        sig.issue_personal_certificate(actor=None, user=leader, agency=snv)
        sig.issue_agency_certificate(actor=None, agency=snv)
        me, _ = hub.register_system(actor=None, system_id="tinh-can-tho-qlvb", name="QLVB Cần Thơ",
                                    secret="{PROVINCE_SELF_SECRET}")
        hub.register_organ(actor=None, system=me, organ_id="{SNV}", name=snv.name, agency=snv)
        hub.register_system(actor=None, system_id="truc-quoc-gia", name="Trục quốc gia", is_parent=True)
    """
    ministry_setup = f"""
        from egov.directory import services as d
        from egov.directory.models import Agency, Role
        from egov.documents import services as s
        from egov.documents.doctypes import ensure_document_types
        {textwrap.indent(textwrap.dedent(people), "        ").strip()}
        ensure_document_types()
        bnv = d.create_agency(actor=None, kind="ministry", name="Bộ Nội vụ", short_name="BNV",
                              code_qcvn102="{BNV}")
        vp = d.create_agency(actor=None, parent=bnv, kind="unit", name="Văn phòng Bộ", short_name="VP")
        s.ensure_default_registers(actor=None, agency=bnv)
        person("vanthu", bnv, Role.CLERK, "Văn thư")
        person("chanhvanphong", bnv, Role.LEADER, "Chánh Văn phòng")
        person("chuyenvien", vp, Role.SPECIALIST, "Chuyên viên")
    """
    parallel(
        [
            lambda: national.shell(national_setup),
            lambda: province.shell(province_setup),
            lambda: ministry.shell(ministry_setup),
        ]
    )
    parallel([national.serve, province.serve])
    province.start("worker", "--interval", "0.2")
    ministry.start("worker", "--interval", "0.2")
    try:
        yield {"national": national, "province": province, "ministry": ministry}
    finally:
        for inst in (ministry, province, national):
            inst.stop()


def query(inst: Instance, sql: str) -> list[tuple[object, ...]]:
    """Read an instance's database directly (cheaper than starting a Django shell to poll)."""
    if inst.database_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(inst.database_url.removeprefix("sqlite:///"), timeout=30) as conn:
            return list(conn.execute(sql).fetchall())
    import psycopg

    with psycopg.connect(inst.database_url) as conn:
        return list(conn.execute(sql).fetchall())


def count(inst: Instance, table: str, where: str = "1=1") -> int:
    return int(query(inst, f"SELECT COUNT(*) FROM {table} WHERE {where}")[0][0])  # noqa: S608 - test constants


def test_chain_province_national_ministry(chain: dict[str, Instance]) -> None:
    province, ministry, national = chain["province"], chain["ministry"], chain["national"]
    started = time.monotonic()

    def phase(what: str) -> None:
        print(f"chain: {time.monotonic() - started:6.1f} s  {what}", flush=True)

    # 1. The province issues a signed document to Bộ Nội vụ (an agency outside the province).
    province.shell("""
        from egov.directory.models import Agency, User
        from egov.documents import outgoing
        from egov.documents.models import DocumentType
        from egov.documents.tests.conftest import NamedBytes, pdf_bytes
        snv = Agency.objects.get(short_name="SNV")
        u = {x.username: x for x in User.objects.all()}
        doc = outgoing.create_draft(actor=u["chuyenvien"], agency=snv,
                                    document_type=DocumentType.objects.get(code="cong-van"),
                                    subject="Báo cáo kết quả cải cách hành chính năm 2026",
                                    drafting_unit=Agency.objects.get(short_name="TC"),
                                    recipients=[Agency.objects.get(short_name="BNV")],
                                    files=[NamedBytes(pdf_bytes(), "bao-cao.pdf")])
        outgoing.submit(actor=u["chuyenvien"], document=doc)
        outgoing.review(actor=u["giamdoc"], document=doc, approve=True)
        outgoing.approve(actor=u["giamdoc"], document=doc)
        outgoing.sign(actor=u["giamdoc"], document=doc)
        outgoing.issue(actor=u["vanthu"], document=doc)
    """)
    phase("issued at the province")
    # 2. It reaches the ministry's register through both hubs.
    wait_for(
        lambda: count(ministry, "documents_incomingdocument") == 1,
        180,
        "the document at the ministry (province → national → ministry)",
        interval=2,
    )
    out = ministry.shell("""
        from egov.documents.models import IncomingDocument
        d = IncomingDocument.objects.get()
        print("DOC", d.status, d.source, d.code_notation, d.attachments.count(), d.issuing_agency_name)
    """)
    assert "DOC received exchange SNV-TC 1 Sở Nội vụ thành phố Cần Thơ" in out

    phase("registered at the ministry")
    # 3. The ministry's clerk registers it, the leader assigns it, the specialist handles and completes it.
    ministry.shell("""
        import time
        from egov.directory.models import User
        from egov.documents import services as s
        from egov.documents.models import IncomingDocument
        u = {x.username: x for x in User.objects.all()}
        d = IncomingDocument.objects.get()
        s.accept_received(actor=u["vanthu"], document=d)
        s.present(actor=u["vanthu"], document=d)
        time.sleep(1.1)
        s.assign(actor=u["chanhvanphong"], document=d, direction="Văn phòng Bộ nghiên cứu, tham mưu",
                 lead=s.AssignmentSpec("lead", user=u["chuyenvien"]), deadline_working_days=5)
        time.sleep(1.1)
        s.add_opinion(actor=u["chuyenvien"], document=d, text="Đang tổng hợp")
        time.sleep(1.1)
        s.complete(actor=u["chuyenvien"], document=d, summary="Đã tổng hợp vào báo cáo chung")
    """)
    phase("handled at the ministry")
    # 4. Statuses 01, 03, 04, 05, 06 arrive back at the province's outgoing page, in order.
    wait_for(
        lambda: count(province, "exchange_recipientstatus") == 5,
        240,
        "statuses back at the province",
        interval=2,
    )
    history = "SELECT status_code FROM exchange_recipientstatus ORDER BY {}, id"
    assert [r[0] for r in query(province, history.format("reported_at"))] == ["01", "03", "04", "05", "06"]
    assert [r[0] for r in query(province, history.format("received_at"))] == ["01", "03", "04", "05", "06"]
    assert query(province, "SELECT status_code FROM documents_outgoingrecipient") == [("06",)]

    phase("statuses back at the province")
    # 5. A burst of packets to the ministry; the national hub is killed and restarted in the middle.
    from egov.exchange.client import HubUnavailable, LgspClient
    from egov.exchange.edxml import Organization, packet_to_bytes
    from egov.exchange.tests.helpers import document_packet

    sender = LgspClient(f"{national.url}/lgsp/v1/", "qlvb-vpcp", NATIONAL_SECRET_BURST, timeout=20)
    to = [Organization(organ_id=BNV, organ_name="Bộ Nội vụ")]
    frm = Organization(organ_id=SENDER, organ_name="Văn phòng Chính phủ")
    accepted: dict[int, str] = {}
    web = national.procs[0]

    def kill_hub() -> None:  # at an arbitrary moment, very likely in the middle of a request
        time.sleep(0.37)
        os.killpg(web.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_hub)
    failures = 0
    for i in range(BURST):
        packet = document_packet(
            sender=frm, recipients=to, document_id=f"{SENDER},2026/11/22,{i + 1}/VPCP-TH", attachments=[]
        )
        data = packet_to_bytes(packet)
        if i == BURST // 3:
            killer.start()
        for _attempt in range(240):
            try:
                accepted[i] = sender.send(io.BytesIO(data))  # a resend after a lost answer is deduplicated
                break
            except HubUnavailable:
                failures += 1
                if web.poll() is not None and web in national.procs:
                    national.procs.remove(web)
                    national.serve()  # the operator (or systemd) restarts the hub
                time.sleep(0.25)
        else:
            raise AssertionError(f"packet {i} never accepted")
    killer.join()
    phase(f"burst of {BURST} accepted by the national hub ({failures} refused while it was down)")
    assert web.poll() is not None and failures > 0, "the hub was not killed during the burst"
    assert len(accepted) == BURST and len(set(accepted.values())) == BURST
    burst_rows = "issuing_agency_name = 'Văn phòng Chính phủ'"
    wait_for(
        lambda: count(ministry, "documents_incomingdocument", burst_rows) == BURST,
        900,
        f"{BURST} packets at the ministry",
        interval=2,
    )
    phase(f"burst of {BURST} registered at the ministry")
    out = ministry.shell("""
        from django.db.models import Count
        from egov.documents.models import IncomingDocument
        qs = IncomingDocument.objects.filter(issuing_agency_name="Văn phòng Chính phủ")
        dups = qs.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count()
        print("BURST", qs.count(), qs.values("external_id").distinct().count(), dups)
    """)
    assert f"BURST {BURST} {BURST} 0" in out
