"""Shapes of egov's own exchange API (``/api/v1/exchange/``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from egov.exchange.models import Delivery, HubOrgan, HubSystem, OutboundPacket, Packet


class RouteSerializer(serializers.Serializer[Any]):
    organ_id = serializers.CharField()
    route = serializers.ChoiceField(
        choices=Delivery.Route.choices, help_text="local, or parent (national axis)"
    )


class AcceptedPacketSerializer(serializers.ModelSerializer[Packet]):
    """What the hub stored: the packet is durable before this answer is sent."""

    duplicate = serializers.SerializerMethodField(help_text="True when the same bytes had been sent before.")
    recipients = serializers.SerializerMethodField()

    class Meta:
        model = Packet
        fields = [
            "id",
            "message_type",
            "document_id",
            "sender_organ_id",
            "business_type",
            "status_code",
            "subject",
            "size",
            "sha256",
            "signature",
            "received_at",
            "trace",
            "duplicate",
            "recipients",
        ]

    def get_duplicate(self, obj: Packet) -> bool:
        return bool(self.context.get("duplicate"))

    def get_recipients(self, obj: Packet) -> list[dict[str, str]]:
        rows = obj.deliveries.order_by("id").values("organ_id", "route")
        return [{"organ_id": r["organ_id"], "route": r["route"]} for r in rows]


class InboxItemSerializer(serializers.ModelSerializer[Delivery]):
    """One packet waiting for (or taken by) the calling system."""

    packet = serializers.UUIDField(source="packet_id")
    message_type = serializers.CharField(source="packet.message_type")
    document_id = serializers.CharField(source="packet.document_id")
    sender_organ_id = serializers.CharField(source="packet.sender_organ_id")
    sender_name = serializers.CharField(source="packet.sender_name")
    business_type = serializers.IntegerField(source="packet.business_type", allow_null=True)
    status_code = serializers.CharField(source="packet.status_code")
    subject = serializers.CharField(source="packet.subject")
    size = serializers.IntegerField(source="packet.size")
    sha256 = serializers.CharField(source="packet.sha256")
    signature = serializers.CharField(source="packet.signature")
    trace = serializers.JSONField(source="packet.trace")

    class Meta:
        model = Delivery
        fields = [
            "packet",
            "organ_id",
            "state",
            "message_type",
            "document_id",
            "sender_organ_id",
            "sender_name",
            "business_type",
            "status_code",
            "subject",
            "size",
            "sha256",
            "signature",
            "trace",
            "created_at",
            "fetched_at",
            "done_at",
            "last_error",
        ]


class InboxFilterSerializer(serializers.Serializer[Any]):
    message_type = serializers.ChoiceField(choices=Packet.MessageType.choices, required=False)
    since = serializers.DateTimeField(required=False, help_text="Received at or after (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Received before (ISO 8601).")
    include_done = serializers.BooleanField(required=False, default=False)


class AckSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[("done", "done"), ("fail", "fail")],
        help_text="done: the packet is safely stored by the recipient; fail: it could not be taken (reason).",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class OrganSerializer(serializers.ModelSerializer[HubOrgan]):
    class Meta:
        model = HubOrgan
        fields = ["organ_id", "name"]


class OutboundSerializer(serializers.ModelSerializer[OutboundPacket]):
    """A packet this instance queued for the axis on behalf of one of its agencies."""

    agency = serializers.SerializerMethodField(help_text="The sending agency (id in the directory).")
    document = serializers.SerializerMethodField(help_text="The outgoing document (for kind=document).")

    class Meta:
        model = OutboundPacket
        fields = [
            "id",
            "kind",
            "agency",
            "document",
            "incoming",
            "organ_id",
            "document_id",
            "message_type",
            "status_code",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "remote_id",
            "created_at",
            "sent_at",
        ]

    def get_agency(self, obj: OutboundPacket) -> int | None:
        from egov.exchange.selectors import outbound_agency_id

        return outbound_agency_id(obj)

    def get_document(self, obj: OutboundPacket) -> int | None:
        return obj.recipient.document_id if obj.recipient is not None else None


class OutboundFilterSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=OutboundPacket.State.choices, required=False)
    kind = serializers.ChoiceField(choices=OutboundPacket.Kind.choices, required=False)


class SystemSerializer(serializers.ModelSerializer[HubSystem]):
    organ_count = serializers.IntegerField()
    waiting = serializers.IntegerField(help_text="Packets pending or fetched but not acknowledged.")
    failed = serializers.IntegerField()

    class Meta:
        model = HubSystem
        fields = [
            "id",
            "system_id",
            "name",
            "is_parent",
            "active",
            "created_at",
            "rotated_at",
            "organ_count",
            "waiting",
            "failed",
        ]


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    code = serializers.IntegerField(help_text="The numeric code of the LGSP axis (10, 18, 19, 21, 22 …).")
