"""Staff pages of the one-stop shop (Bộ phận Một cửa): the reception desk (tiếp nhận hồ sơ trực tiếp /
bưu chính, phiếu tiếp nhận mẫu 01), the queue by deadline, the dossier page with its timeline and the
actions of each role (dialogs loaded with htmx), the printouts (mẫu 01–06, sổ theo dõi mẫu 07) and the
statistics.

Views are thin: they read through ``dossiers.selectors`` and change through ``dossiers.services``, which
check the roles (``PermissionDenied`` → the 403 page) and the input (``ValidationError`` → messages in the
dialog, nothing saved). Buttons are shown only to the users who can use them (:func:`abilities` mirrors the
services' rules); the services decide anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from egov.core.text import fold
from egov.directory import selectors as directory
from egov.directory.auth_views import staff_required
from egov.directory.forms import add_service_errors
from egov.directory.models import Agency, Delegation, Position, Role, User
from egov.documents import files
from egov.dossiers import deadlines, forms, printouts, selectors, services
from egov.dossiers.models import Dossier, DossierStep, Rating, Status
from egov.notify import selectors as notify_selectors
from egov.procedures import selectors as procedure_selectors
from egov.procedures.models import Procedure, ProcedureAgency

PER_PAGE = 25
PROCEDURE_RESULTS = 30
LEADER_ROLES = (Role.LEADER, Role.DEPUTY_LEADER)
STATISTICS_ROLES = (Role.LEADER, Role.DEPUTY_LEADER, Role.ONE_STOP_OFFICER)
S = Status

EVENT_LABELS = {
    "submitted": pgettext_lazy("dossier timeline", "Nộp hồ sơ"),
    "accepted": pgettext_lazy("dossier timeline", "Tiếp nhận hồ sơ"),
    "refused": pgettext_lazy("dossier timeline", "Từ chối tiếp nhận"),
    "processing": pgettext_lazy("dossier timeline", "Chuyển xử lý"),
    "assigned": pgettext_lazy("dossier timeline", "Phân công xử lý"),
    "step_done": pgettext_lazy("dossier timeline", "Hoàn thành bước xử lý"),
    "step_returned": pgettext_lazy("dossier timeline", "Trả lại bước trước"),
    "done": pgettext_lazy("dossier timeline", "Đã xử lý xong"),
    "supplement_requested": pgettext_lazy("dossier timeline", "Yêu cầu bổ sung hồ sơ"),
    "supplement_provided": pgettext_lazy("dossier timeline", "Bổ sung hồ sơ"),
    "payment_requested": pgettext_lazy("dossier timeline", "Yêu cầu nộp phí, lệ phí"),
    "paid": pgettext_lazy("dossier timeline", "Đã nộp phí, lệ phí"),
    "withdrawn": pgettext_lazy("dossier timeline", "Rút hồ sơ"),
    "stopped": pgettext_lazy("dossier timeline", "Dừng xử lý"),
    "extended": pgettext_lazy("dossier timeline", "Xin lỗi và hẹn lại ngày trả"),
    "result_attached": pgettext_lazy("dossier timeline", "Cập nhật kết quả"),
    "returned": pgettext_lazy("dossier timeline", "Trả kết quả"),
    "rated": pgettext_lazy("dossier timeline", "Đánh giá mức độ hài lòng"),
    "feedback": pgettext_lazy("dossier timeline", "Phản ánh, kiến nghị"),
}

PRINTOUTS = {
    "01": gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)"),
    "02": gettext_lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02)"),
    "03": gettext_lazy("Phiếu từ chối tiếp nhận giải quyết hồ sơ (mẫu 03)"),
    "04": gettext_lazy("Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)"),
    "05": gettext_lazy("Phiếu đề nghị dừng xử lý / thông báo dừng (mẫu 05)"),
    "06": gettext_lazy("Phiếu kiểm soát quá trình giải quyết hồ sơ (mẫu 06)"),
}


# --- helpers --------------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return request.user


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _render(
    request: HttpRequest, full: str, fragment: str | None, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    partial = bool(fragment) and _partial(request)
    context = {**context, "fragment": partial}
    response = render(request, fragment if partial and fragment else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


class Roles:
    """The roles a user acts in (positions and delegations), read once per request; ``has`` answers like
    the services' ``_has_role`` (the role held in the agency or one of its internal units)."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.admin = directory.is_system_admin(user)
        self.pairs = [] if self.admin else directory.acting_roles(user)
        self._closures: dict[int, set[int]] = {}

    def closure(self, agency: Agency) -> set[int]:
        if agency.pk not in self._closures:
            self._closures[agency.pk] = directory.unit_closure(agency)
        return self._closures[agency.pk]

    def has(self, agency: Agency, roles: tuple[str, ...] | list[str]) -> bool:
        if self.admin:
            return True
        if not self.pairs:
            return False
        closure = self.closure(agency)
        return any(a.pk in closure and r in roles for a, r in self.pairs)

    def organisations(self, roles: tuple[str, ...]) -> list[Agency]:
        """The organisations where the user holds one of ``roles`` (own position or delegation)."""
        found: dict[int, Agency] = {}
        for agency, role in self.pairs:
            if role in roles:
                org = agency.organisation()
                found.setdefault(org.pk, org)
        return sorted(found.values(), key=lambda a: a.name)


def abilities(
    user: Any, dossier: Dossier, steps: list[DossierStep] | None = None, roles: Roles | None = None
) -> dict[str, bool]:
    """Which actions of the dossier page ``user`` may use now: the services' rules, repeated so that only
    usable buttons are shown (the services check again)."""
    r = roles or Roles(user)
    status = dossier.status
    officer = r.has(dossier.receiving_agency, (Role.ONE_STOP_OFFICER,))
    step = dossier.current_step
    active = step is not None and step.state == DossierStep.State.ACTIVE
    step_actor = False
    step_leader = False
    if step is not None:
        step_leader = r.has(step.agency, LEADER_ROLES)
        if active:
            step_actor = (step.handler_id is not None and step.handler_id == user.pk) or r.has(
                step.agency, (step.role, *LEADER_ROLES)
            )
    leader_or_officer = officer or r.has(dossier.receiving_agency, LEADER_ROLES) or step_leader
    if steps is None:
        steps = list(dossier.steps.select_related("agency").order_by("order"))
    last = steps[-1] if steps else None
    current_order = step.order if step is not None else 0
    has_previous = active and any(
        s.order < current_order and s.state == DossierStep.State.DONE for s in steps
    )
    issuer = (last.agency if last else dossier.receiving_agency).organisation()
    result_allowed = officer or r.has(issuer, (*LEADER_ROLES, Role.SPECIALIST, Role.CLERK))
    return {
        "accept": officer and status == S.NEW,
        "refuse": officer and status == S.NEW,
        "start": officer and status == S.RECEIVED,
        "forward": step_actor and status == S.PROCESSING,
        "complete": step_actor and status == S.PROCESSING,
        "return_step": step_actor and status == S.PROCESSING and has_previous,
        "supplement": (officer or step_actor) and status in (S.NEW, S.RECEIVED, S.PROCESSING),
        "provide": officer and status == S.SUPPLEMENT,
        "payment_request": (officer or step_actor) and status in (S.RECEIVED, S.PROCESSING),
        "payment_record": officer and status == S.PAYMENT,
        "stop": leader_or_officer and status in (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT),
        "apology": leader_or_officer
        and status in (S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT)
        and dossier.due_at is not None,
        "result": result_allowed and status in (S.PROCESSING, S.DONE),
        "return": officer and status == S.DONE,
        "withdraw": officer and status in (S.NEW, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT),
    }


def _flag_classes() -> Callable[[Dossier], str]:
    """``late`` (red), ``due_soon`` (amber) or nothing, for the templates: the rule now
    (:func:`selectors.deadline_flagger`, one calendar look-up for the whole page), so that a dossier that
    became late since the last periodic scan shows so."""
    flag = selectors.deadline_flagger()
    return lambda d: deadlines.FLAG_CLASSES[flag(d)]


def _dossier_or_404(user: Any, pk: int) -> Dossier:
    dossier = selectors.dossier_get(user, pk)
    if dossier is None:  # not found and not visible look the same
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def _step_people(step: DossierStep | None) -> list[User]:
    """The people who may handle ``step``, as the services check it: holders of its role (or leaders) in its
    agency and units, through their own position or an active delegation (ủy quyền). Those who act only
    through a delegation carry ``via_delegation = True`` (the picker labels them "(ủy quyền)")."""
    if step is None:
        return []
    ids = directory.unit_closure(step.agency)
    roles = [step.role, *LEADER_ROLES]
    positions = Position.objects.active().filter(agency_id__in=ids, role__in=roles)
    delegations = Delegation.objects.active().filter(agency_id__in=ids, role__in=roles)
    holders = set(positions.values_list("user_id", flat=True))
    people = list(
        User.objects.filter(
            Q(pk__in=holders) | Q(pk__in=delegations.values("delegate_id")),
            is_active=True,
            kind=User.Kind.STAFF,
        ).order_by("full_name", "username")
    )
    for person in people:
        person.via_delegation = person.pk not in holders  # type: ignore[attr-defined]
    return people


def _pdf_response(
    data: bytes, filename: str, *, inline: bool = True, content_type: str = "application/pdf"
) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", fold(text)).strip("-.") or "ho-so"


# --- queue ----------------------------------------------------------------------------------------------


def _visible_procedures(user: Any, roles: Roles) -> QuerySet[Procedure]:
    qs = Procedure.objects.filter(is_active=True)
    if roles.admin:
        return qs.order_by("code")
    ids = directory.member_agency_ids(user)
    links = ProcedureAgency.objects.filter(agency_id__in=ids).values("procedure_id")
    return qs.filter(pk__in=links).order_by("code")


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Hồ sơ của tôi theo hạn: open dossiers of my agencies, most urgent first, with deadline flags."""
    user = _user(request)
    roles = Roles(user)
    form = forms.QueueFilterForm(request.GET or None, procedures=_visible_procedures(user, roles))
    values = form.values()
    is_officer = roles.admin or any(r == Role.ONE_STOP_OFFICER for _a, r in roles.pairs)
    kind = values.pop("kind", "") or ("reception" if is_officer else "steps")
    qs = selectors.officer_queue(user, selectors.QueueFilter(kind=kind, **values)).select_related(
        "current_step__handler"
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    flag = _flag_classes()
    rows = [(d, flag(d)) for d in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "section": "one-stop",
        "form": form,
        "kind": kind,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "filtered": any(v not in (None, "") for v in values.values()),
        "can_receive": bool(roles.organisations((Role.ONE_STOP_OFFICER,))) or roles.admin,
        "can_statistics": roles.admin or bool(roles.organisations(STATISTICS_ROLES)),
    }
    return _render(request, "dossiers/queue.html", "dossiers/_queue_results.html", context)


# --- desk reception -------------------------------------------------------------------------------------


def _desk_agencies(roles: Roles) -> list[Agency]:
    if roles.admin:
        ids = ProcedureAgency.objects.filter(role=ProcedureAgency.Part.RECEIVING).values("agency_id")
        return list(Agency.objects.filter(pk__in=ids).order_by("name"))
    return roles.organisations((Role.ONE_STOP_OFFICER,))


def _desk_procedures(agency: Agency, search: str) -> QuerySet[Procedure]:
    qs = procedure_selectors.procedures_received_by(agency)
    for word in fold(search).split():
        qs = qs.filter(search_key__contains=word)
    return qs


@staff_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """Tiếp nhận hồ sơ — bước 1: choose the procedure (accent-insensitive search among the procedures the
    desk receives)."""
    roles = Roles(_user(request))
    agencies = _desk_agencies(roles)
    if not agencies:
        raise PermissionDenied(_("Chỉ Cán bộ một cửa được tiếp nhận hồ sơ."))
    form = forms.ProcedureSearchForm(request.GET or None, agencies=agencies)
    search, agency = "", agencies[0]
    if form.is_valid():
        search = form.cleaned_data["q"].strip()
        chosen = form.cleaned_data.get("agency")
        agency = next((a for a in agencies if a.pk == chosen), agencies[0])
    results = list(_desk_procedures(agency, search)[: PROCEDURE_RESULTS + 1])
    context = {
        "section": "one-stop",
        "form": form,
        "agency": agency,
        "results": results[:PROCEDURE_RESULTS],
        "more": len(results) > PROCEDURE_RESULTS,
        "search": search,
    }
    return _render(request, "dossiers/desk.html", "dossiers/_procedure_results.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def desk_receive(request: HttpRequest, agency_pk: int, procedure_pk: int) -> HttpResponse:
    """Tiếp nhận hồ sơ — bước 2: the applicant, the channel, the checklist of papers with scans, then
    "Tiếp nhận" (received and accepted at once, the appointment given) or "Từ chối" (with the reason)."""
    user = _user(request)
    roles = Roles(user)
    agency = next((a for a in _desk_agencies(roles) if a.pk == agency_pk), None)
    if agency is None:
        raise PermissionDenied(_("Bạn không phải Cán bộ một cửa của cơ quan này."))
    procedure = (
        procedure_selectors.procedures_received_by(agency)
        .filter(pk=procedure_pk)
        .prefetch_related("papers")
        .first()
    )
    if procedure is None:
        raise Http404(_("Cơ quan không tiếp nhận thủ tục này."))
    form = forms.DeskForm(request.POST or None, request.FILES or None, procedure=procedure)
    if request.method == "POST" and form.is_valid():
        refuse = form.cleaned_data["decision"] == "refuse"
        try:
            with transaction.atomic():
                dossier = services.receive_at_desk(
                    actor=user,
                    procedure=procedure,
                    agency=agency,
                    applicant=form.applicant(),
                    papers=form.paper_inputs(),
                    channel=form.cleaned_data["channel"],
                    description=form.cleaned_data.get("description") or "",
                    accept=not refuse,
                    idempotency_key=form.cleaned_data.get("idempotency_key") or "",
                )
                if refuse and dossier.status == S.NEW:
                    dossier = services.refuse(
                        actor=user, dossier=dossier, reason=form.cleaned_data["refusal_reason"]
                    )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if dossier.status == S.REFUSED:
                messages.success(
                    request,
                    _("Đã từ chối tiếp nhận hồ sơ %(c)s. In phiếu từ chối (mẫu 03) cho người nộp.")
                    % {"c": dossier.code},
                )
            else:
                messages.success(
                    request,
                    _(
                        "Đã tiếp nhận hồ sơ %(c)s, hẹn trả kết quả ngày %(d)s. "
                        "In giấy tiếp nhận (mẫu 01) cho người nộp."
                    )
                    % {"c": dossier.code, "d": deadlines.format_day(dossier.due_at)},
                )
            return redirect("dossiers:detail", pk=dossier.pk)
    method = procedure.methods.all()
    context = {
        "section": "one-stop",
        "form": form,
        "agency": agency,
        "procedure": procedure,
        "methods": method,
        "files_lost": bool(form.errors and request.FILES),
    }
    return render(request, "dossiers/desk_form.html", context, status=400 if form.errors else 200)


# --- dossier page ---------------------------------------------------------------------------------------


def _timeline_rows(dossier: Dossier) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.timeline(dossier):
        data = event.data or {}
        details: list[str] = []
        if event.step is not None and event.kind in ("processing", "assigned", "step_done", "step_returned"):
            details.append(_("Bước: %(s)s") % {"s": event.step.name})
        if event.kind == "step_returned" and data.get("to_step_name"):
            details.append(_("Trả lại bước: %(s)s") % {"s": data["to_step_name"]})
        if data.get("receipt"):
            details.append(_("Biên lai số %(n)s") % {"n": data["receipt"]})
        if data.get("amount"):
            details.append(_("Số tiền: %(a)s đồng") % {"a": f"{int(data['amount']):,}".replace(",", ".")})
        if data.get("papers") and isinstance(data["papers"], list):
            details.append(_("Giấy tờ: %(p)s") % {"p": "; ".join(str(p) for p in data["papers"])})
        if data.get("tracking"):
            details.append(_("Số vận đơn: %(t)s") % {"t": data["tracking"]})
        if event.kind == "extended" and event.due_at is not None:
            details.append(_("Hẹn trả mới: %(d)s") % {"d": deadlines.format_day(event.due_at)})
        if data.get("paused_working_days"):
            details.append(_("Tạm dừng %(n)s ngày làm việc") % {"n": data["paused_working_days"]})
        if data.get("score"):
            details.append(_("Mức độ hài lòng: %(n)s/5") % {"n": data["score"]})
        rows.append(
            {
                "event": event,
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "status": Status(event.to_status).label,
                "details": details,
            }
        )
    return rows


def _printouts(dossier: Dossier) -> list[tuple[str, Any]]:
    """The printed forms the page offers (the one rule: :func:`printouts.available_forms`)."""
    return [(code, PRINTOUTS[code]) for code in printouts.available_forms(dossier)]


def _page_context(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    user = _user(request)
    steps = list(dossier.steps.select_related("agency", "handler", "finished_by").order_by("order"))
    supplements = list(dossier.supplements.select_related("requested_by").order_by("requested_at"))
    apologies = list(selectors.apologies(dossier).select_related("issued_by"))
    notices = list(notify_selectors.messages_for(dossier)[:100])
    flag = _flag_classes()(dossier)
    return {
        "section": "one-stop",
        "dossier": dossier,
        "flag": flag,
        "can": abilities(user, dossier, steps),
        "papers": list(dossier.papers.select_related("file").order_by("id")),
        "steps": steps,
        "supplements": supplements,
        "payments": list(dossier.payments.select_related("recorded_by").order_by("requested_at")),
        "apologies": apologies,
        "rating": Rating.objects.filter(dossier=dossier).first(),
        "feedback": list(dossier.feedback.select_related("author").order_by("created_at")),
        "notices": notices,
        "timeline": _timeline_rows(dossier),
        "printouts": _printouts(dossier),
        "result_file": selectors.result_file_for(user, dossier),
    }


@staff_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _dossier_or_404(_user(request), pk)
    return render(request, "dossiers/detail.html", _page_context(request, dossier))


@staff_required
@require_GET
def paper_file(request: HttpRequest, pk: int, paper_pk: int) -> HttpResponseBase:
    dossier = _dossier_or_404(_user(request), pk)
    paper = dossier.papers.select_related("file").filter(pk=paper_pk, file__isnull=False).first()
    if paper is None or paper.file is None:
        raise Http404(_("Không tìm thấy tệp."))
    return files.file_response(paper.file, inline=request.GET.get("inline") == "1")


@staff_required
@require_GET
def result_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    dossier = _dossier_or_404(user, pk)
    stored = selectors.result_file_for(user, dossier)
    if stored is None:
        raise Http404(_("Hồ sơ chưa có kết quả điện tử."))
    return files.file_response(stored, inline=request.GET.get("inline") == "1")


@staff_required
@require_GET
def printout(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """Mẫu 01–06 of Thông tư 01/2018/TT-VPCP as a PDF shown in the browser (to print for the applicant)."""
    dossier = _dossier_or_404(_user(request), pk)
    available = dict(_printouts(dossier))
    if form not in available:
        raise Http404(_("Hồ sơ này không có mẫu phiếu %(f)s.") % {"f": form})
    data = printouts.form_pdf(dossier, form)
    return _pdf_response(data, f"mau-{form}-{_safe_name(dossier.code)}.pdf")


# --- actions (dialogs) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    title: Any
    button: Any
    form: Callable[[HttpRequest, Any, Dossier, bool], Any]
    call: Callable[[Any, Dossier, Any], Any]
    done: Callable[[Dossier, Any], str]
    intro: Any = ""
    multipart: bool = False
    danger: bool = False


def _data(request: HttpRequest, bound: bool) -> Any:
    return request.POST if bound else None


def _files(request: HttpRequest, bound: bool) -> Any:
    return request.FILES if bound else None


def _first_pending(dossier: Dossier) -> DossierStep | None:
    return (
        dossier.steps.filter(state=DossierStep.State.PENDING)
        .select_related("agency")
        .order_by("order")
        .first()
    )


def _next_pending(dossier: Dossier) -> DossierStep | None:
    current = dossier.current_step
    qs = dossier.steps.filter(state=DossierStep.State.PENDING).select_related("agency").order_by("order")
    if current is not None:
        qs = qs.filter(order__gt=current.order)
    return qs.first()


def _can_sign(dossier: Dossier) -> bool:
    from egov.signing import selectors as signing_selectors

    last = dossier.steps.select_related("agency").order_by("-order").first()
    issuer = (last.agency if last else dossier.receiving_agency).organisation()
    return signing_selectors.agency_certificate_for(issuer) is not None


def _record_payment(user: Any, d: Dossier, f: Any) -> Any:
    return services.record_payment(
        actor=user, dossier=d, method="desk", reference=f.cleaned_data["reference"]
    )


def _provide(user: Any, d: Dossier, f: Any) -> Any:
    data = f.cleaned_data
    paper = services.PaperInput(
        required_paper=data.get("required_paper"),
        upload=data.get("upload") or None,
        name=data.get("name") or "",
    )
    return services.provide_supplement(actor=user, dossier=d, papers=[paper], note=data.get("note") or "")


def _fee(d: Dossier) -> str:
    return f"{d.fee_amount:,}".replace(",", ".")


ACTIONS: dict[str, Action] = {
    "accept": Action(
        gettext_lazy("Tiếp nhận hồ sơ"),
        gettext_lazy("Tiếp nhận"),
        lambda r, u, d, b: forms.ConfirmForm(_data(r, b)),
        lambda u, d, f: services.accept(actor=u, dossier=d),
        lambda d, res: (
            _("Đã tiếp nhận hồ sơ, hẹn trả kết quả ngày %(d)s.") % {"d": deadlines.format_day(res.due_at)}
        ),
        gettext_lazy(
            "Hồ sơ đủ thành phần, hợp lệ: tiếp nhận, tính ngày hẹn trả và gửi thông báo cho người nộp."
        ),
    ),
    "refuse": Action(
        gettext_lazy("Từ chối tiếp nhận"),
        gettext_lazy("Từ chối tiếp nhận"),
        lambda r, u, d, b: forms.ReasonForm(_data(r, b)),
        lambda u, d, f: services.refuse(actor=u, dossier=d, reason=f.cleaned_data["reason"]),
        lambda d, res: _("Đã từ chối tiếp nhận hồ sơ; in phiếu từ chối (mẫu 03)."),
        danger=True,
    ),
    "start": Action(
        gettext_lazy("Chuyển xử lý"),
        gettext_lazy("Chuyển xử lý"),
        lambda r, u, d, b: forms.HandlerForm(
            _data(r, b), people=_step_people(_first_pending(d)), required=False
        ),
        lambda u, d, f: services.start_processing(actor=u, dossier=d, handler=f.cleaned_data["handler"]),
        lambda d, res: (
            _("Đã chuyển hồ sơ sang bước “%(s)s”.") % {"s": res.current_step.name if res.current_step else ""}
        ),
    ),
    "forward": Action(
        gettext_lazy("Phân công trong đơn vị"),
        gettext_lazy("Phân công"),
        lambda r, u, d, b: forms.HandlerForm(
            _data(r, b), people=[p for p in _step_people(d.current_step) if p.pk != u.pk]
        ),
        lambda u, d, f: services.forward_step(
            actor=u, dossier=d, handler=f.cleaned_data["handler"], note=f.cleaned_data["note"]
        ),
        lambda d, res: _("Đã phân công xử lý bước hiện tại."),
    ),
    "complete": Action(
        gettext_lazy("Hoàn thành bước xử lý"),
        gettext_lazy("Đồng ý, hoàn thành bước"),
        lambda r, u, d, b: forms.CompleteForm(_data(r, b), people=_step_people(_next_pending(d))),
        lambda u, d, f: services.complete_step(
            actor=u, dossier=d, note=f.cleaned_data["note"], next_handler=f.cleaned_data["handler"]
        ),
        lambda d, res: (
            _("Đã xử lý xong hồ sơ; chờ trả kết quả.")
            if res.status == S.DONE
            else _("Đã hoàn thành bước; hồ sơ chuyển sang bước “%(s)s”.")
            % {"s": res.current_step.name if res.current_step else ""}
        ),
        gettext_lazy("Ghi ý kiến xử lý và chuyển hồ sơ sang bước tiếp theo của quy trình."),
    ),
    "return_step": Action(
        gettext_lazy("Trả lại bước trước"),
        gettext_lazy("Trả lại"),
        lambda r, u, d, b: forms.ReasonForm(_data(r, b)),
        lambda u, d, f: services.return_to_previous_step(actor=u, dossier=d, reason=f.cleaned_data["reason"]),
        lambda d, res: (
            _("Đã trả hồ sơ về bước “%(s)s”.") % {"s": res.current_step.name if res.current_step else ""}
        ),
        gettext_lazy(
            "Chuyển trả hồ sơ về bước xử lý trước để làm lại, kèm lý do. Ngày hẹn trả kết quả không thay đổi."
        ),
    ),
    "supplement": Action(
        gettext_lazy("Yêu cầu bổ sung, hoàn thiện hồ sơ"),
        gettext_lazy("Gửi yêu cầu bổ sung"),
        lambda r, u, d, b: forms.SupplementForm(_data(r, b), procedure=d.procedure),
        lambda u, d, f: services.request_supplement(
            actor=u, dossier=d, reason=f.cleaned_data["reason"], papers=f.wanted()
        ),
        lambda d, res: _(
            "Đã yêu cầu bổ sung hồ sơ; thời hạn giải quyết tạm dừng. In phiếu yêu cầu (mẫu 02)."
        ),
        gettext_lazy("Thời hạn giải quyết tạm dừng từ khi yêu cầu đến khi nhận đủ giấy tờ bổ sung."),
    ),
    "provide": Action(
        gettext_lazy("Nhận giấy tờ bổ sung"),
        gettext_lazy("Nhận bổ sung"),
        lambda r, u, d, b: forms.ProvideForm(_data(r, b), _files(r, b), procedure=d.procedure),
        _provide,
        lambda d, res: (
            _("Đã nhận giấy tờ bổ sung; hẹn trả mới ngày %(d)s.") % {"d": deadlines.format_day(res.due_at)}
        ),
        multipart=True,
    ),
    "payment_request": Action(
        gettext_lazy("Yêu cầu nộp phí, lệ phí"),
        gettext_lazy("Gửi yêu cầu"),
        lambda r, u, d, b: forms.PaymentRequestForm(_data(r, b), initial={"amount": d.fee_amount or None}),
        lambda u, d, f: services.request_payment(actor=u, dossier=d, amount=f.cleaned_data["amount"]),
        lambda d, res: _("Đã gửi yêu cầu nộp phí, lệ phí."),
    ),
    "payment_record": Action(
        gettext_lazy("Thu phí, lệ phí tại Bộ phận Một cửa"),
        gettext_lazy("Ghi nhận đã thu"),
        lambda r, u, d, b: forms.PaymentRecordForm(_data(r, b)),
        _record_payment,
        lambda d, res: (
            _("Đã thu %(a)s đồng, biên lai số %(n)s.")
            % {"a": f"{res.amount:,}".replace(",", "."), "n": res.receipt_number}
        ),
        gettext_lazy("Thu tiền mặt hoặc POS tại quầy; hệ thống cấp số biên lai."),
    ),
    "stop": Action(
        gettext_lazy("Dừng xử lý hồ sơ"),
        gettext_lazy("Dừng xử lý"),
        lambda r, u, d, b: forms.ReasonForm(_data(r, b)),
        lambda u, d, f: services.stop(actor=u, dossier=d, reason=f.cleaned_data["reason"]),
        lambda d, res: _("Đã dừng xử lý hồ sơ; in thông báo (mẫu 05)."),
        danger=True,
    ),
    "apology": Action(
        gettext_lazy("Xin lỗi và hẹn lại ngày trả kết quả"),
        gettext_lazy("Lập phiếu xin lỗi"),
        lambda r, u, d, b: forms.ApologyForm(
            _data(r, b), current_due=timezone.localtime(d.due_at).date() if d.due_at else None
        ),
        lambda u, d, f: services.issue_apology(
            actor=u,
            dossier=d,
            reason=f.cleaned_data["reason"],
            new_due_at=f.cleaned_data["new_due_date"],
            issuer_title=f.cleaned_data["issuer_title"],
        ),
        lambda d, res: (
            _("Đã lập phiếu xin lỗi, hẹn trả mới ngày %(d)s; in phiếu (mẫu 04).")
            % {"d": deadlines.format_day(res.new_due_at)}
        ),
    ),
    "result": Action(
        gettext_lazy("Cập nhật kết quả giải quyết"),
        gettext_lazy("Lưu kết quả"),
        lambda r, u, d, b: forms.ResultForm(_data(r, b), _files(r, b), can_sign=_can_sign(d)),
        lambda u, d, f: services.attach_result(
            actor=u,
            dossier=d,
            upload=f.cleaned_data["upload"],
            sign=bool(f.cleaned_data.get("sign")),
            note=f.cleaned_data["note"],
        ),
        lambda d, res: _("Đã cập nhật kết quả giải quyết."),
        multipart=True,
    ),
    "return": Action(
        gettext_lazy("Trả kết quả"),
        gettext_lazy("Trả kết quả"),
        lambda r, u, d, b: forms.ReturnForm(_data(r, b), initial={"method": Dossier.ReturnMethod.DESK}),
        lambda u, d, f: services.return_result(
            actor=u,
            dossier=d,
            method=f.cleaned_data["method"],
            tracking_number=f.cleaned_data["tracking_number"],
        ),
        lambda d, res: _("Đã trả kết quả hồ sơ %(c)s.") % {"c": res.code},
    ),
    "withdraw": Action(
        gettext_lazy("Ghi nhận công dân rút hồ sơ"),
        gettext_lazy("Rút hồ sơ"),
        lambda r, u, d, b: forms.OptionalReasonForm(_data(r, b)),
        lambda u, d, f: services.withdraw(actor=u, dossier=d, reason=f.cleaned_data["reason"]),
        lambda d, res: _("Đã ghi nhận công dân rút hồ sơ."),
        danger=True,
    ),
}


@staff_required
@require_http_methods(["GET", "POST"])
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One action of the dossier page. GET: the dialog (a fragment for htmx, a page of its own otherwise).
    POST: the service call; on bad input the dialog again with its errors (status 400), nothing saved."""
    spec = ACTIONS.get(name)
    if spec is None:
        raise Http404
    user = _user(request)
    dossier = _dossier_or_404(user, pk)
    if request.method == "GET" and not abilities(user, dossier).get(name):
        raise PermissionDenied(_("Bạn không thực hiện được thao tác này với hồ sơ ở trạng thái hiện tại."))
    bound = request.method == "POST"
    form = spec.form(request, user, dossier, bound)
    if bound and form.is_valid():
        try:
            result = spec.call(user, dossier, form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, spec.done(dossier, result))
            return redirect("dossiers:detail", pk=dossier.pk)
    context = {
        "section": "one-stop",
        "dossier": dossier,
        "name": name,
        "spec": spec,
        "form": form,
        "flag": _flag_classes()(dossier),
        "files_lost": bool(form.errors and request.FILES),
    }
    status = 400 if form.errors else 200
    return _render(request, "dossiers/action.html", "dossiers/_dialog.html", context, status=status)


# --- statistics -----------------------------------------------------------------------------------------


def _statistics_agencies(roles: Roles) -> list[Agency]:
    if roles.admin:
        ids = ProcedureAgency.objects.filter(role=ProcedureAgency.Part.RECEIVING).values("agency_id")
        return list(Agency.objects.filter(pk__in=ids).order_by("name")[:200])
    return roles.organisations(STATISTICS_ROLES)


def _range_form(request: HttpRequest, agencies: list[Agency]) -> forms.DateRangeForm:
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("agency", str(agencies[0].pk))
    data.setdefault("date_from", today.replace(day=1).strftime("%d/%m/%Y"))
    data.setdefault("date_to", today.strftime("%d/%m/%Y"))
    return forms.DateRangeForm(data, agencies=agencies)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@staff_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Thống kê: received, on time, late and online share by agency and by procedure for a date range."""
    roles = Roles(_user(request))
    agencies = _statistics_agencies(roles)
    if not agencies:
        raise PermissionDenied(_("Thống kê dành cho lãnh đạo và Cán bộ một cửa của cơ quan."))
    form = _range_form(request, agencies)
    context: dict[str, Any] = {"section": "one-stop", "form": form, "by_agency": [], "by_procedure": []}
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        selected = next(a for a in agencies if a.pk == form.cleaned_data["agency"])
        by_agency: list[dict[str, Any]] = []
        for agency in agencies[:50]:
            stats = selectors.statistics(directory.unit_closure(agency), start, end)
            by_agency.append({"agency": agency, "stats": stats, "selected": agency.pk == selected.pk})
        chosen: dict[str, Any] = {}
        for row in by_agency:
            if row["selected"]:
                chosen = row["stats"]
        if not chosen:
            chosen = selectors.statistics(directory.unit_closure(selected), start, end)
        top = max([p["received"] for p in chosen["by_procedure"]] or [0])
        rows = []
        for p in chosen["by_procedure"]:
            finished = p["on_time"] + p["late"]
            rows.append(
                {
                    **p,
                    "online_pct": _percent(p["online"], p["received"]),
                    "on_time_pct": _percent(p["on_time"], finished),
                    "bar": p["received"],
                }
            )
        for row in by_agency:
            s = row["stats"]
            row["online_pct"] = _percent(s["online"], s["received"])
            row["on_time_pct"] = _percent(s["on_time"], s["finished"])
        context.update(
            {
                "selected": selected,
                "stats": chosen,
                "by_agency": by_agency,
                "by_procedure": rows,
                "top": top or 1,
                "online_pct": _percent(chosen["online"], chosen["received"]),
                "on_time_pct": _percent(chosen["on_time"], chosen["finished"]),
                "book_url": reverse("dossiers:book") + "?" + form.data.urlencode(),  # type: ignore[attr-defined]
            }
        )
    return render(request, "dossiers/statistics.html", context, status=200 if form.is_valid() else 400)


@staff_required
@require_GET
def book(request: HttpRequest) -> HttpResponse:
    """Sổ theo dõi hồ sơ (mẫu 07) of an agency for a date range, as an XLSX download."""
    roles = Roles(_user(request))
    agencies = _statistics_agencies(roles)
    if not agencies:
        raise PermissionDenied(_("Sổ theo dõi hồ sơ dành cho lãnh đạo và Cán bộ một cửa của cơ quan."))
    form = _range_form(request, agencies)
    if not form.is_valid():
        messages.error(request, _("Khoảng thời gian không hợp lệ."))
        return redirect("dossiers:statistics")
    agency = next(a for a in agencies if a.pk == form.cleaned_data["agency"])
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    try:
        from egov.dossiers import printouts
    except ImportError as exc:  # pragma: no cover - the printouts module ships with the dossier app
        raise Http404(_("Chức năng xuất sổ chưa sẵn sàng.")) from exc
    data = printouts.dossier_book_xlsx(agency, start, end)
    name = (
        f"so-theo-doi-ho-so-{_safe_name(agency.short_name or agency.name)}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    )
    return _pdf_response(
        data,
        name,
        inline=False,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
