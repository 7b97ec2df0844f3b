"""Reads of documents with the permission filter applied.

A document belongs to the agency that received or drafted it. Staff of that agency's organisation (the
agency and its internal units, see ``directory.selectors``) see its ordinary documents; a secret document
(độ mật) is visible only to the agency's clerks and leaders and to the people it was assigned to. System
administrators see everything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from egov.core import calendar
from egov.directory import selectors as directory
from egov.directory.models import Role
from egov.documents.models import Assignment, Attachment, Confidentiality, IncomingDocument, OutgoingDocument

PRIVILEGED = (Role.CLERK, Role.LEADER, Role.DEPUTY_LEADER)
OPEN_STATUSES = (
    IncomingDocument.Status.RECEIVED,
    IncomingDocument.Status.REGISTERED,
    IncomingDocument.Status.PRESENTED,
    IncomingDocument.Status.ASSIGNED,
    IncomingDocument.Status.IN_PROGRESS,
)


def _privileged_agency_ids(user: Any) -> set[int]:
    return {agency.pk for agency, role in directory.acting_roles(user) if role in PRIVILEGED}


def incoming_visible_to(user: Any) -> QuerySet[IncomingDocument]:
    qs = IncomingDocument.objects.select_related("document_type", "register", "agency")
    if directory.is_system_admin(user):
        return qs
    members = directory.member_agency_ids(user)
    if not members:
        return qs.none()
    assigned = Assignment.objects.filter(document=OuterRef("pk"), user=user)
    return qs.filter(agency_id__in=members).filter(
        Q(confidentiality=Confidentiality.NORMAL)
        | Q(agency_id__in=_privileged_agency_ids(user))
        | Exists(assigned)
    )


def outgoing_visible_to(user: Any) -> QuerySet[OutgoingDocument]:
    qs = OutgoingDocument.objects.select_related("document_type", "register", "agency", "drafting_unit")
    if directory.is_system_admin(user):
        return qs
    members = directory.member_agency_ids(user)
    if not members:
        return qs.none()
    return qs.filter(agency_id__in=members).filter(
        Q(confidentiality=Confidentiality.NORMAL)
        | Q(agency_id__in=_privileged_agency_ids(user))
        | Q(created_by=user)
        | Q(signer=user)
    )


def incoming_get(user: Any, pk: int) -> IncomingDocument | None:
    return incoming_visible_to(user).filter(pk=pk).first()


def my_incoming_tasks(user: Any) -> QuerySet[IncomingDocument]:
    """Văn bản chờ tôi xử lý: assigned to me (lead or co-handler) and still open, plus — for clerks — the
    documents waiting to be registered or presented, and — for leaders — those waiting for direction."""
    mine = Assignment.objects.filter(document=OuterRef("pk"), user=user, completed_at__isnull=True).exclude(
        kind=Assignment.Kind.INFORM
    )
    condition = Q(Exists(mine))
    roles = directory.acting_roles(user)
    clerk_of = [a.pk for a, r in roles if r == Role.CLERK]
    leader_of = [a.pk for a, r in roles if r in (Role.LEADER, Role.DEPUTY_LEADER)]
    if clerk_of:
        condition |= Q(
            agency_id__in=clerk_of,
            status__in=[IncomingDocument.Status.RECEIVED, IncomingDocument.Status.REGISTERED],
        )
    if leader_of:
        condition |= Q(agency_id__in=leader_of, status=IncomingDocument.Status.PRESENTED)
    return (
        incoming_visible_to(user)
        .filter(condition)
        .filter(status__in=OPEN_STATUSES)
        .order_by("due_date", "-urgency", "arrival_date", "id")
    )


def deadline_flag(doc: IncomingDocument, today: dt.date | None = None) -> str:
    """``late`` when past due, ``due_soon`` when due within 2 working days, else ``""`` (open ones only)."""
    if doc.due_date is None or doc.status not in OPEN_STATUSES:
        return ""
    today = today or timezone.localdate()
    if doc.due_date < today:
        return "late"
    if calendar.working_days_between(today, doc.due_date) <= 2:
        return "due_soon"
    return ""


def incoming_list(
    user: Any,
    *,
    register: int | None = None,
    status: str = "",
    document_type: int | None = None,
    urgency: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[IncomingDocument]:
    """The incoming register as a list: newest first with a stable tie-breaker, no query per row."""
    qs = incoming_visible_to(user)
    if register:
        qs = qs.filter(register_id=register)
    if status:
        qs = qs.filter(status=status)
    if document_type:
        qs = qs.filter(document_type_id=document_type)
    if urgency is not None:
        qs = qs.filter(urgency=urgency)
    if date_from:
        qs = qs.filter(arrival_date__date__gte=date_from)
    if date_to:
        qs = qs.filter(arrival_date__date__lte=date_to)
    return qs.order_by("-arrival_date", "-id")


def timeline(doc: IncomingDocument) -> QuerySet[Any]:
    return doc.events.select_related("actor").order_by("at", "id")


def attachment_get(user: Any, pk: int) -> Attachment | None:
    """An attachment the user may download: its document must be visible to them."""
    att = Attachment.objects.select_related("file").filter(pk=pk).first()
    if att is None:
        return None
    if att.incoming_id is not None:
        return att if incoming_visible_to(user).filter(pk=att.incoming_id).exists() else None
    if att.outgoing_id is not None:
        return att if outgoing_visible_to(user).filter(pk=att.outgoing_id).exists() else None
    return None


def outgoing_get(user: Any, pk: int) -> OutgoingDocument | None:
    return outgoing_visible_to(user).filter(pk=pk).first()
