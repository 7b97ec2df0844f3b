"""HTTP gateway provider: one JSON ``POST`` per message to ``EGOV_SMS_HTTP_URL``.

Request (``Authorization: Bearer EGOV_SMS_HTTP_TOKEN``, ``Idempotency-Key: <message uuid>``)::

    {"to": "84912345678", "sender": "UBND TP", "text": "...", "reference": "<message uuid>",
     "encoding": "ucs2", "segments": 2, "callback_url": "https://.../notify/callback/http/"}

Answer 200/201/202 with ``{"message_id": "..."}``. Connection errors, timeouts, 408, 429 and 5xx are
temporary (retried); other 4xx are permanent. The gateway must deduplicate on ``Idempotency-Key`` (the
same key answers with the first message id): this makes the provider safe to call again after a crash.
Delivery reports come back to ``POST /notify/callback/http/`` (see :mod:`egov.notify.views`).
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from egov.notify.sms.base import OutgoingSms, PermanentFailure, SendResult, SmsProvider, TemporaryFailure
from egov.notify.sms.registry import register


@register("http")
class HttpGatewayProvider(SmsProvider):
    idempotent = True

    def __init__(self) -> None:
        self.url = settings.EGOV_SMS_HTTP_URL
        self.token = settings.EGOV_SMS_HTTP_TOKEN
        self.timeout = settings.EGOV_SMS_HTTP_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("EGOV_SMS_PROVIDER=http needs EGOV_SMS_HTTP_URL")

    def callback_url(self) -> str:
        return settings.SITE_URL.rstrip("/") + "/notify/callback/http/"

    def send(self, message: OutgoingSms) -> SendResult:
        payload: dict[str, Any] = {
            "to": message.to,
            "sender": message.sender,
            "text": message.sms.text,
            "reference": message.reference,
            "encoding": message.sms.encoding,
            "segments": message.sms.segments,
            "callback_url": self.callback_url(),
        }
        headers = {"Idempotency-Key": message.reference, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TemporaryFailure(f"SMS gateway unreachable: {exc}") from exc
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TemporaryFailure(f"SMS gateway answered {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS gateway refused ({response.status_code}): {response.text[:200]}")
        try:
            data = response.json()
            message_id = str(data["message_id"])
        except (ValueError, KeyError, TypeError) as exc:
            # Accepted (2xx) but unreadable: the gateway may have taken it; asking again with the same
            # Idempotency-Key is safe and returns the id.
            raise TemporaryFailure(f"SMS gateway answer without message_id: {response.text[:200]}") from exc
        return SendResult(references=[message_id])
