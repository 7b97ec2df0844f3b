"""A packet with two 20 MB attachments goes through the hub over real HTTP without being held in memory:
sent as a streamed body to egov's exchange API, stored, fetched back streamed (egov API and LGSP
``getEdocFile``), acknowledged. Client and live server run in this process, so tracemalloc sees both."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest
import requests

from egov.exchange import hub
from egov.exchange.edxml import Attachment, write_packet
from egov.exchange.models import Delivery, Packet

from .helpers import CAN_THO, NGHE_AN, document_packet

pytestmark = pytest.mark.django_db(transaction=True)
MiB = 1 << 20


def test_forty_megabytes_through_the_hub_over_http(tmp_path: Path, live_server) -> None:
    nghe_an, nghe_an_secret = hub.register_system(actor=None, system_id="qlvb-nghean", name="QLVB Nghệ An")
    can_tho, can_tho_secret = hub.register_system(actor=None, system_id="qlvb-cantho", name="QLVB Cần Thơ")
    hub.register_organ(actor=None, system=nghe_an, organ_id=NGHE_AN.organ_id, name=NGHE_AN.organ_name)
    hub.register_organ(actor=None, system=can_tho, organ_id=CAN_THO.organ_id, name=CAN_THO.organ_name)
    source = tmp_path / "ho-so-scan.pdf"
    with source.open("wb") as fh:
        for _ in range(20):
            fh.write(os.urandom(MiB))
    packet = document_packet(
        recipients=[CAN_THO],
        attachments=[
            Attachment.from_path(source, content_type="application/pdf", content_id="scan", zipped=True),
            Attachment.from_path(source, name="ban-sao.pdf", content_type="application/pdf", content_id="b"),
        ],
    )
    big = tmp_path / "big.edxml"
    write_packet(packet, big)
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    api = f"{live_server.url}/api/v1/exchange/"
    sender = {"X-SystemId": "qlvb-nghean", "X-SecretKey": nghe_an_secret, "Content-Type": "application/xml"}
    receiver = {"X-SystemId": "qlvb-cantho", "X-SecretKey": can_tho_secret}

    # warm up: the first request imports the URL configuration and the API modules (a few MiB, once)
    assert requests.get(f"{api}organs/", headers=receiver, timeout=60).status_code == 200
    assert requests.get(f"{api}inbox/", headers=receiver, timeout=60).json()["results"] == []

    tracemalloc.start()
    try:
        with big.open("rb") as body:
            answer = requests.post(f"{api}packets/", data=body, headers=sender, timeout=300)
        _, send_peak = tracemalloc.get_traced_memory()
        assert answer.status_code == 201, answer.text
        packet_id = answer.json()["id"]
        assert answer.json()["sha256"] == digest

        tracemalloc.reset_peak()
        copies = []
        for url, params in (
            (f"{api}inbox/{packet_id}/content/", None),
            (f"{live_server.url}/lgsp/v1/getEdocFile", {"docId": packet_id}),
        ):
            sha = hashlib.sha256()
            with requests.get(url, params=params, headers=receiver, stream=True, timeout=300) as got:
                assert got.status_code == 200 and got.headers["X-Content-SHA256"] == digest
                for chunk in got.iter_content(256 * 1024):
                    sha.update(chunk)
            copies.append(sha.hexdigest())
        _, fetch_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copies == [digest, digest]  # byte for byte, both ways
    done = requests.post(
        f"{api}inbox/{packet_id}/ack/", json={"status": "done"}, headers=receiver, timeout=60
    )
    assert done.status_code == 200 and Delivery.objects.get().state == Delivery.State.DONE
    assert Packet.objects.get().size == big.stat().st_size > 2 * 20 * MiB * 4 // 3
    print(f"peak traced memory: send {send_peak / MiB:.1f} MiB, fetch {fetch_peak / MiB:.1f} MiB")
    # Far under one copy of one attachment (20 MB), on the way in and on the way out.
    assert send_peak < 8 * MiB, send_peak
    assert fetch_peak < 8 * MiB, fetch_peak
