"""Mã hồ sơ: dossier codes, unique, given when the dossier enters the system.

Two formats are registered; ``EGOV_DOSSIER_CODE_FORMAT`` chooses one:

* ``nd61`` (default) — Nghị định 61/2018: ``<QCVN 102 code of the receiving agency>-<yymmdd>-<nnnn>``,
  e.g. ``000.00.01.H99-260115-0001``;
* ``tt03`` — Thông tư 03/2025/TT-VPCP: ``<QĐ 20 code>-<yyyymmdd>-<nnnnnnn>``, e.g.
  ``G09.20-20260609-0000001``.

The sequence runs per (agency, day) and comes from the locked :class:`DossierCounter` row in the
transaction that saves the dossier: never duplicated, never skipped. Another format (a province's own, or the
national portal's ``GetNextValue``) is added with :func:`register_format`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from egov.directory.models import Agency
from egov.dossiers.models import DossierCounter


@dataclass(frozen=True)
class CodeFormat:
    """``prefix(agency)`` gives the agency part (raises ValidationError when the agency has no code);
    ``day_part(date)`` the date part; ``width`` the zero-padded sequence width."""

    name: str
    prefix: Callable[[Agency], str]
    day_part: Callable[[dt.date], str]
    width: int

    def scope(self, day: dt.date) -> str:
        return f"code:{day:%Y%m%d}"

    def format(self, agency: Agency, day: dt.date, number: int) -> str:
        return f"{self.prefix(agency)}-{self.day_part(day)}-{number:0{self.width}d}"


_formats: dict[str, CodeFormat] = {}


def register_format(fmt: CodeFormat) -> CodeFormat:
    _formats[fmt.name] = fmt
    return fmt


def _qcvn102(agency: Agency) -> str:
    code = agency.code_qcvn102 or ""
    if not code:
        raise ValidationError(
            {"agency": _("Cơ quan “%(a)s” chưa có mã định danh QCVN 102 để cấp mã hồ sơ.") % {"a": agency}}
        )
    return code


def _qd20(agency: Agency) -> str:
    code = agency.code_qd20 or ""
    if not code:
        raise ValidationError(
            {"agency": _("Cơ quan “%(a)s” chưa có mã định danh QĐ 20 để cấp mã hồ sơ.") % {"a": agency}}
        )
    return code


register_format(CodeFormat("nd61", _qcvn102, lambda d: f"{d:%y%m%d}", 4))
register_format(CodeFormat("tt03", _qd20, lambda d: f"{d:%Y%m%d}", 7))


def current_format() -> CodeFormat:
    name = settings.EGOV_DOSSIER_CODE_FORMAT
    try:
        return _formats[name]
    except KeyError:
        raise RuntimeError(
            f"EGOV_DOSSIER_CODE_FORMAT={name!r}: unknown (known: {sorted(_formats)})"
        ) from None


def take_next(agency: Agency, scope: str) -> int:
    """The next number of (agency, scope), from the row locked for the rest of the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("take_next() must run inside the transaction that uses the number")
    counter = DossierCounter.objects.select_for_update().filter(agency=agency, scope=scope).first()
    if counter is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent first number of the scope may win the insert
                DossierCounter.objects.create(agency=agency, scope=scope, last_number=0)
        except IntegrityError:
            pass
        counter = DossierCounter.objects.select_for_update().get(agency=agency, scope=scope)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def check_agency(agency: Agency) -> None:
    """Raise ValidationError when codes cannot be made for ``agency`` (before anything is written)."""
    current_format().prefix(agency)


def next_code(agency: Agency, day: dt.date) -> str:
    fmt = current_format()
    prefix_ok = fmt.prefix(agency)  # validate before taking a number
    del prefix_ok
    return fmt.format(agency, day, take_next(agency, fmt.scope(day)))


def next_group_code(agency: Agency, day: dt.date) -> str:
    """Mã hồ sơ liên thông: the dossier code form with an ``LT`` marker, its own daily sequence."""
    fmt = current_format()
    number = take_next(agency, f"group:{day:%Y%m%d}")
    return f"{fmt.prefix(agency)}-LT{fmt.day_part(day)}-{number:0{fmt.width}d}"
