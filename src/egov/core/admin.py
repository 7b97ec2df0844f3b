from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.core.models import CalendarOverride, ScheduledRun, WorkerHeartbeat
from egov.core.services import set_calendar_override


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Lịch làm việc: holidays moved and make-up working days decided by the government."""

    list_display = ("date", "is_working_day", "reason")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = set_calendar_override(
            actor=request.user, date=obj.date, is_working_day=obj.is_working_day, reason=obj.reason
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "queues", "started_at", "last_seen")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScheduledRun)
class ScheduledRunAdmin(admin.ModelAdmin):
    list_display = ("job", "period_start", "claimed_by", "claimed_at", "task_result_id")
    list_filter = ("job",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
