"""Reads of documents with the permission filter applied.

A document belongs to the agency that received or drafted it. Staff of that agency's organisation (the
agency and its internal units, see ``directory.selectors``) see its ordinary documents; a secret document
(độ mật) is visible only to the agency's clerks and leaders and to the people it was assigned to. System
administrators see everything.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from egov.core import calendar, context
from egov.core.text import fold
from egov.directory import selectors as directory
from egov.directory.models import Agency, Delegation, Position, Role, User
from egov.documents.models import (
    Assignment,
    Attachment,
    Confidentiality,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    Register,
)

PRIVILEGED = (Role.CLERK, Role.LEADER, Role.DEPUTY_LEADER)
OPEN_STATUSES = (
    IncomingDocument.Status.RECEIVED,
    IncomingDocument.Status.REGISTERED,
    IncomingDocument.Status.PRESENTED,
    IncomingDocument.Status.ASSIGNED,
    IncomingDocument.Status.IN_PROGRESS,
)


# --- Permission look-ups, computed once per request -------------------------------------------------------
#
# A page or an API call asks the same questions several times (the view's checks, the list, the search, the
# service): the answers are kept on the user object for the current request id (``egov.core.context``, set by
# the middleware for each request and by ``context.bind`` in tasks and commands). Without a request id
# (tests, shell) nothing is cached.


def _memo(user: Any, key: Any, compute: Callable[[], Any]) -> Any:
    request_id = context.current().request_id
    if not request_id or getattr(user, "pk", None) is None:
        return compute()
    cache = getattr(user, "_egov_documents_memo", None)
    if cache is None or cache[0] != request_id:
        cache = (request_id, {})
        user._egov_documents_memo = cache
    if key not in cache[1]:
        cache[1][key] = compute()
    return cache[1][key]


def is_system_admin(user: Any) -> bool:
    """``directory.selectors.is_system_admin``, once per request."""
    return bool(_memo(user, "is_system_admin", lambda: directory.is_system_admin(user)))


def acting_roles(user: Any) -> list[tuple[Agency, str]]:
    """``directory.selectors.acting_roles``, once per request."""
    if not (user and user.is_authenticated):
        return []
    return list(_memo(user, "acting_roles", lambda: directory.acting_roles(user)))


def user_has_role(user: Any, agency: Agency, *roles: str) -> bool:
    """``directory.selectors.user_has_role`` on the request's cached roles."""
    return any(a.pk == agency.pk and r in roles for a, r in acting_roles(user))


def may_act(user: Any, agency: Agency, *roles: str) -> bool:
    """``is_system_admin(user) or user_has_role(user, agency, *roles)`` in one query (three otherwise), for
    the permission check of a service; from the request's cache when it already holds the answers."""
    if not (user and user.is_authenticated):
        return False
    request_id = context.current().request_id
    cache = getattr(user, "_egov_documents_memo", None)
    if request_id and cache is not None and cache[0] == request_id:
        known = cache[1]
        if "is_system_admin" in known and "acting_roles" in known:
            return bool(known["is_system_admin"]) or user_has_role(user, agency, *roles)

    def compute() -> bool:
        staff = bool(getattr(user, "is_government_staff", False))
        if staff and user.is_superuser:
            return True
        with connection.cursor() as cursor:
            cursor.execute(_may_act_sql(len(roles), staff), _may_act_params(user.pk, agency.pk, roles, staff))
            return cursor.fetchone() is not None

    return bool(_memo(user, ("may_act", agency.pk, roles), compute))


@functools.cache
def _may_act_sql(role_count: int, staff: bool) -> str:
    """The statement of :func:`may_act`, composed once per shape: ``Position.objects.active(today)`` with the
    role in the agency (or system administrator, for staff) or ``Delegation.objects.active(now)`` of the role
    in the agency. Written out because compiling the same ORM query on every call cost more CPU (2–3 ms)
    than everything else the permission check does."""
    position, delegation = Position._meta.db_table, Delegation._meta.db_table
    in_roles = ", ".join(["%s"] * role_count) or "NULL"  # no role asked: only the system administrator
    admin = " OR p.role = %s" if staff else ""
    return (
        f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {position} p WHERE p.user_id = %s"  # noqa: S608 - table names
        " AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to >= %s)"
        f" AND ((p.agency_id = %s AND p.role IN ({in_roles})){admin}))"
        f" OR EXISTS (SELECT 1 FROM {delegation} d WHERE d.delegate_id = %s AND d.agency_id = %s"
        f" AND d.role IN ({in_roles}) AND d.starts_at <= %s AND d.ends_at > %s AND d.revoked_at IS NULL)"
    )


def _may_act_params(user_id: int, agency_id: int, roles: tuple[str, ...], staff: bool) -> list[Any]:
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    return [
        user_id,
        today,
        today,
        agency_id,
        *roles,
        *([Role.SYSTEM_ADMIN.value] if staff else []),
        user_id,
        agency_id,
        *roles,
        now,
        now,
    ]


def _privileged_agency_ids(user: Any) -> set[int]:
    return {agency.pk for agency, role in acting_roles(user) if role in PRIVILEGED}


def _document_agency_ids(user: Any, model: type[Any]) -> set[int]:
    """The agencies whose documents (of ``model``) the user may read: the organisations of their positions
    and delegations with their internal units (``directory.member_agency_ids``). Documents belong to
    organisations, not to internal units, so the units are left out of the filter unless some document of
    ``model`` does belong to one of them (one indexed query): ``agency_id = X`` lets PostgreSQL read the
    ``(agency, -arrival_date, -id)`` index in order, where ``agency_id IN (X, units…)`` makes it collect and
    sort every document of the organisation."""
    if not (user and user.is_authenticated and getattr(user, "is_government_staff", False)):
        return set()

    def compute() -> set[int]:
        organisations = {agency.organisation() for agency, _role in acting_roles(user)}
        org_ids = {org.pk for org in organisations}
        members: set[int] = set()
        for org in organisations:
            members |= directory.unit_closure(org)
        units = members - org_ids
        if units and model.objects.filter(agency_id__in=units).exists():
            return members
        return org_ids

    return set(_memo(user, ("document_agencies", model.__name__), compute))


def _visibility(user: Any, model: type[Any], restricted: Q) -> Q | None:
    """The filter of the documents the user may see: all documents of the agencies where they are clerk or
    leader, and in the other agencies of their organisations the ordinary documents plus ``restricted``
    (the secret ones they were given). ``None``: nothing is visible."""
    agencies = _document_agency_ids(user, model)
    if not agencies:
        return None
    privileged = _privileged_agency_ids(user)
    full, rest = agencies & privileged, agencies - privileged
    condition = Q(agency_id__in=sorted(full)) if full else None
    if rest:
        partial = Q(agency_id__in=sorted(rest)) & (Q(confidentiality=Confidentiality.NORMAL) | restricted)
        condition = partial if condition is None else condition | partial
    return condition


def incoming_visible_to(user: Any) -> QuerySet[IncomingDocument]:
    qs = IncomingDocument.objects.select_related("document_type", "register", "agency")
    if is_system_admin(user):
        return qs
    assigned = Assignment.objects.filter(document=OuterRef("pk"), user=user)
    condition = _visibility(user, IncomingDocument, Q(Exists(assigned)))
    return qs.none() if condition is None else qs.filter(condition)


def outgoing_visible_to(user: Any) -> QuerySet[OutgoingDocument]:
    qs = OutgoingDocument.objects.select_related("document_type", "register", "agency", "drafting_unit")
    if is_system_admin(user):
        return qs
    condition = _visibility(user, OutgoingDocument, Q(created_by=user) | Q(signer=user))
    return qs.none() if condition is None else qs.filter(condition)


def incoming_get(user: Any, pk: int) -> IncomingDocument | None:
    return incoming_visible_to(user).filter(pk=pk).first()


def my_incoming_tasks(user: Any) -> QuerySet[IncomingDocument]:
    """Văn bản chờ tôi xử lý: assigned to me (lead or co-handler) and still open, plus — for clerks — the
    documents waiting to be registered or presented, and — for leaders — those waiting for direction."""
    mine = Assignment.objects.filter(document=OuterRef("pk"), user=user, completed_at__isnull=True).exclude(
        kind=Assignment.Kind.INFORM
    )
    condition = Q(Exists(mine))
    roles = acting_roles(user)
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


# --- Reads used by the REST API (documents.api) -----------------------------------------------------------


def document_types(*, include_inactive: bool = False) -> QuerySet[DocumentType]:
    """The document types of Nghị định 30 (public to all staff: documents are addressed to any agency)."""
    qs = DocumentType.objects.all()
    return qs if include_inactive else qs.filter(active=True)


def registers_visible_to(user: Any) -> QuerySet[Register]:
    """Registers of the agencies the user belongs to (all of them for system administrators)."""
    qs = Register.objects.select_related("agency")
    if is_system_admin(user):
        return qs
    members = directory.member_agency_ids(user)
    if not members:
        return qs.none()
    return qs.filter(agency_id__in=members)


def clerk_agencies(user: Any) -> list[Agency]:
    """Agencies where the user acts as clerk (văn thư) now, by position or delegation."""
    found: dict[int, Agency] = {}
    for agency, role in acting_roles(user):
        if role == Role.CLERK:
            found.setdefault(agency.pk, agency)
    return list(found.values())


def can_register_incoming(user: Any, agency: Agency) -> bool:
    """What ``services.register_incoming`` will allow: clerks of the agency and system administrators."""
    return is_system_admin(user) or user_has_role(user, agency, Role.CLERK)


def organisations_of(user: Any) -> list[Agency]:
    """The organisations (agencies, not internal units) the user works in, by position or delegation."""
    found: dict[int, Agency] = {}
    for agency, _role in acting_roles(user):
        org = agency.organisation()
        found.setdefault(org.pk, org)
    return list(found.values())


def incoming_detail(user: Any, pk: int) -> IncomingDocument | None:
    """One visible incoming document with its files, assignments and timeline (fixed number of queries)."""
    return (
        incoming_visible_to(user)
        .filter(pk=pk)
        .select_related("issuing_agency", "created_by")
        .prefetch_related(
            Prefetch("attachments", Attachment.objects.select_related("file").order_by("id")),
            Prefetch(
                "assignments",
                Assignment.objects.select_related("user", "unit", "assigned_by").order_by("created_at", "id"),
            ),
            Prefetch("events", DocumentEvent.objects.select_related("actor").order_by("at", "id")),
        )
        .first()
    )


def outgoing_list(
    user: Any, *, status: str = "", document_type: int | None = None
) -> QuerySet[OutgoingDocument]:
    """Outgoing documents the user may see: newest first with a stable tie-breaker, no query per row."""
    qs = outgoing_visible_to(user).select_related("created_by")
    if status:
        qs = qs.filter(status=status)
    if document_type:
        qs = qs.filter(document_type_id=document_type)
    return qs.order_by("-created_at", "-id")


def outgoing_detail(user: Any, pk: int) -> OutgoingDocument | None:
    """One visible outgoing document with its recipients, files and timeline."""
    return (
        outgoing_visible_to(user)
        .filter(pk=pk)
        .select_related("created_by", "signer")
        .prefetch_related(
            Prefetch("attachments", Attachment.objects.select_related("file").order_by("id")),
            Prefetch(
                "recipients",
                OutgoingRecipient.objects.select_related("agency").prefetch_related("history").order_by("id"),
            ),
            Prefetch("events", DocumentEvent.objects.select_related("actor").order_by("at", "id")),
        )
        .first()
    )


def deadline_flagger(today: dt.date | None = None) -> Callable[[IncomingDocument], str]:
    """:func:`deadline_flag` for many documents with one calendar query: a document is due soon when its due
    date comes before the third working day after today (at most two working days left)."""
    today = today or timezone.localdate()
    third = calendar.add_working_days(today, 3)

    def flag(doc: IncomingDocument) -> str:
        if doc.due_date is None or doc.status not in OPEN_STATUSES:
            return ""
        if doc.due_date < today:
            return "late"
        return "due_soon" if doc.due_date < third else ""

    return flag


# --- Staff web interface (added for the document pages; additive) ---------------------------------------


def my_outgoing_tasks(user: Any) -> QuerySet[OutgoingDocument]:
    """Văn bản đi chờ tôi: my drafts not yet submitted (or returned), drafts of the units I lead waiting for
    review, documents of the agencies I lead waiting for approval, documents I must sign, and — for clerks —
    signed documents waiting for a number."""
    S = OutgoingDocument.Status
    roles = acting_roles(user)
    leader_of = [a.pk for a, r in roles if r in (Role.LEADER, Role.DEPUTY_LEADER)]
    clerk_of = [a.pk for a, r in roles if r == Role.CLERK]
    condition = Q(status=S.DRAFT, created_by=user) | Q(status=S.APPROVED, signer=user)
    if leader_of:
        condition |= Q(status=S.IN_REVIEW, drafting_unit_id__in=leader_of)
        condition |= Q(status=S.IN_REVIEW, drafting_unit__isnull=True, agency_id__in=leader_of)
        condition |= Q(status=S.PENDING_APPROVAL, agency_id__in=leader_of)
    if clerk_of:
        condition |= Q(status=S.SIGNED, agency_id__in=clerk_of)
    return (
        outgoing_visible_to(user)
        .select_related("signer")
        .filter(condition)
        .order_by("-urgency", "created_at", "id")
    )


def outgoing_register_list(
    user: Any,
    *,
    register: int | None = None,
    status: str = "",
    document_type: int | None = None,
    urgency: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[OutgoingDocument]:
    """:func:`outgoing_list` with the filters of the outgoing register page (dates are the drafting date)."""
    qs = outgoing_list(user, status=status, document_type=document_type).select_related("signer")
    if register:
        qs = qs.filter(register_id=register)
    if urgency is not None:
        qs = qs.filter(urgency=urgency)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def registers_for_role(user: Any, direction: str, *roles: str) -> QuerySet[Register]:
    """Active registers of the agencies where the user acts in one of ``roles`` (the clerk's registers)."""
    ids = [a.pk for a, r in acting_roles(user) if r in roles]
    return (
        Register.objects.filter(direction=direction, active=True, agency_id__in=ids)
        .select_related("agency")
        .order_by("agency__path", "-is_default", "name", "id")
    )


def timeline_names(events: list[DocumentEvent]) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the people and units the events' data refer to (assignments, forwards, presentations):
    ``({user id: full name}, {agency id: name})`` with two queries for the whole timeline."""
    user_ids: set[int] = set()
    unit_ids: set[int] = set()
    for event in events:
        data = event.data or {}
        for key in ("to", "leader"):
            if isinstance(data.get(key), int):
                user_ids.add(data[key])
        for item in data.get("assignments") or []:
            if isinstance(item.get("user"), int):
                user_ids.add(item["user"])
            if isinstance(item.get("unit"), int):
                unit_ids.add(item["unit"])
    users = {u.pk: u.get_full_name() for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    units = dict(Agency.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    return users, units


def organisation_units(agency: Agency) -> QuerySet[Agency]:
    """The internal units (phòng, ban) of an agency's organisation, in tree order."""
    ids = directory.unit_closure(agency.organisation())
    return Agency.objects.filter(pk__in=ids, kind=Agency.Kind.UNIT).order_by("path")


def organisation_staff(viewer: Any, agency: Agency) -> QuerySet[Position]:
    """Current positions in an agency's organisation (agency and units), for choosing handlers and signers;
    empty for a viewer outside it."""
    return directory.agency_members(viewer, agency.organisation())


def _fold_prefix_regex(text: str) -> str:
    return r"^[^|]*" + re.escape(fold(text))


def search_documents(
    user: Any,
    direction: str,
    *,
    query: str = "",
    document_type: int | None = None,
    agency_text: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
    register: int | None = None,
    urgency: int | None = None,
) -> QuerySet[Any]:
    """Search page: visible documents of one direction, narrowed by the filters, then by full-text
    (``documents.search.apply``, ranked) when there is a query, else newest first. Dates are the document's
    date (ngày văn bản); ``agency_text`` matches the issuing agency (incoming) or the agency (outgoing)
    without regard to accents."""
    from egov.documents import search

    qs: QuerySet[Any]
    if direction == "outgoing":
        qs = outgoing_visible_to(user).select_related("signer")
        if agency_text and fold(agency_text):
            qs = qs.filter(agency__search_key__contains=fold(agency_text))
    else:
        qs = incoming_visible_to(user)
        if agency_text and fold(agency_text):
            # identity_key is fold("issuing agency|number|notation"): match before the first "|".
            qs = qs.filter(identity_key__regex=_fold_prefix_regex(agency_text))
    if document_type:
        qs = qs.filter(document_type_id=document_type)
    if date_from:
        qs = qs.filter(issued_date__gte=date_from)
    if date_to:
        qs = qs.filter(issued_date__lte=date_to)
    if status:
        qs = qs.filter(status=status)
    if register:
        qs = qs.filter(register_id=register)
    if urgency is not None:
        qs = qs.filter(urgency=urgency)
    if search.terms(query):
        return search.apply(qs, query)
    order = "-arrival_date" if direction != "outgoing" else "-created_at"
    return qs.order_by(order, "-id")
