"""egov's own exchange API (``/api/v1/exchange/``), beside the LGSP-compatible interface (``/lgsp/v1/``).

Two audiences:

* **Connected document systems** (other egov instances, third-party systems, the parent hub) authenticate
  with ``X-SystemId`` / ``X-SecretKey`` like on the LGSP interface. They send a packet as the raw request
  body (streamed to disk, never held in memory), page through their inbox with a cursor (no 1,000-item cap),
  fetch a packet's bytes (streamed, with its SHA-256) and acknowledge it. The same hub services as LGSP do the
  work (``exchange.hub``): store-and-forward, durable before "201", a resend answers the first packet.
* **Officials**: the outbox of their agencies (what was queued for the axis, sent, or failed and why) with a
  retry for failed packets; system administrators see the connected systems.

Refusals keep the axis's numeric code next to the message: ``{"detail": "...", "code": 22}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.core.api import ValuesRows
from egov.directory import selectors as directory
from egov.directory.api.views import FORBIDDEN, NOT_FOUND, caller
from egov.exchange import agency, hub, selectors
from egov.exchange.api.authentication import HubSystemAuthentication, IsHubSystem, system_of
from egov.exchange.api.serializers import (
    AcceptedPacketSerializer,
    AckSerializer,
    ErrorSerializer,
    InboxFilterSerializer,
    InboxItemSerializer,
    OrganSerializer,
    OutboundFilterSerializer,
    OutboundSerializer,
    SystemSerializer,
)
from egov.exchange.hub import HubError
from egov.exchange.models import Delivery, HubOrgan, OutboundPacket

REFUSED = OpenApiResponse(ErrorSerializer, description="Refused; nothing stored. `code` is the axis's code.")
CHUNK = 1024 * 1024
SYSTEM_AUTH = [HubSystemAuthentication, TokenAuthentication, SessionAuthentication]
HTTP_STATUS = {
    HubError.SENDER_NOT_REGISTERED: status.HTTP_403_FORBIDDEN,
    HubError.RECIPIENT_LOCKED: status.HTTP_403_FORBIDDEN,
    HubError.SYSTEM_ERROR: status.HTTP_500_INTERNAL_SERVER_ERROR,
}


def refusal(exc: HubError, default: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": exc.message, "code": exc.code}, status=HTTP_STATUS.get(exc.code, default))


class EdxmlBodyParser(BaseParser):
    """The packet is the request body. It is never parsed here: the view streams ``request.stream``."""

    media_type = "application/xml"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream


class AnyBodyNegotiation(BaseContentNegotiation):
    """Packets are sent as application/xml, text/xml or application/octet-stream; answers are JSON (the
    packet download is not rendered by DRF), so a client never gets 406/415 for its Accept header."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class PacketSubmitView(APIView):
    authentication_classes = SYSTEM_AUTH
    metadata_class = None
    permission_classes = [IsHubSystem]
    parser_classes = [EdxmlBodyParser]
    content_negotiation_class = AnyBodyNegotiation

    @extend_schema(
        operation_id="exchange_packet_send",
        summary="Send an edXML packet (document or status) to the hub",
        request={"application/xml": OpenApiTypes.BINARY, "application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "message_type",
                str,
                description="edoc, status, revocation, update, replacement; `auto` (default) reads it from "
                "the packet (status packet, or its BussinessDocType).",
                enum=["auto", "edoc", "status", "revocation", "update", "replacement"],
            )
        ],
        responses={
            201: AcceptedPacketSerializer,
            200: OpenApiResponse(AcceptedPacketSerializer, description="The same bytes were sent before."),
            400: REFUSED,
            403: REFUSED,
        },
    )
    def post(self, request: Request) -> Response:
        system = system_of(request)
        raw = request._request  # the Django request: read the body in chunks, never whole
        started = timezone.now()
        try:
            packet = hub.accept_packet(
                system=system,
                stream=iter(lambda: raw.read(CHUNK), b""),
                message_type=(request.query_params.get("message_type") or hub.AUTO).strip().lower(),
            )
        except HubError as exc:
            return refusal(exc)
        duplicate = packet.received_at < started
        data = AcceptedPacketSerializer(packet, context={"duplicate": duplicate}).data
        return Response(data, status=status.HTTP_200_OK if duplicate else status.HTTP_201_CREATED)


# The inbox list reads flat rows (``values()``) and formats them with the serializer's own fields: a
# recipient polling a busy hub lists hundreds of rows a second (docs/performance.md, "Exchange hub").
INBOX_ROWS = ValuesRows(InboxItemSerializer, "id")


class InboxPagination(CursorPagination):
    ordering = ("created_at", "id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


class InboxViewSet(viewsets.GenericViewSet[Delivery]):
    """The calling system's inbox: packets waiting for its agencies."""

    authentication_classes = SYSTEM_AUTH
    metadata_class = None
    permission_classes = [IsHubSystem]
    serializer_class = InboxItemSerializer
    pagination_class = InboxPagination
    queryset = Delivery.objects.none()
    lookup_field = "packet"
    lookup_value_regex = "[^/]+"

    def _delivery(self, packet: str) -> Delivery:
        try:
            return hub.delivery_for(system_of(self.request), packet)
        except HubError as exc:
            raise Http404(exc.message) from exc

    @extend_schema(
        operation_id="exchange_inbox_list",
        summary="Packets waiting for the calling system (oldest first, cursor-paginated)",
        parameters=[InboxFilterSerializer],
    )
    def list(self, request: Request) -> Response:
        filters = InboxFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = hub.inbox(system_of(request), **filters.validated_data)
        page = self.paginate_queryset(qs.values(*INBOX_ROWS.columns))
        return self.get_paginated_response(INBOX_ROWS(page or []))

    @extend_schema(
        operation_id="exchange_inbox_retrieve", responses={200: InboxItemSerializer, 404: NOT_FOUND}
    )
    def retrieve(self, request: Request, packet: str) -> Response:
        return Response(InboxItemSerializer(self._delivery(packet)).data)

    @extend_schema(
        operation_id="exchange_inbox_content",
        summary="The packet's bytes (application/xml, streamed); marks it fetched",
        responses={(200, "application/xml"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=AnyBodyNegotiation)
    def content(self, request: Request, packet: str) -> FileResponse:
        delivery = self._delivery(packet)
        hub.mark_fetched(delivery)
        response = FileResponse(delivery.packet.file.open("rb"), content_type="application/xml")
        response["X-Content-SHA256"] = delivery.packet.sha256
        response["ETag"] = f'"{delivery.packet.sha256}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = f'attachment; filename="{delivery.packet_id}.edxml"'
        return response

    @extend_schema(
        operation_id="exchange_inbox_ack",
        summary="Acknowledge a packet: done (stored by the recipient) or fail (with the reason)",
        request=AckSerializer,
        responses={200: InboxItemSerializer, 400: REFUSED, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def ack(self, request: Request, packet: str) -> Response:
        body = AckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self._delivery(packet)  # 404 before anything else
        try:
            delivery = hub.acknowledge(system=system_of(request), doc_id=packet, **body.validated_data)
        except HubError as exc:
            return refusal(exc)
        return Response(InboxItemSerializer(delivery).data)


class OrganListView(generics.ListAPIView[HubOrgan]):
    """Agencies reachable through this hub (OrganId and name), for the calling system's address book."""

    authentication_classes = SYSTEM_AUTH
    metadata_class = None
    permission_classes = [IsHubSystem]
    serializer_class = OrganSerializer
    pagination_class = None

    def get_queryset(self) -> Any:
        return HubOrgan.objects.filter(active=True).order_by("organ_id")

    @extend_schema(operation_id="exchange_organ_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class OutboxViewSet(viewsets.ReadOnlyModelViewSet[OutboundPacket]):
    """Packets queued for the axis by the caller's agencies: sent, waiting or failed (with the reason)."""

    serializer_class = OutboundSerializer
    metadata_class = None

    def get_queryset(self) -> Any:
        qs = selectors.outbound_visible_to(self.request.user)
        if self.action == "list":
            filters = OutboundFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            qs = qs.filter(**filters.validated_data)
        return qs

    @extend_schema(operation_id="exchange_outbox_list", parameters=[OutboundFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="exchange_outbox_retry",
        summary="Send a failed packet again (clerks and administrators of the sending agency)",
        request=None,
        responses={200: OutboundSerializer, 400: REFUSED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        packet = self.get_object()
        packet = agency.retry_outbound(actor=caller(request), packet=packet)
        return Response(OutboundSerializer(packet).data)


class SystemListView(generics.ListAPIView[Any]):
    """Connected systems with what waits for them (system administrators)."""

    serializer_class = SystemSerializer
    metadata_class = None

    def get_queryset(self) -> Any:
        if not directory.is_system_admin(self.request.user):
            raise PermissionDenied("Chỉ quản trị hệ thống mới xem được các hệ thống kết nối.")
        return selectors.systems_overview()

    @extend_schema(
        operation_id="exchange_system_list", responses={200: SystemSerializer(many=True), 403: FORBIDDEN}
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
