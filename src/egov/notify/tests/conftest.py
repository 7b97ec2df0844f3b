"""Real local peers for the notification tests: an SMTP server (aiosmtpd), the test SMSC (SMPP 3.4) and a
tiny HTTP SMS gateway, all on loopback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from egov.notify import defaults
from egov.notify.models import Template
from egov.notify.tests.smsc import Smsc

DATE = dt.date(2025, 8, 14)


def context(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "dossier_code": "H99.01-250814-0001",
        "procedure_name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "applicant_name": "Nguyễn Thị Hồng",
        "agency_name": "UBND xã An Bình",
        "received_date": DATE,
        "due_date": dt.date(2025, 8, 28),
        "status_url": "https://dvc.example.gov.vn/tra-cuu/H99.01-250814-0001",
    }
    base.update(extra)
    return base


@pytest.fixture
def templates(db: Any) -> None:
    defaults.seed(Template)  # transactional tests flush the rows the data migration created


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse_with: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted"


@dataclass
class SmtpPeer:
    port: int
    recorder: _Recorder
    controller: Any = None

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.recorder.messages

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpPeer]:
    peer = SmtpPeer(port=free_port(), recorder=_Recorder())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = peer.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    # aiosmtpd logs each connection at INFO from its own thread, sometimes after pytest has closed the
    # stream a console handler was bound to ("--- Logging error ---" in CI's output): keep it to warnings.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.WARNING)
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()
        server_log.setLevel(level)


# --- SMPP -----------------------------------------------------------------------------------------------


@pytest.fixture
def smsc(settings: Any) -> Iterator[Smsc]:
    server = Smsc(system_id="egov", password="secret").start()
    settings.EGOV_SMS_PROVIDER = "smpp"
    settings.EGOV_SMPP_HOST = "127.0.0.1"
    settings.EGOV_SMPP_PORT = server.port
    settings.EGOV_SMPP_SYSTEM_ID = "egov"
    settings.EGOV_SMPP_PASSWORD = "secret"
    settings.EGOV_SMPP_TIMEOUT = 3
    settings.EGOV_SMPP_RECEIPT_WAIT_SECONDS = 3
    settings.EGOV_SMPP_CONCAT = "udh"
    settings.EGOV_SMS_SENDER = "UBNDXA"
    yield server
    server.stop()


# --- HTTP gateway ---------------------------------------------------------------------------------------


@dataclass
class Gateway:
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer first, e.g. [503, 503]
    by_key: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    url: str = ""
    token: str = "gw-token"

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("_accepted")]


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    gw = Gateway()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body["_headers"] = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                gw.requests.append(body)
                if self.headers.get("Authorization") != f"Bearer {gw.token}":
                    status, answer = 401, {"error": "unauthorised"}
                elif gw.fail_next:
                    status, answer = gw.fail_next.pop(0), {"error": "try later"}
                else:
                    key = self.headers["Idempotency-Key"]
                    if key not in gw.by_key:  # deduplicated on the key, as the provider contract asks
                        gw.by_key[key] = f"gw-{len(gw.by_key) + 1}"
                        body["_accepted"] = True
                    status, answer = 202, {"message_id": gw.by_key[key]}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gw.server, gw.url = server, f"http://127.0.0.1:{server.server_address[1]}/sms"
    settings.EGOV_SMS_PROVIDER = "http"
    settings.EGOV_SMS_HTTP_URL = gw.url
    settings.EGOV_SMS_HTTP_TOKEN = gw.token
    settings.EGOV_SMS_HTTP_TIMEOUT = 5
    settings.EGOV_SMS_CALLBACK_SECRET = "cb-secret-123456789"
    yield gw
    server.shutdown()
    server.server_close()
