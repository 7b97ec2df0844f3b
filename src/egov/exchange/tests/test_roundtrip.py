"""What egov writes, egov reads back equal: document and status packets, zipped and plain attachments."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from egov.exchange.edxml import (
    NS,
    STATUS_DESCRIPTIONS,
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentPacket,
    DocumentType,
    EdxmlError,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignatureStatus,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusContainer,
    StatusPacket,
    TraceHeader,
    WriterOptions,
    make_document_id,
    packet_to_bytes,
    read_packet,
    status_description,
    write_packet,
)

from .helpers import PDF_BYTES, VPCP, document_packet, status_packet

Q = f"{{{NS}}}"


def roundtrip(packet: DocumentPacket | StatusPacket, **kwargs: object) -> DocumentPacket | StatusPacket:
    return read_packet(packet_to_bytes(packet, **kwargs))  # type: ignore[arg-type]


def test_document_roundtrip_with_zipped_and_plain_attachments() -> None:
    original = document_packet()
    back = roundtrip(original)
    assert isinstance(back, DocumentPacket)
    assert back == original
    assert back.warnings == []
    assert back.signature is not None
    assert back.signature.status == SignatureStatus.ABSENT
    pdf, txt = back.attachments
    assert pdf.zipped and not txt.zipped
    assert pdf.read_bytes() == PDF_BYTES
    assert txt.read_bytes().decode() == "Danh sách: Sở Nội vụ; Sở Tài chính; Sở Khoa học và Công nghệ\n"


@pytest.mark.parametrize(
    "business",
    [
        Business(
            document_id="000.00.00.H41,2025/07/01,1200/UBND-VX",
            doc_type=BusinessDocType.REVOKE,
            doc_reason="Thu hồi văn bản điện tử",
            paper=0,
        ),
        Business(
            document_id="000.00.00.H41,2025/07/01,1200/UBND-VX",
            doc_type=BusinessDocType.UPDATE,
            doc_reason="Cập nhật văn bản điện tử",
            paper=1,
            document_info=BusinessDocumentInfo(
                "1", "1", [Receiver("000.00.00.G22", 0), Receiver("000.00.00.H56", 1)]
            ),
            staff_info=StaffInfo("Văn thư", "Phạm Thị Ánh", "", ""),
        ),
        Business(
            doc_type=BusinessDocType.REPLACE,
            doc_reason="Văn bản thay thế",
            replacements=[
                ReplacementInfo("000.00.00.H41,2025/07/01,1200/UBND-VX", ["000.00.00.G22", "000.00.00.H56"])
            ],
        ),
    ],
    ids=["revoke", "update", "replace"],
)
def test_business_types_roundtrip(business: Business) -> None:
    original = document_packet(
        business=business,
        response_for=[
            ResponseFor(
                "000.00.00.H41", "1200/UBND-VX", dt.date(2025, 7, 1), "000.00.00.H41,2025/07/01,1200/UBND-VX"
            )
        ],
    )
    back = roundtrip(original)
    assert back == original
    assert isinstance(back, DocumentPacket)
    assert back.business.doc_type == business.doc_type


@pytest.mark.parametrize("code", list(StatusCode))
@pytest.mark.parametrize("container", list(StatusContainer))
def test_status_roundtrip(code: StatusCode, container: StatusContainer) -> None:
    original = status_packet(code.value, description=code.description)
    data = packet_to_bytes(original, options=WriterOptions(status_container=container))
    root = etree.fromstring(data)
    header = root.find(f"{Q}edXMLEnvelope/{Q}edXMLHeader")
    assert header is not None
    assert header[0].tag == f"{Q}{container.value}"
    back = read_packet(data)
    assert back == original
    assert isinstance(back, StatusPacket)
    assert status_description(back.status_code) == code.description
    assert back.warnings == []


def test_minimal_packets_roundtrip() -> None:
    minimal = DocumentPacket(sender=Organization("000.00.00.H41"), recipients=[VPCP], document_id="x-1")
    assert roundtrip(minimal) == minimal
    status = StatusPacket(
        sender=Organization("000.00.00.G22"),
        response_for=ResponseFor(document_id="x-1"),
        status_code="06",
        timestamp=dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=VN_TZ),
        trace_headers=[TraceHeader("000.00.00.G22", dt.datetime(2025, 1, 2, 3, 4, 6, tzinfo=VN_TZ))],
    )
    assert roundtrip(status) == status


def test_layout_follows_the_vpcp_sample() -> None:
    data = packet_to_bytes(document_packet())
    text = data.decode()
    assert text.startswith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">'
    )
    assert '<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">' in text
    root = etree.fromstring(data)
    envelope, encoded = list(root)
    assert envelope.prefix == "edXML"
    assert encoded.tag == f"{Q}AttachmentEncoded" and encoded.prefix is None  # outside the envelope
    for el in envelope.iter(etree.Element):
        assert el.prefix == "edXML", el.tag
    mh = envelope.find(f"{Q}edXMLHeader/{Q}MessageHeader")
    assert mh is not None
    order = [etree.QName(c).localname for c in mh]
    assert order == [
        "From",
        "To",
        "To",
        "DocumentId",
        "Code",
        "PromulgationInfo",
        "DocumentType",
        "Subject",
        "Content",
        "SignerInfo",
        "DueDate",
        "OtherInfo",
        "SteeringType",
        "ToPlaces",
    ]
    assert [etree.QName(c).localname for c in mh[0]] == [
        "OrganId",
        "OrganizationInCharge",
        "OrganName",
        "OrganAdd",
        "Email",
        "Telephone",
        "Fax",
        "Website",
    ]
    business = envelope.find(f"{Q}edXMLHeader/{Q}TraceHeaderList/{Q}Bussiness")
    assert business is not None
    assert [etree.QName(c).localname for c in business] == [
        "DocumentId",
        "BussinessDocType",
        "BussinessDocReason",
        "Paper",
        "StaffInfo",
    ]
    assert mh.findtext(f"{Q}PromulgationInfo/{Q}PromulgationDate") == "2025/07/15"
    assert envelope.findtext(f".//{Q}TraceHeader/{Q}Timestamp") == "2025/07/15 09:30:05"
    manifest = envelope.find(f"{Q}edXMLBody/{Q}edXMLManifest")
    assert manifest is not None and manifest.get("version") == "1.0"
    ref = manifest[0]
    assert [etree.QName(c).localname for c in ref] == [
        "ContentId",
        "ContentType",
        "Description",
        "AttachmentName",
    ]
    assert ref.findtext(f"{Q}ContentId") == "cid:a1b2c3"
    assert ref.findtext(f"{Q}ContentType") == "application/pdf"
    att = encoded[0]
    assert [etree.QName(c).localname for c in att] == [
        "ContentId",
        "AttachmentName",
        "Description",
        "ContentType",
        "ContentTransferEncoded",
    ]
    assert att.findtext(f"{Q}ContentType") == "application/zip"  # the wrapper travels as a zip
    cte = att[-1]
    assert cte.prefix == "edXML"
    archive = zipfile.ZipFile(io.BytesIO(__import__("base64").b64decode(cte.text)))
    assert archive.namelist() == ["Công văn 1234-UBND-VX.pdf"]
    assert archive.read("Công văn 1234-UBND-VX.pdf") == PDF_BYTES


def test_status_layout() -> None:
    root = etree.fromstring(packet_to_bytes(status_packet("02", description="Sai địa chỉ nhận")))
    status = root.find(f"{Q}edXMLEnvelope/{Q}edXMLHeader/{Q}Status")
    assert status is not None and status.prefix == "edXML"
    assert [etree.QName(c).localname for c in status] == [
        "From",
        "ResponseFor",
        "StaffInfo",
        "StatusCode",
        "Description",
        "Timestamp",
    ]
    assert status.findtext(f"{Q}StatusCode") == "02"
    assert status.findtext(f"{Q}Timestamp") == "2025/07/15 14:02:09"
    assert root.find(f"{Q}edXMLEnvelope/{Q}edXMLBody") is None


def test_timestamps_are_written_in_vietnam_time() -> None:
    packet = status_packet(timestamp=dt.datetime(2025, 7, 15, 7, 2, 9, tzinfo=dt.UTC))
    root = etree.fromstring(packet_to_bytes(packet))
    assert root.findtext(f".//{Q}Timestamp") == "2025/07/15 14:02:09"
    assert read_packet(packet_to_bytes(packet)) == packet  # the same instant


def test_write_to_a_path_and_read_from_a_stream(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "out.edxml"
    original = document_packet()
    write_packet(original, target)
    with target.open("rb") as fh, read_packet(fh) as back:
        assert back == original


def test_utf16_packets_are_read() -> None:
    original = document_packet()
    text = packet_to_bytes(original).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    with read_packet(text.encode("utf-16")) as back:
        assert back == original


def test_forwarding_a_read_packet() -> None:
    first = roundtrip(document_packet())
    assert isinstance(first, DocumentPacket)
    second = roundtrip(first)
    assert second == first == document_packet()


@pytest.mark.parametrize(
    ("packet", "message"),
    [
        (document_packet(sender=Organization("")), "MessageHeader/From/OrganId missing"),
        (document_packet(recipients=[]), "MessageHeader/To missing"),
        (document_packet(recipients=[VPCP, Organization(" ")]), "MessageHeader/To[2]/OrganId missing"),
        (document_packet(document_id=""), "MessageHeader/DocumentId missing"),
        (document_packet(subject="bad \x00 byte"), "MessageHeader/Subject: text contains characters"),
        (status_packet("14"), "Status/StatusCode '14' is not one of 01, 02, 03, 04, 05, 06, 13, 15, 16"),
        (status_packet(timestamp=None), "Status/Timestamp missing"),
        (status_packet(response_for=ResponseFor()), "Status/ResponseFor/DocumentId missing"),
    ],
)
def test_writer_refuses_incomplete_models(packet: DocumentPacket | StatusPacket, message: str) -> None:
    with pytest.raises(EdxmlError) as exc:
        packet_to_bytes(packet)
    assert str(exc.value).startswith(message)


def test_duplicate_content_ids_are_refused() -> None:
    a = Attachment.from_bytes("a.txt", b"a", content_id="1")
    b = Attachment.from_bytes("b.txt", b"b", content_id="1")
    with pytest.raises(EdxmlError, match="ContentId 1 used twice"):
        packet_to_bytes(document_packet(attachments=[a, b]))


def test_document_id_helper() -> None:
    assert make_document_id("000.00.00.G22", dt.date(2015, 9, 30), "7816", "VPCP-TTĐT") == (
        "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    )


# -- property: any model the writer accepts reads back equal -----------------------------------------------
VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠ"
texts = st.text(
    alphabet=st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + "0123456789 ,.;:/-()&<>\"'"), max_size=40
).map(str.strip)
nonempty = texts.filter(bool)
ids = st.from_regex(r"\A[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z")
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))
stamps = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=VN_TZ)
)
small_ints = st.one_of(st.none(), st.integers(min_value=0, max_value=10_000))
organizations = st.builds(
    Organization, organ_id=ids, organ_name=texts, organization_in_charge=texts, organ_add=texts, email=texts
)
attachments = st.builds(
    Attachment.from_bytes,
    name=nonempty.map(lambda s: s.replace("/", "-") + ".bin"),
    data=st.binary(max_size=3000),
    content_type=st.sampled_from(["application/pdf", "text/plain", "application/octet-stream"]),
    description=texts,
    zipped=st.booleans(),
)
businesses = st.builds(
    Business,
    document_id=texts,
    doc_type=st.sampled_from(list(BusinessDocType)),
    doc_reason=texts,
    paper=small_ints,
    staff_info=st.one_of(
        st.none(), st.builds(StaffInfo, department=texts, staff=texts, email=texts, mobile=texts)
    ),
)
documents = st.builds(
    DocumentPacket,
    sender=organizations,
    recipients=st.lists(organizations, min_size=1, max_size=3),
    document_id=nonempty,
    code=st.builds(Code, number=texts, notation=texts),
    promulgation=st.builds(PromulgationInfo, place=texts, date=st.one_of(st.none(), dates)),
    document_type=st.builds(DocumentType, type=small_ints, type_detail=small_ints, type_name=texts),
    subject=texts,
    content=texts,
    signer=st.builds(SignerInfo, competence=texts, position=texts, full_name=texts),
    due_date=st.one_of(st.none(), dates),
    to_places=st.lists(nonempty, max_size=3),
    other_info=st.builds(
        OtherInfo,
        priority=small_ints,
        sphere_of_promulgation=texts,
        page_amount=small_ints,
        direction=st.one_of(st.none(), st.booleans()),
        appendixes=st.lists(nonempty, max_size=2),
    ),
    steering_type=small_ints,
    trace_headers=st.lists(
        st.builds(TraceHeader, organ_id=ids, timestamp=st.one_of(st.none(), stamps)), max_size=2
    ),
    business=businesses,
    attachments=st.lists(attachments, max_size=3, unique_by=lambda a: a.content_id),
)
statuses = st.builds(
    StatusPacket,
    sender=organizations,
    response_for=st.builds(
        ResponseFor,
        organ_id=ids,
        code=texts,
        promulgation_date=st.one_of(st.none(), dates),
        document_id=nonempty,
    ),
    staff_info=st.one_of(st.none(), st.builds(StaffInfo, department=texts, staff=texts)),
    status_code=st.sampled_from(list(STATUS_DESCRIPTIONS)),
    description=texts,
    timestamp=stamps,
)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_roundtrips(packet: DocumentPacket) -> None:
    back = roundtrip(packet)
    assert back == packet
    assert isinstance(back, DocumentPacket)
    for before, after in zip(packet.attachments, back.attachments, strict=True):
        assert after.read_bytes() == before.read_bytes()


@settings(max_examples=60, deadline=None, database=None)
@given(statuses, st.sampled_from(list(StatusContainer)))
def test_any_status_roundtrips(packet: StatusPacket, container: StatusContainer) -> None:
    assert roundtrip(packet, options=WriterOptions(status_container=container)) == packet
