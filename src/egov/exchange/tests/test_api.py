"""egov's own exchange API (/api/v1/exchange/): connected systems send, page, fetch and acknowledge;
officials see their agencies' outbox and retry failed packets."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.core.files.base import ContentFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import services as documents
from egov.documents.doctypes import ensure_document_types
from egov.documents.models import DocumentType
from egov.exchange import hub
from egov.exchange.edxml import BusinessDocType, packet_to_bytes
from egov.exchange.models import Delivery, OutboundPacket, Packet
from egov.exchange.tests.helpers import CAN_THO, NGHE_AN, document_packet, status_packet

XML = "application/xml"


@pytest.fixture
def systems(db):
    nghe_an, nghe_an_secret = hub.register_system(actor=None, system_id="qlvb-nghean", name="QLVB Nghệ An")
    can_tho, can_tho_secret = hub.register_system(actor=None, system_id="qlvb-cantho", name="QLVB Cần Thơ")
    hub.register_organ(actor=None, system=nghe_an, organ_id=NGHE_AN.organ_id, name=NGHE_AN.organ_name)
    hub.register_organ(actor=None, system=can_tho, organ_id=CAN_THO.organ_id, name=CAN_THO.organ_name)
    return {"nghe_an": (nghe_an, nghe_an_secret), "can_tho": (can_tho, can_tho_secret)}


def as_system(systems, name) -> APIClient:
    system, secret = systems[name]
    client = APIClient()
    client.credentials(HTTP_X_SYSTEMID=system.system_id, HTTP_X_SECRETKEY=secret)
    return client


def send(client: APIClient, data: bytes, **query: str):
    url = "/api/v1/exchange/packets/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.generic("POST", url, data, content_type=XML)


def packet(number: str = "1234") -> bytes:
    doc_id = f"000.00.00.H41,2025/07/15,{number}/UBND-VX"
    doc = document_packet(recipients=[CAN_THO], document_id=doc_id)
    return packet_to_bytes(
        dataclasses.replace(
            doc,
            code=dataclasses.replace(doc.code, number=number),
            business=dataclasses.replace(doc.business, document_id=doc_id),
        )
    )


def test_send_page_fetch_acknowledge(systems):
    sender, receiver = as_system(systems, "nghe_an"), as_system(systems, "can_tho")
    sent = [send(sender, packet(str(n))) for n in range(1, 6)]
    assert [r.status_code for r in sent] == [201] * 5
    first = sent[0].json()
    assert first["message_type"] == "edoc" and first["sender_organ_id"] == NGHE_AN.organ_id  # read from it
    assert first["recipients"] == [{"organ_id": CAN_THO.organ_id, "route": "local"}]
    assert not first["duplicate"] and len(first["sha256"]) == 64

    # the inbox pages with a cursor, oldest first, and is complete
    seen, url = [], "/api/v1/exchange/inbox/?page_size=2"
    while url:
        page = receiver.get(url).json()
        seen += [row["packet"] for row in page["results"]]
        url = page["next"]
    assert seen == [r.json()["id"] for r in sent]
    item = receiver.get(f"/api/v1/exchange/inbox/{seen[0]}/").json()
    assert item["state"] == "pending" and item["document_id"].endswith("1/UBND-VX")

    content = receiver.get(f"/api/v1/exchange/inbox/{seen[0]}/content/")
    assert content.status_code == 200 and content["Content-Type"] == XML
    assert b"".join(content.streaming_content) == packet("1")  # byte for byte: signatures stay valid
    assert content["X-Content-SHA256"] == first["sha256"]
    assert receiver.get(f"/api/v1/exchange/inbox/{seen[0]}/").json()["state"] == "fetched"

    ack = receiver.post(f"/api/v1/exchange/inbox/{seen[0]}/ack/", {"status": "done"}, format="json")
    assert ack.status_code == 200 and ack.json()["state"] == "done"
    # the list reads flat rows; each one is exactly what the serializer makes of the delivery
    from egov.exchange.api.serializers import InboxItemSerializer

    listed = receiver.get("/api/v1/exchange/inbox/", {"include_done": "true"}).json()["results"]
    deliveries = {str(d.packet_id): d for d in Delivery.objects.select_related("packet")}
    for row in listed:
        assert row == json.loads(json.dumps(InboxItemSerializer(deliveries[row["packet"]]).data))
    assert len(receiver.get("/api/v1/exchange/inbox/").json()["results"]) == 4
    done = receiver.get("/api/v1/exchange/inbox/", {"include_done": "true"}).json()["results"]
    assert len(done) == 5
    assert AuditEntry.objects.filter(action="exchange.delivery.done").count() == 1

    # the sender never sees the recipient's copy
    assert sender.get(f"/api/v1/exchange/inbox/{seen[1]}/").status_code == 404
    assert sender.get(f"/api/v1/exchange/inbox/{seen[1]}/content/").status_code == 404
    assert sender.post(f"/api/v1/exchange/inbox/{seen[1]}/ack/", {"status": "done"}).status_code == 404
    assert Delivery.objects.filter(state="done").count() == 1


def test_resend_answers_the_first_packet(systems):
    sender = as_system(systems, "nghe_an")
    first, again = send(sender, packet()), send(sender, packet())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"]
    assert Packet.objects.count() == 1 and Delivery.objects.count() == 1


def test_message_type_read_from_the_packet(systems):
    sender, receiver = as_system(systems, "nghe_an"), as_system(systems, "can_tho")
    doc = document_packet(recipients=[CAN_THO])
    revoke = dataclasses.replace(
        doc, business=dataclasses.replace(doc.business, doc_type=BusinessDocType.REVOKE)
    )
    assert send(sender, packet_to_bytes(revoke)).json()["message_type"] == "revocation"
    status = status_packet("03")
    status = dataclasses.replace(
        status,
        sender=CAN_THO,
        response_for=dataclasses.replace(status.response_for, organ_id=NGHE_AN.organ_id),
    )
    answer = send(receiver, packet_to_bytes(status))
    assert answer.status_code == 201 and answer.json()["message_type"] == "status"
    assert answer.json()["status_code"] == "03"
    # an explicit type that contradicts the packet is refused, nothing stored
    mismatch = send(sender, packet("77"), message_type="status")
    assert mismatch.status_code == 400 and mismatch.json()["code"] == hub.HubError.NOT_STANDARD
    assert Packet.objects.count() == 2


def test_refusals_name_the_problem_and_store_nothing(systems):
    sender = as_system(systems, "nghe_an")
    broken = send(sender, b"<edXMLEnvelope><oops")
    assert broken.status_code == 400 and broken.json()["code"] == hub.HubError.NOT_STANDARD
    assert broken.json()["detail"]
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert send(sender, hostile).status_code == 400
    # a system sending for an agency it did not register
    foreign = send(as_system(systems, "can_tho"), packet())
    assert foreign.status_code == 403 and foreign.json()["code"] == hub.HubError.SENDER_NOT_REGISTERED
    assert send(sender, packet(), message_type="fax").status_code == 400
    assert Packet.objects.count() == 0 and Delivery.objects.count() == 0


def test_credentials(systems, clerk):
    wrong = APIClient()
    wrong.credentials(HTTP_X_SYSTEMID="qlvb-nghean", HTTP_X_SECRETKEY="not-the-secret-not-the-secret")
    assert wrong.get("/api/v1/exchange/inbox/").status_code == 401
    assert APIClient().get("/api/v1/exchange/inbox/").status_code == 401
    assert "X-SecretKey" in APIClient().get("/api/v1/exchange/organs/")["WWW-Authenticate"]
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=clerk).key}")
    assert staff.get("/api/v1/exchange/inbox/").status_code == 403  # a person is not a system
    assert send(staff, packet()).status_code == 403
    organs = as_system(systems, "can_tho").get("/api/v1/exchange/organs/").json()
    assert {o["organ_id"] for o in organs} == {NGHE_AN.organ_id, CAN_THO.organ_id}


def test_outbox_visible_to_the_agency_and_retried(tree, clerk, foreign_staff, system_admin, db):
    ensure_document_types()
    documents.ensure_default_registers(actor=None, agency=tree.department)
    incoming = documents.register_incoming(
        actor=clerk,
        agency=tree.department,
        document_type=DocumentType.objects.get(code="cong-van"),
        subject="Văn bản nhận qua trục",
        issuing_agency_name="Văn phòng Chính phủ",
        code_number="12",
        code_notation="VPCP-KSTT",
    )
    failed = OutboundPacket.objects.create(
        kind=OutboundPacket.Kind.STATUS,
        incoming=incoming,
        status_code="03",
        organ_id="000.00.00.G22",
        document_id="000.00.00.G22,2026/11/20,12/VPCP-KSTT",
        message_type="status",
        file=ContentFile(b"<edXMLEnvelope/>", name="status.edxml"),
        sha256="0" * 64,
        state=OutboundPacket.State.FAILED,
        attempts=10,
        last_error="Trục liên thông không phản hồi sau 10 lần",
    )

    def client(user) -> APIClient:
        c = APIClient()
        c.force_authenticate(user)
        return c

    rows = client(clerk).get("/api/v1/exchange/outbox/", {"state": "failed"}).json()["results"]
    assert [(r["id"], r["agency"], r["last_error"][:4]) for r in rows] == [
        (failed.pk, tree.department.pk, "Trục")
    ]
    assert client(foreign_staff).get("/api/v1/exchange/outbox/").json()["results"] == []
    assert client(foreign_staff).post(f"/api/v1/exchange/outbox/{failed.pk}/retry/").status_code == 404
    specialist = make_staff("chuyenvien.x", tree.department, Role.SPECIALIST)
    refused = client(specialist).post(f"/api/v1/exchange/outbox/{failed.pk}/retry/")
    assert refused.status_code == 403 and "văn thư" in refused.json()["detail"]

    retried = client(clerk).post(f"/api/v1/exchange/outbox/{failed.pk}/retry/")
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    assert AuditEntry.objects.filter(action="exchange.outbox.retry", actor=clerk).count() == 1
    again = client(clerk).post(f"/api/v1/exchange/outbox/{failed.pk}/retry/")
    assert again.status_code == 400  # only failed packets go back to the queue

    assert client(clerk).get("/api/v1/exchange/systems/").status_code == 403
    assert client(system_admin).get("/api/v1/exchange/systems/").status_code == 200
