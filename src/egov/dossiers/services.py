"""State changes of dossiers (hồ sơ TTHC). Each function checks who may act and from which status, validates,
runs in one transaction, adds a timeline row (:class:`DossierEvent`) and an audit row, and notifies the
applicant through :mod:`egov.dossiers.notifications` inside the same transaction. Bad input raises
``ValidationError`` and a forbidden action ``PermissionDenied`` before anything is written; files stored
during a submission that fails are deleted again.

Lifecycle (national statuses 1–10)::

    submit_online ─▶ 1 Mới đăng ký ─ accept ─▶ 2 Được tiếp nhận ─ start_processing ─▶ 4 Đang xử lý
    receive_at_desk ─┘      │ refuse                      │                              │ complete_step …
                            ▼                             │                              ▼ (last step)
                    3 Không được tiếp nhận                │                      9 Đã xử lý xong
                                                          │                              │ return_result
        request_supplement: 1/2/4 ─▶ 5 ─ provide_supplement ─▶ back (clock paused)       ▼
        request_payment:    2/4 ─▶ 6 ─ record_payment ─▶ back                    10 Đã trả kết quả
        withdraw (citizen): 1/2/4/5/6 ─▶ 7        stop: 2/4/5/6 ─▶ 8

Who: the one-stop officer (``Role.ONE_STOP_OFFICER``) of the receiving agency receives, accepts, refuses,
starts, requests papers or fees, records desk payments and returns results; holders of a step's role (or
leaders) in the step's agency complete and forward that step; the owner (citizen account) submits,
supplements, pays online, withdraws, rates and sends feedback. A system administrator may do staff actions.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record
from egov.core import clock
from egov.directory import selectors as directory
from egov.directory.models import Agency, CitizenProfile, Role, User
from egov.directory.validators import normalise_phone, validate_cccd, validate_phone
from egov.documents import storage
from egov.dossiers import codes, deadlines, notifications, payments
from egov.dossiers.models import (
    CLOCK_STATUSES,
    FINAL_STATUSES,
    Apology,
    CitizenDocument,
    DeadlineFlag,
    Dossier,
    DossierEvent,
    DossierGroup,
    DossierPaper,
    DossierStep,
    Feedback,
    Payment,
    Rating,
    Status,
    SupplementRequest,
)
from egov.procedures.models import Channel, Procedure, ProcedureAgency, ProcedureGroup, RequiredPaper

logger = logging.getLogger(__name__)

LEADER_ROLES = (Role.LEADER, Role.DEPUTY_LEADER)
S = Status


# --- inputs ---------------------------------------------------------------------------------------------


@dataclass
class Applicant:
    """Chủ hồ sơ. For an online submission the empty fields default to the citizen's account."""

    name: str = ""
    identity_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    kind: int = Dossier.ApplicantKind.CITIZEN


@dataclass
class PaperInput:
    """One paper of the dossier: a required paper (or free name) with an upload, a document reused from the
    citizen's store, or — at the desk only — nothing (the original was received on paper)."""

    required_paper: RequiredPaper | int | None = None
    upload: Any = None
    citizen_document: CitizenDocument | int | None = None
    name: str = ""
    quantity: int = 1


@dataclass
class _ResolvedPaper:
    required: RequiredPaper | None
    name: str
    code: str
    upload: Any = None
    document: CitizenDocument | None = None
    quantity: int = 1


# --- helpers --------------------------------------------------------------------------------------------


def _is_staff(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_government_staff", False))


def _has_role(actor: Any, agency: Agency, roles: Sequence[str]) -> bool:
    """Whether ``actor`` holds one of ``roles`` (own position or delegation) in ``agency`` or its units."""
    if not _is_staff(actor):
        return False
    if directory.is_system_admin(actor):
        return True
    closure = directory.unit_closure(agency)
    return any(a.pk in closure and r in roles for a, r in directory.acting_roles(actor))


def _require_officer(actor: Any, dossier: Dossier) -> None:
    if actor is None:
        return  # system: imports, demo, the national portal sync
    if not _has_role(actor, dossier.receiving_agency, (Role.ONE_STOP_OFFICER,)):
        raise PermissionDenied(_("Cần vai trò Cán bộ một cửa tại %(a)s.") % {"a": dossier.receiving_agency})


def _is_owner(actor: Any, dossier: Dossier) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_citizen", False)
        and dossier.owner_id is not None
        and dossier.owner_id == actor.pk
    )


def _require_owner(actor: Any, dossier: Dossier) -> None:
    if not _is_owner(actor, dossier):
        raise PermissionDenied(_("Chỉ chủ hồ sơ mới thực hiện được thao tác này."))


def _require_owner_or_officer(actor: Any, dossier: Dossier) -> None:
    if _is_owner(actor, dossier):
        return
    if _is_staff(actor) and _has_role(actor, dossier.receiving_agency, (Role.ONE_STOP_OFFICER,)):
        return
    if actor is None:
        return
    raise PermissionDenied(_("Bạn không có quyền thao tác trên hồ sơ này."))


def _can_act_on_step(actor: Any, step: DossierStep) -> bool:
    if actor is None:
        return True
    if step.handler_id is not None and step.handler_id == getattr(actor, "pk", None) and _is_staff(actor):
        return True
    return _has_role(actor, step.agency, (step.role, *LEADER_ROLES))


def _require_step_actor(actor: Any, dossier: Dossier) -> DossierStep:
    step = dossier.current_step
    if step is None or step.state != DossierStep.State.ACTIVE:
        raise ValidationError(_("Hồ sơ không có bước xử lý đang thực hiện."))
    if not _can_act_on_step(actor, step):
        raise PermissionDenied(
            _("Bước “%(s)s” do %(r)s của %(a)s thực hiện.")
            % {"s": step.name, "r": Role(step.role).label, "a": step.agency}
        )
    return step


def _require_handler_or_officer(actor: Any, dossier: Dossier) -> None:
    """One-stop officer of the receiving agency, or someone who may act on the current step."""
    if actor is None or _has_role(actor, dossier.receiving_agency, (Role.ONE_STOP_OFFICER,)):
        return
    step = dossier.current_step
    if step is not None and step.state == DossierStep.State.ACTIVE and _can_act_on_step(actor, step):
        return
    raise PermissionDenied(_("Bạn không có quyền xử lý hồ sơ này."))


def _require_leader_or_officer(actor: Any, dossier: Dossier) -> None:
    if actor is None or _has_role(actor, dossier.receiving_agency, (Role.ONE_STOP_OFFICER, *LEADER_ROLES)):
        return
    step = dossier.current_step
    if step is not None and _has_role(actor, step.agency, LEADER_ROLES):
        return
    raise PermissionDenied(_("Cần Cán bộ một cửa hoặc lãnh đạo cơ quan giải quyết hồ sơ."))


def _locked(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "receiving_agency", "owner", "current_step", "current_step__agency")
        .get(pk=dossier.pk)
    )


def _move(dossier: Dossier, allowed: Sequence[int], target: int) -> int:
    if dossier.status not in allowed:
        raise ValidationError(
            _("Không thể chuyển hồ sơ %(c)s từ trạng thái “%(f)s” sang “%(t)s”.")
            % {"c": dossier.code, "f": Status(dossier.status).label, "t": Status(target).label}
        )
    before = dossier.status
    dossier.status = target
    return before


def _event(
    dossier: Dossier,
    kind: str,
    actor: Any,
    *,
    from_status: int | None,
    agency: Agency | None = None,
    note: str = "",
    step: DossierStep | None = None,
    started_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
    **data: Any,
) -> DossierEvent:
    actor_obj = actor if getattr(actor, "pk", None) else None
    return DossierEvent.objects.create(
        dossier=dossier,
        kind=kind,
        actor=actor_obj,
        actor_name=actor_obj.get_full_name() if actor_obj else _("Hệ thống"),
        agency=agency if agency is not None else (dossier.receiving_agency if _is_staff(actor) else None),
        from_status=from_status,
        to_status=dossier.status,
        note=note,
        at=at or clock.now(),
        step=step,
        started_at=started_at,
        due_at=due_at if due_at is not None else dossier.due_at,
        data=data,
    )


def _audit(action: str, actor: Any, dossier: Dossier, before: Any = None, after: Any = None) -> None:
    record(
        f"dossiers.dossier.{action}",
        actor=actor,
        agency=dossier.receiving_agency,
        target=dossier,
        before=before,
        after=after,
    )


def _finish(dossier: Dossier, now: dt.datetime) -> None:
    """Enter a finished status (3, 7, 8, 9): the finish time of the national index. A dossier ended while
    waiting for papers counts from the request date (the clock was stopped then)."""
    finished = dossier.paused_at or now
    dossier.finished_at = finished
    dossier.is_on_time = deadlines.on_time(finished, dossier.due_at, dossier.supplement_count)
    dossier.deadline_flag = DeadlineFlag.NONE
    dossier.paused_at = None


def _cancel_open_steps(dossier: Dossier) -> None:
    dossier.steps.filter(state__in=[DossierStep.State.PENDING, DossierStep.State.ACTIVE]).update(
        state=DossierStep.State.CANCELLED
    )
    dossier.current_step = None


def _system_user() -> User:
    user, _created = User.objects.get_or_create(
        username="system",
        defaults={"full_name": "Hệ thống egov", "kind": User.Kind.STAFF, "is_active": False},
    )
    return user


# --- validation -----------------------------------------------------------------------------------------


def _clean_applicant(applicant: Applicant, actor: Any, *, online: bool) -> Applicant:
    a = Applicant(**vars(applicant))
    if online and actor is not None:
        profile = CitizenProfile.objects.filter(user=actor).first()
        a.name = a.name or actor.get_full_name()
        a.identity_number = a.identity_number or (profile.identity_number if profile else "")
        a.phone = a.phone or actor.phone
        a.email = a.email or actor.email
        a.address = a.address or (profile.address if profile else "")
    a.name = " ".join(a.name.split())
    a.identity_number = a.identity_number.strip()
    a.phone = normalise_phone(a.phone) if a.phone else ""
    a.email = a.email.strip().lower()
    errors: dict[str, Any] = {}
    if not a.name:
        errors["applicant_name"] = _("Cần nhập họ tên chủ hồ sơ.")
    if a.kind == Dossier.ApplicantKind.CITIZEN and not a.identity_number:
        errors["applicant_identity"] = _("Cần nhập số CCCD của chủ hồ sơ.")
    if a.identity_number:
        try:
            validate_cccd(a.identity_number)
        except ValidationError as exc:
            errors["applicant_identity"] = exc.messages
    if a.phone:
        try:
            validate_phone(a.phone)
        except ValidationError as exc:
            errors["applicant_phone"] = exc.messages
    if a.email:
        try:
            validate_email(a.email)
        except ValidationError:
            errors["applicant_email"] = _("Địa chỉ thư điện tử “%(e)s” không hợp lệ.") % {"e": a.email}
    if online and not (a.phone or a.email):
        errors["applicant_phone"] = _("Cần số điện thoại hoặc thư điện tử để nhận thông báo.")
    if errors:
        raise ValidationError(errors)
    return a


def _resolve_papers(
    procedure: Procedure,
    papers: Sequence[PaperInput],
    *,
    actor: Any,
    owner: Any,
    require_file: bool,
    check_required: bool = True,
) -> list[_ResolvedPaper]:
    required = {p.pk: p for p in procedure.papers.all()}
    documents_wanted = [
        p.citizen_document if isinstance(p.citizen_document, int) else p.citizen_document.pk
        for p in papers
        if p.citizen_document is not None
    ]
    documents: dict[int, CitizenDocument] = {}
    if documents_wanted:
        documents = {
            d.pk: d for d in CitizenDocument.objects.select_related("file").filter(pk__in=documents_wanted)
        }
    resolved: list[_ResolvedPaper] = []
    errors: list[str] = []
    for item in papers:
        rp_id = (
            item.required_paper.pk if isinstance(item.required_paper, RequiredPaper) else item.required_paper
        )
        rp = None
        if rp_id is not None:
            rp = required.get(rp_id)
            if rp is None:
                errors.append(
                    _("Giấy tờ #%(id)s không thuộc thủ tục %(p)s.") % {"id": rp_id, "p": procedure.code}
                )
                continue
        document = None
        if item.citizen_document is not None:
            doc_id = (
                item.citizen_document if isinstance(item.citizen_document, int) else item.citizen_document.pk
            )
            document = documents.get(doc_id)
            if document is None:
                errors.append(_("Không tìm thấy giấy tờ #%(id)s trong kho dữ liệu.") % {"id": doc_id})
                continue
            if owner is None or document.owner_id != owner.pk:
                raise PermissionDenied(_("Chỉ được dùng lại giấy tờ trong kho dữ liệu của chính mình."))
        if require_file and item.upload is None and document is None:
            errors.append(
                _("Giấy tờ “%(n)s” cần tệp đính kèm hoặc giấy tờ từ kho dữ liệu.")
                % {"n": rp.name if rp else item.name}
            )
            continue
        name = (rp.name if rp else item.name or (document.name if document else "")).strip()
        if not name:
            errors.append(_("Cần tên giấy tờ."))
            continue
        quantity = item.quantity if item.quantity and item.quantity > 0 else 1
        resolved.append(
            _ResolvedPaper(
                required=rp,
                name=name,
                code=(rp.code if rp else "") or (document.paper_code if document else ""),
                upload=item.upload,
                document=document,
                quantity=quantity,
            )
        )
    if check_required:
        given = {r.required.pk for r in resolved if r.required is not None}
        missing = [p.name for p in required.values() if p.is_required and not p.case and p.pk not in given]
        if missing:
            errors.append(_("Thiếu giấy tờ bắt buộc: %(list)s.") % {"list": "; ".join(missing)})
    if errors:
        raise ValidationError({"papers": errors})
    return resolved


def _save_papers(
    dossier: Dossier,
    resolved: list[_ResolvedPaper],
    *,
    actor: Any,
    supplement: SupplementRequest | None = None,
) -> list[DossierPaper]:
    rows = []
    for i, r in enumerate(resolved):
        stored = None
        if r.upload is not None:
            stored = storage.store(r.upload, actor=actor, field=f"papers.{i}")
        elif r.document is not None:
            stored = r.document.file
        rows.append(
            DossierPaper(
                dossier=dossier,
                required_paper=r.required,
                code=r.code,
                name=r.name[:1000],
                file=stored,
                citizen_document=r.document,
                quantity=r.quantity,
                supplement=supplement,
                added_by=actor,
            )
        )
    return DossierPaper.objects.bulk_create(rows)


def _check_agency(procedure: Procedure, agency: Agency) -> None:
    links = [
        link.agency_id
        for link in ProcedureAgency.objects.filter(procedure=procedure, role=ProcedureAgency.Part.RECEIVING)
    ]
    if links and agency.pk not in links:
        raise ValidationError({"agency": _("%(a)s không tiếp nhận thủ tục này.") % {"a": agency}})
    if not agency.is_current:
        raise ValidationError({"agency": _("%(a)s đã hết hiệu lực.") % {"a": agency}})
    codes.check_agency(agency)


def _method(procedure: Procedure, channel: int) -> Any:
    if not procedure.is_active:
        raise ValidationError({"procedure": _("Thủ tục %(c)s không còn áp dụng.") % {"c": procedure.code}})
    method = procedure.methods.filter(channel=channel).first()
    if method is None:
        raise ValidationError(
            {
                "channel": _("Thủ tục %(c)s không thực hiện qua kênh “%(k)s”.")
                % {"c": procedure.code, "k": Channel(channel).label}
            }
        )
    if channel == Channel.ONLINE and procedure.online_level == Procedure.OnlineLevel.NONE:
        raise ValidationError({"channel": _("Thủ tục %(c)s không nộp trực tuyến.") % {"c": procedure.code}})
    return method


# --- entering the system --------------------------------------------------------------------------------


def _new_dossier(
    *,
    actor: Any,
    procedure: Procedure,
    agency: Agency,
    channel: int,
    applicant: Applicant,
    owner: Any,
    description: str,
    idempotency_key: str,
    method: Any,
    now: dt.datetime,
    group: DossierGroup | None = None,
) -> Dossier:
    dossier = Dossier(
        code=codes.next_code(agency, timezone.localtime(now).date()),
        procedure=procedure,
        receiving_agency=agency,
        channel=channel,
        status=S.NEW,
        group=group,
        owner=owner,
        created_by=actor if getattr(actor, "pk", None) else _system_user(),
        idempotency_key=idempotency_key,
        applicant_kind=applicant.kind,
        applicant_name=applicant.name[:255],
        applicant_identity=applicant.identity_number,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address[:500],
        description=description.strip(),
        submitted_at=now,
        processing_days=method.processing_days,
        fee_amount=method.fee_amount,
    )
    dossier.save(force_insert=True)
    return dossier


def _existing(actor: Any, key: str) -> Dossier | None:
    if not key or not getattr(actor, "pk", None):
        return None
    return Dossier.objects.filter(created_by=actor, idempotency_key=key).first()


def submit_online(
    *,
    actor: User,
    procedure: Procedure,
    agency: Agency,
    papers: Sequence[PaperInput],
    applicant: Applicant | None = None,
    description: str = "",
    idempotency_key: str = "",
) -> Dossier:
    """Nộp hồ sơ trực tuyến (status 1): the citizen gets the dossier code at once. The same
    ``idempotency_key`` from the same citizen returns the same dossier, never a second one."""
    if not getattr(actor, "is_citizen", False):
        raise PermissionDenied(_("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến."))
    key = idempotency_key.strip()[:100]
    existing = _existing(actor, key)
    if existing is not None:
        return existing
    try:
        return _submit_online(
            actor=actor,
            procedure=procedure,
            agency=agency,
            papers=papers,
            applicant=applicant or Applicant(),
            description=description,
            key=key,
        )
    except IntegrityError:
        existing = _existing(actor, key)  # a concurrent submission with the same key won
        if existing is None:
            raise
        return existing


@storage.discard_on_error
@transaction.atomic
def _submit_online(
    *,
    actor: User,
    procedure: Procedure,
    agency: Agency,
    papers: Sequence[PaperInput],
    applicant: Applicant,
    description: str,
    key: str,
) -> Dossier:
    method = _method(procedure, Channel.ONLINE)
    _check_agency(procedure, agency)
    cleaned = _clean_applicant(applicant, actor, online=True)
    resolved = _resolve_papers(procedure, papers, actor=actor, owner=actor, require_file=True)
    now = clock.now()
    dossier = _new_dossier(
        actor=actor,
        procedure=procedure,
        agency=agency,
        channel=Channel.ONLINE,
        applicant=cleaned,
        owner=actor,
        description=description,
        idempotency_key=key,
        method=method,
        now=now,
    )
    _save_papers(dossier, resolved, actor=actor)
    _event(dossier, "submitted", actor, from_status=None, at=now, started_at=now)
    _audit("submit", actor, dossier, after=_summary(dossier))
    # No message yet: the portal shows the code at once; "received" (with the appointment) follows acceptance.
    return dossier


def receive_at_desk(
    *,
    actor: User,
    procedure: Procedure,
    agency: Agency,
    applicant: Applicant,
    papers: Sequence[PaperInput],
    channel: int = Channel.DIRECT,
    description: str = "",
    accept: bool = True,
    idempotency_key: str = "",
) -> Dossier:
    """Tiếp nhận hồ sơ trực tiếp hoặc qua bưu chính: the one-stop officer enters the dossier and its papers
    (scans optional: the originals are at the desk). With ``accept`` (the papers are complete) the dossier is
    accepted at once (status 2, appointment given); otherwise it waits in status 1. The applicant's citizen
    account, when one has the same CCCD, becomes the owner (they follow it on the portal)."""
    if channel not in (Channel.DIRECT, Channel.POSTAL):
        raise ValidationError(
            {"channel": _("Tại Bộ phận Một cửa chỉ tiếp nhận trực tiếp hoặc qua bưu chính.")}
        )
    if not _has_role(actor, agency, (Role.ONE_STOP_OFFICER,)):
        raise PermissionDenied(_("Cần vai trò Cán bộ một cửa tại %(a)s.") % {"a": agency})
    key = idempotency_key.strip()[:100]
    existing = _existing(actor, key)
    if existing is not None:
        return existing
    try:
        return _receive_at_desk(
            actor=actor,
            procedure=procedure,
            agency=agency,
            applicant=applicant,
            papers=papers,
            channel=channel,
            description=description,
            accept=accept,
            key=key,
        )
    except IntegrityError:
        existing = _existing(actor, key)
        if existing is None:
            raise
        return existing


@storage.discard_on_error
@transaction.atomic
def _receive_at_desk(
    *,
    actor: User,
    procedure: Procedure,
    agency: Agency,
    applicant: Applicant,
    papers: Sequence[PaperInput],
    channel: int,
    description: str,
    accept: bool,
    key: str,
) -> Dossier:
    method = _method(procedure, channel)
    _check_agency(procedure, agency)
    cleaned = _clean_applicant(applicant, actor, online=False)
    owner = None
    if cleaned.identity_number:
        profile = CitizenProfile.objects.select_related("user").filter(
            identity_number=cleaned.identity_number
        )
        found = profile.first()
        owner = found.user if found is not None else None
    resolved = _resolve_papers(
        procedure, papers, actor=actor, owner=owner, require_file=False, check_required=accept
    )
    now = clock.now()
    dossier = _new_dossier(
        actor=actor,
        procedure=procedure,
        agency=agency,
        channel=channel,
        applicant=cleaned,
        owner=owner,
        description=description,
        idempotency_key=key,
        method=method,
        now=now,
    )
    _save_papers(dossier, resolved, actor=actor)
    _event(dossier, "submitted", actor, from_status=None, agency=agency, at=now, started_at=now)
    _audit("receive", actor, dossier, after=_summary(dossier))
    if accept:
        _accept(dossier, actor, now)
    return dossier


def _summary(dossier: Dossier) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure": dossier.procedure_id,
        "channel": dossier.channel,
        "status": dossier.status,
        "due_at": dossier.due_at,
    }


def _instantiate_steps(dossier: Dossier, received_at: dt.datetime) -> list[DossierStep]:
    template = list(dossier.procedure.steps.order_by("order"))
    steps: list[DossierStep] = []
    if not template:
        steps.append(
            DossierStep(
                dossier=dossier,
                order=1,
                name=_("Giải quyết hồ sơ"),
                role=Role.SPECIALIST,
                agency=dossier.receiving_agency,
                days=dossier.processing_days or Decimal("0"),
                due_at=dossier.due_at,
            )
        )
    cumulative = Decimal("0")
    for item in template:
        cumulative += item.days
        steps.append(
            DossierStep(
                dossier=dossier,
                order=item.order,
                name=item.name,
                role=item.role,
                agency_id=item.agency_id or dossier.receiving_agency_id,
                days=item.days,
                due_at=deadlines.appointment(received_at, cumulative),
            )
        )
    return DossierStep.objects.bulk_create(steps)


def _accept(dossier: Dossier, actor: Any, now: dt.datetime) -> None:
    before = _move(dossier, (S.NEW,), S.RECEIVED)
    dossier.received_at = now
    dossier.received_by = actor if getattr(actor, "pk", None) else None
    dossier.due_at = deadlines.appointment(now, dossier.processing_days or 0)
    dossier.original_due_at = dossier.due_at
    dossier.save()
    _instantiate_steps(dossier, now)
    event = _event(
        dossier,
        "accepted",
        actor,
        from_status=before,
        at=now,
        started_at=now,
        agency=dossier.receiving_agency,
    )
    _audit("accept", actor, dossier, before={"status": before}, after=_summary(dossier))
    notifications.send(dossier, "received", key=event.pk)


@transaction.atomic
def accept(*, actor: User, dossier: Dossier) -> Dossier:
    """Tiếp nhận (1 → 2): appointment date computed, processing steps instantiated from the template."""
    d = _locked(dossier)
    _require_officer(actor, d)
    _accept(d, actor, clock.now())
    return d


@transaction.atomic
def refuse(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """Từ chối tiếp nhận (1 → 3, phiếu từ chối mẫu 03)."""
    d = _locked(dossier)
    _require_officer(actor, d)
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do từ chối tiếp nhận.")})
    before = _move(d, (S.NEW,), S.REFUSED)
    now = clock.now()
    d.end_reason = reason.strip()
    _finish(d, now)
    d.save()
    event = _event(d, "refused", actor, from_status=before, note=d.end_reason, at=now)
    _audit("refuse", actor, d, before={"status": before}, after={"status": d.status, "reason": d.end_reason})
    notifications.send(d, "refused", key=event.pk, reason=d.end_reason)
    return d


# --- processing -----------------------------------------------------------------------------------------


def _check_handler(handler: User | None, step: DossierStep) -> None:
    if handler is None:
        return
    if not _has_role(handler, step.agency, (step.role, *LEADER_ROLES)):
        raise ValidationError(
            {
                "handler": _("%(u)s không giữ vai trò %(r)s tại %(a)s.")
                % {"u": handler, "r": Role(step.role).label, "a": step.agency}
            }
        )


def _activate(d: Dossier, step: DossierStep, actor: Any, now: dt.datetime, handler: User | None) -> None:
    _check_handler(handler, step)
    step.state = DossierStep.State.ACTIVE
    step.started_at = now
    step.handler = handler
    step.save(update_fields=["state", "started_at", "handler"])
    d.current_step = step


@transaction.atomic
def start_processing(*, actor: User, dossier: Dossier, handler: User | None = None) -> Dossier:
    """Chuyển xử lý (2 → 4): the dossier goes to the first step of the process."""
    d = _locked(dossier)
    _require_officer(actor, d)
    before = _move(d, (S.RECEIVED,), S.PROCESSING)
    first = d.steps.filter(state=DossierStep.State.PENDING).select_related("agency").order_by("order").first()
    if first is None:
        raise ValidationError(_("Hồ sơ không có bước xử lý."))
    now = clock.now()
    _activate(d, first, actor, now, handler)
    d.save()
    event = _event(
        d,
        "processing",
        actor,
        from_status=before,
        step=first,
        agency=first.agency,
        note=first.name,
        at=now,
        started_at=now,
        due_at=first.due_at,
    )
    _audit("start", actor, d, before={"status": before}, after={"status": d.status, "step": first.order})
    notifications.send(d, "processing", key=event.pk)
    return d


@transaction.atomic
def forward_step(*, actor: User, dossier: Dossier, handler: User, note: str = "") -> Dossier:
    """Phân công: hand the current step to a person holding the step's role in the step's agency."""
    d = _locked(dossier)
    if d.status != S.PROCESSING:
        raise ValidationError(_("Chỉ phân công hồ sơ đang xử lý."))
    step = _require_step_actor(actor, d)
    _check_handler(handler, step)
    previous = step.handler_id
    step.handler = handler
    step.save(update_fields=["handler"])
    _event(
        d,
        "assigned",
        actor,
        from_status=d.status,
        step=step,
        agency=step.agency,
        note=note.strip() or handler.get_full_name(),
        started_at=step.started_at,
        due_at=step.due_at,
        handler=handler.pk,
    )
    _audit(
        "assign", actor, d, before={"handler": previous}, after={"handler": handler.pk, "step": step.order}
    )
    return d


@transaction.atomic
def complete_step(
    *, actor: User, dossier: Dossier, note: str = "", next_handler: User | None = None
) -> Dossier:
    """Hoàn thành bước: the next step starts; after the last step the dossier is processed (4 → 9)."""
    d = _locked(dossier)
    if d.status != S.PROCESSING:
        raise ValidationError(
            _("Không thể hoàn thành bước khi hồ sơ ở trạng thái “%(s)s”.") % {"s": Status(d.status).label}
        )
    step = _require_step_actor(actor, d)
    now = clock.now()
    step.state = DossierStep.State.DONE
    step.finished_at = now
    step.finished_by = actor if getattr(actor, "pk", None) else None
    step.note = note.strip()
    step.save(update_fields=["state", "finished_at", "finished_by", "note"])
    nxt = (
        d.steps.filter(state=DossierStep.State.PENDING)
        .select_related("agency", "handler")
        .order_by("order")
        .first()
    )
    if nxt is not None:
        if next_handler is None and _may_handle(nxt.handler, nxt):
            next_handler = nxt.handler  # a step played again after a return: back to its handler
        _activate(d, nxt, actor, now, next_handler)
        d.save()
        _event(
            d,
            "step_done",
            actor,
            from_status=d.status,
            step=step,
            agency=step.agency,
            note=note.strip() or step.name,
            at=now,
            started_at=step.started_at,
            due_at=step.due_at,
            next_step=nxt.order,
        )
        _audit("step", actor, d, before={"step": step.order}, after={"step": nxt.order})
        return d
    before = _move(d, (S.PROCESSING,), S.DONE)
    d.current_step = None
    _finish(d, now)
    d.save()
    event = _event(
        d,
        "done",
        actor,
        from_status=before,
        step=step,
        agency=step.agency,
        note=note.strip() or step.name,
        at=now,
        started_at=step.started_at,
        due_at=step.due_at,
    )
    _audit("done", actor, d, before={"status": before}, after={"status": d.status, "on_time": d.is_on_time})
    notifications.send(d, "result_ready", key=event.pk)
    return d


def _previous_handler(step: DossierStep) -> User | None:
    """Who gets the previous step back: its handler (or, unassigned, whoever finished it) while they still
    may handle it (active account, the step's role or a leader role in its agency, delegations included);
    otherwise nobody, and the step waits in the queue of its role holders."""
    for candidate in (step.handler, step.finished_by):
        if _may_handle(candidate, step):
            return candidate
    return None


def _may_handle(user: User | None, step: DossierStep) -> bool:
    return user is not None and user.is_active and _has_role(user, step.agency, (step.role, *LEADER_ROLES))


def _replay(step: DossierStep, **changes: Any) -> DossierStep:
    """A new row for ``step`` played again (same place in the procedure: order, name, role, agency, days)."""
    return DossierStep.objects.create(
        dossier_id=step.dossier_id,
        order=step.order,
        name=step.name,
        role=step.role,
        agency=step.agency,
        days=step.days,
        **changes,
    )


@transaction.atomic
def return_to_previous_step(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """Trả lại bước trước (chuyển trả): the current step's handler (or a holder of its role in its agency)
    sends the dossier back to the previous step of the process, with the reason. The current step is closed
    as returned; the previous step opens again in a new row, with its previous handler when they may still
    handle it (else its role holders), and the returned step waits after it in a new row, so the process
    plays on as before. Step deadlines are counted again from now with each step's share of working days;
    the appointment (ngày hẹn trả) does not change. Reception is not a step: the first processing step has
    nothing to return to."""
    d = _locked(dossier)
    if d.status != S.PROCESSING:
        raise ValidationError(
            _("Chỉ trả lại bước trước khi hồ sơ đang xử lý (trạng thái hiện tại: “%(s)s”).")
            % {"s": Status(d.status).label}
        )
    step = _require_step_actor(actor, d)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Cần ghi lý do trả lại bước trước.")})
    previous = (
        d.steps.filter(order__lt=step.order, state=DossierStep.State.DONE)
        .select_related("agency", "handler", "finished_by")
        .order_by("-order", "-id")
        .first()
    )
    if previous is None:
        raise ValidationError(
            _("Bước “%(s)s” là bước xử lý đầu tiên: không có bước trước để trả lại.") % {"s": step.name}
        )
    now = clock.now()
    handler = _previous_handler(previous)
    back_to = next((u for u in (step.handler, actor) if _may_handle(u, step)), None)
    step.state = DossierStep.State.RETURNED
    step.finished_at = now
    step.finished_by = actor if getattr(actor, "pk", None) else None
    step.note = reason
    step.save(update_fields=["state", "finished_at", "finished_by", "note"])
    # The steps from the previous one on are played again: new deadlines from now, cumulated.
    later = list(d.steps.filter(state=DossierStep.State.PENDING, order__gt=step.order).order_by("order"))
    cumulative = previous.days
    reopened = _replay(
        previous,
        state=DossierStep.State.ACTIVE,
        handler=handler,
        started_at=now,
        due_at=deadlines.appointment(now, cumulative),
    )
    cumulative += step.days
    _replay(
        step,
        handler=back_to,  # after the previous step, the returned step goes back to them (complete_step)
        due_at=deadlines.appointment(now, cumulative),
    )
    for pending in later:
        cumulative += pending.days
        pending.due_at = deadlines.appointment(now, cumulative)
        pending.save(update_fields=["due_at"])
    d.current_step = reopened
    d.save(update_fields=["current_step", "updated_at"])
    _event(
        d,
        "step_returned",
        actor,
        from_status=d.status,
        step=step,
        agency=step.agency,
        note=reason,
        at=now,
        started_at=now,
        due_at=reopened.due_at,
        from_step=step.order,
        to_step=reopened.order,
        to_step_name=reopened.name,
        handler=handler.pk if handler is not None else None,
    )
    _audit(
        "step.return",
        actor,
        d,
        before={"step": step.order, "handler": step.handler_id},
        after={
            "step": reopened.order,
            "handler": reopened.handler_id,
            "step_due_at": reopened.due_at,
            "reason": reason,
        },
    )
    # No message: the notify app has events for applicants only; the step is in the handler's queue.
    return d


# --- supplements ----------------------------------------------------------------------------------------


@transaction.atomic
def request_supplement(*, actor: User, dossier: Dossier, reason: str, papers: Sequence[str] = ()) -> Dossier:
    """Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02) → 5: the clock stops until the papers arrive."""
    d = _locked(dossier)
    _require_handler_or_officer(actor, d)
    wanted = [p.strip() for p in papers if p and p.strip()]
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do yêu cầu bổ sung.")})
    before = _move(d, (S.NEW, S.RECEIVED, S.PROCESSING), S.SUPPLEMENT)
    now = clock.now()
    d.resume_status = before
    if before in CLOCK_STATUSES:
        d.paused_at = now
        d.supplement_count += 1
    d.save()
    SupplementRequest.objects.create(
        dossier=d,
        reason=reason.strip(),
        papers=wanted,
        requested_by=actor or _system_user(),
        requested_at=now,
    )
    event = _event(
        d, "supplement_requested", actor, from_status=before, note=reason.strip(), at=now, papers=wanted
    )
    _audit(
        "supplement.request",
        actor,
        d,
        before={"status": before},
        after={"status": d.status, "reason": reason.strip(), "papers": wanted},
    )
    notifications.send(d, "supplement_requested", key=event.pk, reason=reason.strip(), papers=wanted)
    return d


@storage.discard_on_error
@transaction.atomic
def provide_supplement(
    *, actor: User, dossier: Dossier, papers: Sequence[PaperInput], note: str = ""
) -> Dossier:
    """Bổ sung hồ sơ (5 → the status it came from): the clock resumes and the appointment moves by the
    working days it was stopped."""
    d = _locked(dossier)
    _require_owner_or_officer(actor, d)
    if d.status != S.SUPPLEMENT:
        raise ValidationError(_("Hồ sơ không ở trạng thái chờ bổ sung giấy tờ."))
    if not papers:
        raise ValidationError({"papers": _("Cần ít nhất một giấy tờ bổ sung.")})
    online = _is_owner(actor, d)
    resolved = _resolve_papers(
        d.procedure, papers, actor=actor, owner=d.owner, require_file=online, check_required=False
    )
    request = d.supplements.filter(provided_at__isnull=True).order_by("-requested_at").first()
    now = clock.now()
    target = d.resume_status or S.RECEIVED
    before = _move(d, (S.SUPPLEMENT,), target)
    paused = 0
    if d.paused_at is not None:
        paused = deadlines.paused_working_days(d.paused_at, now)
        if d.due_at is not None:
            d.due_at = deadlines.shift(d.due_at, paused)
        for step in d.steps.filter(state__in=[DossierStep.State.PENDING, DossierStep.State.ACTIVE]):
            if step.due_at is not None:
                step.due_at = deadlines.shift(step.due_at, paused)
                step.save(update_fields=["due_at"])
        d.paused_working_days += paused
        d.paused_at = None
        d.deadline_flag = DeadlineFlag.NONE
    d.resume_status = None
    d.save()
    if request is not None:
        request.provided_at = now
        request.provided_by = actor if getattr(actor, "pk", None) else None
        request.paused_working_days = paused
        request.save(update_fields=["provided_at", "provided_by", "paused_working_days"])
    _save_papers(d, resolved, actor=actor or _system_user(), supplement=request)
    _event(
        d,
        "supplement_provided",
        actor,
        from_status=before,
        note=note.strip(),
        at=now,
        paused_working_days=paused,
        papers=[r.name for r in resolved],
    )
    _audit(
        "supplement.provide",
        actor,
        d,
        before={"status": before},
        after={"status": d.status, "due_at": d.due_at, "paused_working_days": paused},
    )
    return d


# --- fees -----------------------------------------------------------------------------------------------


@transaction.atomic
def request_payment(*, actor: User, dossier: Dossier, amount: int | None = None) -> Dossier:
    """Yêu cầu thực hiện nghĩa vụ tài chính (2/4 → 6); the amount defaults to the procedure's fee."""
    d = _locked(dossier)
    _require_handler_or_officer(actor, d)
    value = d.fee_amount if amount is None else amount
    if not isinstance(value, int) or value <= 0:
        raise ValidationError({"amount": _("Số tiền phải là số nguyên dương (đồng).")})
    before = _move(d, (S.RECEIVED, S.PROCESSING), S.PAYMENT)
    now = clock.now()
    d.resume_status = before
    d.save()
    payment = Payment.objects.create(
        dossier=d,
        agency=d.receiving_agency,
        amount=value,
        requested_by=actor if getattr(actor, "pk", None) else None,
        requested_at=now,
    )
    event = _event(
        d, "payment_requested", actor, from_status=before, at=now, amount=value, payment=payment.pk
    )
    _audit(
        "payment.request", actor, d, before={"status": before}, after={"status": d.status, "amount": value}
    )
    notifications.send(d, "financial_obligation", key=event.pk, amount=value)
    return d


@transaction.atomic
def record_payment(
    *, actor: User | None, dossier: Dossier, method: str, reference: str = "", **options: Any
) -> Payment:
    """Ghi nhận đã nộp phí, lệ phí (6 → back): at the desk (``desk``, one-stop officer) or through a payment
    provider (``sandbox`` or a real gateway; the owner or the provider's callback with ``actor=None``).
    Gives a receipt number sequential per agency per year. A gateway callback retried with the same
    reference returns the payment already recorded."""
    provider = payments.get(method)
    reference = reference.strip()[:128]
    if reference:
        done = Payment.objects.filter(method=method, reference=reference, state=Payment.State.PAID).first()
        if done is not None:
            return done
    d = _locked(dossier)
    if method == "desk" or not provider.citizen_can_use:
        _require_officer(actor, d)
    else:
        _require_owner_or_officer(actor, d)
    payment = (
        d.payments.select_for_update().filter(state=Payment.State.PENDING).order_by("-requested_at").first()
    )
    if d.status != S.PAYMENT or payment is None:
        raise ValidationError(_("Hồ sơ không có khoản phí, lệ phí chờ thanh toán."))
    charge = provider.charge(payment=payment, reference=reference, **options)
    if not charge.ok:
        raise ValidationError({"method": charge.message or _("Thanh toán không thành công.")})
    now = clock.now()
    year = timezone.localtime(now).year
    payment.receipt_year = year
    payment.receipt_seq = codes.take_next(d.receiving_agency, f"receipt:{year}")
    payment.receipt_number = f"{payment.receipt_seq:06d}/{year}"
    payment.method = method
    payment.reference = charge.reference
    payment.state = Payment.State.PAID
    payment.paid_at = now
    payment.recorded_by = actor if getattr(actor, "pk", None) else None
    payment.save()
    before = _move(d, (S.PAYMENT,), d.resume_status or S.PROCESSING)
    d.resume_status = None
    d.save()
    _event(
        d,
        "paid",
        actor,
        from_status=before,
        at=now,
        note=payment.receipt_number,
        amount=payment.amount,
        method=method,
        receipt=payment.receipt_number,
    )
    record(
        "dossiers.payment.record",
        actor=actor,
        agency=d.receiving_agency,
        target=payment,
        after={
            "dossier": d.code,
            "amount": payment.amount,
            "method": method,
            "reference": payment.reference,
            "receipt": payment.receipt_number,
        },
    )
    return payment


# --- ends -----------------------------------------------------------------------------------------------


@transaction.atomic
def withdraw(*, actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """Công dân rút hồ sơ (→ 7), by the owner online or recorded by the one-stop officer at the desk."""
    d = _locked(dossier)
    _require_owner_or_officer(actor, d)
    before = _move(d, (S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT), S.WITHDRAWN)
    now = clock.now()
    d.end_reason = reason.strip()
    _finish(d, now)
    _cancel_open_steps(d)
    d.save()
    event = _event(d, "withdrawn", actor, from_status=before, note=d.end_reason, at=now)
    _audit(
        "withdraw", actor, d, before={"status": before}, after={"status": d.status, "reason": d.end_reason}
    )
    notifications.send(d, "withdrawn", key=event.pk)
    return d


@transaction.atomic
def stop(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """Dừng xử lý (→ 8, thông báo mẫu 05): by the one-stop officer or a leader of the agencies involved."""
    d = _locked(dossier)
    _require_leader_or_officer(actor, d)
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do dừng xử lý.")})
    before = _move(d, (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT), S.STOPPED)
    now = clock.now()
    d.end_reason = reason.strip()
    _finish(d, now)
    _cancel_open_steps(d)
    d.save()
    event = _event(d, "stopped", actor, from_status=before, note=d.end_reason, at=now)
    _audit("stop", actor, d, before={"status": before}, after={"status": d.status, "reason": d.end_reason})
    notifications.send(d, "stopped", key=event.pk, reason=d.end_reason)
    return d


# --- deadlines: apology and new appointment -------------------------------------------------------------


@transaction.atomic
def issue_apology(
    *,
    actor: User,
    dossier: Dossier,
    reason: str,
    new_due_at: dt.datetime | dt.date,
    issuer_title: str = "",
) -> Apology:
    """Văn bản xin lỗi và hẹn lại ngày trả kết quả (mẫu 04): the unit responsible for the delay records the
    reason and the new appointment; the citizen is told by SMS/e-mail and sees the letter on the portal."""
    d = _locked(dossier)
    _require_leader_or_officer(actor, d)
    if d.status not in (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT):
        raise ValidationError(_("Chỉ gia hạn hồ sơ đang giải quyết."))
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do chậm trả kết quả.")})
    if isinstance(new_due_at, dt.date) and not isinstance(new_due_at, dt.datetime):
        new_due_at = deadlines._at(new_due_at, deadlines.closing_time())
    old = d.due_at
    if old is None or new_due_at <= old:
        raise ValidationError({"new_due_at": _("Ngày hẹn mới phải sau ngày hẹn hiện tại.")})
    if not deadlines.calendar.is_working_day(timezone.localtime(new_due_at).date()):
        raise ValidationError({"new_due_at": _("Ngày hẹn mới phải là ngày làm việc.")})
    now = clock.now()
    step = d.current_step
    agency = (
        step.agency
        if step is not None and _has_role(actor, step.agency, LEADER_ROLES)
        else d.receiving_agency
    )
    apology = Apology.objects.create(
        dossier=d,
        reason=reason.strip(),
        old_due_at=old,
        new_due_at=new_due_at,
        issuing_agency=agency,
        issued_by=actor or _system_user(),
        issuer_name=actor.get_full_name() if actor is not None else _("Hệ thống"),
        issuer_title=issuer_title.strip(),
        issued_at=now,
    )
    d.due_at = new_due_at
    d.deadline_flag = DeadlineFlag.NONE
    d.save()
    event = _event(
        d,
        "extended",
        actor,
        from_status=d.status,
        agency=agency,
        note=reason.strip(),
        at=now,
        old_due_at=old,
        apology=apology.pk,
    )
    _audit("extend", actor, d, before={"due_at": old}, after={"due_at": new_due_at, "reason": reason.strip()})
    notifications.send(
        d, "late_apology", key=event.pk, reason=reason.strip(), new_due_date=deadlines.format_day(new_due_at)
    )
    return apology


extend = issue_apology


# --- result ---------------------------------------------------------------------------------------------


class _Named(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


@storage.discard_on_error
@transaction.atomic
def attach_result(
    *, actor: User, dossier: Dossier, upload: Any, sign: bool = False, note: str = ""
) -> Dossier:
    """Kết quả điện tử: the result file, signed with the digital seal of the agency issuing it (the last
    step's agency) when ``sign`` — refused when that agency has no usable certificate — otherwise kept as
    uploaded (a scan of the paper result)."""
    d = _locked(dossier)
    last = d.steps.select_related("agency").order_by("-order").first()
    issuer = (last.agency if last else d.receiving_agency).organisation()
    allowed = actor is None or _has_role(actor, d.receiving_agency, (Role.ONE_STOP_OFFICER,))
    allowed = allowed or _has_role(actor, issuer, (*LEADER_ROLES, Role.SPECIALIST, Role.CLERK))
    if not allowed:
        raise PermissionDenied(_("Bạn không có quyền cập nhật kết quả của hồ sơ này."))
    if d.status not in (S.PROCESSING, S.DONE):
        raise ValidationError(_("Chỉ cập nhật kết quả khi hồ sơ đang xử lý hoặc đã xử lý xong."))
    stored = storage.store(upload, actor=actor, field="result")
    if sign:
        from egov.signing import selectors as signing_selectors
        from egov.signing import services as signing

        if stored.content_type != storage.PDF:
            raise ValidationError({"result": _("Chỉ ký số được kết quả dạng PDF.")})
        cert = signing_selectors.agency_certificate_for(issuer)
        if cert is None:
            raise ValidationError({"result": _("%(a)s chưa có chứng thư số còn hiệu lực.") % {"a": issuer}})
        with stored.file.open("rb") as fh:
            data = bytes(fh.read())
        # The one-stop system seals the e-result on behalf of the issuing agency (actor=None: the permission
        # to attach the result was checked above; the audit row names the officer).
        signed = signing.sign_pdf(
            actor=None,
            pdf=data,
            certificate=cert,
            reason=f"Kết quả giải quyết hồ sơ {d.code}",
            location=issuer.name,
            field_name="KetQua",
        )
        name = stored.original_name.rsplit(".", 1)[0] + "-da-ky.pdf"
        stored = storage.store(_Named(signed, name), actor=actor, field="result")
    d.result_file = stored
    d.result_signed = sign
    d.result_note = note.strip()[:1000]
    d.save()
    _event(
        d,
        "result_attached",
        actor,
        from_status=d.status,
        agency=issuer,
        note=note.strip(),
        file=stored.pk,
        signed=sign,
        sha256=stored.sha256,
    )
    _audit("result", actor, d, after={"file": stored.pk, "sha256": stored.sha256, "signed": sign})
    return d


@transaction.atomic
def return_result(
    *, actor: User, dossier: Dossier, method: str = Dossier.ReturnMethod.DESK, tracking_number: str = ""
) -> Dossier:
    """Trả kết quả (9 → 10): at the desk, by post (tracking number) or online (toàn trình procedures with an
    e-result). The result and the dossier's papers are added to the owner's document store."""
    d = _locked(dossier)
    _require_officer(actor, d)
    if method not in Dossier.ReturnMethod.values:
        raise ValidationError({"method": _("Hình thức trả kết quả không hợp lệ.")})
    tracking_number = tracking_number.strip()
    if method == Dossier.ReturnMethod.POST and not tracking_number:
        raise ValidationError({"tracking_number": _("Cần số vận đơn khi trả kết quả qua bưu chính.")})
    if method == Dossier.ReturnMethod.ONLINE:
        if not d.procedure.is_fully_online:
            raise ValidationError(
                {"method": _("Chỉ thủ tục trực tuyến toàn trình mới trả kết quả trực tuyến.")}
            )
        if d.result_file_id is None:
            raise ValidationError({"method": _("Chưa có kết quả điện tử để trả trực tuyến.")})
    before = _move(d, (S.DONE,), S.RETURNED)
    now = clock.now()
    d.returned_at = now
    d.return_method = method
    d.tracking_number = tracking_number[:64]
    d.save()
    _add_to_store(d)
    event = _event(
        d, "returned", actor, from_status=before, at=now, method=method, tracking=d.tracking_number
    )
    _audit(
        "return",
        actor,
        d,
        before={"status": before},
        after={"status": d.status, "method": method, "tracking": d.tracking_number},
    )
    notifications.send(d, "returned", key=event.pk, method=str(Dossier.ReturnMethod(method).label))
    return d


def _add_to_store(d: Dossier) -> None:
    if d.owner_id is None or not getattr(d.owner, "is_citizen", False):
        return
    existing = set(
        CitizenDocument.objects.filter(owner_id=d.owner_id, source_dossier=d).values_list(
            "file_id", flat=True
        )
    )
    reused = set(
        d.papers.filter(citizen_document__isnull=False).values_list("file_id", flat=True)
    )  # already in the store
    rows = []
    if d.result_file_id and d.result_file_id not in existing:
        rows.append(
            CitizenDocument(
                owner_id=d.owner_id,
                paper_code="",
                name=_("Kết quả: %(p)s") % {"p": d.procedure.name[:900]},
                file_id=d.result_file_id,
                source_dossier=d,
                is_result=True,
            )
        )
        existing.add(d.result_file_id)
    for paper in d.papers.filter(file__isnull=False):
        if paper.file_id is None or paper.file_id in existing or paper.file_id in reused:
            continue
        existing.add(paper.file_id)
        rows.append(
            CitizenDocument(
                owner_id=d.owner_id,
                paper_code=paper.code,
                name=paper.name,
                file_id=paper.file_id,
                source_dossier=d,
            )
        )
    CitizenDocument.objects.bulk_create(rows)


# --- citizen after the result ---------------------------------------------------------------------------


@transaction.atomic
def rate(*, actor: User, dossier: Dossier, score: int, comment: str = "") -> Rating:
    """Đánh giá mức độ hài lòng (1–5), once per dossier, by its owner after the result."""
    d = _locked(dossier)
    _require_owner(actor, d)
    if d.status not in (S.DONE, S.RETURNED):
        raise ValidationError(_("Chỉ đánh giá sau khi hồ sơ đã có kết quả."))
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError({"score": _("Mức độ hài lòng từ 1 đến 5.")})
    if Rating.objects.filter(dossier=d).exists():
        raise ValidationError(_("Hồ sơ này đã được đánh giá."))
    rating = Rating.objects.create(
        dossier=d, score=score, comment=comment.strip(), rated_by=actor, rated_at=clock.now()
    )
    _event(d, "rated", actor, from_status=d.status, note=comment.strip(), score=score)
    record(
        "dossiers.rating.create",
        actor=actor,
        agency=d.receiving_agency,
        target=rating,
        after={"score": score},
    )
    return rating


@transaction.atomic
def add_feedback(*, actor: User, dossier: Dossier, text: str) -> Feedback:
    """Phản ánh, kiến nghị of the owner about the dossier (any status)."""
    d = _locked(dossier)
    _require_owner(actor, d)
    if not text.strip():
        raise ValidationError({"text": _("Cần nhập nội dung phản ánh.")})
    feedback = Feedback.objects.create(dossier=d, author=actor, text=text.strip(), created_at=clock.now())
    _event(d, "feedback", actor, from_status=d.status, note=text.strip()[:500])
    record("dossiers.feedback.create", actor=actor, agency=d.receiving_agency, target=feedback)
    return feedback


# --- inter-linked procedures ----------------------------------------------------------------------------


def submit_group(
    *,
    actor: User,
    procedure_group: ProcedureGroup,
    papers: Mapping[int, Sequence[PaperInput]],
    agencies: Mapping[int, Agency] | None = None,
    applicant: Applicant | None = None,
    description: str = "",
    idempotency_key: str = "",
) -> DossierGroup:
    """Nộp hồ sơ liên thông: one submission, one group code, one dossier per procedure of the group, each
    received by its own agency (``agencies`` by procedure id, default: the procedure's receiving agency);
    ``papers`` by procedure id."""
    if not getattr(actor, "is_citizen", False):
        raise PermissionDenied(_("Chỉ tài khoản công dân mới nộp hồ sơ trực tuyến."))
    key = idempotency_key.strip()[:100]
    if key:
        found = DossierGroup.objects.filter(created_by=actor, idempotency_key=key).first()
        if found is not None:
            return found
    try:
        return _submit_group(
            actor=actor,
            procedure_group=procedure_group,
            papers=papers,
            agencies=agencies or {},
            applicant=applicant or Applicant(),
            description=description,
            key=key,
        )
    except IntegrityError:
        found = DossierGroup.objects.filter(created_by=actor, idempotency_key=key).first() if key else None
        if found is None:
            raise
        return found


@storage.discard_on_error
@transaction.atomic
def _submit_group(
    *,
    actor: User,
    procedure_group: ProcedureGroup,
    papers: Mapping[int, Sequence[PaperInput]],
    agencies: Mapping[int, Agency],
    applicant: Applicant,
    description: str,
    key: str,
) -> DossierGroup:
    if not procedure_group.is_active:
        raise ValidationError({"procedure_group": _("Nhóm thủ tục liên thông không còn áp dụng.")})
    items = list(procedure_group.items.select_related("procedure").order_by("order"))
    if not items:
        raise ValidationError({"procedure_group": _("Nhóm thủ tục chưa có thủ tục nào.")})
    cleaned = _clean_applicant(applicant, actor, online=True)
    plan = []
    errors: dict[str, Any] = {}
    for item in items:
        procedure = item.procedure
        agency = agencies.get(procedure.pk)
        if agency is None:
            link = (
                ProcedureAgency.objects.filter(procedure=procedure, role=ProcedureAgency.Part.RECEIVING)
                .select_related("agency")
                .first()
            )
            agency = link.agency if link else None
        try:
            if agency is None:
                raise ValidationError({"agency": _("Chưa xác định cơ quan tiếp nhận.")})
            method = _method(procedure, Channel.ONLINE)
            _check_agency(procedure, agency)
            resolved = _resolve_papers(
                procedure, papers.get(procedure.pk, ()), actor=actor, owner=actor, require_file=True
            )
        except ValidationError as exc:
            errors[procedure.code] = exc.messages
            continue
        plan.append((procedure, agency, method, resolved))
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    group = DossierGroup.objects.create(
        code=codes.next_group_code(plan[0][1], timezone.localtime(now).date()),
        procedure_group=procedure_group,
        owner=actor,
        created_by=actor,
        idempotency_key=key,
    )
    for procedure, agency, method, resolved in plan:
        dossier = _new_dossier(
            actor=actor,
            procedure=procedure,
            agency=agency,
            channel=Channel.ONLINE,
            applicant=cleaned,
            owner=actor,
            description=description,
            idempotency_key="",
            method=method,
            now=now,
            group=group,
        )
        _save_papers(dossier, resolved, actor=actor)
        _event(dossier, "submitted", actor, from_status=None, at=now, started_at=now, group=group.code)
        _audit("submit", actor, dossier, after=_summary(dossier) | {"group": group.code})
    record(
        "dossiers.group.submit",
        actor=actor,
        agency=plan[0][1],
        target=group,
        after={"code": group.code, "procedures": [p.code for p, *_rest in plan]},
    )
    return group


# --- housekeeping ---------------------------------------------------------------------------------------


def flag_deadlines(now: dt.datetime | None = None) -> dict[str, int]:
    """Store the deadline flag of :func:`egov.dossiers.deadlines.flag` (the one rule, also used live by the
    officer pages): at risk, overdue, or cleared, with a few set-based UPDATEs on partial indexes (no Python
    loop over dossiers) through :func:`egov.dossiers.deadlines.flag_condition`. The flag is a derived
    sorting key, not a decision, so the scan is not audited row by row."""
    now = now or clock.now()
    limit = deadlines.at_risk_limit(now)
    with transaction.atomic():
        overdue = (
            Dossier.objects.filter(deadlines.flag_condition(DeadlineFlag.OVERDUE, now, limit))
            .exclude(deadline_flag=DeadlineFlag.OVERDUE)
            .update(deadline_flag=DeadlineFlag.OVERDUE)
        )
        at_risk = (
            Dossier.objects.filter(deadlines.flag_condition(DeadlineFlag.AT_RISK, now, limit))
            .exclude(deadline_flag=DeadlineFlag.AT_RISK)
            .update(deadline_flag=DeadlineFlag.AT_RISK)
        )
        cleared = (
            Dossier.objects.filter(deadline_flag__gt=0)
            .filter(deadlines.flag_condition(DeadlineFlag.NONE, now, limit))
            .update(deadline_flag=DeadlineFlag.NONE)
        )
    return {"overdue": overdue, "at_risk": at_risk, "cleared": cleared}


__all__ = [
    "FINAL_STATUSES",
    "Applicant",
    "PaperInput",
    "accept",
    "add_feedback",
    "attach_result",
    "complete_step",
    "extend",
    "flag_deadlines",
    "forward_step",
    "issue_apology",
    "provide_supplement",
    "rate",
    "receive_at_desk",
    "record_payment",
    "refuse",
    "request_payment",
    "request_supplement",
    "return_result",
    "return_to_previous_step",
    "start_processing",
    "stop",
    "submit_group",
    "submit_online",
    "withdraw",
]
