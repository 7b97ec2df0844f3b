"""Builders shared by the exchange tests: sample packets written from the standard, a throwaway PKI."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from egov.exchange.edxml import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    Code,
    DocumentPacket,
    DocumentType,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusPacket,
    TraceHeader,
)

# /work/main/src/egov/exchange/tests/helpers.py -> parents[4] is the repository root.
REAL_PACKETS = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "edxml"

needs_real_packets = pytest.mark.skipif(
    not REAL_PACKETS.is_dir(), reason=f"real edXML samples not present at {REAL_PACKETS}"
)
needs_xmlsec1 = pytest.mark.skipif(
    shutil.which("xmlsec1") is None,
    reason="xmlsec1 is not installed (apt-get install xmlsec1); CI installs it",
)

NGHE_AN = Organization(
    organ_id="000.00.00.H41",
    organization_in_charge="UBND Tỉnh Nghệ An",
    organ_name="Ủy ban nhân dân tỉnh Nghệ An",
    organ_add="Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An",
    email="nghean@gov.vn",
    telephone="0238 3840418",
    fax="0238 3843049",
    website="www.nghean.gov.vn",
)
CAN_THO = Organization(organ_id="000.00.00.H56", organ_name="Ủy ban nhân dân thành phố Cần Thơ")
VPCP = Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")

PDF_BYTES = b"%PDF-1.4\n" + "Công văn số 1234/UBND-VX về việc chuyển đổi số\n".encode() * 400 + b"%%EOF\n"


def document_packet(**changes: object) -> DocumentPacket:
    """A full new-document packet with Vietnamese text, one zipped and one plain attachment."""
    packet = DocumentPacket(
        sender=NGHE_AN,
        recipients=[VPCP, CAN_THO],
        document_id="000.00.00.H41,2025/07/15,1234/UBND-VX",
        code=Code("1234", "UBND-VX"),
        promulgation=PromulgationInfo("Nghệ An", dt.date(2025, 7, 15)),
        document_type=DocumentType(1, 0, "Công văn"),
        subject="V/v triển khai liên thông văn bản điện tử giữa các cơ quan hành chính",
        content="Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành khẩn trương thực hiện.",
        signer=SignerInfo("KT. CHỦ TỊCH", "Phó Chủ tịch", "Nguyễn Văn Đức"),
        due_date=dt.date(2025, 8, 1),
        to_places=["Như trên", "Lưu: VT, VX"],
        other_info=OtherInfo(
            priority=1,
            sphere_of_promulgation="Liên thông văn bản quốc gia",
            typer_notation="NVĐ",
            promulgation_amount=3,
            page_amount=2,
            direction=False,
            appendixes=["Phụ lục I: Danh sách đơn vị"],
        ),
        steering_type=1,
        trace_headers=[TraceHeader("000.00.00.H41", dt.datetime(2025, 7, 15, 9, 30, 5, tzinfo=VN_TZ))],
        business=Business(
            document_id="000.00.00.H41,2025/07/15,1234/UBND-VX",
            doc_type=BusinessDocType.NEW,
            doc_reason="Văn bản điện tử mới",
            paper=0,
            staff_info=StaffInfo("Văn thư", "Trần Thị Ngọc Trâm", "vanthu@nghean.gov.vn", "0912000001"),
        ),
        attachments=[
            Attachment.from_bytes(
                "Công văn 1234-UBND-VX.pdf",
                PDF_BYTES,
                content_type="application/pdf",
                description="Văn bản chính",
                content_id="a1b2c3",
                zipped=True,
            ),
            Attachment.from_bytes(
                "Phụ lục.txt",
                "Danh sách: Sở Nội vụ; Sở Tài chính; Sở Khoa học và Công nghệ\n".encode(),
                content_type="text/plain",
                content_id="209",
            ),
        ],
    )
    for key, value in changes.items():
        setattr(packet, key, value)
    return packet


def status_packet(code: str = "03", **changes: object) -> StatusPacket:
    packet = StatusPacket(
        sender=CAN_THO,
        response_for=ResponseFor(
            organ_id="000.00.00.H41",
            code="1234/UBND-VX",
            promulgation_date=dt.date(2025, 7, 15),
            document_id="000.00.00.H41,2025/07/15,1234/UBND-VX",
        ),
        staff_info=StaffInfo("Văn phòng", "Lê Thị Hồng Nhung", "vanthu@cantho.gov.vn", "0912000002"),
        status_code=code,
        description="Văn thư đã tiếp nhận, vào sổ văn bản đến",
        timestamp=dt.datetime(2025, 7, 15, 14, 2, 9, tzinfo=VN_TZ),
    )
    for key, value in changes.items():
        setattr(packet, key, value)
    return packet


@dataclass
class Pki:
    ca_key: rsa.RSAPrivateKey
    ca: x509.Certificate
    key: rsa.RSAPrivateKey
    leaf: x509.Certificate

    def ca_pem(self) -> bytes:
        return self.ca.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def chain_pem(self) -> bytes:
        return self.leaf.public_bytes(serialization.Encoding.PEM) + self.ca_pem()


def make_pki(common_name: str = "Văn thư UBND tỉnh Nghệ An", *, expired: bool = False) -> Pki:
    """A throwaway CA and a leaf signing certificate issued by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "egov test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start, end = (
        (now - dt.timedelta(days=60), now - dt.timedelta(days=1))
        if expired
        else (
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=365),
        )
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Nghệ An"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Pki(ca_key, ca, key, leaf)
