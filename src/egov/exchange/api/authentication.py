"""Authentication of connected document systems on egov's own exchange API (``/api/v1/exchange/``).

The same credentials as the LGSP interface: headers ``X-SystemId`` and ``X-SecretKey`` (see
``exchange.hub.authenticate``). A request that carries them is authenticated as the :class:`HubSystem`
(``request.auth``; ``request.user`` stays anonymous, a system is not a person); wrong credentials answer 401
at once. A request without them falls through to the staff authenticators, so an official's token or
session reaches the operator endpoints and is refused by ``IsHubSystem`` on the system endpoints.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from egov.core import context
from egov.exchange import hub
from egov.exchange.hub import HubError
from egov.exchange.models import HubSystem

SYSTEM_HEADER = "X-SystemId"
SECRET_HEADER = "X-SecretKey"  # noqa: S105 - a header name


class HubSystemAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, HubSystem] | None:
        system_id = request.headers.get(SYSTEM_HEADER)
        if system_id is None:
            return None
        try:
            system = hub.authenticate(system_id, request.headers.get(SECRET_HEADER, ""))
        except HubError as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        context.update(source="exchange-api")
        return AnonymousUser(), system

    def authenticate_header(self, request: Request) -> str:
        return f'{SECRET_HEADER} realm="egov-exchange"'


class IsHubSystem(permissions.BasePermission):
    """Only a connected document system (never a person's account)."""

    message = "Chỉ hệ thống quản lý văn bản đã đăng ký với trục mới được gọi. / Connected systems only."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not implements(view, request.method or ""):
            return True  # let DRF answer 405 Method Not Allowed (it checks permissions first)
        return isinstance(request.auth, HubSystem)


def implements(view: Any, method: str) -> bool:
    """Whether ``view`` answers ``method`` (a ViewSet through its route's action map)."""
    method = method.lower()
    action_map = getattr(view, "action_map", None)
    if action_map is not None:
        return method in action_map
    return method != "options" and hasattr(view, method)


def system_of(request: Request) -> HubSystem:
    assert isinstance(request.auth, HubSystem)
    return request.auth


class HubSystemScheme(OpenApiAuthenticationExtension):
    target_class = "egov.exchange.api.authentication.HubSystemAuthentication"
    name = ["hubSystemId", "hubSecretKey"]  # both headers together

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "header", "name": SYSTEM_HEADER},
            {"type": "apiKey", "in": "header", "name": SECRET_HEADER},
        ]
