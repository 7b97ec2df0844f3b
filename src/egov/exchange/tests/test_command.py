"""``egov exchange inspect``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from egov.exchange.edxml import PacketSigner, packet_to_bytes

from .helpers import PDF_BYTES, REAL_PACKETS, document_packet, make_pki, needs_real_packets, status_packet


def inspect(*args: str) -> str:
    out = StringIO()
    call_command("exchange", "inspect", *args, stdout=out)
    return out.getvalue()


def test_inspect_document(tmp_path: Path) -> None:
    path = tmp_path / "doc.edxml"
    path.write_bytes(packet_to_bytes(document_packet()))
    text = inspect(str(path))
    assert "kind: document" in text
    assert "document id: 000.00.00.H41,2025/07/15,1234/UBND-VX" in text
    assert "business type: new (0)" in text
    assert "from: 000.00.00.H41 (Ủy ban nhân dân tỉnh Nghệ An)" in text
    assert "to: 000.00.00.G22 (Văn phòng Chính phủ)" in text
    assert "to: 000.00.00.H56 (Ủy ban nhân dân thành phố Cần Thơ)" in text
    assert "code number: 1234" in text
    assert "code notation: UBND-VX" in text
    assert "promulgation date: 2025/07/15" in text
    assert "subject: V/v triển khai liên thông văn bản điện tử" in text
    assert "attachments: 2" in text
    assert (
        f"  - Công văn 1234-UBND-VX.pdf (application/pdf, {len(PDF_BYTES)} bytes, zipped in transfer) sha256 "
        in text
    )
    assert "signature: absent" in text


def test_inspect_json(tmp_path: Path) -> None:
    pki = make_pki()
    path = tmp_path / "status.edxml"
    path.write_bytes(packet_to_bytes(status_packet("15"), signer=PacketSigner(pki.key, pki.leaf)))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca_pem())
    info = json.loads(inspect(str(path), "--json", "--trusted-ca", str(ca)))
    assert info["kind"] == "status"
    assert info["document_id"] == "000.00.00.H41,2025/07/15,1234/UBND-VX"
    assert info["sender"]["organ_id"] == "000.00.00.H56"
    assert info["recipients"] == [{"organ_id": "000.00.00.H41", "name": ""}]
    assert info["status_code"] == "15"
    assert info["status_description"] == "Đồng ý yêu cầu cập nhật, lấy lại"
    assert info["timestamp"] == "2025/07/15 14:02:09"
    assert info["signature"]["status"] == "valid"
    assert info["signature"]["trusted"] is True


@needs_real_packets
def test_inspect_real_document_json() -> None:
    info = json.loads(inspect(str(REAL_PACKETS / "edoc_revocation.edxml"), "--json"))
    assert info["business_type"] == "revoke"
    assert info["business_type_code"] == 1
    assert [o["organ_id"] for o in info["recipients"]] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert (info["code_number"], info["code_notation"]) == ("7816", "VPCP-TTĐT")
    assert info["promulgation_date"] == "2018/09/28"
    assert info["attachments"] == [
        {
            "name": "1896_QD-TTg_m_294779.doc",
            "content_type": "application/msword",
            "size": 388347,
            "sha256": "8385739ec4a4ed36d71eabcaead629641ffc5ffff3d487ff5c34d2f821c9f36e",
            "zipped": True,
        }
    ]
    assert info["signature"]["status"] == "unverifiable"


@needs_real_packets
def test_inspect_invalid_packet() -> None:
    with pytest.raises(CommandError) as exc:
        inspect(str(REAL_PACKETS / "edoc_new.edxml"))
    assert str(exc.value) == (
        f"invalid packet {REAL_PACKETS / 'edoc_new.edxml'}: line 1: not well-formed: Start tag expected, "
        "'<' not found (stray bytes '1212' before the XML declaration)"
    )


def test_inspect_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"cannot read .*nothing.edxml: No such file or directory"):
        inspect(str(tmp_path / "nothing.edxml"))


def test_limits_from_options(tmp_path: Path) -> None:
    path = tmp_path / "doc.edxml"
    path.write_bytes(packet_to_bytes(document_packet()))
    with pytest.raises(CommandError, match="packet is larger than the limit of 2000 bytes"):
        inspect(str(path), "--max-packet-bytes", "2000")


def test_egov_cli_exit_status_and_one_line_reason(tmp_path: Path) -> None:
    """Through the real entry point: 'egov exchange inspect' maps to the management command."""
    bad = tmp_path / "bad.edxml"
    bad.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML/>'
    )
    good = tmp_path / "good.edxml"
    good.write_bytes(packet_to_bytes(status_packet("01")))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "egov.settings"}
    cmd = [sys.executable, "-m", "egov", "exchange", "inspect"]
    failed = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode != 0
    assert failed.stdout == ""
    assert failed.stderr.strip().splitlines() == [f"CommandError: invalid packet {bad}: DOCTYPE not allowed"]
    ok = subprocess.run([*cmd, str(good)], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "status code: 01 — Đã đến" in ok.stdout
