"""edXML (QCVN 102:2016) codec: read, write, sign and verify document and status packets.

Pure Python (lxml, signxml, cryptography); no Django. See docs/edxml.md for the packet layout egov writes,
the tolerance rules of the reader, the limits and the signature placement.

    packet = read_packet("incoming.edxml")          # DocumentPacket or StatusPacket
    write_packet(packet, "out.edxml", signer=PacketSigner(key_pem, chain_pem))
"""

from .errors import (
    EdxmlContentError,
    EdxmlError,
    EdxmlSignatureError,
    EdxmlSizeError,
    EdxmlSyntaxError,
)
from .model import (
    DSIG_NS,
    NS,
    STATUS_DESCRIPTIONS,
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentPacket,
    DocumentType,
    Organization,
    OtherInfo,
    Packet,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPacket,
    TraceHeader,
    status_description,
)
from .reader import ReaderOptions, read_packet
from .signature import PacketSigner, SignatureResult, SignatureStatus
from .values import (
    VN_TZ,
    format_date,
    format_timestamp,
    is_standard_organ_id,
    make_document_id,
    parse_date,
    parse_document_id,
    parse_timestamp,
)
from .writer import StatusContainer, WriterOptions, packet_to_bytes, write_packet

__all__ = [
    "DSIG_NS",
    "NS",
    "STATUS_DESCRIPTIONS",
    "VN_TZ",
    "Attachment",
    "Business",
    "BusinessDocType",
    "BusinessDocumentInfo",
    "Code",
    "DocumentPacket",
    "DocumentType",
    "EdxmlContentError",
    "EdxmlError",
    "EdxmlSignatureError",
    "EdxmlSizeError",
    "EdxmlSyntaxError",
    "Organization",
    "OtherInfo",
    "Packet",
    "PacketSigner",
    "PromulgationInfo",
    "ReaderOptions",
    "Receiver",
    "ReplacementInfo",
    "ResponseFor",
    "SignatureResult",
    "SignatureStatus",
    "SignerInfo",
    "StaffInfo",
    "StatusCode",
    "StatusContainer",
    "StatusPacket",
    "TraceHeader",
    "WriterOptions",
    "format_date",
    "format_timestamp",
    "is_standard_organ_id",
    "make_document_id",
    "packet_to_bytes",
    "parse_date",
    "parse_document_id",
    "parse_timestamp",
    "read_packet",
    "status_description",
    "write_packet",
]
