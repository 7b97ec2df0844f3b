"""Queueing and delivering notifications (thông báo SMS, thư điện tử).

``notify`` is called by other apps inside the transaction of the change that causes it: the
:class:`~egov.notify.models.Message` rows and their delivery tasks commit with that change (transactional
outbox), or not at all.

``deliver`` (run by the ``notify`` queue's task) sends one message exactly once:

1. **claim**: a conditional ``UPDATE … WHERE status='queued'`` turns it to ``sending`` and commits before the
   provider is called, so a second task for the same message (a duplicate enqueue, a requeued task) finds
   nothing to do;
2. **send** with the message's UUID as the idempotency key / client reference;
3. **record** the provider's ids (``ProviderReference``) and ``sent`` in one transaction, and apply any
   receipt already received for those ids.

A temporary failure puts the message back to ``queued`` with exponential backoff and a deferred task; after
``EGOV_NOTIFY_MAX_ATTEMPTS`` it is ``failed`` (audited, listed for officers). A worker that dies between
steps 2 and 3 leaves the message ``sending``: after ``EGOV_NOTIFY_LEASE_SECONDS`` the sweep sends it again
only through an idempotent provider (the HTTP gateway deduplicates on the key); otherwise it marks it failed
with the reason, instead of risking a second SMS or e-mail.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from collections.abc import Mapping
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.notify import defaults, events
from egov.notify.models import Channel, DeliveryReceipt, Message, Preference, ProviderReference, Template
from egov.notify.rendering import prepare_context, render
from egov.notify.sms import encoding
from egov.notify.sms.base import (
    OutgoingSms,
    PermanentFailure,
    Receipt,
    SendResult,
    TemporaryFailure,
    UnknownOutcome,
)
from egov.notify.sms.registry import get_provider, registry

logger = logging.getLogger("egov.notify")

Status = Message.Status
LANGUAGE = "vi"
EMAIL_PROVIDER = "smtp"
PHONE_CLEAN_RE = re.compile(r"[\s.\-()]")
NATIONAL_PHONE_RE = re.compile(r"^0[35789]\d{8}$")


# --- recipients -----------------------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """Vietnamese mobile number in national form (0912345678) from any usual writing (+84 912 345 678,
    84912345678, 0912.345.678). Raises ``ValidationError`` for anything else."""
    value = PHONE_CLEAN_RE.sub("", raw or "")
    if value.startswith("+84"):
        value = "0" + value[3:]
    elif value.startswith("84") and len(value) == 11:
        value = "0" + value[2:]
    if not NATIONAL_PHONE_RE.match(value):
        raise ValidationError({"phone": _("Số điện thoại di động không hợp lệ: %(value)s") % {"value": raw}})
    return value


def international(phone: str) -> str:
    return "84" + phone[1:]


def _normalise_email(raw: str) -> str:
    value = (raw or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            {"email": _("Địa chỉ thư điện tử không hợp lệ: %(value)s") % {"value": raw}}
        ) from None
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


# --- queueing -------------------------------------------------------------------------------------------


def notify(
    *,
    event: str,
    context: Mapping[str, Any],
    user: Any = None,
    phone: str = "",
    email: str = "",
    subject: models.Model | None = None,
    agency: Any = None,
    idempotency_key: str = "",
) -> list[Message]:
    """Queue the notifications of one event (one message per channel with a recipient and the citizen's
    consent). Call it inside the caller's ``transaction.atomic()``: the messages and their delivery tasks
    commit with the change that caused them. Unknown event → ``ValueError``; context without one of the
    event's placeholders → :class:`~egov.notify.rendering.MissingPlaceholders` (a ``ValueError``); invalid
    explicit phone or e-mail → ``ValidationError``. The same ``idempotency_key`` never creates a second
    message for the same channel and recipient: the existing one is returned."""
    required = events.placeholders(event)
    values = prepare_context(context, required, event)
    pref = Preference.objects.filter(user=user).first() if getattr(user, "pk", None) else None
    wants_sms = pref.sms if pref else True
    wants_email = pref.email if pref else True

    targets: list[tuple[str, str]] = []
    sms_to = phone or (getattr(user, "phone", "") if user is not None else "")
    email_to = email or (getattr(user, "email", "") if user is not None else "")
    if sms_to and wants_sms:
        targets.append((Channel.SMS, normalise_phone(sms_to)))
    if email_to and wants_email:
        targets.append((Channel.EMAIL, _normalise_email(email_to)))

    templates = {
        t.channel: t
        for t in Template.objects.filter(event=event, language=LANGUAGE, channel__in=[c for c, _r in targets])
    }
    for channel, _recipient in targets:
        if channel not in templates:
            # The rows are the administrators' editable copies; without one (deleted, or a database emptied
            # and not re-seeded) the built-in Vietnamese default is used, so no message is lost for it.
            templates[channel] = defaults.template_for(event, channel)

    object_type = subject._meta.label_lower if subject is not None else ""
    object_id = str(subject.pk) if subject is not None else ""
    now = timezone.now()
    messages: list[Message] = []
    with transaction.atomic():
        for channel, recipient in targets:
            if idempotency_key:
                existing = Message.objects.filter(
                    idempotency_key=idempotency_key, channel=channel, recipient=recipient
                ).first()
                if existing is not None:
                    messages.append(existing)
                    continue
            template = templates[channel]
            body = render(template.body, values)
            msg = Message(
                channel=channel,
                recipient=recipient,
                user=user if getattr(user, "pk", None) else None,
                event=event,
                subject=render(template.subject, values)[:255] if channel == Channel.EMAIL else "",
                body=body,
                object_type=object_type,
                object_id=object_id,
                agency=agency,
                idempotency_key=idempotency_key[:200],
                next_attempt_at=now,
                enqueued_at=now,
            )
            if channel == Channel.SMS:
                sms = encoding.encode(body)
                msg.encoding, msg.segments = sms.encoding, sms.segments
            else:
                msg.segments = 1
            try:
                with transaction.atomic():
                    msg.save(force_insert=True)
            except IntegrityError:
                if not idempotency_key:
                    raise
                messages.append(
                    Message.objects.get(idempotency_key=idempotency_key, channel=channel, recipient=recipient)
                )
                continue
            _enqueue(msg.pk)
            messages.append(msg)
    return messages


def _enqueue(message_id: int, run_after: dt.datetime | None = None) -> None:
    """The delivery task is a row of the database task queue: written in the current transaction, it exists
    if and only if the message does."""
    from egov.notify.tasks import deliver_message

    task = deliver_message.using(run_after=run_after) if run_after else deliver_message
    task.enqueue(message_id)


# --- delivery -------------------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    base = max(1, settings.EGOV_NOTIFY_RETRY_BASE_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _provider_name(channel: str) -> str:
    return EMAIL_PROVIDER if channel == Channel.EMAIL else settings.EGOV_SMS_PROVIDER


def _provider_is_idempotent(name: str) -> bool:
    if name == EMAIL_PROVIDER:
        return False
    return name in registry and registry[name].idempotent


def claim(message_id: int, now: dt.datetime) -> Message | None:
    """Take the message for sending (``queued`` and due → ``sending``), or None if someone else has it, it
    is not due, or it is already settled. The conditional UPDATE is atomic on PostgreSQL and SQLite."""
    msg = Message.objects.filter(pk=message_id).only("channel").first()
    if msg is None:
        return None
    taken = (
        Message.objects.filter(pk=message_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            status=Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            provider=_provider_name(msg.channel),
            updated_at=now,
        )
    )
    if not taken:
        return None
    return Message.objects.select_related("agency").get(pk=message_id)


def deliver(message_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one message if it is due; returns what happened (sent, retry, failed, skipped)."""
    now = now or timezone.now()
    msg = claim(message_id, now)
    if msg is None:
        return "skipped"
    try:
        result = _send_email(msg) if msg.channel == Channel.EMAIL else _send_sms(msg)
    except PermanentFailure as exc:
        _fail(msg, _("Nhà cung cấp từ chối: %(error)s") % {"error": exc})
        return "failed"
    except UnknownOutcome as exc:
        if _provider_is_idempotent(msg.provider):
            return _retry_or_fail(msg, str(exc), now)
        _fail(
            msg,
            _("Không rõ tin đã được gửi hay chưa (%(error)s); không gửi lại để tránh trùng lặp.")
            % {"error": exc},
        )
        return "failed"
    except TemporaryFailure as exc:
        return _retry_or_fail(msg, str(exc), now)
    except Exception as exc:  # a bug or a misconfiguration: retried, then failed and visible
        logger.exception("notify: sending message %s failed unexpectedly", msg.pk)
        return _retry_or_fail(msg, f"{type(exc).__name__}: {exc}", now)
    mark_sent(msg, result)
    return "sent"


def _send_sms(msg: Message) -> SendResult:
    provider = get_provider(msg.provider)
    out = OutgoingSms(
        reference=str(msg.uuid),
        to=international(msg.recipient),
        sms=encoding.encode(msg.body),
        sender=settings.EGOV_SMS_SENDER,
    )
    return provider.send(out)


def email_message_id(msg: Message) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "egov.localhost"
    return f"<{msg.uuid}@{host}>"


def _send_email(msg: Message) -> SendResult:
    message_id = email_message_id(msg)
    from_name, from_addr = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if msg.agency is not None:
        from_name = msg.agency.name
    email = EmailMessage(
        subject=msg.subject,
        body=msg.body,
        from_email=formataddr((from_name, from_addr)) if from_name else from_addr,
        to=[msg.recipient],
        reply_to=[msg.agency.email] if msg.agency is not None and msg.agency.email else None,
        headers={
            "Message-ID": message_id,
            "X-Egov-Message": str(msg.uuid),
            "Auto-Submitted": "auto-generated",
        },
        connection=get_connection(fail_silently=False),
    )
    try:
        email.send()
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
        raise TemporaryFailure(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _m in exc.recipients.values()]
        if all(500 <= c < 600 for c in codes):
            raise PermanentFailure(f"SMTP recipient refused: {exc.recipients}") from exc
        raise TemporaryFailure(f"SMTP recipient deferred: {exc.recipients}") from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {exc}") from exc
    return SendResult(references=[message_id])


def _retry_or_fail(msg: Message, error: str, now: dt.datetime) -> str:
    if msg.attempts >= settings.EGOV_NOTIFY_MAX_ATTEMPTS:
        _fail(
            msg,
            _("Gửi không thành công sau %(n)d lần thử: %(error)s") % {"n": msg.attempts, "error": error},
        )
        return "failed"
    when = now + backoff(msg.attempts)
    with transaction.atomic():
        updated = Message.objects.filter(pk=msg.pk, status=Status.SENDING).update(
            status=Status.QUEUED,
            next_attempt_at=when,
            enqueued_at=when,
            last_error=error[:2000],
            updated_at=timezone.now(),
        )
        if updated:
            _enqueue(msg.pk, run_after=when)
    logger.warning("notify: message %s attempt %d failed, retry at %s: %s", msg.pk, msg.attempts, when, error)
    return "retry"


def _fail(msg: Message, reason: str) -> None:
    """Final failure: visible to officers (``selectors.failed_messages``) and audited."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=msg.pk)
        if locked.status in (Status.DELIVERED, Status.FAILED):
            return
        before = locked.status
        locked.status = Status.FAILED
        locked.last_error = reason[:2000]
        locked.failed_at = timezone.now()
        locked.save(update_fields=["status", "last_error", "failed_at", "updated_at"])
        record(
            "notify.message.failed",
            actor=None,
            agency=locked.agency_id,
            target=locked,
            before={"status": before},
            after={
                "status": Status.FAILED,
                "channel": locked.channel,
                "event": locked.event,
                "object": f"{locked.object_type}:{locked.object_id}",
                "attempts": locked.attempts,
                "reason": reason[:500],
            },
        )
    logger.error("notify: message %s failed: %s", msg.pk, reason)


def mark_sent(msg: Message, result: SendResult) -> None:
    """Record the provider's acceptance and its ids, then any receipt already known for them."""
    now = timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=msg.pk)
        for part, ref in enumerate(result.references, start=1):
            ProviderReference.objects.get_or_create(
                provider=locked.provider, reference=ref, defaults={"message": locked, "part": part}
            )
        if locked.status != Status.DELIVERED:
            locked.status = Status.SENT
            locked.sent_at = locked.sent_at or now
            locked.provider_message_id = result.references[0] if result.references else ""
            locked.last_error = ""
            locked.failed_at = None
            locked.save(
                update_fields=[
                    "status",
                    "sent_at",
                    "provider_message_id",
                    "last_error",
                    "failed_at",
                    "updated_at",
                ]
            )
        DeliveryReceipt.objects.filter(
            provider=locked.provider, reference__in=result.references, message__isnull=True
        ).update(message=locked)
        for receipt in result.receipts:
            _store_receipt(locked.provider, receipt, locked)
        _settle(locked)


# --- receipts -------------------------------------------------------------------------------------------


def _store_receipt(provider: str, receipt: Receipt, message: Message | None) -> bool:
    try:
        with transaction.atomic():
            DeliveryReceipt.objects.create(
                provider=provider,
                reference=receipt.reference[:128],
                state=receipt.state,
                error=receipt.error[:255],
                raw=receipt.raw,
                message=message,
            )
    except IntegrityError:
        return False  # the same report again (callback retried, SMSC redelivered)
    return True


def _settle(msg: Message) -> None:
    """Status from the receipts: any part undeliverable → failed; every part delivered → delivered."""
    if msg.status != Status.SENT:
        return
    refs = set(msg.references.values_list("reference", flat=True))
    receipts = list(msg.receipts.all())
    failed = [r for r in receipts if r.state == DeliveryReceipt.State.FAILED]
    if failed:
        _fail(msg, _("Nhà mạng báo không chuyển được tin (%(error)s).") % {"error": failed[0].error or "-"})
        return
    delivered = {r.reference for r in receipts if r.state == DeliveryReceipt.State.DELIVERED}
    if refs and refs <= delivered:
        msg.status = Status.DELIVERED
        msg.delivered_at = timezone.now()
        msg.save(update_fields=["status", "delivered_at", "updated_at"])


def record_receipt(*, provider: str, receipt: Receipt) -> DeliveryReceipt | None:
    """Apply a delivery report; a repeated report changes nothing. A report for an id not recorded yet is
    kept and applied when the sending side records it. Returns the stored receipt (None if repeated)."""
    with transaction.atomic():
        ref = (
            ProviderReference.objects.select_related("message")
            .filter(provider=provider, reference=receipt.reference)
            .first()
        )
        message = Message.objects.select_for_update().get(pk=ref.message_id) if ref else None
        if not _store_receipt(provider, receipt, message):
            return None
        if message is not None:
            _settle(message)
        return DeliveryReceipt.objects.get(
            provider=provider, reference=receipt.reference, state=receipt.state
        )


# --- sweep ----------------------------------------------------------------------------------------------


def sweep(now: dt.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Periodic safety net: re-enqueue due messages whose task was lost, and settle messages left
    ``sending`` by a dead worker (resent only through an idempotent provider, otherwise failed)."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.EGOV_NOTIFY_LEASE_SECONDS)
    counts = {"enqueued": 0, "requeued": 0, "failed": 0}
    stale = Message.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease).order_by("claimed_at")
    for msg in stale[:limit]:
        if _provider_is_idempotent(msg.provider):
            with transaction.atomic():
                if Message.objects.filter(pk=msg.pk, status=Status.SENDING, claimed_at=msg.claimed_at).update(
                    status=Status.QUEUED, next_attempt_at=now, enqueued_at=now, updated_at=now
                ):
                    _enqueue(msg.pk)
                    counts["requeued"] += 1
        else:
            _fail(
                msg,
                _(
                    "Tiến trình gửi bị gián đoạn sau khi chuyển tin cho nhà cung cấp; không rõ tin đã đến "
                    "hay chưa nên không gửi lại tự động (tránh gửi trùng). Cán bộ có thể gửi lại."
                ),
            )
            counts["failed"] += 1
    lost = Message.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - lease)
    )
    for pk in lost.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            if Message.objects.filter(pk=pk, status=Status.QUEUED).update(enqueued_at=now):
                _enqueue(pk)
                counts["enqueued"] += 1
    return counts


# --- officer and administrator actions ------------------------------------------------------------------


def resend(*, actor: Any, message: Message) -> Message:
    """Gửi lại: a failed message queued again as a new message (same text and recipient)."""
    from egov.directory import selectors as directory

    if message.status != Status.FAILED:
        raise ValidationError(_("Chỉ gửi lại được thông báo đã gửi lỗi."))
    if not (
        directory.is_system_admin(actor)
        or (message.agency_id is not None and message.agency_id in directory.member_agency_ids(actor))
    ):
        raise PermissionDenied(_("Bạn không có quyền gửi lại thông báo của cơ quan này."))
    now = timezone.now()
    with transaction.atomic():
        copy = Message.objects.create(
            channel=message.channel,
            recipient=message.recipient,
            user=message.user,
            event=message.event,
            subject=message.subject,
            body=message.body,
            object_type=message.object_type,
            object_id=message.object_id,
            agency=message.agency,
            encoding=message.encoding,
            segments=message.segments,
            next_attempt_at=now,
            enqueued_at=now,
        )
        record(
            "notify.message.resend",
            actor=actor,
            agency=message.agency_id,
            target=copy,
            after={"resend_of": message.pk, "channel": copy.channel, "event": copy.event},
        )
        _enqueue(copy.pk)
    return copy


def update_template(*, actor: Any, template: Template, subject: str, body: str) -> Template:
    """Sửa mẫu thông báo (system administrators): placeholders are checked against the event."""
    from egov.directory import selectors as directory

    if actor is not None and not directory.is_system_admin(actor):
        raise PermissionDenied(_("Chỉ quản trị hệ thống được sửa mẫu thông báo."))
    with transaction.atomic():
        locked = Template.objects.select_for_update().get(pk=template.pk)
        before = snapshot(locked, ["subject", "body"])
        locked.subject, locked.body = subject, body
        locked.full_clean()
        locked.save()
        record(
            "notify.template.update",
            actor=actor,
            target=locked,
            before=before,
            after=snapshot(locked, ["subject", "body"]),
        )
    return locked


def set_preference(*, actor: Any, user: Any, sms: bool, email: bool) -> Preference:
    """A person's choice of channels; only the person or a system administrator may change it."""
    from egov.directory import selectors as directory

    if actor is not None and actor.pk != user.pk and not directory.is_system_admin(actor):
        raise PermissionDenied(_("Bạn không thể đổi tùy chọn nhận thông báo của người khác."))
    with transaction.atomic():
        pref, _created = Preference.objects.select_for_update().get_or_create(user=user)
        before = {"sms": pref.sms, "email": pref.email}
        pref.sms, pref.email = sms, email
        pref.save()
        record(
            "notify.preference.update",
            actor=actor,
            target=pref,
            before=before,
            after={"sms": sms, "email": email},
        )
    return pref
