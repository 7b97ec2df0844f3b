"""Reads of the platform facts for dashboards, the public transparency page, exports and the prefill of
computed indicators. Only ``DailyFact``/``MonthlyFact`` (full months from the monthly rows, the days at either
end from the daily rows) and the few ``FactDelta`` rows not compacted yet are summed, in one statement
(``facts.live``): no dashboard figure scans a transaction table. The lists of late
items to act on read the open dossiers and documents through their indexes, at most ``LATE_LIMIT`` rows.

Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg, 2022), as far as the platform's data allows
(each component 0–100; the index is their weighted mean with the decision's weights, online payment
excluded because the platform does not record it yet):

* **Công khai, minh bạch** (18): late dossiers covered by an apology letter,
  ``min(apologies, late) / late × 100`` (100 when nothing was late);
* **Tiến độ giải quyết** (20): dossiers finished on time / finished × 100;
* **Dịch vụ công trực tuyến** (12): mean of (procedures offered online, toàn trình or một phần / procedures
  offered × 100) and (dossiers received online / dossiers of procedures offered online × 100);
* **Số hóa hồ sơ** (22): finished dossiers with an electronic signed result / finished with a result × 100;
* **Mức độ hài lòng** (18): ratings of 4–5 / ratings × 100.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.directory.models import Agency
from egov.directory.selectors import is_system_admin, member_agency_ids
from egov.reporting import facts
from egov.reporting.models import ExpectedReport, Indicator

Totals = dict[str, tuple[int, int]]  # metric → (numerator, denominator)
LATE_LIMIT = 20
LATE_COUNT_CAP = 1000  # counts of late items stop here ("1000+"): the dashboard never counts a backlog
KEY_METRICS = (
    "dossiers.received",
    "dossiers.on_time",
    "dossiers.online",
    "dossiers.satisfied",
    "documents.incoming",
    "documents.outgoing",
    "documents.incoming_exchange",
    "documents.outgoing_signed",
    "documents.incoming_on_time",
    "dossiers.digitised",
    "dossiers.supplement",
    "dossiers.apology",
)
RANKED = ("dossiers.on_time", "dossiers.online", "dossiers.received", "documents.incoming_on_time")
INDEX_WEIGHTS = {"transparency": 18, "timeliness": 20, "online": 12, "digitisation": 22, "satisfaction": 18}
INDEX_LABELS = {
    "transparency": "Công khai, minh bạch",
    "timeliness": "Tiến độ giải quyết",
    "online": "Dịch vụ công trực tuyến",
    "digitisation": "Số hóa hồ sơ",
    "satisfaction": "Mức độ hài lòng",
}


# --- periods --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    key: str
    label: str
    start: dt.date
    end: dt.date


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)


def parse_span(key: str | None, today: dt.date | None = None) -> Span:
    """``2026`` (year), ``2026-Q2`` (quarter), ``2026-05`` (month); default the current year. Bad input →
    ``ValidationError``."""
    today = today or timezone.localdate()
    key = (key or str(today.year)).strip()
    if m := re.fullmatch(r"(\d{4})", key):
        year = int(m[1])
        span = Span(key, _("Năm %(y)s") % {"y": year}, dt.date(year, 1, 1), dt.date(year, 12, 31))
    elif m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        year, q = int(m[1]), int(m[2])
        roman = {1: "I", 2: "II", 3: "III", 4: "IV"}[q]
        span = Span(
            key,
            _("Quý %(q)s/%(y)s") % {"q": roman, "y": year},
            dt.date(year, 3 * q - 2, 1),
            _month_end(year, 3 * q),
        )
    elif (m := re.fullmatch(r"(\d{4})-(\d{2})", key)) and 1 <= int(m[2]) <= 12:
        year, month = int(m[1]), int(m[2])
        span = Span(
            key,
            _("Tháng %(m)02d/%(y)s") % {"m": month, "y": year},
            dt.date(year, month, 1),
            _month_end(year, month),
        )
    else:
        raise ValidationError({"p": _("Kỳ không hợp lệ: dùng 2026, 2026-Q2 hoặc 2026-05.")})
    if not 2000 <= span.start.year <= 2100:
        raise ValidationError({"p": _("Kỳ không hợp lệ: dùng 2026, 2026-Q2 hoặc 2026-05.")})
    return span


def span_choices(today: dt.date | None = None) -> list[Span]:
    """The selector's choices: this year and last, their quarters and the last 12 months."""
    today = today or timezone.localdate()
    out = [parse_span(str(today.year)), parse_span(str(today.year - 1))]
    out += [parse_span(f"{today.year}-Q{q}") for q in range(1, (today.month - 1) // 3 + 2)]
    y, m = today.year, today.month
    for _i in range(12):
        out.append(parse_span(f"{y}-{m:02d}"))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


# --- sums of facts --------------------------------------------------------------------------------------


def fact_rows(
    start: dt.date, end: dt.date, *, root: Agency | None = None, metrics: list[str] | None = None
) -> dict[int, Totals]:
    """Per agency: metric → (numerator, denominator) summed over [start, end] (local days), facts and
    pending deltas alike (``facts.live``)."""
    out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for agency_id, metric, n, d in facts.live(start, end, root=root, metrics=metrics):
        acc = out[agency_id][metric]
        acc[0] += n
        acc[1] += d
    return {a: {m: (v[0], v[1]) for m, v in per.items()} for a, per in out.items()}


def combine(rows: list[Totals]) -> Totals:
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for per in rows:
        for metric, (n, d) in per.items():
            acc[metric][0] += n
            acc[metric][1] += d
    return {m: (v[0], v[1]) for m, v in acc.items()}


def totals(root: Agency | None, start: dt.date, end: dt.date) -> Totals:
    return combine(list(fact_rows(start, end, root=root).values()))


def metric_value(t: Totals, code: str) -> float | None:
    n, d = t.get(code, (0, 0))
    metric = facts.METRICS[code]
    if metric.kind != facts.COUNT and not d:
        return None
    return metric.value(n, d)


# --- computed indicators (prefill of a report) ----------------------------------------------------------


def computed_values(report: ExpectedReport) -> dict[str, Any]:
    """The values of the regime's ``source=computed`` indicators for the report's period, from the facts of
    the reporting agency's subtree (prefill of a draft). Unknown ``source_code``s are left out."""
    inds = [
        i for i in report.regime.indicators.all() if i.source == Indicator.Source.COMPUTED and i.source_code
    ]
    if not inds:
        return {}
    t = totals(report.agency, report.period.start, report.period.end)
    out: dict[str, Any] = {}
    for ind in inds:
        resolved = facts.resolve_source(ind.source_code)
        if resolved is None:
            continue
        metric, part = resolved
        n, d = t.get(metric.code, (0, 0))
        value: float | int | None
        if part == "numerator":
            value = n
        elif part == "denominator":
            value = d
        else:
            value = metric.value(n, d)
        if value is None:
            continue
        if ind.kind == Indicator.Kind.INTEGER:
            value = round(value)
        out[ind.code] = value if not isinstance(value, float) else Decimal(str(value))
    return out


def with_computed(
    report: ExpectedReport, values: Mapping[str, Any] | None
) -> tuple[dict[str, Any], set[str]]:
    """Điền sẵn: ``values`` with every empty ``source=computed`` indicator filled from the platform facts
    (``computed_values``), and the codes so filled. One path for the staff form (what it shows) and the
    services that save a draft or send a report (what they store), whether called from the UI or the API;
    a value the agency typed is never replaced."""
    merged = dict(values or {})
    filled: set[str] = set()
    for code, value in computed_values(report).items():
        if merged.get(code) in (None, "", {}):
            merged[code] = value
            filled.add(code)
    return merged, filled


# --- procedures offered online --------------------------------------------------------------------------


def procedures_offered(root: Agency | None) -> dict[str, int]:
    """Procedures received by the agencies of ``root``'s subtree, by online level (small catalogue tables)."""
    from egov.procedures.models import Procedure, ProcedureAgency

    links = ProcedureAgency.objects.filter(role=ProcedureAgency.Part.RECEIVING)
    if root is not None:
        links = links.filter(agency__path__startswith=root.path)
    rows = (
        Procedure.objects.filter(pk__in=links.values("procedure_id"))
        .values("online_level")
        .annotate(n=Count("pk"))
        .values_list("online_level", "n")
    )
    out = dict.fromkeys(Procedure.OnlineLevel.values, 0)
    for level, n in rows:
        out[level] = n
    out["total"] = sum(out[level] for level in Procedure.OnlineLevel.values)
    return out


def service_index(t: Totals, offered: dict[str, int] | None = None) -> dict[str, Any]:
    """Quyết định 766/QĐ-TTg components (0–100) and their weighted mean (see the module docstring)."""
    comps: dict[str, float | None] = {}
    on_n, on_d = t.get("dossiers.on_time", (0, 0))
    late = on_d - on_n
    apologies = t.get("dossiers.apology", (0, 0))[0]
    comps["transparency"] = (100.0 if late == 0 else min(apologies, late) * 100 / late) if on_d else None
    comps["timeliness"] = on_n * 100 / on_d if on_d else None
    parts = []
    if offered and offered.get("total"):
        parts.append((offered.get("full", 0) + offered.get("partial", 0)) * 100 / offered["total"])
    use_n, use_d = t.get("dossiers.online_use", (0, 0))
    if use_d:
        parts.append(use_n * 100 / use_d)
    comps["online"] = sum(parts) / len(parts) if parts else None
    dig_n, dig_d = t.get("dossiers.digitised", (0, 0))
    comps["digitisation"] = dig_n * 100 / dig_d if dig_d else None
    sat_n, sat_d = t.get("dossiers.satisfied", (0, 0))
    comps["satisfaction"] = sat_n * 100 / sat_d if sat_d else None
    weight = sum(INDEX_WEIGHTS[k] for k, v in comps.items() if v is not None)
    score = sum(INDEX_WEIGHTS[k] * v for k, v in comps.items() if v is not None) / weight if weight else None
    return {
        "score": round(score, 1) if score is not None else None,
        "components": [
            {
                "code": k,
                "label": INDEX_LABELS[k],
                "weight": INDEX_WEIGHTS[k],
                "value": round(v, 1) if v is not None else None,
            }
            for k, v in comps.items()
        ],
    }


# --- dashboard ------------------------------------------------------------------------------------------


def dashboard_roots(user: Any) -> list[Agency]:
    """The agencies whose dashboard the user may open (the organisations they belong to, highest first);
    system administrators: the top of the tree."""
    if is_system_admin(user):
        return list(Agency.objects.current().filter(parent__isnull=True).order_by("path"))
    ids = member_agency_ids(user)
    return list(Agency.objects.filter(pk__in=ids).exclude(kind=Agency.Kind.UNIT).order_by("depth", "path"))


def can_view_dashboard(user: Any, root: Agency) -> bool:
    """``user=None`` is the system (exports by command, benchmarks)."""
    if user is None or is_system_admin(user):
        return True
    return any(root.path.startswith(a.path) for a in dashboard_roots(user))


@dataclass
class Dashboard:
    root: Agency
    span: Span
    cards: list[dict[str, Any]]
    index: dict[str, Any]
    offered: dict[str, int]
    children: list[dict[str, Any]]
    rankings: list[dict[str, Any]]
    trend: list[dict[str, Any]]
    late_dossiers: list[Any] = field(default_factory=list)
    late_documents: list[Any] = field(default_factory=list)
    late_counts: dict[str, int] = field(default_factory=dict)


def _cards(t: Totals) -> list[dict[str, Any]]:
    out = []
    for code in KEY_METRICS:
        metric = facts.METRICS[code]
        n, d = t.get(code, (0, 0))
        out.append(
            {
                "code": code,
                "label": str(metric.label),
                "kind": metric.kind,
                "unit": str(metric.unit),
                "value": metric_value(t, code),
                "numerator": n,
                "denominator": d,
            }
        )
    return out


def _trend(root: Agency, end: dt.date, months: int = 12) -> list[dict[str, Any]]:
    last = end.replace(day=1)
    y, m = last.year, last.month - months + 1
    while m < 1:
        y, m = y - 1, m + 12
    first = dt.date(y, m, 1)
    rows = facts.live(
        first,
        _month_end(last.year, last.month),
        root=root,
        metrics=["dossiers.received", "dossiers.on_time", "dossiers.online", "documents.incoming"],
        by="month",
    )
    acc: dict[dt.date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for month, metric, n, d in rows:
        acc[month][metric][0] += n
        acc[month][metric][1] += d
    per: dict[dt.date, Totals] = {m: {k: (v[0], v[1]) for k, v in t.items()} for m, t in acc.items()}
    out = []
    cur = first
    while cur <= last:
        t = per.get(cur, {})
        out.append(
            {
                "month": cur,
                "label": cur.strftime("%m/%Y"),
                "received": metric_value(t, "dossiers.received") or 0,
                "on_time": metric_value(t, "dossiers.on_time"),
                "online": metric_value(t, "dossiers.online"),
                "incoming": metric_value(t, "documents.incoming") or 0,
            }
        )
        cur = _month_end(cur.year, cur.month) + dt.timedelta(days=1)
    return out


def dashboard(user: Any, root: Agency, span: Span, *, with_late: bool = True) -> Dashboard:
    """The leader dashboard of ``root``'s subtree for ``span``: key figures, the 766 index, each direct
    child's figures (drill-down) with rankings, the monthly trend and the late items to act on."""
    if not can_view_dashboard(user, root):
        raise PermissionDenied(_("Bạn không được xem số liệu của %(agency)s.") % {"agency": root.name})
    per_agency = fact_rows(span.start, span.end, root=root)
    t = combine(list(per_agency.values()))
    offered = procedures_offered(root)
    children = list(
        Agency.objects.current().filter(parent=root).exclude(kind=Agency.Kind.UNIT).order_by("name")
    )
    paths = dict(Agency.objects.filter(pk__in=list(per_agency)).values_list("pk", "path"))
    child_rows = []
    for child in children:
        members = [per for a, per in per_agency.items() if paths.get(a, "").startswith(child.path)]
        ct = combine(members)
        child_rows.append(
            {
                "agency": child,
                "totals": ct,
                "values": {code: metric_value(ct, code) for code in KEY_METRICS},
                "received": metric_value(ct, "dossiers.received"),
                "on_time": metric_value(ct, "dossiers.on_time"),
                "online": metric_value(ct, "dossiers.online"),
                "incoming": metric_value(ct, "documents.incoming"),
                "index": service_index(ct)["score"],
            }
        )
    own = per_agency.get(root.pk)
    rankings = []
    for code in RANKED:
        metric = facts.METRICS[code]
        ranked = [r for r in child_rows if r["values"].get(code) is not None]
        if metric.kind != facts.COUNT:
            ranked = [r for r in ranked if r["totals"].get(code, (0, 0))[1] > 0]
        ranked.sort(key=lambda r: (-(r["values"][code] or 0), r["agency"].name))
        rankings.append(
            {
                "code": code,
                "label": str(metric.label),
                "kind": metric.kind,
                "rows": [{"agency": r["agency"], "value": r["values"][code]} for r in ranked],
            }
        )
    board = Dashboard(
        root=root,
        span=span,
        cards=_cards(t),
        index=service_index(t, offered),
        offered=offered,
        children=child_rows,
        rankings=rankings,
        trend=_trend(root, span.end),
    )
    board.index["own"] = bool(own)
    if with_late:
        _late_items(board, root)
    return board


def _late_items(board: Dashboard, root: Agency) -> None:
    from egov.documents.models import IncomingDocument
    from egov.dossiers.models import OPEN_STATUSES, DeadlineFlag, Dossier

    # The subtree's ids first (a small read of the agency tree), so that the planner uses the per-agency
    # indexes (dossier_agency_flag; incoming (agency, status)) instead of joining the tree.
    ids = list(Agency.objects.filter(path__startswith=root.path).values_list("pk", flat=True))
    overdue = Dossier.objects.filter(
        receiving_agency_id__in=ids, deadline_flag=DeadlineFlag.OVERDUE, status__in=OPEN_STATUSES
    )
    board.late_counts["dossiers"] = overdue.order_by()[
        :LATE_COUNT_CAP
    ].count()  # no default ordering: no sort
    board.late_dossiers = list(
        overdue.select_related("receiving_agency", "procedure").order_by("due_at", "pk")[:LATE_LIMIT]
    )
    S = IncomingDocument.Status
    late_docs = IncomingDocument.objects.filter(
        agency_id__in=ids,
        status__in=[S.REGISTERED, S.PRESENTED, S.ASSIGNED, S.IN_PROGRESS],
        due_date__lt=timezone.localdate(),
    )
    board.late_counts["documents"] = late_docs.order_by()[:LATE_COUNT_CAP].count()
    board.late_documents = list(late_docs.select_related("agency").order_by("due_date", "pk")[:LATE_LIMIT])


# --- public transparency --------------------------------------------------------------------------------


def transparency(span: Span) -> dict[str, Any]:
    """Công khai kết quả giải quyết TTHC: per receiving agency, dossiers received, on-time rate and online
    share (no personal data: counts from the facts only)."""
    metrics = ["dossiers.received", "dossiers.on_time", "dossiers.online", "dossiers.satisfied"]
    per_agency = fact_rows(span.start, span.end, metrics=metrics)
    names = dict(Agency.objects.filter(pk__in=list(per_agency)).values_list("pk", "name"))
    rows: list[dict[str, Any]] = []
    for agency_id, t in per_agency.items():
        if not t.get("dossiers.received", (0, 0))[0] and not t.get("dossiers.on_time", (0, 0))[1]:
            continue
        rows.append(
            {
                "agency": names.get(agency_id, ""),
                "received": t.get("dossiers.received", (0, 0))[0],
                "finished": t.get("dossiers.on_time", (0, 0))[1],
                "on_time": metric_value(t, "dossiers.on_time"),
                "online": metric_value(t, "dossiers.online"),
                "satisfied": metric_value(t, "dossiers.satisfied"),
            }
        )
    rows.sort(key=lambda r: (-(float(r["on_time"]) if r["on_time"] is not None else -1.0), str(r["agency"])))
    all_t = combine(list(per_agency.values()))
    return {
        "span": span,
        "rows": rows,
        "received": all_t.get("dossiers.received", (0, 0))[0],
        "on_time": metric_value(all_t, "dossiers.on_time"),
        "online": metric_value(all_t, "dossiers.online"),
        "satisfied": metric_value(all_t, "dossiers.satisfied"),
    }
