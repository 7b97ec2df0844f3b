"""Reads of dossiers, with the permission filter applied.

* Staff see the dossiers of the organisations where they hold a position (or a delegation): those received
  there, and those with a processing step there. System administrators see all.
* Citizens see their own dossiers (``owner``) only.
* :func:`public_status` answers anyone who knows a dossier code, without any personal data.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from egov.core import clock
from egov.directory import selectors as directory
from egov.directory.models import Agency, Role
from egov.dossiers import deadlines
from egov.dossiers.models import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    Apology,
    CitizenDocument,
    DeadlineFlag,
    Dossier,
    DossierEvent,
    DossierGroup,
    DossierStep,
    Status,
)
from egov.procedures.models import Channel, ProcedureAgency, ProcessStep

_RELATED = ("procedure", "receiving_agency", "current_step", "current_step__agency")


def _is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_government_staff", False))


def _is_citizen(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_citizen", False))


def dossiers_visible_to(user: Any) -> QuerySet[Dossier]:
    qs = Dossier.objects.select_related(*_RELATED)
    if _is_citizen(user):
        return qs.filter(owner=user)
    if not _is_staff(user):
        return qs.none()
    if directory.is_system_admin(user):
        return qs
    ids = directory.member_agency_ids(user)
    if not ids:
        return qs.none()
    with_step = DossierStep.objects.filter(dossier=OuterRef("pk"), agency_id__in=ids)
    return qs.filter(Q(receiving_agency_id__in=ids) | Exists(with_step))


def dossier_get(user: Any, pk: int) -> Dossier | None:
    return dossiers_visible_to(user).filter(pk=pk).first()


def dossier_by_code(user: Any, code: str) -> Dossier | None:
    return dossiers_visible_to(user).filter(code=code.strip()).first()


#: Roles that may act on any processing step of their agency (the services' ``LEADER_ROLES``).
STEP_LEADER_ROLES = (Role.LEADER, Role.DEPUTY_LEADER)


def works_at_one_stop(
    user: Any, pairs: list[tuple[Agency, str]] | None = None, *, is_admin: bool | None = None
) -> bool:
    """Whether the one-stop pages (Một cửa) concern ``user``, by the roles the dossier services check (own
    positions and active delegations; ``pairs`` = :func:`egov.directory.selectors.acting_roles` and
    ``is_admin`` when the caller has them): a one-stop officer (Cán bộ một cửa) anywhere; a leader or deputy
    of an organisation that receives or processes dossiers; a holder of the role of a processing step (quy
    trình nội bộ, or a dossier's step) of their organisation; system administrators. A few queries, none per
    dossier.

    This decides what the menu shows; every page and service still checks its own permission."""
    if not _is_staff(user):
        return False
    if directory.is_system_admin(user) if is_admin is None else is_admin:
        return True
    if pairs is None:
        pairs = directory.acting_roles(user)
    if any(role == Role.ONE_STOP_OFFICER for _agency, role in pairs):
        return True
    closures: dict[int, set[int]] = {}
    by_role: dict[str, set[int]] = {}
    for agency, role in pairs:
        if role in (Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN):
            continue
        org = agency.organisation()
        if org.pk not in closures:
            closures[org.pk] = directory.unit_closure(org)
        by_role.setdefault(role, set()).update(closures[org.pk])
    if not by_role:
        return False
    leader_ids = set().union(*(by_role.get(r, set()) for r in STEP_LEADER_ROLES))
    if leader_ids and ProcedureAgency.objects.filter(agency_id__in=leader_ids).exists():
        return True
    template = Q()
    instance = Q()
    for role, ids in by_role.items():
        any_role = role in STEP_LEADER_ROLES
        own = Q() if any_role else Q(role=role)
        template |= own & (
            Q(agency_id__in=ids)
            | Q(
                agency__isnull=True,
                procedure__agency_links__agency_id__in=ids,
                procedure__agency_links__role=ProcedureAgency.Part.RECEIVING,
            )
        )
        instance |= own & Q(agency_id__in=ids)
    return ProcessStep.objects.filter(template).exists() or DossierStep.objects.filter(instance).exists()


@dataclass(frozen=True)
class QueueFilter:
    """Filters of an officer's queue. ``kind``: ``reception`` (dossiers received by the user's agencies),
    ``steps`` (dossiers whose active step is in the user's agencies), ``all`` (both). ``flag`` selects by the
    deadline rule now (:func:`egov.dossiers.deadlines.flag_condition`), as the officer pages and the API show
    the flag, never by the column the periodic scan stores."""

    kind: str = "reception"
    status: int | None = None
    flag: int | None = None
    agency_id: int | None = None
    procedure_id: int | None = None
    search: str = ""


def officer_queue(user: Any, filter: QueueFilter | None = None) -> QuerySet[Dossier]:
    """Open dossiers for a staff member, most urgent deadline first (no deadline last).

    ``reception`` uses the partial index (receiving_agency, due_at, id) on open statuses; ``steps`` the
    partial index (agency, due_at) on active steps."""
    f = filter or QueueFilter()
    if not _is_staff(user):
        return Dossier.objects.none()
    ids: set[int] | None
    if f.agency_id is not None:
        if not directory.is_system_admin(user) and f.agency_id not in directory.member_agency_ids(user):
            return Dossier.objects.none()
        ids = {f.agency_id}
    elif directory.is_system_admin(user):
        ids = None  # every agency
    else:
        ids = directory.member_agency_ids(user)
    qs = Dossier.objects.select_related(*_RELATED)
    statuses = [f.status] if f.status in OPEN_STATUSES else list(OPEN_STATUSES)
    if f.kind == "steps":
        qs = qs.filter(status=Status.PROCESSING, current_step__state=DossierStep.State.ACTIVE)
        if ids is not None:
            qs = qs.filter(current_step__agency_id__in=ids)
        order: list[Any] = [F("current_step__due_at").asc(nulls_last=True), "id"]
    else:
        qs = qs.filter(status__in=statuses)
        if ids is not None and f.kind == "all":
            qs = qs.filter(Q(receiving_agency_id__in=ids) | Q(current_step__agency_id__in=ids))
        elif ids is not None:
            # Dossiers are received by organisations, not internal units: usually one id, so PostgreSQL walks
            # the partial index (receiving_agency, due_at, id) in order and stops after the first page.
            organisations = set(
                Agency.objects.filter(pk__in=ids).exclude(kind=Agency.Kind.UNIT).values_list("pk", flat=True)
            )
            qs = qs.filter(receiving_agency_id__in=organisations or ids)
        order = [F("due_at").asc(nulls_last=True), "id"]
    if f.flag is not None:
        # The rule itself (deadlines.flag_condition), not the column the periodic scan refreshes: the filter
        # agrees with the flags the officer page computes live, even for a dossier late since the last scan.
        qs = qs.filter(deadlines.flag_condition(f.flag, clock.now()))
    if f.procedure_id is not None:
        qs = qs.filter(procedure_id=f.procedure_id)
    if f.search.strip():
        term = f.search.strip()
        qs = qs.filter(Q(code__iexact=term) | Q(applicant_identity=term) | Q(applicant_name__icontains=term))
    return qs.order_by(*order)


def deadline_flagger(now: dt.datetime | None = None) -> Callable[[Any], DeadlineFlag]:
    """The deadline flag (cảnh báo hạn) of dossiers as the rule gives it at ``now`` (default: the clock's
    now), for many dossiers with one calendar look-up: :func:`egov.dossiers.deadlines.dossier_flag`. Pages and
    the API show this, not the column ``Dossier.deadline_flag`` that the periodic scan stores (for the flag
    indexes, the reporting dashboards and notifications), which may lag by one scan period."""
    moment = now if now is not None else clock.now()
    limit = deadlines.at_risk_limit(moment)
    return lambda dossier: deadlines.dossier_flag(dossier, moment, limit)


@dataclass(frozen=True)
class PublicStatus:
    code: str
    status: int
    status_label: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None


PUBLIC_FIELDS = (
    "code",
    "status",
    "procedure__code",
    "procedure__name",
    "receiving_agency__name",
    "submitted_at",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
)
# SQL and column converters of the public look-up, compiled once per database connection (the ORM spends
# ~0.5 ms of CPU building and compiling this query, five times the cost of running it).
_PUBLIC_SQL: weakref.WeakKeyDictionary[Any, tuple[str, list[tuple[int, list[Any], Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _public_status_sql(connection: Any) -> tuple[str, list[tuple[int, list[Any], Any]]]:
    compiled = _PUBLIC_SQL.get(connection)
    if compiled is None:
        queryset = Dossier.objects.using(connection.alias).filter(code="").order_by().values(*PUBLIC_FIELDS)
        compiler = queryset[:1].query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if list(params) != [""]:  # pragma: no cover - the one parameter is the code
            raise RuntimeError(f"unexpected parameters of the public status query: {params!r}")
        columns = [column for column, _, _ in compiler.select]
        converters = [(i, funcs, expr) for i, (funcs, expr) in compiler.get_converters(columns).items()]
        compiled = _PUBLIC_SQL[connection] = (sql, converters)
    return compiled


def public_status(code: str) -> PublicStatus | None:
    """Tra cứu hồ sơ: status, dates, procedure and agency of a dossier code — never personal data. One
    probe of the unique code index: ``Dossier.objects.filter(code=…).values(…)[:1]``, compiled once per
    connection and run with the ORM's own column converters (the same values as the queryset)."""
    code = (code or "").strip()
    connection = connections[router.db_for_read(Dossier)]
    sql, converters = _public_status_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        fetched = cursor.fetchone()
    if fetched is None:
        return None
    row = list(fetched)
    for i, funcs, expression in converters:
        for func in funcs:
            row[i] = func(row[i], expression, connection)
    values = dict(zip(PUBLIC_FIELDS, row, strict=True))
    return PublicStatus(
        code=values["code"],
        status=values["status"],
        status_label=str(Status(values["status"]).label),
        procedure_code=values["procedure__code"],
        procedure_name=values["procedure__name"],
        agency_name=values["receiving_agency__name"],
        submitted_at=values["submitted_at"],
        received_at=values["received_at"],
        due_at=values["due_at"],
        finished_at=values["finished_at"],
        returned_at=values["returned_at"],
    )


def timeline(dossier: Dossier) -> QuerySet[DossierEvent]:
    """The dossier's events in order (call on a dossier obtained through :func:`dossiers_visible_to`)."""
    return (
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("actor", "agency", "step")
        .order_by("at", "id")
    )


def apologies(dossier: Dossier) -> QuerySet[Apology]:
    """Phiếu xin lỗi và hẹn lại (mẫu 04) of a dossier, for the portal and the officer page."""
    return Apology.objects.filter(dossier=dossier).select_related("issuing_agency").order_by("issued_at")


def citizen_documents(user: Any, paper_code: str = "") -> QuerySet[CitizenDocument]:
    """The citizen's own document store (optionally one kind of paper), newest first."""
    if not _is_citizen(user):
        return CitizenDocument.objects.none()
    qs = CitizenDocument.objects.filter(owner=user).select_related("file", "source_dossier")
    if paper_code:
        qs = qs.filter(paper_code=paper_code)
    return qs.order_by("-created_at", "-id")


def result_file_for(user: Any, dossier: Dossier) -> Any:
    """The e-result a user may download: staff who see the dossier; the owner once it is done (9/10)."""
    if dossier.result_file_id is None:
        return None
    if _is_citizen(user):
        if dossier.owner_id != user.pk or dossier.status not in (Status.DONE, Status.RETURNED):
            return None
        return dossier.result_file
    if dossiers_visible_to(user).filter(pk=dossier.pk).exists():
        return dossier.result_file
    return None


# --- statistics -----------------------------------------------------------------------------------------


def statistics(agency_ids: list[int] | set[int], date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Received (by reception date), finished on time and late (by finish date), online share, by procedure,
    for the receiving agencies ``agency_ids`` between two dates (inclusive). The caller filters the agencies
    by permission."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    base = Dossier.objects.filter(receiving_agency_id__in=list(agency_ids))
    received = base.filter(submitted_at__gte=start, submitted_at__lt=end)
    finished = base.filter(finished_at__gte=start, finished_at__lt=end, status__in=FINISHED_STATUSES)
    totals = received.aggregate(received=Count("id"), online=Count("id", filter=Q(channel=Channel.ONLINE)))
    done = finished.aggregate(
        finished=Count("id"),
        on_time=Count("id", filter=Q(is_on_time=True)),
        late=Count("id", filter=Q(is_on_time=False)),
    )
    overdue_open = base.filter(deadlines.flag_condition(DeadlineFlag.OVERDUE, clock.now())).count()
    by_procedure: dict[int, dict[str, Any]] = {}
    for row in received.values("procedure_id", "procedure__code", "procedure__name").annotate(
        n=Count("id"), online=Count("id", filter=Q(channel=Channel.ONLINE))
    ):
        by_procedure[row["procedure_id"]] = {
            "procedure_code": row["procedure__code"],
            "procedure_name": row["procedure__name"],
            "received": row["n"],
            "online": row["online"],
            "on_time": 0,
            "late": 0,
        }
    for done_row in finished.values("procedure_id", "procedure__code", "procedure__name").annotate(
        on_time=Count("id", filter=Q(is_on_time=True)), late=Count("id", filter=Q(is_on_time=False))
    ):
        entry = by_procedure.setdefault(
            done_row["procedure_id"],
            {
                "procedure_code": done_row["procedure__code"],
                "procedure_name": done_row["procedure__name"],
                "received": 0,
                "online": 0,
                "on_time": 0,
                "late": 0,
            },
        )
        entry["on_time"] = done_row["on_time"]
        entry["late"] = done_row["late"]
    return {
        "received": totals["received"],
        "online": totals["online"],
        "online_share": (totals["online"] / totals["received"]) if totals["received"] else 0.0,
        "finished": done["finished"],
        "on_time": done["on_time"],
        "late": done["late"],
        "on_time_rate": (done["on_time"] / done["finished"]) if done["finished"] else 0.0,
        "overdue_open": overdue_open,
        "by_procedure": sorted(by_procedure.values(), key=lambda e: e["procedure_code"]),
    }


# --- groups ---------------------------------------------------------------------------------------------

#: How far along a status is, for the group's "least advanced part".
_PROGRESS = {
    Status.NEW: 0,
    Status.SUPPLEMENT: 1,
    Status.PAYMENT: 1,
    Status.RECEIVED: 2,
    Status.PROCESSING: 3,
    Status.DONE: 4,
    Status.RETURNED: 5,
}


def groups_visible_to(user: Any) -> QuerySet[DossierGroup]:
    """Inter-linked dossiers (hồ sơ liên thông) with at least one part ``user`` may see
    (:func:`dossiers_visible_to`): the citizen's own submissions, or groups with a part received or processed
    by the official's agencies (all for system administrators); nothing for anyone else."""
    parts = dossiers_visible_to(user).filter(group__isnull=False).values("group_id")
    return DossierGroup.objects.filter(pk__in=parts).select_related("procedure_group")


@dataclass(frozen=True)
class GroupStatus:
    code: str
    status: int
    status_label: str
    done: bool
    parts: list[dict[str, Any]]


def group_status(group: DossierGroup) -> GroupStatus:
    """The one status a citizen sees for inter-linked dossiers: the least advanced part still in progress
    (a refused, withdrawn or stopped part is reported as such when no part is in progress), ``done`` when
    every part's result has been returned."""
    parts = list(group.dossiers.select_related("procedure", "receiving_agency").order_by("id"))
    summaries = [
        {
            "code": d.code,
            "procedure": d.procedure.name,
            "agency": d.receiving_agency.name,
            "status": d.status,
            "status_label": str(Status(d.status).label),
            "due_at": d.due_at,
        }
        for d in parts
    ]
    live = [d for d in parts if d.status in _PROGRESS]
    if live:
        least = min(live, key=lambda d: (_PROGRESS[Status(d.status)], d.pk))
        status = least.status
    else:
        status = parts[0].status if parts else Status.NEW
    done = bool(parts) and all(d.status == Status.RETURNED for d in parts)
    return GroupStatus(
        code=group.code, status=status, status_label=str(Status(status).label), done=done, parts=summaries
    )


# --- national portal ------------------------------------------------------------------------------------


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S") if moment else None


def progress_entries(dossier: Dossier) -> list[dict[str, Any]]:
    """TienTrinh: one entry per timeline event."""
    entries = []
    for e in timeline(dossier):
        entries.append(
            {
                "MaHoSo": dossier.code,
                "NguoiXuLy": e.actor_name,
                "ThoiDiemXuLy": _iso(e.at),
                "PhongBanXuLy": e.agency.name if e.agency else "",
                "NoiDungXuLy": e.note or str(Status(e.to_status).label),
                "TrangThai": int(e.to_status),
                "NgayBatDau": _iso(e.started_at or e.at),
                "NgayKetThucTheoQuyDinh": _iso(e.due_at),
            }
        )
    return entries


def national_sync_payload(dossier: Dossier) -> dict[str, Any]:
    """The dossier in the shape of the national portal's sync (``CreateDossier`` + ``CapNhatTienTrinh``)."""
    agency = dossier.receiving_agency
    papers = []
    for p in dossier.papers.select_related("file").order_by("id"):
        papers.append(
            {
                "MaThanhPhanHoSo": p.code or (str(p.required_paper_id) if p.required_paper_id else ""),
                "TenThanhPhanHoSo": p.name,
                "SoLuong": p.quantity,
                "LoaiBan": 1,
                "GiayToDinhKem": (
                    [
                        {
                            "IdGiayTo": str(p.file_id),
                            "MaKetQua": "",
                            "TenGiayTo": p.file.original_name,
                            "HashTepTin": p.file.sha256,
                        }
                    ]
                    if p.file is not None
                    else []
                ),
            }
        )
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure.code,
        "TenTTHC": dossier.procedure.name,
        "MaDonViTiepNhan": agency.code_qd20 or agency.code_qcvn102 or "",
        "TenDonViTiepNhan": agency.name,
        "NgayNop": _iso(dossier.submitted_at),
        "NgayTiepNhan": _iso(dossier.received_at),
        "NgayHenTra": _iso(dossier.due_at),
        "NgayKetThucXuLy": _iso(dossier.finished_at),
        "NgayTraKetQua": _iso(dossier.returned_at),
        "TrangThai": int(dossier.status),
        "KenhThucHien": int(dossier.channel),
        "LoaiDoiTuong": int(dossier.applicant_kind),
        "ChuHoSo": dossier.applicant_name,
        "ThongTinNguoiNop": {
            "HoVaTen": dossier.applicant_name,
            "SoDinhDanh": dossier.applicant_identity,
            "SoDienThoai": dossier.applicant_phone,
            "Email": dossier.applicant_email,
            "DiaChi": dossier.applicant_address,
        },
        "ThanhPhanHoSo": papers,
        "TienTrinh": progress_entries(dossier),
    }


__all__ = [
    "DeadlineFlag",
    "GroupStatus",
    "PublicStatus",
    "QueueFilter",
    "apologies",
    "citizen_documents",
    "dossier_by_code",
    "dossier_get",
    "dossiers_visible_to",
    "group_status",
    "national_sync_payload",
    "officer_queue",
    "progress_entries",
    "public_status",
    "result_file_for",
    "statistics",
    "timeline",
    "works_at_one_stop",
]
