"""The WSGI entry point sends the LGSP interface through the lean machine handler and everything else
through the full middleware chain; both answer as before, and audit rows keep the request id and IP."""

from __future__ import annotations

import io
import json
import sys

import pytest

from egov.audit.models import AuditEntry
from egov.exchange import hub
from egov.exchange.edxml import packet_to_bytes
from egov.exchange.models import Packet
from egov.exchange.tests.helpers import CAN_THO, NGHE_AN, document_packet

BOUNDARY = "egov-test-boundary"


def call(path: str, *, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None):
    from egov.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "10.0.0.7",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **(headers or {}),
    }
    answer: dict[str, object] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    answer["body"] = b"".join(application(environ, start_response))
    return answer


@pytest.mark.django_db(transaction=True)
def test_lgsp_goes_through_the_machine_handler():
    system, secret = hub.register_system(actor=None, system_id="qlvb-nghean", name="QLVB Nghệ An")
    other, _ = hub.register_system(actor=None, system_id="qlvb-cantho", name="QLVB Cần Thơ")
    hub.register_organ(actor=None, system=system, organ_id=NGHE_AN.organ_id, name=NGHE_AN.organ_name)
    hub.register_organ(actor=None, system=other, organ_id=CAN_THO.organ_id, name=CAN_THO.organ_name)
    data = packet_to_bytes(document_packet(recipients=[CAN_THO]))
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="messageType"\r\n\r\nedoc\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="edocFile"; filename="p.edxml"\r\n'
            "Content-Type: application/xml\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    answer = call(
        "/lgsp/v1/sendEdoc",
        method="POST",
        body=body,
        headers={
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "HTTP_X_SYSTEMID": "qlvb-nghean",
            "HTTP_X_SECRETKEY": secret,
            "HTTP_X_REQUEST_ID": "lgsp0000test0001",
        },
    )
    assert answer["status"] == 200, answer
    result = json.loads(answer["body"])
    assert result["success"] and result["errorCode"] == 0
    headers = answer["headers"]
    assert headers["X-Request-ID"] == "lgsp0000test0001"
    assert "X-Frame-Options" not in headers and "Set-Cookie" not in headers  # no browser middleware
    packet = Packet.objects.get(pk=result["docId"])
    entry = AuditEntry.objects.get(action="exchange.packet.accept", object_id=str(packet.pk))
    assert entry.request_id == "lgsp0000test0001" and entry.ip == "10.0.0.7"

    refused = call("/lgsp/v1/getAgencyList", headers={"HTTP_X_SYSTEMID": "qlvb-nghean"})
    assert refused["status"] == 401 and json.loads(refused["body"])["errorCode"] == 15


@pytest.mark.django_db(transaction=True)  # a real handler closes connections between requests
def test_other_paths_keep_the_full_chain():
    answer = call("/healthz")
    assert answer["status"] == 200
    assert answer["headers"].get("X-Frame-Options") == "DENY"
