"""Template helpers of the staff interface: Vietnamese dates, the administrator check of the header."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def vndate(value: Any) -> str:
    """A date (or the local date of a datetime) as dd/mm/yyyy; empty for ``None``."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


@register.filter
def vndatetime(value: Any) -> str:
    """A datetime as ``dd/mm/yyyy HH:MM`` in the local time zone."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%d/%m/%Y %H:%M")
    return vndate(value)


@register.simple_tag(takes_context=True)
def is_system_admin(context: template.Context) -> bool:
    """Whether the signed-in user is a system administrator (computed once per request)."""
    request = context.get("request")
    user = context.get("user")
    if request is None or user is None or not user.is_authenticated:
        return False
    cached = getattr(request, "_egov_is_system_admin", None)
    if cached is None:
        from egov.directory.selectors import is_system_admin as check

        cached = check(user)
        request._egov_is_system_admin = cached
    return bool(cached)


@register.filter
def minutes(value: Any) -> int:
    """A ``timedelta`` (or seconds) as whole minutes, rounded up."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    else:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            return 0
    return max(0, int(-(-seconds // 60)))
