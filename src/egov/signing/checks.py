"""System checks of the signing app (``egov check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from egov.core.config import env


@checks.register(checks.Tags.security)
def key_passphrase_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False) or env("EGOV_SIGNING_KEY_PASSPHRASE", ""):
        return []
    return [
        checks.Warning(
            "EGOV_SIGNING_KEY_PASSPHRASE is not set: the private keys of certificates are encrypted with a "
            "passphrase derived from SECRET_KEY, and become unreadable if SECRET_KEY changes.",
            hint="Set EGOV_SIGNING_KEY_PASSPHRASE, then run 'egov manage signing_rekey' (docs/signing.md).",
            id="signing.W001",
        )
    ]


@checks.register()
def vietnamese_font_installed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from egov.signing import fonts

    try:
        fonts.font_set()
    except fonts.FontMissing as exc:
        return [checks.Warning(str(exc), hint="apt-get install fonts-dejavu-core", id="signing.W002")]
    return []
