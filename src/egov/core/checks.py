"""Production safety checks (``EGOV_PRODUCTION=1``).

Registered as Django system checks with ``deploy`` semantics but run on every start in production mode:
an error stops ``egov serve``/``egov worker`` and names the setting to fix.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

INSECURE_KEY_PREFIX = "django-insecure"


@checks.register(checks.Tags.security)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    errors: list[checks.CheckMessage] = []

    def fail(ident: str, msg: str, hint: str) -> None:
        errors.append(checks.Error(msg, hint=hint, id=f"egov.{ident}"))

    if (
        not settings.SECRET_KEY
        or len(settings.SECRET_KEY) < 40
        or settings.SECRET_KEY.startswith(INSECURE_KEY_PREFIX)
    ):
        fail("E001", "SECRET_KEY is unset or weak.", "Set SECRET_KEY to at least 40 random characters.")
    if settings.DEBUG:
        fail("E002", "EGOV_DEBUG is on in production.", "Unset EGOV_DEBUG or set it to 0.")
    hosts = set(settings.ALLOWED_HOSTS)
    if not hosts or "*" in hosts:
        fail("E003", "EGOV_ALLOWED_HOSTS is empty or '*'.", "List the host names that serve egov.")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        fail("E004", "DATABASE_URL is not PostgreSQL.", "Use postgres://user:pass@host/db in production.")
    if not settings.SESSION_COOKIE_SECURE:
        fail("E005", "EGOV_HTTPS is off: cookies would travel in clear.", "Serve over HTTPS, EGOV_HTTPS=1.")
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        fail("E006", "EGOV_EMAIL_BACKEND is a development backend.", "Use the SMTP backend.")
    return errors
