"""E-mail through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import datetime as dt

from egov.notify import services
from egov.notify.models import Message
from egov.notify.tests.conftest import context


def later(msg: Message) -> dt.datetime:
    msg.refresh_from_db()
    assert msg.next_attempt_at is not None
    return msg.next_attempt_at + dt.timedelta(seconds=1)


def test_email_is_sent_over_smtp(templates, smtp, tree) -> None:
    (msg,) = services.notify(
        event="dossier.financial_obligation",
        context=context(amount=1_200_000),
        email="Hong.Nguyen@Example.VN",
        agency=tree.commune,
    )
    assert msg.recipient == "Hong.Nguyen@example.vn"
    assert services.deliver(msg.pk) == "sent"
    (rcpts, mail) = smtp.messages[0]
    assert rcpts == ["Hong.Nguyen@example.vn"]
    assert (
        str(mail["Subject"]).strip()
        == "[UBND xã An Bình] Thông báo nghĩa vụ tài chính, hồ sơ H99.01-250814-0001"
    )
    body = mail.get_content()
    assert "Kính gửi ông/bà Nguyễn Thị Hồng" in body and "1.200.000 đồng" in body
    assert "tiếp nhận ngày 14/08/2025" in body
    assert "Ủy ban nhân dân xã An Bình" in str(mail["From"])  # the sending agency
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.provider == "smtp"
    assert mail["Message-ID"] == msg.provider_message_id == services.email_message_id(msg)


def test_smtp_down_then_up(templates, smtp) -> None:
    smtp.stop()
    (msg,) = services.notify(event="dossier.result_ready", context=context(), email="a@example.vn")
    assert services.deliver(msg.pk) == "retry"
    smtp.start()
    assert services.deliver(msg.pk, now=later(msg)) == "sent"
    assert services.deliver(msg.pk, now=later(msg)) == "skipped"
    assert len(smtp.messages) == 1


def test_recipient_refused_permanently(templates, smtp) -> None:
    smtp.recorder.refuse_with = "550 5.1.1 No such user"
    (msg,) = services.notify(event="dossier.result_ready", context=context(), email="nobody@example.vn")
    assert services.deliver(msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.attempts == 1 and "550" in msg.last_error


def test_recipient_deferred_is_retried(templates, smtp) -> None:
    smtp.recorder.refuse_with = "450 4.2.0 Mailbox busy"
    (msg,) = services.notify(event="dossier.result_ready", context=context(), email="busy@example.vn")
    assert services.deliver(msg.pk) == "retry"
    smtp.recorder.refuse_with = None
    assert services.deliver(msg.pk, now=later(msg)) == "sent"
    assert len(smtp.messages) == 1
