"""Template filters of the citizen portal."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def vnd(value: Any) -> str:
    """An amount in đồng with Vietnamese thousands separators: 50000 → ``50.000``."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
