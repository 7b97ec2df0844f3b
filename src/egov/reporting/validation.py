"""Validation of a report's values against its regime's form (biểu mẫu số liệu).

Errors (the report cannot be sent; nothing is written):

* an unknown indicator or category row, a value of the wrong kind (text for a number, a fraction for an
  integer), a value outside the indicator's range (numbers are non-negative unless the indicator allows
  negative values; percentages lie between 0 and 100 unless the indicator says otherwise);
* when sending (not for a draft): a required manual indicator left empty (every row of a required table);
  parts whose sum differs from their total (``Indicator.parent``).

Warnings (kept with the version, shown to the sender and the receiver; they never block): a number that
changed by more than the indicator's ``max_change_percent`` (default ``EGOV_REPORTING_JUMP_WARNING_PERCENT``)
since the same agency's previous period.

Input shape: ``{indicator_code: value}``; a table indicator takes ``{row_code: number}``. Numbers may be
JSON numbers or strings (``"1234.5"``, ``"1234,5"``).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from egov.reporting.models import Indicator

Kind = Indicator.Kind
MAX_TEXT = 20000
MAX_ABS = Decimal("1e17")
HUNDRED = Decimal(100)


@dataclass
class Checked:
    """Normalised values (JSON), value rows to store and warnings."""

    values: dict[str, Any] = field(default_factory=dict)
    rows: list[tuple[Indicator, str, Decimal | None, str]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def to_json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: an int when integral, else a float (at most 6 decimals are stored)."""
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 6))


def _parse_number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(str(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        number = Decimal(text)
    else:
        raise ValueError
    if not number.is_finite() or abs(number) >= MAX_ABS:
        raise ValueError
    return number


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _range_error(indicator: Indicator, number: Decimal) -> str | None:
    low = indicator.min_value
    high = indicator.max_value
    if low is None:
        low = Decimal(0)
    if high is None and indicator.kind == Kind.PERCENT:
        high = HUNDRED
    if number < low or (high is not None and number > high):
        if high is None:
            return _("phải từ %(min)s trở lên.") % {"min": to_json_number(low)}
        return _("phải nằm trong khoảng %(min)s đến %(max)s.") % {
            "min": to_json_number(low),
            "max": to_json_number(high),
        }
    return None


def _number(indicator: Indicator, raw: Any, label: str) -> Decimal:
    try:
        number = _parse_number(raw)
    except (ValueError, decimal.InvalidOperation):
        raise ValueError(_("%(label)s: “%(raw)s” không phải là số.") % {"label": label, "raw": raw}) from None
    if indicator.kind in (Kind.INTEGER, Kind.TABLE) and number != number.to_integral_value():
        raise ValueError(_("%(label)s phải là số nguyên.") % {"label": label})
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        number = round(number, 6)
    problem = _range_error(indicator, number)
    if problem:
        raise ValueError(f"{label} {problem}")
    return number


def check(
    indicators: Iterable[Indicator],
    raw_values: Any,
    *,
    complete: bool,
    previous: Mapping[tuple[str, str], Decimal] | None = None,
) -> Checked:
    """Check ``raw_values`` against the indicators; raise ``ValidationError`` with one message per indicator
    (keys: indicator codes, or ``values``), else return the normalised values, rows and warnings."""
    if not isinstance(raw_values, Mapping):
        raise ValidationError({"values": _("Số liệu phải là một đối tượng {mã chỉ tiêu: giá trị}.")})
    by_code = {i.code: i for i in indicators}
    errors: dict[str, list[str]] = {}
    unknown = sorted(str(k) for k in raw_values if k not in by_code)
    if unknown:
        errors["values"] = [_("Chỉ tiêu không có trong biểu mẫu: %(codes)s.") % {"codes": ", ".join(unknown)}]
    result = Checked()
    numbers: dict[str, Decimal] = {}
    for code, indicator in by_code.items():
        raw = raw_values.get(code)
        label = f"{indicator.name} ({code})"
        try:
            if indicator.kind == Kind.TABLE:
                _check_table(indicator, raw, label, complete, result)
            elif indicator.kind == Kind.TEXT:
                if _is_blank(raw):
                    if complete and indicator.required and indicator.source == Indicator.Source.MANUAL:
                        raise ValueError(_("%(label)s là chỉ tiêu bắt buộc.") % {"label": label})
                    continue
                if not isinstance(raw, str):
                    raise ValueError(_("%(label)s phải là văn bản.") % {"label": label})
                if len(raw) > MAX_TEXT:
                    raise ValueError(_("%(label)s dài quá %(n)s ký tự.") % {"label": label, "n": MAX_TEXT})
                result.values[code] = raw.strip()
                result.rows.append((indicator, "", None, raw.strip()))
            else:
                if _is_blank(raw):
                    if complete and indicator.required and indicator.source == Indicator.Source.MANUAL:
                        raise ValueError(_("%(label)s là chỉ tiêu bắt buộc.") % {"label": label})
                    continue
                number = _number(indicator, raw, label)
                numbers[code] = number
                result.values[code] = to_json_number(number)
                result.rows.append((indicator, "", number, ""))
        except ValueError as exc:
            errors.setdefault(code, []).append(str(exc))
    if complete:
        _check_sums(by_code, numbers, errors)
    if errors:
        raise ValidationError(errors)
    if previous:
        result.warnings = _jumps(result, previous)
    return result


def _check_table(indicator: Indicator, raw: Any, label: str, complete: bool, result: Checked) -> None:
    required = complete and indicator.required and indicator.source == Indicator.Source.MANUAL
    if _is_blank(raw) or raw == {}:
        if required:
            raise ValueError(_("%(label)s là chỉ tiêu bắt buộc.") % {"label": label})
        return
    if not isinstance(raw, Mapping):
        raise ValueError(_("%(label)s phải có dạng {mã dòng: số}.") % {"label": label})
    codes = indicator.row_codes()
    unknown = sorted(str(k) for k in raw if k not in codes)
    if unknown:
        raise ValueError(
            _("%(label)s: dòng không có trong danh mục: %(rows)s.")
            % {"label": label, "rows": ", ".join(unknown)}
        )
    names = {str(r.get("code")): str(r.get("name", r.get("code"))) for r in indicator.rows}
    clean: dict[str, int | float] = {}
    for row in codes:
        value = raw.get(row)
        row_label = f"{label}, {names.get(row, row)}"
        if _is_blank(value):
            if required:
                raise ValueError(_("%(label)s là chỉ tiêu bắt buộc.") % {"label": row_label})
            continue
        number = _number(indicator, value, row_label)
        clean[row] = to_json_number(number)
        result.rows.append((indicator, row, number, ""))
    result.values[indicator.code] = clean


def _check_sums(
    by_code: Mapping[str, Indicator], numbers: dict[str, Decimal], errors: dict[str, list[str]]
) -> None:
    parts: dict[int, list[Indicator]] = {}
    for indicator in by_code.values():
        if indicator.parent_id is not None:
            parts.setdefault(indicator.parent_id, []).append(indicator)
    for total in by_code.values():
        children = parts.get(total.pk, [])
        if not children or total.code not in numbers:
            continue
        if any(child.code not in numbers for child in children):
            continue
        found = sum((numbers[child.code] for child in children), Decimal(0))
        if found != numbers[total.code]:
            errors.setdefault(total.code, []).append(
                _("Tổng các chỉ tiêu thành phần (%(parts)s) là %(sum)s, khác %(total)s của %(name)s.")
                % {
                    "parts": ", ".join(c.code for c in children),
                    "sum": to_json_number(found),
                    "total": to_json_number(numbers[total.code]),
                    "name": total.name,
                }
            )


def _jumps(result: Checked, previous: Mapping[tuple[str, str], Decimal]) -> list[dict[str, Any]]:
    default = Decimal(settings.EGOV_REPORTING_JUMP_WARNING_PERCENT)
    warnings = []
    for indicator, row, number, _text in result.rows:
        if number is None or (indicator.code, row) not in previous:
            continue
        before = previous[(indicator.code, row)]
        limit = Decimal(indicator.max_change_percent) if indicator.max_change_percent is not None else default
        if before == 0:
            if number == 0:
                continue
            change = None
        else:
            change = abs(number - before) / abs(before) * HUNDRED
            if change <= limit:
                continue
        label = indicator.name + (f", {row}" if row else "")
        if change is None:
            message = _("%(label)s: kỳ trước là 0, kỳ này là %(now)s.") % {
                "label": label,
                "now": to_json_number(number),
            }
        else:
            message = _("%(label)s thay đổi %(pct)s%% so với kỳ trước (%(before)s → %(now)s).") % {
                "label": label,
                "pct": to_json_number(round(change, 1)),
                "before": to_json_number(before),
                "now": to_json_number(number),
            }
        warnings.append(
            {
                "indicator": indicator.code,
                "row": row,
                "previous": to_json_number(before),
                "value": to_json_number(number),
                "change_percent": to_json_number(round(change, 1)) if change is not None else None,
                "message": message,
            }
        )
    return warnings
