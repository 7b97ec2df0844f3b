"""``notify()``: the interface other apps call; the outbox; the worker running the tasks."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from egov.audit.models import AuditEntry
from egov.directory import services as directory_services
from egov.notify import selectors, services
from egov.notify.models import Message, Template
from egov.notify.tests.conftest import context


@pytest.fixture
def citizen(db):
    user = directory_services.create_staff_user(
        actor=None,
        username="congdan",
        full_name="Nguyễn Thị Hồng",
        email="hong@example.vn",
        password="x" * 12,
    )
    user.kind, user.phone = "citizen", "0912345678"
    user.save(update_fields=["kind", "phone"])
    return user


def notify_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(queue_name="notify", task_path__endswith="deliver_message"))


def test_user_defaults_and_preferences(templates, citizen) -> None:
    msgs = services.notify(event="dossier.received", context=context(), user=citizen)
    assert sorted((m.channel, m.recipient) for m in msgs) == [
        ("email", "hong@example.vn"),
        ("sms", "0912345678"),
    ]
    services.set_preference(actor=citizen, user=citizen, sms=False, email=True)
    msgs = services.notify(event="dossier.received", context=context(), user=citizen)
    assert [m.channel for m in msgs] == ["email"]
    services.set_preference(actor=citizen, user=citizen, sms=False, email=False)
    assert services.notify(event="dossier.received", context=context(), user=citizen) == []
    assert AuditEntry.objects.filter(action="notify.preference.update").count() == 2


def test_preference_of_someone_else_is_refused(templates, citizen, clerk) -> None:
    with pytest.raises(PermissionDenied):
        services.set_preference(actor=clerk, user=citizen, sms=False, email=False)


def test_desk_dossier_without_account(templates) -> None:
    (msg,) = services.notify(event="dossier.received", context=context(), phone="+84 987 654 321")
    assert msg.user is None and msg.recipient == "0987654321"
    assert services.notify(event="dossier.received", context=context()) == []  # nobody to tell


def test_bad_recipient_is_a_clear_error(templates) -> None:
    with pytest.raises(ValidationError, match="Số điện thoại"):
        services.notify(event="dossier.received", context=context(), phone="12345")
    with pytest.raises(ValidationError, match="thư điện tử"):
        services.notify(event="dossier.received", context=context(), email="not-an-address")


def test_idempotency_key(templates, citizen) -> None:
    first = services.notify(
        event="dossier.received", context=context(), user=citizen, idempotency_key="d1:received"
    )
    again = services.notify(
        event="dossier.received", context=context(), user=citizen, idempotency_key="d1:received"
    )
    assert {m.pk for m in first} == {m.pk for m in again}
    assert Message.objects.count() == 2 and len(notify_tasks()) == 2
    other = services.notify(
        event="dossier.received", context=context(), phone="0900000000", idempotency_key="d1:received"
    )
    assert other[0].pk not in {m.pk for m in first}  # another recipient


def test_messages_and_tasks_commit_with_the_caller(templates, tree) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.notify(event="dossier.received", context=context(), phone="0912345678", subject=tree.commune)
        assert Message.objects.count() == 1 and len(notify_tasks()) == 1
        raise Boom
    assert Message.objects.count() == 0 and notify_tasks() == []  # rolled back together


def test_messages_for_subject_newest_first(templates, tree) -> None:
    a = services.notify(event="dossier.received", context=context(), phone="0912345678", subject=tree.commune)
    b = services.notify(
        event="dossier.processing", context=context(), phone="0912345678", subject=tree.commune
    )
    services.notify(event="dossier.received", context=context(), phone="0912345678", subject=tree.unit)
    assert [m.pk for m in selectors.messages_for(tree.commune)] == [b[0].pk, a[0].pk]
    assert a[0].object_type == "directory.agency" and a[0].object_id == str(tree.commune.pk)


def test_resend_a_failed_message(templates, tree, clerk, foreign_staff) -> None:
    (msg,) = services.notify(
        event="dossier.received", context=context(), phone="0912345678", agency=tree.department
    )
    with pytest.raises(ValidationError):
        services.resend(actor=clerk, message=msg)
    Message.objects.filter(pk=msg.pk).update(status="failed", last_error="x")
    msg.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.resend(actor=foreign_staff, message=msg)
    copy = services.resend(actor=clerk, message=msg)
    assert copy.status == "queued" and copy.body == msg.body and copy.pk != msg.pk
    assert AuditEntry.objects.filter(action="notify.message.resend", actor=clerk).exists()


def test_sweep_reenqueues_lost_tasks(templates, settings) -> None:
    import datetime as dt

    from django.utils import timezone

    services.notify(event="dossier.received", context=context(), phone="0912345678")
    DBTaskResult.objects.all().delete()  # the task was lost
    lease = dt.timedelta(seconds=settings.EGOV_NOTIFY_LEASE_SECONDS)
    assert services.sweep(now=timezone.now())["enqueued"] == 0  # its task may still be on the way
    assert services.sweep(now=timezone.now() + 2 * lease)["enqueued"] == 1
    assert services.sweep(now=timezone.now() + 2 * lease)["enqueued"] == 0  # not twice
    assert len(notify_tasks()) == 1


def test_the_worker_runs_the_queued_tasks(templates, smsc, smtp, citizen) -> None:
    """The task rows written by notify() run the delivery (as the worker does: the stored task path and
    arguments); running them all a second time (requeued after a crash) sends nothing more."""
    msgs = services.notify(event="dossier.result_ready", context=context(), user=citizen)
    rows = DBTaskResult.objects.ready().filter(queue_name="notify")
    assert rows.count() == 2
    for _round in range(2):
        outcomes = [r.task.call(*r.args_kwargs["args"], **r.args_kwargs["kwargs"]) for r in rows]
        assert outcomes == (["sent", "sent"] if _round == 0 else ["skipped", "skipped"])
    assert {m.status for m in Message.objects.all()} <= {"sent", "delivered"}
    assert len(smsc.messages()) == 1 and len(smtp.messages) == 1
    assert smsc.messages()[0].text == next(m.body for m in msgs if m.channel == "sms")


def test_a_missing_template_row_falls_back_to_the_builtin_default(db) -> None:
    """A database emptied without its seeded rows (or a row deleted by mistake) loses no message."""
    Template.objects.filter(event="dossier.received").delete()
    sent = services.notify(
        event="dossier.received", context=context(), phone="0912345678", email="dan@example.vn"
    )
    assert sorted(m.channel for m in sent) == ["email", "sms"]
    sms = next(m for m in sent if m.channel == "sms")
    assert "đã tiếp nhận hồ sơ" in sms.body and "{" not in sms.body
