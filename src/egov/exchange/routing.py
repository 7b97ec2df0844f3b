"""What the hub checks for every packet, kept in memory: connected systems (credentials), organs (routes)
and the trust roots of signature verification.

A hub process answers each packet with a few database statements; loading the system, the trust roots and
the recipients' routes for every packet cost more CPU than verifying the packet's signature. So each process
keeps a :class:`Snapshot` of them, and every request first reads one number, the
:class:`~egov.exchange.models.RoutingVersion` (one indexed row, compiled SQL, no ORM): when it differs from
the snapshot's, the snapshot is loaded again. Writers give it a new random value in their own transaction,
through the model signals below (so the services, the Django admin and the management commands all count):
a change is seen by every process from the first request that starts after it commits — no TTL, no stale
credentials.

The version is read before the rows, so a snapshot is never older than the number it is filed under (a
change committed in between only causes one more reload).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models.signals import post_delete, post_save

from egov.exchange.models import HubOrgan, HubSystem, RoutingVersion

_SYSTEM_FIELDS = [f.attname for f in HubSystem._meta.concrete_fields]


@dataclass(frozen=True)
class Snapshot:
    version: int
    systems: dict[str, tuple[Any, ...]]  # system_id → the row's values in _SYSTEM_FIELDS order
    organs: dict[str, tuple[int, bool]]  # organ_id → (system pk, organ and its system both active)
    parent: int | None  # pk of the active parent hub, if any
    trust_roots: tuple[Any, ...]  # cryptography certificates

    def system(self, system_id: str) -> HubSystem | None:
        """A fresh model instance for an active system (each request gets its own object)."""
        row = self.systems.get(system_id)
        if row is None:
            return None
        return HubSystem.from_db("default", _SYSTEM_FIELDS, row)


_lock = threading.Lock()
_current: list[Snapshot | None] = [None]
_VERSION_SQL: dict[str, str] = {}


def _table() -> str:
    return RoutingVersion._meta.db_table


def read_version() -> int:
    """The current routing version: one single-row read by primary key (0 before the first change)."""
    connection = connections[router.db_for_read(RoutingVersion)]
    sql = _VERSION_SQL.get(connection.vendor)
    if sql is None:
        sql = _VERSION_SQL[connection.vendor] = (
            f"SELECT version FROM {connection.ops.quote_name(_table())} WHERE id = 1"  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def bump() -> None:
    """Give the routing version a new random value inside the caller's transaction (insert the row on
    first use). Random, not a counter: a number raised by a transaction that rolls back, or counted again
    after a restore or a test's flush, would otherwise name two different states."""
    connection = connections[router.db_for_write(RoutingVersion)]
    table = connection.ops.quote_name(_table())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, version) VALUES (1, %s) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            [secrets.randbits(62) + 1],
        )


def _load(version: int) -> Snapshot:
    from egov.signing import crypto
    from egov.signing.models import Certificate

    systems = {
        row[_SYSTEM_FIELDS.index("system_id")]: tuple(row)
        for row in HubSystem.objects.filter(active=True).order_by().values_list(*_SYSTEM_FIELDS)
    }
    organs = {
        organ_id: (system_id, bool(active and system_active))
        for organ_id, system_id, active, system_active in HubOrgan.objects.order_by().values_list(
            "organ_id", "system_id", "active", "system__active"
        )
    }
    parent = (
        HubSystem.objects.filter(is_parent=True, active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    roots = tuple(
        crypto.load_pem(pem)
        for pem in Certificate.objects.trust_roots().order_by("pk").values_list("certificate_pem", flat=True)
    )
    return Snapshot(version=version, systems=systems, organs=organs, parent=parent, trust_roots=roots)


def current() -> Snapshot:
    """The snapshot, reloaded first if the routing version moved."""
    snapshot = _current[0]
    version = read_version()
    if snapshot is not None and snapshot.version == version:
        return snapshot
    with _lock:
        snapshot = _current[0]
        if snapshot is None or snapshot.version != version:
            snapshot = _current[0] = _load(version)
    return snapshot


def forget() -> None:
    """Drop this process's snapshot (tests that change rows behind the signals' back)."""
    _current[0] = None


def _changed(sender: Any, **kwargs: Any) -> None:
    bump()


def _certificate_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.kind == instance.Kind.ROOT_CA:
        bump()


def connect_signals() -> None:
    from egov.signing.models import Certificate

    for model in (HubSystem, HubOrgan):
        post_save.connect(_changed, sender=model, dispatch_uid=f"exchange.routing.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"exchange.routing.delete.{model.__name__}")
    post_save.connect(_certificate_changed, sender=Certificate, dispatch_uid="exchange.routing.cert.save")
    post_delete.connect(_certificate_changed, sender=Certificate, dispatch_uid="exchange.routing.cert.delete")
