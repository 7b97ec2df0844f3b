"""WSGI entry point (gunicorn: ``egov.wsgi:application``).

One Django, two handlers. People's browsers and the REST API go through every middleware of
``settings.MIDDLEWARE``. The provincial LGSP document-axis interface under ``/lgsp/`` is used only by
document systems that authenticate each request with ``X-SystemId``/``X-SecretKey``: sessions, cookies,
CSRF, language choice, messages, CSP, htmx and login throttling mean nothing to them, so their requests go
through :data:`MACHINE_MIDDLEWARE` only (HTTPS rules, and the request id and client IP that audit rows
carry). On the hub's hottest path that saves about half a millisecond of CPU per packet
(``docs/performance.md``, "Exchange hub"). The LGSP views check credentials themselves and are exempt from
CSRF either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")

MACHINE_PREFIXES = ("/lgsp/",)
MACHINE_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "egov.core.middleware.RequestContextMiddleware",
)


class MachineHandler(WSGIHandler):
    """A handler whose middleware chain keeps only :data:`MACHINE_MIDDLEWARE` (in settings order)."""

    def load_middleware(self, is_async: bool = False) -> None:
        from django.conf import settings

        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [m for m in full if m in MACHINE_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


_web = get_wsgi_application()
_machine = MachineHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    handler = _machine if path.startswith(MACHINE_PREFIXES) else _web
    return handler(environ, start_response)
