"""Registry of SMS providers, in the manner of Open Forms' plugin registries::

    from egov.notify.sms.registry import register

    @register("myprovider")
    class MyProvider(SmsProvider): ...

``EGOV_SMS_PROVIDER`` names the provider in use; :func:`get_provider` builds it from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from egov.notify.sms.base import SmsProvider


class Registry:
    def __init__(self) -> None:
        self._providers: dict[str, type[SmsProvider]] = {}

    def __call__(self, name: str) -> Callable[[type[SmsProvider]], type[SmsProvider]]:
        def decorator(cls: type[SmsProvider]) -> type[SmsProvider]:
            if name in self._providers and self._providers[name] is not cls:
                raise ValueError(f"SMS provider {name!r} is registered twice")
            cls.name = name
            self._providers[name] = cls
            return cls

        return decorator

    def __getitem__(self, name: str) -> type[SmsProvider]:
        _load_builtin()
        try:
            return self._providers[name]
        except KeyError:
            raise ImproperlyConfigured(
                f"EGOV_SMS_PROVIDER={name!r}: no such SMS provider (known: {', '.join(sorted(self))})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        _load_builtin()
        return iter(self._providers)

    def __contains__(self, name: object) -> bool:
        _load_builtin()
        return name in self._providers


registry = Registry()
register = registry


def _load_builtin() -> None:
    from egov.notify.sms import console, http, smpp  # noqa: F401  (registration side effect)


def get_provider(name: str | None = None) -> SmsProvider:
    return registry[name or settings.EGOV_SMS_PROVIDER]()
