"""Background work of the citizen portal: the "Quên mật khẩu?" e-mail (queue ``notify``).

The request only enqueues :func:`send_password_reset` with the account's id (so the answer page takes the
same time whether the address has an account or not, and SMTP never runs inside a request). The one-time
link is made here, when the mail leaves, with Django's ``default_token_generator``: no token is ever stored
in the database, and the link is valid for ``PASSWORD_RESET_TIMEOUT`` seconds from the sending.

The task may run twice (a worker that died after sending is presumed dead and its task re-run): the citizen
then receives two equivalent links, the first one used kills both (the token depends on the password
hash). A request older than ``PASSWORD_RESET_TIMEOUT`` (workers stopped for that long) is dropped: the
citizen has asked again by then.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from egov.core import context


def reset_link(user: Any) -> str:
    """The absolute one-time link of ``user``'s reset page, on ``SITE_URL`` (never the Host header)."""
    from egov.directory.tasks import reset_token

    uid, token = reset_token(user)
    path = reverse("portal:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def _hours(seconds: int) -> int:
    return max(1, round(seconds / 3600))


@task(queue_name="notify")
def send_password_reset(user_id: int, requested_at: str) -> str:
    """Send the reset e-mail to citizen ``user_id``; ``"sent"``, or why nothing was sent."""
    from egov.directory.models import User
    from egov.directory.tasks import reset_recipient

    with context.bind(source="task"):
        user = reset_recipient(user_id, requested_at, User.Kind.CITIZEN)  # the staff reset's checks too
        if isinstance(user, str):
            return user
        with translation.override(settings.LANGUAGE_CODE):
            ctx = {
                "user": user,
                "name": user.get_full_name() or user.get_username(),
                "link": reset_link(user),
                "hours": _hours(settings.PASSWORD_RESET_TIMEOUT),
                "portal_url": settings.SITE_URL.rstrip("/") + reverse("portal:home"),
                "login_url": settings.SITE_URL.rstrip("/") + reverse("portal:login"),
            }
            subject = "".join(render_to_string("portal/password_reset_subject.txt", ctx).splitlines())
            body = render_to_string("portal/password_reset_email.txt", ctx)
            html = render_to_string("portal/password_reset_email.html", ctx)
        message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach_alternative(html, "text/html")
        message.send()
        return "sent"
