"""Documents REST API: document types, registers, incoming and outgoing documents, file downloads.

Thin views: every read goes through ``documents.selectors`` (a document the caller may not see answers 404,
whoever owns it), every change through ``documents.services`` (incoming) or ``documents.outgoing``, which
check the caller's role again, validate, write the audit row and refuse before writing anything. Their
``ValidationError`` becomes a 400 with field errors and their ``PermissionDenied`` a 403 with the Vietnamese
explanation (``egov.core.api.exception_handler``). Files are served with the content type recorded when
they were checked, ``nosniff`` and ``Content-Disposition: attachment`` (``documents.files``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from egov.core.api import object_actions
from egov.directory.api.filters import parse
from egov.directory.api.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND, caller
from egov.directory.models import Agency, User
from egov.documents import files, outgoing, search, selectors, services
from egov.documents.api.actions import INCOMING_ACTIONS, OUTGOING_ACTIONS
from egov.documents.api.serializers import (
    DocumentTypeSerializer,
    DuplicateConflictSerializer,
    IncomingCreateSerializer,
    IncomingDetailSerializer,
    IncomingFilterSerializer,
    IncomingSerializer,
    OutgoingCreateSerializer,
    OutgoingDetailSerializer,
    OutgoingFilterSerializer,
    OutgoingSerializer,
    RegisterFilterSerializer,
    RegisterSerializer,
)
from egov.documents.models import Attachment, DocumentType, IncomingDocument, OutgoingDocument, Register

MAX_PK = 2**63 - 1
CONFLICT = OpenApiResponse(
    DuplicateConflictSerializer,
    description="The same document was already registered by the agency. Nothing written; repeat with "
    "`confirm_duplicate=true` to register it anyway.",
)
ACTION_BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input, or the document's status does not allow this step: `{field: [messages]}` "
    "(or `non_field_errors`). Nothing written.",
)
MULTIPART = "multipart/form-data"


def _pk(value: str) -> int:
    number = int(value)  # the route only matches digits
    if number > MAX_PK:
        raise Http404
    return number


def _body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data, context={"request": request, "user": request.user})
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _one(agencies: list[Agency]) -> Agency | None:
    return agencies[0] if len(agencies) == 1 else None


class DocumentsViewSet(viewsets.GenericViewSet):
    """Numeric ids in URLs; no ``OPTIONS`` metadata (it would answer 200 on documents the caller may not
    see; the OpenAPI schema describes the API)."""

    metadata_class = None
    lookup_value_regex = r"[0-9]+"

    def paginated(
        self,
        queryset: QuerySet[Any],
        serializer_class: type[BaseSerializer[Any]],
        **context: Any,
    ) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = serializer_class(rows, many=True, context={**self.get_serializer_context(), **context}).data
        return self.get_paginated_response(data) if page is not None else Response(data)


# --- Reference data -------------------------------------------------------------------------------------


@extend_schema(tags=["documents"])
@extend_schema_view(
    list=extend_schema(
        summary="Document types",
        description="Loại văn bản of Nghị định 30/2020 (Điều 7) with their abbreviations (Phụ lục III). "
        "Readable by every staff account.",
        responses={200: DocumentTypeSerializer(many=True)},
    )
)
class DocumentTypeViewSet(DocumentsViewSet):
    queryset = DocumentType.objects.none()
    serializer_class = DocumentTypeSerializer

    def list(self, request: Request) -> Response:
        return self.paginated(
            selectors.document_types().order_by("ordering", "name", "pk"), DocumentTypeSerializer
        )


@extend_schema(tags=["documents"])
@extend_schema_view(
    list=extend_schema(
        summary="Registers",
        description="Sổ đăng ký văn bản đến / đi of the agencies the caller works in (all of them for system "
        "administrators).",
        parameters=[RegisterFilterSerializer],
        responses={200: RegisterSerializer(many=True), 400: BAD_REQUEST},
    )
)
class RegisterViewSet(DocumentsViewSet):
    queryset = Register.objects.none()
    serializer_class = RegisterSerializer

    def list(self, request: Request) -> Response:
        params = parse(RegisterFilterSerializer, request)
        queryset = selectors.registers_visible_to(request.user)
        if params.get("direction"):
            queryset = queryset.filter(direction=params["direction"])
        if "agency" in params:
            queryset = queryset.filter(agency_id=params["agency"])
        return self.paginated(
            queryset.order_by("agency__path", "direction", "-is_default", "name", "pk"), RegisterSerializer
        )


# --- Incoming documents ---------------------------------------------------------------------------------

INCOMING_ACTION = {
    200: IncomingDetailSerializer,
    400: ACTION_BAD_REQUEST,
    403: FORBIDDEN,
    404: NOT_FOUND,
}


@extend_schema(tags=["incoming documents"])
@extend_schema_view(
    list=extend_schema(
        summary="List incoming documents",
        description="Văn bản đến the caller may see (their agency's ordinary documents; secret ones only for "
        "clerks, leaders and the people assigned), newest arrival first, or by relevance with `q`.",
        parameters=[IncomingFilterSerializer],
        responses={200: IncomingSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One incoming document",
        description="Metadata, files (with SHA-256 and download URL), assignments and timeline.",
        responses={200: IncomingDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Register an incoming document",
        description="Vào sổ văn bản đến by a clerk of the receiving agency: the next arrival number of the "
        "register is given in the same transaction. Files are checked by their content (PDF, DOCX, PNG, "
        "JPEG, TIFF; corrupt or disguised files refused) and limited to `EGOV_MAX_UPLOAD_MB`. A document "
        "already registered (same issuing agency, number and notation, year) answers 409 unless "
        "`confirm_duplicate=true`.",
        request={MULTIPART: IncomingCreateSerializer},
        responses={
            201: IncomingDetailSerializer,
            400: BAD_REQUEST,
            403: FORBIDDEN,
            409: CONFLICT,
        },
    ),
)
@object_actions(
    INCOMING_ACTIONS, responses=INCOMING_ACTION, target="document", load="_document", respond="_detail"
)
class IncomingViewSet(DocumentsViewSet):
    queryset = IncomingDocument.objects.none()
    serializer_class = IncomingSerializer
    parser_classes = [JSONParser, MultiPartParser]

    # -- helpers

    def _document(self, pk: str) -> IncomingDocument:
        doc = selectors.incoming_get(self.request.user, _pk(pk))
        if doc is None:
            raise Http404
        return doc

    def _detail(self, doc: IncomingDocument, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector for the prefetched detail; the caller has just acted on it.
        fresh = selectors.incoming_detail(self.request.user, doc.pk) or doc
        return Response(IncomingDetailSerializer(fresh, context=self.get_serializer_context()).data, code)

    def _receiving_agency(self, user: User) -> Agency:
        agency = _one(selectors.clerk_agencies(user)) or _one(selectors.organisations_of(user))
        if agency is None:
            raise serializers.ValidationError({"agency": [_("Cần chọn cơ quan nhận văn bản.")]})
        return agency

    # -- endpoints

    def list(self, request: Request) -> Response:
        params = parse(IncomingFilterSerializer, request)
        queryset = selectors.incoming_list(
            request.user,
            register=params.get("register"),
            status=params.get("status", ""),
            document_type=params.get("document_type"),
            urgency=params.get("urgency"),
            date_from=params.get("date_from"),
            date_to=params.get("date_to"),
        )
        query = params.get("q", "").strip()
        if query:
            queryset = search.apply(queryset, query)
        return self.paginated(queryset, IncomingSerializer, deadline_flag=selectors.deadline_flagger())

    def retrieve(self, request: Request, pk: str) -> Response:
        doc = selectors.incoming_detail(request.user, _pk(pk))
        if doc is None:
            raise Http404
        return Response(IncomingDetailSerializer(doc, context=self.get_serializer_context()).data)

    def create(self, request: Request) -> Response:
        user = caller(request)
        data = _body(IncomingCreateSerializer, request)
        confirmed = data.pop("confirm_duplicate")
        agency = data.pop("agency", None) or self._receiving_agency(user)
        # Only someone who may register for the agency learns what it has already received.
        if not confirmed and selectors.can_register_incoming(user, agency):
            issuing = data.get("issuing_agency")
            duplicates = services.find_duplicates(
                agency=agency,
                issuing_agency_name=data["issuing_agency_name"] or (issuing.name if issuing else ""),
                code_number=data["code_number"],
                code_notation=data["code_notation"],
                issued_date=data.get("issued_date"),
            )
            if duplicates:
                body = {
                    "detail": _(
                        "Văn bản này đã được vào sổ. Gửi lại với confirm_duplicate=true để vẫn vào sổ."
                    ),
                    "duplicates": [
                        {
                            "id": d.document.pk,
                            "number_notation": d.document.number_notation,
                            "issuing_agency_name": d.document.issuing_agency_name,
                            "arrival_number": d.document.arrival_number,
                            "arrival_date": d.document.arrival_date,
                            "subject": d.document.subject,
                            "message": str(d),
                        }
                        for d in duplicates
                    ],
                }
                return Response(DuplicateConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
        doc = services.register_incoming(actor=user, agency=agency, **data)
        return self._detail(doc, status.HTTP_201_CREATED)


# --- Outgoing documents ---------------------------------------------------------------------------------

OUTGOING_ACTION = {
    200: OutgoingDetailSerializer,
    400: ACTION_BAD_REQUEST,
    403: FORBIDDEN,
    404: NOT_FOUND,
}


@extend_schema(tags=["outgoing documents"])
@extend_schema_view(
    list=extend_schema(
        summary="List outgoing documents",
        description="Văn bản đi the caller may see, newest first, or by relevance with `q`.",
        parameters=[OutgoingFilterSerializer],
        responses={200: OutgoingSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One outgoing document",
        description="Metadata, recipients with the latest status each reported, files and timeline.",
        responses={200: OutgoingDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Create a draft",
        description="Dự thảo văn bản đi by a member of the agency, with its draft files (checked like "
        "incoming files). It is numbered only when issued.",
        request={MULTIPART: OutgoingCreateSerializer},
        responses={201: OutgoingDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
)
@object_actions(
    OUTGOING_ACTIONS, responses=OUTGOING_ACTION, target="document", load="_document", respond="_detail"
)
class OutgoingViewSet(DocumentsViewSet):
    queryset = OutgoingDocument.objects.none()
    serializer_class = OutgoingSerializer
    parser_classes = [JSONParser, MultiPartParser]

    def _document(self, pk: str) -> OutgoingDocument:
        doc = selectors.outgoing_get(self.request.user, _pk(pk))
        if doc is None:
            raise Http404
        return doc

    def _detail(self, doc: OutgoingDocument, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.outgoing_detail(self.request.user, doc.pk) or doc
        return Response(OutgoingDetailSerializer(fresh, context=self.get_serializer_context()).data, code)

    def list(self, request: Request) -> Response:
        params = parse(OutgoingFilterSerializer, request)
        queryset = selectors.outgoing_list(
            request.user, status=params.get("status", ""), document_type=params.get("document_type")
        )
        query = params.get("q", "").strip()
        if query:
            queryset = search.apply(queryset, query)
        return self.paginated(queryset, OutgoingSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        doc = selectors.outgoing_detail(request.user, _pk(pk))
        if doc is None:
            raise Http404
        return Response(OutgoingDetailSerializer(doc, context=self.get_serializer_context()).data)

    def create(self, request: Request) -> Response:
        user = caller(request)
        data = _body(OutgoingCreateSerializer, request)
        agency = data.pop("agency", None) or _one(selectors.organisations_of(user))
        if agency is None:
            raise serializers.ValidationError({"agency": [_("Cần chọn cơ quan ban hành.")]})
        doc = outgoing.create_draft(actor=user, agency=agency, **data)
        return self._detail(doc, status.HTTP_201_CREATED)


# --- Files ----------------------------------------------------------------------------------------------


class FirstRendererNegotiation(BaseContentNegotiation):
    """The file itself is not rendered by DRF; errors are JSON whatever the client accepts (so that a
    client asking for ``application/pdf`` gets its file, or a JSON 404, never a 406)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


@extend_schema(tags=["documents"])
@extend_schema_view(
    retrieve=extend_schema(
        summary="Download a file",
        description="A file of a document the caller may see, as a download: `Content-Type` is the type "
        "recorded when the file was checked (PDF, DOCX, PNG, JPEG, TIFF), with "
        "`X-Content-Type-Options: nosniff`, `Content-Disposition: attachment` and the SHA-256 in "
        "`X-Content-SHA256`.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            404: NOT_FOUND,
        },
    )
)
class FileViewSet(DocumentsViewSet):
    queryset = Attachment.objects.none()
    content_negotiation_class = FirstRendererNegotiation

    def retrieve(self, request: Request, pk: str) -> FileResponse:
        attachment = selectors.attachment_get(request.user, _pk(pk))
        if attachment is None:
            raise Http404
        return files.file_response(attachment.file)
