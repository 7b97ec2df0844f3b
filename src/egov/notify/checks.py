"""System checks of the notification settings (``egov check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def notify_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from egov.notify.sms.registry import registry

    problems: list[checks.CheckMessage] = []
    name = settings.EGOV_SMS_PROVIDER
    if name not in registry:
        known = ", ".join(sorted(registry))
        problems.append(
            checks.Error(
                f"EGOV_SMS_PROVIDER={name!r} is not a known provider ({known})", id="egov.notify.E001"
            )
        )
    elif name == "http" and not settings.EGOV_SMS_HTTP_URL:
        problems.append(checks.Error("EGOV_SMS_PROVIDER=http needs EGOV_SMS_HTTP_URL", id="egov.notify.E002"))
    elif name == "smpp" and not settings.EGOV_SMPP_HOST:
        problems.append(checks.Error("EGOV_SMS_PROVIDER=smpp needs EGOV_SMPP_HOST", id="egov.notify.E003"))
    if settings.EGOV_SMPP_CONCAT not in ("udh", "sar"):
        problems.append(checks.Error("EGOV_SMPP_CONCAT must be 'udh' or 'sar'", id="egov.notify.E004"))
    if getattr(settings, "PRODUCTION", False) and name == "console":
        problems.append(
            checks.Warning(
                "EGOV_SMS_PROVIDER=console in production: SMS are only written to the log",
                id="egov.notify.W001",
            )
        )
    if getattr(settings, "PRODUCTION", False) and name == "http" and not settings.EGOV_SMS_CALLBACK_SECRET:
        problems.append(
            checks.Warning(
                "EGOV_SMS_CALLBACK_SECRET is empty: delivery reports of the HTTP gateway are refused",
                id="egov.notify.W002",
            )
        )
    return problems
