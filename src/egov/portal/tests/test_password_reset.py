"""Quên mật khẩu: a citizen resets his password by e-mail; nobody learns whether an address has an account."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from egov.audit.models import AuditEntry
from egov.core.tests.helpers import queued_tasks, run_queued_tasks
from egov.directory import services as directory_services
from egov.portal.tasks import send_password_reset

from .conftest import PASSWORD

NEW_PASSWORD = "Mat-Khau-Moi-2026!"
RESET = reverse("portal:password-reset")
DONE = reverse("portal:password-reset-done")


def reset_tasks() -> list[DBTaskResult]:
    return queued_tasks("portal.tasks.send_password_reset")


def run_reset_tasks() -> list[str]:
    return run_queued_tasks("portal.tasks.send_password_reset")


def link_path(message: Any) -> str:
    found = re.search(r"https?://\S+?(/dich-vu-cong/dat-lai-mat-khau/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    assert found.group(0).startswith(settings.SITE_URL.rstrip("/"))
    return found.group(1)


def page_text(response: Any) -> str:
    """The page without its CSRF token (which differs between two renderings)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)


def test_full_reset_flow(client, world):
    citizen = world.citizen
    login_page = client.get(reverse("portal:login"))
    assert "Quên mật khẩu?" in login_page.text and RESET in login_page.text

    response = client.post(RESET, {"email": "  0912345678@EXAMPLE.vn "})
    assert response.status_code == 302 and response["Location"] == DONE
    assert mail.outbox == []  # the request only queues the e-mail
    assert run_reset_tasks() == ["sent"]

    (message,) = mail.outbox
    assert message.to == [citizen.email] and message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Đặt lại mật khẩu" in message.subject
    assert "Kính gửi Nguyễn Văn An" in message.body and "một lần" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Đặt mật khẩu mới" in html
    path = link_path(message)
    assert path in html

    # Django's view moves the token from the URL to the session, then shows the form.
    first = client.get(path)
    assert first.status_code == 302
    form_url = first["Location"]
    assert "dat-lai-mat-khau" in form_url and path not in form_url
    form = client.get(form_url)
    assert form.status_code == 200 and "Mật khẩu mới" in form.text

    weak = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "p-form-errors" in weak.text
    assert "quá phổ biến" in weak.text or "toàn bộ là số" in weak.text
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="directory.password_reset").exists()

    mismatch = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 200 and "Hai mật khẩu không giống nhau." in mismatch.text

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("portal:password-reset-complete")
    assert "Đã đặt mật khẩu mới" in client.get(done["Location"]).text
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD) and not citizen.check_password(PASSWORD)
    (entry,) = AuditEntry.objects.filter(action="directory.password_reset")
    assert entry.actor_id == citizen.pk and entry.object_id == str(citizen.pk)
    assert "pbkdf2" not in str(entry.after) and "md5" not in str(entry.after)
    assert "_auth_user_id" not in client.session  # not signed in: the citizen signs in himself

    # The link is dead once used.
    again = client.get(path)
    assert again.status_code == 200
    assert "không hợp lệ" in again.text and "đã được dùng, đã hết hạn" in again.text
    assert "Mật khẩu mới" not in again.text

    # Signing in with the new password works; the old one does not.
    login = reverse("portal:login")
    old = client.post(login, {"username": "0912345678", "password": PASSWORD})
    assert old.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post(login, {"username": "0912345678", "password": NEW_PASSWORD})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(citizen.pk)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, world):
    known = client.post(RESET, {"email": world.citizen.email})
    unknown = client.post(RESET, {"email": "khong-co-ai@example.vn"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == DONE
    assert len(reset_tasks()) == 1  # only the real account's
    assert run_reset_tasks() == ["sent"]
    assert [m.to for m in mail.outbox] == [[world.citizen.email]]
    page = client.get(DONE)
    assert page.status_code == 200 and "Nếu địa chỉ thư điện tử bạn nhập thuộc một tài khoản" in page.text


def test_staff_address_gets_the_same_answer_and_no_mail(client, world):
    officer = world.officer
    assert officer.email
    response = client.post(RESET, {"email": officer.email})
    assert response.status_code == 302 and response["Location"] == DONE
    assert reset_tasks() == [] and mail.outbox == []
    # A staff account's token (made by the staff reset) does not open the portal's page either.
    uid = urlsafe_base64_encode(force_bytes(officer.pk))
    token = default_token_generator.make_token(officer)
    page = client.get(reverse("portal:password-reset-confirm", args=[uid, token]))
    assert page.status_code == 200 and "không hợp lệ" in page.text
    # Nor does the task send anything if it was queued for a staff account somehow.
    assert send_password_reset.call(officer.pk, timezone.now().isoformat()) == "skipped"
    assert mail.outbox == []


def test_inactive_citizen_gets_no_mail(client, world):
    world.citizen.is_active = False
    world.citizen.save(update_fields=["is_active"])
    assert client.post(RESET, {"email": world.citizen.email}).status_code == 302
    assert reset_tasks() == [] and mail.outbox == []


def test_bad_address_is_a_clear_error(client, world):
    response = client.post(RESET, {"email": "khong-phai-thu"})
    assert response.status_code == 400 and "p-form-errors" in response.text
    assert "Thư điện tử của tài khoản" in response.text
    assert reset_tasks() == []


class _TwoDaysAgo(PasswordResetTokenGenerator):
    """Django's generator, as it was two days ago (a token made then)."""

    def _now(self) -> dt.datetime:
        return super()._now() - dt.timedelta(days=2)


def test_expired_and_forged_links_are_refused(client, world, settings):
    settings.PASSWORD_RESET_TIMEOUT = 86400
    citizen = world.citizen
    uid = urlsafe_base64_encode(force_bytes(citizen.pk))
    expired = _TwoDaysAgo().make_token(citizen)
    page = client.get(reverse("portal:password-reset-confirm", args=[uid, expired]))
    assert page.status_code == 200 and "không hợp lệ" in page.text and "đã hết hạn" in page.text
    assert reverse("portal:password-reset") in page.text  # ask for a new link
    forged = client.get(reverse("portal:password-reset-confirm", args=[uid, "abc-123"]))
    assert "không hợp lệ" in forged.text
    nobody = client.get(reverse("portal:password-reset-confirm", args=["zzzz", "abc-123"]))
    assert "không hợp lệ" in nobody.text
    # Posting to the form URL without a token in the session changes nothing.
    post = client.post(
        reverse("portal:password-reset-confirm", args=[uid, "set-password"]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert post.status_code == 200 and "không hợp lệ" in post.text
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_a_request_left_in_the_queue_too_long_is_dropped(world, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    asked = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    assert send_password_reset.call(world.citizen.pk, asked) == "expired"
    assert mail.outbox == []


def test_rate_limit_per_client_ip(client, world, settings):
    settings.EGOV_PASSWORD_RESET_RATE = "2/hour"
    for _ in range(2):
        assert client.post(RESET, {"email": world.citizen.email}).status_code == 302
    over = client.post(RESET, {"email": world.citizen.email})
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert "quá nhiều yêu cầu đặt lại mật khẩu" in over.text
    assert len(reset_tasks()) == 2  # nothing queued over the limit
    other_ip = client.post(RESET, {"email": world.citizen.email}, REMOTE_ADDR="10.1.2.3")
    assert other_ip.status_code == 302
    # X-Forwarded-For written by the caller is not believed.
    spoofed = client.post(RESET, {"email": world.citizen.email}, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert spoofed.status_code == 429


def test_reset_password_service_rules(world):
    citizen, other = world.citizen, world.other_citizen
    with pytest.raises(PermissionDenied):
        directory_services.reset_password(actor=other, user=citizen, password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        directory_services.reset_password(actor=world.officer, user=world.officer, password=NEW_PASSWORD)
    with pytest.raises(ValidationError) as exc:
        directory_services.reset_password(actor=citizen, user=citizen, password="12345678")
    assert "password" in exc.value.error_dict
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="directory.password_reset").exists()
    directory_services.reset_password(actor=citizen, user=citizen, password=NEW_PASSWORD)
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="directory.password_reset", actor=citizen).count() == 1
