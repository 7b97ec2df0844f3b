from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from egov.core import context

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy, REMOTE_ADDR is set from X-Forwarded-For by the proxy configuration
    # (gunicorn --forwarded-allow-ips); egov never trusts the header itself.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (kept from ``X-Request-ID`` when valid) and records the client IP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(REQUEST_ID_HEADER, "")
        request_id = incoming if incoming.isalnum() and 8 <= len(incoming) <= 64 else context.new_request_id()
        source = "api" if request.path.startswith("/api/") else "web"
        with context.bind(request_id=request_id, ip=client_ip(request), source=source):
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class AuditActorMiddleware:
    """After authentication: records the user (and the agency chosen in the session) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, so no signed-in user: skip loading the (lazy) user — the anonymous reads
            # (public status look-up, portal pages) stay cheap.
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context.update(user_id=user.pk, agency_id=request.session.get("acting_agency_id"))
        return self.get_response(request)


class VietnameseFirstMiddleware:
    """The interface speaks Vietnamese unless the user chose English with the language switch (cookie).

    Runs before ``LocaleMiddleware``: the browser's ``Accept-Language`` is ignored, so a civil servant on an
    English-configured browser still gets Vietnamese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META["HTTP_ACCEPT_LANGUAGE"] = settings.LANGUAGE_CODE
        return self.get_response(request)
