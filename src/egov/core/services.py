"""State changes of the shared kernels (audited like every other service)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from egov.audit.services import record, snapshot
from egov.core.models import CalendarOverride


@transaction.atomic
def set_calendar_override(
    *, actor: Any, date: dt.date, is_working_day: bool, reason: str
) -> CalendarOverride:
    """Record a government decision moving a holiday or a make-up working day (ngày làm bù)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from egov.directory.selectors import is_system_admin

    if actor is not None and not is_system_admin(actor):
        raise PermissionDenied("Chỉ quản trị hệ thống được sửa lịch làm việc.")
    if not reason.strip():
        raise ValidationError({"reason": "Cần ghi căn cứ (số quyết định, thông báo)."})
    existing = CalendarOverride.objects.select_for_update().filter(date=date).first()
    before = snapshot(existing) if existing else None
    override, _ = CalendarOverride.objects.update_or_create(
        date=date, defaults={"is_working_day": is_working_day, "reason": reason.strip()}
    )
    record("core.calendar.override", actor=actor, target=override, before=before, after=snapshot(override))
    return override
