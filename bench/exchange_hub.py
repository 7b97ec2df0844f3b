"""Benchmark of the exchange hub: signed ~100 KB edXML packets through ``POST /lgsp/v1/sendEdoc`` into
PostgreSQL, with signature verification and durable storage (fsync, then commit) before each answer.

Run: ``.venv/bin/python bench/exchange_hub.py [--packets 2000] [--senders 8] [--web-workers 4]
[--size-kb 100] [--database-url postgres://...]``. Without ``--database-url`` it starts a throwaway
PostgreSQL cluster (see ``documents_pgcluster.py``). It prepares distinct signed packets first (not timed),
starts ``egov serve`` against the database, sends them from ``--senders`` threads, while a recipient polls
``syncReceivedEdocList``; it prints the sustained rate, the p50/p95 of the send (the packet is durable and
available when the answer comes) and of send-to-listed-for-the-recipient, and the hub's peak RSS.
Target (issue #4): 200 packets/s of 100 KB sustained for 5 minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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
    parser.add_argument("--packets", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=4)
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
        folder = Path(tempfile.mkdtemp(prefix="egov-bench-packets-"))
        t0 = time.perf_counter()
        files = []
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
            path = folder / f"{i}.edxml"
            path.write_bytes(packet_to_bytes(packet, signer=signer))
            files.append(path)
        size = files[0].stat().st_size
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
                "2",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        import requests

        base = f"http://127.0.0.1:{port}/lgsp/v1/"
        for _ in range(120):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.5)

        sent_at: dict[str, float] = {}
        listed_at: dict[str, float] = {}
        latencies: list[float] = []
        errors: list[str] = []
        queue = list(reversed(files))
        lock = threading.Lock()
        stop = threading.Event()

        def send_loop() -> None:
            session = requests.Session()
            headers = {"X-SystemId": "bench-a", "X-SecretKey": SENDER_SECRET}
            while True:
                with lock:
                    if not queue:
                        return
                    path = queue.pop()
                start = time.perf_counter()
                with path.open("rb") as fh:
                    r = session.post(
                        base + "sendEdoc",
                        headers=headers,
                        files={"edocFile": fh},
                        data={"messageType": "edoc"},
                        timeout=60,
                    )
                body = r.json()
                if not body.get("success"):
                    errors.append(str(body))
                    continue
                with lock:
                    latencies.append(time.perf_counter() - start)
                    sent_at[body["docId"]] = start

        def poll_loop() -> None:
            session = requests.Session()
            headers = {"X-SystemId": "bench-b", "X-SecretKey": RECIPIENT_SECRET}
            while not stop.is_set():
                items = session.get(base + "syncReceivedEdocList", headers=headers, timeout=60).json()["data"]
                now = time.perf_counter()
                for item in items:
                    listed_at.setdefault(item["docId"], now)
                stop.wait(0.2)

        peak_rss = [0]

        def rss_loop() -> None:
            while not stop.is_set():
                total = 0
                for pid in [web.pid, *children(web.pid)]:
                    try:
                        total_kb = int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])
                    except (OSError, IndexError, ValueError):
                        continue
                    total = max(total, total_kb)
                peak_rss[0] = max(peak_rss[0], total)
                stop.wait(0.5)

        poller = threading.Thread(target=poll_loop)
        rss = threading.Thread(target=rss_loop)
        poller.start()
        rss.start()
        t0 = time.perf_counter()
        senders = [threading.Thread(target=send_loop) for _ in range(args.senders)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        elapsed = time.perf_counter() - t0
        deadline = time.time() + 60
        while len(listed_at) < len(sent_at) and time.time() < deadline:
            time.sleep(0.2)
        stop.set()
        poller.join()
        rss.join()
        web.terminate()
        web.wait(30)

        visible = [listed_at[d] - sent_at[d] for d in sent_at if d in listed_at]
        print(
            f"hub: {args.web_workers} gunicorn workers x 2 threads, {args.senders} concurrent senders, "
            "PostgreSQL"
        )
        print(
            f"accepted {len(latencies)} packets of {size / 1024:.0f} KB in {elapsed:.1f} s: "
            f"{len(latencies) / elapsed:.1f} packets/s ({len(latencies) * size / elapsed / 1e6:.1f} MB/s); "
            f"errors {len(errors)}"
        )
        print(
            f"sendEdoc latency (durable, available): p50 {percentile(latencies, 50) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
        print(
            "send → listed for the recipient (poll every 0.2 s): "
            f"p50 {percentile(visible, 50) * 1000:.0f} ms, "
            f"p95 {percentile(visible, 95) * 1000:.0f} ms; listed {len(visible)}/{len(sent_at)}"
        )
        print(f"largest hub process RSS: {peak_rss[0] / 1024:.0f} MiB")
        if errors:
            print("first error:", errors[0])
    return 0


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


if __name__ == "__main__":
    sys.exit(main())
