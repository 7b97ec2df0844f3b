"""Reads of the reporting app, with its permission rules.

* Regimes, their indicators and periods are reference information (like the agency directory): every staff
  account may read them. Managing regimes is for system administrators.
* A report (expected report, its versions and values) of agency A in regime R is visible to: system
  administrators; staff of A's organisation; staff of the organisation of an agency above A in the tree
  (a province sees its departments' and communes' reports); staff of R's receiving agency.
* Drafting a report: staff of the reporting agency's organisation. Sending it: its clerks, leaders, deputy
  leaders and agency administrators. Accepting or returning it: leaders, deputy leaders and agency
  administrators of the receiving agency. System administrators may do everything.
* Aggregates and completeness of a subtree: system administrators, the receiving agency's staff, and staff
  of the subtree's root (or of an agency above it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from egov.directory.models import Agency, Role
from egov.directory.selectors import acting_roles, is_system_admin, member_agency_ids, user_has_role
from egov.reporting.models import (
    ExpectedReport,
    Indicator,
    Period,
    Regime,
    Submission,
    Value,
    agency_label,
)
from egov.reporting.validation import to_json_number

SUBMIT_ROLES = (Role.CLERK, Role.LEADER, Role.DEPUTY_LEADER, Role.AGENCY_ADMIN)
REVIEW_ROLES = (Role.LEADER, Role.DEPUTY_LEADER, Role.AGENCY_ADMIN)
SENT_STATES = (Submission.State.SUBMITTED, Submission.State.ACCEPTED)
RECEIVED = (ExpectedReport.Status.SUBMITTED, ExpectedReport.Status.ACCEPTED)
OUTSTANDING = (ExpectedReport.Status.MISSING, ExpectedReport.Status.DRAFT, ExpectedReport.Status.RETURNED)


def _is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_government_staff", False))


# --- permissions ----------------------------------------------------------------------------------------


def can_use_reporting(
    user: Any, pairs: list[tuple[Agency, str]] | None = None, *, is_admin: bool | None = None
) -> bool:
    """Whether the reporting pages (Báo cáo: reports and the leader dashboard) concern ``user``: staff see the
    reports and the dashboard of the organisations where they hold a position or an active delegation
    (:func:`egov.reporting.dashboards.dashboard_roots`), system administrators all; citizens, and staff
    without any position or delegation, nothing. ``pairs`` (:func:`egov.directory.selectors.acting_roles`)
    and ``is_admin`` may be passed by a caller that already has them (the menu): then no query at all;
    otherwise one or two reads of the user's roles.

    This decides what the menu shows; every page still checks its own permission."""
    if not _is_staff(user):
        return False
    if is_system_admin(user) if is_admin is None else is_admin:
        return True
    if pairs is None:
        pairs = acting_roles(user)
    # Every position or delegation is in an agency whose organisation is one of dashboard_roots().
    return bool(pairs)


def can_manage_regimes(user: Any) -> bool:
    return user is None or is_system_admin(user)


def can_draft(user: Any, agency: Agency) -> bool:
    if user is None or is_system_admin(user):
        return True
    return agency.pk in member_agency_ids(user)


def can_submit(user: Any, agency: Agency) -> bool:
    if user is None or is_system_admin(user):
        return True
    return user_has_role(user, agency, *SUBMIT_ROLES)


def can_review(user: Any, regime: Regime) -> bool:
    if user is None or is_system_admin(user):
        return True
    return user_has_role(user, regime.receiving_agency, *REVIEW_ROLES)


def _organisation_paths(user: Any) -> list[str]:
    ids = member_agency_ids(user)
    return list(
        Agency.objects.filter(pk__in=ids).exclude(kind=Agency.Kind.UNIT).values_list("path", flat=True)
    )


def can_view_subtree(user: Any, regime: Regime, root: Agency) -> bool:
    if user is None or is_system_admin(user):
        return True
    if not _is_staff(user):
        return False
    ids = member_agency_ids(user)
    if regime.receiving_agency_id in ids:
        return True
    return any(root.path.startswith(path) for path in _organisation_paths(user))


def can_close_period(user: Any, period: Period) -> bool:
    return can_review(user, period.regime)


# --- regimes --------------------------------------------------------------------------------------------


def regimes(*, active: bool | None = None, search: str = "") -> QuerySet[Regime]:
    qs = Regime.objects.select_related("receiving_agency", "scope_root").prefetch_related(
        "reporting_agencies"
    )
    if active is not None:
        qs = qs.filter(active=active)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("code", "pk")


def indicators(regime: Regime | None = None) -> QuerySet[Indicator]:
    qs = Indicator.objects.select_related("regime", "parent")
    if regime is not None:
        qs = qs.filter(regime=regime)
    return qs.order_by("regime__code", "order", "code", "pk")


def periods(regime: Regime | None = None) -> QuerySet[Period]:
    qs = Period.objects.select_related("regime")
    if regime is not None:
        qs = qs.filter(regime=regime)
    return qs.order_by("regime__code", "-end", "pk")


def reporting_agencies(regime: Regime, day: dt.date | None = None) -> list[Agency]:
    """The agencies that owe the regime's reports on ``day``: the explicit ones and every agency of the chosen
    kinds in the tree of ``scope_root`` (current agencies only)."""
    current = Agency.objects.valid_on(day or timezone.localdate())
    condition = Q(pk__in=regime.reporting_agencies.values("pk"))
    if regime.scope_root_id and regime.scope_kinds:
        root = regime.scope_root
        assert root is not None
        condition |= Q(path__startswith=root.path, kind__in=list(regime.scope_kinds))
    return list(current.filter(condition).order_by("path"))


def regime_definition(regime: Regime) -> dict[str, Any]:
    """The regime as the JSON accepted by ``services.import_regime`` (export/import between installations).
    Agencies are named by their QCVN 102 code when they have one, else by id."""

    def ref(agency: Agency | None) -> Any:
        if agency is None:
            return None
        return {"code_qcvn102": agency.code_qcvn102} if agency.code_qcvn102 else {"id": agency.pk}

    return {
        "code": regime.code,
        "name": regime.name,
        "legal_basis": regime.legal_basis,
        "description": regime.description,
        "frequency": regime.frequency,
        "receiving_agency": ref(regime.receiving_agency),
        "reporting_agencies": [ref(a) for a in regime.reporting_agencies.order_by("path")],
        "scope_root": ref(regime.scope_root),
        "scope_kinds": list(regime.scope_kinds),
        "send_method": regime.send_method,
        "deadline_working_days": regime.deadline_working_days,
        "template_text": regime.template_text,
        "instructions": regime.instructions,
        "effective_from": regime.effective_from.isoformat(),
        "active": regime.active,
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "kind": i.kind,
                "aggregation": i.aggregation,
                "numerator_code": i.numerator_code,
                "denominator_code": i.denominator_code,
                "min_value": to_json_number(i.min_value) if i.min_value is not None else None,
                "max_value": to_json_number(i.max_value) if i.max_value is not None else None,
                "required": i.required,
                "order": i.order,
                "parent": i.parent.code if i.parent else None,
                "rows": list(i.rows),
                "source": i.source,
                "source_code": i.source_code,
                "max_change_percent": i.max_change_percent,
            }
            for i in indicators(regime)
        ],
    }


# --- reports --------------------------------------------------------------------------------------------


def _report_visibility(viewer: Any) -> Q | None:
    """``None``: everything (system administrator)."""
    if is_system_admin(viewer):
        return None
    ids = member_agency_ids(viewer)
    condition = Q(agency_id__in=ids) | Q(regime__receiving_agency_id__in=ids)
    for path in _organisation_paths(viewer):
        condition |= Q(agency__path__startswith=path)
    return condition


def reports_visible_to(viewer: Any) -> QuerySet[ExpectedReport]:
    qs = ExpectedReport.objects.select_related("regime", "period", "agency", "current")
    if not _is_staff(viewer):
        return qs.none()
    condition = _report_visibility(viewer)
    return qs if condition is None else qs.filter(condition)


def report_get(viewer: Any, pk: int) -> ExpectedReport:
    """Raises ``ExpectedReport.DoesNotExist`` for a report the viewer may not see."""
    return reports_visible_to(viewer).get(pk=pk)


def submissions_visible_to(viewer: Any) -> QuerySet[Submission]:
    qs = Submission.objects.select_related(
        "expected__regime", "expected__period", "expected__agency", "submitted_by", "reviewed_by"
    )
    if not _is_staff(viewer):
        return qs.none()
    condition = _report_visibility(viewer)
    if condition is None:
        return qs
    return qs.filter(expected__in=reports_visible_to(viewer).values("pk"))


def submission_get(viewer: Any, pk: int) -> Submission:
    return submissions_visible_to(viewer).get(pk=pk)


def history(expected: ExpectedReport) -> QuerySet[Submission]:
    return expected.submissions.select_related("submitted_by", "reviewed_by", "created_by").order_by(
        "-version"
    )


def previous_values(expected: ExpectedReport) -> dict[tuple[str, str], Decimal]:
    """The same agency's numbers of the regime's previous period (its sent or accepted version)."""
    before = (
        ExpectedReport.objects.filter(
            regime_id=expected.regime_id, agency_id=expected.agency_id, period__end__lt=expected.period.end
        )
        .filter(status__in=RECEIVED)
        .order_by("-period__end")
        .values_list("current_id", flat=True)
        .first()
    )
    if before is None:
        return {}
    rows = Value.objects.filter(submission_id=before, number__isnull=False).values_list(
        "indicator__code", "row_code", "number"
    )
    return {(code, row): number for code, row, number in rows if number is not None}


def signed_payload(submission: Submission) -> dict[str, Any]:
    """What an agency signs: the canonical content of one version of its report."""
    expected = submission.expected
    agency = expected.agency
    return {
        "regime": expected.regime.code,
        "period": expected.period.key,
        "agency": {
            "id": agency.pk,
            "code_qcvn102": agency.code_qcvn102 or "",
            "code_qd20": agency.code_qd20,
            "name": agency.name,
        },
        "version": submission.version,
        "submitted_at": submission.submitted_at.isoformat() if submission.submitted_at else None,
        "values": submission.values,
    }


def verify(submission: Submission) -> dict[str, Any]:
    from egov.reporting import signatures

    payload = signatures.canonical_json(signed_payload(submission))
    result = signatures.verify_detached(
        submission.signature,
        payload,
        agency_id=submission.expected.agency_id,
        signed_at=submission.submitted_at,
    )
    return result.as_dict()


# --- aggregation ----------------------------------------------------------------------------------------


def _combine(indicator: Indicator, numbers: list[Decimal]) -> Decimal | None:
    if not numbers:
        return None
    if indicator.aggregation == Indicator.Aggregation.SUM:
        return sum(numbers, Decimal(0))
    if indicator.aggregation == Indicator.Aggregation.AVERAGE:
        return sum(numbers, Decimal(0)) / len(numbers)
    return None


def _aggregate_values(
    inds: list[Indicator], per_agency: dict[int, dict[tuple[int, str], Decimal]], agencies: list[int]
) -> dict[str, Any]:
    """Aggregated value of each indicator over ``agencies`` (a table gives ``{row: value}``)."""
    by_code = {i.code: i for i in inds}
    out: dict[str, Any] = {}
    for ind in inds:
        if not ind.is_numeric or ind.aggregation == Indicator.Aggregation.NONE:
            continue
        rows = ind.row_codes() if ind.kind == Indicator.Kind.TABLE else [""]
        result: dict[str, Any] = {}
        for row in rows:
            if ind.aggregation == Indicator.Aggregation.WEIGHTED_RATIO:
                num_ind, den_ind = by_code.get(ind.numerator_code), by_code.get(ind.denominator_code)
                if num_ind is None or den_ind is None:
                    continue
                num = den = Decimal(0)
                for a in agencies:
                    values = per_agency.get(a, {})
                    n, d = values.get((num_ind.pk, row)), values.get((den_ind.pk, row))
                    if n is not None and d is not None:
                        num += n
                        den += d
                if den:
                    ratio = num / den * (Decimal(100) if ind.kind == Indicator.Kind.PERCENT else Decimal(1))
                    result[row] = to_json_number(round(ratio, 4))
                continue
            numbers = [
                per_agency[a][(ind.pk, row)] for a in agencies if (ind.pk, row) in per_agency.get(a, {})
            ]
            value = _combine(ind, numbers)
            if value is not None:
                result[row] = to_json_number(round(value, 6))
        if ind.kind == Indicator.Kind.TABLE:
            out[ind.code] = result
        elif "" in result:
            out[ind.code] = result[""]
    return out


def aggregate(period: Period, root: Agency | None, *, include_submitted: bool = False) -> dict[str, Any]:
    """The figures of ``root``'s subtree for one period: the values of the reports received from the agencies
    at or under ``root`` combined as each indicator says (sum, average, weighted ratio), with drill-down to
    each direct child of ``root`` and to each contributing agency. Only accepted reports count unless
    ``include_submitted`` (then reports sent and not yet reviewed count too). One query reads the values.
    ``root=None``: every report of the period, wherever its agency is."""
    inds = list(indicators(period.regime))
    states = [Submission.State.ACCEPTED, *([Submission.State.SUBMITTED] if include_submitted else [])]
    values = Value.objects.filter(
        submission__expected__period=period,
        submission__expected__current_id=F("submission_id"),
        submission__state__in=states,
    )
    if root is not None:
        values = values.filter(submission__expected__agency__path__startswith=root.path)
    rows = values.values_list(
        "submission__expected__agency_id",
        "submission__expected__agency__path",
        "submission__expected__agency__name",
        "submission_id",
        "submission__version",
        "submission__state",
        "indicator_id",
        "row_code",
        "number",
        "text",
    ).order_by("submission__expected__agency__path")
    per_agency: dict[int, dict[tuple[int, str], Decimal]] = defaultdict(dict)
    texts: dict[int, dict[str, str]] = defaultdict(dict)
    info: dict[int, dict[str, Any]] = {}
    code_of = {i.pk: i.code for i in inds}
    for agency_id, path, name, sub_id, version, state, ind_id, row, number, text in rows:
        info.setdefault(
            agency_id,
            {
                "id": agency_id,
                "name": name,
                "path": path,
                "submission": sub_id,
                "version": version,
                "state": state,
            },
        )
        if number is not None:
            per_agency[agency_id][(ind_id, row)] = number
        elif text:
            texts[agency_id][code_of.get(ind_id, "")] = text
    contributors = list(info)
    children = (
        list(Agency.objects.current().filter(parent=root).order_by("path").values_list("pk", "name", "path"))
        if root is not None
        else []
    )
    child_rows = []
    for child_id, child_name, child_path in children:
        members = [a for a in contributors if info[a]["path"].startswith(child_path)]
        if not members:
            continue
        child_rows.append(
            {
                "agency": {"id": child_id, "name": child_name},
                "contributors": len(members),
                "values": _aggregate_values(inds, per_agency, members),
            }
        )
    contributor_rows = []
    for a in contributors:
        own = _aggregate_values(inds, per_agency, [a])
        own.update(texts.get(a, {}))
        contributor_rows.append(
            {
                "agency": {"id": a, "name": info[a]["name"]},
                "submission": info[a]["submission"],
                "version": info[a]["version"],
                "state": info[a]["state"],
                "values": own,
            }
        )
    totals = _aggregate_values(inds, per_agency, contributors)
    return {
        "regime": period.regime.code,
        "period": {"id": period.pk, "key": period.key, "label": period.label},
        "root": agency_label(root) if root is not None else None,
        "include_submitted": include_submitted,
        "contributors": len(contributors),
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "kind": i.kind,
                "aggregation": i.aggregation,
                "value": totals.get(i.code),
            }
            for i in inds
        ],
        "children": child_rows,
        "by_agency": contributor_rows,
    }


# --- completeness and timeliness ------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def completeness(
    period: Period, root: Agency | None = None, *, today: dt.date | None = None
) -> dict[str, Any]:
    """Reports expected, received (sent or accepted), received on time, by agency (DHIS2's reporting rate
    and reporting rate on time). ``root`` narrows to one subtree."""
    today = today or timezone.localdate()
    qs = ExpectedReport.objects.filter(period=period)
    if root is not None:
        qs = qs.filter(agency__path__startswith=root.path)
    totals = qs.aggregate(
        expected=Count("pk"),
        received=Count("pk", filter=Q(status__in=RECEIVED)),
        on_time=Count("pk", filter=Q(status__in=RECEIVED, on_time=True)),
        accepted=Count("pk", filter=Q(status=ExpectedReport.Status.ACCEPTED)),
        returned=Count("pk", filter=Q(status=ExpectedReport.Status.RETURNED)),
        draft=Count("pk", filter=Q(status=ExpectedReport.Status.DRAFT)),
        missing=Count("pk", filter=Q(status=ExpectedReport.Status.MISSING)),
    )
    overdue_open = today > period.deadline
    rows = []
    for r in qs.select_related("agency", "current").order_by("agency__path"):
        rows.append(
            {
                "report": r.pk,
                "agency": {"id": r.agency_id, "name": r.agency.name},
                "status": r.status,
                "version": r.current.version if r.current else None,
                "first_submitted_at": r.first_submitted_at,
                "submitted_at": r.submitted_at,
                "on_time": r.on_time,
                "overdue": overdue_open and r.status in OUTSTANDING,
            }
        )
    return {
        "regime": period.regime.code,
        "period": {"id": period.pk, "key": period.key, "label": period.label, "deadline": period.deadline},
        "root": agency_label(root) if root is not None else None,
        **totals,
        "completeness_percent": _rate(totals["received"], totals["expected"]),
        "timeliness_percent": _rate(totals["on_time"], totals["expected"]),
        "by_agency": rows,
    }


def completeness_by_period(regime: Regime, root: Agency | None = None) -> list[dict[str, Any]]:
    """One summary row per period of a regime (one grouped query)."""
    qs = ExpectedReport.objects.filter(regime=regime)
    if root is not None:
        qs = qs.filter(agency__path__startswith=root.path)
    grouped = (
        qs.values("period_id", "period__key", "period__label", "period__deadline")
        .annotate(
            expected=Count("pk"),
            received=Count("pk", filter=Q(status__in=RECEIVED)),
            on_time=Count("pk", filter=Q(status__in=RECEIVED, on_time=True)),
        )
        .order_by("-period__end")
    )
    return [
        {
            "period": {"id": g["period_id"], "key": g["period__key"], "label": g["period__label"]},
            "expected": g["expected"],
            "received": g["received"],
            "on_time": g["on_time"],
            "completeness_percent": _rate(g["received"], g["expected"]),
            "timeliness_percent": _rate(g["on_time"], g["expected"]),
        }
        for g in grouped
    ]


# --- export for the national reporting system -----------------------------------------------------------

EXPORT_SCHEMA = "egov.reporting.period-export/1"


def period_export(period: Period, *, include_submitted: bool = False) -> dict[str, Any]:
    """All reports of one period in the documented JSON shape (docs/reporting.md, “JSON export”)."""
    regime = period.regime
    reports = []
    qs = (
        ExpectedReport.objects.filter(period=period)
        .select_related("agency", "current")
        .order_by("agency__path")
    )
    for r in qs:
        sub = r.current
        sent = sub is not None and sub.state in SENT_STATES
        reports.append(
            {
                "agency": agency_label(r.agency),
                "status": r.status,
                "on_time": r.on_time,
                "first_submitted_at": r.first_submitted_at.isoformat() if r.first_submitted_at else None,
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "accepted_at": r.accepted_at.isoformat() if r.accepted_at else None,
                "version": sub.version if sent and sub else None,
                "values": sub.values if sent and sub else None,
                "warnings": sub.warnings if sent and sub else [],
                "signature": (
                    {"format": "JWS-detached", "value": sub.signature, "payload_sha256": sub.payload_sha256}
                    if sent and sub and sub.signature
                    else None
                ),
            }
        )
    summary = completeness(period)
    return {
        "schema": EXPORT_SCHEMA,
        "generated_at": timezone.now().isoformat(),
        "regime": {
            "code": regime.code,
            "name": regime.name,
            "legal_basis": regime.legal_basis,
            "frequency": regime.frequency,
        },
        "receiving_agency": agency_label(regime.receiving_agency),
        "period": {
            "key": period.key,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "deadline": period.deadline.isoformat(),
            "closed": period.is_closed,
        },
        "indicators": [
            {
                "code": i.code,
                "name": i.name,
                "unit": i.unit,
                "kind": i.kind,
                "aggregation": i.aggregation,
                "rows": list(i.rows),
            }
            for i in indicators(regime)
        ],
        "completeness": {k: summary[k] for k in ("expected", "received", "on_time", "accepted")},
        "aggregate": {
            i["code"]: i["value"]
            for i in aggregate(period, None, include_submitted=include_submitted)["indicators"]
            if i["value"] is not None
        },
        "reports": reports,
    }
