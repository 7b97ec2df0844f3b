"""Signing in to the staff interface: password, citizen refusal, lockout, two-factor codes, password reset."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from egov.audit.models import AuditEntry
from egov.directory.auth_views import PENDING_KEY
from egov.directory.models import User
from egov.directory.tests.fixtures import PASSWORD, Tree, register_test_citizen
from egov.directory.tests.test_staff_password_reset import link_path, run_staff_reset_tasks

LOGIN = "/login/"


@pytest.fixture
def citizen(db: Any) -> User:
    return register_test_citizen()


def token_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset_steps):06d}"


def device_for(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="egov", confirmed=True)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Password step ----------------------------------------------------------------------------------------


def test_login_page_renders_in_vietnamese(db: Any) -> None:
    response = Client().get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Đăng nhập" in html and "Tên đăng nhập" in html and "Mật khẩu" in html and "Quên mật khẩu?" in html


def test_staff_logs_in_and_out(tree: Tree, clerk: User) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "vanthu", "password": PASSWORD, "next": "/directory/"})
    assert response.status_code == 302 and response["Location"] == "/directory/"
    assert is_logged_in(client)
    assert client.get("/directory/").status_code == 200
    assert client.get("/logout/").status_code == 405  # logging out is a POST
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not is_logged_in(client)
    assert "Bạn đã đăng xuất." in client.get(LOGIN).content.decode()


def test_login_rejects_unsafe_next(tree: Tree, clerk: User) -> None:
    response = Client().post(
        LOGIN, {"username": "vanthu", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_vietnamese_error(tree: Tree, clerk: User) -> None:
    response = Client().post(LOGIN, {"username": "vanthu", "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()


def test_citizen_cannot_log_in_to_staff_interface(citizen: User) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "0912345678", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tài khoản công dân không đăng nhập được vào trang dành cho cán bộ" in html
    assert not is_logged_in(client)


def test_lockout_after_five_failures(tree: Tree, clerk: User) -> None:
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"username": "vanthu", "password": "sai-mat-khau"})
    response = client.post(LOGIN, {"username": "vanthu", "password": PASSWORD})  # even the right password
    html = response.content.decode()
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in html and "5 lần" in html and "15 phút" in html
    assert not is_logged_in(client)


def test_four_failures_do_not_lock(tree: Tree, clerk: User) -> None:
    client = Client()
    for _ in range(4):
        client.post(LOGIN, {"username": "vanthu", "password": "sai-mat-khau"})
    assert client.post(LOGIN, {"username": "vanthu", "password": PASSWORD}).status_code == 302


# --- Two-factor step --------------------------------------------------------------------------------------


def test_otp_step_required_when_device_exists(tree: Tree, clerk: User) -> None:
    device = device_for(clerk)
    client = Client()
    response = client.post(LOGIN, {"username": "vanthu", "password": PASSWORD, "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == reverse("otp-verify")
    assert not is_logged_in(client)  # the password alone does not open a session
    assert client.get("/").status_code == 302
    page = client.get(reverse("otp-verify"))
    assert page.status_code == 200 and "Xác thực hai lớp" in page.content.decode()

    response = client.post(reverse("otp-verify"), {"token": token_for(device)})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert is_logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_KEY not in client.session
    assert client.get("/people/").status_code == 200


def test_wrong_otp_code_is_refused(tree: Tree, clerk: User) -> None:
    device = device_for(clerk)
    client = Client()
    client.post(LOGIN, {"username": "vanthu", "password": PASSWORD})
    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp-verify"), {"token": wrong})
    assert response.status_code == 200
    assert "Mã xác thực không đúng hoặc đã hết hạn." in response.content.decode()
    assert not is_logged_in(client)
    bad_format = client.post(reverse("otp-verify"), {"token": "12ab"})
    assert "Mã xác thực gồm 6 chữ số." in bad_format.content.decode()


def test_too_many_wrong_codes_restart_login(tree: Tree, clerk: User, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = device_for(clerk)
    client = Client()
    client.post(LOGIN, {"username": "vanthu", "password": PASSWORD})
    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = client.post(reverse("otp-verify"), {"token": wrong})
    assert response["Location"] == reverse("login")
    assert PENDING_KEY not in client.session
    assert client.post(reverse("otp-verify"), {"token": token_for(device)})["Location"] == reverse("login")
    assert not is_logged_in(client)


def test_otp_verify_without_password_step_goes_to_login(db: Any) -> None:
    response = Client().get(reverse("otp-verify"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_unverified_session_with_device_is_sent_to_code_step(tree: Tree, clerk: User) -> None:
    device = device_for(clerk)
    client = Client()
    client.force_login(clerk)  # e.g. a session opened before the device was enrolled
    response = client.get("/directory/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-verify") + "?next=")
    response = client.post(response["Location"], {"token": token_for(device)})
    assert response["Location"] == "/directory/"
    assert client.get("/directory/").status_code == 200


# --- Enrolment --------------------------------------------------------------------------------------------


def test_enrol_and_disable_two_factor(tree: Tree, clerk: User) -> None:
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("otp-setup"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    assert client.get(reverse("otp-setup")).status_code == 200
    assert TOTPDevice.objects.filter(user=clerk).count() == 1  # reloading keeps the same pending device

    bad = client.post(
        reverse("otp-setup"), {"token": "000000" if token_for(device) != "000000" else "111111"}
    )
    assert "Mã xác thực không đúng" in bad.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(reverse("otp-setup"), {"token": token_for(device)})
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session stays usable
    assert "Đang bật" in client.get(reverse("profile")).content.decode()
    assert AuditEntry.objects.filter(action="directory.otp.confirm").count() == 1

    response = client.post(reverse("otp-setup"), {"token": token_for(device, offset_steps=1)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert AuditEntry.objects.filter(action="directory.otp.disable").count() == 1


def test_citizen_cannot_enrol(citizen: User) -> None:
    client = Client()
    client.force_login(citizen)
    assert client.get(reverse("otp-setup")).status_code == 403
    assert not TOTPDevice.objects.exists()


# --- Password reset and change ----------------------------------------------------------------------------


def test_password_reset_by_email(tree: Tree, clerk: User) -> None:
    client = Client()
    assert "Đặt lại mật khẩu" in client.get(reverse("password_reset")).content.decode()
    response = client.post(reverse("password_reset"), {"email": "vanthu@example.gov.vn"})
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []  # queued, sent by the worker (test_staff_password_reset.py)
    assert run_staff_reset_tasks() == ["sent"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("Đặt lại mật khẩu tài khoản egov")
    assert "Kính gửi Vanthu" in message.body and "Tên đăng nhập của bạn: vanthu" in message.body
    page = client.get(link_path(message), follow=True)
    assert "Đặt mật khẩu mới" in page.content.decode()
    url = page.redirect_chain[-1][0]
    mismatch = client.post(url, {"new_password1": "Mat-khau-moi-2026", "new_password2": "khac"})
    assert mismatch.status_code == 200
    response = client.post(url, {"new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"})
    assert response["Location"] == reverse("password_reset_complete")
    clerk.refresh_from_db()
    assert clerk.check_password("Mat-khau-moi-2026")


def test_password_reset_ignores_citizens(citizen: User) -> None:
    response = Client().post(reverse("password_reset"), {"email": "dan@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change(tree: Tree, clerk: User) -> None:
    client = Client()
    client.force_login(clerk)
    bad = client.post(
        reverse("password_change"), {"old_password": "sai", "new_password1": "x", "new_password2": "x"}
    )
    assert bad.status_code == 200 and "Chưa lưu được" in bad.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Mat-khau-moi-2026",
            "new_password2": "Mat-khau-moi-2026",
        },
    )
    assert response["Location"] == reverse("password_change_done")


def test_english_login_page(db: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(LOGIN).content.decode()
    assert "Log in" in html and "Username" in html and "Forgot your password?" in html


def test_unverified_session_can_log_out_from_code_step(tree: Tree, clerk: User) -> None:
    device_for(clerk)
    client = Client()
    client.force_login(clerk)
    html = client.get(reverse("otp-verify")).content.decode()
    assert 'action="/logout/"' in html
    client.post("/logout/")
    assert not is_logged_in(client)
