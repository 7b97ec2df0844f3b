"""Keeps the sender's view of internal recipients up to date: when a document delivered inside egov changes
status at the recipient, the sender's ``OutgoingRecipient`` row shows the new status code."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from egov.documents import search
from egov.documents.models import IncomingDocument, OutgoingDocument, OutgoingRecipient
from egov.documents.signals import incoming_status_changed


def may_have_internal_sender(document: IncomingDocument) -> bool:
    """Whether an ``OutgoingRecipient`` row may link to ``document`` (``OutgoingRecipient.incoming``), from
    the instance alone (no query). Only the issue of an outgoing document to a recipient inside egov
    (``documents.outgoing.issue``) sets that link, on the incoming document it registers then: source
    "exchange", the sender's edXML DocumentId in ``external_id``, the issuing agency known. Paper and uploaded
    documents, and anything else without these, cannot match."""
    return (
        document.source == IncomingDocument.Source.EXCHANGE
        and bool(document.external_id)
        and document.issuing_agency_id is not None
    )


@receiver(
    incoming_status_changed, sender=IncomingDocument, dispatch_uid="documents.internal_recipient_status"
)
def update_internal_recipient(
    sender: Any, document: IncomingDocument, status_code: str, description: str, **kwargs: Any
) -> None:
    if not may_have_internal_sender(document):
        return  # no sender's row can point at it: no UPDATE (most registrations are paper or uploads)
    OutgoingRecipient.objects.filter(incoming=document).update(
        status_code=status_code, status_description=description[:500], status_at=timezone.now()
    )


@receiver(post_save, sender=IncomingDocument, dispatch_uid="documents.index_incoming")
@receiver(post_save, sender=OutgoingDocument, dispatch_uid="documents.index_outgoing")
def keep_search_index(sender: Any, instance: IncomingDocument | OutgoingDocument, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is None or "search_key" in update_fields:
        search.index(instance)


@receiver(post_delete, sender=IncomingDocument, dispatch_uid="documents.unindex_incoming")
@receiver(post_delete, sender=OutgoingDocument, dispatch_uid="documents.unindex_outgoing")
def drop_from_search_index(sender: Any, instance: IncomingDocument | OutgoingDocument, **kwargs: Any) -> None:
    search.unindex(instance)
