"""Reporting REST API under ``/api/v1/reporting/``: regimes (JSON definitions), indicators, periods (with
completeness, aggregates and the export for the national reporting system), expected reports and their
versions.

Thin views: reads through ``reporting.selectors`` (a report the caller may not see answers 404), changes
through ``reporting.services`` (which check the caller's role again, validate, audit, and refuse before
writing anything: ``ValidationError`` → 400 with field errors, ``PermissionDenied`` → 403 with the Vietnamese
explanation).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from egov.directory.api.filters import parse
from egov.directory.api.views import BAD_REQUEST, FORBIDDEN, NOT_FOUND, caller
from egov.directory.models import Agency
from egov.reporting import dashboards, selectors, services
from egov.reporting.api.serializers import (
    EmptySerializer,
    IndicatorSerializer,
    PeriodOpenSerializer,
    PeriodSerializer,
    RegimeDefinitionSerializer,
    RegimeDetailSerializer,
    RegimeFilterSerializer,
    RegimeSerializer,
    ReportDetailSerializer,
    ReportFilterSerializer,
    ReportReturnSerializer,
    ReportSerializer,
    SubmissionDetailSerializer,
    SubmitSerializer,
    SubtreeFilterSerializer,
    ValuesSerializer,
)
from egov.reporting.models import ExpectedReport, Indicator, Period, Regime, Submission

MAX_PK = 2**63 - 1
JSON_OBJECT = OpenApiResponse(OpenApiTypes.OBJECT, description="See docs/reporting.md for the shape.")
ACTION_BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid values (`{indicator_code: [messages]}`), a closed period, or a report whose state "
    "does not allow this step. Nothing written.",
)


def _pk(value: str) -> int:
    number = int(value)
    if number > MAX_PK:
        raise Http404
    return number


def _body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


class ReportingViewSet(viewsets.GenericViewSet):
    metadata_class = None
    lookup_value_regex = r"[0-9]+"

    def paginated(self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)


def _regime(pk: str) -> Regime:
    regime = selectors.regimes().filter(pk=_pk(pk)).first()
    if regime is None:
        raise Http404
    return regime


def _period(pk: str) -> Period:
    period = selectors.periods().select_related("regime__receiving_agency").filter(pk=_pk(pk)).first()
    if period is None:
        raise Http404
    return period


def _root(request: Request, regime: Regime, agency_id: int | None) -> Agency | None:
    """The subtree asked for, after checking the caller may see it (the receiving agency's view when none)."""
    if agency_id is None:
        if not selectors.can_view_subtree(request.user, regime, regime.receiving_agency):
            raise PermissionDenied("Chỉ cơ quan nhận báo cáo được xem toàn bộ kỳ báo cáo.")
        return None
    root = Agency.objects.filter(pk=agency_id).first()
    if root is None:
        raise Http404
    if not selectors.can_view_subtree(request.user, regime, root):
        raise PermissionDenied("Bạn không được xem số liệu của cơ quan này.")
    return root


# --- Regimes --------------------------------------------------------------------------------------------


@extend_schema(tags=["reporting"])
@extend_schema_view(
    list=extend_schema(
        summary="Reporting regimes",
        description="Chế độ báo cáo (Nghị định 09/2019): readable by every staff account.",
        responses={200: RegimeSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One regime with its indicators", responses={200: RegimeDetailSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Create (or import) a regime",
        description="System administrators. The body is the regime's JSON definition (see `export`); a "
        "regime with the same `code` is updated.",
        request=RegimeDefinitionSerializer,
        responses={201: RegimeDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Change a regime",
        description="System administrators. Send only what changes; a given `indicators` list replaces the "
        "form (matched by code; an indicator that already has values cannot be removed).",
        request=RegimeDefinitionSerializer,
        responses={200: RegimeDetailSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class RegimeViewSet(ReportingViewSet):
    queryset = Regime.objects.none()
    serializer_class = RegimeSerializer
    http_method_names = ["get", "post", "patch", "head"]

    def list(self, request: Request) -> Response:
        return self.paginated(selectors.regimes(), RegimeSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(RegimeDetailSerializer(_regime(pk)).data)

    def create(self, request: Request) -> Response:
        data = dict(request.data) if isinstance(request.data, dict) else {}
        _body(RegimeDefinitionSerializer, request)
        regime = services.import_regime(actor=caller(request), data=data)
        return Response(RegimeDetailSerializer(_regime(str(regime.pk))).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        regime = _regime(pk)
        _body(RegimeDefinitionSerializer, request)
        definition = selectors.regime_definition(regime)
        changes = dict(request.data) if isinstance(request.data, dict) else {}
        changes.pop("code", None)
        if "indicators" not in changes:
            definition.pop("indicators")
        definition.update(changes)
        services.import_regime(actor=caller(request), data=definition)
        return Response(RegimeDetailSerializer(_regime(pk)).data)

    @extend_schema(
        summary="Export a regime's JSON definition",
        description="The body `create` accepts: move a regime between installations or keep it under version "
        "control.",
        responses={200: JSON_OBJECT, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        regime = _regime(pk)
        return Response({"id": regime.pk, **selectors.regime_definition(regime)})

    @extend_schema(
        summary="Completeness per period",
        description="Reports expected, received and received on time in each period of the regime. The "
        "receiving agency's staff and system administrators (or, with `agency`, staff of that subtree).",
        parameters=[SubtreeFilterSerializer],
        responses={200: JSON_OBJECT, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def completeness(self, request: Request, pk: str) -> Response:
        regime = _regime(pk)
        params = parse(SubtreeFilterSerializer, request)
        root = _root(request, regime, params.get("agency"))
        return Response(
            {
                "id": regime.pk,
                "regime": regime.code,
                "periods": selectors.completeness_by_period(regime, root),
            }
        )

    @extend_schema(
        summary="Generate the periods",
        description="Creates the regime's periods up to next month and the expected reports (system "
        "administrators; the worker does it every few hours). Idempotent.",
        request=EmptySerializer,
        responses={200: PeriodSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="generate-periods")
    def generate_periods(self, request: Request, pk: str) -> Response:
        regime = _regime(pk)
        created = services.generate_periods(actor=caller(request), regime=regime)
        return Response(PeriodSerializer(created, many=True).data)


@extend_schema(tags=["reporting"])
@extend_schema_view(
    list=extend_schema(
        summary="Indicators",
        description="Chỉ tiêu of the regimes (`kind`, `aggregation`, ranges, parts, table rows, source: "
        "`manual` or `computed` with its `source_code`).",
        parameters=[RegimeFilterSerializer],
        responses={200: IndicatorSerializer(many=True), 400: BAD_REQUEST},
    )
)
class IndicatorViewSet(ReportingViewSet):
    queryset = Indicator.objects.none()
    serializer_class = IndicatorSerializer

    def list(self, request: Request) -> Response:
        params = parse(RegimeFilterSerializer, request)
        qs = selectors.indicators()
        if "regime" in params:
            qs = qs.filter(regime_id=params["regime"])
        return self.paginated(qs, IndicatorSerializer)


# --- Periods --------------------------------------------------------------------------------------------


@extend_schema(tags=["reporting"])
@extend_schema_view(
    list=extend_schema(
        summary="Periods",
        description="Kỳ báo cáo with their cut-off window (Nghị định 09/2019, Điều 12) and deadline.",
        parameters=[RegimeFilterSerializer],
        responses={200: PeriodSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(summary="One period", responses={200: PeriodSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Open a period by hand",
        description="Ad hoc and thematic reports (đột xuất, chuyên đề): the receiving agency's leaders or "
        "system administrators. The deadline defaults to the regime's working days after `end`.",
        request=PeriodOpenSerializer,
        responses={201: PeriodSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    ),
)
class PeriodViewSet(ReportingViewSet):
    queryset = Period.objects.none()
    serializer_class = PeriodSerializer
    http_method_names = ["get", "post", "head"]

    def list(self, request: Request) -> Response:
        params = parse(RegimeFilterSerializer, request)
        qs = selectors.periods()
        if "regime" in params:
            qs = qs.filter(regime_id=params["regime"])
        return self.paginated(qs, PeriodSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PeriodSerializer(_period(pk)).data)

    def create(self, request: Request) -> Response:
        data = _body(PeriodOpenSerializer, request)
        period = services.open_period(actor=caller(request), **data)
        return Response(PeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Completeness and timeliness",
        description="Reports expected, received (sent or accepted), received on time, by agency.",
        parameters=[SubtreeFilterSerializer],
        responses={200: JSON_OBJECT, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def completeness(self, request: Request, pk: str) -> Response:
        period = _period(pk)
        params = parse(SubtreeFilterSerializer, request)
        root = _root(request, period.regime, params.get("agency"))
        return Response({"id": period.pk, **selectors.completeness(period, root)})

    @extend_schema(
        summary="Aggregated values",
        description="The figures of a subtree (default: every reporting agency) combined as each indicator "
        "says, with drill-down to the direct children of the root and to each contributing agency. Accepted "
        "reports only, unless `include_submitted`.",
        parameters=[SubtreeFilterSerializer],
        responses={200: JSON_OBJECT, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def aggregate(self, request: Request, pk: str) -> Response:
        period = _period(pk)
        params = parse(SubtreeFilterSerializer, request)
        root = _root(request, period.regime, params.get("agency"))
        data = selectors.aggregate(period, root, include_submitted=params["include_submitted"])
        return Response({"id": period.pk, **data})

    @extend_schema(
        summary="Export for the national reporting system",
        description="Every report of the period with its values and signature, the completeness figures and "
        "the aggregate, in the documented shape `egov.reporting.period-export/1` (docs/reporting.md). The "
        "receiving agency's staff and system administrators.",
        parameters=[SubtreeFilterSerializer],
        responses={200: JSON_OBJECT, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        period = _period(pk)
        params = parse(SubtreeFilterSerializer, request)
        _root(request, period.regime, None)
        data = selectors.period_export(period, include_submitted=params["include_submitted"])
        return Response({"id": period.pk, **data})

    @extend_schema(
        summary="Close the period",
        description="Khóa số liệu: no report of the period can be sent, accepted or returned afterwards "
        "(leaders of the receiving agency, system administrators).",
        request=EmptySerializer,
        responses={200: PeriodSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        period = services.close_period(actor=caller(request), period=_period(pk))
        return Response(PeriodSerializer(period).data)


# --- Reports --------------------------------------------------------------------------------------------

REPORT_ACTION = {200: ReportDetailSerializer, 400: ACTION_BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema(tags=["reporting"])
@extend_schema_view(
    list=extend_schema(
        summary="Expected reports",
        description="One row per (agency, regime, period) the caller may see: their agency's reports, those "
        "of the agencies under it, and for a receiving agency every report sent to it.",
        parameters=[ReportFilterSerializer],
        responses={200: ReportSerializer(many=True), 400: BAD_REQUEST},
    ),
    retrieve=extend_schema(
        summary="One report with its versions", responses={200: ReportDetailSerializer, 404: NOT_FOUND}
    ),
)
class ReportViewSet(ReportingViewSet):
    queryset = ExpectedReport.objects.none()
    serializer_class = ReportSerializer

    def _report(self, pk: str) -> ExpectedReport:
        try:
            return selectors.report_get(self.request.user, _pk(pk))
        except ExpectedReport.DoesNotExist:
            raise Http404 from None

    def _detail(self, pk: int) -> Response:
        return Response(ReportDetailSerializer(selectors.report_get(self.request.user, pk)).data)

    def list(self, request: Request) -> Response:
        params = parse(ReportFilterSerializer, request)
        qs = selectors.reports_visible_to(request.user)
        for name in ("regime", "period", "agency"):
            if name in params:
                qs = qs.filter(**{f"{name}_id": params[name]})
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        return self.paginated(qs.order_by("-period__end", "agency__path", "pk"), ReportSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ReportDetailSerializer(self._report(pk)).data)

    @extend_schema(
        summary="Save a draft",
        description="Staff of the reporting agency. Values are checked for kinds and ranges only.",
        request=ValuesSerializer,
        responses=REPORT_ACTION,
    )
    @action(detail=True, methods=["post"])
    def draft(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        data = _body(ValuesSerializer, request)
        services.save_draft(
            actor=caller(request), report=report, values=data["values"], note=data.get("note", "")
        )
        return self._detail(report.pk)

    @extend_schema(
        summary="Send the report",
        description="Clerks, leaders and agency administrators of the reporting agency. Checked completely "
        "(required values, ranges, parts adding up to totals), signed with the agency's certificate. Large "
        "changes since the previous period come back as `warnings` on the version; they do not block.",
        request=SubmitSerializer,
        responses=REPORT_ACTION,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        data = _body(SubmitSerializer, request)
        services.submit(
            actor=caller(request), report=report, values=data.get("values"), note=data.get("note")
        )
        return self._detail(report.pk)

    @extend_schema(
        summary="Accept the report",
        description="Leaders and agency administrators of the receiving agency.",
        request=EmptySerializer,
        responses=REPORT_ACTION,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        services.accept(actor=caller(request), report=report)
        return self._detail(report.pk)

    @extend_schema(
        summary="Return the report for correction",
        description="Leaders and agency administrators of the receiving agency, with a reason. The agency "
        "corrects it in a new version; this one is kept.",
        request=ReportReturnSerializer,
        responses=REPORT_ACTION,
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str) -> Response:
        report = self._report(pk)
        data = _body(ReportReturnSerializer, request)
        services.return_report(actor=caller(request), report=report, reason=data["reason"])
        return self._detail(report.pk)


@extend_schema(tags=["reporting"])
@extend_schema_view(
    retrieve=extend_schema(
        summary="One version of a report",
        description="Values, warnings, review and the signature with its verification (signature over the "
        "canonical JSON, certificate chain to a trusted root, validity and revocation at the signing time).",
        responses={200: SubmissionDetailSerializer, 404: NOT_FOUND},
    ),
)
class SubmissionViewSet(ReportingViewSet):
    queryset = Submission.objects.none()
    serializer_class = SubmissionDetailSerializer

    def retrieve(self, request: Request, pk: str) -> Response:
        try:
            submission = selectors.submission_get(request.user, _pk(pk))
        except Submission.DoesNotExist:
            raise Http404 from None
        return Response(SubmissionDetailSerializer(submission).data)


# --- platform indicators (the leader dashboard's figures) -----------------------------------------------


class PlatformIndicatorsView(APIView):
    """Chỉ tiêu tự động: the figures computed from the platform's daily facts for an agency's subtree and a
    period — the key indicators with numerator and denominator, the Quyết định 766 service index with its
    components, and each direct child's figures (drill-down). The same data as the leader dashboard
    (``/bao-cao/dieu-hanh/``), read from the pre-aggregated facts only."""

    metadata_class = None

    @extend_schema(
        operation_id="reporting_platform_indicators",
        summary="Figures computed from the platform for an agency's subtree and a period",
        parameters=[
            OpenApiParameter("agency", int, description="Root agency (default: the caller's highest one)."),
            OpenApiParameter(
                "p", str, description="Period: `2026`, `2026-Q2` or `2026-05` (default: this year)"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        user = caller(request)
        roots = dashboards.dashboard_roots(user)
        agency_id = request.query_params.get("agency", "")
        if agency_id:
            try:
                root = Agency.objects.get(pk=_pk(agency_id))
            except (ValueError, Agency.DoesNotExist):
                raise Http404 from None
        elif roots:
            root = roots[0]
        else:
            raise PermissionDenied(_("Bạn chưa thuộc cơ quan nào để xem số liệu."))
        span = dashboards.parse_span(request.query_params.get("p"))
        board = dashboards.dashboard(user, root, span, with_late=False)

        def agency(a: Agency) -> dict[str, Any]:
            return {"id": a.pk, "name": a.name, "kind": a.kind}

        return Response(
            {
                "agency": agency(board.root),
                "period": {"key": span.key, "label": str(span.label), "start": span.start, "end": span.end},
                "indicators": board.cards,
                "service_index": board.index,
                "procedures_offered": board.offered,
                "children": [
                    {"agency": agency(row["agency"]), "values": row["values"], "service_index": row["index"]}
                    for row in board.children
                ],
                "trend": board.trend,
            }
        )
