"""Admin pages of the reporting app: read-only views (changes go through ``reporting.services``, which audit
them: regimes are created and edited by importing their JSON definition, through the API or the action
below) and a JSON export of regime definitions."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from egov.reporting import selectors
from egov.reporting.models import ExpectedReport, Indicator, Period, Regime, Reminder, Submission


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IndicatorInline(admin.TabularInline):
    model = Indicator
    fk_name = "regime"
    extra = 0
    fields = ("order", "code", "name", "unit", "kind", "aggregation", "required", "parent", "source")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description="Xuất định nghĩa chế độ báo cáo (JSON)")
def export_json(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Regime]) -> HttpResponse:
    data = [selectors.regime_definition(r) for r in queryset.order_by("code")]
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="che-do-bao-cao.json"'
    return response


@admin.register(Regime)
class RegimeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "frequency", "receiving_agency", "deadline_working_days", "active")
    list_filter = ("frequency", "active")
    search_fields = ("code", "name")
    inlines = [IndicatorInline]
    actions = [export_json]


@admin.register(Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ("regime", "key", "label", "start", "end", "deadline", "closed_at")
    list_filter = ("regime",)


@admin.register(ExpectedReport)
class ExpectedReportAdmin(ReadOnlyAdmin):
    list_display = ("period", "agency", "status", "submitted_at", "on_time")
    list_filter = ("status", "regime")
    list_select_related = ("period__regime", "agency")


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("expected", "version", "state", "submitted_at", "reviewed_at")
    list_filter = ("state",)
    list_select_related = ("expected__period__regime", "expected__agency")


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("expected", "kind", "on_date", "messages_queued")
