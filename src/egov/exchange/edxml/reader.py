"""Reading edXML packets: tolerant of what real systems send, strict where it matters.

Tolerated (each deviation that might matter is recorded in ``packet.warnings``):

* children with or without the ``edXML:`` prefix, in any namespace, in any order; element names compared
  without regard to case; ``Bussiness``/``Business`` (and ``BussinessDocType``/``BusinessDocType`` …),
  ``OrganizationInCharge``/``OrganInCharge``;
* status fields inside ``edXML:Status`` or directly inside ``MessageHeader`` (the VPCP SDK samples);
* content ids with or without ``cid:``; attachments zipped (one-entry archive) or plain, base64 with or
  without line breaks and padding; the file's content type taken from the manifest when the attachment says
  ``application/zip``;
* dates ``yyyy/MM/dd`` and ``dd/MM/yyyy`` (``-`` also), with or without a time; an unreadable optional date
  becomes None with a warning;
* agency codes outside the QCVN 102 pattern (gateways send ``vxp.saas.03``): accepted with a warning.

Rejected with an :class:`~.errors.EdxmlError` naming the problem: XML that is not well-formed or not
namespace-well-formed, any DOCTYPE/DTD (no entity is ever declared, so neither XXE nor entity expansion can
happen), a packet or attachment over the size limits, a missing sender or recipient ``OrganId``, a missing
status code or ``ResponseFor/DocumentId`` in a status packet, an unknown ``BussinessDocType``, bad base64,
an attachment digest that does not match, a standard XML-DSig signature that does not match the packet.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from cryptography import x509
from lxml import etree

from . import payload as pl
from .errors import EdxmlContentError, EdxmlError, EdxmlSignatureError, EdxmlSizeError, EdxmlSyntaxError
from .model import (
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
    StatusPacket,
    TraceHeader,
)
from .scanner import Scanner, Spool
from .signature import MarkerExpander, SignatureResult, SignatureStatus, verify_tree
from .values import (
    is_standard_organ_id,
    make_document_id,
    normalise_content_id,
    parse_date,
    parse_document_id,
    parse_timestamp,
)

MiB = 1 << 20
READ_BLOCK = 256 * 1024


@dataclass(frozen=True)
class ReaderOptions:
    """Limits and policies of the reader. The defaults suit a provincial hub."""

    max_packet_bytes: int = 64 * MiB
    max_attachment_bytes: int = 40 * MiB
    max_attachments: int = 200
    spool_threshold: int = MiB
    """Attachments up to this size stay in memory; larger ones go to temporary files."""
    temp_dir: str | None = None
    verify_signature: bool = True
    reject_invalid_signature: bool = True
    require_signature: bool = False
    """Reject packets whose signature is absent or unverifiable (off: most real packets carry none)."""
    trusted_certificates: tuple[x509.Certificate, ...] = field(default=())
    signature_time: datetime | None = None


def make_parser() -> etree.XMLParser:
    """The only lxml parser settings used on untrusted input."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        collect_ids=False,
    )


# -- input handling -----------------------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ENCODING_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def _wide_encoding(head: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    if head.startswith(b"<\x00?\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<\x00?"):
        return "utf-16-be", 0
    return None


def _open(
    source: bytes | bytearray | str | os.PathLike[str] | IO[bytes], limit: int
) -> tuple[IO[bytes], bool]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > limit:
            raise EdxmlSizeError(f"packet is larger than the limit of {limit} bytes")
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise EdxmlError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size > limit:
            raise EdxmlSizeError(f"packet is larger than the limit of {limit} bytes ({size} bytes)")
        return path.open("rb"), True
    return source, False


def _syntax_error(exc: etree.XMLSyntaxError, leading: bytes) -> EdxmlSyntaxError:
    # The error log of this thread was cleared when the parse started: its first error is the cause.
    entries = [e for e in exc.error_log if e.level >= etree.ErrorLevels.ERROR]
    entry = entries[0] if entries else None
    message = entry.message if entry is not None else (exc.msg or str(exc))
    line = entry.line if entry is not None else exc.lineno
    message = re.sub(r", line \d+, column \d+$", "", message.strip())
    kind = (
        "not namespace-well-formed"
        if entry is not None and entry.domain_name == "NAMESPACE"
        else "not well-formed"
    )
    stripped = leading.lstrip(codecs.BOM_UTF8)
    if stripped and not stripped.lstrip().startswith(b"<"):
        junk = stripped.split(b"<", 1)[0][:20]
        message += f" (stray bytes {junk.decode('utf-8', 'replace')!r} before the XML declaration)"
    return EdxmlSyntaxError(f"line {max(line or 1, 1)}: {kind}: {message}")


# -- tree helpers -------------------------------------------------------------------------------------------
def _lname(el: etree._Element) -> str:
    tag: str = el.tag  # elements only: "{namespace}local" or "local"
    return tag[tag.rfind("}") + 1 :].lower()


# The children of an element by lower-case local name, built once per element while a packet is
# interpreted (``_interpret`` opens the memo): the header lookups ask MessageHeader for some twenty names,
# which would otherwise walk its children twenty times. Keyed by id(); the element itself is kept in the
# value, so an id cannot be reused while the memo lives. One memo per thread (web servers run several).
_memo = threading.local()
_Index = dict[str, list[tuple[int, etree._Element]]]


def _index(el: etree._Element) -> _Index:
    memo: dict[int, tuple[etree._Element, _Index]] | None = getattr(_memo, "cache", None)
    if memo is not None:
        hit = memo.get(id(el))
        if hit is not None:
            return hit[1]
    index: _Index = {}
    for position, child in enumerate(el.iterchildren(etree.Element)):
        index.setdefault(_lname(child), []).append((position, child))
    if memo is not None:
        memo[id(el)] = (el, index)
    return index


def _kids(el: etree._Element | None, *names: str) -> list[etree._Element]:
    if el is None:
        return []
    index = _index(el)
    found = [pair for n in {n.lower() for n in names} for pair in index.get(n, ())]
    if len(names) > 1:
        found.sort(key=lambda pair: pair[0])
    return [child for _, child in found]


def _kid(el: etree._Element | None, *names: str) -> etree._Element | None:
    if el is None:
        return None
    index = _index(el)
    best: tuple[int, etree._Element] | None = None
    for name in names:
        matches = index.get(name.lower())
        if matches and (best is None or matches[0][0] < best[0]):
            best = matches[0]
    return None if best is None else best[1]


def _text(el: etree._Element | None, *names: str) -> str:
    node = _kid(el, *names) if names else el
    if node is None:
        return ""
    return "".join(node.itertext()).strip()


class _Context:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def as_int(self, el: etree._Element | None, name: str, path: str) -> int | None:
        raw = _text(el, name)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.warn(f"{path}/{name} '{raw}' is not a number; ignored")
            return None

    def as_date(self, el: etree._Element | None, name: str, path: str) -> date | None:
        raw = _text(el, name)
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError as exc:
            self.warn(f"{path}/{name}: {exc}; ignored")
            return None

    def as_timestamp(self, el: etree._Element | None, name: str, path: str) -> datetime | None:
        raw = _text(el, name)
        if not raw:
            return None
        try:
            return parse_timestamp(raw)
        except ValueError as exc:
            self.warn(f"{path}/{name}: {exc}; ignored")
            return None

    def as_bool(self, el: etree._Element | None, name: str, path: str) -> bool | None:
        raw = _text(el, name).lower()
        if not raw:
            return None
        if raw in ("true", "1", "yes"):
            return True
        if raw in ("false", "0", "no"):
            return False
        self.warn(f"{path}/{name} '{raw}' is not a boolean; ignored")
        return None

    def organ_id(self, el: etree._Element | None, path: str, *, required: bool) -> str:
        value = _text(el, "OrganId")
        if value.lower() in ("null", "none", "undefined"):
            value = ""
        if not value:
            if required:
                raise EdxmlContentError(f"{path}/OrganId missing")
            return ""
        if not is_standard_organ_id(value):
            self.warn(f"{path}/OrganId '{value}' is not a QCVN 102 code (NNN.NN.NN.XNN); accepted")
        return value

    def organization(self, el: etree._Element | None, path: str) -> Organization:
        if el is None:
            raise EdxmlContentError(f"{path} missing")
        return Organization(
            organ_id=self.organ_id(el, path, required=True),
            organization_in_charge=_text(el, "OrganizationInCharge", "OrganInCharge"),
            organ_name=_text(el, "OrganName"),
            organ_add=_text(el, "OrganAdd"),
            email=_text(el, "Email"),
            telephone=_text(el, "Telephone"),
            fax=_text(el, "Fax"),
            website=_text(el, "Website"),
        )

    def response_for(self, el: etree._Element, path: str) -> ResponseFor:
        code_el = _kid(el, "Code")
        code = _text(code_el)
        if code_el is not None and _kid(code_el, "CodeNumber") is not None:
            code = str(Code(_text(code_el, "CodeNumber"), _text(code_el, "CodeNotation")))
        organ_id = _text(el, "OrganId")
        if organ_id and not is_standard_organ_id(organ_id):
            self.warn(f"{path}/OrganId '{organ_id}' is not a QCVN 102 code (NNN.NN.NN.XNN); accepted")
        return ResponseFor(
            organ_id=organ_id,
            code=code,
            promulgation_date=self.as_date(el, "PromulgationDate", path),
            document_id=_text(el, "DocumentId"),
        )

    def trace_headers(self, header: etree._Element) -> list[TraceHeader]:
        traces = []
        for i, th in enumerate(_kids(_kid(header, "TraceHeaderList"), "TraceHeader"), 1):
            path = f"TraceHeaderList/TraceHeader[{i}]"
            organ_id = _text(th, "OrganId")
            if organ_id.lower() in ("null", "none", "undefined"):
                organ_id = ""
            traces.append(TraceHeader(organ_id, self.as_timestamp(th, "Timestamp", path)))
        return traces


def _staff(el: etree._Element | None) -> StaffInfo | None:
    if el is None:
        return None
    return StaffInfo(_text(el, "Department"), _text(el, "Staff"), _text(el, "Email"), _text(el, "Mobile"))


# -- interpretation -----------------------------------------------------------------------------------------
def _status(ctx: _Context, header: etree._Element, el: etree._Element, base: str) -> StatusPacket:
    sender = ctx.organization(_kid(el, "From"), f"{base}/From")
    rf_el = _kid(el, "ResponseFor")
    if rf_el is None:
        raise EdxmlContentError(f"{base}/ResponseFor missing")
    response_for = ctx.response_for(rf_el, f"{base}/ResponseFor")
    if not response_for.document_id:
        raise EdxmlContentError(f"{base}/ResponseFor/DocumentId missing")
    raw_code = _text(el, "StatusCode")
    if not raw_code:
        raise EdxmlContentError(f"{base}/StatusCode missing")
    if not re.fullmatch(r"\d{1,2}", raw_code):
        raise EdxmlContentError(f"{base}/StatusCode '{raw_code}' is not a two-digit status code")
    code = raw_code.zfill(2)
    if code not in STATUS_DESCRIPTIONS:
        ctx.warn(
            f"{base}/StatusCode '{code}' is not one of the standard codes {', '.join(STATUS_DESCRIPTIONS)}"
        )
    return StatusPacket(
        sender=sender,
        response_for=response_for,
        staff_info=_staff(_kid(el, "StaffInfo")),
        status_code=code,
        description=_text(el, "Description"),
        timestamp=ctx.as_timestamp(el, "Timestamp", base),
        trace_headers=ctx.trace_headers(header),
    )


def _business(ctx: _Context, header: etree._Element, document_id: str) -> Business:
    el = _kid(_kid(header, "TraceHeaderList"), "Bussiness", "Business")
    path = "TraceHeaderList/Bussiness"
    if el is None:
        ctx.warn(f"{path} missing; treated as a new document (BussinessDocType 0)")
        return Business(document_id=document_id)
    raw = _text(el, "BussinessDocType", "BusinessDocType")
    doc_type = BusinessDocType.NEW
    if not raw:
        ctx.warn(f"{path}/BussinessDocType missing; treated as 0 (new)")
    else:
        try:
            doc_type = BusinessDocType(int(raw))
        except ValueError:
            raise EdxmlContentError(f"{path}/BussinessDocType '{raw}' is not 0, 1, 2 or 3") from None
    info_el = _kid(el, "BussinessDocumentInfo", "BusinessDocumentInfo")
    info = None
    if info_el is not None:
        receivers = [
            Receiver(
                _text(r, "OrganId"), ctx.as_int(r, "ReceiverType", f"{path}/BussinessDocumentInfo/Receiver")
            )
            for r in _kids(_kid(info_el, "ReceiverList"), "Receiver")
        ]
        info = BusinessDocumentInfo(
            _text(info_el, "DocumentInfo"), _text(info_el, "DocumentReceiver"), receivers
        )
    replacements = [
        ReplacementInfo(_text(r, "DocumentId"), [_text(o) for o in _kids(_kid(r, "OrganIdList"), "OrganId")])
        for r in _kids(_kid(el, "ReplacementInfoList"), "ReplacementInfo")
    ]
    return Business(
        document_id=_text(el, "DocumentId"),
        doc_type=doc_type,
        doc_reason=_text(el, "BussinessDocReason", "BusinessDocReason"),
        paper=ctx.as_int(el, "Paper", path),
        staff_info=_staff(_kid(el, "StaffInfo")),
        document_info=info,
        replacements=replacements,
    )


def _document(ctx: _Context, header: etree._Element, mh: etree._Element) -> DocumentPacket:
    base = "MessageHeader"
    sender = ctx.organization(_kid(mh, "From"), f"{base}/From")
    to_elements = _kids(mh, "To")
    if not to_elements:
        raise EdxmlContentError(f"{base}/To missing")
    recipients = [
        ctx.organization(el, f"{base}/To[{i}]" if len(to_elements) > 1 else f"{base}/To")
        for i, el in enumerate(to_elements, 1)
    ]
    code_el = _kid(mh, "Code")
    code = Code(_text(code_el, "CodeNumber"), _text(code_el, "CodeNotation"))
    prom_el = _kid(mh, "PromulgationInfo")
    promulgation = PromulgationInfo(
        _text(prom_el, "Place"), ctx.as_date(prom_el, "PromulgationDate", f"{base}/PromulgationInfo")
    )
    document_id = _text(mh, "DocumentId")
    if not document_id:
        if promulgation.date and code.number and code.notation:
            document_id = make_document_id(sender.organ_id, promulgation.date, code.number, code.notation)
            ctx.warn(f"{base}/DocumentId missing; derived as {document_id}")
        else:
            ctx.warn(f"{base}/DocumentId missing")
    elif parse_document_id(document_id) is None:
        ctx.warn(f"{base}/DocumentId '{document_id}' is not in the form OrganId,yyyy/MM/dd,Number/Notation")
    type_el = _kid(mh, "DocumentType")
    signer_el = _kid(mh, "SignerInfo")
    other_el = _kid(mh, "OtherInfo")
    other = OtherInfo(
        priority=ctx.as_int(other_el, "Priority", f"{base}/OtherInfo"),
        sphere_of_promulgation=_text(other_el, "SphereOfPromulgation"),
        typer_notation=_text(other_el, "TyperNotation"),
        promulgation_amount=ctx.as_int(other_el, "PromulgationAmount", f"{base}/OtherInfo"),
        page_amount=ctx.as_int(other_el, "PageAmount", f"{base}/OtherInfo"),
        direction=ctx.as_bool(other_el, "Direction", f"{base}/OtherInfo"),
        appendixes=[_text(a) for a in _kids(_kid(other_el, "Appendixes"), "Appendix") if _text(a)],
    )
    response_for = []
    for i, el in enumerate(_kids(mh, "ResponseFor"), 1):
        rf = ctx.response_for(el, f"{base}/ResponseFor[{i}]")
        if rf != ResponseFor():  # the VPCP sample carries an all-empty ResponseFor
            response_for.append(rf)
    return DocumentPacket(
        sender=sender,
        recipients=recipients,
        document_id=document_id,
        code=code,
        promulgation=promulgation,
        document_type=DocumentType(
            ctx.as_int(type_el, "Type", f"{base}/DocumentType"),
            ctx.as_int(type_el, "TypeDetail", f"{base}/DocumentType"),
            _text(type_el, "TypeName"),
        ),
        subject=_text(mh, "Subject"),
        content=_text(mh, "Content"),
        signer=SignerInfo(
            _text(signer_el, "Competence"), _text(signer_el, "Position"), _text(signer_el, "FullName")
        ),
        due_date=ctx.as_date(mh, "DueDate", base),
        to_places=[_text(p) for p in _kids(_kid(mh, "ToPlaces"), "Place") if _text(p)],
        other_info=other,
        response_for=response_for,
        steering_type=ctx.as_int(mh, "SteeringType", base),
        trace_headers=ctx.trace_headers(header),
        business=_business(ctx, header, document_id),
    )


# -- attachments --------------------------------------------------------------------------------------------
def _attachments(
    ctx: _Context,
    root: etree._Element,
    envelope: etree._Element,
    marker: bytes,
    spools: list[Spool],
    options: ReaderOptions,
) -> list[Attachment]:
    manifest = next((el for el in envelope.iter(etree.Element) if _lname(el) == "edxmlmanifest"), None)
    refs: dict[str, etree._Element] = {}
    for i, ref in enumerate(_kids(manifest, "Reference"), 1):
        cid = normalise_content_id(_text(ref, "ContentId"))
        refs[cid or f"#{i}"] = ref
    encoded = _kid(root, "AttachmentEncoded")
    if encoded is None:
        encoded = next((el for el in root.iter(etree.Element) if _lname(el) == "attachmentencoded"), None)
    elements = _kids(encoded, "Attachment")
    if len(elements) > options.max_attachments:
        raise EdxmlSizeError(f"{len(elements)} attachments, more than the limit of {options.max_attachments}")
    result: list[Attachment] = []
    try:
        for i, el in enumerate(elements, 1):
            result.append(_attachment(ctx, i, el, refs, marker.decode(), spools, options))
    except BaseException:
        for attachment in result:
            attachment.close()
        raise
    seen = {a.content_id for a in result}
    for cid in refs:
        if cid not in seen:
            ctx.warn(
                f"edXMLManifest lists {cid if cid.startswith('#') else 'cid:' + cid} "
                "but no attachment carries it"
            )
    return result


def _attachment(
    ctx: _Context,
    i: int,
    el: etree._Element,
    refs: dict[str, etree._Element],
    marker_text: str,
    spools: list[Spool],
    options: ReaderOptions,
) -> Attachment:
    cid = normalise_content_id(_text(el, "ContentId"))
    ref = refs.get(cid) if cid else None
    name = _text(el, "AttachmentName") or _text(ref, "AttachmentName") or cid or f"attachment-{i}"
    where = f"AttachmentEncoded/Attachment[{i}] ({name})"
    if not cid:
        ctx.warn(f"{where}: ContentId missing")
    elif ref is None:
        ctx.warn(f"{where}: cid:{cid} is not listed in the manifest")
    cte = _kid(el, "ContentTransferEncoded")
    if cte is None:
        raise EdxmlContentError(f"{where}: ContentTransferEncoded missing")
    text = cte.text or ""
    chunks: list[bytes] | Iterator[bytes]
    if text.startswith(marker_text):
        chunks = spools[int(text[len(marker_text) :].strip())].chunks()
    else:
        chunks = [text.encode("utf-8")]
    decoded = pl.decode_base64(
        chunks,
        where=where,
        limit=options.max_attachment_bytes + 64 * 1024,
        threshold=options.spool_threshold,
        tmpdir=options.temp_dir,
    )
    try:
        if decoded.size == 0:
            ctx.warn(f"{where}: empty attachment")
        unwrapped = pl.unwrap_zip(
            decoded,
            name=name,
            where=where,
            limit=options.max_attachment_bytes,
            threshold=options.spool_threshold,
            tmpdir=options.temp_dir,
        )
    except BaseException:
        decoded.file.close()
        raise
    final = unwrapped.decoded
    try:
        if unwrapped.warning:
            ctx.warn(unwrapped.warning)
        if final.size > options.max_attachment_bytes:
            raise EdxmlSizeError(
                f"{where}: attachment is larger than the limit of {options.max_attachment_bytes} bytes"
            )
        _check_digest(ctx, el, ref, final, where)
    except BaseException:
        final.file.close()
        raise
    return Attachment(
        name=name,
        content_type=pl.choose_content_type(
            name, unwrapped.zipped, _text(ref, "ContentType"), _text(el, "ContentType")
        ),
        description=_text(el, "Description") or _text(ref, "Description"),
        content_id=cid,
        zipped=unwrapped.zipped,
        size=final.size,
        sha256=final.sha256,
        source=final.file,
    )


def _check_digest(
    ctx: _Context,
    el: etree._Element,
    ref: etree._Element | None,
    final: pl.Decoded,
    where: str,
) -> None:
    digest_el = _kid(el, "DigestValue", "Digest")
    if digest_el is None:
        digest_el = _kid(ref, "DigestValue", "Digest")
    if digest_el is None:
        return
    algorithm = pl.digest_algorithm(digest_el.get("Algorithm") or digest_el.get("algorithm") or "sha256")
    expected = pl.parse_digest_value(_text(digest_el))
    if algorithm is None or expected is None:
        ctx.warn(f"{where}: digest '{_text(digest_el)[:80]}' not understood; not checked")
        return
    # SHA-256 was computed while decoding: no second pass over the attachment.
    actual = bytes.fromhex(final.sha256) if algorithm == "sha256" else pl.digest_of(final.file, algorithm)
    if actual == expected:
        return
    raise EdxmlContentError(
        f"{where}: {algorithm.upper()} digest mismatch: the packet says {expected.hex()}, "
        f"the content is {actual.hex()}"
    )


# -- entry point --------------------------------------------------------------------------------------------
HEAD_BYTES = 4096
"""Bytes gathered before the first block is handled: enough for a BOM and the whole XML declaration."""


class PacketReader:
    """Incremental reader: :meth:`feed` the raw bytes as they arrive (any block sizes), then :meth:`finish`.

    The bytes go through the pre-scanner into lxml while they stream in, so a caller that also stores or
    hashes the upload reads it exactly once (the hub). :meth:`finish` interprets the tree and checks the
    attachments and the signature; :meth:`close` (always, e.g. in ``finally``) drops the spooled attachment
    text of an abandoned read. Errors are :class:`~.errors.EdxmlError` as with :func:`read_packet`.
    """

    def __init__(self, options: ReaderOptions | None = None) -> None:
        self.options = opts = options or ReaderOptions()
        self._parser = make_parser()
        etree.clear_error_log()
        self._marker = MarkerExpander.new_marker()
        self._leading = bytearray()
        self._head = bytearray()
        self._started = False
        self._decoder: codecs.IncrementalDecoder | None = None
        self._wide = ""
        self._total = 0
        self._done = False
        max_text = (opts.max_attachment_bytes + 64 * 1024) * 4 // 3 * 105 // 100 + 4096
        self._scanner = Scanner(
            self._parser.feed,
            marker=self._marker,
            max_text_bytes=max_text,
            limit_label=f"{opts.max_attachment_bytes} bytes",
            spool_threshold=opts.spool_threshold,
            tmpdir=opts.temp_dir,
        )

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._started:
            self._head += data
            if len(self._head) < HEAD_BYTES:
                return
            self._start()
            return
        self._block(bytes(data), first=False)

    def _start(self) -> None:
        self._started = True
        head = bytes(self._head)
        self._head = bytearray()
        wide = _wide_encoding(head[:4])
        if wide:
            self._wide = wide[0]
            self._decoder = codecs.getincrementaldecoder(wide[0])()
            head = head[wide[1] :]
        self._block(head, first=True)

    def _block(self, block: bytes, *, first: bool) -> None:
        if not block:
            return
        self._total += len(block)
        limit = self.options.max_packet_bytes
        if self._total > limit:
            raise EdxmlSizeError(f"packet is larger than the limit of {limit} bytes")
        if self._decoder is not None:
            try:
                block = self._decoder.decode(block).encode("utf-8")
            except UnicodeDecodeError as exc:
                raise EdxmlSyntaxError(f"not well-formed: invalid {self._wide} text ({exc})") from None
            if first:
                block = _ENCODING_DECL.sub(rb'\1"UTF-8"', block, count=1)
        if len(self._leading) < 64:
            self._leading += block[: 64 - len(self._leading)]
        try:
            self._scanner.write(block)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, bytes(self._leading)) from None

    def finish(self) -> Packet:
        """The packet, once every byte was fed; raises what :func:`read_packet` raises."""
        if self._done:
            raise RuntimeError("PacketReader.finish() called twice")
        self._done = True
        try:
            if not self._started:
                self._start()
            try:
                if self._decoder is not None:
                    self._scanner.write(self._decoder.decode(b"", final=True).encode("utf-8"))
                if not self._leading:
                    raise EdxmlSyntaxError("line 1: not well-formed: Document is empty")
                self._scanner.close()
                root = self._parser.close()
            except etree.XMLSyntaxError as exc:
                raise _syntax_error(exc, bytes(self._leading)) from None
            except UnicodeDecodeError as exc:
                raise EdxmlSyntaxError(f"not well-formed: invalid {self._wide} text ({exc})") from None
            return _interpret(root, self._marker, self._scanner.spools, self.options)
        finally:
            self.close()

    def close(self) -> None:
        self._scanner.discard()


def read_packet(
    source: bytes | bytearray | str | os.PathLike[str] | IO[bytes],
    options: ReaderOptions | None = None,
) -> Packet:
    """Read a packet from bytes, a path, or a binary file object. See the module documentation."""
    opts = options or ReaderOptions()
    stream, owned = _open(source, opts.max_packet_bytes)
    reader = PacketReader(opts)
    try:
        try:
            while block := stream.read(READ_BLOCK):
                reader.feed(block)
        finally:
            if owned:
                stream.close()
        return reader.finish()
    finally:
        reader.close()


def _interpret(root: etree._Element, marker: bytes, spools: list[Spool], opts: ReaderOptions) -> Packet:
    _memo.cache = {}
    try:
        return _interpret_tree(root, marker, spools, opts)
    finally:
        _memo.cache = None


def _interpret_tree(root: etree._Element, marker: bytes, spools: list[Spool], opts: ReaderOptions) -> Packet:
    ctx = _Context()
    if _lname(root) != "edxml":
        raise EdxmlContentError(f"root element is <{etree.QName(root).localname}>, not <edXML>")
    if etree.QName(root).namespace != NS:
        ctx.warn(f"root namespace is {etree.QName(root).namespace or '(none)'}, not {NS}")
    envelope = _kid(root, "edXMLEnvelope")
    if envelope is None:
        raise EdxmlContentError("edXMLEnvelope missing")
    header = _kid(envelope, "edXMLHeader")
    if header is None:
        raise EdxmlContentError("edXMLEnvelope/edXMLHeader missing")
    status_el = _kid(header, "Status")
    mh = _kid(header, "MessageHeader")
    packet: Packet
    if status_el is not None:
        packet = _status(ctx, header, status_el, "Status")
    elif mh is not None and _kid(mh, "StatusCode") is not None:
        packet = _status(ctx, header, mh, "MessageHeader")
    elif mh is not None:
        packet = _document(ctx, header, mh)
    else:
        raise EdxmlContentError("edXMLHeader has neither MessageHeader nor Status")
    if isinstance(packet, DocumentPacket):
        try:
            packet.attachments = _attachments(ctx, root, envelope, marker, spools, opts)
        except BaseException:
            packet.close()
            raise
    packet.warnings = ctx.warnings
    try:
        packet.signature = _signature(root, marker, spools, opts)
    except BaseException:
        packet.close()
        raise
    return packet


def _signature(
    root: etree._Element, marker: bytes, spools: list[Spool], opts: ReaderOptions
) -> SignatureResult:
    if not opts.verify_signature:
        return SignatureResult(SignatureStatus.UNVERIFIABLE, "signature not checked (verification disabled)")
    expander = MarkerExpander(marker, lambda index: spools[index].chunks())
    result = verify_tree(
        root,
        expander=expander,
        parser=make_parser(),
        trusted=opts.trusted_certificates,
        at=opts.signature_time,
    )
    if result.status == SignatureStatus.INVALID and opts.reject_invalid_signature:
        raise EdxmlSignatureError(f"signature invalid: {result.reason}")
    if opts.require_signature and result.status != SignatureStatus.VALID:
        raise EdxmlSignatureError(
            f"signature required but {result.status.value}: {result.reason or 'none found'}"
        )
    return result
