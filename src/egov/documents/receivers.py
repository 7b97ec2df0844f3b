"""Keeps the sender's view of internal recipients up to date: when a document delivered inside egov changes
status at the recipient, the sender's ``OutgoingRecipient`` row shows the new status code."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from egov.documents.models import IncomingDocument, OutgoingRecipient
from egov.documents.signals import incoming_status_changed


@receiver(
    incoming_status_changed, sender=IncomingDocument, dispatch_uid="documents.internal_recipient_status"
)
def update_internal_recipient(
    sender: Any, document: IncomingDocument, status_code: str, description: str, **kwargs: Any
) -> None:
    OutgoingRecipient.objects.filter(incoming=document).update(
        status_code=status_code, status_description=description[:500], status_at=timezone.now()
    )
