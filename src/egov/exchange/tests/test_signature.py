"""XML-DSig: egov's signatures verify with xmlsec1, signxml and the codec; tampering is caught."""

from __future__ import annotations

import base64
import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from signxml import XMLVerifier

from egov.exchange.edxml import (
    DSIG_NS,
    NS,
    Attachment,
    DocumentPacket,
    EdxmlSignatureError,
    PacketSigner,
    ReaderOptions,
    SignatureStatus,
    packet_to_bytes,
    read_packet,
    write_packet,
)
from egov.exchange.edxml.signature import chain_to_anchor

from .helpers import (
    REAL_PACKETS,
    Pki,
    document_packet,
    make_pki,
    needs_real_packets,
    needs_xmlsec1,
    status_packet,
)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def signed(pki: Pki) -> bytes:
    return packet_to_bytes(document_packet(), signer=PacketSigner(pki.key, [pki.leaf, pki.ca]))


def xmlsec1_verify(data: bytes, ca_pem: bytes, tmp: Path) -> subprocess.CompletedProcess[str]:
    packet = tmp / "packet.edxml"
    ca = tmp / "ca.pem"
    packet.write_bytes(data)
    ca.write_bytes(ca_pem)
    return subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(ca), str(packet)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_signature_placement(signed: bytes) -> None:
    root = etree.fromstring(signed)
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    assert [etree.QName(c).localname for c in header] == ["MessageHeader", "TraceHeaderList", "Signature"]
    signature = header[-1]
    assert signature.tag == f"{{{DSIG_NS}}}Signature"
    assert signature.prefix is None  # unprefixed like the SDK sample, but in the XML-DSig namespace
    ds = {"ds": DSIG_NS}
    assert signature.xpath("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", namespaces=ds) == [
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    ]
    assert signature.xpath("ds:SignedInfo/ds:SignatureMethod/@Algorithm", namespaces=ds) == [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    ]
    assert signature.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=ds) == [""]
    assert signature.xpath(
        "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", namespaces=ds
    ) == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert len(signature.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=ds)) == 2


@needs_xmlsec1
def test_xmlsec1_verifies_egov_signatures(signed: bytes, pki: Pki, tmp_path: Path) -> None:
    result = xmlsec1_verify(signed, pki.ca_pem(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr


@needs_xmlsec1
def test_xmlsec1_verifies_signed_status_packets(pki: Pki, tmp_path: Path) -> None:
    data = packet_to_bytes(status_packet("06"), signer=PacketSigner(pki.key_pem(), pki.chain_pem()))
    result = xmlsec1_verify(data, pki.ca_pem(), tmp_path)
    assert result.returncode == 0, result.stderr


@needs_xmlsec1
def test_xmlsec1_rejects_tampered_packets(signed: bytes, pki: Pki, tmp_path: Path) -> None:
    tampered = signed.replace("Nguyễn Văn Đức".encode(), "Nguyễn Văn Được".encode())
    result = xmlsec1_verify(tampered, pki.ca_pem(), tmp_path)
    assert result.returncode != 0
    other = make_pki("someone else")
    assert xmlsec1_verify(signed, other.ca_pem(), tmp_path).returncode != 0  # not signed under that CA


def test_signxml_verifies_egov_signatures(signed: bytes, pki: Pki) -> None:
    result = XMLVerifier().verify(signed, x509_cert=pki.leaf)
    assert result.signed_xml is not None


def test_codec_verifies_and_checks_trust(signed: bytes, pki: Pki) -> None:
    with read_packet(signed, ReaderOptions(trusted_certificates=(pki.ca,))) as packet:
        assert packet == document_packet()
        sig = packet.signature
        assert sig is not None
        assert sig.status == SignatureStatus.VALID
        assert sig.trusted is True
        assert "CN=Văn thư UBND tỉnh Nghệ An" in sig.signer
        assert sig.warnings == ()
    other = make_pki("another CA's signer")
    untrusted = read_packet(signed, ReaderOptions(trusted_certificates=(other.ca,)))
    assert untrusted.signature is not None
    assert untrusted.signature.status == SignatureStatus.VALID
    assert untrusted.signature.trusted is False
    assert untrusted.signature.warnings == ("the certificate does not chain to a trusted CA",)
    plain = read_packet(signed)
    assert plain.signature is not None and plain.signature.trusted is None


def test_tampered_header_is_rejected(signed: bytes) -> None:
    tampered = signed.replace("giữa các cơ quan".encode(), "giữa các đơn vị".encode())
    with pytest.raises(EdxmlSignatureError) as exc:
        read_packet(tampered)
    assert str(exc.value) == "signature invalid: digest mismatch: the packet was changed after it was signed"
    packet = read_packet(tampered, ReaderOptions(reject_invalid_signature=False))
    assert packet.signature is not None
    assert packet.signature.status == SignatureStatus.INVALID


def test_tampered_attachment_is_rejected(pki: Pki) -> None:
    packet = document_packet()
    packet.attachments = [
        Attachment.from_bytes("bảng.csv", b"a,b\n" * 3000, content_type="text/csv", content_id="7")
    ]
    data = packet_to_bytes(packet, signer=PacketSigner(pki.key, pki.leaf))
    read_packet(data).close()
    m = re.search(rb"(ContentTransferEncoded[^>]*>)([^<]*)", data)
    assert m is not None
    content = bytearray(m.group(2))
    content[4000:4004] = b"QUJD" if content[4000:4004] != b"QUJD" else b"REVG"  # still valid base64
    tampered = data[: m.start(2)] + bytes(content) + data[m.end(2) :]
    with pytest.raises(EdxmlSignatureError, match="digest mismatch"):
        read_packet(tampered)


def test_forged_signature_value_is_rejected(signed: bytes) -> None:
    m = re.search(rb"<SignatureValue>([^<]*)</SignatureValue>", signed)
    assert m is not None
    forged_value = base64.b64encode(bytes(256))
    forged = signed[: m.start(1)] + forged_value + signed[m.end(1) :]
    with pytest.raises(EdxmlSignatureError, match=r"^signature invalid: signature value does not match"):
        read_packet(forged)


def test_large_signed_attachment_is_streamed(pki: Pki, tmp_path: Path) -> None:
    """12 MB of attachment: past libxml2's 10 MB text-node limit, signed and verified without huge_tree."""
    blob = bytes(range(256)) * (12 * 4096)
    source = tmp_path / "scan.bin"
    source.write_bytes(blob)
    packet = document_packet(attachments=[Attachment.from_path(source, "Bản scan.bin", content_id="big")])
    out = tmp_path / "big.edxml"
    write_packet(packet, out, signer=PacketSigner(pki.key, pki.leaf))
    with read_packet(out, ReaderOptions(trusted_certificates=(pki.ca,))) as back:
        assert back == packet
        assert back.signature is not None and back.signature.status == SignatureStatus.VALID
        (att,) = back.attachments
        assert att.size == len(blob)
    data = out.read_bytes()
    tampered = data.replace(b"AAECAwQF", b"AAECAwQG", 1)
    assert tampered != data
    with pytest.raises(EdxmlSignatureError, match="digest mismatch"):
        read_packet(tampered)


def test_expired_certificate_is_a_warning(tmp_path: Path) -> None:
    expired = make_pki(expired=True)
    data = packet_to_bytes(status_packet(), signer=PacketSigner(expired.key, expired.leaf))
    packet = read_packet(data, ReaderOptions(trusted_certificates=(expired.ca,)))
    sig = packet.signature
    assert sig is not None
    assert sig.status == SignatureStatus.VALID
    assert sig.trusted is False
    assert any("expired" in w for w in sig.warnings)


def test_partial_reference_is_unverifiable(signed: bytes) -> None:
    data = signed.replace(b'<Reference URI="">', b'<Reference URI="#x">')
    packet = read_packet(data)
    assert packet.signature is not None
    assert packet.signature.status == SignatureStatus.UNVERIFIABLE
    assert (
        packet.signature.reason
        == 'the signature does not cover the whole packet (one Reference URI="" expected)'
    )


def test_signature_in_the_edxml_namespace_is_unverifiable(signed: bytes) -> None:
    data = signed.replace(b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', b"<Signature>")
    packet = read_packet(data)
    assert packet.signature is not None
    assert packet.signature.status == SignatureStatus.UNVERIFIABLE
    assert packet.signature.reason.startswith(
        "Signature element is in http://www.mic.gov.vn/TBT/QCVN_102_2016, not the XML-DSig namespace"
    )


@needs_real_packets
def test_the_sdk_sample_signature_is_unverifiable() -> None:
    with read_packet(REAL_PACKETS / "edoc_update.edxml") as packet:
        assert packet.signature is not None
        assert packet.signature.status == SignatureStatus.UNVERIFIABLE
        assert packet.signature.reason.endswith("(non-standard transform http://www.w3.org/TR/xml-exc-c14n#)")


def test_require_signature() -> None:
    data = packet_to_bytes(status_packet())
    with pytest.raises(EdxmlSignatureError, match=r"^signature required but absent"):
        read_packet(data, ReaderOptions(require_signature=True))


def test_pem_inputs(pki: Pki) -> None:
    data = packet_to_bytes(
        document_packet(attachments=[]), signer=PacketSigner(pki.key_pem(), pki.chain_pem())
    )
    packet = read_packet(data, ReaderOptions(trusted_certificates=(pki.ca,)))
    assert isinstance(packet, DocumentPacket)
    assert packet.signature is not None and packet.signature.trusted is True


def test_chain_helper(pki: Pki) -> None:
    assert chain_to_anchor(pki.leaf, [], [pki.ca]) == (True, "")
    assert chain_to_anchor(pki.leaf, [], [pki.leaf]) == (True, "")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=4000)
    trusted, why = chain_to_anchor(pki.leaf, [], [pki.ca], later)
    assert trusted is False and "is not valid at" in why


# -- the fast path for egov's own profile agrees with signxml ------------------------------------------------
def _variants(pki: Pki, signed: bytes) -> dict[str, bytes]:
    other = make_pki("Kẻ mạo danh")
    m = re.search(rb"<SignatureValue>([^<]*)</SignatureValue>", signed)
    assert m is not None
    plain = document_packet()
    plain.attachments = [Attachment.from_bytes("bảng.csv", b"a,b\n" * 3000, content_type="text/csv")]
    with_csv = packet_to_bytes(plain, signer=PacketSigner(pki.key, pki.leaf))
    att = re.search(rb"(ContentTransferEncoded[^>]*>)([^<]*)", with_csv)
    assert att is not None
    content = bytearray(att.group(2))
    content[4000:4004] = b"QUJD" if content[4000:4004] != b"QUJD" else b"REVG"
    return {
        "valid": signed,
        "comment added": signed.replace(b"<edXMLEnvelope", b"<!-- bench 1 --><edXMLEnvelope", 1),
        "header changed": signed.replace(b"1234/UBND-VX", b"1235/UBND-VX", 1),
        "attachment": with_csv,
        "attachment changed": with_csv[: att.start(2)] + bytes(content) + with_csv[att.end(2) :],
        "signature forged": signed[: m.start(1)] + base64.b64encode(bytes(256)) + signed[m.end(1) :],
        "other signer": packet_to_bytes(document_packet(), signer=PacketSigner(other.key, other.leaf)),
        "status": packet_to_bytes(status_packet(), signer=PacketSigner(pki.key, pki.leaf)),
        "expired": packet_to_bytes(status_packet(), signer=PacketSigner(*_expired())),
    }


def _expired() -> tuple[object, object]:
    expired = make_pki(expired=True)
    return expired.key, expired.leaf


def _outcome(data: bytes, pki: Pki) -> tuple[str, str, bool | None, bool]:
    options = ReaderOptions(trusted_certificates=(pki.ca,), reject_invalid_signature=False)
    with read_packet(data, options) as packet:
        sig = packet.signature
        assert sig is not None
        return sig.status.value, sig.signer, sig.trusted, any("expired" in w for w in sig.warnings)


def test_fast_path_agrees_with_signxml(signed: bytes, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    """egov's profile (exc-C14N, RSA-SHA256, one enveloped reference, SHA-256) is verified without
    signxml's tree copies; on valid, altered, forged, foreign-key and expired packets both paths give the
    same answer. Anything else still goes to signxml (the SDK samples: SHA-1, other transforms)."""
    from egov.exchange.edxml import signature

    calls: list[object] = []
    real = signature._verify_egov_profile

    def counting(*args: object) -> object:
        result = real(*args)  # type: ignore[arg-type]
        calls.append(result)
        return result

    variants = _variants(pki, signed)
    monkeypatch.setattr(signature, "_verify_egov_profile", counting)
    fast = {name: _outcome(data, pki) for name, data in variants.items()}
    assert all(result is not None for result in calls)  # every variant took the fast path
    monkeypatch.setattr(signature, "_verify_egov_profile", lambda *args: None)
    slow = {name: _outcome(data, pki) for name, data in variants.items()}
    assert fast == slow
    assert fast["valid"][:3] == ("valid", fast["valid"][1], True) and fast["comment added"][0] == "valid"
    assert fast["attachment"][0] == "valid"
    assert fast["header changed"][0] == fast["attachment changed"][0] == "invalid"
    assert fast["signature forged"][0] == "invalid" and fast["other signer"][2] is False
    assert fast["expired"][0] == "valid" and fast["expired"][3]


def test_other_profiles_go_to_signxml(signed: bytes, pki: Pki) -> None:
    """Any signature outside egov's profile is left to signxml (``None`` from the fast path)."""
    from egov.exchange.edxml.signature import _certificates, _verify_egov_profile

    sha256 = b"http://www.w3.org/2001/04/xmlenc#sha256"
    for changed in (
        signed.replace(sha256, b"http://www.w3.org/2000/09/xmldsig#sha1", 1),
        signed.replace(b'<Reference URI="">', b'<Reference URI="#x">', 1),
        signed.replace(
            b'<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
            b'<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">'
            b'<InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="a"/>'
            b"</CanonicalizationMethod>",
            1,
        ),
    ):
        assert changed != signed
        root = etree.fromstring(changed)
        standard = next(root.iter(f"{{{DSIG_NS}}}Signature"))
        assert _verify_egov_profile(root, standard, _certificates(standard), None, None) is None
    root = etree.fromstring(signed)
    standard = next(root.iter(f"{{{DSIG_NS}}}Signature"))
    outcome = _verify_egov_profile(root, standard, _certificates(standard), None, None)
    assert outcome is not None and outcome[0] == "ok"
