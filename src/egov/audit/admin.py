from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: audit rows can be looked at, never added, changed or deleted."""

    list_display = (
        "chain",
        "seq",
        "created_at",
        "actor_label",
        "agency",
        "action",
        "object_type",
        "object_id",
        "ip",
    )
    list_filter = ("action", "object_type", "source")
    search_fields = ("action", "object_type", "object_id", "actor_label", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("agency",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
