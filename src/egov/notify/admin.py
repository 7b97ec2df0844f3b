"""Admin: templates are editable (saved through ``services.update_template``, so audited and validated);
messages, receipts are read-only; preferences through ``services.set_preference``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.notify import services
from egov.notify.models import DeliveryReceipt, Message, Preference, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "language", "subject", "updated_at")
    list_filter = ("channel", "event")
    readonly_fields = ("event", "channel", "language", "updated_at")
    fields = ("event", "channel", "language", "subject", "body", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one template per event and channel, seeded by the migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        services.update_template(actor=request.user, template=obj, subject=obj.subject, body=obj.body)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnly):
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "event",
        "status",
        "attempts",
        "provider",
        "segments",
    )
    list_filter = ("status", "channel", "event", "provider")
    search_fields = ("recipient", "provider_message_id", "object_id", "uuid")
    list_select_related = ("agency",)


@admin.register(DeliveryReceipt)
class DeliveryReceiptAdmin(ReadOnly):
    list_display = ("received_at", "provider", "reference", "state", "error", "message")
    list_filter = ("provider", "state")
    search_fields = ("reference",)


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "sms", "email", "updated_at")
    search_fields = ("user__username", "user__full_name")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Preference, form: Any, change: bool) -> None:
        services.set_preference(actor=request.user, user=obj.user, sms=obj.sms, email=obj.email)
