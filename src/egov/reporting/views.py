"""Staff pages of the reporting app (báo cáo, bảng điều hành) and the public transparency page.

* ``/bao-cao/``: the reports the user's agencies owe (status, deadline) and those awaiting their review;
* ``/bao-cao/<id>/``: one report — the form (values per indicator, table indicators as a grid, computed
  indicators prefilled from the platform facts), send, accept, return with a reason, version history;
* ``/bao-cao/dieu-hanh/``: the leader dashboard (``?agency=&p=``) and its XLSX/PDF exports;
* ``/dich-vu-cong/minh-bach/``: on-time rate and online share per agency, for everyone, no personal data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from egov.directory.auth_views import staff_required
from egov.directory.models import Agency
from egov.directory.selectors import member_agency_ids
from egov.reporting import charts, dashboards, exports, selectors, services
from egov.reporting.models import ExpectedReport, Indicator
from egov.reporting.validation import to_json_number

SECTION = "reporting"


# --- reports --------------------------------------------------------------------------------------------


@staff_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    ids = member_agency_ids(user)
    visible = selectors.reports_visible_to(user).order_by("period__deadline", "agency__path", "pk")
    status = request.GET.get("status", "")
    own = visible.filter(agency_id__in=ids, period__closed_at__isnull=True)
    if status in ExpectedReport.Status.values:
        own = own.filter(status=status)
    review = visible.filter(
        regime__receiving_agency_id__in=ids,
        status=ExpectedReport.Status.SUBMITTED,
        period__closed_at__isnull=True,
    )
    return render(
        request,
        "reporting/list.html",
        {
            "section": SECTION,
            "own": own[:200],
            "review": review[:200],
            "status": status,
            "statuses": ExpectedReport.Status.choices,
        },
    )


def _field_name(code: str, row: str = "") -> str:
    return f"v-{code}-{row}" if row else f"v-{code}"


def _values_from_post(inds: list[Indicator], data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for ind in inds:
        if ind.kind == Indicator.Kind.TABLE:
            table = {}
            for row in ind.row_codes():
                raw = (data.get(_field_name(ind.code, row)) or "").strip()
                if raw:
                    table[row] = raw
            if table:
                values[ind.code] = table
        else:
            raw = (data.get(_field_name(ind.code)) or "").strip()
            if raw:
                values[ind.code] = raw
    return values


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return str(to_json_number(Decimal(str(value)))).replace(".", ",")
    return str(value)


def _form_rows(
    inds: list[Indicator], values: dict[str, Any], computed: set[str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    rows = []
    for ind in inds:
        value = values.get(ind.code)
        prefilled = ind.code in computed
        cells = []
        if ind.kind == Indicator.Kind.TABLE:
            table = value if isinstance(value, dict) else {}
            for r in ind.rows or []:
                code = str(r.get("code"))
                cells.append(
                    {
                        "name": _field_name(ind.code, code),
                        "label": r.get("name", code),
                        "value": _display(table.get(code)),
                    }
                )
        rows.append(
            {
                "indicator": ind,
                "name": _field_name(ind.code),
                "value": "" if ind.kind == Indicator.Kind.TABLE else _display(value),
                "cells": cells,
                "prefilled": prefilled,
                "computed": ind.source == Indicator.Source.COMPUTED,
                "errors": errors.get(ind.code, []),
            }
        )
    return rows


@staff_required
@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = request.user
    try:
        report = selectors.report_get(user, pk)
    except ExpectedReport.DoesNotExist:
        raise Http404 from None
    inds = list(selectors.indicators(report.regime))
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    posted: dict[str, Any] | None = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("draft", "submit"):
                posted = _values_from_post(inds, request.POST)
                note = request.POST.get("note", "")
                if action == "draft":
                    services.save_draft(actor=user, report=report, values=posted, note=note)
                    messages.success(request, _("Đã lưu bản nháp."))
                else:
                    sub = services.submit(actor=user, report=report, values=posted, note=note)
                    messages.success(request, _("Đã gửi báo cáo (phiên bản %(v)s).") % {"v": sub.version})
                    for warning in sub.warnings:
                        messages.warning(
                            request, warning.get("message", "") if isinstance(warning, dict) else warning
                        )
            elif action == "accept":
                services.accept(actor=user, report=report)
                messages.success(request, _("Đã tiếp nhận báo cáo."))
            elif action == "return":
                services.return_report(actor=user, report=report, reason=request.POST.get("reason", ""))
                messages.success(request, _("Đã trả lại báo cáo để sửa."))
            else:
                raise ValidationError(_("Thao tác không hợp lệ."))
            return redirect("reporting:report", pk=report.pk)
        except PermissionDenied as exc:
            general.append(str(exc) or _("Bạn không có quyền thực hiện thao tác này."))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, msgs in exc.message_dict.items():
                    if key in {i.code for i in inds}:
                        errors[key] = list(msgs)
                    else:
                        general.extend(msgs)
            else:
                general.extend(exc.messages)
        report = selectors.report_get(user, pk)
    current = report.current
    editable = report.status in selectors.OUTSTANDING and not report.period.is_closed
    values = posted if posted is not None else (current.values if current else {})
    filled: set[str] = set()
    if editable:  # the same prefill as the services apply when saving (dashboards.with_computed)
        values, filled = dashboards.with_computed(report, values or {})
    return render(
        request,
        "reporting/report.html",
        {
            "section": SECTION,
            "report": report,
            "rows": _form_rows(inds, values or {}, filled, errors),
            "general_errors": general,
            "editable": editable and selectors.can_draft(user, report.agency),
            "can_submit": editable and selectors.can_submit(user, report.agency),
            "can_review": report.status == ExpectedReport.Status.SUBMITTED
            and not report.period.is_closed
            and selectors.can_review(user, report.regime),
            "history": list(selectors.history(report)),
            "current": current,
            "note": request.POST.get("note", "") if posted is not None else (current.note if current else ""),
            "status_badge": report.status,
        },
        status=400 if (errors or general) else 200,
    )


# --- dashboard ------------------------------------------------------------------------------------------


def _board_context(request: HttpRequest) -> tuple[dashboards.Dashboard, dict[str, Any]]:
    user = request.user
    roots = dashboards.dashboard_roots(user)
    if not roots:
        raise PermissionDenied(_("Bạn chưa thuộc cơ quan nào để xem bảng điều hành."))
    agency_id = request.GET.get("agency", "")
    root = roots[0]
    if agency_id:
        try:
            root = Agency.objects.get(pk=int(agency_id))
        except (ValueError, Agency.DoesNotExist):
            raise Http404 from None
    span = dashboards.parse_span(request.GET.get("p"))
    board = dashboards.dashboard(user, root, span)
    return board, {"roots": roots}


def _charts(board: dashboards.Dashboard) -> dict[str, Any]:
    rankings = []
    for ranking in board.rankings:
        kind = ranking["kind"]
        rankings.append(
            {
                **ranking,
                "chart": charts.bars(
                    [(r["agency"].name, r["value"]) for r in ranking["rows"]],
                    kind,
                    maximum=100 if kind == "percent" else None,
                ),
            }
        )
    return {
        "rankings": rankings,
        "trend_received": charts.columns([(p["label"], p["received"]) for p in board.trend], "count"),
        "trend_on_time": charts.columns(
            [(p["label"], p["on_time"]) for p in board.trend], "percent", maximum=100
        ),
        "index_chart": charts.bars(
            [(c["label"], c["value"]) for c in board.index["components"]], "percent", maximum=100
        ),
    }


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        board, extra = _board_context(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reporting:dashboard")
    parents = list(board.root.ancestors()) if board.root.parent_id else []
    viewable_parents = [a for a in parents if dashboards.can_view_dashboard(request.user, a)]
    return render(
        request,
        "reporting/dashboard.html",
        {
            "section": SECTION,
            "board": board,
            "spans": dashboards.span_choices(),
            "parents": viewable_parents,
            **extra,
            **_charts(board),
        },
    )


@staff_required
@require_GET
def dashboard_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    try:
        board, _extra = _board_context(request)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    body = exports.dashboard_xlsx(board) if fmt == "xlsx" else exports.dashboard_pdf(board)
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "application/pdf"
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, exports.filename(board, fmt))
    return response


# --- public transparency page ---------------------------------------------------------------------------


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    try:
        span = dashboards.parse_span(request.GET.get("p"))
    except ValidationError:
        span = dashboards.parse_span(None)
    page = dashboards.transparency(span)
    chart = charts.bars([(r["agency"], r["on_time"]) for r in page["rows"][:30]], "percent", maximum=100)
    response = render(
        request,
        "reporting/transparency.html",
        {"page": page, "spans": dashboards.span_choices(), "chart": chart, "section": "transparency"},
    )
    response["Cache-Control"] = "public, max-age=300"
    return response
