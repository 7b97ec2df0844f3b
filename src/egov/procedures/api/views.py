"""Procedure catalogue REST API: public reads (the catalogue is public information; the citizen portal and
agency systems use it), writes for system administrators through ``procedures.services``.

Reads are ``AllowAny``; writes need a staff account (``IsStaffUser``: 401 anonymous, 403 citizens) and then
``procedures.services`` decides (403 with the Vietnamese reason for anyone but a system administrator, or an
administrator of every executing agency for steps and papers).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from egov.core.permissions import IsStaffUser
from egov.directory.api.filters import parse
from egov.directory.api.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND
from egov.procedures import selectors, services
from egov.procedures.api.serializers import (
    FieldSerializer,
    FilterSerializer,
    GroupSerializer,
    ProcedureDetailSerializer,
    ProcedureSerializer,
    ProcedureWriteSerializer,
)
from egov.procedures.models import Field, Procedure, ProcedureGroup

CODE_REGEX = r"[0-9A-Za-z]{1,3}\.[0-9]{6}(?:\.[0-9A-Za-z]+)*"
UNAUTHORIZED = OpenApiResponse(description="Not signed in (writes need a staff account).")


class CatalogueViewSet(viewsets.GenericViewSet):
    """Public reads; no ``OPTIONS`` metadata (the OpenAPI schema describes the API)."""

    metadata_class = None

    def get_permissions(self) -> list[Any]:
        if self.request is not None and self.request.method in permissions.SAFE_METHODS:
            return [permissions.AllowAny()]
        return [IsStaffUser()]

    def paginated(self, queryset: Any, serializer_class: Any) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)


def _specs(data: dict[str, Any]) -> dict[str, Any]:
    """Validated request data → keyword arguments of the services."""
    out = dict(data)
    if "methods" in out:
        out["methods"] = [services.MethodSpec(**m) for m in out["methods"]]
    if "papers" in out:
        out["papers"] = [services.PaperSpec(**p) for p in out["papers"]]
    if "steps" in out:
        out["steps"] = [services.StepSpec(**s) for s in out["steps"]]
    if "agencies" in out:
        out["agencies"] = [services.AgencySpec(a["agency"], a["role"]) for a in out["agencies"]]
    if "legal_bases" in out:
        out["legal_bases"] = [dict(b) for b in out["legal_bases"]]
    return out


@extend_schema(tags=["procedures"])
@extend_schema_view(
    list=extend_schema(
        summary="Search the procedure catalogue",
        description="Thủ tục hành chính in force. Public (no sign-in). `search` is accent-insensitive "
        "(“dang ky khai sinh” finds “Đăng ký khai sinh”) and matches every word in the code, name or "
        "executing agency.",
        parameters=[FilterSerializer],
        responses={200: ProcedureSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One procedure",
        description="Everything about a procedure by its national code (1.001193): execution methods "
        "(working days, fees in đồng), required papers with the blank-form download URL, process steps, "
        "agencies and legal bases. Public.",
        responses={200: ProcedureDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Add a procedure",
        description="System administrators only. Code (1.001234), name, field code and, optionally, the "
        "methods, papers, steps and agencies; all validated together (steps within the shortest legal "
        "time, a receiving agency when the procedure takes dossiers). Nothing written on error.",
        request=ProcedureWriteSerializer,
        responses={201: ProcedureDetailSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change a procedure",
        description="Fields sent are changed; a list (methods, papers, steps, agencies) replaces the whole "
        "section. System administrators; steps and papers alone also the administrators of every executing "
        "agency. One audit row. Nothing written on error.",
        request=ProcedureWriteSerializer,
        responses={
            200: ProcedureDetailSerializer,
            400: BAD_REQUEST,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
class ProcedureViewSet(CatalogueViewSet):
    queryset = Procedure.objects.none()
    serializer_class = ProcedureSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX
    http_method_names = ["get", "head", "post", "patch"]

    def list(self, request: Request) -> Response:
        params = parse(FilterSerializer, request)
        queryset = selectors.procedure_search(
            search=params.get("search", ""),
            field=params.get("field") or None,
            level=params.get("level"),
            agency=params.get("agency"),
            online_level=params.get("online_level"),
            channel=params.get("channel"),
        )
        return self.paginated(queryset, ProcedureSerializer)

    def _detail(self, code: str, *, include_inactive: bool = False) -> Procedure:
        procedure = selectors.procedure_detail(code, include_inactive=include_inactive)
        if procedure is None:
            raise Http404
        return procedure

    def retrieve(self, request: Request, code: str) -> Response:
        procedure = self._detail(code)
        return Response(ProcedureDetailSerializer(procedure, context=self.get_serializer_context()).data)

    def create(self, request: Request) -> Response:
        if not services.can_manage_catalogue(request.user):  # before looking at the body
            raise PermissionDenied(_("Chỉ quản trị hệ thống mới được thay đổi danh mục thủ tục hành chính."))
        body = ProcedureWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = _specs(dict(body.validated_data))
        missing = [k for k in ("code", "name", "field") if k not in data]
        if missing:
            return Response(
                {k: ["Trường này là bắt buộc."] for k in missing}, status=status.HTTP_400_BAD_REQUEST
            )
        procedure = services.create_procedure(actor=request.user, **data)
        detail = self._detail(procedure.code, include_inactive=True)
        return Response(
            ProcedureDetailSerializer(detail, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request: Request, code: str) -> Response:
        procedure = self._detail(code, include_inactive=True)
        if not services.can_edit_template(request.user, procedure):  # services check the exact rule again
            raise PermissionDenied(_("Bạn không có quyền thay đổi thủ tục này."))
        body = ProcedureWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = _specs(dict(body.validated_data))
        if data.pop("code", procedure.code) != procedure.code:
            return Response({"code": ["Không thể đổi mã thủ tục."]}, status=status.HTTP_400_BAD_REQUEST)
        services.update_procedure(actor=request.user, procedure=procedure, **data)
        detail = self._detail(code, include_inactive=True)
        return Response(ProcedureDetailSerializer(detail, context=self.get_serializer_context()).data)


@extend_schema(tags=["procedures"])
@extend_schema_view(
    list=extend_schema(
        summary="Procedure fields",
        description="Lĩnh vực with the number of procedures in force in each. Public.",
        responses={200: FieldSerializer(many=True)},
    )
)
class FieldViewSet(CatalogueViewSet):
    queryset = Field.objects.none()
    serializer_class = FieldSerializer

    def list(self, request: Request) -> Response:
        return self.paginated(selectors.fields_with_counts(), FieldSerializer)


@extend_schema(tags=["procedures"])
@extend_schema_view(
    list=extend_schema(
        summary="Inter-linked procedure groups",
        description="Nhóm thủ tục liên thông (Nghị định 63/2024) with their procedures in order. Public.",
        responses={200: GroupSerializer(many=True)},
    )
)
class GroupViewSet(CatalogueViewSet):
    queryset = ProcedureGroup.objects.none()
    serializer_class = GroupSerializer

    def list(self, request: Request) -> Response:
        return self.paginated(selectors.groups(), GroupSerializer)
