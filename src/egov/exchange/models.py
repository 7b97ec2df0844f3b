"""The hub (trục liên thông văn bản): registered systems, stored packets and their deliveries.

A packet accepted by the hub is written to storage and committed before the hub answers; it then waits in
one ``Delivery`` per recipient until that recipient's system acknowledges it (``updateStatus``). Recipients
not registered here are routed to the parent hub (the national axis) through a delivery whose
``route`` is ``parent``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HubSystem(models.Model):
    """A document-management system connected to the hub (another egov instance or a third-party system),
    authenticated by ``X-SystemId`` / ``X-SecretKey``. The secret is stored hashed; rotation keeps the
    previous secret valid until ``previous_secret_expires``."""

    system_id = models.CharField(_("mã hệ thống"), max_length=64, unique=True)
    name = models.CharField(_("tên hệ thống"), max_length=255)
    secret_hash = models.CharField(max_length=255)
    previous_secret_hash = models.CharField(max_length=255, blank=True)
    previous_secret_expires = models.DateTimeField(null=True, blank=True)
    is_parent = models.BooleanField(
        _("trục cấp trên"),
        default=False,
        help_text=_("Trục quốc gia: nhận các gói tin gửi cơ quan ngoài tỉnh."),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hệ thống kết nối")
        verbose_name_plural = _("hệ thống kết nối")

    def __str__(self) -> str:
        return f"{self.name} ({self.system_id})"

    # Secrets are long random strings (at least 24 characters, generated with 256 bits), checked on every
    # request: a plain SHA-256 suffices and costs microseconds, where a password KDF would add ~300 ms to each
    # call of a machine-to-machine API (the practice of API tokens).
    MIN_SECRET_LENGTH = 24

    @staticmethod
    def _digest(secret: str) -> str:
        return "sha256$" + hashlib.sha256(secret.encode("utf-8")).hexdigest()

    def set_secret(self, secret: str) -> None:
        if len(secret) < self.MIN_SECRET_LENGTH:
            from django.core.exceptions import ValidationError

            raise ValidationError({"secret": f"Khóa bí mật cần ít nhất {self.MIN_SECRET_LENGTH} ký tự."})
        self.secret_hash = self._digest(secret)

    def check_secret(self, secret: str, now: object = None) -> bool:
        from django.utils import timezone

        digest = self._digest(secret)
        if hmac.compare_digest(digest, self.secret_hash):
            return True
        moment = now or timezone.now()
        return bool(
            self.previous_secret_hash
            and self.previous_secret_expires
            and moment < self.previous_secret_expires  # type: ignore[operator]
            and hmac.compare_digest(digest, self.previous_secret_hash)
        )


class RoutingVersion(models.Model):
    """One row whose ``version`` gets a new random value, in the writer's transaction, whenever a connected
    system, an organ or a trust root changes (signals in :mod:`egov.exchange.routing`). Each hub process
    keeps a snapshot of systems, organs and trust roots and reloads it when this value differs: one tiny
    read per request instead of loading credentials, routes and certificates for every packet."""

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "routing version"

    def __str__(self) -> str:
        return f"routing version {self.version}"


class HubOrgan(models.Model):
    """An agency (OrganId, QCVN 102 code) reachable through a connected system."""

    organ_id = models.CharField(_("mã định danh"), max_length=64, unique=True)
    name = models.CharField(_("tên cơ quan"), max_length=255)
    system = models.ForeignKey(HubSystem, on_delete=models.PROTECT, related_name="organs")
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organ_id"]
        verbose_name = _("cơ quan kết nối")
        verbose_name_plural = _("cơ quan kết nối")

    def __str__(self) -> str:
        return f"{self.organ_id} {self.name}"


class Packet(models.Model):
    """An edXML packet held by the hub. ``content_key`` (SHA-256 of the bytes and the sending system)
    makes a resend of the same packet return the first one instead of storing it twice."""

    class MessageType(models.TextChoices):
        EDOC = "edoc", "edoc"
        STATUS = "status", "status"
        REVOCATION = "revocation", "revocation"
        UPDATE = "update", "update"
        REPLACEMENT = "replacement", "replacement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message_type = models.CharField(max_length=16, choices=MessageType.choices)
    sender_organ_id = models.CharField(max_length=64, db_index=True)
    sender_name = models.CharField(max_length=255, blank=True)
    document_id = models.CharField(max_length=255, db_index=True)
    business_type = models.PositiveSmallIntegerField(null=True, blank=True)
    status_code = models.CharField(max_length=2, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to="exchange/%Y/%m/%d/", max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_key = models.CharField(max_length=64, unique=True)
    signature = models.CharField(max_length=16, blank=True)
    source_system = models.ForeignKey(HubSystem, on_delete=models.PROTECT, related_name="+")
    hops = models.PositiveSmallIntegerField(default=0)
    trace = models.JSONField(
        default=list,
        blank=True,
        help_text="Hubs the packet passed through: [{hub, at}]. Kept beside the packet, not written into "
        "it, because the XML-DSig signature covers the whole packet.",
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["received_at"]

    def __str__(self) -> str:
        return f"{self.message_type} {self.document_id}"


class Delivery(models.Model):
    """One recipient's copy of a packet: waiting, fetched, acknowledged; or forwarded to the parent hub."""

    class Route(models.TextChoices):
        LOCAL = "local", _("Hệ thống kết nối với trục")
        PARENT = "parent", _("Chuyển lên trục cấp trên")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ nhận")
        FETCHED = "fetched", _("Đã lấy")
        DONE = "done", _("Đã nhận xong")
        FAILED = "failed", _("Lỗi")

    packet = models.ForeignKey(Packet, on_delete=models.PROTECT, related_name="deliveries")
    organ_id = models.CharField(max_length=64)
    route = models.CharField(max_length=8, choices=Route.choices)
    system = models.ForeignKey(HubSystem, on_delete=models.PROTECT, related_name="deliveries")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["packet", "organ_id"], name="delivery_once_per_recipient")
        ]
        indexes = [
            models.Index(fields=["system", "state", "created_at"]),
            models.Index(
                fields=["route", "state"], condition=Q(route="parent"), name="delivery_parent_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.packet_id} → {self.organ_id} ({self.state})"


# --- Agency side: this instance as the document system of its agencies ---------------------------------


class OutboundPacket(models.Model):
    """Transactional outbox: a packet built and signed in the transaction that issued the document (or
    changed an incoming document's status), sent to the hub by a worker with retries."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản")
        STATUS = "status", _("Trạng thái")

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENT = "sent", _("Đã gửi lên trục")
        FAILED = "failed", _("Gửi lỗi")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    recipient = models.ForeignKey(
        "documents.OutgoingRecipient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound",
    )
    incoming = models.ForeignKey(
        "documents.IncomingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbound_statuses",
    )
    status_code = models.CharField(max_length=2, blank=True)
    organ_id = models.CharField(max_length=64, help_text="Recipient OrganId.")
    document_id = models.CharField(max_length=255)
    message_type = models.CharField(max_length=16, default="edoc")
    file = models.FileField(upload_to="exchange/outbox/%Y/%m/", max_length=255)
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    remote_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incoming", "status_code"], condition=Q(kind="status"), name="outbound_status_once"
            ),
            models.UniqueConstraint(
                fields=["recipient", "message_type"],
                condition=Q(kind="document"),
                name="outbound_document_once",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} → {self.organ_id} ({self.state})"


class InboundPacket(models.Model):
    """A packet this instance took from the hub. Its unique keys make a packet delivered twice (or fetched
    again after a crash before the acknowledgement) change nothing the second time."""

    remote_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8)
    sender_organ_id = models.CharField(max_length=64)
    recipient_organ_id = models.CharField(max_length=64)
    document_id = models.CharField(max_length=255)
    business_type = models.PositiveSmallIntegerField(null=True, blank=True)
    status_code = models.CharField(max_length=2, blank=True)
    incoming = models.ForeignKey(
        "documents.IncomingDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_organ_id", "sender_organ_id", "document_id", "business_type"],
                condition=Q(kind="document"),
                name="inbound_document_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} ({self.remote_id})"


class RecipientStatus(models.Model):
    """History of the statuses (01–06, 02, 15, 16) a recipient outside egov reported for an outgoing
    document; the latest is also kept on ``OutgoingRecipient``."""

    recipient = models.ForeignKey(
        "documents.OutgoingRecipient", on_delete=models.CASCADE, related_name="history"
    )
    status_code = models.CharField(max_length=2)
    description = models.CharField(max_length=500, blank=True)
    reported_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reported_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "status_code", "reported_at"], name="recipient_status_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.status_code}"
