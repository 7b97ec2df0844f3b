"""The sixteen real packets of the VPCP SDK sample (read from ../shared/data/edxml, never copied here)."""

from __future__ import annotations

import datetime as dt

import pytest

from egov.exchange.edxml import (
    VN_TZ,
    BusinessDocType,
    DocumentPacket,
    EdxmlSyntaxError,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignatureStatus,
    StatusPacket,
    read_packet,
)

from .helpers import REAL_PACKETS, needs_real_packets

pytestmark = needs_real_packets

VPCP_DOC_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
INNER_SHA256 = "8385739ec4a4ed36d71eabcaead629641ffc5ffff3d487ff5c34d2f821c9f36e"


def read_document(name: str) -> DocumentPacket:
    packet = read_packet(REAL_PACKETS / name)
    assert isinstance(packet, DocumentPacket)
    return packet


def test_the_folder_holds_sixteen_packets() -> None:
    assert len(list(REAL_PACKETS.glob("*.edxml"))) == 16


@pytest.mark.parametrize(
    ("name", "doc_type", "reason", "business_id"),
    [
        ("edoc_replacement.edxml", BusinessDocType.REPLACE, "Văn bản thay thế", ""),
        ("edoc_revocation.edxml", BusinessDocType.REVOKE, "Thu hồi văn bản điện tử", ""),
        # The update sample's Bussiness/DocumentId carries an impossible date (30 February): kept verbatim.
        (
            "edoc_update.edxml",
            BusinessDocType.UPDATE,
            "Cập nhật văn bản điện tử",
            "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT",
        ),
    ],
)
def test_vpcp_document_packets(name: str, doc_type: BusinessDocType, reason: str, business_id: str) -> None:
    with read_document(name) as p:
        assert p.kind == "document"
        assert p.document_id == VPCP_DOC_ID
        assert p.sender.organ_id == "000.00.00.G22"
        assert p.sender.organization_in_charge == "Văn phòng Chính phủ"
        assert p.sender.fax == "048989898789"
        assert [o.organ_id for o in p.recipients] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
        assert p.recipients[1].organ_name == "UBND Tỉnh Cao Bằng"
        assert (p.code.number, p.code.notation) == ("7816", "VPCP-TTĐT")
        assert p.promulgation.place == "Hà Nội"
        assert p.promulgation.date == dt.date(2018, 9, 28)
        assert (p.document_type.type, p.document_type.type_detail, p.document_type.type_name) == (
            1,
            0,
            "Công văn",
        )
        assert p.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
        assert p.signer.competence == "TL. BO TRUONG"
        assert p.signer.full_name == "Nguyen Thanh Phuc"
        assert p.due_date == dt.date(2018, 9, 28)
        assert p.to_places == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"]
        assert p.other_info.page_amount == 22
        assert p.other_info.promulgation_amount == 2
        assert p.other_info.direction is False
        assert p.other_info.appendixes == ["Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"]
        assert p.steering_type == 1
        assert p.trace_headers[0].organ_id == "000.00.00.G22"
        assert p.trace_headers[0].timestamp == dt.datetime(2018, 9, 28, tzinfo=VN_TZ)
        assert p.business.document_id == business_id
        assert p.business.doc_type == doc_type
        assert p.business.doc_reason == reason
        assert p.business.paper == 0
        assert p.business.staff_info is not None
        assert p.business.staff_info.staff == "Nguyễn Thị Ngọc Trâm"
        (att,) = p.attachments
        assert att.name == "1896_QD-TTg_m_294779.doc"
        assert att.content_id == "209"
        assert att.zipped is True  # base64 of a one-entry zip archive
        assert att.content_type == "application/msword"  # the packet says application/zip: the wrapper's type
        assert att.size == 388347
        assert att.sha256 == INNER_SHA256
        assert att.read_bytes().startswith(b"<?xml")
        assert att.description == "1896_QD-TTg_m_294779.doc"
        assert p.signature is not None
        assert p.signature.status == SignatureStatus.UNVERIFIABLE
        assert "not the XML-DSig namespace" in p.signature.reason
        assert "http://www.w3.org/TR/xml-exc-c14n#" in p.signature.reason
        assert p.warnings == []


def test_replacement_details() -> None:
    with read_document("edoc_replacement.edxml") as p:
        expected = ReplacementInfo(
            "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT", ["000.00.00.H41", "000.00.00.H14"]
        )
        assert p.business.replacements == [expected, expected]
        assert p.business.document_info is None
        assert p.response_for == []  # the sample's all-empty ResponseFor is dropped


def test_revocation_details() -> None:
    with read_document("edoc_revocation.edxml") as p:
        assert p.response_for == [
            ResponseFor(
                organ_id="000.00.00.H14",
                code="267/VPCP-TTĐT",
                promulgation_date=dt.date(2018, 9, 28),
                document_id="000.00.04.G14,2012/08/06,267/VPCP-TTĐT",
            )
        ]


def test_update_details() -> None:
    with read_document("edoc_update.edxml") as p:
        info = p.business.document_info
        assert info is not None
        assert (info.document_info, info.document_receiver) == ("1", "1")
        assert info.receivers == [Receiver("000.00.00.H41", 0), Receiver("000.00.00.H14", 1)]


def test_gateway_envelope_of_2025() -> None:
    with read_document("real_2025-10_874e0f18.edxml") as p:
        assert p.document_id == "5e515fca-3627-4f2e-b517-7169acdc8bda"
        assert p.sender.organ_id == "vxp.saas.03"
        assert [o.organ_id for o in p.recipients] == ["vxp.saas.03"]
        assert (p.code.number, p.code.notation) == ("BINTEST123", "GW-AUTO")
        assert p.promulgation.date == dt.date(2025, 10, 23)
        assert p.subject == "Binary fix test"
        assert p.signer.full_name == "Gateway Auto"
        assert p.business.doc_type == BusinessDocType.NEW
        assert [t.organ_id for t in p.trace_headers] == ["", ""]  # "null" and missing
        assert p.trace_headers[1].timestamp == dt.datetime(2025, 10, 23, 16, 28, 43, tzinfo=VN_TZ)
        (att,) = p.attachments
        assert att.name == "1761211722949_TestTrucLienThong.pdf"
        assert att.content_type == "application/pdf"
        assert att.zipped is True  # says application/pdf, carries a zip: detected by content
        assert att.size == 11229
        assert att.sha256 == "5e5594163389923f82dc1b4c9d0008f68064d7609498bf1a5c6196fbc35b1de9"
        assert att.read_bytes().startswith(b"%PDF-1.3")
        assert p.signature is not None
        assert p.signature.status == SignatureStatus.ABSENT
        warnings = " | ".join(p.warnings)
        assert "MessageHeader/From/OrganId 'vxp.saas.03' is not a QCVN 102 code" in warnings
        assert "MessageHeader/To/OrganId 'vxp.saas.03' is not a QCVN 102 code" in warnings
        assert "DocumentId '5e515fca-3627-4f2e-b517-7169acdc8bda' is not in the form" in warnings
        assert "TraceHeaderList/Bussiness missing" in warnings


STATUS_FILES = [
    ("status.edxml", "01", "000.00.00.H41", "000.00.00.G22", "2018/09/28 17:25:11", "Đã đến"),
    ("status_inbox__01.edxml", "01", "000.00.00.H41", "000.00.00.G22", "2015/09/20 11:08:36", "Đã đến"),
    ("status_rejection_02.edxml", "02", "000.00.00.H41", "000.00.00.G22", "2015/09/20 11:08:36", "Từ chối"),
    (
        "status_acceptance_03.edxml",
        "03",
        "000.00.00.H41",
        "000.00.00.G22",
        "2015/09/20 11:08:36",
        "Tiếp nhận",
    ),
    (
        "status_assignment_04.edxml",
        "04",
        "000.00.00.H41",
        "000.00.00.G22",
        "2015/09/20 11:08:36",
        "Phân công",
    ),
    (
        "status_processing_05.edxml",
        "05",
        "000.00.00.H41",
        "000.00.00.G22",
        "2015/09/20 11:08:36",
        "Đang xử lý",
    ),
    ("status_finish_06.edxml", "06", "000.00.00.H41", "000.00.00.G22", "2015/09/20 11:08:36", "hoàn thành"),
    (
        "status_cancellation_13.edxml",
        "13",
        "000.00.00.G22",
        "000.00.00.H41",
        "2015/09/20 11:08:36",
        "lấy lại",
    ),
    (
        "status_change-acceptance_15.edxml",
        "15",
        "000.00.00.H41",
        "000.00.00.G22",
        "2015/09/20 11:08:36",
        "đồng ý",
    ),
    (
        "status_change-rejection_16.edxml",
        "16",
        "000.00.00.H41",
        "000.00.00.G22",
        "2015/09/20 11:08:36",
        "từ chối",
    ),
]


@pytest.mark.parametrize(("name", "code", "sender", "original", "timestamp", "words"), STATUS_FILES)
def test_status_packets(name: str, code: str, sender: str, original: str, timestamp: str, words: str) -> None:
    p = read_packet(REAL_PACKETS / name)
    assert isinstance(p, StatusPacket)
    assert p.kind == "status"
    assert p.status_code == code
    assert p.sender.organ_id == sender
    assert p.response_for.organ_id == original
    assert p.document_id == VPCP_DOC_ID
    assert p.response_for.code == "7816/VPCP-TTĐT"
    assert p.timestamp is not None
    assert p.timestamp.strftime("%Y/%m/%d %H:%M:%S") == timestamp
    assert p.timestamp.utcoffset() == dt.timedelta(hours=7)
    assert words.lower() in p.description.lower()
    assert p.staff_info is not None
    assert p.signature is not None
    assert p.signature.status == SignatureStatus.ABSENT
    assert p.warnings == []


def test_status_fields_of_the_first_sample() -> None:
    p = read_packet(REAL_PACKETS / "status.edxml")
    assert isinstance(p, StatusPacket)
    assert p.response_for.promulgation_date == dt.date(2018, 9, 28)
    assert p.staff_info is not None
    assert p.staff_info.department == "Văn thư văn phòng"
    assert p.sender.organ_add == "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam"


def test_the_new_document_sample_has_stray_bytes() -> None:
    with pytest.raises(EdxmlSyntaxError) as exc:
        read_packet(REAL_PACKETS / "edoc_new.edxml")
    assert str(exc.value) == (
        "line 1: not well-formed: Start tag expected, '<' not found "
        "(stray bytes '1212' before the XML declaration)"
    )


def test_the_old_sample_has_an_unbound_prefix() -> None:
    with pytest.raises(EdxmlSyntaxError) as exc:
        read_packet(REAL_PACKETS / "edoc.edxml")
    assert str(exc.value) == (
        "line 116: not namespace-well-formed: Namespace prefix xlink for href on Reference is not defined"
    )


def test_fourteen_of_sixteen_read() -> None:
    ok, failed = [], []
    for path in sorted(REAL_PACKETS.glob("*.edxml")):
        try:
            read_packet(path).close()
            ok.append(path.name)
        except EdxmlSyntaxError:
            failed.append(path.name)
    assert len(ok) == 14
    assert failed == ["edoc.edxml", "edoc_new.edxml"]
