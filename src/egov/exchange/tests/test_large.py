"""A 20 MB attachment is streamed: never held whole in memory, neither when writing nor when reading."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

from egov.exchange.edxml import Attachment, DocumentPacket, read_packet, write_packet

from .helpers import document_packet

MiB = 1 << 20


def test_twenty_megabytes_stream_through(tmp_path: Path) -> None:
    source = tmp_path / "ho-so-scan.pdf"
    with source.open("wb") as fh:
        for _ in range(20):
            fh.write(os.urandom(MiB))  # incompressible: the zip wrapper is as large as the file
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    packet = document_packet(
        attachments=[
            Attachment.from_path(source, content_type="application/pdf", content_id="scan", zipped=True),
            Attachment.from_path(
                source, name="ban-sao.pdf", content_type="application/pdf", content_id="copy"
            ),
        ]
    )
    out = tmp_path / "big.edxml"

    tracemalloc.start()
    try:
        write_packet(packet, out)
        _, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with read_packet(out) as back:
            _, read_peak = tracemalloc.get_traced_memory()
            assert isinstance(back, DocumentPacket)
            assert [a.sha256 for a in back.attachments] == [expected, expected]
            assert [a.size for a in back.attachments] == [20 * MiB, 20 * MiB]
            assert back == packet
    finally:
        tracemalloc.stop()
    assert out.stat().st_size > 2 * 20 * MiB * 4 // 3  # two base64 copies of 20 MB went through
    # Well under one copy of one attachment (20 MB) at any moment, for either direction.
    print(f"peak traced memory: write {write_peak / MiB:.1f} MiB, read {read_peak / MiB:.1f} MiB")
    assert write_peak < 8 * MiB, write_peak
    assert read_peak < 8 * MiB, read_peak
