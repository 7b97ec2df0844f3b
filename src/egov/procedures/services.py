"""State changes of the procedure catalogue (danh mục thủ tục hành chính).

Each function checks the caller's permission, validates, runs in one transaction and writes an audit row,
raising ``ValidationError``/``PermissionDenied`` before anything is written.

Who may change the catalogue (decided for issue #5, documented in ``docs/procedures.md``):

* **system administrators** (and ``actor=None``: imports, the demo): everything — procedures, fields,
  execution methods (legal time and fees), agencies, groups, activation;
* **agency administrators** may change the *process template* (quy trình nội bộ: steps) and the *required
  papers* (including the blank forms) of a procedure only when they administer **every** agency that
  executes it (a procedure executed by all communes of a province is the province's to change, not one
  commune's, because the template is shared).

Rules checked on every change (``check_procedure``):

* the code has the national form ``1.001234``;
* steps are numbered 1..n, each with ``days >= 0`` (one decimal), and their sum does not exceed the shortest
  processing time of the procedure's execution methods; a step's agency exists and is current;
* an active procedure that accepts dossiers (it has at least one execution method) has at least one current
  receiving agency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from egov.audit.services import normalise, record
from egov.core.text import fold
from egov.directory import selectors as directory
from egov.directory.models import Agency, Role
from egov.procedures import files
from egov.procedures.models import (
    Channel,
    ExecutionMethod,
    Field,
    Procedure,
    ProcedureAgency,
    ProcedureGroup,
    ProcedureGroupItem,
    ProcessStep,
    RequiredPaper,
    validate_procedure_code,
)

Part = ProcedureAgency.Part
KEEP = object()  # a paper's form file left as it is

# --- specifications (what callers pass) ----------------------------------------------------------------


@dataclass
class MethodSpec:
    channel: int
    processing_days: Decimal | int | float | str
    time_note: str = ""
    fee_amount: int = 0
    fee_note: str = ""


@dataclass
class PaperSpec:
    name: str
    originals: int = 1
    copies: int = 0
    is_required: bool = True
    case: str = ""
    code: str = ""
    form_name: str = ""
    # KEEP: leave the stored form as it is; None/False: remove it; a file object: replace it.
    form_file: Any = KEEP
    id: int | None = None


@dataclass
class StepSpec:
    name: str
    role: str
    days: Decimal | int | float | str
    agency: Agency | None = None
    order: int | None = None


@dataclass
class AgencySpec:
    agency: Agency
    role: str


def _spec(cls: type, item: Any) -> Any:
    if isinstance(item, cls):
        return item
    if isinstance(item, Mapping):
        known = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        unknown = set(item) - known
        if unknown:
            raise ValidationError(_("Trường không hợp lệ: %(f)s.") % {"f": ", ".join(sorted(unknown))})
        return cls(**item)
    if isinstance(item, tuple | list) and cls is AgencySpec:
        return AgencySpec(*item)
    raise ValidationError(_("Dữ liệu không hợp lệ: %(v)r.") % {"v": item})


# --- permissions ---------------------------------------------------------------------------------------


def can_manage_catalogue(user: Any) -> bool:
    """Create/update/deactivate procedures, methods, agencies, fields and groups."""
    return user is None or directory.is_system_admin(user)


def can_edit_template(user: Any, procedure: Procedure) -> bool:
    """Steps and papers: system administrators, or agency administrators of every executing agency."""
    if can_manage_catalogue(user):
        return True
    if not (user and user.is_authenticated and getattr(user, "is_government_staff", False)):
        return False
    executing = set(procedure.agency_links.filter(role=Part.EXECUTING).values_list("agency_id", flat=True))
    if not executing:
        return False
    administered = directory.admin_agency_ids(user) or set()
    return executing <= administered


def _require_catalogue(actor: Any) -> None:
    if not can_manage_catalogue(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống mới được thay đổi danh mục thủ tục hành chính."))


def _require_template(actor: Any, procedure: Procedure) -> None:
    if not can_edit_template(actor, procedure):
        raise PermissionDenied(
            _(
                "Chỉ quản trị hệ thống, hoặc quản trị của mọi cơ quan giải quyết thủ tục %(code)s, "
                "mới được thay đổi quy trình và thành phần hồ sơ."
            )
            % {"code": procedure.code}
        )


# --- state (audit before/after, importer comparisons) --------------------------------------------------

MAIN_FIELDS = (
    "code",
    "external_id",
    "name",
    "field_id",
    "levels",
    "kind",
    "executing_agency_text",
    "legal_bases",
    "online_level",
    "result_type",
    "requirements",
    "applicant_kinds",
    "is_active",
)
EDITABLE = (*tuple(f for f in MAIN_FIELDS if f not in ("code", "field_id")), "field")


def _decimal_str(value: Any) -> str:
    return format(Decimal(value).normalize(), "f") if value is not None else ""


def methods_state(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {
            "channel": m.channel,
            "processing_days": _decimal_str(m.processing_days),
            "time_note": m.time_note,
            "fee_amount": m.fee_amount,
            "fee_note": m.fee_note,
        }
        for m in ExecutionMethod.objects.filter(procedure=procedure).order_by("channel")
    ]


def papers_state(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "originals": p.originals,
            "copies": p.copies,
            "is_required": p.is_required,
            "case": p.case,
            "code": p.code,
            "form_name": p.form_name,
            "form_file": p.form_file.name or "",
        }
        for p in RequiredPaper.objects.filter(procedure=procedure).order_by("order", "pk")
    ]


def steps_state(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {
            "order": s.order,
            "name": s.name,
            "role": s.role,
            "days": _decimal_str(s.days),
            "agency": s.agency_id,
        }
        for s in ProcessStep.objects.filter(procedure=procedure).order_by("order")
    ]


def agencies_state(procedure: Procedure) -> list[dict[str, Any]]:
    return [
        {"agency": a, "role": r}
        for a, r in ProcedureAgency.objects.filter(procedure=procedure)
        .order_by("role", "agency_id")
        .values_list("agency_id", "role")
    ]


def procedure_state(procedure: Procedure) -> dict[str, Any]:
    """Everything the catalogue says about ``procedure``, JSON-safe (audit rows, importer comparisons)."""
    data = {name: getattr(procedure, name) for name in MAIN_FIELDS}
    data["methods"] = methods_state(procedure)
    data["papers"] = papers_state(procedure)
    data["steps"] = steps_state(procedure)
    data["agencies"] = agencies_state(procedure)
    return normalise(data)


# --- validation ----------------------------------------------------------------------------------------


def _days(value: Any, field_name: str, max_digits: int) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field_name: _("“%(v)s” không phải là số ngày hợp lệ.") % {"v": value}}
        ) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field_name: _("Số ngày phải lớn hơn hoặc bằng 0.")})
    if number != number.quantize(Decimal("0.1")):
        raise ValidationError({field_name: _("Số ngày chỉ được có một chữ số thập phân (ví dụ 0,5).")})
    if number >= Decimal(10) ** (max_digits - 1):
        raise ValidationError({field_name: _("Số ngày quá lớn.")})
    return number.quantize(Decimal("0.1"))


def validate_code(code: str) -> str:
    code = (code or "").strip()
    try:
        validate_procedure_code(code)
    except ValidationError as exc:
        raise ValidationError({"code": exc.messages}) from None
    return code


def _current(agency: Agency) -> bool:
    return Agency.objects.current().filter(pk=agency.pk).exists()


def validate_steps(steps: Sequence[StepSpec], shortest_days: Decimal | None) -> list[StepSpec]:
    """Orders 1..n, days ≥ 0 with one decimal, roles known, agencies current, sum ≤ shortest legal time."""
    checked: list[StepSpec] = []
    for position, raw in enumerate(steps, start=1):
        step = _spec(StepSpec, raw)
        order = step.order if step.order is not None else position
        label = _("Bước %(n)s") % {"n": order}
        if not (step.name or "").strip():
            raise ValidationError({"steps": _("%(s)s: chưa có tên bước.") % {"s": label}})
        if step.role not in Role.values:
            raise ValidationError(
                {"steps": _("%(s)s: vai trò “%(r)s” không hợp lệ.") % {"s": label, "r": step.role}}
            )
        try:
            days = _days(step.days, "steps", 5)
        except ValidationError as exc:
            raise ValidationError({"steps": f"{label}: {' '.join(exc.messages)}"}) from None
        if step.agency is not None:
            if not isinstance(step.agency, Agency) or not step.agency.pk:
                raise ValidationError({"steps": _("%(s)s: cơ quan không tồn tại.") % {"s": label}})
            if not _current(step.agency):
                raise ValidationError(
                    {"steps": _("%(s)s: %(a)s không còn hoạt động.") % {"s": label, "a": step.agency.name}}
                )
        checked.append(StepSpec(step.name.strip(), step.role, days, step.agency, order))
    orders = sorted(s.order for s in checked if s.order is not None)
    if orders != list(range(1, len(checked) + 1)):
        raise ValidationError(
            {"steps": _("Các bước phải được đánh số liên tục từ 1 đến %(n)s.") % {"n": len(checked)}}
        )
    total = sum((Decimal(s.days) for s in checked), Decimal(0))
    if shortest_days is not None and total > shortest_days:
        raise ValidationError(
            {
                "steps": _(
                    "Tổng thời gian các bước (%(t)s ngày) vượt thời hạn giải quyết ngắn nhất "
                    "của thủ tục (%(d)s ngày làm việc)."
                )
                % {"t": _decimal_str(total), "d": _decimal_str(shortest_days)}
            }
        )
    return sorted(checked, key=lambda s: s.order or 0)


def validate_methods(methods: Sequence[MethodSpec]) -> list[MethodSpec]:
    checked: list[MethodSpec] = []
    seen: set[int] = set()
    for raw in methods:
        method = _spec(MethodSpec, raw)
        try:
            channel = Channel(int(method.channel))
        except (ValueError, TypeError):
            raise ValidationError(
                {"methods": _("Kênh “%(c)s” không hợp lệ.") % {"c": method.channel}}
            ) from None
        if channel in seen:
            raise ValidationError({"methods": _("Kênh “%(c)s” bị lặp.") % {"c": channel.label}})
        seen.add(channel)
        try:
            fee = int(method.fee_amount or 0)
        except (TypeError, ValueError):
            raise ValidationError({"methods": _("Phí, lệ phí phải là số đồng.")}) from None
        if fee < 0:
            raise ValidationError({"methods": _("Phí, lệ phí không được âm.")})
        try:
            days = _days(method.processing_days, "methods", 6)
        except ValidationError as exc:
            raise ValidationError({"methods": f"{channel.label}: {' '.join(exc.messages)}"}) from None
        checked.append(
            MethodSpec(
                int(channel), days, (method.time_note or "")[:1000], fee, (method.fee_note or "")[:1000]
            )
        )
    return sorted(checked, key=lambda m: m.channel)


def validate_papers(papers: Sequence[PaperSpec]) -> list[PaperSpec]:
    checked = []
    for position, raw in enumerate(papers, start=1):
        paper = _spec(PaperSpec, raw)
        name = (paper.name or "").strip()
        if not name:
            raise ValidationError({"papers": _("Giấy tờ thứ %(n)s chưa có tên.") % {"n": position}})
        try:
            originals, copies = int(paper.originals), int(paper.copies)
        except (TypeError, ValueError):
            raise ValidationError({"papers": _("%(p)s: số bản phải là số nguyên.") % {"p": name}}) from None
        if originals < 0 or copies < 0 or originals > 100 or copies > 100:
            raise ValidationError({"papers": _("%(p)s: số bản phải từ 0 đến 100.") % {"p": name}})
        if len(name) > 1000 or len(paper.case or "") > 500 or len(paper.code or "") > 64:
            raise ValidationError({"papers": _("%(p)s: nội dung quá dài.") % {"p": name[:80]}})
        checked.append(
            PaperSpec(
                name,
                originals,
                copies,
                bool(paper.is_required),
                (paper.case or "").strip(),
                (paper.code or "").strip(),
                (paper.form_name or "").strip()[:255],
                paper.form_file,
                paper.id,
            )
        )
    return checked


def validate_agencies(links: Iterable[Any]) -> list[AgencySpec]:
    checked: dict[tuple[int, str], AgencySpec] = {}
    for raw in links:
        link = _spec(AgencySpec, raw)
        if link.role not in Part.values:
            raise ValidationError({"agencies": _("Vai trò “%(r)s” không hợp lệ.") % {"r": link.role}})
        if not isinstance(link.agency, Agency) or not link.agency.pk:
            raise ValidationError({"agencies": _("Cơ quan không tồn tại.")})
        checked[(link.agency.pk, link.role)] = link
    return list(checked.values())


def check_procedure(procedure: Procedure) -> None:
    """The rules tying methods, steps and agencies together (run after every change, in the transaction)."""
    shortest = (
        ExecutionMethod.objects.filter(procedure=procedure)
        .order_by("processing_days")
        .values_list("processing_days", flat=True)
        .first()
    )
    if shortest is not None:
        total = sum(
            ProcessStep.objects.filter(procedure=procedure).values_list("days", flat=True), Decimal(0)
        )
        if total > shortest:
            raise ValidationError(
                {
                    "steps": _(
                        "Tổng thời gian các bước (%(t)s ngày) vượt thời hạn giải quyết ngắn nhất "
                        "của thủ tục (%(d)s ngày làm việc)."
                    )
                    % {"t": _decimal_str(total), "d": _decimal_str(shortest)}
                }
            )
    if procedure.is_active and shortest is not None:
        receiving = Agency.objects.current().filter(
            procedure_links__procedure=procedure, procedure_links__role=Part.RECEIVING
        )
        if not receiving.exists():
            raise ValidationError(
                {
                    "agencies": _(
                        "Thủ tục %(code)s đang áp dụng và nhận hồ sơ nhưng chưa có cơ quan tiếp nhận nào "
                        "còn hoạt động."
                    )
                    % {"code": procedure.code}
                }
            )


def _shortest(procedure: Procedure) -> Decimal | None:
    return (
        ExecutionMethod.objects.filter(procedure=procedure)
        .order_by("processing_days")
        .values_list("processing_days", flat=True)
        .first()
    )


# --- fields (lĩnh vực) ---------------------------------------------------------------------------------


@transaction.atomic
def ensure_field(*, actor: Any, name: str, code: str = "") -> Field:
    """The field called ``name`` (or with ``code``), created when missing; its name updated when changed."""
    _require_catalogue(actor)
    name = " ".join((name or "").split())
    code = (code or "").strip()
    if not name:
        raise ValidationError({"field": _("Chưa có tên lĩnh vực.")})
    if len(name) > 255 or len(code) > 32:
        raise ValidationError({"field": _("Tên hoặc mã lĩnh vực quá dài.")})
    if code:
        existing = Field.objects.filter(code=code).first()
    else:
        key = fold(name)
        existing = next(
            (f for f in Field.objects.filter(search_key__startswith=key) if fold(f.name) == key), None
        )
    if existing is not None:
        if code and existing.name != name:
            before = {"name": existing.name}
            existing.name = name
            existing.save()
            record(
                "procedures.field.update", actor=actor, target=existing, before=before, after={"name": name}
            )
        return existing
    created = Field.objects.create(code=code or _field_code(name), name=name)
    record("procedures.field.create", actor=actor, target=created, after={"code": created.code, "name": name})
    return created


def _field_code(name: str) -> str:
    words = [w for w in fold(name).replace("-", " ").split() if w.isalnum()]
    base = ("LV-" + "".join(w[0] for w in words).upper())[:24] or "LV"
    code, n = base, 1
    while Field.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


# --- procedures ----------------------------------------------------------------------------------------


def _clean_main(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = " ".join((cleaned["name"] or "").split())
        if not cleaned["name"]:
            raise ValidationError({"name": _("Chưa có tên thủ tục.")})
    if "levels" in cleaned:
        levels = list(dict.fromkeys(cleaned["levels"] or []))
        bad = [lv for lv in levels if lv not in Procedure.Level.values]
        if bad:
            raise ValidationError(
                {"levels": _("Cấp thực hiện không hợp lệ: %(v)s.") % {"v": ", ".join(map(str, bad))}}
            )
        cleaned["levels"] = levels
    if "legal_bases" in cleaned:
        bases = cleaned["legal_bases"] or []
        if not isinstance(bases, list) or not all(isinstance(b, dict) for b in bases):
            raise ValidationError({"legal_bases": _("Căn cứ pháp lý là danh sách {number, title}.")})
        cleaned["legal_bases"] = [
            {"number": str(b.get("number", "")).strip(), "title": str(b.get("title", "")).strip()}
            for b in bases
        ]
    if "field" in cleaned and not isinstance(cleaned["field"], Field):
        raise ValidationError({"field": _("Lĩnh vực không tồn tại.")})
    if "external_id" in cleaned:
        cleaned["external_id"] = (cleaned["external_id"] or "").strip() or None
    for name in ("executing_agency_text", "result_type", "requirements", "applicant_kinds"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


def _full_clean(procedure: Procedure) -> None:
    try:
        procedure.full_clean(exclude=["search_key"], validate_unique=True)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def create_procedure(
    *,
    actor: Any,
    code: str,
    name: str,
    field: Field,
    levels: Sequence[str] = (),
    kind: str = Procedure.Kind.STANDARD,
    executing_agency_text: str = "",
    legal_bases: Sequence[dict[str, str]] = (),
    online_level: str = Procedure.OnlineLevel.PARTIAL,
    result_type: str = "",
    requirements: str = "",
    applicant_kinds: str = "",
    external_id: str | None = None,
    is_active: bool = True,
    methods: Sequence[Any] = (),
    papers: Sequence[Any] = (),
    steps: Sequence[Any] = (),
    agencies: Sequence[Any] = (),
) -> Procedure:
    """Thêm thủ tục vào danh mục, with its methods, papers, steps and agencies (all or nothing)."""
    _require_catalogue(actor)
    code = validate_code(code)
    if Procedure.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Mã thủ tục %(c)s đã có trong danh mục.") % {"c": code}})
    values = _clean_main(
        {
            "name": name,
            "field": field,
            "levels": list(levels),
            "kind": kind,
            "executing_agency_text": executing_agency_text,
            "legal_bases": list(legal_bases),
            "online_level": online_level,
            "result_type": result_type,
            "requirements": requirements,
            "applicant_kinds": applicant_kinds,
            "external_id": external_id,
        }
    )
    procedure = Procedure(code=code, is_active=is_active, **values)
    _full_clean(procedure)
    procedure.save()
    _write_methods(procedure, validate_methods(methods))
    _write_agencies(procedure, validate_agencies(agencies))
    _write_papers(procedure, validate_papers(papers))
    _write_steps(procedure, validate_steps(steps, _shortest(procedure)))
    check_procedure(procedure)
    record("procedures.procedure.create", actor=actor, target=procedure, after=procedure_state(procedure))
    return procedure


def _locked(procedure: Procedure) -> Procedure:
    return Procedure.objects.select_for_update().get(pk=procedure.pk)


@transaction.atomic
def update_procedure(
    *,
    actor: Any,
    procedure: Procedure,
    methods: Sequence[Any] | None = None,
    papers: Sequence[Any] | None = None,
    steps: Sequence[Any] | None = None,
    agencies: Sequence[Any] | None = None,
    **changes: Any,
) -> Procedure:
    """Change a procedure: main data (name, field, levels, legal bases, online level …) and, when given, whole
    sections (methods, papers, steps, agencies) — all checked together at the end, one audit row.

    Steps and papers alone may be changed by the administrators of every executing agency; anything else
    needs a system administrator."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Không thể sửa: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    procedure = _locked(procedure)
    if changes or methods is not None or agencies is not None:
        _require_catalogue(actor)
    else:
        _require_template(actor, procedure)
    before = procedure_state(procedure)
    main_before = {name: getattr(procedure, name) for name in MAIN_FIELDS}
    for name, value in _clean_main(changes).items():
        setattr(procedure, name, value)
    if {name: getattr(procedure, name) for name in MAIN_FIELDS} != main_before:
        _full_clean(procedure)
        procedure.save()
    if methods is not None:
        _write_methods(procedure, validate_methods(methods))
    if agencies is not None:
        _write_agencies(procedure, validate_agencies(agencies))
    if papers is not None:
        _write_papers(procedure, validate_papers(papers))
    if steps is not None:
        _write_steps(procedure, validate_steps(steps, _shortest(procedure)))
    check_procedure(procedure)
    after = procedure_state(procedure)
    if after != before:
        record("procedures.procedure.update", actor=actor, target=procedure, before=before, after=after)
    return procedure


@transaction.atomic
def deactivate_procedure(*, actor: Any, procedure: Procedure, reason: str = "") -> Procedure:
    """Ngừng áp dụng: the procedure stays in the catalogue (dossiers refer to it) but takes no new dossier."""
    _require_catalogue(actor)
    procedure = _locked(procedure)
    if not procedure.is_active:
        return procedure
    procedure.is_active = False
    procedure.save(update_fields=["is_active", "updated_at", "search_key"])
    record(
        "procedures.procedure.deactivate",
        actor=actor,
        target=procedure,
        before={"is_active": True},
        after={"is_active": False, "reason": reason},
    )
    return procedure


@transaction.atomic
def activate_procedure(*, actor: Any, procedure: Procedure) -> Procedure:
    _require_catalogue(actor)
    procedure = _locked(procedure)
    if procedure.is_active:
        return procedure
    procedure.is_active = True
    procedure.save(update_fields=["is_active", "updated_at", "search_key"])
    check_procedure(procedure)
    record(
        "procedures.procedure.activate",
        actor=actor,
        target=procedure,
        before={"is_active": False},
        after={"is_active": True},
    )
    return procedure


def _section_change(action: str, actor: Any, procedure: Procedure, before: Any, after: Any) -> None:
    if before != after:
        record(action, actor=actor, target=procedure, before=before, after=after)


@transaction.atomic
def set_execution_methods(*, actor: Any, procedure: Procedure, methods: Sequence[Any]) -> Procedure:
    """Cách thức thực hiện: the whole list (one per channel) replaces the current one."""
    _require_catalogue(actor)
    procedure = _locked(procedure)
    checked = validate_methods(methods)
    before = methods_state(procedure)
    _write_methods(procedure, checked)
    check_procedure(procedure)
    _section_change("procedures.procedure.methods", actor, procedure, before, methods_state(procedure))
    return procedure


@transaction.atomic
def set_required_papers(*, actor: Any, procedure: Procedure, papers: Sequence[Any]) -> Procedure:
    """Thành phần hồ sơ: the list replaces the current one; a paper keeps its id (and form) when it is given
    with its ``id`` or the same name and case."""
    procedure = _locked(procedure)
    _require_template(actor, procedure)
    checked = validate_papers(papers)
    before = papers_state(procedure)
    _write_papers(procedure, checked)
    _section_change("procedures.procedure.papers", actor, procedure, before, papers_state(procedure))
    return procedure


@transaction.atomic
def set_process_steps(*, actor: Any, procedure: Procedure, steps: Sequence[Any]) -> Procedure:
    """Quy trình nội bộ: ordered steps replacing the current template."""
    procedure = _locked(procedure)
    _require_template(actor, procedure)
    checked = validate_steps(steps, _shortest(procedure))
    before = steps_state(procedure)
    _write_steps(procedure, checked)
    check_procedure(procedure)
    _section_change("procedures.procedure.steps", actor, procedure, before, steps_state(procedure))
    return procedure


@transaction.atomic
def set_procedure_agencies(*, actor: Any, procedure: Procedure, agencies: Sequence[Any]) -> Procedure:
    """Cơ quan tiếp nhận / giải quyết / phối hợp: the list replaces the current links."""
    _require_catalogue(actor)
    procedure = _locked(procedure)
    checked = validate_agencies(agencies)
    before = agencies_state(procedure)
    _write_agencies(procedure, checked)
    check_procedure(procedure)
    _section_change("procedures.procedure.agencies", actor, procedure, before, agencies_state(procedure))
    return procedure


# --- writers (inside the caller's transaction, after validation) ----------------------------------------


def _delete(queryset: Any, what: str) -> None:
    try:
        queryset.delete()
    except ProtectedError:
        raise ValidationError(
            {what: _("Không thể xóa vì đã có hồ sơ sử dụng; hãy giữ lại hoặc ngừng áp dụng thủ tục.")}
        ) from None


def _write_methods(procedure: Procedure, methods: list[MethodSpec]) -> None:
    current = {m.channel: m for m in ExecutionMethod.objects.filter(procedure=procedure)}
    wanted = {m.channel for m in methods}
    _delete(ExecutionMethod.objects.filter(procedure=procedure).exclude(channel__in=wanted), "methods")
    for spec in methods:
        row = current.get(spec.channel) or ExecutionMethod(procedure=procedure, channel=spec.channel)
        values = {k: v for k, v in asdict(spec).items() if k != "channel"}
        if row.pk and all(getattr(row, k) == v for k, v in values.items()):
            continue
        for k, v in values.items():
            setattr(row, k, v)
        row.save()


def _write_agencies(procedure: Procedure, links: list[AgencySpec]) -> None:
    current = set(ProcedureAgency.objects.filter(procedure=procedure).values_list("agency_id", "role"))
    wanted = {(link.agency.pk, link.role) for link in links}
    new = wanted - current
    if new:
        ids = {a for a, _r in new}
        current_ids = set(Agency.objects.current().filter(pk__in=ids).values_list("pk", flat=True))
        gone = ids - current_ids
        if gone:
            names = ", ".join(Agency.objects.filter(pk__in=gone).values_list("name", flat=True)[:3])
            raise ValidationError({"agencies": _("Cơ quan không còn hoạt động: %(a)s.") % {"a": names}})
    for agency_id, role in current - wanted:
        _delete(
            ProcedureAgency.objects.filter(procedure=procedure, agency_id=agency_id, role=role), "agencies"
        )
    ProcedureAgency.objects.bulk_create(
        [ProcedureAgency(procedure=procedure, agency_id=a, role=r) for a, r in sorted(new)]
    )


def _write_papers(procedure: Procedure, papers: list[PaperSpec]) -> None:
    existing = list(RequiredPaper.objects.filter(procedure=procedure))
    by_id = {p.pk: p for p in existing}
    by_key = {(p.name, p.case): p for p in existing}
    kept: set[int] = set()
    rows = []
    for order, spec in enumerate(papers, start=1):
        row = by_id.get(spec.id) if spec.id else None
        if spec.id and row is None:
            raise ValidationError(
                {"papers": _("Giấy tờ số %(id)s không thuộc thủ tục này.") % {"id": spec.id}}
            )
        row = row or by_key.get((spec.name, spec.case))
        if row is None or row.pk in kept:
            row = RequiredPaper(procedure=procedure)
        for name in ("name", "originals", "copies", "is_required", "case", "code", "form_name"):
            setattr(row, name, getattr(spec, name))
        row.order = order
        rows.append((row, spec.form_file))
        if row.pk:
            kept.add(row.pk)
    _delete(RequiredPaper.objects.filter(procedure=procedure).exclude(pk__in=kept), "papers")
    for row, upload in rows:
        old_name = row.form_file.name if row.pk else ""
        if upload is KEEP:
            if row.pk and not _paper_changed(row):
                continue
        elif not upload:
            row.form_file = ""
        elif isinstance(upload, File | ContentFile) or hasattr(upload, "read"):
            if getattr(upload, "name", None) == old_name and old_name:
                pass  # the admin hands back the stored file unchanged
            else:
                content_type, data = files.check_form(upload)
                row.form_file.save(
                    files.form_filename(procedure, row, content_type), ContentFile(data), save=False
                )
                if not row.form_name:
                    row.form_name = row.name[:255]
        row.save()


def _paper_changed(row: RequiredPaper) -> bool:
    stored = RequiredPaper.objects.filter(pk=row.pk).values(*PAPER_FIELDS, "order").first()
    return stored != {name: getattr(row, name) for name in (*PAPER_FIELDS, "order")}


PAPER_FIELDS = ("name", "originals", "copies", "is_required", "case", "code", "form_name")


def _write_steps(procedure: Procedure, steps: list[StepSpec]) -> None:
    current = {s.order: s for s in ProcessStep.objects.filter(procedure=procedure)}
    _delete(ProcessStep.objects.filter(procedure=procedure, order__gt=len(steps)), "steps")
    for spec in steps:
        row = current.get(spec.order or 0) or ProcessStep(procedure=procedure, order=spec.order or 0)
        values = {"name": spec.name, "role": spec.role, "days": Decimal(spec.days), "agency": spec.agency}
        if row.pk and all(getattr(row, k) == v for k, v in values.items()):
            continue
        for k, v in values.items():
            setattr(row, k, v)
        row.save()


# --- groups (liên thông) -------------------------------------------------------------------------------


def _check_group(code: str, name: str, procedures: Sequence[Procedure]) -> None:
    if not (code or "").strip() or len(code) > 32:
        raise ValidationError({"code": _("Mã nhóm bắt buộc, tối đa 32 ký tự.")})
    if not (name or "").strip():
        raise ValidationError({"name": _("Chưa có tên nhóm thủ tục liên thông.")})
    if len(procedures) < 2:
        raise ValidationError({"procedures": _("Nhóm liên thông phải có ít nhất hai thủ tục.")})
    if len({p.pk for p in procedures}) != len(procedures):
        raise ValidationError({"procedures": _("Một thủ tục bị lặp trong nhóm.")})
    inactive = [p.code for p in procedures if not p.is_active]
    if inactive:
        raise ValidationError(
            {"procedures": _("Thủ tục đã ngừng áp dụng: %(c)s.") % {"c": ", ".join(inactive)}}
        )


def group_state(group: ProcedureGroup) -> dict[str, Any]:
    return normalise(
        {
            "code": group.code,
            "name": group.name,
            "legal_basis": group.legal_basis,
            "is_active": group.is_active,
            "procedures": list(group.items.order_by("order").values_list("procedure__code", flat=True)),
        }
    )


@transaction.atomic
def create_group(
    *, actor: Any, code: str, name: str, procedures: Sequence[Procedure], legal_basis: str = ""
) -> ProcedureGroup:
    """Nhóm thủ tục liên thông (Nghị định 63/2024): procedures in the order they are done."""
    _require_catalogue(actor)
    code, name = (code or "").strip(), (name or "").strip()
    _check_group(code, name, procedures)
    if ProcedureGroup.objects.filter(code=code).exists():
        raise ValidationError({"code": _("Mã nhóm %(c)s đã tồn tại.") % {"c": code}})
    group = ProcedureGroup.objects.create(code=code, name=name[:500], legal_basis=(legal_basis or "")[:500])
    ProcedureGroupItem.objects.bulk_create(
        [ProcedureGroupItem(group=group, procedure=p, order=i) for i, p in enumerate(procedures, start=1)]
    )
    record("procedures.group.create", actor=actor, target=group, after=group_state(group))
    return group


@transaction.atomic
def update_group(
    *,
    actor: Any,
    group: ProcedureGroup,
    name: str | None = None,
    legal_basis: str | None = None,
    procedures: Sequence[Procedure] | None = None,
    is_active: bool | None = None,
) -> ProcedureGroup:
    _require_catalogue(actor)
    group = ProcedureGroup.objects.select_for_update().get(pk=group.pk)
    before = group_state(group)
    if name is not None:
        group.name = name.strip()[:500]
    if legal_basis is not None:
        group.legal_basis = legal_basis.strip()[:500]
    if is_active is not None:
        group.is_active = is_active
    members = (
        list(procedures) if procedures is not None else [i.procedure for i in group.items.order_by("order")]
    )
    _check_group(group.code, group.name, members)
    group.save()
    if procedures is not None:
        group.items.all().delete()
        ProcedureGroupItem.objects.bulk_create(
            [ProcedureGroupItem(group=group, procedure=p, order=i) for i, p in enumerate(members, start=1)]
        )
    after = group_state(group)
    if after != before:
        record("procedures.group.update", actor=actor, target=group, before=before, after=after)
    return group


__all__ = [
    "AgencySpec",
    "MethodSpec",
    "PaperSpec",
    "StepSpec",
    "activate_procedure",
    "can_edit_template",
    "can_manage_catalogue",
    "check_procedure",
    "create_group",
    "create_procedure",
    "deactivate_procedure",
    "ensure_field",
    "procedure_state",
    "set_execution_methods",
    "set_procedure_agencies",
    "set_process_steps",
    "set_required_papers",
    "update_group",
    "update_procedure",
    "validate_code",
    "validate_steps",
]
