"""Chỉ tiêu tính từ dữ liệu hệ thống: platform metrics pre-aggregated per agency per day (and per month).

Each metric is defined once, as the *contribution* of one row of a transaction table (an incoming document,
a dossier, a rating …) to the facts: a list of ``(agency, day, metric, numerator, denominator)``. Two paths
use that definition:

* **incremental** — receivers connected in ``ReportingConfig.ready`` compute a row's contribution before
  and after each save (the "before" from the columns kept when the instance was loaded, no query;
  ``post_delete`` removes it; issued outgoing documents come through ``documents.outgoing.outgoing_issuing``
  and leave again through ``outgoing_revoking``) and :func:`apply` the difference as **deltas**: one
  multi-row ``INSERT`` into the append-only ``FactDelta``, inside the transaction that made the change (the
  deltas commit or roll back with it). Writers never update a fact row, so they never queue on one;
* **compaction** — :func:`compact` (periodic job ``reporting.compact_facts``) moves the committed deltas into
  ``DailyFact`` and ``MonthlyFact`` in one statement; every reader goes through :func:`live`, which adds the
  pending deltas to the facts in one ``UNION ALL`` statement, so figures are live;
* **set-based** — :func:`recompute` rebuilds a year of facts from the transaction tables with one
  ``INSERT … SELECT … GROUP BY agency, day`` per metric (``egov manage reporting_recompute --year 2026``),
  idempotent, to repair drift (rows changed by ``QuerySet.update``, raw SQL, restored backups), in one
  REPEATABLE READ snapshot that also removes the deltas its scan already counts.

A test checks that both paths give the same facts.

=============================  ======  ===============================================================
Metric                          Kind    Contribution (agency, day)
=============================  ======  ===============================================================
documents.incoming              count   registered incoming document (not refused/awaiting) (agency,
                                        arrival day)
documents.incoming_exchange     %       … received through the exchange axis / incoming
documents.incoming_on_time      %       completed with a due date: completed on/before it / completed
                                        (completion day)
documents.outgoing              count   issued outgoing document, not revoked (issue day)
documents.outgoing_exchange     %       issued with ≥1 recipient through the exchange axis / issued
documents.outgoing_signed       %       issued with a digitally signed file / issued
dossiers.received               count   dossier received (receiving agency, reception day)
dossiers.online                 %       received online / received
dossiers.online_use             %       received online / received, for procedures offered online
                                        (toàn trình or một phần)
dossiers.on_time                %       finished on time / finished (finish day)
dossiers.digitised              %       finished with an electronic (signed) result / finished with a
                                        result (đã xử lý xong, đã trả kết quả)
dossiers.supplement             count   supplement request (request day)
dossiers.apology                count   apology letter (issuing agency, issue day)
dossiers.satisfaction           avg     sum of ratings (1–5) / ratings (rating day)
dossiers.satisfied              %       ratings of 4 or 5 / ratings
=============================  ======  ===============================================================
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

COUNT, PERCENT, AVERAGE = "count", "percent", "average"


@dataclass(frozen=True)
class Metric:
    code: str
    label: Any
    kind: str  # count | percent | average
    unit: Any = ""

    def value(self, numerator: int | float, denominator: int | float) -> float | None:
        """The figure shown: the count, the rate in %, or the average."""
        if self.kind == COUNT:
            return float(numerator)
        if not denominator:
            return None
        ratio = numerator / denominator
        return round(ratio * 100 if self.kind == PERCENT else ratio, 2)


METRICS: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("documents.incoming", _("Văn bản đến"), COUNT, _("văn bản")),
        Metric("documents.incoming_exchange", _("Văn bản đến qua trục liên thông"), PERCENT, "%"),
        Metric("documents.incoming_on_time", _("Văn bản đến xử lý đúng hạn"), PERCENT, "%"),
        Metric("documents.outgoing", _("Văn bản đi đã ban hành"), COUNT, _("văn bản")),
        Metric("documents.outgoing_exchange", _("Văn bản đi gửi qua trục liên thông"), PERCENT, "%"),
        Metric("documents.outgoing_signed", _("Văn bản đi ký số"), PERCENT, "%"),
        Metric("dossiers.received", _("Hồ sơ tiếp nhận"), COUNT, _("hồ sơ")),
        Metric("dossiers.online", _("Hồ sơ nộp trực tuyến"), PERCENT, "%"),
        Metric("dossiers.online_use", _("Hồ sơ trực tuyến của thủ tục có DVC trực tuyến"), PERCENT, "%"),
        Metric("dossiers.on_time", _("Hồ sơ giải quyết đúng hạn"), PERCENT, "%"),
        Metric("dossiers.digitised", _("Hồ sơ có kết quả điện tử"), PERCENT, "%"),
        Metric("dossiers.supplement", _("Yêu cầu bổ sung hồ sơ"), COUNT, _("lần")),
        Metric("dossiers.apology", _("Văn bản xin lỗi"), COUNT, _("văn bản")),
        Metric("dossiers.satisfaction", _("Điểm hài lòng trung bình"), AVERAGE, _("điểm (1–5)")),
        Metric("dossiers.satisfied", _("Người dân hài lòng"), PERCENT, "%"),
    ]
}

#: Older spellings accepted in ``Indicator.source_code``.
ALIASES = {"documents.incoming_count": "documents.incoming", "documents.outgoing_count": "documents.outgoing"}

Row = tuple[int, dt.date, str, int, int]  # agency id, local day, metric, numerator, denominator


def resolve_source(source_code: str) -> tuple[Metric, str] | None:
    """``dossiers.on_time`` (the figure), ``dossiers.on_time.numerator`` or ``….denominator`` → (metric,
    part). ``None`` when unknown."""
    code = ALIASES.get(source_code, source_code)
    part = "value"
    for suffix in ("numerator", "denominator"):
        if code.endswith("." + suffix):
            code, part = code[: -len(suffix) - 1], suffix
    metric = METRICS.get(code)
    return (metric, part) if metric else None


# --- incremental path -----------------------------------------------------------------------------------


def bump(agency_id: int, day: dt.date, metric: str, numerator: int = 1, denominator: int = 0) -> None:
    """Add to one fact (its day and, through compaction, its month). Must run inside the transaction of the
    change it counts."""
    apply([(agency_id, day, metric, numerator, denominator)])


def apply(rows: Iterable[Row], sign: int = 1) -> None:
    """Append ``rows`` (times ``sign``) to ``FactDelta``: rows of the same key are merged first, those that
    cancel out are skipped; then one multi-row ``INSERT`` (no conflict handling, no row of the facts tables
    touched: concurrent writers of one agency and day never wait for each other)."""
    merged: dict[tuple[int, dt.date, str], list[int]] = {}
    for agency_id, day, metric, num, den in rows:
        acc = merged.setdefault((agency_id, day, metric), [0, 0])
        acc[0] += sign * num
        acc[1] += sign * den
    kept = [(a, d, m, n, q) for (a, d, m), (n, q) in merged.items() if n or q]
    if not kept:
        return
    ops = connection.ops
    params: list[Any] = []
    for agency_id, day, metric, num, den in kept:
        params += [agency_id, ops.adapt_datefield_value(day), metric, num, den]
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(kept))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reporting_factdelta (agency_id, day, metric, numerator, denominator) "  # noqa: S608
            f"VALUES {values}",
            params,
        )


def diff(old: list[Row], new: list[Row]) -> list[Row]:
    """``new − old`` as rows (the old ones negated)."""
    return [*new, *[(a, d, m, -n, -q) for a, d, m, n, q in old]]


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


# Contributions of one row. Each function receives a model instance (possibly with deferred fields: only
# those listed in ``WATCHED`` are read) and returns its rows.


def incoming_rows(doc: Any) -> list[Row]:
    from egov.documents.models import IncomingDocument

    S = IncomingDocument.Status
    out: list[Row] = []
    if doc.status in (S.RECEIVED, S.REFUSED):
        return out
    day = _local(doc.arrival_date)
    if day is not None:
        out.append((doc.agency_id, day, "documents.incoming", 1, 0))
        exchange = 1 if doc.source == IncomingDocument.Source.EXCHANGE else 0
        out.append((doc.agency_id, day, "documents.incoming_exchange", exchange, 1))
    done = _local(doc.completed_at)
    if doc.status == S.COMPLETED and done is not None and doc.due_date is not None:
        out.append((doc.agency_id, done, "documents.incoming_on_time", 1 if done <= doc.due_date else 0, 1))
    return out


def outgoing_rows(doc: Any) -> list[Row]:
    from egov.documents.models import Attachment, OutgoingRecipient

    day = _local(doc.issued_at)
    if day is None:
        return []
    exchange = doc.recipients.filter(channel=OutgoingRecipient.Channel.EXCHANGE).exists()
    signed = doc.attachments.filter(role=Attachment.Role.SIGNED).exists()
    return [
        (doc.agency_id, day, "documents.outgoing", 1, 0),
        (doc.agency_id, day, "documents.outgoing_exchange", int(exchange), 1),
        (doc.agency_id, day, "documents.outgoing_signed", int(signed), 1),
    ]


_LEVELS: dict[int, tuple[float, bool]] = {}
LEVEL_CACHE_SECONDS = 300


def _online_capable(procedure_id: int) -> bool:
    """Whether the procedure is offered online (toàn trình or một phần); cached for a few minutes per
    process, since a dossier save asks twice (before and after) and levels change rarely."""
    from egov.procedures.models import Procedure

    now = time.monotonic()
    cached = _LEVELS.get(procedure_id)
    if cached is not None and now - cached[0] < LEVEL_CACHE_SECONDS:
        return cached[1]
    level = Procedure.objects.filter(pk=procedure_id).values_list("online_level", flat=True).first()
    capable = level in (Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL)
    if len(_LEVELS) > 10_000:
        _LEVELS.clear()
    _LEVELS[procedure_id] = (now, capable)
    return capable


def dossier_rows(d: Any) -> list[Row]:
    from egov.dossiers.models import Status
    from egov.procedures.models import Channel

    out: list[Row] = []
    agency = d.receiving_agency_id
    day = _local(d.received_at)
    if day is not None:
        online = 1 if d.channel == Channel.ONLINE else 0
        out.append((agency, day, "dossiers.received", 1, 0))
        out.append((agency, day, "dossiers.online", online, 1))
        if _online_capable(d.procedure_id):
            out.append((agency, day, "dossiers.online_use", online, 1))
    done = _local(d.finished_at)
    if done is not None and d.is_on_time is not None:
        out.append((agency, done, "dossiers.on_time", 1 if d.is_on_time else 0, 1))
    if done is not None and d.status in (Status.DONE, Status.RETURNED):
        out.append((agency, done, "dossiers.digitised", 1 if d.result_signed else 0, 1))
    return out


def _dossier_agency(dossier_id: int) -> int | None:
    from egov.dossiers.models import Dossier

    return Dossier.objects.filter(pk=dossier_id).values_list("receiving_agency_id", flat=True).first()


def supplement_rows(s: Any) -> list[Row]:
    agency = _dossier_agency(s.dossier_id)
    day = _local(s.requested_at)
    return [(agency, day, "dossiers.supplement", 1, 0)] if agency and day else []


def apology_rows(a: Any) -> list[Row]:
    day = _local(a.issued_at)
    return [(a.issuing_agency_id, day, "dossiers.apology", 1, 0)] if day else []


def rating_rows(r: Any) -> list[Row]:
    agency = _dossier_agency(r.dossier_id)
    day = _local(r.rated_at)
    if not agency or not day:
        return []
    return [
        (agency, day, "dossiers.satisfaction", int(r.score), 1),
        (agency, day, "dossiers.satisfied", 1 if r.score >= 4 else 0, 1),
    ]


@dataclass(frozen=True)
class Source:
    model: str  # app_label.ModelName
    fields: tuple[str, ...]  # what the contribution reads
    rows: Callable[[Any], list[Row]]


WATCHED: list[Source] = [
    Source(
        "documents.IncomingDocument",
        ("agency_id", "status", "arrival_date", "source", "completed_at", "due_date"),
        incoming_rows,
    ),
    Source(
        "dossiers.Dossier",
        (
            "receiving_agency_id",
            "procedure_id",
            "channel",
            "status",
            "received_at",
            "finished_at",
            "is_on_time",
            "result_signed",
        ),
        dossier_rows,
    ),
    Source("dossiers.SupplementRequest", ("dossier_id", "requested_at"), supplement_rows),
    Source("dossiers.Apology", ("issuing_agency_id", "issued_at"), apology_rows),
    Source("dossiers.Rating", ("dossier_id", "score", "rated_at"), rating_rows),
]
_LOADED = "_reporting_fact_key"  # the watched columns as last loaded from or written to the database
_OLD = "_reporting_fact_old"  # set by pre_save: the key the facts currently hold for this row (or None)


def _key(source: Source, obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f) for f in source.fields)


def _loaded_key(source: Source, instance: Any) -> tuple[Any, ...] | None:
    """The watched columns from the instance's ``__dict__`` (no query), ``None`` if one is deferred."""
    values = instance.__dict__
    try:
        return tuple(values[f] for f in source.fields)
    except KeyError:
        return None


def _as_row(source: Source, key: tuple[Any, ...]) -> Any:
    """A stand-in with the watched attributes, for the contribution functions."""
    return SimpleNamespace(**dict(zip(source.fields, key, strict=True)))


def connect() -> None:
    """Connect the receivers (called once from ``ReportingConfig.ready``).

    ``post_init`` keeps the watched columns of every loaded instance (a tuple read from ``__dict__``, no
    query), ``post_save`` renews it after each write, so ``pre_save`` knows the contribution the facts hold
    without re-reading the row; it reads it (one primary-key query) only for an instance whose watched
    columns were deferred at load. ``post_save`` appends the difference as deltas, and nothing when none of
    the watched columns changed (most saves)."""
    from django.apps import apps
    from django.db.models.signals import post_delete, post_init, post_save, pre_save

    from egov.documents.models import OutgoingDocument
    from egov.documents.outgoing import outgoing_issuing, outgoing_revoking

    for source in WATCHED:
        model = apps.get_model(source.model)

        def loaded(sender: Any, instance: Any, _s: Source = source, **kw: Any) -> None:
            # Also runs for new instances (``Model(...)``): pre_save ignores the key while ``adding``.
            instance.__dict__[_LOADED] = _loaded_key(_s, instance)

        def before(sender: Any, instance: Any, raw: bool = False, _s: Source = source, **kw: Any) -> None:
            if raw or instance.pk is None or instance._state.adding:
                instance.__dict__[_OLD] = None
                return
            key = instance.__dict__.get(_LOADED)
            if key is None:  # deferred columns at load: read them (rare)
                only = [f.removesuffix("_id") for f in _s.fields]
                old = type(instance)._base_manager.filter(pk=instance.pk).only(*only).first()
                key = _key(_s, old) if old is not None else None
            instance.__dict__[_OLD] = key

        def after(sender: Any, instance: Any, raw: bool = False, _s: Source = source, **kw: Any) -> None:
            if raw:
                return
            old_key = instance.__dict__.pop(_OLD, None)
            new_key = _key(_s, instance)
            instance.__dict__[_LOADED] = new_key
            if old_key == new_key:
                return  # nothing the facts depend on changed (cheap path for most saves)
            old_rows = _s.rows(_as_row(_s, old_key)) if old_key is not None else []
            apply(diff(old_rows, _s.rows(instance)))

        def removed(sender: Any, instance: Any, _s: Source = source, **kw: Any) -> None:
            apply(_s.rows(instance), sign=-1)

        # The uids are used by bench/documents_register.py (--without-reporting-facts): keep them stable.
        uid = f"reporting-facts-{source.model}"
        post_init.connect(loaded, sender=model, weak=False, dispatch_uid=uid + "-init")
        pre_save.connect(before, sender=model, weak=False, dispatch_uid=uid + "-pre")
        post_save.connect(after, sender=model, weak=False, dispatch_uid=uid + "-post")
        post_delete.connect(removed, sender=model, weak=False, dispatch_uid=uid + "-del")

    def issuing(sender: Any, document: OutgoingDocument, **kw: Any) -> None:
        apply(outgoing_rows(document))

    def revoking(sender: Any, document: OutgoingDocument, **kw: Any) -> None:
        # Thu hồi: a revoked document no longer counts as issued (on its issue day).
        apply(outgoing_rows(document), sign=-1)

    outgoing_issuing.connect(issuing, sender=OutgoingDocument, weak=False, dispatch_uid="reporting-facts-out")
    outgoing_revoking.connect(
        revoking, sender=OutgoingDocument, weak=False, dispatch_uid="reporting-facts-out-revoke"
    )


# --- compaction -----------------------------------------------------------------------------------------

#: Transaction-level advisory lock serialising compactions and recomputations (PostgreSQL).
COMPACT_LOCK_KEY = 0x7265706F  # "repo"

_PG_COMPACT = """
WITH moved AS (
    DELETE FROM reporting_factdelta RETURNING agency_id, day, metric, numerator, denominator
), daily AS (
    INSERT INTO reporting_dailyfact AS f (agency_id, day, metric, numerator, denominator)
    SELECT agency_id, day, metric, SUM(numerator), SUM(denominator) FROM moved
    GROUP BY agency_id, day, metric
    ON CONFLICT (agency_id, day, metric) DO UPDATE SET
        numerator = f.numerator + EXCLUDED.numerator, denominator = f.denominator + EXCLUDED.denominator
    RETURNING 1
), monthly AS (
    INSERT INTO reporting_monthlyfact AS f (agency_id, month, metric, numerator, denominator)
    SELECT agency_id, date_trunc('month', day)::date, metric, SUM(numerator), SUM(denominator) FROM moved
    GROUP BY agency_id, date_trunc('month', day)::date, metric
    ON CONFLICT (agency_id, month, metric) DO UPDATE SET
        numerator = f.numerator + EXCLUDED.numerator, denominator = f.denominator + EXCLUDED.denominator
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM daily), (SELECT count(*) FROM monthly)
"""

_SQLITE_UPSERT = """
INSERT INTO {table} AS f (agency_id, {column}, metric, numerator, denominator)
SELECT agency_id, {key}, metric, SUM(numerator), SUM(denominator) FROM reporting_factdelta
WHERE id <= %s GROUP BY agency_id, {key}, metric
ON CONFLICT (agency_id, {column}, metric) DO UPDATE SET
    numerator = f.numerator + excluded.numerator, denominator = f.denominator + excluded.denominator
"""


def compact() -> int | None:
    """Move the committed deltas into ``DailyFact`` and ``MonthlyFact``; returns how many were moved, or
    ``None`` when another compaction (or a recomputation) holds the lock.

    PostgreSQL: one statement — ``DELETE … RETURNING`` the deltas and two ``INSERT … SELECT … GROUP BY …
    ON CONFLICT DO UPDATE`` (add) as data-modifying CTEs over the same moved rows. The statement sees only
    committed deltas; those committed meanwhile stay for the next run, so nothing is counted twice or lost,
    and writers are never blocked (they only insert). SQLite: the same in one transaction up to the highest
    id present (``BEGIN IMMEDIATE`` serialises it with the writers)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
            cursor.execute(_PG_COMPACT)
            moved, daily, monthly = cursor.fetchone()
        else:
            cursor.execute("SELECT MAX(id), COUNT(*) FROM reporting_factdelta")
            top, moved = cursor.fetchone()
            if top is None:
                return 0
            for table, column, key in (
                ("reporting_dailyfact", "day", "day"),
                ("reporting_monthlyfact", "month", "strftime('%%Y-%%m-01', day)"),
            ):
                cursor.execute(_SQLITE_UPSERT.format(table=table, column=column, key=key), [top])
            cursor.execute("DELETE FROM reporting_factdelta WHERE id <= %s", [top])
            daily = monthly = None
    if moved:
        logger.info("reporting facts: %s deltas compacted (%s daily, %s monthly rows)", moved, daily, monthly)
    return int(moved)


# --- live reads -----------------------------------------------------------------------------------------


def _month_end(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1) - dt.timedelta(days=1)


def split(
    start: dt.date, end: dt.date
) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """[start, end] as (full months as (first month, last month), day ranges at either end)."""
    first = start if start.day == 1 else _month_end(start) + dt.timedelta(days=1)
    last_end = end if end == _month_end(end) else end.replace(day=1) - dt.timedelta(days=1)
    if first > last_end:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - dt.timedelta(days=1)))
    if last_end < end:
        edges.append((last_end + dt.timedelta(days=1), end))
    return (first, last_end.replace(day=1)), edges


def live(
    start: dt.date,
    end: dt.date,
    *,
    root: Any = None,
    metrics: Iterable[str] | None = None,
    by: str = "agency",
) -> list[tuple[Any, str, int, int]]:
    """The facts over [start, end] (local days) plus the deltas not compacted yet, summed per (agency or
    month, metric): ``[(agency id | first day of the month, metric, numerator, denominator)]``; several
    rows may share a key (add them up). Every reader of the facts goes through here.

    Whole months come from ``MonthlyFact``, the days at either end from ``DailyFact``, the pending changes
    from ``FactDelta`` (small: about one compaction interval of changes), all in ONE ``UNION ALL``
    statement, so it reads one snapshot: a compaction committing meanwhile can neither hide a delta nor
    count it twice. ``root``: only its subtree (agency path prefix)."""
    from django.db.models import DateField, F
    from django.db.models.functions import Cast, TruncMonth

    from egov.reporting.models import DailyFact, FactDelta, MonthlyFact

    if by not in ("agency", "month"):
        raise ValueError(f"by must be 'agency' or 'month', not {by!r}")
    months, edges = split(start, end)
    per_agency = by == "agency"
    # Cast: PostgreSQL's date_trunc gives a timestamp, and a UNION of date and timestamp is a timestamp.
    month_of_day = Cast(TruncMonth("day"), DateField())
    parts: list[tuple[QuerySet[Any], Any]] = []
    if months:
        parts.append(
            (MonthlyFact.objects.filter(month__range=months), F("agency_id") if per_agency else F("month"))
        )
    if edges:
        cond = Q()
        for a, b in edges:
            cond |= Q(day__range=(a, b))
        parts.append((DailyFact.objects.filter(cond), F("agency_id") if per_agency else month_of_day))
    pending = FactDelta.objects.filter(day__range=(start, end))
    parts.append((pending, F("agency_id") if per_agency else month_of_day))
    wanted = sorted(set(metrics)) if metrics else None
    queries = []
    for qs, key in parts:
        if root is not None:
            qs = qs.filter(agency__path__startswith=root.path)
        if wanted:
            qs = qs.filter(metric__in=wanted)
        queries.append(
            qs.annotate(f_key=key)
            .values("f_key", "metric")
            .annotate(f_n=Sum("numerator"), f_d=Sum("denominator"))
            .values_list("f_key", "metric", "f_n", "f_d")
            .order_by()
        )
    combined = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    return [(k, m, int(n or 0), int(d or 0)) for k, m, n, d in combined]


# --- set-based path -------------------------------------------------------------------------------------


def _bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def _one() -> Value:
    return Value(1, output_field=IntegerField())


def _flag(condition: Q) -> Sum:
    return Sum(Case(When(condition, then=1), default=0, output_field=IntegerField()))


def _grouped(
    qs: QuerySet[Any], agency: str, moment: str, year: int, numerator: Any, denominator: Any
) -> QuerySet[Any]:
    start, end = _bounds(year)
    return (
        qs.filter(**{f"{moment}__gte": start, f"{moment}__lt": end})
        .annotate(f_agency=models_f(agency), f_day=TruncDate(moment))
        .values("f_agency", "f_day")
        .annotate(f_num=numerator, f_den=denominator)
        .values_list("f_agency", "f_day", "f_num", "f_den")
        .order_by()
    )


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def _queries(year: int) -> list[tuple[str, QuerySet[Any]]]:
    from egov.documents.models import Attachment, IncomingDocument, OutgoingDocument, OutgoingRecipient
    from egov.dossiers.models import Apology, Dossier, Rating, Status, SupplementRequest
    from egov.procedures.models import Channel, Procedure

    S = IncomingDocument.Status
    incoming = IncomingDocument.objects.exclude(status__in=[S.RECEIVED, S.REFUSED])
    completed = IncomingDocument.objects.filter(status=S.COMPLETED, due_date__isnull=False)
    outgoing = (
        OutgoingDocument.objects.filter(issued_at__isnull=False)
        .exclude(status=OutgoingDocument.Status.REVOKED)
        .annotate(
            f_x=Exists(
                OutgoingRecipient.objects.filter(
                    document=OuterRef("pk"), channel=OutgoingRecipient.Channel.EXCHANGE
                )
            ),
            f_s=Exists(Attachment.objects.filter(outgoing=OuterRef("pk"), role=Attachment.Role.SIGNED)),
        )
    )
    received = Dossier.objects.filter(received_at__isnull=False)
    online = Q(channel=Channel.ONLINE)
    capable = received.filter(
        procedure__online_level__in=[Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL]
    )
    finished = Dossier.objects.filter(finished_at__isnull=False, is_on_time__isnull=False)
    resulted = Dossier.objects.filter(finished_at__isnull=False, status__in=[Status.DONE, Status.RETURNED])
    # The local day of completion is compared with the due date in Python for the incremental path; here
    # TruncDate gives the same local day.
    on_time_doc = Q(completed_at__date__lte=models_f("due_date"))
    return [
        ("documents.incoming", _grouped(incoming, "agency_id", "arrival_date", year, Count("pk"), _zero())),
        (
            "documents.incoming_exchange",
            _grouped(
                incoming,
                "agency_id",
                "arrival_date",
                year,
                _flag(Q(source=IncomingDocument.Source.EXCHANGE)),
                Count("pk"),
            ),
        ),
        (
            "documents.incoming_on_time",
            _grouped(completed, "agency_id", "completed_at", year, _flag(on_time_doc), Count("pk")),
        ),
        ("documents.outgoing", _grouped(outgoing, "agency_id", "issued_at", year, Count("pk"), _zero())),
        (
            "documents.outgoing_exchange",
            _grouped(outgoing, "agency_id", "issued_at", year, _flag(Q(f_x=True)), Count("pk")),
        ),
        (
            "documents.outgoing_signed",
            _grouped(outgoing, "agency_id", "issued_at", year, _flag(Q(f_s=True)), Count("pk")),
        ),
        (
            "dossiers.received",
            _grouped(received, "receiving_agency_id", "received_at", year, Count("pk"), _zero()),
        ),
        (
            "dossiers.online",
            _grouped(received, "receiving_agency_id", "received_at", year, _flag(online), Count("pk")),
        ),
        (
            "dossiers.online_use",
            _grouped(capable, "receiving_agency_id", "received_at", year, _flag(online), Count("pk")),
        ),
        (
            "dossiers.on_time",
            _grouped(
                finished, "receiving_agency_id", "finished_at", year, _flag(Q(is_on_time=True)), Count("pk")
            ),
        ),
        (
            "dossiers.digitised",
            _grouped(
                resulted,
                "receiving_agency_id",
                "finished_at",
                year,
                _flag(Q(result_signed=True)),
                Count("pk"),
            ),
        ),
        (
            "dossiers.supplement",
            _grouped(
                SupplementRequest.objects.all(),
                "dossier__receiving_agency_id",
                "requested_at",
                year,
                Count("pk"),
                _zero(),
            ),
        ),
        (
            "dossiers.apology",
            _grouped(Apology.objects.all(), "issuing_agency_id", "issued_at", year, Count("pk"), _zero()),
        ),
        (
            "dossiers.satisfaction",
            _grouped(
                Rating.objects.all(),
                "dossier__receiving_agency_id",
                "rated_at",
                year,
                Sum("score"),
                Count("pk"),
            ),
        ),
        (
            "dossiers.satisfied",
            _grouped(
                Rating.objects.all(),
                "dossier__receiving_agency_id",
                "rated_at",
                year,
                _flag(Q(score__gte=4)),
                Count("pk"),
            ),
        ),
    ]


def _zero() -> Any:
    return Value(0, output_field=IntegerField())


def recompute(
    year: int,
    *,
    metrics: Iterable[str] | None = None,
    audit: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Rebuild the facts of ``year`` (local days) from the transaction tables: delete them and insert one
    row per (agency, day, metric) with one ``INSERT … SELECT … GROUP BY`` per metric, then the monthly
    rows from the daily ones; idempotent. Returns the number of daily rows per metric.

    Consistency with the deltas: a delta commits with the change it counts, so in one snapshot a delta is
    visible exactly when its change is. The rebuild therefore runs in one REPEATABLE READ transaction on
    PostgreSQL (one snapshot for every statement) and deletes the year's deltas visible in that snapshot,
    whose changes its scan counts; deltas committed after the snapshot are not seen by the scan and stay,
    to be compacted later. Compactions are kept out (a session advisory lock taken before the transaction,
    since a lock taken inside it would be waited for after the snapshot is fixed). SQLite serialises the
    transaction with every writer.

    ``audit(counts)`` records the change: inside the rebuild's transaction where that is safe (SQLite, or a
    caller's transaction), else in a short transaction right after the commit — the audit chain cannot be
    appended from a REPEATABLE READ snapshot older than its last entry."""
    wanted = set(metrics) if metrics else set(METRICS)
    unknown = wanted - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics: {', '.join(sorted(unknown))}")
    own = connection.vendor == "postgresql" and not connection.in_atomic_block
    if not own:
        with transaction.atomic():
            if connection.vendor == "postgresql":  # the caller's transaction and its isolation
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [COMPACT_LOCK_KEY])
            compact()
            counts = _rebuild(year, wanted)
            if audit is not None:
                audit(counts)
        return counts
    compact()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [COMPACT_LOCK_KEY])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            counts = _rebuild(year, wanted)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPACT_LOCK_KEY])
    if audit is not None:
        with transaction.atomic():
            audit(counts)
    return counts


def _rebuild(year: int, wanted: set[str]) -> dict[str, int]:
    from egov.reporting.models import DailyFact, FactDelta, MonthlyFact

    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counts: dict[str, int] = {}
    FactDelta.objects.filter(day__range=(first, last), metric__in=wanted).delete()
    DailyFact.objects.filter(day__range=(first, last), metric__in=wanted).delete()
    MonthlyFact.objects.filter(month__range=(first, last), metric__in=wanted).delete()
    with connection.cursor() as cursor:
        for metric, qs in _queries(year):
            if metric not in wanted:
                continue
            sql, params = qs.query.sql_with_params()
            cursor.execute(  # the inner SQL is Django's own, with its parameters passed separately
                "INSERT INTO reporting_dailyfact (agency_id, day, metric, numerator, denominator) "  # noqa: S608
                f"SELECT g.a, g.d, %s, g.n, g.q FROM ({_rename(sql)}) g WHERE g.a IS NOT NULL",
                [metric, *params],
            )
            counts[metric] = cursor.rowcount
        month = "strftime('%%Y-%%m-01', day)"
        if connection.vendor == "postgresql":
            month = "date_trunc('month', day)::date"
        placeholders = ", ".join(["%s"] * len(wanted))
        cursor.execute(
            "INSERT INTO reporting_monthlyfact (agency_id, month, metric, numerator, denominator) "  # noqa: S608
            f"SELECT agency_id, {month}, metric, SUM(numerator), SUM(denominator) "
            f"FROM reporting_dailyfact WHERE day BETWEEN %s AND %s AND metric IN ({placeholders}) "
            f"GROUP BY agency_id, {month}, metric",
            [
                connection.ops.adapt_datefield_value(first),
                connection.ops.adapt_datefield_value(last),
                *sorted(wanted),
            ],
        )
    return counts


def _rename(sql: str) -> str:
    """Give the grouped SELECT's four columns short names; Django names them after the annotations."""
    return f"SELECT f_agency AS a, f_day AS d, f_num AS n, f_den AS q FROM ({sql}) AS grouped"  # noqa: S608
