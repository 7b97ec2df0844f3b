"""The hub through its LGSP REST interface: store-and-forward, acknowledgements, errors, federation."""

from __future__ import annotations

import base64
import dataclasses
import io

import pytest
from django.test import Client

from egov.audit.models import AuditEntry
from egov.exchange import hub, tasks
from egov.exchange.client import HubRejected, HubUnavailable
from egov.exchange.edxml import packet_to_bytes, read_packet
from egov.exchange.models import Delivery, HubSystem, Packet
from egov.exchange.tests.helpers import CAN_THO, NGHE_AN, VPCP, document_packet, status_packet


@pytest.fixture
def systems(db):
    nghe_an, nghe_an_secret = hub.register_system(actor=None, system_id="qlvb-nghean", name="QLVB Nghệ An")
    can_tho, can_tho_secret = hub.register_system(actor=None, system_id="qlvb-cantho", name="QLVB Cần Thơ")
    hub.register_organ(actor=None, system=nghe_an, organ_id=NGHE_AN.organ_id, name=NGHE_AN.organ_name)
    hub.register_organ(actor=None, system=can_tho, organ_id=CAN_THO.organ_id, name=CAN_THO.organ_name)
    return {"nghe_an": (nghe_an, nghe_an_secret), "can_tho": (can_tho, can_tho_secret)}


def lgsp(systems, name) -> Client:
    system, secret = systems[name]
    return Client(headers={"X-SystemId": system.system_id, "X-SecretKey": secret})


def send(client: Client, data: bytes, message_type: str = "edoc"):
    return client.post(
        "/lgsp/v1/sendEdoc", {"edocFile": io.BytesIO(data), "messageType": message_type}
    ).json()


def only_can_tho() -> bytes:
    return packet_to_bytes(document_packet(recipients=[CAN_THO]))


def test_send_receive_acknowledge(systems):
    data = only_can_tho()
    answer = send(lgsp(systems, "nghe_an"), data)
    assert answer["success"] and answer["errorCode"] == 0
    packet = Packet.objects.get(pk=answer["docId"])
    assert packet.sender_organ_id == NGHE_AN.organ_id and packet.document_id.endswith("1234/UBND-VX")
    assert packet.file.read() == data  # stored byte for byte (signatures stay valid)

    receiver = lgsp(systems, "can_tho")
    listing = receiver.get("/lgsp/v1/syncReceivedEdocList", {"messageType": "edoc"}).json()
    assert listing["count"] == 1 and listing["data"][0]["docId"] == answer["docId"]
    assert listing["data"][0]["from"] == NGHE_AN.organ_id and listing["data"][0]["status"] == "inbox"
    got = receiver.get("/lgsp/v1/getEdoc", {"docId": answer["docId"]}).json()
    assert base64.b64decode(got["data"]["edxml"]) == data
    streamed = receiver.get("/lgsp/v1/getEdocFile", {"docId": answer["docId"]})
    assert b"".join(streamed.streaming_content) == data and streamed["Content-Type"] == "application/xml"
    # still listed until acknowledged: a crash between fetch and ack loses nothing
    assert receiver.get("/lgsp/v1/syncReceivedEdocList").json()["count"] == 1
    assert receiver.post(
        "/lgsp/v1/updateStatus", {"docId": answer["docId"], "status": "done"}, content_type="application/json"
    ).json()["success"]
    assert receiver.get("/lgsp/v1/syncReceivedEdocList").json()["count"] == 0
    assert Delivery.objects.get().state == Delivery.State.DONE
    # the sender cannot read the recipient's copy
    assert (
        lgsp(systems, "nghe_an").get("/lgsp/v1/getEdoc", {"docId": answer["docId"]}).json()["errorCode"] == 18
    )


def test_resend_is_idempotent(systems):
    data = only_can_tho()
    first = send(lgsp(systems, "nghe_an"), data)
    second = send(lgsp(systems, "nghe_an"), data)
    assert first["docId"] == second["docId"]
    assert Packet.objects.count() == 1 and Delivery.objects.count() == 1


def test_status_travels_back_to_the_sender(systems):
    doc = send(lgsp(systems, "nghe_an"), only_can_tho())
    assert doc["success"]
    status = status_packet("03")
    status = dataclasses.replace(
        status,
        sender=CAN_THO,
        response_for=dataclasses.replace(status.response_for, organ_id=NGHE_AN.organ_id),
    )
    answer = send(lgsp(systems, "can_tho"), packet_to_bytes(status), "status")
    assert answer["success"], answer
    listing = lgsp(systems, "nghe_an").get("/lgsp/v1/syncReceivedEdocList", {"messageType": "status"}).json()
    assert listing["count"] == 1 and listing["data"][0]["statusCode"] == "03"


@pytest.mark.parametrize(
    ("data", "message_type", "code"),
    [
        (b"<edXML><unclosed>", "edoc", 22),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><edXML/>', "edoc", 22),
        (b"", "edoc", 10),
    ],
)
def test_bad_packets_are_refused_with_their_code(systems, data, message_type, code):
    before = (Packet.objects.count(), AuditEntry.objects.count())
    answer = send(lgsp(systems, "nghe_an"), data, message_type)
    assert not answer["success"] and answer["errorCode"] == code and answer["message"]
    assert (Packet.objects.count(), AuditEntry.objects.count()) == before


def test_routing_errors(systems, settings):
    client = lgsp(systems, "nghe_an")
    assert send(client, packet_to_bytes(document_packet(recipients=[VPCP])))["errorCode"] == 18  # no parent
    assert (
        send(client, packet_to_bytes(document_packet(sender=CAN_THO, recipients=[NGHE_AN])))["errorCode"]
        == 19
    )
    assert send(client, only_can_tho(), "status")["errorCode"] == 22  # messageType does not match
    organ = systems["can_tho"][0].organs.get()
    organ.active = False
    organ.save()
    assert send(client, only_can_tho())["errorCode"] == 23
    wrong = Client(headers={"X-SystemId": "qlvb-nghean", "X-SecretKey": "nope"})
    response = wrong.post("/lgsp/v1/sendEdoc", {"edocFile": io.BytesIO(only_can_tho())})
    assert response.status_code == 401 and response.json()["errorCode"] == 15
    settings.EGOV_EDXML_MAX_PACKET_BYTES = 1000
    assert send(client, only_can_tho())["errorCode"] == 10


def test_secret_rotation_keeps_the_old_secret_for_a_while(systems):
    system, old = systems["nghe_an"]
    new = hub.rotate_secret(actor=None, system=system)
    system.refresh_from_db()
    assert system.check_secret(new) and system.check_secret(old)
    assert hub.authenticate(system.system_id, new) == system
    import datetime as dt

    from django.utils import timezone

    assert not system.check_secret(old, now=timezone.now() + dt.timedelta(days=2))


class FakeParent:
    """Stands in for the parent hub in unit tests of the forwarding and polling logic (failures on demand).
    Same interface as LgspClient, which itself is tested over real HTTP in test_client.py. The end-to-end
    chain with separate hub processes and databases is still to be written (issue #4)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[bytes] = []
        self.fail = fail
        self.inbox: dict[str, bytes] = {}
        self.acks: list[tuple[str, str]] = []

    def send(self, packet, message_type="edoc", trace=None):
        if self.fail:
            raise self.fail
        self.sent.append(packet.read_bytes())
        return f"remote-{len(self.sent)}"

    def received(self, message_type=""):
        return [{"docId": k, "messageType": "edoc"} for k in self.inbox]

    def fetch(self, doc_id, out):
        out.write(self.inbox[doc_id])
        return [{"hub": "national", "at": "2026-11-22T10:00:00+07:00"}]

    def ack(self, doc_id, status="done", reason=""):
        self.acks.append((doc_id, status))
        self.inbox.pop(doc_id, None)


@pytest.fixture
def parent(systems):
    system, _secret = hub.register_system(
        actor=None, system_id="truc-quoc-gia", name="Trục quốc gia", is_parent=True
    )
    return system


def test_unknown_recipients_go_to_the_parent(systems, parent):
    answer = send(lgsp(systems, "nghe_an"), packet_to_bytes(document_packet(recipients=[VPCP, CAN_THO])))
    assert answer["success"], answer
    routes = dict(Delivery.objects.values_list("organ_id", "route"))
    assert routes == {VPCP.organ_id: "parent", CAN_THO.organ_id: "local"}
    down = FakeParent(fail=HubUnavailable("connection refused"))
    assert tasks.forward_pending(down) == 0
    waiting = Delivery.objects.get(route="parent")
    assert waiting.state == "pending" and waiting.attempts == 1 and waiting.next_attempt_at
    up = FakeParent()
    assert tasks.forward_pending(up, now=waiting.next_attempt_at) == 1
    assert len(up.sent) == 1 and Delivery.objects.get(route="parent").state == "done"
    refused = FakeParent(fail=HubRejected(18, "Không tìm thấy cơ quan nhận"))
    send(
        lgsp(systems, "nghe_an"),
        packet_to_bytes(document_packet(recipients=[VPCP], document_id="x,2025/07/16,1/UBND")),
    )
    tasks.forward_pending(refused)
    assert Delivery.objects.filter(state="failed", last_error__startswith="18").count() == 1


def test_packets_from_the_parent_are_delivered_down(systems, parent):
    data = packet_to_bytes(document_packet(sender=VPCP, recipients=[CAN_THO, NGHE_AN, VPCP]))
    fake = FakeParent()
    fake.inbox["p1"] = data
    assert tasks.receive_from_parent(fake) == 1
    packet = Packet.objects.get()
    assert packet.source_system == parent and packet.trace[0]["hub"] == "national" and packet.hops == 2
    assert set(Delivery.objects.values_list("organ_id", flat=True)) == {CAN_THO.organ_id, NGHE_AN.organ_id}
    assert fake.acks == [("p1", "done")]
    with read_packet(packet.file.path) as parsed:
        assert parsed.sender.organ_id == VPCP.organ_id
    fake.inbox["p1"] = data  # delivered again (the ack was lost): stored once
    tasks.receive_from_parent(fake)
    assert Packet.objects.count() == 1 and HubSystem.objects.filter(is_parent=True).count() == 1


def _stored_files() -> list[str]:
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.MEDIA_ROOT) / "exchange"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.edxml")) if root.exists() else []


def test_one_pass_store_keeps_only_accepted_packets(systems):
    """The upload is written once, straight to its final name (the packet's id); a refused packet, a
    resend and a packet fed in tiny blocks leave exactly the files of the packets accepted."""
    nghe_an = systems["nghe_an"][0]
    before = _stored_files()
    data = only_can_tho()
    packet = hub.accept_packet(system=nghe_an, stream=[data[i : i + 7] for i in range(0, len(data), 7)])
    assert packet.file.name.endswith(f"/{packet.pk}.edxml") and packet.file.read() == data
    assert hub.accept_packet(system=nghe_an, stream=io.BytesIO(data)).pk == packet.pk  # resend
    for bad in (data.replace(b"</edXML:edXMLEnvelope>", b""), b"<?xml version='1.0'?><!DOCTYPE x><x/>"):
        with pytest.raises(hub.HubError) as refused:
            hub.accept_packet(system=nghe_an, stream=io.BytesIO(bad))
        assert refused.value.code == hub.HubError.NOT_STANDARD
    assert _stored_files() == sorted([*before, packet.file.name.removeprefix("exchange/")])
    assert Packet.objects.count() == 1


def test_comment_after_the_root_keeps_a_signature_valid(systems, settings):
    """What the benchmark relies on: exclusive C14N leaves comments out, so new bytes, same signature."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from egov.exchange.edxml import PacketSigner

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Văn thư")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    data = packet_to_bytes(
        document_packet(recipients=[CAN_THO]), signer=PacketSigner(key=key, certificates=cert)
    )
    nghe_an = systems["nghe_an"][0]
    first = hub.accept_packet(system=nghe_an, stream=[data])
    second = hub.accept_packet(system=nghe_an, stream=[data + b"\n<!-- 2 -->\n"])
    assert first.pk != second.pk and first.signature == second.signature == "valid"
    tampered = data.replace(b"1234/UBND-VX", b"1235/UBND-VX")
    with pytest.raises(hub.HubError, match="Chữ ký số"):
        hub.accept_packet(system=nghe_an, stream=[tampered])
