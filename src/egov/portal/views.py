"""Cổng dịch vụ công: the citizen portal (mounted at ``/dich-vu-cong/``).

Public pages: the procedure catalogue (accent-insensitive search, procedure page with blank forms) and the
status lookup by dossier code (rate-limited per IP, no personal data: it is what the QR code on the printed
forms points to). Citizen pages (a citizen account, signed in here): online submission (one procedure or a
group of inter-linked procedures), "Hồ sơ của tôi" and each dossier's page with its actions — supplement,
withdraw, pay the fee, download the receipt and the result, rate, feedback, apology letters.

Views are thin: reads through ``procedures.selectors`` / ``dossiers.selectors`` (a citizen only ever sees
his own dossiers: another one is a 404), changes through ``dossiers.services`` (which check everything
again; their ``ValidationError`` become messages next to the fields, nothing saved).
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView, PasswordResetConfirmView, redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from egov.core.middleware import client_ip
from egov.directory import services as directory_services
from egov.directory.forms import add_service_errors
from egov.directory.models import User
from egov.documents import files
from egov.dossiers import deadlines, selectors, services
from egov.dossiers.api.public import lookup_allowed
from egov.dossiers.models import Dossier, DossierGroup, Payment, Rating, Status
from egov.portal import forms
from egov.procedures import selectors as catalogue
from egov.procedures.models import Channel, Procedure, ProcedureAgency, ProcedureGroup

PAGE_SIZE = 20

ViewFunc = Callable[..., HttpResponseBase]


# --- access ---------------------------------------------------------------------------------------------


def citizen_required(view: ViewFunc) -> ViewFunc:
    """Pages of a citizen account: anonymous → the portal's login; staff → a clear explanation (403)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
        if not getattr(user, "is_citizen", False):
            return render(request, "portal/staff_notice.html", {"section": "mine"}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _printouts_available() -> bool:
    try:
        return importlib.util.find_spec("egov.dossiers.printouts") is not None
    except ModuleNotFoundError:  # pragma: no cover
        return False


def _own_dossier(request: HttpRequest, pk: int) -> Dossier:
    if pk > 2**63 - 1:
        raise Http404
    dossier = selectors.dossier_get(request.user, pk)
    if dossier is None:
        raise Http404
    return dossier


def _redirect(request: HttpRequest, to: str) -> HttpResponse:
    """A redirect; for the upload script (XMLHttpRequest) the target in ``X-Redirect`` instead, so that the
    script navigates there itself and the flash message is shown by that page (an XHR would follow a
    redirect and consume it)."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        response = HttpResponse(status=200)
        response["X-Redirect"] = to
        return response
    return redirect(to)


# --- accounts -------------------------------------------------------------------------------------------


class CitizenLoginView(LoginView):
    template_name = "portal/login.html"
    authentication_form = forms.CitizenLoginForm
    extra_context = {"section": "login"}

    def get_default_redirect_url(self) -> str:
        return reverse("portal:my-dossiers")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("portal:home")


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Đăng ký tài khoản công dân (phone or e-mail is the login)."""
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = directory_services.register_citizen(
                full_name=data["full_name"],
                identity_number=data["identity_number"],
                password=data["password"],
                phone=data.get("phone", ""),
                email=data.get("email", ""),
                address=data.get("address", ""),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Đã tạo tài khoản. Bạn có thể nộp hồ sơ trực tuyến."))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("portal:home")
            return redirect(target)
    return render(request, "portal/register.html", {"form": form, "section": "login"})


# --- Quên mật khẩu (password reset of citizen accounts) ---------------------------------------------------


class PasswordResetThrottle(SimpleRateThrottle):
    """Reset requests per client IP at ``EGOV_PASSWORD_RESET_RATE`` (read at each request), counted in the
    default cache. The address is :func:`egov.core.middleware.client_ip` (``REMOTE_ADDR``), never a header
    the caller writes."""

    scope = "password_reset"

    def get_rate(self) -> str | None:
        return str(getattr(settings, "EGOV_PASSWORD_RESET_RATE", "") or "").strip() or None

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        try:
            return super().parse_rate(rate)
        except (ValueError, KeyError, IndexError) as exc:
            raise ImproperlyConfigured(
                f"EGOV_PASSWORD_RESET_RATE={rate!r}: expected <n>/<second|minute|hour|day>, e.g. 5/hour"
            ) from exc

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


def _reset_allowed(request: HttpRequest, scope: str) -> tuple[bool, int]:
    throttle = PasswordResetThrottle()
    throttle.scope = scope  # the counter's name in the cache key
    if throttle.allow_request(cast(Request, request), cast(APIView, None)):
        return True, 0
    wait = throttle.wait()
    return False, max(1, math.ceil(wait if wait is not None else getattr(throttle, "duration", None) or 60))


def password_reset_throttled(
    request: HttpRequest,
    *,
    template: str,
    context: dict[str, Any] | None = None,
    scope: str = PasswordResetThrottle.scope,
) -> HttpResponse | None:
    """The one rate limit of the "Quên mật khẩu?" forms (this portal's and the staff one,
    :class:`egov.directory.auth_views.StaffPasswordResetView`): counts this request against
    ``EGOV_PASSWORD_RESET_RATE`` for the client IP, one counter per ``scope`` (one per form). Within the
    limit: None, the caller goes on. Over it: the 429 page ``template`` (its context gets ``wait``, in
    seconds) with ``Retry-After``, and the caller must queue nothing."""
    allowed, wait = _reset_allowed(request, scope)
    if allowed:
        return None
    response = render(request, template, {**(context or {}), "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    add_never_cache_headers(response)
    return response


@never_cache
@sensitive_post_parameters("email")
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Quên mật khẩu: the citizen gives the account's e-mail address. Whatever the address (a citizen
    account, a staff account, nobody), the answer is the same redirect to the same page; only for an active
    citizen account with that address is the e-mail queued (:func:`egov.portal.tasks.send_password_reset`,
    which makes the one-time link when it sends). Rate-limited per client IP (``EGOV_PASSWORD_RESET_RATE``):
    over the limit a 429 page with ``Retry-After`` and nothing queued."""
    form = forms.CitizenPasswordResetForm(request.POST or None)
    if request.method == "POST":
        limited = password_reset_throttled(
            request, template="portal/password_reset_limited.html", context={"section": "login"}
        )
        if limited is not None:
            return limited
        if form.is_valid():
            from egov.portal.tasks import send_password_reset

            requested_at = timezone.now().isoformat()
            with transaction.atomic():
                for user in form.users():
                    send_password_reset.enqueue(user.pk, requested_at)
            return redirect("portal:password-reset-done")
    return render(
        request,
        "portal/password_reset_form.html",
        {"form": form, "section": "login"},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_safe
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/password_reset_done.html",
        {"section": "login", "hours": max(1, round(settings.PASSWORD_RESET_TIMEOUT / 3600))},
    )


class CitizenPasswordResetConfirmView(PasswordResetConfirmView):
    """The link of the e-mail: Django's view (the token leaves the URL for the session at once, and is
    checked again on submission), for citizen accounts only; the new password is saved by
    :func:`egov.directory.services.reset_password`. The citizen then signs in with it."""

    form_class = forms.CitizenSetPasswordForm
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password-reset-complete")
    extra_context = {"section": "login"}

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        if user is None or getattr(user, "kind", None) != User.Kind.CITIZEN or not user.is_active:
            return None
        return user

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        return self.form_invalid(form)


@require_safe
def password_reset_complete(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/password_reset_complete.html", {"section": "login"})


# --- catalogue ------------------------------------------------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    fields = [f for f in catalogue.fields_with_counts() if getattr(f, "procedure_count", 0)]
    return render(
        request,
        "portal/home.html",
        {
            "form": forms.SearchForm(),
            "lookup_form": forms.LookupForm(),
            "fields": fields,
            "groups": catalogue.groups(),
            "section": "home",
        },
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET or None)
    results = Procedure.objects.none()
    if form.is_valid():
        data = form.cleaned_data
        results = catalogue.procedure_search(
            data.get("q") or "",
            field=data.get("field") or None,
            level=data.get("level") or None,
            online_level=data.get("online_level") or None,
        )
    elif not request.GET:
        results = catalogue.procedure_search("")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/search.html", {"form": form, "page": page, "section": "search"})


def _online_method(procedure: Procedure) -> Any:
    if not procedure.is_active or procedure.online_level == Procedure.OnlineLevel.NONE:
        return None
    return procedure.method_for(Channel.ONLINE)


def _receiving_agencies(procedure: Procedure) -> list[Any]:
    return [
        link.agency
        for link in ProcedureAgency.objects.filter(procedure=procedure, role=ProcedureAgency.Part.RECEIVING)
        .select_related("agency")
        .order_by("agency__name")
        if link.agency.is_current
    ]


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = catalogue.procedure_detail(code, include_inactive=False)
    if procedure is None:
        raise Http404
    links = list(procedure.agency_links.all())
    return render(
        request,
        "portal/procedure.html",
        {
            "procedure": procedure,
            "methods": list(procedure.methods.all()),
            "papers": list(procedure.papers.all()),
            "agency_links": links,
            "can_submit": _online_method(procedure) is not None and bool(_receiving_agencies(procedure)),
            "groups": [i.group for i in procedure.group_items.select_related("group") if i.group.is_active],
            "section": "search",
        },
    )


# --- submission -----------------------------------------------------------------------------------------


def _initial_applicant(user: Any) -> dict[str, str]:
    profile = getattr(user, "citizen_profile", None)
    return {
        "applicant_name": user.get_full_name(),
        "applicant_identity": profile.identity_number if profile else "",
        "applicant_phone": user.phone,
        "applicant_email": user.email,
        "applicant_address": profile.address if profile else "",
        "idempotency_key": forms.new_idempotency_key(),
    }


def _applicant(data: dict[str, Any]) -> services.Applicant:
    return services.Applicant(
        name=data["applicant_name"],
        identity_number=data["applicant_identity"],
        phone=data.get("applicant_phone", ""),
        email=data.get("applicant_email", ""),
        address=data.get("applicant_address", ""),
    )


def _add_errors(form: forms.SubmissionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            target = form.field_for_service_error(key)
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, exc)


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, code: str) -> HttpResponse:
    """Nộp hồ sơ trực tuyến for one procedure."""
    procedure = catalogue.procedure_detail(code, include_inactive=False)
    if procedure is None:
        raise Http404
    method = _online_method(procedure)
    agencies = _receiving_agencies(procedure)
    if method is None or not agencies:
        messages.error(request, _("Thủ tục này không nộp hồ sơ trực tuyến được."))
        return redirect("portal:procedure", code=procedure.code)
    documents = list(selectors.citizen_documents(request.user))
    papers = list(procedure.papers.all())
    form = forms.SubmissionForm(
        request.POST or None,
        request.FILES or None,
        papers=papers,
        documents=documents,
        agencies=agencies,
        initial=_initial_applicant(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = agencies[0]
        if "agency" in form.fields:
            agency = next(a for a in agencies if str(a.pk) == data["agency"])
        try:
            dossier = services.submit_online(
                actor=request.user,  # type: ignore[arg-type]
                procedure=procedure,
                agency=agency,
                papers=form.paper_inputs().get(procedure.pk, []),
                applicant=_applicant(data),
                description=data.get("description", ""),
                idempotency_key=data["idempotency_key"],
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _redirect(request, reverse("portal:submitted", args=[dossier.pk]))
    return render(
        request,
        "portal/submit.html",
        {
            "procedure": procedure,
            "method": method,
            "form": form,
            "documents": documents,
            "section": "search",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@citizen_required
@require_safe
def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier code and the expected appointment, right after the submission."""
    dossier = _own_dossier(request, pk)
    expected = dossier.due_at
    if expected is None and dossier.processing_days is not None:
        expected = deadlines.appointment(dossier.submitted_at, dossier.processing_days)
    return render(
        request,
        "portal/submitted.html",
        {"dossier": dossier, "expected": expected, "section": "mine"},
    )


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def submit_group(request: HttpRequest, code: str) -> HttpResponse:
    """Nộp hồ sơ liên thông: one form, one group code, one dossier per procedure of the group."""
    group = catalogue.groups().filter(code=code).first()
    if group is None:
        raise Http404
    procedures = [item.procedure for item in group.items.all()]
    papers = [p for procedure in procedures for p in procedure.papers.all()]
    documents = list(selectors.citizen_documents(request.user))
    form = forms.SubmissionForm(
        request.POST or None,
        request.FILES or None,
        papers=papers,
        documents=documents,
        initial=_initial_applicant(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier_group = services.submit_group(
                actor=request.user,  # type: ignore[arg-type]
                procedure_group=ProcedureGroup.objects.get(pk=group.pk),
                papers=form.paper_inputs(),
                applicant=_applicant(data),
                description=data.get("description", ""),
                idempotency_key=data["idempotency_key"],
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _redirect(request, reverse("portal:group", args=[dossier_group.code]))
    return render(
        request,
        "portal/submit.html",
        {"group": group, "procedures": procedures, "form": form, "documents": documents, "section": "search"},
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@citizen_required
@require_safe
def group_detail(request: HttpRequest, code: str) -> HttpResponse:
    group = DossierGroup.objects.filter(code=code, owner_id=request.user.pk).first()
    if group is None:
        raise Http404
    return render(
        request,
        "portal/group.html",
        {
            "group": group,
            "status": selectors.group_status(group),
            "dossiers": selectors.dossiers_visible_to(request.user).filter(group=group),
            "section": "mine",
        },
    )


# --- my dossiers ----------------------------------------------------------------------------------------


@never_cache
@citizen_required
@require_safe
def my_dossiers(request: HttpRequest) -> HttpResponse:
    qs = selectors.dossiers_visible_to(request.user).select_related("group").order_by("-submitted_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/my_dossiers.html", {"page": page, "Status": Status, "section": "mine"})


def _detail_context(request: HttpRequest, dossier: Dossier, **forms_: Any) -> dict[str, Any]:
    documents = list(selectors.citizen_documents(request.user))
    open_request = dossier.supplements.filter(provided_at__isnull=True).order_by("-requested_at").first()
    pending_payment = dossier.payments.filter(state=Payment.State.PENDING).order_by("-requested_at").first()
    has_result = selectors.result_file_for(request.user, dossier) is not None
    rating = Rating.objects.filter(dossier=dossier).first()
    can_rate = dossier.status in (Status.DONE, Status.RETURNED) and rating is None
    supplement_form = forms_.get("supplement_form")
    if supplement_form is None and dossier.status == Status.SUPPLEMENT:
        supplement_form = forms.SupplementForm(
            wanted=list(open_request.papers) if open_request else [], documents=documents
        )
    return {
        "dossier": dossier,
        "timeline": selectors.timeline(dossier),
        "papers": dossier.papers.select_related("file").order_by("id"),
        "apologies": selectors.apologies(dossier),
        "open_request": open_request,
        "supplement_form": supplement_form,
        "pending_payment": pending_payment,
        "payments": dossier.payments.filter(state=Payment.State.PAID).order_by("paid_at"),
        "has_result": has_result,
        "rating": rating,
        "rating_form": forms_.get("rating_form") or (forms.RatingForm() if can_rate else None),
        "feedback_form": forms_.get("feedback_form") or forms.FeedbackForm(),
        "withdraw_form": forms_.get("withdraw_form") or forms.WithdrawForm(),
        "can_withdraw": dossier.status
        in (Status.NEW, Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.PAYMENT),
        "letters": _letters(dossier),
        "Status": Status,
        "section": "mine",
    }


@never_cache
@citizen_required
@require_safe
def dossier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _own_dossier(request, pk)
    return render(request, "portal/dossier.html", _detail_context(request, dossier))


def _action(
    request: HttpRequest, pk: int, run: Callable[[Dossier], Any], done: str, form_name: str, form: Any
) -> HttpResponse:
    dossier = _own_dossier(request, pk)
    if form.is_valid():
        try:
            run(dossier)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
            dossier = _own_dossier(request, pk)
            return render(
                request,
                "portal/dossier.html",
                _detail_context(request, dossier, **{form_name: form}),
                status=400,
            )
        else:
            messages.success(request, done)
            return _redirect(request, reverse("portal:dossier", args=[pk]))
    return render(
        request, "portal/dossier.html", _detail_context(request, dossier, **{form_name: form}), status=400
    )


@citizen_required
@require_POST
def supplement(request: HttpRequest, pk: int) -> HttpResponse:
    dossier = _own_dossier(request, pk)
    open_request = dossier.supplements.filter(provided_at__isnull=True).order_by("-requested_at").first()
    form = forms.SupplementForm(
        request.POST,
        request.FILES,
        wanted=list(open_request.papers) if open_request else [],
        documents=list(selectors.citizen_documents(request.user)),
    )

    def run(d: Dossier) -> Any:
        return services.provide_supplement(
            actor=request.user,  # type: ignore[arg-type]
            dossier=d,
            papers=form.paper_inputs(),
            note=form.cleaned_data.get("note", ""),
        )

    return _action(request, pk, run, _("Đã bổ sung hồ sơ."), "supplement_form", form)


@citizen_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.WithdrawForm(request.POST)

    def run(d: Dossier) -> Any:
        return services.withdraw(actor=request.user, dossier=d, reason=form.cleaned_data.get("reason", ""))  # type: ignore[arg-type]

    return _action(request, pk, run, _("Đã rút hồ sơ."), "withdraw_form", form)


@citizen_required
@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Thanh toán phí, lệ phí trực tuyến (the sandbox provider stands in for the payment gateway)."""
    dossier = _own_dossier(request, pk)
    try:
        payment = services.record_payment(actor=request.user, dossier=dossier, method="sandbox")  # type: ignore[arg-type]
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Đã thanh toán. Số biên lai: %(n)s.") % {"n": payment.receipt_number})
    return redirect("portal:dossier", pk=pk)


@citizen_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.RatingForm(request.POST)

    def run(d: Dossier) -> Any:
        return services.rate(
            actor=request.user,  # type: ignore[arg-type]
            dossier=d,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data.get("comment", ""),
        )

    return _action(request, pk, run, _("Cảm ơn bạn đã đánh giá."), "rating_form", form)


@citizen_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.FeedbackForm(request.POST)

    def run(d: Dossier) -> Any:
        return services.add_feedback(actor=request.user, dossier=d, text=form.cleaned_data["text"])  # type: ignore[arg-type]

    return _action(request, pk, run, _("Đã gửi phản ánh, kiến nghị."), "feedback_form", form)


@citizen_required
@require_safe
def result_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    dossier = _own_dossier(request, pk)
    stored = selectors.result_file_for(request.user, dossier)
    if stored is None:
        raise Http404
    try:
        return files.file_response(stored)
    except FileNotFoundError:
        raise Http404 from None


@citizen_required
@require_safe
def paper_download(request: HttpRequest, pk: int, paper_id: int) -> HttpResponseBase:
    dossier = _own_dossier(request, pk)
    paper = dossier.papers.filter(pk=paper_id, file__isnull=False).select_related("file").first()
    if paper is None or paper.file is None:
        raise Http404
    try:
        return files.file_response(paper.file)
    except FileNotFoundError:
        raise Http404 from None


#: Printed forms a citizen may download for his own dossier (Thông tư 03/2025/TT-VPCP, Phụ lục I), with the
#: label of the portal's link; 06 (phiếu kiểm soát) and 07 (sổ theo dõi) are the agency's own.
CITIZEN_FORMS: dict[str, Any] = {
    "01": gettext_lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)"),
    "02": gettext_lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02)"),
    "03": gettext_lazy("Phiếu từ chối tiếp nhận giải quyết hồ sơ (mẫu 03)"),
    "04": gettext_lazy("Văn bản xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)"),
    "05": gettext_lazy("Thông báo dừng giải quyết hồ sơ (mẫu 05)"),
}


def _citizen_forms(dossier: Dossier) -> list[str]:
    """The citizen's letters that exist for ``dossier``: the one rule of
    :func:`egov.dossiers.printouts.available_forms` (a refusal letter only for a refused dossier…)."""
    if not _printouts_available():
        return []
    from egov.dossiers import printouts  # type: ignore[attr-defined,unused-ignore]

    return [code for code in printouts.available_forms(dossier) if code in CITIZEN_FORMS]


def _letters(dossier: Dossier) -> list[tuple[str, Any]]:
    return [(code, CITIZEN_FORMS[code]) for code in _citizen_forms(dossier)]


@citizen_required
@require_safe
def printout(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    """Mẫu 01 (giấy tiếp nhận và hẹn trả), 02–05 of the citizen's own dossier, as PDF — only a form whose
    event happened (:func:`_citizen_forms`); any other is a 404."""
    dossier = _own_dossier(request, pk)
    if form not in CITIZEN_FORMS or form not in _citizen_forms(dossier):
        raise Http404(_("Hồ sơ này không có mẫu phiếu %(f)s.") % {"f": form})
    from egov.dossiers import printouts  # type: ignore[attr-defined,unused-ignore]

    try:
        data = printouts.form_pdf(dossier, form)
    except (ValueError, ValidationError):
        raise Http404 from None
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"mau-{form}-{dossier.code}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- public status lookup -------------------------------------------------------------------------------


@require_safe
def lookup(request: HttpRequest) -> HttpResponse:
    """Tra cứu hồ sơ: the form; a code typed in goes to the status page."""
    form = forms.LookupForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("portal:status", code=form.cleaned_data["code"].strip())
    return render(request, "portal/lookup.html", {"form": form, "section": "lookup"})


@require_safe
def status(request: HttpRequest, code: str) -> HttpResponse:
    """Public status of a dossier (or an inter-linked group) by its code: status, dates, procedure and agency,
    never the applicant. Rate-limited per client IP by ``EGOV_PUBLIC_STATUS_RATE``, in the same bucket as
    ``GET /api/v1/public/dossiers/{code}/`` (:func:`egov.dossiers.api.public.lookup_allowed`); over the limit
    a 429 page with ``Retry-After``. An unknown code is a 404 page after the same queries as a known one."""
    allowed, wait = lookup_allowed(request)
    if not allowed:
        response = render(
            request, "portal/rate_limited.html", {"section": "lookup", "wait": wait}, status=429
        )
        response["Retry-After"] = str(wait)
        response["Cache-Control"] = "no-store"
        return response
    code = code.strip()[:64]
    found = selectors.public_status(code)
    group = None
    if found is None:
        dossier_group = DossierGroup.objects.filter(code=code).first()
        if dossier_group is not None:
            group = selectors.group_status(dossier_group)
    response = render(
        request,
        "portal/status.html",
        {
            "code": code,
            "found": found,
            "group": group,
            "section": "lookup",
        },
        status=200 if (found or group) else 404,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
