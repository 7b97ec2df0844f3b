"""Benchmark of the exchange hub: signed ~100 KB edXML packets sent to the hub over HTTP into PostgreSQL,
with signature verification and durable storage (fsync of the file and its directory, then commit) before
each answer.

Run: ``.venv/bin/python bench/exchange_hub.py [--interface lgsp|api] [--duration 300] [--packets 400]
[--senders 8] [--web-workers 2] [--threads 4] [--size-kb 100] [--database-url postgres://...]``.

* ``--interface lgsp`` sends with ``POST /lgsp/v1/sendEdoc`` (multipart, as existing document systems do);
  ``api`` with egov's own ``POST /api/v1/exchange/packets/`` (the packet is the raw request body).
* Without ``--duration`` each of the ``--packets`` prepared packets is sent once. With ``--duration S`` the
  senders keep going for S seconds (issue #4: ``--duration 300``): packet *i* is prepared packet
  ``i mod --packets`` followed by the comment ``<!-- bench i -->`` after its root element. The bytes (so the
  content key) differ, the signature stays valid (exclusive C14N leaves comments out), and the hub does all
  of its work for every packet: stream, store, parse, verify, route, commit.
* Without ``--database-url`` it starts a throwaway PostgreSQL cluster (see ``documents_pgcluster.py``).

A recipient polls its inbox (``/api/v1/exchange/inbox/?since=…``) every 0.2 s. Printed: the rate (overall
and per 30 s window), p50/p95/max of the send (the packet is durable and available when the answer comes),
send → listed for the recipient, errors, the hub's CPU time per packet (user + system of the gunicorn
processes: the figure least distorted by other jobs on a shared machine), the largest hub process RSS and
the load average. Target (issue #4): 200 packets/s of 100 KB sustained for 5 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from documents_pgcluster import _free_port, bench_database, percentile, setup_django

SENDER_SECRET = "bench-sender-secret-0123456789abcdef"
RECIPIENT_SECRET = "bench-recipient-secret-0123456789abcd"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", choices=["lgsp", "api"], default="lgsp")
    parser.add_argument(
        "--duration", type=float, default=0, help="seconds of sustained sending (0: each once)"
    )
    parser.add_argument("--packets", type=int, default=400, help="distinct signed packets prepared")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--size-kb", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with bench_database(args.database_url, "hub") as url:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        from egov.exchange import hub
        from egov.exchange.edxml import Attachment, Organization, PacketSigner, packet_to_bytes
        from egov.exchange.tests.helpers import document_packet

        sender, _ = hub.register_system(actor=None, system_id="bench-a", name="A", secret=SENDER_SECRET)
        receiver, _ = hub.register_system(actor=None, system_id="bench-b", name="B", secret=RECIPIENT_SECRET)
        hub.register_organ(actor=None, system=sender, organ_id="000.00.00.G22", name="Gửi")
        hub.register_organ(actor=None, system=receiver, organ_id="000.00.00.G09", name="Nhận")

        import datetime as dt

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư bench")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        signer = PacketSigner(key=key, certificates=[cert])
        body = os.urandom(args.size_kb * 1024 * 3 // 4)  # base64 makes it ~size_kb in the packet
        t0 = time.perf_counter()
        pool: list[bytes] = []
        for i in range(args.packets):
            packet = document_packet(
                sender=Organization(organ_id="000.00.00.G22", organ_name="Gửi"),
                recipients=[Organization(organ_id="000.00.00.G09", organ_name="Nhận")],
                document_id=f"000.00.00.G22,2026/11/22,{i + 1}/BENCH",
                attachments=[
                    Attachment(
                        name=f"phu-luc-{i}.bin",
                        content_type="application/octet-stream",
                        source=body + i.to_bytes(4, "big"),
                    )
                ],
            )
            pool.append(packet_to_bytes(packet, signer=signer))
        size = len(pool[0])
        print(
            f"prepared {args.packets} signed packets of {size / 1024:.0f} KB "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "EGOV_LOG_LEVEL": "WARNING",
            "SECRET_KEY": "b" * 50,
            "EGOV_DB_CONN_MAX_AGE": "60",
        }
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "egov",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.web_workers),
                "--threads",
                str(args.threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        import requests

        root = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                requests.get(f"{root}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.5)

        sent_at: dict[str, float] = {}
        listed_at: dict[str, float] = {}
        done: list[tuple[float, float]] = []  # (finished at, latency)
        errors: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()
        counter = iter(range(10**9))
        limit = args.packets if not args.duration else None
        deadline = [0.0]

        def next_packet() -> tuple[int, bytes] | None:
            with lock:
                i = next(counter)
            if limit is not None:
                return (i, pool[i]) if i < limit else None
            if time.perf_counter() >= deadline[0]:
                return None
            return i, pool[i % len(pool)] + f"\n<!-- bench {i} -->\n".encode()

        boundary = "egov-bench-7MA4YWxkTrZu0gW"
        multipart_head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="messageType"\r\n\r\nedoc\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="edocFile"; '
            'filename="packet.edxml"\r\n'
            "Content-Type: application/xml\r\n\r\n"
        ).encode()
        multipart_tail = f"\r\n--{boundary}--\r\n".encode()

        def send_loop() -> None:
            """One keep-alive connection per sender (``http.client``: the load generator should cost
            the two cores as little as possible); the multipart body is written as bytes, as a document
            system would send it."""
            import http.client
            import json

            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"X-SystemId": "bench-a", "X-SecretKey": SENDER_SECRET}
            if args.interface == "lgsp":
                path = "/lgsp/v1/sendEdoc"
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                path = "/api/v1/exchange/packets/"
                headers["Content-Type"] = "application/xml"
            while (item := next_packet()) is not None:
                _, data = item
                body = multipart_head + data + multipart_tail if args.interface == "lgsp" else data
                start = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    response = conn.getresponse()
                    status, answer = response.status, json.loads(response.read())
                    if args.interface == "lgsp":
                        doc_id = answer.get("docId") if answer.get("success") else None
                    else:
                        doc_id = answer.get("id") if status == 201 else None
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    answer, doc_id = {"exception": repr(exc)}, None
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                end = time.perf_counter()
                with lock:
                    if doc_id is None:
                        errors.append(str(answer)[:300])
                        continue
                    done.append((end, end - start))
                    sent_at[doc_id] = start
            conn.close()

        def poll_loop() -> None:
            session = requests.Session()
            headers = {"X-SystemId": "bench-b", "X-SecretKey": RECIPIENT_SECRET}
            since = ""
            while not stop.is_set():
                next_url: str | None = f"{root}/api/v1/exchange/inbox/"
                params: dict[str, str] | None = {"page_size": "1000", **({"since": since} if since else {})}
                while next_url:
                    try:
                        page = session.get(next_url, headers=headers, params=params, timeout=60).json()
                    except (requests.RequestException, ValueError):
                        break
                    now = time.perf_counter()
                    for item in page.get("results", []):
                        listed_at.setdefault(item["packet"], now)
                        # Rows commit out of created_at order (by at most one transaction's time, well
                        # under a second here): look one second back. Every row is listed (the run
                        # prints "listed n/n"), and each poll re-reads ~1 s of rows, not the whole inbox.
                        seen = dt.datetime.fromisoformat(item["created_at"]) - dt.timedelta(seconds=1)
                        since = max(since, seen.isoformat())
                    next_url, params = page.get("next"), None
                stop.wait(0.2)

        peak_rss = [0]

        def hub_pids() -> list[int]:
            return [web.pid, *children(web.pid)]

        def rss_loop() -> None:
            while not stop.is_set():
                for pid in hub_pids():
                    try:
                        kb = int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
                    except (OSError, IndexError, ValueError):
                        continue
                    peak_rss[0] = max(peak_rss[0], kb)
                stop.wait(0.5)

        poller = threading.Thread(target=poll_loop)
        rss = threading.Thread(target=rss_loop)
        poller.start()
        rss.start()
        cpu0 = sum(cpu_seconds(pid) for pid in hub_pids())
        database = url.rsplit("/", 1)[-1].split("?")[0]
        pg0, own0, machine0 = postgres_cpu_seconds(database), own_cpu_seconds(), machine_cpu_seconds()
        t0 = time.perf_counter()
        deadline[0] = t0 + args.duration
        senders = [threading.Thread(target=send_loop) for _ in range(args.senders)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        elapsed = time.perf_counter() - t0
        cpu = sum(cpu_seconds(pid) for pid in hub_pids()) - cpu0
        pg_cpu = postgres_cpu_seconds(database) - pg0
        own_cpu = own_cpu_seconds() - own0
        machine_cpu = machine_cpu_seconds() - machine0
        load = os.getloadavg()
        wait_until = time.time() + 60
        while len(listed_at) < len(sent_at) and time.time() < wait_until:
            time.sleep(0.2)
        stop.set()
        poller.join()
        rss.join()
        web.terminate()
        web.wait(30)

        latencies = [lat for _, lat in done]
        visible = [listed_at[d] - sent_at[d] for d in sent_at if d in listed_at]
        print(
            f"hub: {args.interface} interface, {args.web_workers} gunicorn workers x {args.threads} threads, "
            f"{args.senders} concurrent senders, PostgreSQL; load average at the end "
            f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
        print(
            f"accepted {len(latencies)} packets of {size / 1024:.0f} KB in {elapsed:.1f} s: "
            f"{len(latencies) / elapsed:.1f} packets/s ({len(latencies) * size / elapsed / 1e6:.1f} MB/s); "
            f"errors {len(errors)}"
        )
        if args.duration >= 60:
            windows = []
            for w in range(int(elapsed // 30)):
                n = sum(1 for end, _ in done if t0 + 30 * w <= end < t0 + 30 * (w + 1))
                windows.append(f"{n / 30:.0f}")
            print("packets/s per 30 s window:", " ".join(windows))
        if latencies:
            print(
                f"send latency (durable, available): p50 {percentile(latencies, 50) * 1000:.0f} ms, "
                f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
            )
            print(
                f"hub CPU (gunicorn processes, user+system): {cpu / len(latencies) * 1000:.1f} ms per packet"
            )
            n = len(latencies)
            print(
                f"CPU per packet: PostgreSQL {pg_cpu / n * 1000:.1f} ms, this benchmark (senders, poller) "
                f"{own_cpu / n * 1000:.1f} ms, whole machine {machine_cpu / n * 1000:.1f} ms "
                f"(of {os.cpu_count()} cores: {machine_cpu / elapsed:.2f} busy)"
            )
        if visible:
            print(
                "send → listed for the recipient (poll every 0.2 s): "
                f"p50 {percentile(visible, 50) * 1000:.0f} ms, "
                f"p95 {percentile(visible, 95) * 1000:.0f} ms; listed {len(visible)}/{len(sent_at)}"
            )
        print(f"largest hub process RSS: {peak_rss[0] / 1024:.0f} MiB")
        if errors:
            print("first error:", errors[0])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL server that holds ``database``: its postmaster (with the CPU of the backends
    that have exited) and every process it runs (backends, WAL writer, checkpointer…)."""
    postmaster = None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if cmdline.startswith("postgres: ") and f" {database} " in cmdline:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    postmaster = int(stat[1])
                    break
            except OSError:
                continue
    if postmaster is None:
        return 0.0
    try:
        stat = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(pid) for pid in children(postmaster))


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine (all but idle and iowait), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


if __name__ == "__main__":
    sys.exit(main())
