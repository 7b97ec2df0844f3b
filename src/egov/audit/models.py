"""The audit trail: one append-only, hash-chained row per state change made through a service."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditImmutableError(RuntimeError):
    """Audit rows are written once and never changed or removed through the application."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit rows cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("audit rows cannot be deleted")


class AuditEntry(models.Model):
    """Nhật ký: who did what, in which agency, to which object, with the values before and after.

    Rows form a few independent hash chains (``chain``; see :class:`AuditChain`): within its chain ``seq``
    numbers rows without gaps and ``hash`` covers every field (the chain number too, except on chain 0, whose
    rows predate the chains) and the predecessor's hash, so editing, inserting or deleting a row breaks the
    chain at that row (``egov audit verify``).
    """

    chain = models.PositiveSmallIntegerField(default=0)
    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=255, blank=True)
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=16, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq")]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.chain}.{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("audit rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("audit rows cannot be deleted")


class AuditChain(models.Model):
    """The head of one audit chain: its last ``seq`` and ``hash``, updated in the transaction that appends.

    A transaction appends all its audit rows to ONE chain, the first one no other transaction holds (the
    row lock of the head, ``FOR UPDATE SKIP LOCKED``, kept until commit): writers of different agencies no
    longer queue on one lock, and a transaction never waits for a chain while holding another (no
    deadlock). The head also anchors each chain's end: rows deleted from the end of a chain, or appended
    without the head, are reported by ``verify``. Rows 0–7 are created by the migration; more chains are
    more rows. SQLite (one writer at a time) uses chain 0 only.
    """

    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "audit chain"
        verbose_name_plural = "audit chains"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"chain {self.chain}: #{self.seq}"
