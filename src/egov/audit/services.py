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

from egov.audit.models import AuditChain, AuditEntry
from egov.core import context

GENESIS = "0" * 64
# Chains created when a database has none (a test database flushed between tests); the migration makes 0–7.
CHAINS = 8
_JSON_SCALARS = (str, int, float, bool, type(None))


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
    """JSON-safe copy of ``value``: what is stored is exactly what is hashed (what ``json`` would give back
    after a round trip; the common shapes are converted directly, anything else goes through ``json``)."""
    if value is None:
        return None
    try:
        return _plain(value)
    except _NotPlain:
        return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _JSON_SCALARS:
        if kind is float and value != value:  # NaN: let json decide
            raise _NotPlain
        return value
    if isinstance(value, str):  # TextChoices members and other subclasses: their plain value, as json writes
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        raise _NotPlain
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotPlain  # json turns keys into strings its own way (True -> "true")
            out[key] = _plain(item)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    converted = _default(value)
    if converted is value:
        raise _NotPlain
    return _plain(converted)


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
    if entry.chain:  # chain 0's rows were hashed before there were chains: their hashes stay valid
        payload["chain"] = entry.chain
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- appending ------------------------------------------------------------------------------------------
#
# PostgreSQL: the first audit row of a transaction takes the first chain head that no other transaction
# holds (``FOR UPDATE SKIP LOCKED``: never waits) and remembers it in a transaction-local setting, so every
# later row of the transaction goes to the same chain and the transaction never holds two chain locks; the
# head row stays locked until COMMIT, which serialises the appends of that chain. Only when every chain is
# held does it wait, for one chain, holding none. Taking the head is one statement (lock, read the last seq
# and hash, bump seq), writing the row and the head's new hash a second one.

_TAKE_FREE = (
    "UPDATE audit_auditchain SET seq = seq + 1 WHERE chain = ("
    " SELECT chain FROM audit_auditchain"
    " WHERE chain = COALESCE(NULLIF(current_setting('egov.audit_chain', true), '')::integer, chain)"
    " ORDER BY chain LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING chain, seq, hash, set_config('egov.audit_chain', chain::text, true)"
)
_TAKE_ANY = (  # every chain held by others: wait for one picked at random
    "UPDATE audit_auditchain SET seq = seq + 1 WHERE chain = ("
    " SELECT chain FROM audit_auditchain ORDER BY random() LIMIT 1)"
    " RETURNING chain, seq, hash, set_config('egov.audit_chain', chain::text, true)"
)
_TAKE_SQLITE = "UPDATE audit_auditchain SET seq = seq + 1 WHERE chain = 0 RETURNING chain, seq, hash"
_COLUMNS = (
    "chain, seq, created_at, actor_id, actor_label, agency_id, action, object_type, object_id, before, after,"
    " request_id, ip, source, prev_hash, hash"
)
_APPEND_PG = (
    f"WITH entry AS (INSERT INTO audit_auditentry ({_COLUMNS}) VALUES"  # noqa: S608 - constant text
    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s, %s::inet, %s, %s, %s) RETURNING id)"
    " UPDATE audit_auditchain SET hash = %s WHERE chain = %s RETURNING (SELECT id FROM entry)"
)


def _take_chain() -> tuple[int, int, str]:
    """(chain, the new row's seq, the previous row's hash), the chain's head locked until commit."""
    for _attempt in range(2):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_TAKE_FREE)
                row = cursor.fetchone()
                if row is None:
                    cursor.execute(_TAKE_ANY)
                    row = cursor.fetchone()
            else:  # SQLite: egov's BEGIN IMMEDIATE transactions already serialise writers; one chain
                cursor.execute(_TAKE_SQLITE)
                row = cursor.fetchone()
        if row is not None:
            return int(row[0]), int(row[1]), str(row[2])
        _create_heads()
    raise RuntimeError("audit chain heads missing and could not be created")


def _create_heads() -> None:
    """Heads for a database that has none (a flushed test database): from the chains' last rows."""
    heads = []
    for chain in range(CHAINS):
        last = AuditEntry.objects.filter(chain=chain).order_by("-seq").values("seq", "hash").first()
        seq, hash_ = (last["seq"], last["hash"]) if last else (0, GENESIS)
        heads.append(AuditChain(chain=chain, seq=seq, hash=hash_))
    AuditChain.objects.bulk_create(heads, ignore_conflicts=True)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


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
    entry = AuditEntry(
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
    )
    # Everything above is computed before the chain is taken: the head stays locked until COMMIT.
    entry.chain, entry.seq, entry.prev_hash = _take_chain()
    entry.hash = compute_hash(entry)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _APPEND_PG,
                [
                    entry.chain,
                    entry.seq,
                    entry.created_at,
                    entry.actor_id,
                    entry.actor_label,
                    entry.agency_id,
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    _json(entry.before),
                    _json(entry.after),
                    entry.request_id,
                    entry.ip,
                    entry.source,
                    entry.prev_hash,
                    entry.hash,
                    entry.hash,
                    entry.chain,
                ],
            )
            entry.pk = cursor.fetchone()[0]
        entry._state.adding = False
        entry._state.db = connection.alias
    else:
        entry.save(force_insert=True)
        AuditChain.objects.filter(chain=entry.chain).update(hash=entry.hash)
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None
    chain: int | None = None
    chains: int = 0


def verify(batch_size: int = 2000) -> VerifyResult:
    """Walk every chain in order; return the first row that was edited, inserted or deleted (with its chain
    and seq). Each chain must start at seq 1 from the genesis hash and end where its head says: rows deleted
    from the end, or appended without the head, are reported too. Runs alongside writers: the head is read
    before the walk for the deletion check and after it for the append check."""
    before = {c.chain: c for c in AuditChain.objects.all()}
    used = AuditEntry.objects.order_by().values_list("chain", flat=True).distinct()
    chains = sorted(set(used) | set(before))
    checked = 0
    for chain in chains:
        result = _verify_chain(chain, before.get(chain), batch_size)
        checked += result.checked
        if not result.ok:
            problem = f"chain {chain}: {result.problem}"
            return VerifyResult(False, checked, problem, result.seq, chain, len(chains))
    return VerifyResult(True, checked, chains=len(chains))


def _verify_chain(chain: int, head: AuditChain | None, batch_size: int) -> VerifyResult:
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    rows = AuditEntry.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=batch_size)
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
    last = expected_seq - 1
    # Heads only grow, in the transaction that appends: a head read before the walk never names a row the
    # walk cannot see, and one read after it names every row the walk saw.
    if head is None:
        if last:
            return VerifyResult(False, checked, f"the chain's head is missing (rows 1-{last})", last)
        return VerifyResult(True, checked)
    if head.seq > last:
        missing = f"row {last + 1}" if head.seq == last + 1 else f"rows {last + 1}-{head.seq}"
        return VerifyResult(
            False, checked, f"{missing} deleted at the end (the head names row {head.seq})", last + 1
        )
    after = AuditChain.objects.filter(chain=chain).first()
    if after is None or after.seq < last:
        named = after.seq if after else 0
        return VerifyResult(
            False, checked, f"row {named + 1} appended after the head (row {named}): inserted?", named + 1
        )
    if after.seq == last and after.hash != expected_prev:
        return VerifyResult(False, checked, f"row {last} replaced (its hash differs from the head's)", last)
    return VerifyResult(True, checked)
