"""Directory REST API: agencies, people, positions, delegations and the caller's own account.

Thin views: reads go through ``directory.selectors`` (which filter by what the caller may see), every change
through ``directory.services`` (which check the permission again, validate, and write the audit row).
Objects the caller may not see answer 404; agencies, which every staff account may read, answer 403 to a
change the caller may not make. Agencies are never deleted: there is no ``DELETE``; ``close`` ends them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from egov.core.permissions import IsStaffUser
from egov.directory import selectors, services
from egov.directory.api import filters
from egov.directory.api.serializers import (
    AgencyChildCreateSerializer,
    AgencyCloseSerializer,
    AgencyCreateSerializer,
    AgencyDetailSerializer,
    AgencySerializer,
    AgencyUpdateSerializer,
    DelegationCreateSerializer,
    DelegationSerializer,
    MeSerializer,
    PersonCreateSerializer,
    PersonSerializer,
    PositionCreateSerializer,
    PositionEndSerializer,
    PositionSerializer,
)
from egov.directory.models import Agency, Delegation, Position, PositionQuerySet, User

BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: `{field: [messages]}` (or `non_field_errors`). Nothing written.",
)
FORBIDDEN = OpenApiResponse(OpenApiTypes.OBJECT, description="Not allowed for the caller. Nothing written.")
NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="No such object, or not visible to the caller.")


def caller(request: Request) -> User:
    """The authenticated staff account of the request (``IsStaffUser`` has let it through)."""
    assert isinstance(request.user, User)
    return request.user


class CanManageAgency(permissions.BasePermission):
    """Reading an agency is open to every staff account; changing it needs :func:`selectors.can_manage_agency`
    (``directory.services`` checks it again)."""

    message = "Bạn không có quyền quản trị cơ quan này."

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return selectors.can_manage_agency(request.user, obj)


class DirectoryViewSet(viewsets.GenericViewSet):
    """Common settings: numeric ids in URLs; no ``OPTIONS`` metadata (the OpenAPI schema describes the
    API, and ``OPTIONS`` would answer 200 even on objects the caller may not see)."""

    metadata_class = None
    lookup_value_regex = r"[0-9]+"

    def paginated(self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)


# --- Agencies -------------------------------------------------------------------------------------------


@extend_schema(tags=["agencies"])
@extend_schema_view(
    list=extend_schema(
        summary="List agencies",
        description="Cơ quan, đơn vị, ordered by their place in the tree. Current agencies only unless "
        "`include_past`. The directory is readable by every staff account.",
        parameters=[filters.AgencyFilterSerializer],
        responses={200: AgencySerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(summary="One agency", responses={200: AgencyDetailSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Create an agency",
        description="Administrators of the parent agency (or of an ancestor) and system administrators; a "
        "top-level agency (no `parent`) only system administrators.",
        request=AgencyCreateSerializer,
        responses={201: AgencyDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change an agency",
        description="Administrators of the agency (or of an ancestor) and system administrators. Send only "
        "the fields that change. To move an agency in the tree or close it, use the dedicated actions.",
        request=AgencyUpdateSerializer,
        responses={200: AgencyDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class AgencyViewSet(DirectoryViewSet):
    queryset = Agency.objects.none()
    serializer_class = AgencySerializer
    permission_classes = [IsStaffUser, CanManageAgency]
    http_method_names = ["get", "post", "patch", "head"]

    def get_queryset(self) -> QuerySet[Agency]:
        return selectors.agency_list(include_past=True).prefetch_related("predecessors", "successors")

    def list(self, request: Request) -> Response:
        params = filters.parse(filters.AgencyFilterSerializer, request)
        queryset = selectors.agency_list(
            search=params.get("search", ""),
            kind=params.get("kind", ""),
            parent=params.get("parent"),
            roots_only=params["roots"],
            include_past=params["include_past"],
            code=params.get("code", "").strip(),
        ).prefetch_related("predecessors", "successors")
        return self.paginated(queryset, AgencySerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AgencyDetailSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        body = AgencyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        parent = fields.pop("parent", None)
        agency = services.create_agency(actor=request.user, parent=parent, **fields)
        return Response(AgencyDetailSerializer(agency).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        agency = self.get_object()
        body = AgencyUpdateSerializer(agency, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        agency = services.update_agency(actor=request.user, agency=agency, **body.validated_data)
        return Response(AgencyDetailSerializer(agency).data)

    @extend_schema(
        methods=["GET"],
        summary="Subordinate agencies and internal units",
        parameters=[filters.ChildrenFilterSerializer],
        responses={200: AgencySerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Create a subordinate agency or internal unit",
        description="Administrators of this agency (or of an ancestor) and system administrators.",
        request=AgencyChildCreateSerializer,
        responses={201: AgencyDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get", "post"])
    def children(self, request: Request, pk: str) -> Response:
        parent = self.get_object()
        if request.method == "POST":
            body = AgencyChildCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            agency = services.create_agency(actor=request.user, parent=parent, **body.validated_data)
            return Response(AgencyDetailSerializer(agency).data, status=status.HTTP_201_CREATED)
        params = filters.parse(filters.ChildrenFilterSerializer, request)
        queryset = selectors.agency_children(parent, include_past=params["include_past"]).order_by(
            "kind", "name", "pk"
        )
        return self.paginated(queryset.prefetch_related("predecessors", "successors"), AgencySerializer)

    @extend_schema(
        summary="People of the agency",
        description="Current positions in the agency and its internal units. Only for staff of the agency's "
        "organisation (or acting in it by delegation) and system administrators.",
        responses={200: PositionSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def members(self, request: Request, pk: str) -> Response:
        agency = self.get_object()
        if not selectors.can_view_agency_members(request.user, agency):
            raise exceptions.PermissionDenied("Bạn không thuộc cơ quan này.")
        return self.paginated(
            selectors.agency_members(request.user, agency).order_by(
                "agency__path", "role", "user__full_name", "pk"
            ),
            PositionSerializer,
        )

    @extend_schema(
        summary="Close an agency",
        description="Giải thể, sáp nhập: the agency stays in the directory but is no longer valid after "
        "`last_day`. Agencies are never deleted.",
        request=AgencyCloseSerializer,
        responses={200: AgencyDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        agency = self.get_object()
        body = AgencyCloseSerializer(data=request.data, context={"agency": agency})
        body.is_valid(raise_exception=True)
        last_day = body.validated_data.get("last_day") or timezone.localdate()
        agency = services.close_agency(actor=request.user, agency=agency, last_day=last_day)
        return Response(AgencyDetailSerializer(agency).data)


# --- People ---------------------------------------------------------------------------------------------


@extend_schema(tags=["people"])
@extend_schema_view(
    list=extend_schema(
        summary="List staff",
        description="Cán bộ, công chức the caller may see: those holding a position in the caller's "
        "organisations (all of them for system administrators). Each shows only the positions the caller "
        "may see.",
        responses={200: PersonSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One staff member", responses={200: PersonSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Create a staff account",
        description="Agency administrators and system administrators. Give the account a position with "
        "`POST /api/v1/positions/`.",
        request=PersonCreateSerializer,
        responses={201: PersonSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
)
class PersonViewSet(DirectoryViewSet):
    queryset = User.objects.none()
    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[User]:
        return selectors.people_with_visible_positions(self.request.user).order_by(
            "full_name", "username", "pk"
        )

    def list(self, request: Request) -> Response:
        return self.paginated(self.get_queryset(), PersonSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PersonSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        body = PersonCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.create_staff_user(actor=request.user, **body.validated_data)
        return Response(PersonSerializer(user).data, status=status.HTTP_201_CREATED)


# --- Positions ------------------------------------------------------------------------------------------


@extend_schema(tags=["positions"])
@extend_schema_view(
    list=extend_schema(
        summary="List positions",
        description="Chức vụ the caller may see: in the caller's organisations, in agencies the caller "
        "administers, and the caller's own. Current ones only unless `include_past`.",
        parameters=[filters.PositionFilterSerializer],
        responses={200: PositionSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(summary="One position", responses={200: PositionSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Assign a position",
        description="Giao chức vụ. Administrators of the agency (or of an ancestor) and system "
        "administrators; the `system_admin` role only system administrators.",
        request=PositionCreateSerializer,
        responses={201: PositionSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
)
class PositionViewSet(DirectoryViewSet):
    queryset = Position.objects.none()
    serializer_class = PositionSerializer

    def get_queryset(self) -> PositionQuerySet:
        return selectors.positions_visible_to(self.request.user).order_by(
            "agency__path", "role", "user__full_name", "pk"
        )

    def list(self, request: Request) -> Response:
        params = filters.parse(filters.PositionFilterSerializer, request)
        queryset = self.get_queryset()
        if not params["include_past"]:
            queryset = queryset.active()
        if "agency" in params:
            queryset = queryset.filter(agency_id=params["agency"])
        if "user" in params:
            queryset = queryset.filter(user_id=params["user"])
        if params.get("role"):
            queryset = queryset.filter(role=params["role"])
        return self.paginated(queryset, PositionSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PositionSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        body = PositionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        position = services.assign_position(actor=request.user, **body.validated_data)
        return Response(PositionSerializer(position).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a position",
        description="Thôi giữ chức vụ from the day after `last_day`. Administrators of the agency (or of an "
        "ancestor) and system administrators.",
        request=PositionEndSerializer,
        responses={200: PositionSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        position = self.get_object()
        body = PositionEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        position = services.end_position(
            actor=request.user, position=position, last_day=body.validated_data.get("last_day")
        )
        return Response(PositionSerializer(position).data)


# --- Delegations ----------------------------------------------------------------------------------------


@extend_schema(tags=["delegations"])
@extend_schema_view(
    list=extend_schema(
        summary="List delegations",
        description="Ủy quyền the caller may see: in the caller's organisations, and those given or received "
        "by the caller (all of them for system administrators).",
        parameters=[filters.DelegationFilterSerializer],
        responses={200: DelegationSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(summary="One delegation", responses={200: DelegationSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Delegate a role",
        description="The holder of the role in the agency (the default `delegator`) or an administrator of "
        "the agency lets `delegate` act in that role between `starts_at` and `ends_at`.",
        request=DelegationCreateSerializer,
        responses={201: DelegationSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
)
class DelegationViewSet(DirectoryViewSet):
    queryset = Delegation.objects.none()
    serializer_class = DelegationSerializer

    def get_queryset(self) -> QuerySet[Delegation]:
        return selectors.delegations_visible_to(self.request.user).order_by("-starts_at", "-pk")

    def list(self, request: Request) -> Response:
        params = filters.parse(filters.DelegationFilterSerializer, request)
        queryset = self.get_queryset()
        if "agency" in params:
            queryset = queryset.filter(agency_id=params["agency"])
        if params.get("role"):
            queryset = queryset.filter(role=params["role"])
        in_force = Delegation.objects.active().values("pk")
        if params.get("active") is True:
            queryset = queryset.filter(pk__in=in_force)
        elif params.get("active") is False:
            queryset = queryset.exclude(pk__in=in_force)
        return self.paginated(queryset, DelegationSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(DelegationSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        body = DelegationCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        delegator = fields.pop("delegator", None) or caller(request)
        delegation = services.create_delegation(actor=request.user, delegator=delegator, **fields)
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a delegation",
        description="Thu hồi ủy quyền: the delegator or an administrator of the agency. Revoking twice is "
        "harmless.",
        request=None,
        responses={200: DelegationSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        delegation = services.revoke_delegation(actor=request.user, delegation=self.get_object())
        return Response(DelegationSerializer(delegation).data)


# --- The caller -----------------------------------------------------------------------------------------


class MeView(GenericAPIView):
    serializer_class = MeSerializer
    metadata_class = None

    @extend_schema(
        summary="The caller",
        tags=["me"],
        description="The caller's account, current positions, the delegations in force to them, and every "
        "(agency, role) they can act in now, by position or by delegation.",
        responses={200: MeSerializer},
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        positions = list(
            selectors.active_positions(user).select_related("user").order_by("agency__path", "role")
        )
        delegations = list(selectors.delegations_received(user))
        roles = [
            {
                "agency": p.agency,
                "role": p.role,
                "role_display": p.get_role_display(),
                "via": "position",
                "delegation": None,
            }
            for p in positions
        ] + [
            {
                "agency": d.agency,
                "role": d.role,
                "role_display": d.get_role_display(),
                "via": "delegation",
                "delegation": d.pk,
            }
            for d in delegations
        ]
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "full_name": user.full_name,
            "email": user.email,
            "phone": user.phone,
            "is_system_admin": selectors.is_system_admin(user),
            "positions": positions,
            "delegations": delegations,
            "roles": roles,
        }
        return Response(MeSerializer(data).data)
