"""Signing in to the staff interface: password, then (when the user has enrolled a device) a TOTP code.

* Citizens cannot sign in here (``StaffAuthenticationForm``).
* django-axes locks a username + IP out after ``AXES_FAILURE_LIMIT`` failed passwords.
* A user with a confirmed TOTP device is *not* logged in after the password: the session only remembers,
  for a few minutes, who passed the first step. The Django session becomes authenticated (and
  ``request.user.is_verified()`` true, through ``django_otp``) only after a valid code.
* :func:`staff_required` guards every staff page: it asks for a login, refuses citizens, and sends a signed-in
  but unverified user with a device to the code step.
"""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as django_auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp import login as otp_login

from egov.directory import services
from egov.directory.forms import (
    OTPTokenForm,
    StaffAuthenticationForm,
    StaffPasswordResetForm,
    add_service_errors,
)

PENDING_KEY = "egov_otp_pending"
PENDING_MAX_AGE = 300  # seconds between the password step and the code step
PENDING_MAX_TRIES = 5

ViewFunc = Callable[..., HttpResponseBase]


def _needs_otp(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified()) and user_has_device(user, confirmed=True)


def staff_required(view: ViewFunc) -> ViewFunc:
    """Only signed-in government staff; with a TOTP device, only after the code step."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            htmx = getattr(request, "htmx", None)
            if htmx:  # a partial request after the session ended: reload the whole page at the login
                login = redirect_to_login(htmx.current_url_abs_path or request.get_full_path())
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login["Location"]
                return response
            return redirect_to_login(request.get_full_path())
        if not getattr(user, "is_government_staff", False):
            raise PermissionDenied(_("Trang này chỉ dành cho tài khoản cán bộ, công chức."))
        if _needs_otp(user):
            return redirect_to_login(request.get_full_path(), login_url=reverse("otp-verify"))
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- Login, step 1: password ----------------------------------------------------------------------------


class StaffLoginView(django_auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not getattr(user, "is_government_staff", False):
            # A citizen session must not loop between the login page and the staff pages.
            self.redirect_authenticated_user = False
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if user_has_device(user, confirmed=True):
            self.request.session.pop(PENDING_KEY, None)
            self.request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "tries": 0,
                "next": self.get_success_url(),
            }
            return HttpResponseRedirect(reverse("otp-verify"))
        return super().form_valid(form)


# --- Login, step 2: the code of the authenticator app ---------------------------------------------------


def _verify_code(user: Any, token: str) -> Any:
    """The confirmed device that accepts ``token`` (each checked with django-otp's throttling), or None."""
    for device in devices_for_user(user, confirmed=True):
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None


def _pending_user(request: HttpRequest) -> tuple[Any, dict[str, Any] | None]:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, None
    if time.time() - float(pending.get("at", 0)) > PENDING_MAX_AGE:
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None or not getattr(user, "is_government_staff", False):
        request.session.pop(PENDING_KEY, None)
        return None, None
    return user, pending


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a 6-digit code, for a pending login or for a signed-in but unverified session."""
    if request.user.is_authenticated:
        if not getattr(request.user, "is_government_staff", False) or not _needs_otp(request.user):
            return redirect(_safe_next(request, request.GET.get("next")))
        user: Any = request.user
        pending = None
    else:
        user, pending = _pending_user(request)
        if user is None:
            messages.info(request, _("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."))
            return redirect(settings.LOGIN_URL)

    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _verify_code(user, form.cleaned_data["token"])
        if device is not None:
            if pending is not None:
                request.session.pop(PENDING_KEY, None)
                user.otp_device = device  # django_otp's user_logged_in handler stores it in the session
                auth_login(request, user, backend=pending["backend"])
                return redirect(_safe_next(request, pending.get("next")))
            otp_login(request, device)
            return redirect(_safe_next(request, request.GET.get("next")))
        form.add_error("token", _("Mã xác thực không đúng hoặc đã hết hạn."))
        if pending is not None:
            pending["tries"] = int(pending.get("tries", 0)) + 1
            if pending["tries"] >= PENDING_MAX_TRIES:
                request.session.pop(PENDING_KEY, None)
                messages.error(request, _("Nhập sai mã xác thực quá nhiều lần. Vui lòng đăng nhập lại."))
                return redirect(settings.LOGIN_URL)
            request.session[PENDING_KEY] = pending
    return render(request, "registration/otp_verify.html", {"form": form, "otp_user": user})


# --- Logout ---------------------------------------------------------------------------------------------


class StaffLogoutView(django_auth_views.LogoutView):
    """POST only (Django's LogoutView); also forgets a half-finished two-step login."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.session.pop(PENDING_KEY, None)
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("Bạn đã đăng xuất."))
        return response


# --- Password reset by e-mail and password change --------------------------------------------------------


class StaffPasswordResetView(django_auth_views.PasswordResetView):
    """Quên mật khẩu of staff accounts: Django's form and pages, but the e-mail is not sent in the request.
    For each active staff account with that address, :func:`egov.directory.tasks.send_staff_password_reset`
    is queued (queue ``notify``) in one transaction, as the citizen portal does; the worker makes the one-time
    link and sends the mail. Every address gets the same answer. Rate-limited per client IP by
    ``EGOV_PASSWORD_RESET_RATE`` with the portal's mechanism
    (:func:`egov.portal.views.password_reset_throttled`) and a counter of its own: over the limit a 429 page
    with ``Retry-After`` and nothing queued."""

    form_class = StaffPasswordResetForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")
    throttle_scope = "staff_password_reset"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from egov.portal.views import password_reset_throttled  # the portal builds on this app: import late

        limited = password_reset_throttled(
            request, template="registration/password_reset_limited.html", scope=self.throttle_scope
        )
        if limited is not None:
            return limited
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        from egov.directory.tasks import send_staff_password_reset

        requested_at = timezone.now().isoformat()
        with transaction.atomic():
            for user in form.get_users(form.cleaned_data["email"]):
                send_staff_password_reset.enqueue(user.pk, requested_at)
        return HttpResponseRedirect(self.get_success_url())


class StaffPasswordResetConfirmView(django_auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


def _staff_class_view(view_class: Any, **initkwargs: Any) -> ViewFunc:
    return staff_required(view_class.as_view(**initkwargs))


password_change = _staff_class_view(
    django_auth_views.PasswordChangeView,
    template_name="registration/password_change_form.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = _staff_class_view(
    django_auth_views.PasswordChangeDoneView, template_name="registration/password_change_done.html"
)


# --- Two-factor enrolment ---------------------------------------------------------------------------------


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a ``data:`` URI (the CSP allows ``img-src data:``)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _group(secret: str, size: int = 4) -> str:
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


@staff_required
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication on (scan a QR code, confirm a code) or off (give a code)."""
    user: Any = request.user
    enabled = user_has_device(user, confirmed=True)
    form = OTPTokenForm(request.POST or None)
    if enabled:
        if request.method == "POST" and form.is_valid():
            try:
                services.disable_totp(actor=user, token=form.cleaned_data["token"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Đã tắt xác thực hai lớp."))
                return redirect("profile")
        return render(request, "registration/otp_setup.html", {"form": form, "enabled": True})

    device = services.start_totp_enrolment(actor=user)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.confirm_totp_device(actor=user, device=device, token=form.cleaned_data["token"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            otp_login(request, device)  # this session is verified by the code just given
            messages.success(request, _("Đã bật xác thực hai lớp. Từ lần đăng nhập sau, hệ thống sẽ hỏi mã."))
            return redirect("profile")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "enabled": False,
        "qr": qr_data_uri(device.config_url),
        "secret": _group(secret),
        "config_url": device.config_url,
    }
    return render(request, "registration/otp_setup.html", context)


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """``/admin/login/`` sends people to the staff login (with its two-factor step) and back."""
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect_to_login(target, login_url=reverse("login"))
