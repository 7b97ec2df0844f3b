"""Notifications (thông báo): templates per event and channel, citizens' preferences, and the outbox of
messages with their delivery state.

A :class:`Message` is written in the transaction of the change that caused it (transactional outbox) and
leaves through the worker. Its life: ``queued`` → ``sending`` (claimed by one worker, committed before the
provider is called) → ``sent`` (the provider accepted it; its ids are kept in :class:`ProviderReference`)
→ ``delivered`` (a delivery receipt says so), or ``failed`` (refused, receipt of non-delivery, or the retry
budget spent).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.notify.events import EVENTS, LABELS


class Channel(models.TextChoices):
    SMS = "sms", _("Tin nhắn SMS")
    EMAIL = "email", _("Thư điện tử")


EVENT_CHOICES = [(name, LABELS.get(name, name)) for name in EVENTS]


class Template(models.Model):
    """Mẫu thông báo: one per event, channel and language. ``subject`` is used by e-mail only."""

    event = models.CharField(_("sự kiện"), max_length=64, choices=EVENT_CHOICES)
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")
    subject = models.CharField(_("tiêu đề (e-mail)"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "language"], name="notify_template_unique")
        ]
        verbose_name = _("mẫu thông báo")
        verbose_name_plural = _("mẫu thông báo")

    def __str__(self) -> str:
        return f"{self.get_event_display()} / {self.get_channel_display()}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from egov.notify.rendering import validate_template_text

        allowed = EVENTS.get(self.event)
        if allowed is None:
            raise ValidationError({"event": _("Sự kiện không hợp lệ.")})
        errors = {}
        for field in ("subject", "body"):
            try:
                validate_template_text(getattr(self, field), allowed)
            except ValidationError as exc:
                errors[field] = exc.messages
        if self.channel == Channel.EMAIL and not self.subject.strip():
            errors.setdefault("subject", []).append(str(_("Thư điện tử cần có tiêu đề.")))
        if not self.body.strip():
            errors.setdefault("body", []).append(str(_("Nội dung không được để trống.")))
        if errors:
            raise ValidationError(errors)


class Preference(models.Model):
    """A citizen's (or officer's) choice of channels; without a row both channels are on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    sms = models.BooleanField(_("nhận tin nhắn SMS"), default=True)
    email = models.BooleanField(_("nhận thư điện tử"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tùy chọn nhận thông báo")
        verbose_name_plural = _("tùy chọn nhận thông báo")

    def __str__(self) -> str:
        return f"{self.user}: sms={self.sms} email={self.email}"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        DELIVERED = "delivered", _("Đã đến người nhận")
        FAILED = "failed", _("Gửi lỗi")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("người nhận"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(_("sự kiện"), max_length=64, choices=EVENT_CHOICES)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(_("nhà cung cấp"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("mã tin của nhà cung cấp"), max_length=128, blank=True)
    segments = models.PositiveSmallIntegerField(_("số phần tin"), default=0)
    encoding = models.CharField(_("bảng mã"), max_length=8, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key", "channel", "recipient"],
                condition=~Q(idempotency_key=""),
                name="notify_message_idempotency",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due"),
            models.Index(fields=["object_type", "object_id"], name="notify_msg_object"),
            models.Index(fields=["agency", "status"], name="notify_msg_agency_status"),
        ]
        verbose_name = _("thông báo đã gửi")
        verbose_name_plural = _("thông báo đã gửi")

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient} {self.event} ({self.status})"


class ProviderReference(models.Model):
    """An id the provider gave to (a part of) a message: an SMPP message id per part, the HTTP gateway's
    id, the e-mail Message-ID. Receipts are matched through it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="references")
    provider = models.CharField(max_length=32)
    reference = models.CharField(max_length=128)
    part = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="notify_reference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.reference}"


class DeliveryReceipt(models.Model):
    """A delivery report (SMPP ``deliver_sm`` receipt or HTTP callback). Stored even when its message is
    not known yet (a receipt may beat the commit of ``sent``) and matched when the reference is recorded.
    The unique key makes a repeated callback harmless."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("Nhà mạng đã nhận")
        DELIVERED = "delivered", _("Đã đến máy người nhận")
        FAILED = "failed", _("Không chuyển được")

    provider = models.CharField(max_length=32)
    reference = models.CharField(max_length=128)
    state = models.CharField(max_length=16, choices=State.choices)
    error = models.CharField(max_length=255, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="receipts"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference", "state"], name="notify_receipt_unique")
        ]
        indexes = [models.Index(fields=["provider", "reference"], name="notify_receipt_ref")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.reference} {self.state}"
