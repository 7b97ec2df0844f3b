"""Dossiers REST API (hồ sơ TTHC, one-stop shop): officials, citizens and the public status look-up.

* ``/api/v1/dossiers/`` — officials (``IsStaffUser``): lists, the officer queue, the whole dossier, desk
  reception and every processing step (generated from ``actions.STAFF_ACTIONS``), the national portal
  payload, notifications, statistics, files, the printed forms 01–06 and the dossier book (mẫu 07);
  ``/api/v1/dossier-groups/`` — inter-linked dossiers with a part in the caller's agencies.
* ``/api/v1/my/…`` — citizen accounts (:class:`IsCitizen`): their own dossiers and document store, online
  submission (``Idempotency-Key``), supplement, withdrawal, payment, rating, feedback
  (``actions.MY_ACTIONS``), their receipt and letters (forms 01–05); inter-linked submission and its combined
  status (``my/dossier-groups/``).
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
import re
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from egov.core import clock
from egov.core.api import object_actions
from egov.core.text import fold
from egov.directory import selectors as directory
from egov.directory.api.filters import parse
from egov.directory.api.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND
from egov.directory.models import Agency, Role, User
from egov.documents import files
from egov.documents.api.views import MAX_PK, FirstRendererNegotiation
from egov.dossiers import deadlines, printouts, selectors, services
from egov.dossiers.api import serializers as s
from egov.dossiers.api.actions import MY_ACTIONS, STAFF_ACTIONS
from egov.dossiers.api.actions import papers as _papers
from egov.dossiers.models import (
    Apology,
    CitizenDocument,
    Dossier,
    DossierEvent,
    DossierGroup,
    DossierPaper,
    DossierStep,
)
from egov.notify import selectors as notify

MULTIPART = "multipart/form-data"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ACTION_BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input, or the dossier's status does not allow this step: `{field: [messages]}` "
    "(or `non_field_errors`). Nothing written.",
)
UNAUTHENTICATED = OpenApiResponse(OpenApiTypes.OBJECT, description="No (valid) credentials.")
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
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Printed forms (Thông tư 03/2025/TT-VPCP, Phụ lục I): officials print 01–06, citizens download their receipt
#: and the letters addressed to them (01–05), as the portal offers.
STAFF_FORMS = tuple(printouts.FORMS)
CITIZEN_FORMS = ("01", "02", "03", "04", "05")
#: Who may print an agency's dossier book (mẫu 07), as on the statistics page.
BOOK_ROLES = (Role.LEADER, Role.DEPUTY_LEADER, Role.ONE_STOP_OFFICER)


def _form_parameter(forms: tuple[str, ...]) -> OpenApiParameter:
    return OpenApiParameter(
        "form",
        OpenApiTypes.STR,
        OpenApiParameter.PATH,
        enum=list(forms),
        description="Mẫu phiếu: "
        + "; ".join(f"{code} {printouts.FORMS[code]}" for code in forms)
        + ". A form that does not exist for the dossier (yet) answers 404.",
    )


FORM_RESPONSES = {
    (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The form, A4 PDF with a QR code."),
    404: NOT_FOUND,
}


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


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", fold(text)).strip("-.") or "ho-so"


def forms_of(dossier: Dossier) -> set[str]:
    """The printed forms that exist for ``dossier`` (the one rule: :func:`printouts.available_forms`)."""
    return set(printouts.available_forms(dossier))


def _book_agencies(user: User) -> dict[int, Agency] | None:
    """The organisations whose dossier book ``user`` may print: those where they are leader, deputy or
    one-stop officer (``None``: any agency, for system administrators). None of these roles: 403."""
    if directory.is_system_admin(user):
        return None
    allowed: dict[int, Agency] = {}
    for held, role in directory.acting_roles(user):
        if role in BOOK_ROLES:
            organisation = held.organisation()
            allowed.setdefault(organisation.pk, organisation)
    if not allowed:
        raise PermissionDenied(_("Sổ theo dõi hồ sơ dành cho lãnh đạo và Cán bộ một cửa của cơ quan."))
    return allowed


def _book_agency(allowed: dict[int, Agency] | None, agency_id: int) -> Agency:
    if allowed is None:
        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None:
            raise serializers.ValidationError({"agency": [_("Không tìm thấy cơ quan.")]})
        return agency
    if agency_id not in allowed:
        raise PermissionDenied(_("Bạn không được xem sổ theo dõi hồ sơ của cơ quan này."))
    return allowed[agency_id]


class IsCitizen(permissions.BasePermission):
    """Authenticated citizen accounts (officials use the staff API)."""

    message = "Chỉ tài khoản công dân mới được dùng API này. / Citizen accounts only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_citizen", False))


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

    def _form(self, pk: str, form: str, offered: tuple[str, ...]) -> HttpResponse:
        dossier = self._dossier(pk)
        if form not in offered or form not in forms_of(dossier):
            raise Http404(_("Hồ sơ này không có mẫu phiếu %(f)s.") % {"f": form})
        data = printouts.form_pdf(dossier, form)
        return _download(data, f"mau-{form}-{dossier.code}.pdf", PDF)  # codes are [0-9A-Za-z.-]


def _form_action(offered: tuple[str, ...], **schema: Any) -> Any:
    """``GET /…/{id}/forms/{form}/`` of a dossier viewset: the forms in ``offered`` that exist for the
    dossier (:func:`forms_of`), as PDF downloads."""

    @extend_schema(parameters=[_form_parameter(offered)], responses=FORM_RESPONSES, **schema)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"forms/(?P<form>[0-9]{2})",
        url_name="form",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def form(self: DossiersViewSet, request: Request, pk: str, form: str) -> HttpResponse:
        return self._form(pk, form, offered)

    return form


def _paper_file_action(**schema: Any) -> Any:
    """``GET /…/{id}/papers/{paper}/file/`` of a dossier viewset: the file of one paper of a dossier the
    caller may see; ``schema`` holds the OpenAPI texts (operation id, summary, description) of the viewset."""

    @extend_schema(responses=FILE_RESPONSES, **schema)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"papers/(?P<paper>[0-9]+)/file",
        url_name="paper-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def paper_file(self: DossiersViewSet, request: Request, pk: str, paper: str) -> FileResponse:
        return self._paper_file(pk, paper)

    return paper_file


def _result_file_action(**schema: Any) -> Any:
    """``GET /…/{id}/result-file/`` of a dossier viewset: the e-result the caller may download
    (:func:`selectors.result_file_for`); ``schema`` holds the viewset's OpenAPI texts."""

    @extend_schema(responses=FILE_RESPONSES, **schema)
    @action(
        detail=True,
        methods=["get"],
        url_path="result-file",
        url_name="result-file",
        content_negotiation_class=FirstRendererNegotiation,
    )
    def result_file(self: DossiersViewSet, request: Request, pk: str) -> FileResponse:
        return self._result_file(pk)

    return result_file


STAFF_ACTION = {200: s.DossierDetailSerializer, 400: ACTION_BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


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
@object_actions(STAFF_ACTIONS, responses=STAFF_ACTION, target="dossier", load="_dossier", respond="_detail")
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
        ):
            if params.get(param) is not None:
                qs = qs.filter(**{field: params[param]})
        if params.get("deadline_flag") is not None:
            # The rule now, as the field shows it and the officer pages filter (not the stored column).
            qs = qs.filter(deadlines.flag_condition(params["deadline_flag"], clock.now()))
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

    paper_file = _paper_file_action(
        operation_id="dossiers_paper_file",
        summary="Download a paper",
        description="The file of a paper of the dossier, as a download (content type recorded at upload, "
        "`nosniff`, SHA-256 in `X-Content-SHA256`).",
    )
    result_file = _result_file_action(
        operation_id="dossiers_result_file",
        summary="Download the result",
        description="The e-result of the dossier (kết quả điện tử), as a download.",
    )

    form = _form_action(
        STAFF_FORMS,
        operation_id="dossiers_form",
        summary="Print a form",
        description="Mẫu 01–06 of the one-stop shop for the dossier, as an A4 PDF download "
        "(`mau-<form>-<code>.pdf`) with the QR code of its public status page: 01 and 06 once received, "
        "02 after a supplement request, 03 when refused, 04 after an apology, 05 when stopped.",
    )

    @extend_schema(
        operation_id="dossiers_book",
        summary="Dossier book (form 07)",
        description="Sổ theo dõi hồ sơ (mẫu 07) of one receiving agency for the dossiers received between "
        "two dates, as XLSX (default) or PDF (`file_type=pdf`), named "
        "`so-theo-doi-ho-so-<agency>-<from>-<to>`. Leaders, deputies and one-stop officers of the agency "
        "(any agency for system administrators).",
        parameters=[s.BookFilterSerializer],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The book as a workbook."),
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The book as landscape A4 pages."),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    )
    @action(detail=False, methods=["get"], content_negotiation_class=FirstRendererNegotiation)
    def book(self, request: Request) -> HttpResponse:
        allowed = _book_agencies(_user(request))  # the role first: 403 whatever the parameters
        params = parse(s.BookFilterSerializer, request)
        agency = _book_agency(allowed, params["agency"])
        start, end = params["date_from"], params["date_to"]
        name = f"so-theo-doi-ho-so-{_safe_name(agency.short_name or agency.name)}-{start:%Y%m%d}-{end:%Y%m%d}"
        if params["file_type"] == "pdf":
            return _download(printouts.dossier_book_pdf(agency, start, end), f"{name}.pdf", PDF)
        return _download(printouts.dossier_book_xlsx(agency, start, end), f"{name}.xlsx", XLSX)


# --- Citizens -------------------------------------------------------------------------------------------

MY_ACTION = {200: s.DossierDetailSerializer, 400: ACTION_BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


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
@object_actions(MY_ACTIONS, responses=MY_ACTION, target="dossier", load="_dossier", respond="_detail")
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

    paper_file = _paper_file_action(
        operation_id="my_dossiers_paper_file",
        summary="Download one of my papers",
        description="A file submitted with the dossier.",
    )
    result_file = _result_file_action(
        operation_id="my_dossiers_result_file",
        summary="Download my result",
        description="The e-result, once the dossier is processed (status 9 or 10).",
    )

    form = _form_action(
        CITIZEN_FORMS,
        operation_id="my_dossiers_form",
        summary="Download a form addressed to me",
        description="Mẫu 01 (giấy tiếp nhận hồ sơ và hẹn trả kết quả, once received), 02 (yêu cầu bổ sung), "
        "03 (từ chối tiếp nhận), 04 (xin lỗi và hẹn lại) or 05 (dừng giải quyết) of my dossier, as an A4 PDF "
        "download. Another citizen's dossier, or a form the dossier does not have, answers 404.",
    )


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


# --- Inter-linked dossiers (hồ sơ liên thông) ------------------------------------------------------------


class DossierGroupsViewSet(DossiersViewSet):
    """Groups are addressed by their code (``<prefix>-LT<date>-<n>``), as printed and shown to the
    applicant."""

    queryset = DossierGroup.objects.none()
    serializer_class = s.DossierGroupSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z.\-]{1,64}"

    def _group_data(self, group: DossierGroup) -> dict[str, Any]:
        combined = selectors.group_status(group)
        visible = selectors.dossiers_visible_to(self.request.user).filter(group=group).order_by("id")
        return {
            "id": group.pk,
            "code": group.code,
            "procedure_group": group.procedure_group,
            "created_at": group.created_at,
            "status": combined.status,
            "status_label": combined.status_label,
            "done": combined.done,
            "parts": combined.parts,
            "dossiers": list(visible),
        }

    def _group_response(self, group: DossierGroup, code: int = status.HTTP_200_OK) -> Response:
        body = s.DossierGroupSerializer(self._group_data(group), context=self.get_serializer_context())
        return Response(body.data, code)

    def list(self, request: Request) -> Response:
        groups = selectors.groups_visible_to(request.user).order_by("-created_at", "-id")
        page = self.paginate_queryset(groups)
        rows = [self._group_data(g) for g in (page if page is not None else list(groups))]
        data = s.DossierGroupSerializer(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, code: str) -> Response:
        group = selectors.groups_visible_to(request.user).filter(code=code).first()
        if group is None:
            raise Http404
        return self._group_response(group)


@extend_schema(tags=["dossiers"])
@extend_schema_view(
    list=extend_schema(
        operation_id="dossier_groups_list",
        summary="List inter-linked dossiers",
        description="Hồ sơ liên thông (Nghị định 63/2024) with at least one part received or processed by "
        "the caller's agencies (all for system administrators), newest first, each with its one combined "
        "status.",
        responses={200: s.DossierGroupSerializer(many=True)},
    ),
    retrieve=extend_schema(
        operation_id="dossier_groups_retrieve",
        summary="One inter-linked dossier",
        description="The group code, the combined status (the least advanced part still in progress), the "
        "progress of every part, and the parts the caller may open (`dossiers`).",
        responses={200: s.DossierGroupSerializer, 404: NOT_FOUND},
    ),
)
class DossierGroupViewSet(DossierGroupsViewSet):
    pass


@extend_schema(tags=["my dossiers"])
@extend_schema_view(
    list=extend_schema(
        operation_id="my_dossier_groups_list",
        summary="My inter-linked dossiers",
        description="The citizen's own hồ sơ liên thông, newest first, each with its one combined status.",
        responses={200: s.DossierGroupSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        operation_id="my_dossier_groups_retrieve",
        summary="One of my inter-linked dossiers",
        description="The group code, the one combined status a citizen follows (the least advanced part "
        "still in progress; `done` when every result has been returned), each part's progress, and the parts "
        "(`dossiers`, open with `/api/v1/my/dossiers/{id}/`). Another citizen's group answers 404.",
        responses={200: s.DossierGroupSerializer, 404: NOT_FOUND},
    ),
    create=extend_schema(
        operation_id="my_dossier_groups_submit",
        summary="Submit an inter-linked dossier",
        description="Nộp hồ sơ liên thông (Nghị định 63/2024): one submission for every procedure of a group "
        "(`GET /api/v1/procedure-groups/`), one group code, one dossier per procedure received by its own "
        "agency. Each file (`files` + `file_papers`) or document of the store (`citizen_documents` + "
        "`citizen_document_papers`) names the required paper it is, of any procedure of the group. If any "
        "part is invalid nothing is saved and the errors are given by procedure code. Send an "
        "`Idempotency-Key`: a retry with the same key returns the same group (200), never a second one.",
        parameters=[IDEMPOTENCY],
        request={MULTIPART: s.GroupSubmitSerializer},
        responses={
            201: s.DossierGroupSerializer,
            200: OpenApiResponse(
                s.DossierGroupSerializer, description="Same Idempotency-Key: already submitted."
            ),
            400: BAD_REQUEST,
            403: FORBIDDEN,
        },
    ),
)
class MyDossierGroupViewSet(DossierGroupsViewSet):
    permission_classes = [IsCitizen]
    parser_classes = [JSONParser, MultiPartParser]
    scope = "my"

    def create(self, request: Request) -> Response:
        user = _user(request)
        data = _body(s.GroupSubmitSerializer, request)
        key = _idempotency_key(request)
        existed = bool(key) and DossierGroup.objects.filter(created_by=user, idempotency_key=key).exists()
        by_procedure: dict[int, list[services.PaperInput]] = {}
        for paper in _papers(data):
            procedure = data["procedure_of_paper"][paper.required_paper]
            by_procedure.setdefault(procedure, []).append(paper)
        group = services.submit_group(
            actor=user,
            procedure_group=data["procedure_group"],
            papers=by_procedure,
            agencies=data["agency_by_procedure"],
            applicant=_applicant(data),
            description=data["description"],
            idempotency_key=key,
        )
        return self._group_response(group, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


__all__ = [
    "DossierGroupViewSet",
    "DossierViewSet",
    "IsCitizen",
    "MyDocumentViewSet",
    "MyDossierGroupViewSet",
    "MyDossierViewSet",
]
