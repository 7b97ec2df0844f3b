"""Reads of the directory, and the permission rules every other app builds on.

Rules (enforced here, used by services, API and views alike):

* The organisational directory (agency names, kinds, codes, parent) is public information for every staff
  account, as on the national axis's agency list: documents must be addressable to any agency.
* What belongs to an agency (its people and positions, delegations, and in other apps its documents,
  dossiers, reports) is visible only to staff holding a position in that agency's *organisation*
  (the agency itself and its internal units), or by delegation, or to system administrators.
* Changes to an agency and its people are allowed to the agency administrators of that agency or of an
  ancestor, and to system administrators.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from egov.directory.models import Agency, AgencyQuerySet, Delegation, Position, PositionQuerySet, Role, User


def is_system_admin(user: Any) -> bool:
    if not (user and user.is_authenticated and getattr(user, "is_government_staff", False)):
        return False
    return (
        bool(user.is_superuser)
        or Position.objects.active().filter(user=user, role=Role.SYSTEM_ADMIN).exists()
    )


def active_positions(user: User, at: dt.date | None = None) -> QuerySet[Position]:
    return Position.objects.active(at).filter(user=user).select_related("agency")


def acting_roles(user: User) -> list[tuple[Agency, str]]:
    """(agency, role) pairs the user may act in now: own positions plus active delegations to them."""
    pairs: list[tuple[Agency, str]] = [(p.agency, p.role) for p in active_positions(user)]
    for d in Delegation.objects.active().filter(delegate=user).select_related("agency"):
        pairs.append((d.agency, d.role))
    return pairs


def member_agency_ids(user: Any) -> set[int]:
    """Agencies whose own objects the user may read: the organisations of their positions and delegations."""
    if not (user and user.is_authenticated and getattr(user, "is_government_staff", False)):
        return set()
    ids: set[int] = set()
    for agency, _role in acting_roles(user):
        ids |= unit_closure(agency.organisation())
    return ids


def unit_closure(agency: Agency) -> set[int]:
    """The agency and its internal units, recursively (not its subordinate agencies)."""
    ids = {agency.pk}
    frontier = [agency.pk]
    while frontier:
        frontier = list(
            Agency.objects.filter(parent_id__in=frontier, kind=Agency.Kind.UNIT).values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


def admin_agency_ids(user: Any) -> set[int] | None:
    """Agencies the user may administer; ``None`` means all (system administrator)."""
    if is_system_admin(user):
        return None
    ids: set[int] = set()
    for agency, role in acting_roles(user):
        if role == Role.AGENCY_ADMIN:
            ids.update(Agency.objects.subtree(agency).values_list("pk", flat=True))
    return ids


def can_view_agency_members(user: Any, agency: Agency) -> bool:
    return is_system_admin(user) or agency.pk in member_agency_ids(user)


def can_manage_agency(user: Any, agency: Agency) -> bool:
    ids = admin_agency_ids(user)
    return ids is None or agency.pk in ids


def user_has_role(user: Any, agency: Agency, *roles: str) -> bool:
    return any(a.pk == agency.pk and r in roles for a, r in acting_roles(user))


# --- Agencies -------------------------------------------------------------------------------------------


def agency_list(
    *,
    search: str = "",
    kind: str = "",
    parent: int | None = None,
    roots_only: bool = False,
    include_past: bool = False,
    code: str = "",
) -> AgencyQuerySet:
    qs = Agency.objects.all() if include_past else Agency.objects.current()
    if search:
        qs = qs.search(search)
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent_id=parent)
    elif roots_only:
        qs = qs.filter(parent__isnull=True)
    if code:
        qs = qs.filter(Q(code_qcvn102=code) | Q(code_qd20=code) | Q(admin_unit_code=code))
    return qs.select_related("parent").order_by("path")


def agency_children(agency: Agency, *, include_past: bool = False) -> AgencyQuerySet:
    qs = agency.children.all() if include_past else agency.children.current()
    return qs.order_by("kind", "name")


def agency_breadcrumb(agency: Agency) -> list[Agency]:
    return [*agency.ancestors(), agency]


def child_counts(agencies: list[Agency]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        Agency.objects.current()
        .filter(parent_id__in=[a.pk for a in agencies])
        .values("parent_id")
        .annotate(n=Count("id"))
    )
    return {r["parent_id"]: r["n"] for r in rows}


# --- People ---------------------------------------------------------------------------------------------


def agency_members(viewer: Any, agency: Agency) -> QuerySet[Position]:
    """Positions held in the agency and its internal units; empty for a viewer outside the organisation."""
    if not can_view_agency_members(viewer, agency):
        return Position.objects.none()
    return (
        Position.objects.active()
        .filter(agency_id__in=unit_closure(agency))
        .select_related("user", "agency")
        .order_by("agency__path", "role", "user__full_name")
    )


def people_visible_to(viewer: Any) -> QuerySet[User]:
    qs = User.objects.filter(kind=User.Kind.STAFF)
    if is_system_admin(viewer):
        return qs.order_by("full_name", "username")
    ids = member_agency_ids(viewer)
    today = timezone.localdate()
    return (
        qs.filter(positions__agency_id__in=ids, positions__valid_from__lte=today)
        .filter(Q(positions__valid_to__isnull=True) | Q(positions__valid_to__gte=today))
        .distinct()
        .prefetch_related(Prefetch("positions", queryset=Position.objects.active().select_related("agency")))
        .order_by("full_name", "username")
    )


def delegations_visible_to(viewer: Any) -> QuerySet[Delegation]:
    qs = Delegation.objects.select_related("delegator", "delegate", "agency")
    if is_system_admin(viewer):
        return qs
    return qs.filter(Q(agency_id__in=member_agency_ids(viewer)) | Q(delegator=viewer) | Q(delegate=viewer))


# --- Staff web interface (added for the directory pages; additive) --------------------------------------


def agency_get(pk: int) -> Agency:
    """One agency, current or past (the directory is visible to every staff account).

    Raises ``Agency.DoesNotExist``."""
    return Agency.objects.select_related("parent").get(pk=pk)


def agency_lineage(agency: Agency) -> tuple[list[Agency], list[Agency]]:
    """(predecessors, successors) of a merged, split or renamed agency."""
    predecessors = list(agency.predecessors.order_by("name"))
    successors = list(agency.successors.order_by("name"))
    return predecessors, successors


def people_search(viewer: Any, search: str = "") -> QuerySet[User]:
    """:func:`people_visible_to` narrowed by accent-insensitive text on name, username or e-mail.

    Each user carries ``visible_positions``: their current positions the viewer may see."""
    from egov.core.text import fold

    positions = Position.objects.active().select_related("agency").order_by("agency__path", "role")
    if not is_system_admin(viewer):
        positions = positions.filter(agency_id__in=member_agency_ids(viewer))
    qs = people_visible_to(viewer).prefetch_related(
        Prefetch("positions", queryset=positions, to_attr="visible_positions")
    )
    key = fold(search)
    if not key:
        return qs
    # Users have no stored search key: fold the (small, permission-narrowed) candidate set in Python.
    rows = qs.order_by().values_list("pk", "full_name", "username", "email")
    matching = {pk for pk, *texts in rows if any(key in fold(t) for t in texts)}
    return qs.filter(pk__in=matching)


def person_get(viewer: Any, pk: int) -> User | None:
    """A staff member the viewer may see (see :func:`people_visible_to`), else ``None``."""
    return people_visible_to(viewer).filter(pk=pk).first()


def person_positions(viewer: Any, person: User) -> QuerySet[Position]:
    """The person's current positions that the viewer may see: all for a system administrator or the person
    themselves, otherwise only those in organisations the viewer belongs to."""
    qs = (
        Position.objects.active()
        .filter(user=person)
        .select_related("agency")
        .order_by("agency__path", "role")
    )
    if is_system_admin(viewer) or getattr(viewer, "pk", None) == person.pk:
        return qs
    return qs.filter(agency_id__in=member_agency_ids(viewer))


def user_positions(user: User) -> QuerySet[Position]:
    """All positions of a user, current and past, newest first (their own profile)."""
    return Position.objects.filter(user=user).select_related("agency").order_by("-valid_from", "agency__path")


def user_delegations(user: User) -> tuple[QuerySet[Delegation], QuerySet[Delegation]]:
    """(given, received) delegations of a user, newest first (their own profile)."""
    qs = Delegation.objects.select_related("delegator", "delegate", "agency").order_by("-starts_at")
    return qs.filter(delegator=user), qs.filter(delegate=user)


# --- REST API (added for directory.api; additive) -------------------------------------------------------


def positions_visible_to(viewer: Any) -> PositionQuerySet:
    """Positions, current and past, the viewer may read.

    All of them for a system administrator; otherwise those held in the organisations the viewer belongs to
    (:func:`member_agency_ids`), those in agencies the viewer administers (an administrator must see what they
    assign and end), and the viewer's own. Nothing for a non-staff account."""
    qs = Position.objects.select_related("user", "agency")
    if not (viewer and viewer.is_authenticated and getattr(viewer, "is_government_staff", False)):
        return qs.none()
    admin_ids = admin_agency_ids(viewer)
    if admin_ids is None:
        return qs
    return qs.filter(Q(agency_id__in=member_agency_ids(viewer) | admin_ids) | Q(user=viewer))


def people_with_visible_positions(viewer: Any) -> QuerySet[User]:
    """:func:`people_visible_to`, each person carrying ``visible_positions``: their current positions that the
    viewer may read (:func:`positions_visible_to`), never their posts in other organisations."""
    positions = positions_visible_to(viewer).active().order_by("agency__path", "role")
    return people_visible_to(viewer).prefetch_related(
        Prefetch("positions", queryset=positions, to_attr="visible_positions")
    )


def delegations_received(user: User, at: dt.datetime | None = None) -> QuerySet[Delegation]:
    """Delegations the user may act under now (not revoked, inside their window)."""
    return (
        Delegation.objects.active(at)
        .filter(delegate=user)
        .select_related("delegator", "delegate", "agency")
        .order_by("ends_at")
    )


def otp_enabled(user: Any) -> bool:
    """Whether the user has a confirmed two-factor (TOTP) device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return (
        bool(getattr(user, "pk", None))
        and TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
    )


def _kind_rank() -> Any:
    from django.db.models import Case, IntegerField, Value, When

    whens = [When(kind=kind, then=Value(rank)) for rank, kind in enumerate(Agency.Kind.values)]
    return Case(*whens, default=Value(len(whens)), output_field=IntegerField())


def agency_level(parent: Agency | None = None) -> AgencyQuerySet:
    """Current agencies directly under ``parent`` (the roots when ``None``) for the directory tree: the most
    senior kinds first (``Agency.Kind`` order), then by name without regard to accents."""
    qs = Agency.objects.current()
    qs = qs.filter(parent=parent) if parent is not None else qs.filter(parent__isnull=True)
    return qs.annotate(kind_rank=_kind_rank()).order_by("kind_rank", "search_key", "pk")


def agency_search(*, search: str = "", kind: str = "") -> AgencyQuerySet:
    """:func:`agency_list` in a reader's order: senior kinds first, then by name regardless of accents."""
    qs = agency_list(search=search, kind=kind)
    return qs.annotate(kind_rank=_kind_rank()).order_by("kind_rank", "search_key", "pk")
