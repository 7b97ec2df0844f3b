"""Background work of the directory: the staff "Quên mật khẩu?" e-mail (queue ``notify``).

The staff reset page (:class:`egov.directory.auth_views.StaffPasswordResetView`) only enqueues
:func:`send_staff_password_reset` with the account's id, in the request's transaction, as the citizen portal
does (:func:`egov.portal.tasks.send_password_reset`): SMTP never runs inside a request, and the answer takes
the same time whether the address has an account or not. The one-time link is made when the mail leaves,
with Django's ``default_token_generator`` (no token stored), on ``SITE_URL`` (never the request's Host
header), valid for ``PASSWORD_RESET_TIMEOUT`` seconds from the sending.

A task run twice (a dead worker's task is run again) sends two equivalent links; the first used kills both
(the token depends on the password hash). A request older than ``PASSWORD_RESET_TIMEOUT`` is dropped.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from egov.core import context
from egov.directory.models import User

EXPIRED = "expired"
SKIPPED = "skipped"
SENT = "sent"


def reset_recipient(user_id: int, requested_at: str, kind: str) -> User | str:
    """The account of kind ``kind`` a reset e-mail queued at ``requested_at`` (ISO 8601) goes to, or why
    nothing is sent: ``"expired"`` (queued longer than ``PASSWORD_RESET_TIMEOUT`` ago), ``"skipped"`` (no such
    active account of that kind with an e-mail address and a usable password, now that the mail leaves)."""
    asked = dt.datetime.fromisoformat(requested_at)
    if timezone.now() - asked > dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT):
        return EXPIRED
    user = User.objects.filter(pk=user_id).first()
    if (
        user is None
        or not user.is_active
        or user.kind != kind
        or not user.email
        or not user.has_usable_password()
    ):
        return SKIPPED
    return user


def reset_token(user: User) -> tuple[str, str]:
    """``(uidb64, token)`` of ``user``'s one-time reset link."""
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


@task(queue_name="notify")
def send_staff_password_reset(user_id: int, requested_at: str) -> str:
    """Send the reset e-mail to staff account ``user_id``: ``"sent"``, or why nothing was sent. The templates
    are Django's (``registration/password_reset_subject.txt`` and ``…_email.txt``, with their context:
    ``protocol``, ``domain`` and ``site_name`` from ``SITE_URL``, ``uid``, ``token``, ``user``, ``email``)."""
    with context.bind(source="task"):
        user = reset_recipient(user_id, requested_at, User.Kind.STAFF)
        if isinstance(user, str):
            return user
        site = urlsplit(settings.SITE_URL)
        uid, token = reset_token(user)
        with translation.override(settings.LANGUAGE_CODE):
            ctx = {
                "email": user.email,
                "domain": site.netloc,
                "site_name": site.netloc,
                "protocol": site.scheme or "https",
                "uid": uid,
                "token": token,
                "user": user,
            }
            subject = "".join(render_to_string("registration/password_reset_subject.txt", ctx).splitlines())
            body = render_to_string("registration/password_reset_email.txt", ctx)
        EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
        return SENT
