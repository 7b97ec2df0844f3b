"""SMS through the HTTP gateway provider and its delivery-report callback."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.utils import timezone

from egov.notify import services
from egov.notify.models import DeliveryReceipt, Message
from egov.notify.tests.conftest import context

URL = "/notify/callback/http/"


def later(msg: Message) -> dt.datetime:
    msg.refresh_from_db()
    assert msg.next_attempt_at is not None
    return msg.next_attempt_at + dt.timedelta(seconds=1)


SECRET = "cb-secret-123456789"


def post(payload: object, secret: str = SECRET) -> Any:
    return Client().post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        headers={"X-Egov-Callback-Secret": secret},
    )


def queue() -> Message:
    (msg,) = services.notify(event="dossier.processing", context=context(), phone="0987654321")
    return msg


def test_gateway_down_then_up_one_delivery(templates, gateway) -> None:
    gateway.fail_next = [503, 502]
    msg = queue()
    assert services.deliver(msg.pk) == "retry"
    assert services.deliver(msg.pk, now=later(msg)) == "retry"
    assert services.deliver(msg.pk, now=later(msg)) == "sent"
    assert len(gateway.accepted) == 1
    sent = gateway.accepted[0]
    assert sent["text"] == msg.body and sent["to"] == "84987654321" and sent["segments"] == msg.segments
    assert sent["_headers"]["idempotency-key"] == str(msg.uuid) == sent["reference"]
    assert sent["callback_url"].endswith(URL)
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.provider_message_id == "gw-1" and msg.attempts == 3


def test_bad_token_is_permanent(templates, gateway) -> None:
    gateway.token = "other"
    msg = queue()
    assert services.deliver(msg.pk) == "failed"
    msg.refresh_from_db()
    assert "401" in msg.last_error


def test_callback_marks_delivered_idempotently(templates, gateway) -> None:
    msg = queue()
    services.deliver(msg.pk)
    assert post({"message_id": "gw-1", "status": "delivered"}, secret="wrong").status_code == 403
    assert Client().post(URL, data="{}", content_type="application/json").status_code == 403
    response = post({"message_id": "gw-1", "status": "delivered"})
    assert response.status_code == 200 and response.json() == {"ok": True, "received": 1, "new": 1}
    assert post({"message_id": "gw-1", "status": "delivered"}).json()["new"] == 0  # repeated report
    msg.refresh_from_db()
    assert msg.status == "delivered" and msg.delivered_at
    assert DeliveryReceipt.objects.filter(reference="gw-1").count() == 1
    assert post({"message_id": "gw-1", "status": "bogus"}).status_code == 400
    assert (
        Client()
        .post(
            URL,
            data="not json",
            content_type="application/json",
            headers={"X-Egov-Callback-Secret": "cb-secret-123456789"},
        )
        .status_code
        == 400
    )


def test_callback_disabled_without_secret(templates, gateway, settings) -> None:
    settings.EGOV_SMS_CALLBACK_SECRET = ""
    assert post({"message_id": "gw-1", "status": "delivered"}, secret="").status_code == 403


def test_report_before_the_sent_commit_is_applied_later(templates, gateway) -> None:
    msg = queue()
    assert post([{"message_id": "gw-1", "status": "delivered"}]).status_code == 200  # unknown id yet
    assert DeliveryReceipt.objects.get(reference="gw-1").message is None
    services.deliver(msg.pk)
    msg.refresh_from_db()
    assert msg.status == "delivered"


def test_failed_report(templates, gateway) -> None:
    msg = queue()
    services.deliver(msg.pk)
    post({"message_id": "gw-1", "status": "undelivered", "error": "absent subscriber"})
    msg.refresh_from_db()
    assert msg.status == "failed" and "absent subscriber" in msg.last_error


def test_interrupted_send_is_resent_with_the_same_key(templates, gateway, settings) -> None:
    """Worker died after the gateway accepted: the sweep resends (the HTTP provider is idempotent) and the
    gateway recognises the key, so the citizen gets one SMS."""
    msg = queue()
    services.deliver(msg.pk)
    Message.objects.filter(pk=msg.pk).update(status="sending", claimed_at=timezone.now())  # as if it died
    lease = dt.timedelta(seconds=settings.EGOV_NOTIFY_LEASE_SECONDS)
    assert services.sweep(now=timezone.now() + 2 * lease)["requeued"] == 1
    assert services.deliver(msg.pk, now=timezone.now() + 2 * lease) == "sent"
    assert len(gateway.requests) == 2 and len(gateway.accepted) == 1
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.references.count() == 1
