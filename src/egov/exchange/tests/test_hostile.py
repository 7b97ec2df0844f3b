"""Hostile and broken input: every rejection names its cause."""

from __future__ import annotations

import base64
import io
import re
import zipfile

import pytest

from egov.exchange.edxml import (
    DocumentPacket,
    EdxmlError,
    EdxmlSizeError,
    EdxmlSyntaxError,
    ReaderOptions,
    WriterOptions,
    packet_to_bytes,
    read_packet,
)
from egov.exchange.edxml.scanner import Scanner

from .helpers import document_packet, status_packet

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
NS_DECL = b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"'


def plain_packet(**options: object) -> bytes:
    """The sample document with one plain (not zipped) text attachment."""
    packet = document_packet()
    packet.attachments = [packet.attachments[1]]
    return packet_to_bytes(packet, **options)  # type: ignore[arg-type]


def reject(data: bytes, options: ReaderOptions | None = None) -> str:
    with pytest.raises(EdxmlError) as exc:
        read_packet(data, options)
    message = str(exc.value)
    assert "\n" not in message
    return message


# -- DTDs and entities ---------------------------------------------------------------------------------
XXE = HEAD + (
    b'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b"<edXML " + NS_DECL + b"><edXMLEnvelope><edXMLHeader><MessageHeader><From><OrganId>&xxe;</OrganId>"
    b"</From></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"
)
BILLION_LAUGHS = HEAD + (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n<edXML "
    + NS_DECL
    + b">&lol9;</edXML>"
)


@pytest.mark.parametrize(
    "data",
    [
        XXE,
        BILLION_LAUGHS,
        HEAD + b'<!DOCTYPE edXML SYSTEM "http://example.invalid/edxml.dtd">\n<edXML/>',
        HEAD + b"<!DOCTYPE edXML>\n<edXML/>",
        b"<!-- a comment first --><!DOCTYPE edXML><edXML/>",
        XXE.decode().encode("utf-16"),  # the scanner sees the same bytes after re-encoding
    ],
    ids=["xxe", "billion-laughs", "external-dtd", "plain-doctype", "after-comment", "utf-16"],
)
def test_doctype_rejected(data: bytes) -> None:
    assert reject(data) == "DOCTYPE not allowed"


class Trickle(io.RawIOBase):
    """A stream that returns at most ``step`` bytes per read: markup is cut at every possible place."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(self._step)


@pytest.mark.parametrize("step", [1, 3, 8])
def test_doctype_split_across_reads(step: int) -> None:
    with pytest.raises(EdxmlSyntaxError, match=r"^DOCTYPE not allowed$"):
        read_packet(Trickle(XXE, step))


@pytest.mark.parametrize("step", [1, 2, 5, 7, 64])
def test_packets_split_across_reads(step: int) -> None:
    original = document_packet()
    data = packet_to_bytes(original).replace(b"<edXML:Subject>", b"<!-- x > y --><?pi a?><edXML:Subject>", 1)
    with read_packet(Trickle(data, step)) as back:
        assert back == original


def test_scanner_passes_everything_but_attachment_text() -> None:
    received = bytearray()
    scanner = Scanner(received.extend, marker=b"M-", max_text_bytes=1 << 20)
    data = (
        b'<a x=">" y=\'<b>\'><e:ContentTransferEncoded q="1">QUJD\r\nRA==</e:ContentTransferEncoded><c/></a>'
    )
    for i in range(len(data)):
        scanner.write(data[i : i + 1])
    scanner.close()
    assert bytes(received) == (
        b'<a x=">" y=\'<b>\'><e:ContentTransferEncoded q="1">M-0\n</e:ContentTransferEncoded><c/></a>'
    )
    (spool,) = scanner.spools
    assert b"".join(spool.chunks()) == b"QUJD\nRA=="


def test_doctype_inside_a_comment_is_harmless() -> None:
    data = plain_packet().replace(b"<edXML:edXMLEnvelope", b"<!-- <!DOCTYPE x> --><edXML:edXMLEnvelope", 1)
    with read_packet(data) as packet:
        assert isinstance(packet, DocumentPacket)


def test_undefined_entity_rejected() -> None:
    data = plain_packet().replace(b"<edXML:Subject>", b"<edXML:Subject>&xxe;", 1)
    assert reject(data) == "line 38: not well-formed: Entity 'xxe' not defined"


def test_undefined_entity_in_attachment_rejected() -> None:
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)", rb"\1&xxe;", plain_packet(), count=1)
    assert re.fullmatch(r"line \d+: not well-formed: entity 'xxe' not defined", reject(data))


# -- well-formedness ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "line 1: not well-formed: Document is empty"),
        (
            b"not xml at all",
            "line 1: not well-formed: Start tag expected, '<' not found (stray bytes 'not xml at all'",
        ),
        (
            HEAD + b"<edXML><a></edXML>",
            "line 2: not well-formed: Opening and ending tag mismatch: a line 2 and edXML",
        ),
        (HEAD + b"<edXML>", "line 2: not well-formed: "),
        (
            HEAD + b'<edXML><x:a xmlns:y="u"/></edXML>',
            "line 2: not namespace-well-formed: Namespace prefix x on a",
        ),
        (
            HEAD + b"<edXML>" + b"<a>" * 300 + b"</a>" * 300 + b"</edXML>",
            "line 2: not well-formed: Excessive depth",
        ),
    ],
    ids=["empty", "text", "mismatch", "truncated", "unbound-prefix", "too-deep"],
)
def test_not_well_formed(data: bytes, message: str) -> None:
    assert reject(data).startswith(message)


def test_markup_inside_attachment_text_rejected() -> None:
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)", rb"\1<b>x</b>", plain_packet(), count=1)
    assert re.fullmatch(
        r"line \d+: ContentTransferEncoded must hold only base64 text, found markup inside it", reject(data)
    )


# -- content ------------------------------------------------------------------------------------------------
def test_missing_sender_organ_id() -> None:
    data = plain_packet().replace(b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", b"", 1)
    assert reject(data) == "MessageHeader/From/OrganId missing"


def test_empty_sender_organ_id() -> None:
    data = plain_packet().replace(
        b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", b"<edXML:OrganId> </edXML:OrganId>", 1
    )
    assert reject(data) == "MessageHeader/From/OrganId missing"


def test_missing_recipient_organ_id() -> None:
    data = plain_packet().replace(
        b"<edXML:OrganId>000.00.00.H56</edXML:OrganId>", b"<edXML:OrganId>null</edXML:OrganId>"
    )
    assert reject(data) == "MessageHeader/To[2]/OrganId missing"


def test_missing_from() -> None:
    data = re.sub(rb"<edXML:From>.*?</edXML:From>", b"", plain_packet(), count=1, flags=re.S)
    assert reject(data) == "MessageHeader/From missing"


def test_status_without_code_or_document() -> None:
    data = packet_to_bytes(status_packet())
    assert (
        reject(data.replace(b"<edXML:StatusCode>03</edXML:StatusCode>", b"")) == "Status/StatusCode missing"
    )
    assert reject(data.replace(b"<edXML:StatusCode>03<", b"<edXML:StatusCode>ok<")) == (
        "Status/StatusCode 'ok' is not a two-digit status code"
    )
    no_id = re.sub(rb"<edXML:DocumentId>[^<]*</edXML:DocumentId>", b"", data)
    assert reject(no_id) == "Status/ResponseFor/DocumentId missing"


def test_unknown_status_code_is_a_warning() -> None:
    data = packet_to_bytes(status_packet()).replace(b"<edXML:StatusCode>03<", b"<edXML:StatusCode>14<")
    packet = read_packet(data)
    assert packet.warnings == [
        "Status/StatusCode '14' is not one of the standard codes 01, 02, 03, 04, 05, 06, 13, 15, 16"
    ]


def test_unknown_business_type() -> None:
    data = plain_packet().replace(b"<edXML:BussinessDocType>0<", b"<edXML:BussinessDocType>7<")
    assert reject(data) == "TraceHeaderList/Bussiness/BussinessDocType '7' is not 0, 1, 2 or 3"


def test_wrong_root() -> None:
    assert reject(b"<html><body/></html>") == "root element is <html>, not <edXML>"


def test_missing_header() -> None:
    assert reject(b"<edXML " + NS_DECL + b"><edXMLEnvelope/></edXML>") == "edXMLEnvelope/edXMLHeader missing"


# -- attachments --------------------------------------------------------------------------------------------
def test_bad_base64() -> None:
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)", rb"\1***", plain_packet(), count=1)
    assert reject(data).startswith("AttachmentEncoded/Attachment[1] (Phụ lục.txt): invalid base64: ")


def test_base64_after_padding() -> None:
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)", rb"\1QQ==", plain_packet(), count=1)
    message = reject(data)
    assert message.startswith("AttachmentEncoded/Attachment[1] (Phụ lục.txt): invalid base64: ")
    assert message.endswith("data after padding")


def test_missing_attachment_content() -> None:
    data = re.sub(
        rb"<edXML:ContentTransferEncoded[^>]*>[^<]*</edXML:ContentTransferEncoded>", b"", plain_packet()
    )
    assert reject(data) == "AttachmentEncoded/Attachment[1] (Phụ lục.txt): ContentTransferEncoded missing"


def test_digest_mismatch() -> None:
    data = plain_packet(options=WriterOptions(write_digests=True))
    with read_packet(data) as packet:  # a correct digest is accepted
        assert isinstance(packet, DocumentPacket)
    wrong = base64.b64encode(b"\x00" * 32)
    forged = re.sub(rb"(<DigestValue[^>]*>)[^<]*", rb"\1" + wrong, data)
    message = reject(forged)
    assert message.startswith(
        "AttachmentEncoded/Attachment[1] (Phụ lục.txt): SHA256 digest mismatch: the packet says 0000000000"
    )


def test_hex_digest_accepted() -> None:
    packet = document_packet()
    att = packet.attachments[1]
    data = plain_packet(options=WriterOptions(write_digests=True))
    hexed = re.sub(rb"(<DigestValue)[^>]*>[^<]*", rb"\1>" + att.sha256.encode(), data)
    read_packet(hexed).close()


def test_oversized_packet() -> None:
    data = plain_packet()
    options = ReaderOptions(max_packet_bytes=1000)
    assert reject(data, options) == "packet is larger than the limit of 1000 bytes"
    with pytest.raises(EdxmlSizeError, match=r"^packet is larger than the limit of 1000 bytes"):
        read_packet(io.BytesIO(data), options)  # a stream is counted while it is read


def test_oversized_packet_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "big.edxml"
    path.write_bytes(plain_packet())
    with pytest.raises(
        EdxmlSizeError, match=r"^packet is larger than the limit of 1000 bytes \(\d+ bytes\)$"
    ):
        read_packet(path, ReaderOptions(max_packet_bytes=1000))


def test_oversized_attachment() -> None:
    big = document_packet()
    big.attachments = [big.attachments[0]]  # the 20 kB PDF, zipped
    data = packet_to_bytes(big)
    message = reject(data, ReaderOptions(max_attachment_bytes=5000))
    assert message == (
        "AttachmentEncoded/Attachment[1] (Công văn 1234-UBND-VX.pdf): attachment is larger than the limit "
        "of 5000 bytes (zipped)"
    )
    big.attachments[0].zipped = False
    message = reject(packet_to_bytes(big), ReaderOptions(max_attachment_bytes=5000))
    assert "attachment is larger than the limit" in message


def test_zip_bomb_stops_at_the_limit() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.pdf", b"\0" * (30 << 20))
    bomb = base64.b64encode(buf.getvalue())
    assert len(bomb) < 100_000
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)[^<]*", rb"\1" + bomb, plain_packet(), count=1)
    message = reject(data, ReaderOptions(max_attachment_bytes=1 << 20))
    assert message == (
        "AttachmentEncoded/Attachment[1] (Phụ lục.txt): attachment is larger than the limit "
        "of 1048576 bytes (zipped)"
    )


def test_too_many_attachments() -> None:
    assert reject(packet_to_bytes(document_packet()), ReaderOptions(max_attachments=1)) == (
        "2 attachments, more than the limit of 1"
    )


def test_attachment_variants_are_tolerated() -> None:
    """Line-wrapped base64 with CRLF, character references, CDATA, a comment, no padding, no cid: prefix."""
    text = base64.b64encode("Tệp đính kèm thử nghiệm".encode())
    wrapped = (
        text[:8] + b"\r\n" + text[8:12] + b"&#13;&#10;<![CDATA[" + text[12:20] + b"]]><!-- c -->" + text[20:]
    )
    data = plain_packet()
    data = re.sub(rb"(ContentTransferEncoded[^>]*>)[^<]*", rb"\1" + wrapped.rstrip(b"="), data, count=1)
    data = data.replace(b"<ContentId>cid:209</ContentId>", b"<ContentId>209</ContentId>")
    with read_packet(data) as packet:
        assert isinstance(packet, DocumentPacket)
        (att,) = packet.attachments
        assert att.read_bytes().decode() == "Tệp đính kèm thử nghiệm"
        assert att.content_id == "209"
        assert packet.warnings == []
