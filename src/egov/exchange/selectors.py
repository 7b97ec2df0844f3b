"""Reads of the exchange app for officials: the outbox of their agencies, the connected systems."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from egov.directory import selectors as directory
from egov.exchange.models import Delivery, HubSystem, OutboundPacket


def outbound_agency_id(packet: OutboundPacket) -> int | None:
    """The agency that sends ``packet``: the issuer of the document, or the recipient reporting a status."""
    if packet.recipient is not None:
        return int(packet.recipient.document.agency_id)
    if packet.incoming is not None:
        return int(packet.incoming.agency_id)
    return None


def outbound_visible_to(user: Any) -> QuerySet[OutboundPacket]:
    """Packets queued for the axis by the agencies where ``user`` holds a position (all for system
    administrators), newest first."""
    qs = OutboundPacket.objects.select_related("recipient__document", "incoming")
    qs = qs.order_by("-created_at", "-id")
    if directory.is_system_admin(user):
        return qs
    ids = directory.member_agency_ids(user)
    return qs.filter(Q(recipient__document__agency_id__in=ids) | Q(incoming__agency_id__in=ids))


def systems_overview() -> QuerySet[HubSystem]:
    """Connected systems with their organs and what waits for them (system administrators only)."""
    waiting = Q(deliveries__state__in=[Delivery.State.PENDING, Delivery.State.FETCHED])
    return HubSystem.objects.annotate(
        organ_count=Count("organs", distinct=True),
        waiting=Count("deliveries", filter=waiting, distinct=True),
        failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED), distinct=True),
    ).order_by("system_id")
