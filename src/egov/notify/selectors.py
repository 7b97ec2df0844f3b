"""Reads of notifications: what was sent about an object (a dossier), and what failed for agencies."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import QuerySet

from egov.notify.models import Message


def messages_for(subject: models.Model) -> QuerySet[Message]:
    """The officer's view of the notifications about ``subject`` (e.g. a dossier), newest first, with
    ``status``, ``get_status_display()``, ``last_error`` (the failure reason), ``attempts``, ``sent_at``,
    ``delivered_at``. The caller has already checked that the officer may see ``subject``."""
    return Message.objects.filter(object_type=subject._meta.label_lower, object_id=str(subject.pk)).order_by(
        "-created_at", "-id"
    )


def failed_messages(agency_ids: Iterable[int]) -> QuerySet[Message]:
    """Failed notifications sent on behalf of the given agencies (e.g. ``member_agency_ids(officer)``),
    most recent failure first."""
    return (
        Message.objects.filter(status=Message.Status.FAILED, agency_id__in=list(agency_ids))
        .select_related("agency")
        .order_by("-failed_at", "-id")
    )
