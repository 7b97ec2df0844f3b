"""Writing and verifying the audit trail.

Every service function of every app calls :func:`record` inside its own transaction, so the audit row
exists if and only if the change it describes was committed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.core import context

GENESIS = "0" * 64
# Arbitrary constant key for PostgreSQL's transaction-level advisory lock that serialises chain appends.
_CHAIN_LOCK_KEY = 7_203_511_001


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "name") and hasattr(value, "url"):  # FieldFile
        return value.name
    return str(value)


def normalise(value: Any) -> Any:
    """JSON-safe copy of ``value``: what is stored is exactly what is hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` (foreign keys as ids), for before/after."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    data = {}
    for name in names:
        field = instance._meta.get_field(name) if name != "pk" else instance._meta.pk
        key = getattr(field, "attname", name)
        data[key] = getattr(instance, key)
    return normalise(data)


def compute_hash(entry: AuditEntry) -> str:
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "agency": entry.agency_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "source": entry.source,
        "prev_hash": entry.prev_hash,
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: egov opens every transaction with BEGIN IMMEDIATE, which already serialises writers.


def record(
    action: str,
    *,
    actor: Any = None,
    agency: Any = None,
    target: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one row to the audit trail. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the service's transaction.atomic()")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id if object_id is not None else target.pk
    if not object_type:
        raise ValueError("audit.record() needs a target or an object_type")
    ctx = context.current()
    actor_obj = actor if (actor is not None and getattr(actor, "pk", None)) else None
    _lock_chain()
    last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    entry = AuditEntry(
        seq=(last["seq"] + 1) if last else 1,
        created_at=timezone.now(),
        actor=actor_obj,
        actor_label=(actor_obj.get_username() if actor_obj else (ctx.source or "system"))[:255],
        agency_id=getattr(agency, "pk", agency) if agency is not None else ctx.agency_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id if object_id is not None else ""),
        before=normalise(before),
        after=normalise(after),
        request_id=ctx.request_id,
        ip=ctx.ip,
        source=ctx.source,
        prev_hash=last["hash"] if last else GENESIS,
    )
    entry.hash = compute_hash(entry)
    entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in order; return the first row that was edited, inserted or deleted."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    rows = AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size)
    for entry in rows:
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                missing = (
                    f"row {expected_seq}"
                    if entry.seq == expected_seq + 1
                    else f"rows {expected_seq}-{entry.seq - 1}"
                )
                return VerifyResult(
                    False,
                    checked,
                    f"{missing} deleted (row {entry.seq} follows row {expected_seq - 1})",
                    expected_seq,
                )
            return VerifyResult(False, checked, f"row {entry.seq} out of sequence (inserted?)", entry.seq)
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False,
                checked,
                f"row {entry.seq} does not link to row {entry.seq - 1} (row inserted or replaced)",
                entry.seq,
            )
        if compute_hash(entry) != entry.hash:
            return VerifyResult(
                False,
                checked,
                f"row {entry.seq} was edited (its content no longer matches its hash)",
                entry.seq,
            )
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    return VerifyResult(True, checked)
