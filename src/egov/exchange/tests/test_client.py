"""LgspClient against egov's real LGSP interface over HTTP (pytest-django's live server)."""

from __future__ import annotations

import io

import pytest

from egov.exchange import hub
from egov.exchange.client import HubRejected, HubUnavailable, LgspClient
from egov.exchange.edxml import packet_to_bytes
from egov.exchange.tests.helpers import CAN_THO, NGHE_AN, VPCP, document_packet


@pytest.mark.django_db(transaction=True)
def test_client_round_trip_over_http(live_server, tmp_path):
    sender, sender_secret = hub.register_system(actor=None, system_id="a", name="A")
    receiver, receiver_secret = hub.register_system(actor=None, system_id="b", name="B")
    hub.register_organ(actor=None, system=sender, organ_id=NGHE_AN.organ_id, name="Nghệ An")
    hub.register_organ(actor=None, system=receiver, organ_id=CAN_THO.organ_id, name="Cần Thơ")
    base = f"{live_server.url}/lgsp/v1/"
    a = LgspClient(base, "a", sender_secret, timeout=30)
    b = LgspClient(base, "b", receiver_secret, timeout=30)

    data = packet_to_bytes(document_packet(recipients=[CAN_THO]))
    path = tmp_path / "p.edxml"
    path.write_bytes(data)
    doc_id = a.send(path)
    assert a.send(io.BytesIO(data)) == doc_id  # same bytes again: same packet
    items = b.received()
    assert [i["docId"] for i in items] == [doc_id]
    out = io.BytesIO()
    trace = b.fetch(doc_id, out)
    assert out.getvalue() == data and trace and trace[0]["hub"]
    b.ack(doc_id)
    assert b.received() == []

    with pytest.raises(HubRejected) as refused:
        a.send(io.BytesIO(packet_to_bytes(document_packet(recipients=[VPCP]))))
    assert refused.value.code == 18
    with pytest.raises(HubRejected) as bad_login:
        LgspClient(base, "a", "wrong").received()
    assert bad_login.value.code == 15
    with pytest.raises(HubUnavailable):
        LgspClient("http://127.0.0.1:9/lgsp/v1/", "a", "x", timeout=2).received()
