"""Dossiers REST API (hồ sơ TTHC, one-stop shop): officials, citizens and the public status look-up.

* ``/api/v1/dossiers/`` — officials (``IsStaffUser``): lists, the officer queue, the whole dossier, desk
  reception and every processing step, the national portal payload, notifications, statistics, files.
* ``/api/v1/my/…`` — citizen accounts (:class:`IsCitizen`): their own dossiers and document store, online
  submission (``Idempotency-Key``), supplement, withdrawal, payment, rating, feedback.
* ``/api/v1/public/dossiers/{code}/`` — anyone, rate-limited (``EGOV_PUBLIC_STATUS_RATE``): status, dates,
  procedure and agency of a dossier code, never personal data.

Thin views: every read goes through ``dossiers.selectors`` (a dossier the caller may not see answers 404,
whoever owns it), every change through ``dossiers.services``, which check the caller's role again, validate,
write the audit row and refuse before writing anything. Their ``ValidationError`` becomes a 400 with field
errors and their ``PermissionDenied`` a 403 with the Vietnamese explanation
(``egov.core.api.exception_handler``). Files are served with ``documents.files.file_response``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from egov.directory import selectors as directory
from egov.directory.api.filters import parse
from egov.directory.api.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND
from egov.directory.models import Agency, User
from egov.documents import files
from egov.documents.api.views import MAX_PK, FirstRendererNegotiation
from egov.dossiers import selectors, services
from egov.dossiers.api import serializers as s
from egov.dossiers.models import Apology, CitizenDocument, Dossier, DossierEvent, DossierPaper, DossierStep
from egov.notify import selectors as notify

MULTIPART = "multipart/form-data"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ACTION_BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input, or the dossier's status does not allow this step: `{field: [messages]}` "
    "(or `non_field_errors`). Nothing written.",
)
UNAUTHENTICATED = OpenApiResponse(OpenApiTypes.OBJECT, description="No (valid) credentials.")
THROTTLED = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Too many look-ups (`EGOV_PUBLIC_STATUS_RATE`); see `Retry-After`."
)
FILE_RESPONSES = {
    (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
    404: NOT_FOUND,
}
IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A key chosen by the client (at most 100 characters) for this submission: repeating the "
    "request with the same key returns the dossier already created (200) instead of a second one (201).",
)


def _pk(value: str) -> int:
    number = int(value)  # the routes only match digits
    if number > MAX_PK:
        raise Http404
    return number


def _body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data, context={"request": request, "user": request.user})
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _idempotency_key(request: Request) -> str:
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if len(key) > 100:
        raise serializers.ValidationError({IDEMPOTENCY_HEADER: [_("Tối đa 100 ký tự.")]})
    return key


def _papers(data: dict[str, Any]) -> list[services.PaperInput]:
    """The service's paper inputs from the multipart lists (see ``PapersInputSerializer``)."""
    papers: list[services.PaperInput] = []
    for upload, paper in zip(data.get("files", []), data.get("file_papers", []), strict=True):
        name = "" if paper else str(getattr(upload, "name", "") or "")
        papers.append(services.PaperInput(required_paper=paper or None, upload=upload, name=name))
    for document, paper in zip(
        data.get("citizen_documents", []), data.get("citizen_document_papers", []), strict=True
    ):
        papers.append(services.PaperInput(required_paper=paper, citizen_document=document))
    given = {p.required_paper for p in papers}
    for paper in data.get("papers", []):
        if paper not in given:
            papers.append(services.PaperInput(required_paper=paper))
            given.add(paper)
    return papers


def _applicant(data: dict[str, Any]) -> services.Applicant:
    return services.Applicant(
        name=data.get("applicant_name", ""),
        identity_number=data.get("applicant_identity", ""),
        phone=data.get("applicant_phone", ""),
        email=data.get("applicant_email", ""),
        address=data.get("applicant_address", ""),
        kind=data.get("applicant_kind", Dossier.ApplicantKind.CITIZEN),
    )


def _detail_queryset(base: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return base.select_related("result_file", "current_step__handler").prefetch_related(
        Prefetch("papers", queryset=DossierPaper.objects.select_related("file").order_by("id")),
        Prefetch("steps", queryset=DossierStep.objects.select_related("agency", "handler").order_by("order")),
        "supplements",
        "payments",
        Prefetch(
            "apologies", queryset=Apology.objects.select_related("issuing_agency").order_by("issued_at")
        ),
        "feedback",
        Prefetch("events", queryset=DossierEvent.objects.select_related("agency").order_by("at", "id")),
    )


class IsCitizen(permissions.BasePermission):
    """Authenticated citizen accounts (officials use the staff API)."""

    message = "Chỉ tài khoản công dân mới được dùng API này. / Citizen accounts only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_citizen", False))


class PublicStatusThrottle(SimpleRateThrottle):
    """Look-ups of dossier codes per caller (IP address, or account when logged in), at
    ``EGOV_PUBLIC_STATUS_RATE`` (read at each request so that it can be changed without a restart of tests),
    counted in the default cache. Known and unknown codes count the same."""

    scope = "public_status"

    def get_rate(self) -> str | None:
        return str(getattr(settings, "EGOV_PUBLIC_STATUS_RATE", "30/minute")) or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        user = request.user
        ident = f"user-{user.pk}" if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class DossiersViewSet(viewsets.GenericViewSet):
    """Numeric ids in URLs; no ``OPTIONS`` metadata (it would answer 200 on dossiers the caller may not see;
    the OpenAPI schema describes the API)."""

    metadata_class = None
    lookup_value_regex = r"[0-9]+"
    scope = "staff"

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "scope": self.scope}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A method the route does not have answers 405 before the permission check (403 for the wrong kind
        # of account), so that the route's shape is the same for everyone.
        method = (request.method or "").lower()
        if method == "options" or getattr(self, method, None) is None:
            raise MethodNotAllowed(request.method or "")
        super().initial(request, *args, **kwargs)

    def paginated(self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _dossier(self, pk: str) -> Dossier:
        dossier = selectors.dossier_get(self.request.user, _pk(pk))
        if dossier is None:
            raise Http404
        return dossier

    def _detail(self, dossier: Dossier, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            _detail_queryset(selectors.dossiers_visible_to(self.request.user)).filter(pk=dossier.pk).first()
        )
        if fresh is None:
            raise Http404
        return Response(s.DossierDetailSerializer(fresh, context=self.get_serializer_context()).data, code)

    def _paper_file(self, pk: str, paper: str) -> FileResponse:
        dossier = self._dossier(pk)
        row = DossierPaper.objects.filter(dossier=dossier, pk=_pk(paper), file__isnull=False).first()
        if row is None or row.file is None:
            raise Http404
        return files.file_response(row.file)

    def _result_file(self, pk: str) -> FileResponse:
        stored = selectors.result_file_for(self.request.user, self._dossier(pk))
        if stored is None:
            raise Http404
        return files.file_response(stored)


STAFF_ACTION = {200: s.DossierDetailSerializer, 400: ACTION_BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


def _staff_action(summary: str, description: str, request: Any = None, **kwargs: Any) -> Any:
    return extend_schema(
        summary=summary, description=description, request=request, responses=STAFF_ACTION, **kwargs
    )


# --- Officials ------------------------------------------------------------------------------------------


@extend_schema(tags=["dossiers"])
@extend_schema_view(
    list=extend_schema(
        operation_id="dossiers_list",
        summary="List dossiers",
        description="Hồ sơ the caller may see (received by their agencies, or with a processing step there; "
        "all for system administrators), newest submission first.",
        parameters=[s.DossierFilterSerializer],
        responses={200: s.DossierSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        operation_id="dossiers_retrieve",
        summary="One dossier",
        description="Applicant, papers (with download URLs), steps, supplements, payments, apologies, "
        "result, rating, feedback and the timeline.",
        responses={200: s.DossierDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        operation_id="dossiers_receive",
        summary="Receive a dossier at the desk",
        description="Tiếp nhận trực tiếp hoặc qua bưu chính by a one-stop officer of the receiving agency: "
        "the dossier code is given at once; with `accept` (default) the dossier is accepted (status 2, "
        "appointment date); otherwise it waits in status 1. Scans are optional (`files` + `file_papers`), "
        "originals are listed in `papers`. The `Idempotency-Key` header makes a retry safe.",
        parameters=[IDEMPOTENCY],
        request={MULTIPART: s.DeskReceiveSerializer},
        responses={
            201: s.DossierDetailSerializer,
            200: OpenApiResponse(
                s.DossierDetailSerializer, description="Same Idempotency-Key: already received."
            ),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    ),
)
class DossierViewSet(DossiersViewSet):
    queryset = Dossier.objects.none()
    serializer_class = s.DossierSerializer
    parser_classes = [JSONParser, MultiPartParser]

    def list(self, request: Request) -> Response:
        params = parse(s.DossierFilterSerializer, request)
        qs = selectors.dossiers_visible_to(request.user)
        for param, field in (
            ("status", "status"),
            ("procedure", "procedure_id"),
            ("agency", "receiving_agency_id"),
            ("channel", "channel"),
            ("deadline_flag", "deadline_flag"),
        ):
            if params.get(param) is not None:
                qs = qs.filter(**{field: params[param]})
        tz = timezone.get_current_timezone()
        if params.get("date_from"):
            qs = qs.filter(submitted_at__gte=dt.datetime.combine(params["date_from"], dt.time.min, tzinfo=tz))
        if params.get("date_to"):
            end = dt.datetime.combine(params["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            qs = qs.filter(submitted_at__lt=end)
        term = params.get("search", "").strip()
        if term:
            qs = qs.filter(
                Q(code__iexact=term) | Q(applicant_identity=term) | Q(applicant_name__icontains=term)
            )
        return self.paginated(qs.order_by("-submitted_at", "-id"), s.DossierSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._dossier(pk))

    def create(self, request: Request) -> Response:
        user = _user(request)
        data = _body(s.DeskReceiveSerializer, request)
        key = _idempotency_key(request)
        existed = bool(key) and Dossier.objects.filter(created_by=user, idempotency_key=key).exists()
        dossier = services.receive_at_desk(
            actor=user,
            procedure=data["procedure"],
            agency=data["agency"],
            applicant=_applicant(data),
            papers=_papers(data),
            channel=data["channel"],
            description=data["description"],
            accept=data["accept"],
            idempotency_key=key,
        )
        return self._detail(dossier, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="dossiers_queue",
        summary="Officer queue",
        description="Open dossiers of the caller's agencies, the most urgent appointment first (none last).",
        parameters=[s.QueueFilterSerializer],
        responses={200: s.DossierSerializer(many=True), 400: BAD_REQUEST},
    )
    @action(detail=False, methods=["get"])
    def queue(self, request: Request) -> Response:
        params = parse(s.QueueFilterSerializer, request)
        qs = selectors.officer_queue(
            request.user,
            selectors.QueueFilter(
                kind=params["kind"],
                status=params.get("status"),
                flag=params.get("deadline_flag"),
                agency_id=params.get("agency"),
                procedure_id=params.get("procedure"),
                search=params.get("search", ""),
            ),
        )
        return self.paginated(qs, s.DossierSerializer)

    @extend_schema(
        operation_id="dossiers_statistics",
        summary="Statistics",
        description="By receiving agency and procedure, between two dates: received (by submission date), "
        "finished on time and late (by finish date), online share, open dossiers past their appointment. "
        "The caller's agencies only (any for system administrators).",
        parameters=[s.StatisticsFilterSerializer],
        responses={200: s.StatisticsSerializer, 400: BAD_REQUEST},
    )
    @action(detail=False, methods=["get"])
    def statistics(self, request: Request) -> Response:
        params = parse(s.StatisticsFilterSerializer, request)
        user = _user(request)
        agencies = Agency.objects.all()
        if not directory.is_system_admin(user):
            agencies = agencies.filter(pk__in=directory.member_agency_ids(user))
        if params.get("agency") is not None:
            agencies = agencies.filter(pk=params["agency"])
        receiving = agencies.filter(dossiers__isnull=False).distinct().order_by("path", "pk")
        rows = [
            {"agency": agency, **selectors.statistics([agency.pk], params["date_from"], params["date_to"])}
            for agency in receiving
        ]
        body = {"date_from": params["date_from"], "date_to": params["date_to"], "agencies": rows}
        return Response(s.StatisticsSerializer(body, context=self.get_serializer_context()).data)

    @extend_schema(
        operation_id="dossiers_national_sync",
        summary="National portal payload",
        description="The dossier in the shape of the national public-service portal's sync (`CreateDossier` "
        "with `ThanhPhanHoSo`, and the progress entries `TienTrinh` of `CapNhatTienTrinh`); dates as "
        "`yyyyMMddHHmmss` local time, `TrangThai` the national status 1–10.",
        responses={200: s.NationalSyncSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="national-sync")
    def national_sync(self, request: Request, pk: str) -> Response:
        return Response(selectors.national_sync_payload(self._dossier(pk)))

    @extend_schema(
        operation_id="dossiers_notifications",
        summary="Notifications sent",
        description="SMS and e-mails sent to the applicant about the dossier, newest first, with their "
        "delivery status and the last error of failed ones.",
        responses={200: s.NotificationSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def notifications(self, request: Request, pk: str) -> Response:
        return self.paginated(notify.messages_for(self._dossier(pk)), s.NotificationSerializer)

    @extend_schema(
        operation_id="dossiers_paper_file",
        summary="Download a paper",
        description="The file of a paper of the dossier, as a download (content type recorded at upload, "
        "`nosniff`, SHA-256 in `X-Content-SHA256`).",
        responses=FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"papers/(?P<paper>[0-9]+)/file",
        url_name="paper-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def paper_file(self, request: Request, pk: str, paper: str) -> FileResponse:
        return self._paper_file(pk, paper)

    @extend_schema(
        operation_id="dossiers_result_file",
        summary="Download the result",
        description="The e-result of the dossier (kết quả điện tử), as a download.",
        responses=FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="result-file",
        url_name="result-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def result_file(self, request: Request, pk: str) -> FileResponse:
        return self._result_file(pk)

    # -- processing

    @_staff_action(
        "Accept",
        "Tiếp nhận (1 → 2): appointment date, processing steps. One-stop officers.",
        operation_id="dossiers_accept",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        return self._detail(services.accept(actor=_user(request), dossier=self._dossier(pk)))

    @_staff_action(
        "Refuse",
        "Từ chối tiếp nhận (1 → 3, mẫu 03), with the reason.",
        s.ReasonSerializer,
        operation_id="dossiers_refuse",
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.ReasonSerializer, request)
        return self._detail(services.refuse(actor=_user(request), dossier=dossier, **body))

    @_staff_action(
        "Start processing",
        "Chuyển xử lý (2 → 4): the first step starts.",
        s.StartSerializer,
        operation_id="dossiers_start",
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.StartSerializer, request)
        return self._detail(
            services.start_processing(actor=_user(request), dossier=dossier, handler=body.get("handler"))
        )

    @_staff_action(
        "Assign the current step",
        "Phân công: hand the current step to a person holding the step's role in its agency.",
        s.StepForwardSerializer,
        operation_id="dossiers_forward",
    )
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.StepForwardSerializer, request)
        return self._detail(services.forward_step(actor=_user(request), dossier=dossier, **body))

    @_staff_action(
        "Complete the current step",
        "Hoàn thành bước: the next step starts; after the last one the dossier is processed (4 → 9).",
        s.CompleteStepSerializer,
        operation_id="dossiers_complete_step",
    )
    @action(detail=True, methods=["post"], url_path="complete-step")
    def complete_step(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.CompleteStepSerializer, request)
        return self._detail(
            services.complete_step(
                actor=_user(request),
                dossier=dossier,
                note=body["note"],
                next_handler=body.get("next_handler"),
            )
        )

    @_staff_action(
        "Request a supplement",
        "Yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02; 1/2/4 → 5): the clock stops until the papers arrive.",
        s.SupplementRequestSerializer,
        operation_id="dossiers_request_supplement",
    )
    @action(detail=True, methods=["post"], url_path="request-supplement")
    def request_supplement(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.SupplementRequestSerializer, request)
        return self._detail(services.request_supplement(actor=_user(request), dossier=dossier, **body))

    @_staff_action(
        "Record a supplement at the desk",
        "Bổ sung hồ sơ brought to the desk (5 → back; the appointment moves by the days the clock stopped).",
        {MULTIPART: s.SupplementProvideSerializer},
        operation_id="dossiers_provide_supplement",
    )
    @action(detail=True, methods=["post"], url_path="provide-supplement")
    def provide_supplement(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.SupplementProvideSerializer, request)
        dossier = services.provide_supplement(
            actor=_user(request), dossier=dossier, papers=_papers(body), note=body["note"]
        )
        return self._detail(dossier)

    @_staff_action(
        "Request the fees",
        "Yêu cầu thực hiện nghĩa vụ tài chính (2/4 → 6).",
        s.PaymentRequestSerializer,
        operation_id="dossiers_request_payment",
    )
    @action(detail=True, methods=["post"], url_path="request-payment")
    def request_payment(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.PaymentRequestSerializer, request)
        return self._detail(
            services.request_payment(actor=_user(request), dossier=dossier, amount=body.get("amount"))
        )

    @_staff_action(
        "Record a desk payment",
        "Ghi nhận đã nộp phí, lệ phí tại Bộ phận Một cửa (6 → back), with a receipt number.",
        s.PaymentRecordSerializer,
        operation_id="dossiers_record_payment",
    )
    @action(detail=True, methods=["post"], url_path="record-payment")
    def record_payment(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.PaymentRecordSerializer, request)
        services.record_payment(
            actor=_user(request), dossier=dossier, method="desk", reference=body["reference"]
        )
        return self._detail(dossier)

    @_staff_action(
        "Stop processing",
        "Dừng xử lý (→ 8, mẫu 05), with the reason.",
        s.ReasonSerializer,
        operation_id="dossiers_stop",
    )
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.ReasonSerializer, request)
        return self._detail(services.stop(actor=_user(request), dossier=dossier, **body))

    @_staff_action(
        "Apologise and set a new appointment",
        "Văn bản xin lỗi và hẹn lại ngày trả kết quả "
        "(mẫu 04): the new appointment must be a later working day.",
        s.ApologyInputSerializer,
        operation_id="dossiers_apology",
    )
    @action(detail=True, methods=["post"])
    def apology(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.ApologyInputSerializer, request)
        services.issue_apology(actor=_user(request), dossier=dossier, **body)
        return self._detail(dossier)

    @_staff_action(
        "Attach the result",
        "Kết quả điện tử: the result file, signed with the issuing agency's seal when `sign`.",
        {MULTIPART: s.ResultInputSerializer},
        operation_id="dossiers_result",
    )
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.ResultInputSerializer, request)
        dossier = services.attach_result(
            actor=_user(request),
            dossier=dossier,
            upload=body["file"],
            sign=body["sign"],
            note=body["note"],
        )
        return self._detail(dossier)

    @_staff_action(
        "Return the result",
        "Trả kết quả (9 → 10): at the desk, by post (tracking number) or online.",
        s.ReturnSerializer,
        operation_id="dossiers_return",
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_result(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.ReturnSerializer, request)
        return self._detail(services.return_result(actor=_user(request), dossier=dossier, **body))


# --- Citizens -------------------------------------------------------------------------------------------

MY_ACTION = {200: s.DossierDetailSerializer, 400: ACTION_BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


def _my_action(summary: str, description: str, request: Any = None, **kwargs: Any) -> Any:
    return extend_schema(
        summary=summary, description=description, request=request, responses=MY_ACTION, **kwargs
    )


@extend_schema(tags=["my dossiers"])
@extend_schema_view(
    list=extend_schema(
        operation_id="my_dossiers_list",
        summary="My dossiers",
        description="The citizen's own dossiers (submitted online, or received at a desk with their CCCD), "
        "newest first.",
        responses={200: s.DossierSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        operation_id="my_dossiers_retrieve",
        summary="One of my dossiers",
        description="Papers, progress, supplements requested, fees, apologies and result. Another citizen's "
        "dossier answers 404.",
        responses={200: s.DossierDetailSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        operation_id="my_dossiers_submit",
        summary="Submit a dossier online",
        description="Nộp hồ sơ trực tuyến (status 1): the dossier code is given at once. Each required paper "
        "is a file (`files` + `file_papers`) or a document of the store (`citizen_documents` + "
        "`citizen_document_papers`). Send an `Idempotency-Key`: a retry with the same key returns the same "
        "dossier (200), never a second one.",
        parameters=[IDEMPOTENCY],
        request={MULTIPART: s.OnlineSubmitSerializer},
        responses={
            201: s.DossierDetailSerializer,
            200: OpenApiResponse(
                s.DossierDetailSerializer, description="Same Idempotency-Key: already submitted."
            ),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    ),
)
class MyDossierViewSet(DossiersViewSet):
    queryset = Dossier.objects.none()
    serializer_class = s.DossierSerializer
    permission_classes = [IsCitizen]
    parser_classes = [JSONParser, MultiPartParser]
    scope = "my"

    def list(self, request: Request) -> Response:
        return self.paginated(
            selectors.dossiers_visible_to(request.user).order_by("-submitted_at", "-id"), s.DossierSerializer
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._dossier(pk))

    def create(self, request: Request) -> Response:
        user = _user(request)
        data = _body(s.OnlineSubmitSerializer, request)
        key = _idempotency_key(request)
        existed = bool(key) and Dossier.objects.filter(created_by=user, idempotency_key=key).exists()
        dossier = services.submit_online(
            actor=user,
            procedure=data["procedure"],
            agency=data["agency"],
            papers=_papers(data),
            applicant=_applicant(data),
            description=data["description"],
            idempotency_key=key,
        )
        return self._detail(dossier, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @_my_action(
        "Provide the supplement",
        "Bổ sung hồ sơ (5 → back): the papers requested, as files or documents of the store.",
        {MULTIPART: s.SupplementProvideSerializer},
        operation_id="my_dossiers_supplement",
    )
    @action(detail=True, methods=["post"])
    def supplement(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.SupplementProvideSerializer, request)
        dossier = services.provide_supplement(
            actor=_user(request), dossier=dossier, papers=_papers(body), note=body["note"]
        )
        return self._detail(dossier)

    @_my_action(
        "Withdraw",
        "Rút hồ sơ (→ 7) while it is not finished.",
        s.OptionalReasonSerializer,
        operation_id="my_dossiers_withdraw",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.OptionalReasonSerializer, request)
        return self._detail(services.withdraw(actor=_user(request), dossier=dossier, **body))

    @_my_action(
        "Pay the fees online",
        "Thanh toán phí, lệ phí trực tuyến (6 → back) through a payment "
        "provider (`sandbox` in this installation).",
        s.CitizenPaySerializer,
        operation_id="my_dossiers_pay",
    )
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.CitizenPaySerializer, request)
        services.record_payment(actor=_user(request), dossier=dossier, **body)
        return self._detail(dossier)

    @_my_action(
        "Rate",
        "Đánh giá mức độ hài lòng (1–5), once, after the result.",
        s.RateSerializer,
        operation_id="my_dossiers_rate",
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.RateSerializer, request)
        services.rate(actor=_user(request), dossier=dossier, **body)
        return self._detail(dossier)

    @_my_action(
        "Send feedback",
        "Phản ánh, kiến nghị about the dossier.",
        s.FeedbackInputSerializer,
        operation_id="my_dossiers_feedback",
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str) -> Response:
        dossier = self._dossier(pk)
        body = _body(s.FeedbackInputSerializer, request)
        services.add_feedback(actor=_user(request), dossier=dossier, **body)
        return self._detail(dossier)

    @extend_schema(
        operation_id="my_dossiers_paper_file",
        summary="Download one of my papers",
        description="A file submitted with the dossier.",
        responses=FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"papers/(?P<paper>[0-9]+)/file",
        url_name="paper-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def paper_file(self, request: Request, pk: str, paper: str) -> FileResponse:
        return self._paper_file(pk, paper)

    @extend_schema(
        operation_id="my_dossiers_result_file",
        summary="Download my result",
        description="The e-result, once the dossier is processed (status 9 or 10).",
        responses=FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="result-file",
        url_name="result-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def result_file(self, request: Request, pk: str) -> FileResponse:
        return self._result_file(pk)


@extend_schema(tags=["my dossiers"])
@extend_schema_view(
    list=extend_schema(
        operation_id="my_documents_list",
        summary="My document store",
        description="Kho dữ liệu điện tử: papers and results of the citizen's dossiers, reusable in new "
        "submissions; `paper_code` keeps one kind of paper.",
        parameters=[OpenApiParameter("paper_code", OpenApiTypes.STR, required=False)],
        responses={200: s.CitizenDocumentSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
)
class MyDocumentViewSet(DossiersViewSet):
    queryset = CitizenDocument.objects.none()
    serializer_class = s.CitizenDocumentSerializer
    permission_classes = [IsCitizen]
    scope = "my"

    def list(self, request: Request) -> Response:
        paper_code = str(request.query_params.get("paper_code", "")).strip()[:64]
        return self.paginated(
            selectors.citizen_documents(request.user, paper_code), s.CitizenDocumentSerializer
        )

    @extend_schema(
        operation_id="my_documents_file",
        summary="Download a document of my store",
        responses=FILE_RESPONSES,
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FirstRendererNegotiation)
    def file(self, request: Request, pk: str) -> FileResponse:
        document = selectors.citizen_documents(request.user).filter(pk=_pk(pk)).first()
        if document is None:
            raise Http404
        return files.file_response(document.file)


# --- Public ---------------------------------------------------------------------------------------------


@extend_schema(tags=["public"])
@extend_schema_view(
    retrieve=extend_schema(
        operation_id="public_dossier_status",
        summary="Look up a dossier by its code",
        description="Tra cứu hồ sơ for anyone who has the code (on the receipt, mẫu 01): status, dates, "
        "procedure and receiving agency — never the applicant's personal data. Limited per caller by "
        "`EGOV_PUBLIC_STATUS_RATE`; an unknown code answers 404 and counts the same.",
        auth=[],
        responses={200: s.PublicStatusSerializer, 404: NOT_FOUND, 429: THROTTLED},
    )
)
class PublicDossierViewSet(viewsets.GenericViewSet):
    queryset = Dossier.objects.none()
    serializer_class = s.PublicStatusSerializer
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicStatusThrottle]
    metadata_class = None
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z.\-]{1,64}"

    def retrieve(self, request: Request, code: str) -> Response:
        found = selectors.public_status(code)
        if found is None:
            raise Http404
        return Response(s.PublicStatusSerializer(found).data)


__all__ = [
    "DossierViewSet",
    "IsCitizen",
    "MyDocumentViewSet",
    "MyDossierViewSet",
    "PublicDossierViewSet",
    "PublicStatusThrottle",
]
