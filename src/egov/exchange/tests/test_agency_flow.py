"""This instance's agencies exchanging with an outside system through the hub, over real HTTP.

The hub is egov's LGSP interface on pytest-django's live server; "this instance" talks to it with
``agency_client()`` (settings EGOV_EXCHANGE_*); the outside agency (Văn phòng Chính phủ, 000.00.00.G22) is
another connected system driven with an ``LgspClient`` by the test.
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.db import connection

from egov.directory import services as directory
from egov.directory.models import Agency, Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import outgoing, services
from egov.documents.doctypes import ensure_document_types
from egov.documents.models import Attachment, DocumentType, IncomingDocument
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.exchange import agency, hub
from egov.exchange.client import LgspClient
from egov.exchange.edxml import ReaderOptions, SignatureStatus, packet_to_bytes, read_packet
from egov.exchange.models import InboundPacket, OutboundPacket
from egov.exchange.tests.helpers import VPCP, document_packet, status_packet
from egov.signing import selectors as signing_selectors
from egov.signing import services as signing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(tree, settings, live_server):
    ensure_document_types()
    services.ensure_default_registers(actor=None, agency=tree.department)
    vpcp = directory.create_agency(
        actor=None,
        kind=Agency.Kind.CENTRAL,
        name="Văn phòng Chính phủ",
        short_name="VPCP",
        code_qcvn102=VPCP.organ_id,
    )
    staff = {
        "clerk": make_staff("vanthu", tree.department, Role.CLERK),
        "leader": make_staff("giamdoc", tree.department, Role.LEADER, title="Giám đốc"),
        "specialist": make_staff("chuyenvien", tree.unit, Role.SPECIALIST),
    }
    signing.ensure_builtin_ca(actor=None)
    signing.issue_personal_certificate(actor=None, user=staff["leader"], agency=tree.department)
    signing.issue_agency_certificate(actor=None, agency=tree.department)
    local, local_secret = hub.register_system(actor=None, system_id="egov-tinh", name="egov tỉnh Demo")
    hub.register_organ(
        actor=None,
        system=local,
        organ_id=tree.department.code_qcvn102,
        name=tree.department.name,
        agency=tree.department,
    )
    outside, outside_secret = hub.register_system(actor=None, system_id="qlvb-vpcp", name="QLVB VPCP")
    hub.register_organ(actor=None, system=outside, organ_id=VPCP.organ_id, name=VPCP.organ_name)
    base = f"{live_server.url}/lgsp/v1/"
    settings.EGOV_EXCHANGE_HUB_URL = base
    settings.EGOV_EXCHANGE_SYSTEM_ID = "egov-tinh"
    settings.EGOV_EXCHANGE_SECRET = local_secret
    return {
        "tree": tree,
        "vpcp": vpcp,
        "staff": staff,
        "outside": LgspClient(base, "qlvb-vpcp", outside_secret),
    }


def fetch_all(client: LgspClient, message_type: str = "") -> list[bytes]:
    packets = []
    for item in client.received(message_type):
        buf = io.BytesIO()
        client.fetch(item["docId"], buf)
        client.ack(item["docId"])
        packets.append(buf.getvalue())
    return packets


def test_issued_document_reaches_outside_and_statuses_come_back(world):
    tree, staff = world["tree"], world["staff"]
    cv = DocumentType.objects.get(code="cong-van")
    doc = outgoing.create_draft(
        actor=staff["specialist"],
        agency=tree.department,
        document_type=cv,
        subject="Báo cáo kết quả liên thông văn bản điện tử",
        drafting_unit=tree.unit,
        recipients=[world["vpcp"]],
        files=[NamedBytes(pdf_bytes(), "bao-cao.pdf")],
    )
    assert doc.recipients.get().channel == "exchange"
    outgoing.submit(actor=staff["specialist"], document=doc)
    outgoing.review(actor=staff["leader"], document=doc, approve=True)
    outgoing.approve(actor=staff["leader"], document=doc)
    outgoing.sign(actor=staff["leader"], document=doc)
    doc = outgoing.issue(actor=staff["clerk"], document=doc)
    out = OutboundPacket.objects.get(kind="document")  # queued with the issue, in its transaction
    assert out.state == "pending" and out.organ_id == VPCP.organ_id

    assert agency.send_pending(agency.agency_client()) == 1
    out.refresh_from_db()
    assert out.state == "sent" and out.remote_id
    received = fetch_all(world["outside"], "edoc")
    assert len(received) == 1
    trusted = tuple(signing_selectors.trust_root_certificates())
    with read_packet(
        received[0], ReaderOptions(trusted_certificates=trusted, require_signature=True)
    ) as packet:
        assert packet.signature and packet.signature.status == SignatureStatus.VALID
        assert packet.code.notation == "SNV-TC" and packet.document_id == outgoing.document_id(doc)
        assert [a.content_type for a in packet.attachments] == ["application/pdf"]

    for code in ("01", "03", "04", "05", "06"):
        status = status_packet(code)
        status = dataclasses.replace(
            status,
            sender=VPCP,
            response_for=dataclasses.replace(
                status.response_for, organ_id=tree.department.code_qcvn102, document_id=packet.document_id
            ),
        )
        world["outside"].send(io.BytesIO(packet_to_bytes(status)), "status")
    assert agency.receive(agency.agency_client()) == 5
    rcpt = doc.recipients.get()
    assert rcpt.status_code == "06"
    assert list(rcpt.history.values_list("status_code", flat=True)) == ["01", "03", "04", "05", "06"]
    # the sender sees every recipient's latest status and its history on the outgoing page
    from django.test import Client

    browser = Client()
    browser.force_login(staff["clerk"])
    page = browser.get(f"/documents/outgoing/{doc.pk}/").content.decode()
    assert "Lịch sử trạng thái" in page and "06 · Hoàn thành" in page
    assert page.count('<li><span class="nowrap">') >= 5


def test_document_from_outside_is_registered_once_and_answered_with_statuses(world):
    tree, staff = world["tree"], world["staff"]
    packet = document_packet(
        sender=VPCP, recipients=[dataclasses.replace(VPCP, organ_id=tree.department.code_qcvn102)]
    )
    data = packet_to_bytes(packet)
    world["outside"].send(io.BytesIO(data))
    assert agency.receive(agency.agency_client()) == 1
    doc = IncomingDocument.objects.get()
    assert doc.status == "received" and doc.source == "exchange" and doc.external_id == packet.document_id
    assert doc.attachments.count() == len(packet.attachments)
    # the same document delivered again (e.g. the outside system resends after a timeout) changes nothing
    world["outside"].send(
        io.BytesIO(packet_to_bytes(dataclasses.replace(packet, subject=packet.subject + " ")))
    )
    assert agency.receive(agency.agency_client()) == 1
    assert (
        IncomingDocument.objects.count() == 1 and InboundPacket.objects.filter(kind="document").count() == 1
    )

    services.accept_received(actor=staff["clerk"], document=doc)
    services.present(actor=staff["clerk"], document=doc)
    from egov.documents.services import AssignmentSpec

    services.assign(
        actor=staff["leader"],
        document=doc,
        direction="Xử lý",
        lead=AssignmentSpec("lead", user=staff["specialist"]),
    )
    services.add_opinion(actor=staff["specialist"], document=doc, text="Đang xử lý")
    services.complete(actor=staff["specialist"], document=doc)
    assert agency.send_pending(agency.agency_client()) == 5
    statuses = []
    for raw in fetch_all(world["outside"], "status"):
        with read_packet(raw) as st:
            statuses.append(st.status_code)
            assert st.response_for.document_id == packet.document_id
    assert statuses == ["01", "03", "04", "05", "06"]
    assert Attachment.objects.filter(incoming=doc).exists()
    connection.close()


def test_revocation_both_ways(world):
    tree, staff = world["tree"], world["staff"]
    # outside → here: a document, then its revocation; the clerk agrees (15)
    packet = document_packet(
        sender=VPCP, recipients=[dataclasses.replace(VPCP, organ_id=tree.department.code_qcvn102)]
    )
    world["outside"].send(io.BytesIO(packet_to_bytes(packet)))
    agency.receive(agency.agency_client())
    doc = IncomingDocument.objects.get()
    from egov.exchange.edxml import Business, BusinessDocType

    revocation = dataclasses.replace(
        packet,
        attachments=[],
        business=Business(
            document_id=packet.document_id,
            doc_type=BusinessDocType.REVOKE,
            doc_reason="Văn bản ban hành nhầm",
        ),
    )
    world["outside"].send(io.BytesIO(packet_to_bytes(revocation)), "revocation")
    assert agency.receive(agency.agency_client()) == 1
    doc.refresh_from_db()
    assert doc.revocation_requested_at and doc.revocation_reason == "Văn bản ban hành nhầm"
    assert IncomingDocument.objects.count() == 1
    services.accept_revocation(actor=staff["clerk"], document=doc)
    agency.send_pending(agency.agency_client())
    codes = []
    for raw in fetch_all(world["outside"], "status"):
        with read_packet(raw) as st:
            codes.append(st.status_code)
    assert codes == ["01", "15"]

    # here → outside: an issued document revoked by the leader travels as a revocation packet
    cv = DocumentType.objects.get(code="cong-van")
    out = outgoing.create_draft(
        actor=staff["specialist"],
        agency=tree.department,
        document_type=cv,
        subject="Kế hoạch kiểm tra",
        drafting_unit=tree.unit,
        recipients=[world["vpcp"]],
        files=[NamedBytes(pdf_bytes(), "kh.pdf")],
    )
    outgoing.submit(actor=staff["specialist"], document=out)
    outgoing.review(actor=staff["leader"], document=out, approve=True)
    outgoing.approve(actor=staff["leader"], document=out)
    outgoing.sign(actor=staff["leader"], document=out)
    out = outgoing.issue(actor=staff["clerk"], document=out)
    outgoing.revoke(actor=staff["leader"], document=out, reason="Điều chỉnh nội dung")
    assert agency.send_pending(agency.agency_client()) == 2
    kinds = []
    for raw in fetch_all(world["outside"]):
        with read_packet(raw) as p:
            kinds.append(int(p.business.doc_type))
    assert sorted(kinds) == [0, 1]
