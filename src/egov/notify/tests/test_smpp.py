"""SMS through SMPP against the test SMSC on loopback: Vietnamese text in UCS-2, long messages in parts,
receipts, provider down, retry budget, duplicate tasks, lost answers, late receipts."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.notify import selectors, services
from egov.notify.models import DeliveryReceipt, Message
from egov.notify.tasks import deliver_message
from egov.notify.tests.conftest import context

LONG_REASON = (
    "hồ sơ thiếu bản vẽ thiết kế có xác nhận của đơn vị tư vấn, thiếu giấy tờ chứng minh quyền sử dụng đất "
    "và chưa có ý kiến của Phòng Quản lý đô thị"
)


def queue(event: str = "dossier.received", phone: str = "0912 345 678", **extra: object) -> Message:
    (msg,) = services.notify(event=event, context=context(**extra), phone=phone)
    return msg


def later(msg: Message) -> dt.datetime:
    msg.refresh_from_db()
    assert msg.next_attempt_at is not None
    return msg.next_attempt_at + dt.timedelta(seconds=1)


def test_vietnamese_sms_is_sent_in_ucs2_and_delivered(templates, smsc) -> None:
    msg = queue()
    assert (msg.channel, msg.recipient, msg.encoding, msg.segments) == ("sms", "0912345678", "ucs2", 2)
    assert deliver_message.call(msg.pk) == "sent"
    msg.refresh_from_db()
    (received,) = smsc.messages()
    assert (
        received.text
        == "UBND xã An Bình đã tiếp nhận hồ sơ H99.01-250814-0001. Hẹn trả kết quả ngày 28/08/2025."
    )
    assert received.text == msg.body
    assert (received.destination, received.source, received.data_coding) == ("84912345678", "UBNDXA", 0x08)
    assert received.parts == 2 == msg.segments
    assert all(s.esm_class & 0x40 and s.udh and s.udh[1] == 2 for s in smsc.submits)  # concatenated, UDH
    assert [len(s.payload) for s in smsc.submits] == [134, len(msg.body) * 2 - 134]
    assert smsc.binds == [("trx", "egov")] and smsc.unbinds == 1
    # The receipts came on the same transceiver session within the wait window.
    assert msg.status == Message.Status.DELIVERED
    assert msg.provider == "smpp" and msg.provider_message_id == received.message_ids[0]
    assert sorted(msg.references.values_list("reference", flat=True)) == sorted(received.message_ids)
    assert DeliveryReceipt.objects.filter(message=msg, state="delivered").count() == 2


def test_long_message_with_sar_options(templates, smsc, settings) -> None:
    settings.EGOV_SMPP_CONCAT = "sar"
    msg = queue("dossier.refused", reason=LONG_REASON)
    assert msg.segments == 3
    services.deliver(msg.pk)
    (received,) = smsc.messages()
    assert received.text == msg.body and LONG_REASON in received.text and received.parts == 3
    assert [s.sar[1:] for s in smsc.submits if s.sar] == [(3, 1), (3, 2), (3, 3)]
    assert all(not s.esm_class & 0x40 for s in smsc.submits)


def test_gsm7_text_stays_gsm7(templates, smsc) -> None:
    from egov.notify.models import Template

    Template.objects.filter(event="dossier.withdrawn", channel="sms").update(
        body="Ho so {dossier_code} da rut."
    )
    msg = queue("dossier.withdrawn")
    services.deliver(msg.pk)
    (received,) = smsc.messages()
    assert (msg.encoding, msg.segments, received.data_coding) == ("gsm7", 1, 0)
    assert received.text == "Ho so H99.01-250814-0001 da rut."


def test_smsc_down_then_up_retries_and_delivers_exactly_once(templates, smsc, settings) -> None:
    settings.EGOV_NOTIFY_MAX_ATTEMPTS = 5
    port = smsc.port
    smsc.stop()  # provider down
    msg = queue()
    assert services.deliver(msg.pk) == "retry"
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == ("queued", 1) and "SMSC" in msg.last_error
    first_wait = msg.next_attempt_at - msg.claimed_at
    assert services.deliver(msg.pk) == "skipped"  # not due yet: nothing sent, nothing counted
    assert services.deliver(msg.pk, now=later(msg)) == "retry"
    msg.refresh_from_db()
    assert msg.attempts == 2 and msg.next_attempt_at - msg.claimed_at == 2 * first_wait  # exponential
    smsc.start(port)  # back up
    assert services.deliver(msg.pk, now=later(msg)) == "sent"
    assert services.deliver(msg.pk, now=later(msg)) == "skipped"
    msg.refresh_from_db()
    assert msg.status == "delivered" and msg.attempts == 3 and msg.last_error == ""
    assert len(smsc.messages()) == 1


def test_throttled_submit_is_retried(templates, smsc) -> None:
    smsc.fail_statuses = [0x58]  # ESME_RTHROTTLED on the first part
    msg = queue("dossier.withdrawn")
    assert services.deliver(msg.pk) == "retry"
    assert services.deliver(msg.pk, now=later(msg)) == "sent"
    assert len(smsc.messages()) == 1


def test_budget_exhausted_fails_visibly_and_audited(templates, smsc, settings, tree) -> None:
    settings.EGOV_NOTIFY_MAX_ATTEMPTS = 3
    smsc.stop()
    (msg,) = services.notify(
        event="dossier.received",
        context=context(),
        phone="0912345678",
        agency=tree.commune,
        subject=tree.commune,
    )
    outcomes = [services.deliver(msg.pk)]
    while outcomes[-1] == "retry":
        outcomes.append(services.deliver(msg.pk, now=later(msg)))
    assert outcomes == ["retry", "retry", "failed"]
    msg.refresh_from_db()
    assert msg.status == "failed" and msg.attempts == 3 and msg.failed_at
    assert "sau 3 lần thử" in msg.last_error
    assert list(selectors.failed_messages([tree.commune.pk])) == [msg]
    assert list(selectors.failed_messages([tree.other_province.pk])) == []
    assert selectors.messages_for(tree.commune)[0].last_error == msg.last_error
    entry = AuditEntry.objects.get(action="notify.message.failed")
    assert entry.object_id == str(msg.pk) and entry.agency_id == tree.commune.pk
    assert services.deliver(msg.pk, now=timezone.now() + dt.timedelta(days=1)) == "skipped"


def test_refused_by_smsc_fails_at_once(templates, smsc) -> None:
    smsc.fail_statuses = [0x0B]  # ESME_RINVDSTADR
    msg = queue()
    assert services.deliver(msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.attempts == 1 and "0x0000000B" in msg.last_error


def test_task_run_twice_sends_once(templates, smsc) -> None:
    msg = queue()
    assert deliver_message.call(msg.pk) == "sent"
    assert deliver_message.call(msg.pk) == "skipped"
    assert len(smsc.messages()) == 1


def test_concurrent_tasks_send_once(transactional_db, templates, smsc) -> None:
    msg = queue()
    results: list[str] = []

    def run() -> None:
        from django.db import connection

        results.append(services.deliver(msg.pk))
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(smsc.messages()) == 1


def test_lost_answer_is_not_resent_blindly(templates, smsc, settings) -> None:
    settings.EGOV_SMPP_TIMEOUT = 1
    smsc.hang_after_submits = 0  # the SMSC takes the submit and never answers
    msg = queue("dossier.withdrawn")
    assert services.deliver(msg.pk) == "failed"
    msg.refresh_from_db()
    assert msg.status == "failed" and "không gửi lại" in msg.last_error
    assert len(smsc.submits) == 1


def test_worker_killed_after_sending_is_not_resent(templates, smsc, settings) -> None:
    """A message left ``sending`` (the worker died between the provider's accept and the database update)
    is not sent again by the sweep through a non-idempotent provider; it is failed with the reason."""
    msg = queue()
    claimed = services.claim(msg.pk, timezone.now())
    assert claimed is not None  # ...and then the worker died
    lease = dt.timedelta(seconds=settings.EGOV_NOTIFY_LEASE_SECONDS)
    assert services.sweep(now=timezone.now() + lease / 2) == {"enqueued": 0, "requeued": 0, "failed": 0}
    assert services.sweep(now=timezone.now() + lease * 2)["failed"] == 1
    msg.refresh_from_db()
    assert msg.status == "failed" and "không rõ" in msg.last_error
    assert services.deliver(msg.pk, now=timezone.now() + lease * 3) == "skipped"
    assert smsc.submits == []


def test_late_receipt_through_smpp_listen(transactional_db, templates, smsc, settings) -> None:
    from egov.notify.sms import smpp

    settings.EGOV_SMPP_RECEIPT_WAIT_SECONDS = 0
    smsc.send_receipts = False
    msg = queue("dossier.withdrawn")
    services.deliver(msg.pk)
    msg.refresh_from_db()
    assert msg.status == "sent"
    received: list[object] = []
    stop = threading.Event()

    def apply(receipt: smpp.Receipt) -> None:
        received.append(services.record_receipt(provider="smpp", receipt=receipt))

    def run() -> None:
        from django.db import connection

        try:
            smpp.listen(apply, stop=stop, poll_seconds=0.2)
        finally:
            connection.close()

    listener = threading.Thread(target=run)
    listener.start()
    try:
        deadline = time.monotonic() + 10
        while not smsc.push_receipt(msg.provider_message_id):
            assert time.monotonic() < deadline, "listener never bound"
            time.sleep(0.05)
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        listener.join(10)
    assert ("rx", "egov") in smsc.binds
    msg.refresh_from_db()
    assert msg.status == "delivered"


def test_undeliverable_receipt_fails_the_message(templates, smsc) -> None:
    smsc.receipt_stat = "UNDELIV"
    msg = queue("dossier.withdrawn")
    services.deliver(msg.pk)
    msg.refresh_from_db()
    assert msg.status == "failed" and "không chuyển được" in msg.last_error
    assert AuditEntry.objects.filter(action="notify.message.failed", object_id=str(msg.pk)).exists()


@pytest.mark.parametrize("raw", ["0912345678", "+84 912 345 678", "84912345678", "0912.345.678"])
def test_phone_forms(raw: str) -> None:
    assert services.normalise_phone(raw) == "0912345678"
    assert services.international("0912345678") == "84912345678"
