"""Tra cứu hồ sơ: the public status look-up of a dossier code, and the one rate limiter it shares with the
portal page.

* ``GET /api/v1/public/dossiers/{code}/`` — anyone: status, dates, procedure and receiving agency of a
  dossier code (the code is on the receipt, mẫu 01, and in its QR code), never the applicant's personal data.
  An unknown code answers 404 after the same one query, so the answer tells nothing more than "no such code".
* :class:`PublicStatusThrottle` — look-ups per client IP address at ``EGOV_PUBLIC_STATUS_RATE`` (DRF rate
  syntax, e.g. ``30/minute``; empty = no limit). The API view and the portal page
  ``/dich-vu-cong/tra-cuu/<code>/`` (:func:`lookup_allowed`) count in the same bucket: ten look-ups on the
  page and twenty through the API are thirty look-ups of one caller.

The look-up is the hottest anonymous read of the platform (issue #5: 500/s), so its request path is trimmed:
no authentication (no session or token look-up; the answer is the same for everyone), no content
negotiation and no serializer — the row of one ``values()`` query is written as JSON directly, byte for byte
what :class:`~egov.dossiers.api.serializers.PublicStatusSerializer` gives (a test compares the two), and the
OpenAPI schema still names that serializer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, NoReturn, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.exceptions import APIException, Throttled
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from egov.core.middleware import client_ip
from egov.directory.api.views import NOT_FOUND
from egov.dossiers import selectors
from egov.dossiers.api import serializers as s
from egov.dossiers.models import Dossier

THROTTLED = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Too many look-ups (`EGOV_PUBLIC_STATUS_RATE`); see `Retry-After`."
)
DATETIME_FIELDS = ("submitted_at", "received_at", "due_at", "finished_at", "returned_at")


class PublicStatusThrottle(SimpleRateThrottle):
    """Look-ups of dossier codes per client IP address at ``EGOV_PUBLIC_STATUS_RATE`` (read at each request,
    so that tests and operators can change it), counted in Django's default cache; known and unknown codes
    count the same. The address is the one egov trusts everywhere (:func:`egov.core.middleware.client_ip`:
    ``REMOTE_ADDR``, which gunicorn sets from ``X-Forwarded-For`` only for ``--forwarded-allow-ips``), never
    a header the caller writes: DRF's own ``get_ident`` would believe any ``X-Forwarded-For``."""

    scope = "public_status"

    def get_rate(self) -> str | None:
        return str(getattr(settings, "EGOV_PUBLIC_STATUS_RATE", "") or "").strip() or None

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        try:
            return super().parse_rate(rate)
        except (ValueError, KeyError, IndexError) as exc:
            raise ImproperlyConfigured(
                f"EGOV_PUBLIC_STATUS_RATE={rate!r}: expected <n>/<second|minute|hour|day>, e.g. 30/minute"
            ) from exc

    def get_ident(self, request: Request) -> str:
        return client_ip(request) or "unknown"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupThrottled(Throttled):
    """429 of the API, in Vietnamese from start to end (DRF's own sentence about the wait is English)."""

    default_detail = gettext_lazy("Quá nhiều lượt tra cứu hồ sơ trong thời gian ngắn.")

    def __init__(self, wait: float | None = None, detail: Any = None, code: str | None = None) -> None:
        text = str(detail if detail is not None else self.default_detail)
        seconds = math.ceil(wait) if wait is not None else None
        if seconds is not None:
            again = ngettext(
                "Vui lòng thử lại sau %(seconds)s giây.", "Vui lòng thử lại sau %(seconds)s giây.", seconds
            ) % {"seconds": seconds}
            text = f"{text} {again}"
        APIException.__init__(self, text, code)
        self.wait = seconds


def lookup_allowed(request: HttpRequest) -> tuple[bool, int]:
    """For the portal page: ``(True, 0)`` when this look-up is within the caller's allowance (and counts it),
    else ``(False, seconds to wait)``. Same bucket as the API."""
    throttle = PublicStatusThrottle()
    if throttle.allow_request(cast(Request, request), cast(APIView, None)):
        return True, 0
    wait = throttle.wait()
    return False, max(1, math.ceil(wait if wait is not None else getattr(throttle, "duration", None) or 60))


class JSONOnlyNegotiation(BaseContentNegotiation):
    """Always JSON (the look-up has no HTML form of its own: the portal page is that)."""

    def select_parser(self, request: Request, parsers: Iterable[Any]) -> Any:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def _iso(value: Any) -> str | None:
    """A datetime as DRF's ``DateTimeField`` writes it: in the current time zone, ISO 8601, ``Z`` for UTC."""
    if not value:
        return None
    text = str(timezone.localtime(value).isoformat())
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def public_status_json(found: selectors.PublicStatus) -> bytes:
    """The JSON of ``PublicStatusSerializer(found).data`` as DRF's ``JSONRenderer`` writes it (compact,
    UTF-8, U+2028/U+2029 escaped), without building the serializer."""
    data = {
        "code": found.code,
        "status": found.status,
        "status_label": found.status_label,
        "procedure_code": found.procedure_code,
        "procedure_name": found.procedure_name,
        "agency_name": found.agency_name,
        **{name: _iso(getattr(found, name)) for name in DATETIME_FIELDS},
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


@extend_schema(tags=["public"])
@extend_schema_view(
    retrieve=extend_schema(
        operation_id="public_dossier_status",
        summary="Look up a dossier by its code",
        description="Tra cứu hồ sơ for anyone who has the code (on the receipt, mẫu 01): status, dates, "
        "procedure and receiving agency — never the applicant's personal data. Limited per caller by "
        "`EGOV_PUBLIC_STATUS_RATE`; an unknown code answers 404 and counts the same.",
        auth=[],
        responses={200: s.PublicStatusSerializer, 404: NOT_FOUND, 429: THROTTLED},
    )
)
class PublicDossierViewSet(viewsets.GenericViewSet):
    queryset = Dossier.objects.none()
    serializer_class = s.PublicStatusSerializer
    # Anonymous by design: no session, token or CSRF work (the answer does not depend on who asks).
    authentication_classes: list[Any] = []
    parser_classes: list[Any] = []  # GET only: nothing to parse
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicStatusThrottle]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnlyNegotiation
    metadata_class = None
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z.\-]{1,64}"

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise LookupThrottled(wait)

    def retrieve(self, request: Request, code: str) -> HttpResponse:
        found = selectors.public_status(code)
        if found is None:
            raise Http404
        response = HttpResponse(public_status_json(found), content_type="application/json")
        response["Cache-Control"] = "no-store"
        return response


__all__ = ["PublicDossierViewSet", "PublicStatusThrottle", "lookup_allowed", "public_status_json"]
