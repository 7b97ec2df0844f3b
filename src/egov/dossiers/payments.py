"""Payment providers for fees (phí, lệ phí) of dossiers: a small registry, like the SMS providers.

A provider takes a pending :class:`~egov.dossiers.models.Payment` and answers with a :class:`Charge`
(reference of the transaction, success). Two are built in:

* ``desk`` — cash or card at the one-stop desk, recorded by the officer (the reference is the officer's,
  optional);
* ``sandbox`` — a local stand-in for an online gateway (PayGov, a bank): always succeeds unless asked to fail,
  with a deterministic reference, so tests and demos go through the same interface a real gateway will use.

A real gateway registers itself with :func:`register` (its callback view then calls
``services.record_payment``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Charge:
    ok: bool
    reference: str = ""
    message: str = ""


class Provider(Protocol):
    name: str
    label: Any
    citizen_can_use: bool

    def charge(self, *, payment: Any, reference: str = "", **options: Any) -> Charge: ...


class DeskProvider:
    name = "desk"
    label = gettext_lazy("Nộp trực tiếp tại Bộ phận Một cửa")
    citizen_can_use = False

    def charge(self, *, payment: Any, reference: str = "", **options: Any) -> Charge:
        return Charge(ok=True, reference=reference.strip())


class SandboxProvider:
    name = "sandbox"
    label = gettext_lazy("Cổng thanh toán thử nghiệm")
    citizen_can_use = True

    def charge(self, *, payment: Any, reference: str = "", **options: Any) -> Charge:
        if options.get("fail"):
            return Charge(ok=False, message=_("Giao dịch bị từ chối (thử nghiệm)."))
        digest = hashlib.sha256(f"{payment.pk}:{payment.amount}".encode()).hexdigest()[:12].upper()
        return Charge(ok=True, reference=reference.strip() or f"SBX-{payment.pk}-{digest}")


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _providers[provider.name] = provider
    return provider


def get(name: str) -> Provider:
    try:
        return _providers[name]
    except KeyError:
        raise ValidationError(
            {"method": _("Hình thức thanh toán “%(m)s” không được hỗ trợ.") % {"m": name}}
        ) from None


def available() -> list[Provider]:
    return list(_providers.values())


register(DeskProvider())
register(SandboxProvider())
