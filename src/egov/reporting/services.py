"""State changes of the reporting app. Each function checks permissions and rules, validates, runs in one
transaction, writes an audit row, and raises ``ValidationError``/``PermissionDenied`` before writing anything.

Report flow (one expected report per agency, regime and period; every version kept)::

    missing ─ save_draft ─▶ draft ─ submit (validated, signed) ─▶ submitted ─┬─ accept ─▶ accepted
                                        ▲                                     └─ return_report ─▶ returned
                                        └──────── save_draft / submit (new version) ◀────────────────┘
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.core import calendar
from egov.directory.models import Agency, Position, Role
from egov.reporting import dashboards, selectors, signatures, validation
from egov.reporting import periods as period_rules
from egov.reporting.models import (
    ExpectedReport,
    Frequency,
    Indicator,
    Period,
    Regime,
    Reminder,
    Submission,
    Value,
)

logger = logging.getLogger(__name__)

Status = ExpectedReport.Status
State = Submission.State
MAX_PERIODS_PER_RUN = 120
REGIME_FIELDS = (
    "name",
    "legal_basis",
    "description",
    "frequency",
    "send_method",
    "deadline_working_days",
    "template_text",
    "instructions",
    "effective_from",
    "active",
    "scope_kinds",
)
INDICATOR_FIELDS = (
    "name",
    "unit",
    "kind",
    "aggregation",
    "numerator_code",
    "denominator_code",
    "min_value",
    "max_value",
    "required",
    "order",
    "rows",
    "source",
    "source_code",
    "max_change_percent",
)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# --- regimes (import / export as JSON) ------------------------------------------------------------------


def _agency_ref(value: Any, field: str) -> Agency | None:
    if value in (None, "", {}):
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return Agency.objects.get(pk=value)
        if isinstance(value, Mapping):
            if value.get("code_qcvn102"):
                return Agency.objects.get(code_qcvn102=str(value["code_qcvn102"]))
            if value.get("id") is not None:
                return Agency.objects.get(pk=int(value["id"]))
    except (Agency.DoesNotExist, ValueError, TypeError):
        pass
    raise ValidationError({field: _("Không tìm thấy cơ quan “%(ref)s”.") % {"ref": value}})


def _clean_regime(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in REGIME_FIELDS:
        if name in data:
            clean[name] = data[name]
    if "frequency" in clean and clean["frequency"] not in Frequency.values:
        errors["frequency"] = _("Tần suất không hợp lệ (%(values)s).") % {
            "values": ", ".join(Frequency.values)
        }
    if "scope_kinds" in clean:
        kinds = clean["scope_kinds"] or []
        if not isinstance(kinds, list) or any(k not in Agency.Kind.values for k in kinds):
            errors["scope_kinds"] = _("Loại cơ quan không hợp lệ.")
    if "effective_from" in clean and isinstance(clean["effective_from"], str):
        try:
            clean["effective_from"] = dt.date.fromisoformat(clean["effective_from"])
        except ValueError:
            errors["effective_from"] = _("Ngày không hợp lệ (YYYY-MM-DD).")
    if "deadline_working_days" in clean:
        days = clean["deadline_working_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 60:
            errors["deadline_working_days"] = _("Thời hạn gửi từ 0 đến 60 ngày làm việc.")
    if errors:
        raise ValidationError(errors)
    return clean


def _check_indicators(specs: list[Any]) -> None:
    if not isinstance(specs, list):
        raise ValidationError({"indicators": _("Danh sách chỉ tiêu phải là một mảng.")})
    codes: set[str] = set()
    kinds: dict[str, str] = {}
    for spec in specs:
        if not isinstance(spec, Mapping) or not spec.get("code") or not spec.get("name"):
            raise ValidationError({"indicators": _("Mỗi chỉ tiêu cần có mã (code) và tên (name).")})
        code = str(spec["code"])
        if code in codes:
            raise ValidationError({"indicators": _("Mã chỉ tiêu “%(code)s” bị trùng.") % {"code": code}})
        codes.add(code)
        kinds[code] = str(spec.get("kind", Indicator.Kind.INTEGER))
    for spec in specs:
        code = str(spec["code"])
        kind = kinds[code]
        if kind not in Indicator.Kind.values:
            raise ValidationError({"indicators": _("Chỉ tiêu %(code)s: kiểu không hợp lệ.") % {"code": code}})
        aggregation = spec.get("aggregation", Indicator.Aggregation.SUM)
        if aggregation not in Indicator.Aggregation.values:
            raise ValidationError(
                {"indicators": _("Chỉ tiêu %(code)s: cách tổng hợp không hợp lệ.") % {"code": code}}
            )
        if aggregation == Indicator.Aggregation.WEIGHTED_RATIO:
            for ref in ("numerator_code", "denominator_code"):
                if spec.get(ref) not in codes:
                    raise ValidationError(
                        {
                            "indicators": _(
                                "Chỉ tiêu %(code)s: tỷ lệ theo trọng số cần tử số và mẫu số là các "
                                "chỉ tiêu của biểu mẫu."
                            )
                            % {"code": code}
                        }
                    )
        parent = spec.get("parent")
        if parent and (parent not in codes or parent == code):
            raise ValidationError(
                {
                    "indicators": _("Chỉ tiêu %(code)s: chỉ tiêu tổng “%(p)s” không có.")
                    % {"code": code, "p": parent}
                }
            )
        if kind == Indicator.Kind.TABLE:
            rows = spec.get("rows")
            if (
                not isinstance(rows, list)
                or not rows
                or not all(isinstance(r, Mapping) and r.get("code") for r in rows)
            ):
                raise ValidationError(
                    {
                        "indicators": _("Chỉ tiêu dạng bảng %(code)s cần danh mục dòng [{code, name}].")
                        % {"code": code}
                    }
                )
        if spec.get("source") == Indicator.Source.COMPUTED and not spec.get("source_code"):
            raise ValidationError(
                {
                    "indicators": _("Chỉ tiêu %(code)s tính từ hệ thống cần mã nguồn (source_code).")
                    % {"code": code}
                }
            )


@transaction.atomic
def import_regime(*, actor: Any, data: Mapping[str, Any]) -> Regime:
    """Create or update a regime (found by ``code``) from its JSON definition
    (``selectors.regime_definition``). Indicators are matched by code: new ones are added, changed ones
    updated; an indicator missing from the definition is removed unless reports already hold its values."""
    _require(selectors.can_manage_regimes(actor), _("Chỉ quản trị hệ thống được quản lý chế độ báo cáo."))
    if not isinstance(data, Mapping) or not data.get("code"):
        raise ValidationError({"code": _("Thiếu mã chế độ báo cáo.")})
    code = str(data["code"])
    regime = Regime.objects.select_for_update().filter(code=code).first()
    clean = _clean_regime(data)
    receiving = (
        _agency_ref(data.get("receiving_agency"), "receiving_agency") if "receiving_agency" in data else None
    )
    scope_root = _agency_ref(data.get("scope_root"), "scope_root") if "scope_root" in data else None
    reporting = None
    if "reporting_agencies" in data:
        refs = data.get("reporting_agencies") or []
        if not isinstance(refs, list):
            raise ValidationError({"reporting_agencies": _("Danh sách cơ quan phải là một mảng.")})
        reporting = [_agency_ref(r, "reporting_agencies") for r in refs]
    specs = data.get("indicators")
    if specs is not None:
        _check_indicators(specs)
    before = selectors.regime_definition(regime) if regime else None
    if regime is None:
        missing = [f for f in ("name", "frequency", "effective_from") if f not in clean]
        if receiving is None:
            missing.append("receiving_agency")
        if missing:
            raise ValidationError({f: _("Trường này là bắt buộc.") for f in missing})
        regime = Regime(code=code)
    for name, value in clean.items():
        setattr(regime, name, value)
    if "receiving_agency" in data:
        if receiving is None:
            raise ValidationError({"receiving_agency": _("Trường này là bắt buộc.")})
        regime.receiving_agency = receiving
    if "scope_root" in data:
        regime.scope_root = scope_root
    regime.full_clean(exclude=["reporting_agencies"])
    regime.save()
    if reporting is not None:
        regime.reporting_agencies.set([a for a in reporting if a is not None])
    if not regime.reporting_agencies.exists() and not (regime.scope_root_id and regime.scope_kinds):
        raise ValidationError(
            {
                "reporting_agencies": _(
                    "Cần chỉ định cơ quan thực hiện báo cáo (danh sách, hoặc mọi cơ quan "
                    "thuộc loại đã chọn trong cây của một cơ quan)."
                )
            }
        )
    if specs is not None:
        _apply_indicators(regime, specs)
    after = selectors.regime_definition(regime)
    record(
        "reporting.regime.import" if before is None else "reporting.regime.update",
        actor=actor,
        agency=regime.receiving_agency,
        target=regime,
        before=before,
        after=after,
    )
    return regime


def _apply_indicators(regime: Regime, specs: list[Mapping[str, Any]]) -> None:
    existing = {i.code: i for i in regime.indicators.all()}
    wanted = {str(s["code"]) for s in specs}
    for code, indicator in existing.items():
        if code not in wanted:
            if Value.objects.filter(indicator=indicator).exists():
                raise ValidationError(
                    {
                        "indicators": _("Chỉ tiêu %(code)s đã có số liệu báo cáo, không xóa được.")
                        % {"code": code}
                    }
                )
            indicator.delete()
    saved: dict[str, Indicator] = {}
    for spec in specs:
        code = str(spec["code"])
        indicator = existing.get(code) or Indicator(regime=regime, code=code)
        for name in INDICATOR_FIELDS:
            if name in spec and spec[name] is not None:
                setattr(indicator, name, spec[name])
            elif name in ("min_value", "max_value", "max_change_percent") and name in spec:
                setattr(indicator, name, None)
        indicator.name = str(spec["name"])
        indicator.parent = None
        try:
            indicator.full_clean(exclude=["regime", "parent"], validate_unique=False)
        except ValidationError as exc:
            raise ValidationError({"indicators": [f"{code}: {m}" for m in exc.messages]}) from None
        indicator.save()
        saved[code] = indicator
    for spec in specs:
        parent = spec.get("parent")
        if parent:
            child = saved[str(spec["code"])]
            child.parent = saved[str(parent)]
            child.save(update_fields=["parent"])


# --- periods --------------------------------------------------------------------------------------------


def _ensure_expected(period: Period) -> int:
    """One expected report per reporting agency of the period's regime (idempotent); returns how many were
    added."""
    agencies = selectors.reporting_agencies(period.regime, min(period.end, timezone.localdate()))
    have = set(ExpectedReport.objects.filter(period=period).values_list("agency_id", flat=True))
    new = [
        ExpectedReport(regime_id=period.regime_id, period=period, agency=a)
        for a in agencies
        if a.pk not in have
    ]
    ExpectedReport.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def generate_periods(*, actor: Any, regime: Regime, until: dt.date | None = None) -> list[Period]:
    """Create the regime's periods from ``effective_from`` to the one holding ``until`` (default: today plus
    one month, so that the next period exists ahead of time), and the expected reports of every open period.
    Idempotent: a second run creates nothing; a new reporting agency gets its expected reports."""
    _require(selectors.can_manage_regimes(actor), _("Chỉ quản trị hệ thống được tạo kỳ báo cáo."))
    if regime.frequency == Frequency.AD_HOC:
        return []
    last = until or (timezone.localdate() + dt.timedelta(days=31))
    existing = {p.key: p for p in Period.objects.filter(regime=regime)}
    created: list[Period] = []
    for spec in period_rules.periods_between(regime.frequency, regime.effective_from, last):
        if spec.key in existing:
            continue
        if len(created) >= MAX_PERIODS_PER_RUN:
            break
        period = Period.objects.create(
            regime=regime,
            key=spec.key,
            label=spec.label,
            start=spec.start,
            end=spec.end,
            deadline=spec.deadline(regime.deadline_working_days),
        )
        existing[spec.key] = period
        created.append(period)
    added = 0
    if regime.active:
        for period in Period.objects.filter(regime=regime, closed_at__isnull=True):
            added += _ensure_expected(period)
    if created or added:
        record(
            "reporting.period.generate",
            actor=actor,
            agency=regime.receiving_agency,
            target=regime,
            after={"periods": [p.key for p in created], "expected_reports_added": added},
        )
    return created


@transaction.atomic
def open_period(
    *,
    actor: Any,
    regime: Regime,
    key: str,
    label: str,
    start: dt.date,
    end: dt.date,
    deadline: dt.date | None = None,
) -> Period:
    """Open a period by hand (ad hoc or thematic reports, báo cáo đột xuất, chuyên đề)."""
    _require(
        selectors.can_manage_regimes(actor) or selectors.can_review(actor, regime),
        _("Chỉ cơ quan nhận báo cáo hoặc quản trị hệ thống được mở kỳ báo cáo."),
    )
    if end < start:
        raise ValidationError({"end": _("Ngày chốt số liệu phải sau ngày bắt đầu.")})
    if Period.objects.filter(regime=regime, key=key).exists():
        raise ValidationError({"key": _("Kỳ báo cáo “%(key)s” đã có.") % {"key": key}})
    period = Period(
        regime=regime,
        key=key,
        label=label,
        start=start,
        end=end,
        deadline=deadline or calendar.add_working_days(end, regime.deadline_working_days),
    )
    period.full_clean(exclude=["regime"])
    period.save()
    added = _ensure_expected(period)
    record(
        "reporting.period.open",
        actor=actor,
        agency=regime.receiving_agency,
        target=period,
        after={**snapshot(period), "expected_reports_added": added},
    )
    return period


@transaction.atomic
def close_period(*, actor: Any, period: Period) -> Period:
    """Khóa số liệu: no report of the period can be drafted, sent, accepted or returned any more."""
    period = Period.objects.select_for_update().select_related("regime__receiving_agency").get(pk=period.pk)
    _require(
        selectors.can_close_period(actor, period),
        _("Chỉ lãnh đạo cơ quan nhận báo cáo được khóa số liệu kỳ báo cáo."),
    )
    if period.is_closed:
        raise ValidationError(_("Kỳ báo cáo đã khóa số liệu."))
    period.closed_at = timezone.now()
    period.save(update_fields=["closed_at"])
    record(
        "reporting.period.close",
        actor=actor,
        agency=period.regime.receiving_agency,
        target=period,
        after={"closed_at": period.closed_at},
    )
    return period


# --- reports --------------------------------------------------------------------------------------------


def _locked(report: ExpectedReport) -> ExpectedReport:
    return (
        ExpectedReport.objects.select_for_update(of=("self",))
        .select_related("regime__receiving_agency", "period", "agency", "current")
        .get(pk=report.pk)
    )


def _check_open(report: ExpectedReport, today: dt.date) -> None:
    if report.period.is_closed:
        raise ValidationError(
            _("Kỳ báo cáo %(label)s đã khóa số liệu, không nhận thêm báo cáo.")
            % {"label": report.period.label}
        )
    if today < report.period.start:
        raise ValidationError(
            _("Kỳ báo cáo %(label)s chưa bắt đầu (từ %(d)s).")
            % {"label": report.period.label, "d": report.period.start.strftime("%d/%m/%Y")}
        )


def _latest(report: ExpectedReport) -> Submission | None:
    return report.submissions.order_by("-version").first()


def _write_values(submission: Submission, checked: validation.Checked) -> None:
    submission.value_rows.all().delete()
    Value.objects.bulk_create(
        [
            Value(submission=submission, indicator=ind, row_code=row, number=number, text=text)
            for ind, row, number, text in checked.rows
        ]
    )


def _draft_version(actor: Any, report: ExpectedReport, latest: Submission | None) -> Submission:
    """The version to write into: the open draft, or a new version after a return (or the first one)."""
    if latest is not None and latest.state == State.DRAFT:
        return latest
    if latest is not None and latest.state == State.SUBMITTED:
        raise ValidationError(_("Báo cáo đã gửi, đang chờ cơ quan nhận xử lý; không sửa được."))
    if latest is not None and latest.state == State.ACCEPTED:
        raise ValidationError(_("Báo cáo đã được tiếp nhận; không sửa được."))
    return Submission(
        expected=report,
        version=(latest.version + 1) if latest else 1,
        state=State.DRAFT,
        created_by=_user(actor),
    )


@transaction.atomic
def save_draft(
    *, actor: Any, report: ExpectedReport, values: Mapping[str, Any], note: str = ""
) -> Submission:
    """Save the agency's numbers without sending them (checked for kinds and ranges only)."""
    report = _locked(report)
    _require(
        selectors.can_draft(actor, report.agency),
        _("Bạn không thuộc cơ quan %(agency)s, không được lập báo cáo của cơ quan này.")
        % {"agency": report.agency.name},
    )
    _check_open(report, timezone.localdate())
    latest = _latest(report)
    submission = _draft_version(actor, report, latest)
    values, _filled = dashboards.with_computed(report, values)
    checked = validation.check(report.regime.indicators.all(), values, complete=False)
    before = {"status": report.status, "version": latest.version if latest else None}
    submission.values = checked.values
    submission.note = note
    submission.save()
    _write_values(submission, checked)
    report.current = submission
    report.status = Status.DRAFT
    report.save(update_fields=["current", "status", "updated_at"])
    record(
        "reporting.report.draft",
        actor=actor,
        agency=report.agency,
        target=submission,
        before=before,
        after={"status": report.status, "version": submission.version, "values": submission.values},
    )
    return submission


def _sign(submission: Submission) -> None:
    from egov.signing import selectors as signing_selectors

    payload = signatures.canonical_json(selectors.signed_payload(submission))
    submission.payload_sha256 = signatures.sha256_hex(payload)
    certificate = signing_selectors.agency_certificate_for(submission.expected.agency)
    if certificate is None:
        if settings.EGOV_REPORTING_REQUIRE_SIGNATURE:
            raise ValidationError(
                _("Cơ quan %(agency)s chưa có chứng thư số để ký báo cáo.")
                % {"agency": submission.expected.agency.name}
            )
        submission.signature = ""
        submission.signature_certificate = None
        return
    submission.signature = signatures.sign_detached(certificate, payload)
    submission.signature_certificate = certificate


@transaction.atomic
def submit(
    *,
    actor: Any,
    report: ExpectedReport,
    values: Mapping[str, Any] | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> Submission:
    """Send the report: checked completely (required values, ranges, sums of parts), signed with the agency's
    certificate, stamped with the sending time. ``values=None`` sends the saved draft. Large changes since the
    previous period are kept as warnings. ``now`` (system imports and tests only) backdates the sending."""
    if now is not None and actor is not None:
        raise PermissionDenied(_("Chỉ hệ thống được ghi thời điểm gửi khác thời điểm hiện tại."))
    moment = now or timezone.now()
    report = _locked(report)
    _require(
        selectors.can_submit(actor, report.agency),
        _("Chỉ văn thư, lãnh đạo hoặc quản trị của %(agency)s được gửi báo cáo của cơ quan này.")
        % {"agency": report.agency.name},
    )
    _check_open(report, timezone.localdate(moment))
    latest = _latest(report)
    submission = _draft_version(actor, report, latest)
    if values is None:
        if submission.pk is None:
            raise ValidationError({"values": _("Chưa có số liệu để gửi.")})
        values = submission.values
    values, _filled = dashboards.with_computed(report, values)
    checked = validation.check(
        report.regime.indicators.all(), values, complete=True, previous=selectors.previous_values(report)
    )
    before = {"status": report.status, "version": latest.version if latest else None}
    submission.values = checked.values
    submission.warnings = checked.warnings
    if note is not None:
        submission.note = note
    submission.state = State.SUBMITTED
    submission.submitted_by = _user(actor)
    submission.submitted_at = moment
    submission.expected = report
    _sign(submission)
    submission.save()
    _write_values(submission, checked)
    report.current = submission
    report.status = Status.SUBMITTED
    report.submitted_at = moment
    if report.first_submitted_at is None:
        report.first_submitted_at = moment
        report.on_time = timezone.localdate(moment) <= report.period.deadline
    report.save()
    record(
        "reporting.report.submit",
        actor=actor,
        agency=report.agency,
        target=submission,
        before=before,
        after={
            "status": report.status,
            "version": submission.version,
            "on_time": report.on_time,
            "payload_sha256": submission.payload_sha256,
            "signed": bool(submission.signature),
            "warnings": len(submission.warnings),
        },
    )
    return submission


def _review(actor: Any, report: ExpectedReport) -> tuple[ExpectedReport, Submission]:
    report = _locked(report)
    _require(
        selectors.can_review(actor, report.regime),
        _("Chỉ lãnh đạo hoặc quản trị của %(agency)s (cơ quan nhận) được xử lý báo cáo này.")
        % {"agency": report.regime.receiving_agency.name},
    )
    if report.period.is_closed:
        raise ValidationError(_("Kỳ báo cáo %(label)s đã khóa số liệu.") % {"label": report.period.label})
    latest = _latest(report)
    if latest is None or latest.state != State.SUBMITTED:
        raise ValidationError(_("Không có báo cáo đã gửi đang chờ xử lý."))
    return report, latest


@transaction.atomic
def accept(*, actor: Any, report: ExpectedReport, now: dt.datetime | None = None) -> Submission:
    """Tiếp nhận: the receiving agency accepts the sent version; it counts in the aggregates."""
    if now is not None and actor is not None:
        raise PermissionDenied(_("Chỉ hệ thống được ghi thời điểm khác thời điểm hiện tại."))
    report, submission = _review(actor, report)
    moment = now or timezone.now()
    submission.state = State.ACCEPTED
    submission.reviewed_by = _user(actor)
    submission.reviewed_at = moment
    submission.save(update_fields=["state", "reviewed_by", "reviewed_at", "updated_at"])
    report.status = Status.ACCEPTED
    report.accepted_at = moment
    report.save(update_fields=["status", "accepted_at", "updated_at"])
    record(
        "reporting.report.accept",
        actor=actor,
        agency=report.regime.receiving_agency,
        target=submission,
        before={"status": Status.SUBMITTED},
        after={"status": report.status, "version": submission.version},
    )
    return submission


@transaction.atomic
def return_report(
    *, actor: Any, report: ExpectedReport, reason: str, now: dt.datetime | None = None
) -> Submission:
    """Trả lại để sửa: the sending agency corrects the report in a new version (this one is kept)."""
    if now is not None and actor is not None:
        raise PermissionDenied(_("Chỉ hệ thống được ghi thời điểm khác thời điểm hiện tại."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Cần nêu lý do trả lại báo cáo.")})
    report, submission = _review(actor, report)
    moment = now or timezone.now()
    submission.state = State.RETURNED
    submission.reviewed_by = _user(actor)
    submission.reviewed_at = moment
    submission.return_reason = reason
    submission.save(update_fields=["state", "reviewed_by", "reviewed_at", "return_reason", "updated_at"])
    report.status = Status.RETURNED
    report.save(update_fields=["status", "updated_at"])
    record(
        "reporting.report.return",
        actor=actor,
        agency=report.regime.receiving_agency,
        target=submission,
        before={"status": Status.SUBMITTED},
        after={"status": report.status, "version": submission.version, "reason": reason},
    )
    return submission


# --- reminders ------------------------------------------------------------------------------------------

REMINDER_EVENT = "reporting.reminder"
REMINDER_ROLES = (Role.CLERK, Role.LEADER, Role.AGENCY_ADMIN)


def _remind(report: ExpectedReport, kind: str, today: dt.date) -> Reminder | None:
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(expected=report, kind=kind, on_date=today)
    except IntegrityError:
        return None  # another worker (or an earlier run today) already reminded
    people = list(
        Position.objects.active()
        .filter(agency=report.agency, role__in=REMINDER_ROLES)
        .select_related("user")
        .order_by("user_id")
    )
    recipients = sorted({p.user.email for p in people if p.user.email and p.user.is_active})
    queued = 0
    if people:
        from egov.notify.services import notify

        context = {
            "regime_name": report.regime.name,
            "period_label": report.period.label,
            "agency_name": report.agency.name,
            "deadline": report.period.deadline.strftime("%d/%m/%Y"),
            "status": report.get_status_display(),
            "kind": str(Reminder.Kind(kind).label),
        }
        for person in {p.user_id: p.user for p in people}.values():
            try:
                with transaction.atomic():
                    queued += len(
                        notify(
                            event=REMINDER_EVENT,
                            context=context,
                            user=person,
                            subject=report,
                            agency=report.agency,
                            idempotency_key=f"reporting-reminder:{report.pk}:{kind}:{today.isoformat()}",
                        )
                    )
            except (ValueError, ValidationError) as exc:
                logger.warning("reporting reminder for report %s not queued: %s", report.pk, exc)
    reminder.recipients = recipients
    reminder.messages_queued = queued
    reminder.save(update_fields=["recipients", "messages_queued"])
    record(
        "reporting.report.remind",
        actor=None,
        agency=report.agency,
        target=report,
        after={"kind": kind, "on_date": today, "recipients": recipients, "messages": queued},
    )
    return reminder


@transaction.atomic
def send_reminders(*, today: dt.date | None = None) -> list[Reminder]:
    """Nhắc báo cáo: remind the agencies whose report is not sent (missing, draft, returned) when the deadline
    is ``EGOV_REPORTING_REMIND_DAYS_BEFORE`` working days away or nearer (once), and when it has passed
    (once a week). One ``Reminder`` row per report, kind and day (idempotent), and an SMS/e-mail per person
    through ``egov.notify`` (event ``reporting.reminder``; the idempotency key makes a rerun send nothing)."""
    today = today or timezone.localdate()
    lead = settings.EGOV_REPORTING_REMIND_DAYS_BEFORE
    out: list[Reminder] = []
    outstanding = (
        ExpectedReport.objects.filter(
            status__in=selectors.OUTSTANDING,
            period__closed_at__isnull=True,
            period__start__lte=today,
            regime__active=True,
        )
        .select_related("regime", "period", "agency")
        .order_by("period__deadline", "pk")
    )
    for report in outstanding:
        deadline = report.period.deadline
        if today > deadline:
            recent = report.reminders.filter(
                kind=Reminder.Kind.OVERDUE, on_date__gt=today - dt.timedelta(days=7)
            ).exists()
            if not recent:
                reminder = _remind(report, Reminder.Kind.OVERDUE, today)
                if reminder:
                    out.append(reminder)
        elif (
            calendar.add_working_days(today, lead) >= deadline
            and not report.reminders.filter(kind=Reminder.Kind.DUE_SOON).exists()
        ):
            reminder = _remind(report, Reminder.Kind.DUE_SOON, today)
            if reminder:
                out.append(reminder)
    return out


# --- platform facts -------------------------------------------------------------------------------------


def recompute_facts(*, actor: Any, year: int, metrics: list[str] | None = None) -> dict[str, int]:
    """Rebuild a year of platform facts from the transaction tables (repair of drift), audited
    (``reporting.facts.recompute``). On PostgreSQL the rebuild is one REPEATABLE READ transaction and the
    audit row follows in its own short transaction once it committed (``facts.recompute`` explains why);
    writers are not blocked meanwhile: their deltas committed after the rebuild's snapshot are kept."""
    from egov.reporting import facts

    _require(selectors.can_manage_regimes(actor), _("Chỉ quản trị hệ thống được tính lại số liệu tổng hợp."))
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Năm không hợp lệ.")})
    unknown = sorted(set(metrics or []) - set(facts.METRICS))
    if unknown:
        raise ValidationError({"metrics": _("Chỉ tiêu không có: %(m)s.") % {"m": ", ".join(unknown)}})

    def audit(counts: dict[str, int]) -> None:
        record(
            "reporting.facts.recompute",
            actor=actor,
            object_type="reporting.dailyfact",
            object_id=year,
            after={"year": year, "rows": counts},
        )

    return facts.recompute(year, metrics=metrics, audit=audit)
