"""Writing edXML packets in the layout of the VPCP SDK sample (see docs/edxml.md).

The header and envelope are built as a small lxml tree; attachments are streamed: each attachment's base64
text is produced block by block while the output is written (and, when signing, while the digest is
computed), so writing a packet with a large attachment does not hold it in memory.

The writer writes what the model holds — it fills in nothing (use :func:`~.values.make_document_id` and
:func:`~.model.status_description` to build values) — and refuses a model that lacks what a receiver needs
(sender and recipient ``OrganId``, ``DocumentId``, a standard status code …).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Literal

from lxml import etree

from .errors import EdxmlError
from .model import (
    DSIG_NS,
    NS,
    PREFIX,
    STATUS_DESCRIPTIONS,
    Attachment,
    Business,
    BusinessDocType,
    DocumentPacket,
    Organization,
    Packet,
    ResponseFor,
    StaffInfo,
    StatusPacket,
    TraceHeader,
)
from .signature import MarkerExpander, PacketSigner
from .values import format_date, format_timestamp

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
B64_BLOCK = 3 * (1 << 16)


class StatusContainer(enum.StrEnum):
    STATUS = "Status"
    """``edXMLHeader/edXML:Status`` as QCVN 102 and the VNPT, Bkav and .NET SDK classes write it."""
    MESSAGE_HEADER = "MessageHeader"
    """Status fields inside ``MessageHeader``, as the VPCP Java SDK's sample status packets have them."""


@dataclass(frozen=True)
class WriterOptions:
    status_container: StatusContainer | Literal["Status", "MessageHeader"] = StatusContainer.STATUS
    write_digests: bool = False
    """Add ``DigestValue`` (SHA-256 of the file) to each attachment: an egov extension that egov's reader
    checks and others ignore; off by default because strict XSD validators might refuse it."""
    pretty: bool = True
    spool_threshold: int = 1 << 20
    temp_dir: str | None = None


def _text_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


class _Builder:
    def __init__(self) -> None:
        self.path: list[str] = []

    def el(
        self, parent: etree._Element, name: str, value: object = None, *, always: bool = False
    ) -> etree._Element | None:
        text = _text_value(value)
        if not text and not always:
            return None
        node = etree.SubElement(parent, f"{{{NS}}}{name}")
        if text:
            try:
                node.text = text
            except ValueError:
                where = "/".join([*self.path, name])
                raise EdxmlError(f"{where}: text contains characters that XML cannot carry") from None
        return node

    def group(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{NS}}}{name}")

    def organization(self, parent: etree._Element, name: str, org: Organization, path: str) -> None:
        if not org.organ_id.strip():
            raise EdxmlError(f"{path}/OrganId missing")
        node = self.group(parent, name)
        self.path = [path]
        self.el(node, "OrganId", org.organ_id, always=True)
        self.el(node, "OrganizationInCharge", org.organization_in_charge)
        self.el(node, "OrganName", org.organ_name)
        self.el(node, "OrganAdd", org.organ_add)
        self.el(node, "Email", org.email)
        self.el(node, "Telephone", org.telephone)
        self.el(node, "Fax", org.fax)
        self.el(node, "Website", org.website)

    def response_for(self, parent: etree._Element, rf: ResponseFor) -> None:
        node = self.group(parent, "ResponseFor")
        self.el(node, "OrganId", rf.organ_id)
        self.el(node, "Code", rf.code)
        self.el(node, "PromulgationDate", rf.promulgation_date)
        self.el(node, "DocumentId", rf.document_id)

    def staff(self, parent: etree._Element, staff: StaffInfo | None) -> None:
        if staff is None:
            return
        node = self.group(parent, "StaffInfo")
        self.el(node, "Department", staff.department)
        self.el(node, "Staff", staff.staff)
        self.el(node, "Email", staff.email)
        self.el(node, "Mobile", staff.mobile)

    def traces(self, parent: etree._Element, traces: list[TraceHeader]) -> None:
        for trace in traces:
            node = self.group(parent, "TraceHeader")
            self.el(node, "OrganId", trace.organ_id)
            self.el(node, "Timestamp", trace.timestamp)

    def business(self, parent: etree._Element, business: Business) -> None:
        node = self.group(parent, "Bussiness")
        self.path = ["TraceHeaderList/Bussiness"]
        try:
            doc_type = BusinessDocType(business.doc_type)
        except ValueError:
            raise EdxmlError(
                f"TraceHeaderList/Bussiness/BussinessDocType {business.doc_type!r} is not 0-3"
            ) from None
        self.el(node, "DocumentId", business.document_id)
        self.el(node, "BussinessDocType", doc_type.value, always=True)
        self.el(node, "BussinessDocReason", business.doc_reason)
        self.el(node, "Paper", business.paper)
        if business.document_info is not None:
            info = self.group(node, "BussinessDocumentInfo")
            self.el(info, "DocumentInfo", business.document_info.document_info)
            self.el(info, "DocumentReceiver", business.document_info.document_receiver)
            if business.document_info.receivers:
                lst = self.group(info, "ReceiverList")
                for receiver in business.document_info.receivers:
                    r = self.group(lst, "Receiver")
                    self.el(r, "OrganId", receiver.organ_id)
                    self.el(r, "ReceiverType", receiver.receiver_type)
        if business.replacements:
            lst = self.group(node, "ReplacementInfoList")
            for replacement in business.replacements:
                r = self.group(lst, "ReplacementInfo")
                self.el(r, "DocumentId", replacement.document_id)
                ids = self.group(r, "OrganIdList")
                for organ_id in replacement.organ_ids:
                    self.el(ids, "OrganId", organ_id)
        self.staff(node, business.staff_info)


def _message_header(b: _Builder, header: etree._Element, p: DocumentPacket) -> None:
    mh = b.group(header, "MessageHeader")
    b.organization(mh, "From", p.sender, "MessageHeader/From")
    if not p.recipients:
        raise EdxmlError("MessageHeader/To missing")
    for i, org in enumerate(p.recipients, 1):
        b.organization(
            mh, "To", org, f"MessageHeader/To[{i}]" if len(p.recipients) > 1 else "MessageHeader/To"
        )
    b.path = ["MessageHeader"]
    if not p.document_id.strip():
        raise EdxmlError("MessageHeader/DocumentId missing")
    b.el(mh, "DocumentId", p.document_id)
    if p.code.number or p.code.notation:
        code = b.group(mh, "Code")
        b.el(code, "CodeNumber", p.code.number)
        b.el(code, "CodeNotation", p.code.notation)
    if p.promulgation.place or p.promulgation.date:
        prom = b.group(mh, "PromulgationInfo")
        b.el(prom, "Place", p.promulgation.place)
        b.el(prom, "PromulgationDate", p.promulgation.date)
    dt = p.document_type
    if dt.type is not None or dt.type_detail is not None or dt.type_name:
        node = b.group(mh, "DocumentType")
        b.el(node, "Type", dt.type)
        b.el(node, "TypeDetail", dt.type_detail)
        b.el(node, "TypeName", dt.type_name)
    b.el(mh, "Subject", p.subject)
    b.el(mh, "Content", p.content)
    s = p.signer
    if s.competence or s.position or s.full_name:
        node = b.group(mh, "SignerInfo")
        b.el(node, "Competence", s.competence)
        b.el(node, "Position", s.position)
        b.el(node, "FullName", s.full_name)
    b.el(mh, "DueDate", p.due_date)
    o = p.other_info
    if any(
        v not in (None, "", [])
        for v in (
            o.priority,
            o.sphere_of_promulgation,
            o.typer_notation,
            o.promulgation_amount,
            o.page_amount,
            o.direction,
            o.appendixes,
        )
    ):
        node = b.group(mh, "OtherInfo")
        b.el(node, "Priority", o.priority)
        b.el(node, "SphereOfPromulgation", o.sphere_of_promulgation)
        b.el(node, "TyperNotation", o.typer_notation)
        b.el(node, "PromulgationAmount", o.promulgation_amount)
        b.el(node, "PageAmount", o.page_amount)
        b.el(node, "Direction", o.direction)
        if o.appendixes:
            apps = b.group(node, "Appendixes")
            for appendix in o.appendixes:
                b.el(apps, "Appendix", appendix)
    for rf in p.response_for:
        b.response_for(mh, rf)
    b.el(mh, "SteeringType", p.steering_type)
    if p.to_places:
        places = b.group(mh, "ToPlaces")
        for place in p.to_places:
            b.el(places, "Place", place)


def _status_header(b: _Builder, header: etree._Element, p: StatusPacket, container: str) -> None:
    node = b.group(header, container)
    b.organization(node, "From", p.sender, f"{container}/From")
    b.path = [container]
    if not p.response_for.document_id.strip():
        raise EdxmlError(f"{container}/ResponseFor/DocumentId missing")
    b.response_for(node, p.response_for)
    b.staff(node, p.staff_info)
    if p.status_code not in STATUS_DESCRIPTIONS:
        raise EdxmlError(
            f"{container}/StatusCode '{p.status_code}' is not one of {', '.join(STATUS_DESCRIPTIONS)}"
        )
    b.el(node, "StatusCode", p.status_code, always=True)
    b.el(node, "Description", p.description)
    if p.timestamp is None:
        raise EdxmlError(f"{container}/Timestamp missing")
    b.el(node, "Timestamp", p.timestamp)


# -- attachments --------------------------------------------------------------------------------------------
class _Payload:
    """The bytes that travel for one attachment: the file itself, or a one-entry zip archive of it."""

    def __init__(self, attachment: Attachment, options: WriterOptions) -> None:
        self.attachment = attachment
        self._zip: IO[bytes] | None = None
        if attachment.zipped:
            self._zip = tempfile.SpooledTemporaryFile(max_size=options.spool_threshold, dir=options.temp_dir)  # noqa: SIM115
            info = zipfile.ZipInfo(attachment.safe_filename(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zipfile.ZipFile(self._zip, "w") as archive, archive.open(info, "w") as dst:
                for block in attachment.chunks():
                    dst.write(block)

    def blocks(self) -> Iterator[bytes]:
        if self._zip is None:
            yield from self.attachment.chunks(B64_BLOCK)
            return
        self._zip.seek(0)
        while block := self._zip.read(B64_BLOCK):
            yield block

    def base64(self) -> Iterator[bytes]:
        rest = b""
        for block in self.blocks():
            data = rest + block
            cut = len(data) - len(data) % 3
            rest = data[cut:]
            if cut:
                yield base64.b64encode(data[:cut])
        if rest:
            yield base64.b64encode(rest)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _attachment_metadata(attachments: list[Attachment]) -> None:
    seen: set[str] = set()
    for i, att in enumerate(attachments, 1):
        where = f"Attachment[{i}]"
        if not att.name.strip():
            raise EdxmlError(f"{where}: AttachmentName missing")
        if not att.content_id.strip():
            raise EdxmlError(f"{where} ({att.name}): ContentId missing")
        if att.content_id in seen:
            raise EdxmlError(f"{where} ({att.name}): ContentId {att.content_id} used twice")
        seen.add(att.content_id)
        if att.source is None:
            raise EdxmlError(f"{where} ({att.name}): no content")


def _sha256(att: Attachment) -> str:
    if att.sha256:
        return att.sha256
    digest = hashlib.sha256()
    for block in att.chunks():
        digest.update(block)
    return digest.hexdigest()


def _body(
    b: _Builder,
    root: etree._Element,
    envelope: etree._Element,
    p: DocumentPacket,
    marker: bytes,
    opts: WriterOptions,
) -> None:
    body = b.group(envelope, "edXMLBody")
    manifest = b.group(body, "edXMLManifest")
    manifest.set("version", "1.0")
    b.path = ["edXMLManifest/Reference"]
    for att in p.attachments:
        ref = b.group(manifest, "Reference")
        b.el(ref, "ContentId", f"cid:{att.content_id}")
        b.el(ref, "ContentType", att.content_type)
        b.el(ref, "Description", att.description)
        b.el(ref, "AttachmentName", att.name)
    if not p.attachments:
        return
    encoded = etree.SubElement(root, f"{{{NS}}}AttachmentEncoded")
    b.path = ["AttachmentEncoded/Attachment"]
    for i, att in enumerate(p.attachments):
        node = b.group(encoded, "Attachment")
        b.el(node, "ContentId", f"cid:{att.content_id}")
        b.el(node, "AttachmentName", att.name)
        b.el(node, "Description", att.description)
        b.el(node, "ContentType", "application/zip" if att.zipped else att.content_type)
        if opts.write_digests:
            digest = b.el(node, "DigestValue", base64.b64encode(bytes.fromhex(_sha256(att))).decode())
            assert digest is not None
            digest.set("Algorithm", SHA256_URI)
        # As in the VPCP sample: the one prefixed child of AttachmentEncoded, re-declaring the prefix.
        cte = etree.SubElement(node, f"{{{NS}}}ContentTransferEncoded", nsmap={PREFIX: NS})
        cte.text = (marker + str(i).encode()).decode()


def build_tree(packet: Packet, marker: bytes, options: WriterOptions, *, placeholder: bool) -> etree._Element:
    """The packet as an lxml tree, attachments replaced by markers (``marker + index``)."""
    b = _Builder()
    root = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS})
    envelope = etree.SubElement(root, f"{{{NS}}}edXMLEnvelope", nsmap={PREFIX: NS})
    header = b.group(envelope, "edXMLHeader")
    if isinstance(packet, DocumentPacket):
        _attachment_metadata(packet.attachments)
        _message_header(b, header, packet)
        traces = b.group(header, "TraceHeaderList")
        b.traces(traces, packet.trace_headers)
        b.business(traces, packet.business)
    else:
        _status_header(b, header, packet, StatusContainer(options.status_container).value)
        if packet.trace_headers:
            b.traces(b.group(header, "TraceHeaderList"), packet.trace_headers)
    if placeholder:
        etree.SubElement(header, f"{{{DSIG_NS}}}Signature", nsmap={None: DSIG_NS}, Id="placeholder")
    if isinstance(packet, DocumentPacket):
        _body(b, root, envelope, packet, marker, options)
    if options.pretty:
        etree.indent(root, space="  ")
    return root


def write_packet(
    packet: Packet,
    out: IO[bytes] | str | os.PathLike[str],
    *,
    signer: PacketSigner | None = None,
    options: WriterOptions | None = None,
) -> None:
    """Write ``packet`` to a binary file object or a path, signed when ``signer`` is given."""
    opts = options or WriterOptions()
    marker = MarkerExpander.new_marker()
    attachments = packet.attachments if isinstance(packet, DocumentPacket) else []
    payloads: list[_Payload] = []
    try:
        root = build_tree(packet, marker, opts, placeholder=signer is not None)
        payloads = [_Payload(att, opts) for att in attachments]
        if signer is not None:
            expander = MarkerExpander(marker, lambda index: payloads[index].base64())
            root = signer.sign_tree(root, expander)
        head = etree.tostring(root, encoding="UTF-8")
        if isinstance(out, (str, os.PathLike)):
            with Path(out).open("wb") as fh:
                _stream(fh, head, marker, payloads)
        else:
            _stream(out, head, marker, payloads)
    finally:
        for p in payloads:
            p.close()


def _stream(out: IO[bytes], head: bytes, marker: bytes, payloads: list[_Payload]) -> None:
    out.write(XML_DECLARATION)
    last = 0
    for m in re.finditer(re.escape(marker) + rb"(\d+)", head):
        out.write(head[last : m.start()])
        for block in payloads[int(m.group(1))].base64():
            out.write(block)
        last = m.end()
    out.write(head[last:])
    out.write(b"\n")


def packet_to_bytes(
    packet: Packet, *, signer: PacketSigner | None = None, options: WriterOptions | None = None
) -> bytes:
    buf = io.BytesIO()
    write_packet(packet, buf, signer=signer, options=options)
    return buf.getvalue()
