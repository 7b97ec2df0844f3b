"""Quên mật khẩu of staff accounts: the request only queues the e-mail (Django Tasks API, queue ``notify``),
in its transaction; the worker's task makes the one-time link on ``SITE_URL`` and sends it. Requests are
rate-limited per client IP by ``EGOV_PASSWORD_RESET_RATE``, as on the citizen portal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from egov.core.tests.helpers import queued_tasks, run_queued_tasks
from egov.directory.models import User
from egov.directory.tasks import send_staff_password_reset
from egov.directory.tests.fixtures import Tree, register_test_citizen

TASK_PATH = "egov.directory.tasks.send_staff_password_reset"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # the reset rate limit counts in the cache


def citizen() -> User:
    return register_test_citizen()


def reset_tasks() -> list[DBTaskResult]:
    return queued_tasks(TASK_PATH)


def run_staff_reset_tasks() -> list[str]:
    return run_queued_tasks(TASK_PATH)


def link_path(message: Any) -> str:
    site = django_settings.SITE_URL.rstrip("/")
    found = re.search(re.escape(site) + r"(/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_request_queues_the_mail_and_the_worker_sends_it(tree: Tree, clerk: User, settings: Any) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "may-noi-bo.example"]  # a host that is not SITE_URL's
    client = Client()
    response = client.post(reverse("password_reset"), {"email": clerk.email}, HTTP_HOST="may-noi-bo.example")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []  # nothing sent inside the request
    (row,) = reset_tasks()
    assert row.queue_name == "notify" and row.args_kwargs["args"][0] == clerk.pk
    assert run_staff_reset_tasks() == ["sent"]
    (message,) = mail.outbox
    assert message.to == [clerk.email] and message.from_email == django_settings.DEFAULT_FROM_EMAIL
    assert "may-noi-bo.example" not in message.body  # the link is on SITE_URL, never the Host header
    path = link_path(message)
    page = client.get(path, follow=True)
    assert "Đặt mật khẩu mới" in page.content.decode()


def test_unknown_addresses_and_citizens_queue_nothing(tree: Tree, clerk: User) -> None:
    client = Client()
    citizen()
    for email in ("khong-co-ai@example.vn", "dan@example.com"):
        response = client.post(reverse("password_reset"), {"email": email})
        assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert reset_tasks() == [] and mail.outbox == []


def test_the_task_checks_the_account_again_when_it_runs(tree: Tree, clerk: User, settings: Any) -> None:
    now = timezone.now().isoformat()
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    assert send_staff_password_reset.call(clerk.pk, now) == "skipped"
    clerk.is_active = True
    clerk.save(update_fields=["is_active"])
    assert send_staff_password_reset.call(citizen().pk, now) == "skipped"
    settings.PASSWORD_RESET_TIMEOUT = 3600
    old = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    assert send_staff_password_reset.call(clerk.pk, old) == "expired"
    assert mail.outbox == []
    assert send_staff_password_reset.call(clerk.pk, now) == "sent"
    assert len(mail.outbox) == 1


def test_rate_limit_per_client_ip(tree: Tree, clerk: User, settings: Any) -> None:
    settings.EGOV_PASSWORD_RESET_RATE = "2/hour"
    url = reverse("password_reset")
    client = Client()
    for _ in range(2):
        assert client.post(url, {"email": clerk.email}).status_code == 302
    over = client.post(url, {"email": clerk.email})
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert "no-store" in over["Cache-Control"]
    assert "quá nhiều yêu cầu đặt lại mật khẩu" in over.text and reverse("login") in over.text
    assert len(reset_tasks()) == 2  # nothing queued over the limit
    assert client.get(url).status_code == 200  # showing the form is not a request
    assert client.post(url, {"email": clerk.email}, REMOTE_ADDR="10.1.2.3").status_code == 302
    # X-Forwarded-For written by the caller is not believed.
    assert client.post(url, {"email": clerk.email}, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    assert len(reset_tasks()) == 3
    # The citizen portal's form has a counter of its own.
    citizen_form = client.post(reverse("portal:password-reset"), {"email": "dan@example.com"})
    assert citizen_form.status_code == 302


def test_no_rate_limit_when_the_setting_is_empty(tree: Tree, clerk: User, settings: Any) -> None:
    settings.EGOV_PASSWORD_RESET_RATE = ""
    client = Client()
    for _ in range(6):
        assert client.post(reverse("password_reset"), {"email": clerk.email}).status_code == 302
    assert len(reset_tasks()) == 6
