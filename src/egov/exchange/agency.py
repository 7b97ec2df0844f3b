"""This egov instance as the document system of its agencies on the exchange axis.

Sending (transactional outbox): ``documents.outgoing.issue`` sends ``outgoing_issuing`` inside its
transaction; :func:`queue_documents` then builds one edXML packet per outside recipient, signs it (XML-DSig,
agency certificate) and stores an ``OutboundPacket``, committed with the issue itself. A status change of a
document that came through the axis sends ``incoming_status_changing``; :func:`queue_status` queues the
status packet (01 on receipt, 03, 04, 05, 06, or 02 with the reason). The worker task
``exchange.send_outbox`` sends them with retries and backoff; past the retry budget the packet is marked
failed and the reason shows on the document's page.

Receiving: periodic task ``exchange.receive`` lists what the hub holds for this system, fetches each packet,
and in one transaction records an ``InboundPacket`` (unique keys: hub docId; recipient + sender + DocumentId
+ business type) and creates the incoming document in the recipient agency's register (status 01, waiting
for the clerk) — or applies a status packet to the outgoing document it answers. Only then is the packet
acknowledged at the hub; a crash before the acknowledgement means the packet is fetched again and the
unique keys make the second pass change nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record
from egov.directory.models import Agency
from egov.documents import services as documents
from egov.documents.models import (
    Attachment,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
)
from egov.documents.outgoing import document_id as make_document_id
from egov.exchange.client import HubRejected, HubUnavailable, LgspClient
from egov.exchange.edxml import (
    Attachment as EdAttachment,
)
from egov.exchange.edxml import (
    Business,
    BusinessDocType,
    Code,
    DocumentPacket,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    SignerInfo,
    StatusPacket,
    TraceHeader,
    packet_to_bytes,
    parse_document_id,
    read_packet,
)
from egov.exchange.edxml import (
    DocumentType as EdDocumentType,
)
from egov.exchange.hub import reader_options
from egov.exchange.models import InboundPacket, OutboundPacket, RecipientStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def agency_client() -> LgspClient | None:
    if not settings.EGOV_EXCHANGE_HUB_URL:
        return None
    return LgspClient(
        settings.EGOV_EXCHANGE_HUB_URL,
        settings.EGOV_EXCHANGE_SYSTEM_ID,
        settings.EGOV_EXCHANGE_SECRET,
        settings.EGOV_EXCHANGE_TIMEOUT,
    )


def _organization(agency: Agency) -> Organization:
    return Organization(
        organ_id=agency.code_qcvn102 or "",
        organ_name=agency.name,
        organ_add=agency.address,
        email=agency.email,
        telephone=agency.phone,
        website=agency.website,
    )


def _signer(actor: Any, agency: Agency) -> Any:
    from egov.signing import selectors as signing_selectors
    from egov.signing import services as signing

    cert = signing_selectors.agency_certificate_for(agency)
    return signing.xml_packet_signer(actor=actor, certificate=cert) if cert is not None else None


def _store_outbound(data: bytes, **fields: Any) -> OutboundPacket:
    sha256 = hashlib.sha256(data).hexdigest()
    packet = OutboundPacket(sha256=sha256, **fields)
    packet.file.save(f"{sha256}.edxml", ContentFile(data), save=False)
    packet.save()
    return packet


# --- sending --------------------------------------------------------------------------------------------


def build_document_packet(doc: OutgoingDocument, recipients: list[OutgoingRecipient]) -> DocumentPacket:
    attachments = []
    for att in doc.attachments.exclude(role=Attachment.Role.MAIN).select_related("file"):
        with att.file.file.open("rb") as fh:
            content = fh.read()
        attachments.append(
            EdAttachment(
                name=att.file.original_name,
                content_type=att.file.content_type,
                description=att.get_role_display(),
                source=content,
                size=len(content),
            )
        )
    doc_id = make_document_id(doc)
    assert doc.issued_date is not None and doc.issued_at is not None
    return DocumentPacket(
        sender=_organization(doc.agency),
        recipients=[Organization(organ_id=r.organ_id, organ_name=r.name) for r in recipients],
        document_id=doc_id,
        code=Code(number=doc.code_number, notation=doc.code_notation),
        promulgation=PromulgationInfo(place=doc.agency.address or "", date=doc.issued_date),
        document_type=EdDocumentType(type=1, type_detail=0, type_name=doc.document_type.name),
        subject=doc.subject,
        content=doc.subject,
        signer=SignerInfo(
            competence=doc.signing_authority, position=doc.signer_position, full_name=doc.signer_name
        ),
        due_date=doc.due_date,
        to_places=[line for line in doc.recipients_text.splitlines() if line.strip()],
        other_info=OtherInfo(priority=int(doc.urgency), page_amount=doc.page_count),
        trace_headers=[
            TraceHeader(organ_id=doc.agency.code_qcvn102 or "", timestamp=timezone.localtime(doc.issued_at))
        ],
        business=Business(
            document_id=doc_id, doc_type=BusinessDocType.NEW, doc_reason="Văn bản điện tử mới", paper=0
        ),
        attachments=attachments,
    )


def queue_documents(*, document: OutgoingDocument, actor: Any) -> list[OutboundPacket]:
    """Inside the issuing transaction: one signed packet per outside recipient (none if there are none)."""
    outside = list(
        document.recipients.filter(channel=OutgoingRecipient.Channel.EXCHANGE).exclude(
            outbound__message_type="edoc"
        )
    )
    if not outside:
        return []
    signer = _signer(actor, document.agency)
    queued = []
    for rcpt in outside:
        packet = build_document_packet(document, [rcpt])
        data = packet_to_bytes(packet, signer=signer)
        queued.append(
            _store_outbound(
                data,
                kind=OutboundPacket.Kind.DOCUMENT,
                recipient=rcpt,
                organ_id=rcpt.organ_id,
                document_id=packet.document_id,
                message_type="edoc",
            )
        )
        rcpt.status_description = "Đang gửi qua trục liên thông"
        rcpt.save(update_fields=["status_description"])
    record(
        "exchange.outbox.queue_documents",
        actor=actor,
        agency=document.agency,
        target=document,
        after={"packets": [p.pk for p in queued], "recipients": [p.organ_id for p in queued]},
    )
    transaction.on_commit(lambda: _enqueue_send())
    return queued


def queue_revocations(*, document: OutgoingDocument, actor: Any, reason: str) -> list[OutboundPacket]:
    """Inside the revoking transaction: a revocation packet (BussinessDocType 1, messageType ``revocation``)
    for every outside recipient the document was sent to."""
    outside = list(
        document.recipients.filter(channel=OutgoingRecipient.Channel.EXCHANGE, outbound__message_type="edoc")
    )
    if not outside:
        return []
    # The packet signature is the agency system's (transport integrity), as for status packets; the leader's
    # decision to revoke is the audited act.
    signer = _signer(None, document.agency)
    queued = []
    for rcpt in outside:
        packet = build_document_packet(document, [rcpt])
        packet.business = Business(
            document_id=packet.document_id,
            doc_type=BusinessDocType.REVOKE,
            doc_reason=reason or "Thu hồi văn bản",
            paper=0,
        )
        packet.attachments = []
        data = packet_to_bytes(packet, signer=signer)
        queued.append(
            _store_outbound(
                data,
                kind=OutboundPacket.Kind.DOCUMENT,
                recipient=rcpt,
                organ_id=rcpt.organ_id,
                document_id=packet.document_id,
                message_type="revocation",
            )
        )
    record(
        "exchange.outbox.queue_revocations",
        actor=actor,
        agency=document.agency,
        target=document,
        after={"packets": [p.pk for p in queued], "reason": reason},
    )
    transaction.on_commit(lambda: _enqueue_send())
    return queued


def queue_status(*, document: IncomingDocument, status_code: str, description: str) -> OutboundPacket | None:
    """Inside the transaction that changed an incoming document's status: the status packet for its sender,
    once per code (03 is reported once even though registering and presenting both map to it)."""
    inbound = InboundPacket.objects.filter(
        incoming=document, kind="document", business_type__in=[0, 2, 3]
    ).first()
    if inbound is None:
        return None  # not received through the axis
    if OutboundPacket.objects.filter(incoming=document, status_code=status_code).exists():
        return None
    org = document.agency
    _organ, promulgation_day, number, notation = _parse_id(inbound.document_id)
    packet = StatusPacket(
        sender=_organization(org),
        response_for=ResponseFor(
            organ_id=inbound.sender_organ_id,
            code=f"{number}/{notation}" if number else "",
            promulgation_date=promulgation_day,
            document_id=inbound.document_id,
        ),
        status_code=status_code,
        description=description,
        timestamp=timezone.localtime(),
    )
    data = packet_to_bytes(packet, signer=_signer(None, org))
    try:
        with transaction.atomic():
            out = _store_outbound(
                data,
                kind=OutboundPacket.Kind.STATUS,
                incoming=document,
                status_code=status_code,
                organ_id=inbound.sender_organ_id,
                document_id=inbound.document_id,
                message_type="status",
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue_send())
    return out


def _parse_id(document_id: str) -> tuple[str, dt.date | None, str, str]:
    parsed = parse_document_id(document_id)
    if parsed is None:
        return "", None, "", ""
    return parsed.organ_id, parsed.date, parsed.number, parsed.notation


def _enqueue_send() -> None:
    from egov.exchange import tasks

    tasks.send_outbox.enqueue()


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 2 * 3600))


def send_pending(client: LgspClient, now: dt.datetime | None = None, limit: int = 500) -> int:
    now = now or timezone.now()
    due = OutboundPacket.objects.filter(state=OutboundPacket.State.PENDING).exclude(next_attempt_at__gt=now)
    sent = 0
    for out in due.order_by("created_at", "id")[:limit]:
        try:
            remote = client.send(Path(out.file.path), out.message_type)
        except HubRejected as exc:
            _failed(out, f"{exc.code}: {exc.message}")
            continue
        except HubUnavailable as exc:
            out.attempts += 1
            out.last_error = str(exc)[:500]
            out.next_attempt_at = now + backoff(out.attempts)
            out.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            if out.attempts >= MAX_ATTEMPTS:
                _failed(out, f"Trục liên thông không phản hồi sau {out.attempts} lần: {exc}")
            continue
        with transaction.atomic():
            out.state, out.remote_id, out.sent_at = OutboundPacket.State.SENT, remote, timezone.now()
            out.save(update_fields=["state", "remote_id", "sent_at"])
            if out.recipient_id:
                OutgoingRecipient.objects.filter(pk=out.recipient_id).update(
                    status_description="Đã gửi lên trục liên thông", status_at=out.sent_at
                )
        sent += 1
    return sent


def _failed(out: OutboundPacket, reason: str) -> None:
    """Beyond the retry budget, or refused by the hub: visible on the document page with the reason."""
    with transaction.atomic():
        out.state, out.last_error = OutboundPacket.State.FAILED, reason[:500]
        out.save(update_fields=["state", "last_error"])
        if out.recipient_id:
            rcpt = OutgoingRecipient.objects.select_related("document").get(pk=out.recipient_id)
            rcpt.status_description = f"Gửi lỗi: {reason}"[:500]
            rcpt.save(update_fields=["status_description"])
            DocumentEvent.objects.create(
                outgoing=rcpt.document,
                kind="exchange_failed",
                at=timezone.now(),
                note=f"{rcpt.name}: {reason}"[:2000],
            )
            record(
                "exchange.outbox.failed",
                actor=None,
                agency=rcpt.document.agency,
                target=out,
                after={"reason": reason[:500]},
            )


def retry_outbound(*, actor: Any, packet: OutboundPacket) -> OutboundPacket:
    """Send a failed packet again (the hub refused it or stayed down past the retry budget, and the cause
    has been fixed): back to the queue with a fresh retry budget. Clerks and administrators of the sending
    agency, or system administrators."""
    from egov.directory import selectors as directory
    from egov.directory.models import Role
    from egov.exchange.selectors import outbound_agency_id

    agency_id = outbound_agency_id(packet)
    agency = Agency.objects.get(pk=agency_id) if agency_id else None
    allowed = directory.is_system_admin(actor) or (
        agency is not None and directory.user_has_role(actor, agency, Role.CLERK, Role.AGENCY_ADMIN)
    )
    if not allowed:
        raise PermissionDenied(_("Chỉ văn thư hoặc quản trị của cơ quan gửi mới được gửi lại gói tin."))
    with transaction.atomic():
        locked = OutboundPacket.objects.select_for_update().get(pk=packet.pk)
        if locked.state != OutboundPacket.State.FAILED:
            raise ValidationError(_("Chỉ gửi lại được gói tin đang ở trạng thái gửi lỗi."))
        before = {"state": locked.state, "attempts": locked.attempts, "last_error": locked.last_error}
        locked.state, locked.attempts, locked.next_attempt_at = OutboundPacket.State.PENDING, 0, None
        locked.save(update_fields=["state", "attempts", "next_attempt_at"])
        record("exchange.outbox.retry", actor=actor, agency=agency, target=locked, before=before,
               after={"state": locked.state})  # fmt: skip
        transaction.on_commit(_enqueue_send)
    return locked


# --- receiving ------------------------------------------------------------------------------------------


def receive(client: LgspClient) -> int:
    handled = 0
    for item in client.received():
        remote_id = str(item["docId"])
        if InboundPacket.objects.filter(remote_id=remote_id).exists():
            client.ack(remote_id, "done")  # processed before; the acknowledgement was lost
            continue
        with tempfile.TemporaryDirectory(prefix="egov-inbound-") as tmp:
            path = Path(tmp) / "packet.edxml"
            with path.open("wb") as out:
                client.fetch(remote_id, out)
            try:
                result = take_packet(path, remote_id=remote_id, recipient_organ_id=str(item.get("to", "")))
            except Exception as exc:  # a packet this system cannot take: tell the hub, keep going
                logger.exception("inbound packet %s refused", remote_id)
                client.ack(remote_id, "fail", str(exc)[:400])
                continue
        client.ack(remote_id, "done")
        logger.info("inbound packet %s: %s", remote_id, result)
        handled += 1
    return handled


def take_packet(path: Path, *, remote_id: str, recipient_organ_id: str) -> str:
    with read_packet(path, reader_options()) as packet:
        if isinstance(packet, StatusPacket):
            return _take_status(packet, remote_id, recipient_organ_id)
        return _take_document(packet, remote_id, recipient_organ_id)


@transaction.atomic
def _take_document(packet: DocumentPacket, remote_id: str, recipient_organ_id: str) -> str:
    organ = recipient_organ_id or next((o.organ_id for o in packet.recipients), "")
    agency = Agency.objects.filter(code_qcvn102=organ).first()
    if agency is None:
        raise ValueError(f"no agency with OrganId {organ} here")
    agency = agency.organisation()
    inbound, created = InboundPacket.objects.get_or_create(
        kind="document",
        recipient_organ_id=organ,
        sender_organ_id=packet.sender.organ_id,
        document_id=packet.document_id,
        business_type=int(packet.business.doc_type),
        defaults={"remote_id": remote_id},
    )
    if not created:
        return f"duplicate of {inbound.remote_id}"
    business = int(packet.business.doc_type)
    if business == BusinessDocType.REVOKE:
        return _take_revocation(packet, inbound, organ)
    doc_type = DocumentType.objects.filter(
        name__iexact=packet.document_type.type_name
    ).first() or DocumentType.objects.get(code="cong-van")
    sender_agency = Agency.objects.filter(code_qcvn102=packet.sender.organ_id).first()
    files = []
    for att in packet.attachments:
        buf = io.BytesIO()
        att.copy_to(buf)
        buf.seek(0)
        buf.name = att.name
        files.append(buf)
    incoming = _register(agency, doc_type, packet, sender_agency, files)
    if business in (BusinessDocType.UPDATE, BusinessDocType.REPLACE):
        original = _original(packet, organ)
        incoming.business, incoming.related = business, original
        incoming.save(update_fields=["business", "related"])
    inbound.incoming = incoming
    inbound.result = "created"
    inbound.save(update_fields=["incoming", "result"])
    # Status 01 (đã đến) for the sender, the same day (Nghị định 30, Điều 21).
    queue_status(document=incoming, status_code="01", description="Đã đến")
    return f"incoming document {incoming.pk}"


def _original(packet: DocumentPacket, organ: str) -> IncomingDocument | None:
    """The document an update, replacement or revocation refers to (same DocumentId, or ResponseFor)."""
    ids = [packet.document_id, *(r.document_id for r in packet.response_for if r.document_id)]
    first = (
        InboundPacket.objects.filter(
            kind="document",
            recipient_organ_id=organ,
            sender_organ_id=packet.sender.organ_id,
            document_id__in=ids,
            business_type=BusinessDocType.NEW,
        )
        .exclude(incoming=None)
        .select_related("incoming")
        .first()
    )
    return first.incoming if first else None


def _take_revocation(packet: DocumentPacket, inbound: InboundPacket, organ: str) -> str:
    original = _original(packet, organ)
    if original is None:
        inbound.result = "revocation of an unknown document"
        inbound.save(update_fields=["result"])
        return inbound.result
    documents.request_revocation(
        actor=None, document=original, reason=packet.business.doc_reason or "Thu hồi"
    )
    inbound.incoming = original
    inbound.result = f"revocation requested for {original.pk}"
    inbound.save(update_fields=["incoming", "result"])
    return inbound.result


def _register(
    agency: Agency,
    doc_type: DocumentType,
    packet: DocumentPacket,
    sender_agency: Agency | None,
    files: list[Any],
) -> IncomingDocument:
    from django.core.exceptions import ValidationError

    kwargs: dict[str, Any] = {
        "actor": None,
        "agency": agency,
        "subject": packet.subject or packet.content or "(không có trích yếu)",
        "issuing_agency": sender_agency,
        "issuing_agency_name": packet.sender.organ_name or packet.sender.organ_id,
        "code_number": packet.code.number if packet.code.number.isdigit() else "",
        "code_notation": packet.code.notation,
        "issued_date": packet.promulgation.date,
        "signer_name": packet.signer.full_name[:100],
        "signer_position": packet.signer.position[:100],
        "urgency": min(int(packet.other_info.priority or 0), 3),
        "due_date": packet.due_date,
        "source": IncomingDocument.Source.EXCHANGE,
        "external_id": packet.document_id[:200],
        "number_now": False,
        "files": files,
    }
    try:
        return documents.register_incoming(document_type=doc_type, **kwargs)
    except ValidationError as exc:
        if "code_notation" not in getattr(exc, "message_dict", {}):
            raise
        # The notation does not follow the type we guessed: file it as a công văn rather than lose it.
        for f in files:
            f.seek(0)
        return documents.register_incoming(document_type=DocumentType.objects.get(code="cong-van"), **kwargs)


@transaction.atomic
def _take_status(packet: StatusPacket, remote_id: str, recipient_organ_id: str) -> str:
    inbound, created = InboundPacket.objects.get_or_create(
        remote_id=remote_id,
        defaults={
            "kind": "status",
            "sender_organ_id": packet.sender.organ_id,
            "status_code": packet.status_code,
            "recipient_organ_id": recipient_organ_id,
            "document_id": packet.document_id,
        },
    )
    if not created:
        return "duplicate"
    organ, day, number, notation = _parse_id(packet.document_id)
    doc = (
        OutgoingDocument.objects.filter(
            agency__code_qcvn102=organ, issued_date=day, code_number=number, code_notation=notation
        ).first()
        if organ and day
        else None
    )
    if doc is None:
        inbound.result = "unknown document"
        inbound.save(update_fields=["result"])
        return "status for an unknown document"
    rcpt = doc.recipients.filter(organ_id=packet.sender.organ_id).first()
    if rcpt is None:
        inbound.result = "unknown recipient"
        inbound.save(update_fields=["result"])
        return "status from an organ that was not a recipient"
    reported = packet.timestamp or timezone.now()
    _, new = RecipientStatus.objects.get_or_create(
        recipient=rcpt,
        status_code=packet.status_code,
        reported_at=reported,
        defaults={"description": packet.description[:500]},
    )
    if new and (rcpt.status_at is None or reported >= rcpt.status_at or rcpt.status_code == ""):
        rcpt.status_code, rcpt.status_description, rcpt.status_at = (
            packet.status_code,
            packet.description[:500],
            reported,
        )
        rcpt.save(update_fields=["status_code", "status_description", "status_at"])
    inbound.result = f"status {packet.status_code} for {rcpt.pk}"
    inbound.save(update_fields=["result"])
    return inbound.result


# --- receivers (connected in ExchangeConfig.ready) -------------------------------------------------------


def on_outgoing_issuing(sender: Any, document: OutgoingDocument, actor: Any, **kwargs: Any) -> None:
    queue_documents(document=document, actor=actor)


def on_outgoing_revoking(
    sender: Any, document: OutgoingDocument, actor: Any, reason: str, **kwargs: Any
) -> None:
    queue_revocations(document=document, actor=actor, reason=reason)


def on_incoming_status_changing(
    sender: Any, document: IncomingDocument, status_code: str, description: str, **kwargs: Any
) -> None:
    if document.source == IncomingDocument.Source.EXCHANGE:
        queue_status(document=document, status_code=status_code, description=description)
