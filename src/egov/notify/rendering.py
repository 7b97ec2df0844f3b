"""Rendering templates: ``str.format`` placeholders by name, values formatted the Vietnamese way.

Dates are written dd/mm/yyyy, date-times HH:MM dd/mm/yyyy (local time), amounts (``amount`` and any name
ending in ``_amount``) as ``1.200.000 đồng``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import string
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_formatter = string.Formatter()


class MissingPlaceholders(ValueError):
    """The context given to ``notify`` lacks values the event's templates need."""


def template_fields(text: str) -> list[str]:
    """The placeholder names used in ``text``; raises ``ValidationError`` on anything but ``{name}``."""
    try:
        parsed = list(_formatter.parse(text))
    except ValueError as exc:
        raise ValidationError(_("Mẫu có dấu ngoặc nhọn không hợp lệ: %(error)s") % {"error": exc}) from exc
    names = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValidationError(
                _("Chỉ dùng tham số dạng {ten_tham_so}; “{%(field)s}” không hợp lệ.") % {"field": field}
            )
        names.append(field)
    return names


def validate_template_text(text: str, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = sorted(set(template_fields(text)) - allowed)
    if unknown:
        raise ValidationError(
            _("Tham số không có trong sự kiện này: %(unknown)s. Tham số được dùng: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}
        )


def format_amount(value: int | decimal.Decimal) -> str:
    whole = int(decimal.Decimal(value).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    sign = "-" if whole < 0 else ""
    return f"{sign}{abs(whole):,}".replace(",", ".") + " đồng"


def format_value(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    is_amount_name = name == "amount" or name.endswith("_amount")
    if is_amount_name and isinstance(value, int | decimal.Decimal) and not isinstance(value, bool):
        return format_amount(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def prepare_context(context: Mapping[str, Any], required: Iterable[str], event: str) -> dict[str, str]:
    missing = [name for name in required if name not in context]
    if missing:
        raise MissingPlaceholders(
            f"notify(event={event!r}): the context lacks {', '.join(missing)} "
            f"(the event needs: {', '.join(required)})"
        )
    return {name: format_value(name, value) for name, value in context.items()}


def render(text: str, values: Mapping[str, str]) -> str:
    return text.format_map(values).strip() if text else ""
