"""Read-only views of the hub and the outbox for system administrators; changes go through the services
(``egov exchange register-system`` etc.), so that they are audited and secrets are never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.exchange.models import Delivery, HubOrgan, HubSystem, InboundPacket, OutboundPacket, Packet


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HubSystem)
class HubSystemAdmin(ReadOnly):
    list_display = ("system_id", "name", "is_parent", "active", "created_at", "rotated_at")
    exclude = ("secret_hash", "previous_secret_hash")


@admin.register(HubOrgan)
class HubOrganAdmin(ReadOnly):
    list_display = ("organ_id", "name", "system", "active")
    search_fields = ("organ_id", "name")
    list_select_related = ("system",)


@admin.register(Packet)
class PacketAdmin(ReadOnly):
    list_display = (
        "received_at",
        "message_type",
        "document_id",
        "status_code",
        "sender_organ_id",
        "size",
        "hops",
    )
    list_filter = ("message_type",)
    search_fields = ("document_id", "sender_organ_id", "id")
    date_hierarchy = "received_at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("created_at", "packet", "organ_id", "route", "state", "attempts", "last_error")
    list_filter = ("state", "route")
    search_fields = ("organ_id", "packet__document_id")
    list_select_related = ("packet",)


@admin.register(OutboundPacket)
class OutboundPacketAdmin(ReadOnly):
    list_display = (
        "created_at",
        "kind",
        "document_id",
        "status_code",
        "organ_id",
        "state",
        "attempts",
        "last_error",
    )
    list_filter = ("state", "kind")
    search_fields = ("document_id", "organ_id")


@admin.register(InboundPacket)
class InboundPacketAdmin(ReadOnly):
    list_display = ("received_at", "kind", "document_id", "status_code", "sender_organ_id", "result")
    list_filter = ("kind",)
    search_fields = ("document_id", "sender_organ_id", "remote_id")
