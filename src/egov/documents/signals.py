"""Signals other apps listen to. ``incoming_status_changed`` is sent after commit whenever an incoming
document's handling status changes, with the edXML status code the exchange axis reports to the sender
(Quyết định 28/2018, Nghị định 30 Điều 21): the exchange app subscribes to it."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from egov.documents.models import IncomingDocument

# kwargs: document (the instance the service changed), status_code, description (after commit)
incoming_status_changed = Signal()
# Sent inside the transaction that changed the status: a receiver's writes (e.g. the exchange outbox row of
# the status packet) commit or roll back with the change itself.
incoming_status_changing = Signal()  # kwargs: document, status_code, description

S = IncomingDocument.Status
EXCHANGE_STATUS = {
    S.RECEIVED: ("01", "Đã đến"),
    S.REFUSED: ("02", "Từ chối tiếp nhận"),
    S.REGISTERED: ("03", "Đã tiếp nhận"),
    S.PRESENTED: ("03", "Đã tiếp nhận"),
    S.ASSIGNED: ("04", "Phân công"),
    S.IN_PROGRESS: ("05", "Đang xử lý"),
    S.COMPLETED: ("06", "Hoàn thành"),
    S.REVOKED: ("15", "Đồng ý yêu cầu thu hồi"),
}


def status_code(document: IncomingDocument) -> tuple[str, str]:
    code, description = EXCHANGE_STATUS[IncomingDocument.Status(document.status)]
    if document.status == S.REFUSED and document.refusal_reason:
        description = f"{description}: {document.refusal_reason}"
    return code, description


def on_commit_status(document: IncomingDocument, code: str = "", description: str = "") -> None:
    """Announce the document's status (or an explicit code such as 16, which changes no status):
    ``incoming_status_changing`` now, ``incoming_status_changed`` after commit.

    Both carry the caller's instance, not a re-read of the row after commit (one query less per status
    change): the status code and description are taken now, and receivers go by them and by the document's
    id and fields that never change (source, ``external_id``, issuing agency), not by fields the caller may
    still change later in its transaction."""
    if not code:
        code, description = status_code(document)
    incoming_status_changing.send(
        sender=IncomingDocument, document=document, status_code=code, description=description
    )
    transaction.on_commit(
        lambda: incoming_status_changed.send(
            sender=IncomingDocument, document=document, status_code=code, description=description
        )
    )
