"""Delivery reports pushed by the HTTP SMS gateway: ``POST /notify/callback/<provider>/``.

Authenticated by the shared secret ``EGOV_SMS_CALLBACK_SECRET`` in the ``X-Egov-Callback-Secret`` header
(constant-time comparison); CSRF-exempt (a machine caller). Body: one report or a list of reports::

    {"message_id": "gw-123", "status": "delivered" | "failed" | "accepted", "error": "..."}

Idempotent: a report received twice is stored once. Unknown ids are stored and applied when the sending
side records the id (a report may arrive before the worker has committed ``sent``).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from egov.core import context
from egov.notify import services
from egov.notify.sms.base import Receipt

CALLBACK_PROVIDERS = {"http"}
STATES = {
    "delivered": "delivered",
    "delivrd": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "undeliv": "failed",
    "rejected": "failed",
    "expired": "failed",
    "accepted": "accepted",
    "sent": "accepted",
    "enroute": "accepted",
}
MAX_BODY = 1024 * 1024


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@csrf_exempt
@require_POST
def callback(request: HttpRequest, provider: str) -> JsonResponse:
    if provider not in CALLBACK_PROVIDERS:
        return _error("unknown provider", 404)
    secret = settings.EGOV_SMS_CALLBACK_SECRET
    given = request.headers.get("X-Egov-Callback-Secret", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return _error("bad or missing X-Egov-Callback-Secret", 403)
    if len(request.body) > MAX_BODY:
        return _error("body too large", 413)
    try:
        data: Any = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error("body is not JSON", 400)
    items = data if isinstance(data, list) else [data]
    receipts = []
    for item in items:
        if not isinstance(item, dict):
            return _error("each report must be an object", 400)
        ref = str(item.get("message_id") or "").strip()
        state = STATES.get(str(item.get("status") or "").strip().lower())
        if not ref or len(ref) > 128 or state is None:
            return _error(f"report needs message_id and a status among {sorted(STATES)}", 400)
        receipts.append(
            Receipt(reference=ref, state=state, error=str(item.get("error") or "")[:255], raw=item)
        )
    stored = 0
    with context.bind(source="api"):
        for receipt in receipts:
            if services.record_receipt(provider=provider, receipt=receipt) is not None:
                stored += 1
    return JsonResponse({"ok": True, "received": len(receipts), "new": stored})
