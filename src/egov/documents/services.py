"""State changes of documents. Each function validates, runs in one transaction, records a timeline event
and an audit row, and raises ``ValidationError``/``PermissionDenied`` before writing anything.

Incoming flow (Nghị định 30, Điều 20–24)::

    received (exchange) ─┬─ refuse ──▶ refused
                         └─ register ─▶ registered ─ present ─▶ presented ─ assign ─▶ assigned
                                                                    ▲                    │ start / opinion
                                                                    └──── (re)assign ────┤
                                                                                         ▼
                                                                in_progress ─ complete ─▶ completed
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.core import calendar
from egov.directory import selectors as directory
from egov.directory.models import Agency, Role, User
from egov.documents import selectors, signals, storage
from egov.documents.models import (
    Assignment,
    Confidentiality,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    Register,
    Urgency,
)
from egov.documents.numbering import format_number, number_incoming, take_next_number

Status = IncomingDocument.Status
LEADER_ROLES = (Role.LEADER, Role.DEPUTY_LEADER)
_RELATED_FIELDS = ["agency", "register", "document_type", "issuing_agency", "created_by", "related"]


# --- helpers --------------------------------------------------------------------------------------------


def _require_role(actor: Any, agency: Agency, *roles: str) -> None:
    if actor is None:
        return  # system: exchange worker, imports, demo
    if not selectors.may_act(actor, agency, *roles):
        labels = ", ".join(str(Role(r).label) for r in roles)
        raise PermissionDenied(
            _("Cần vai trò %(roles)s tại %(agency)s.") % {"roles": labels, "agency": agency}
        )


def _event(doc: IncomingDocument, kind: str, actor: Any, note: str = "", **data: Any) -> DocumentEvent:
    return DocumentEvent.objects.create(
        incoming=doc,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
        note=note,
        data=data,
    )


def _transition(doc: IncomingDocument, allowed: tuple[str, ...], target: str) -> str:
    if doc.status not in allowed:
        raise ValidationError(
            _("Không thể chuyển văn bản từ trạng thái “%(from)s” sang “%(to)s”.")
            % {"from": doc.get_status_display(), "to": Status(target).label}
        )
    before = doc.status
    doc.status = target
    return before


def _locked(doc: IncomingDocument) -> IncomingDocument:
    return (
        IncomingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "register", "document_type")
        .get(pk=doc.pk)
    )


@functools.cache
def _default_register_sql() -> str:
    # One statement composed once (at most one default per agency and direction: a constraint); the ORM's
    # two ``filter().first()`` cost more CPU to compile than the registration's own inserts.
    return (
        f"SELECT * FROM {Register._meta.db_table} WHERE agency_id = %s AND direction = %s"  # noqa: S608
        " AND active = %s AND is_secret = %s ORDER BY is_default DESC, id LIMIT 1"
    )


def default_register(agency: Agency, direction: str, *, secret: bool = False) -> Register:
    """The agency's active register of ``direction``: the default one, or else the oldest."""
    found = list(Register.objects.raw(_default_register_sql(), [agency.pk, direction, True, secret]))
    register = found[0] if found else None
    if register is None:
        raise ValidationError({"register": _("Cơ quan chưa có sổ đăng ký phù hợp.")})
    return register


@transaction.atomic
def ensure_default_registers(*, actor: Any, agency: Agency) -> list[Register]:
    """Sổ văn bản đến, sổ văn bản đi and their secret counterparts for an agency (idempotent)."""
    created = []
    specs = [
        (Register.Direction.INCOMING, "Sổ văn bản đến", False, True),
        (Register.Direction.OUTGOING, "Sổ văn bản đi", False, True),
        (Register.Direction.INCOMING, "Sổ văn bản đến mật", True, False),
        (Register.Direction.OUTGOING, "Sổ văn bản đi mật", True, False),
    ]
    for direction, name, secret, default in specs:
        register, was_created = Register.objects.get_or_create(
            agency=agency,
            direction=direction,
            name=name,
            defaults={"is_secret": secret, "is_default": default},
        )
        if was_created:
            record(
                "documents.register.create",
                actor=actor,
                agency=agency,
                target=register,
                after=snapshot(register),
            )
            created.append(register)
    return created


# --- duplicates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateWarning:
    document: IncomingDocument

    def __str__(self) -> str:
        return _("Văn bản %(nn)s của %(org)s đã được vào sổ ngày %(d)s (số đến %(n)s).") % {
            "nn": self.document.number_notation,
            "org": self.document.issuing_agency_name,
            "d": timezone.localtime(self.document.arrival_date).strftime("%d/%m/%Y"),
            "n": self.document.arrival_number,
        }


def find_duplicates(
    *,
    agency: Agency,
    issuing_agency_name: str,
    code_number: str,
    code_notation: str,
    issued_date: dt.date | None,
) -> list[DuplicateWarning]:
    """Same (issuing agency, number and notation, year) already received by this agency."""
    if not code_number:
        return []
    key = IncomingDocument.make_identity_key(issuing_agency_name, code_number, code_notation)
    qs = IncomingDocument.objects.filter(agency=agency, identity_key=key).exclude(status=Status.REFUSED)
    if issued_date:
        qs = qs.filter(issued_date__year=issued_date.year)
    return [DuplicateWarning(d) for d in qs.order_by("arrival_date")[:5]]


# --- incoming -------------------------------------------------------------------------------------------


def validate_notation(document_type: DocumentType, code_notation: str) -> None:
    """The notation of a non-công-văn document starts with its type abbreviation (``QĐ-UBND`` for a QĐ)."""
    if not code_notation or document_type.is_cong_van or not document_type.abbreviation:
        return
    first = code_notation.split("-", 1)[0]
    if first.casefold() != document_type.abbreviation.casefold():
        raise ValidationError(
            {
                "code_notation": _("Ký hiệu “%(n)s” không khớp loại %(t)s (phải bắt đầu bằng “%(a)s-”).")
                % {"n": code_notation, "t": document_type.name, "a": document_type.abbreviation}
            }
        )


@storage.discard_on_error
@transaction.atomic
def register_incoming(
    *,
    actor: Any,
    agency: Agency,
    document_type: DocumentType,
    subject: str,
    issuing_agency_name: str = "",
    issuing_agency: Agency | None = None,
    code_number: str = "",
    code_notation: str = "",
    issued_date: dt.date | None = None,
    signer_name: str = "",
    signer_position: str = "",
    urgency: int = Urgency.NORMAL,
    confidentiality: int = Confidentiality.NORMAL,
    page_count: int | None = None,
    due_date: dt.date | None = None,
    register: Register | None = None,
    source: str = IncomingDocument.Source.PAPER,
    external_id: str = "",
    arrival_date: dt.datetime | None = None,
    number_now: bool = True,
    files: list[Any] | None = None,
) -> IncomingDocument:
    """Vào sổ văn bản đến. With ``number_now=False`` (documents arriving from the exchange axis) the document
    waits in status ``received`` (01) until a clerk registers it (03) with :func:`accept_received`."""
    _require_role(actor, agency, Role.CLERK)
    if issuing_agency is not None and not issuing_agency_name:
        issuing_agency_name = issuing_agency.name
    register = register or default_register(
        agency, Register.Direction.INCOMING, secret=confidentiality > Confidentiality.NORMAL
    )
    errors: dict[str, Any] = {}
    if register.agency_id != agency.pk or register.direction != Register.Direction.INCOMING:
        errors["register"] = _("Sổ không thuộc cơ quan hoặc không phải sổ văn bản đến.")
    elif confidentiality > Confidentiality.NORMAL and not register.is_secret:
        errors["register"] = _("Văn bản mật phải vào sổ văn bản mật.")
    if not subject.strip():
        errors["subject"] = _("Cần nhập trích yếu.")
    if not issuing_agency_name.strip():
        errors["issuing_agency_name"] = _("Cần nhập cơ quan ban hành.")
    if code_number and not code_number.isdigit():
        errors["code_number"] = _("Số văn bản chỉ gồm chữ số.")
    arrival = arrival_date or timezone.now()
    if issued_date and issued_date > timezone.localtime(arrival).date():
        errors["issued_date"] = _("Ngày văn bản không thể sau ngày đến.")
    try:
        validate_notation(document_type, code_notation)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    doc = IncomingDocument(
        agency=agency,
        register=register,
        document_type=document_type,
        subject=subject.strip(),
        issuing_agency=issuing_agency,
        issuing_agency_name=issuing_agency_name.strip(),
        code_number=code_number,
        code_notation=code_notation.strip(),
        issued_date=issued_date,
        signer_name=signer_name,
        signer_position=signer_position,
        urgency=urgency,
        confidentiality=confidentiality,
        page_count=page_count,
        due_date=due_date,
        source=source,
        external_id=external_id,
        arrival_date=arrival,
        status=Status.REGISTERED if number_now else Status.RECEIVED,
        created_by=actor or _system_user(),
    )
    doc.identity_key = IncomingDocument.make_identity_key(
        doc.issuing_agency_name, code_number, doc.code_notation
    )
    doc.refresh_search_key()
    # Field checks only (lengths, choices): the related objects are instances the caller holds, and the
    # unique constraint of the arrival number is the database's (the counter below makes it hold).
    doc.full_clean(exclude=_RELATED_FIELDS, validate_unique=False, validate_constraints=False)
    # The row goes in without its arrival number, the files (if any) are stored, and the number is taken
    # last, with the statement that writes it into the row: the register's counter row stays locked only
    # for the last statements of the transaction (timeline event, audit row, commit).
    doc.save(force_insert=True)
    if files:
        for upload in files:
            storage.attach(doc, upload, actor=actor, lenient=source == IncomingDocument.Source.EXCHANGE)
        doc.refresh_search_key(storage.texts_of(doc))
        doc.save(update_fields=["search_key"])
    if number_now:
        number_incoming(doc, register, timezone.localtime(arrival).year)
    kind = "registered" if number_now else "received"
    _event(doc, kind, actor, arrival_number=doc.arrival_number)
    _announce_status(doc)
    # Last: the audit chain's lock (held until commit) is always taken after the register counter's.
    record(f"documents.incoming.{kind}", actor=actor, agency=agency, target=doc, after=snapshot(doc))
    return doc


def _announce_status(doc: IncomingDocument) -> None:
    """The status of a document created in this transaction: :func:`signals.on_commit_status` (the one rule:
    ``incoming_status_changing`` now, ``incoming_status_changed`` after commit, both with this instance)."""
    signals.on_commit_status(doc)


def _system_user() -> User:
    user, _ = User.objects.get_or_create(
        username="system",
        defaults={"full_name": "Hệ thống egov", "kind": User.Kind.STAFF, "is_active": False},
    )
    return user


@transaction.atomic
def accept_received(
    *, actor: Any, document: IncomingDocument, register: Register | None = None
) -> IncomingDocument:
    """The clerk registers a document that arrived through the exchange axis (status 01 → 03)."""
    doc = _locked(document)
    _require_role(actor, doc.agency, Role.CLERK)
    _transition(doc, (Status.RECEIVED,), Status.REGISTERED)
    if register is not None:
        if register.agency_id != doc.agency_id or register.direction != Register.Direction.INCOMING:
            raise ValidationError({"register": _("Sổ không thuộc cơ quan hoặc không phải sổ văn bản đến.")})
        doc.register = register
    doc.arrival_year = timezone.localdate().year
    doc.arrival_number = take_next_number(doc.register, doc.arrival_year)
    doc.save()
    _event(doc, "registered", actor, arrival_number=doc.arrival_number)
    record(
        "documents.incoming.registered",
        actor=actor,
        agency=doc.agency,
        target=doc,
        after={"status": doc.status, "arrival_number": doc.arrival_number},
    )
    signals.on_commit_status(doc)
    return doc


@transaction.atomic
def refuse(*, actor: Any, document: IncomingDocument, reason: str) -> IncomingDocument:
    """Từ chối tiếp nhận (status 02): wrong recipient, errors, not competent; reason sent back."""
    doc = _locked(document)
    _require_role(actor, doc.agency, Role.CLERK)
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do từ chối.")})
    before = _transition(doc, (Status.RECEIVED,), Status.REFUSED)
    doc.refusal_reason = reason.strip()
    doc.save()
    _event(doc, "refused", actor, note=doc.refusal_reason)
    record(
        "documents.incoming.refuse",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "reason": doc.refusal_reason},
    )
    signals.on_commit_status(doc)
    return doc


@transaction.atomic
def present(
    *, actor: Any, document: IncomingDocument, leader: User | None = None, note: str = ""
) -> IncomingDocument:
    """Trình lãnh đạo: the clerk presents the registered document to the leader."""
    doc = _locked(document)
    _require_role(actor, doc.agency, Role.CLERK)
    before = _transition(doc, (Status.REGISTERED,), Status.PRESENTED)
    doc.save()
    _event(doc, "presented", actor, note=note, leader=leader.pk if leader else None)
    record(
        "documents.incoming.present",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status},
    )
    return doc


@dataclass
class AssignmentSpec:
    kind: str
    user: User | None = None
    unit: Agency | None = None


@transaction.atomic
def assign(
    *,
    actor: Any,
    document: IncomingDocument,
    direction: str,
    lead: AssignmentSpec,
    cooperate: list[AssignmentSpec] | None = None,
    inform: list[AssignmentSpec] | None = None,
    deadline_working_days: int | None = None,
) -> IncomingDocument:
    """Lãnh đạo cho ý kiến chỉ đạo và phân công: one lead handler (chủ trì), co-handlers (phối hợp), readers
    (để biết), with a deadline counted in working days."""
    doc = _locked(document)
    _require_role(actor, doc.agency, *LEADER_ROLES)
    before = _transition(doc, (Status.REGISTERED, Status.PRESENTED, Status.ASSIGNED), Status.ASSIGNED)
    org_units = directory.unit_closure(doc.agency)
    specs = (
        [(Assignment.Kind.LEAD, lead)]
        + [(Assignment.Kind.COOPERATE, s) for s in cooperate or []]
        + [(Assignment.Kind.INFORM, s) for s in inform or []]
    )
    errors: list[str] = []
    for _kind, spec in specs:
        if spec.user is None and spec.unit is None:
            errors.append(_("Mỗi phân công cần một người hoặc một đơn vị."))
        if spec.unit is not None and spec.unit.pk not in org_units:
            errors.append(_("%(u)s không thuộc cơ quan.") % {"u": spec.unit})
        if (
            spec.user is not None
            and not directory.active_positions(spec.user).filter(agency_id__in=org_units).exists()
        ):
            errors.append(_("%(u)s không công tác tại cơ quan.") % {"u": spec.user})
    if deadline_working_days is not None and not 0 < deadline_working_days <= 365:
        errors.append(_("Hạn xử lý phải từ 1 đến 365 ngày làm việc."))
    if errors:
        raise ValidationError({"assignments": errors})
    deadline = (
        calendar.add_working_days(timezone.localdate(), deadline_working_days)
        if deadline_working_days
        else doc.due_date
    )
    # A new direction replaces the open assignments of the previous one.
    Assignment.objects.filter(document=doc, completed_at__isnull=True).update(completed_at=timezone.now())
    created = [
        Assignment.objects.create(
            document=doc,
            kind=kind,
            user=spec.user,
            unit=spec.unit,
            assigned_by=actor or _system_user(),
            deadline=deadline if kind != Assignment.Kind.INFORM else None,
        )
        for kind, spec in specs
    ]
    if deadline:
        doc.due_date = deadline
    doc.save()
    _event(
        doc,
        "assigned",
        actor,
        note=direction.strip(),
        deadline=deadline,
        assignments=[{"kind": a.kind, "user": a.user_id, "unit": a.unit_id} for a in created],
    )
    record(
        "documents.incoming.assign",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={
            "status": doc.status,
            "direction": direction.strip(),
            "deadline": deadline,
            "assignments": [(a.kind, a.user_id, a.unit_id) for a in created],
        },
    )
    signals.on_commit_status(doc)
    return doc


def _lead_assignment(doc: IncomingDocument, actor: Any) -> Assignment:
    open_leads = Assignment.objects.filter(document=doc, kind=Assignment.Kind.LEAD, completed_at__isnull=True)
    for a in open_leads:
        if a.user_id == getattr(actor, "pk", None):
            return a
        if (
            a.user_id is None
            and a.unit_id
            and directory.active_positions(actor).filter(agency_id=a.unit_id).exists()
        ):
            return a
    raise PermissionDenied(_("Bạn không phải người chủ trì xử lý văn bản này."))


@transaction.atomic
def add_opinion(*, actor: Any, document: IncomingDocument, text: str) -> IncomingDocument:
    """Ý kiến xử lý by the lead handler or a co-handler; the first one moves the document to in progress."""
    doc = _locked(document)
    if not text.strip():
        raise ValidationError({"text": _("Cần nhập nội dung ý kiến.")})
    mine = Assignment.objects.filter(document=doc, completed_at__isnull=True, user=actor).exclude(
        kind=Assignment.Kind.INFORM
    )
    if not mine.exists():
        _lead_assignment(doc, actor)
    before = doc.status
    if doc.status == Status.ASSIGNED:
        _transition(doc, (Status.ASSIGNED,), Status.IN_PROGRESS)
        doc.save()
    elif doc.status != Status.IN_PROGRESS:
        raise ValidationError(_("Văn bản không ở trạng thái đang xử lý."))
    _event(doc, "opinion", actor, note=text.strip())
    record(
        "documents.incoming.opinion",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "opinion": text.strip()},
    )
    signals.on_commit_status(doc)
    return doc


@transaction.atomic
def forward(*, actor: Any, document: IncomingDocument, to: User, note: str = "") -> IncomingDocument:
    """The lead handler passes the handling to someone of their unit (chuyển xử lý trong đơn vị)."""
    doc = _locked(document)
    lead = _lead_assignment(doc, actor)
    unit_ids = {p.agency_id for p in directory.active_positions(actor)}
    if not directory.active_positions(to).filter(agency_id__in=unit_ids).exists():
        raise ValidationError({"to": _("Chỉ chuyển cho người cùng đơn vị.")})
    lead.completed_at = timezone.now()
    lead.save(update_fields=["completed_at"])
    new = Assignment.objects.create(
        document=doc,
        kind=Assignment.Kind.LEAD,
        user=to,
        assigned_by=actor,
        deadline=lead.deadline,
        parent=lead,
    )
    _event(doc, "forwarded", actor, note=note, to=to.pk)
    record(
        "documents.incoming.forward",
        actor=actor,
        agency=doc.agency,
        target=doc,
        after={"from": lead.pk, "to_user": to.pk, "assignment": new.pk},
    )
    return doc


@transaction.atomic
def complete(*, actor: Any, document: IncomingDocument, summary: str = "") -> IncomingDocument:
    """Hoàn thành xử lý (status 06), by the lead handler."""
    doc = _locked(document)
    lead = _lead_assignment(doc, actor)
    before = _transition(doc, (Status.ASSIGNED, Status.IN_PROGRESS), Status.COMPLETED)
    now = timezone.now()
    doc.completed_at = now
    doc.save()
    Assignment.objects.filter(document=doc, completed_at__isnull=True).update(completed_at=now)
    lead.refresh_from_db()
    _event(doc, "completed", actor, note=summary.strip())
    record(
        "documents.incoming.complete",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status, "summary": summary.strip()},
    )
    signals.on_commit_status(doc)
    return doc


# --- revocation (thu hồi, Nghị định 30 Điều 18.4; edXML 13/15/16) ------------------------------------------


@transaction.atomic
def request_revocation(*, actor: Any, document: IncomingDocument, reason: str) -> IncomingDocument:
    """The sender takes a document back (received through the axis or from an agency in this instance): the
    recipient's clerk must then accept (15) or refuse (16)."""
    doc = _locked(document)
    if doc.status in (Status.REVOKED, Status.REFUSED):
        return doc
    doc.revocation_requested_at = timezone.now()
    doc.revocation_reason = reason.strip()[:500]
    doc.save()
    _event(doc, "revocation_requested", actor, note=doc.revocation_reason)
    record(
        "documents.incoming.revocation_requested",
        actor=actor,
        agency=doc.agency,
        target=doc,
        after={"reason": doc.revocation_reason},
    )
    return doc


@transaction.atomic
def accept_revocation(*, actor: Any, document: IncomingDocument) -> IncomingDocument:
    """Đồng ý thu hồi (15): the document leaves the handling flow; its record stays for the audit."""
    doc = _locked(document)
    _require_role(actor, doc.agency, Role.CLERK)
    if doc.revocation_requested_at is None:
        raise ValidationError(_("Không có đề nghị thu hồi văn bản này."))
    before = doc.status
    doc.status = Status.REVOKED
    doc.save()
    Assignment.objects.filter(document=doc, completed_at__isnull=True).update(completed_at=timezone.now())
    _event(doc, "revoked", actor, note=doc.revocation_reason)
    record(
        "documents.incoming.revoke",
        actor=actor,
        agency=doc.agency,
        target=doc,
        before={"status": before},
        after={"status": doc.status},
    )
    signals.on_commit_status(doc)
    return doc


@transaction.atomic
def refuse_revocation(*, actor: Any, document: IncomingDocument, reason: str) -> IncomingDocument:
    """Từ chối thu hồi (16), with the reason for the sender; the handling goes on."""
    doc = _locked(document)
    _require_role(actor, doc.agency, Role.CLERK)
    if doc.revocation_requested_at is None:
        raise ValidationError(_("Không có đề nghị thu hồi văn bản này."))
    if not reason.strip():
        raise ValidationError({"reason": _("Cần ghi lý do từ chối thu hồi.")})
    doc.revocation_requested_at = None
    doc.save()
    _event(doc, "revocation_refused", actor, note=reason.strip())
    record(
        "documents.incoming.revocation_refused",
        actor=actor,
        agency=doc.agency,
        target=doc,
        after={"reason": reason.strip()},
    )
    signals.on_commit_status(doc, "16", f"Từ chối yêu cầu thu hồi: {reason.strip()}")
    return doc


__all__ = [
    "AssignmentSpec",
    "accept_received",
    "accept_revocation",
    "add_opinion",
    "assign",
    "complete",
    "default_register",
    "ensure_default_registers",
    "find_duplicates",
    "format_number",
    "forward",
    "present",
    "refuse",
    "refuse_revocation",
    "register_incoming",
    "request_revocation",
]
