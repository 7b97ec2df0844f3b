"""Messages to the applicant go through the real notify app: right event, right recipients, exactly once."""

from __future__ import annotations

from egov.dossiers import notifications, services
from egov.notify.models import Message

from .conftest import desk, submit


def _events(d):
    return list(
        Message.objects.filter(object_type="dossiers.dossier", object_id=str(d.pk))
        .order_by("id")
        .values_list("event", "channel", "recipient")
    )


def test_acceptance_supplement_and_return_are_notified_once(world):
    d = submit(world)
    assert _events(d) == []  # the portal shows the code; the message comes with the appointment
    d = services.accept(actor=world.officer, dossier=d)
    sent = _events(d)
    assert {(e, c) for e, c, _r in sent} == {("dossier.received", "sms"), ("dossier.received", "email")}
    assert {r for _e, _c, r in sent} == {"0912345678", "0912345678@example.vn"}
    body = Message.objects.get(object_id=str(d.pk), channel="sms").body
    assert d.code in body

    # A retry of the same occurrence sends nothing new.
    event = d.events.get(kind="accepted")
    notifications.send(d, "received", key=event.pk)
    assert len(_events(d)) == 2

    services.start_processing(actor=world.officer, dossier=d)
    services.request_supplement(actor=world.specialist, dossier=d, reason="Ảnh mờ", papers=["Bản sao CCCD"])
    supplement = Message.objects.get(object_id=str(d.pk), event="dossier.supplement_requested", channel="sms")
    assert "Bản sao CCCD" in supplement.body and "Ảnh mờ" in supplement.body
    assert Message.objects.filter(object_id=str(d.pk), event="dossier.processing").count() == 2


def test_desk_applicant_without_contact_gets_no_message_and_fees_are_notified(world):
    d = desk(world)
    assert _events(d) == []
    reachable = desk(
        world,
        applicant=services.Applicant(
            name="Phạm Thị Dung", identity_number="001090000010", phone="0933444555"
        ),
    )
    services.request_payment(actor=world.officer, dossier=reachable)
    msg = Message.objects.get(object_id=str(reachable.pk), event="dossier.financial_obligation")
    assert msg.recipient == "0933444555" and "50.000" in msg.body
    services.withdraw(actor=world.officer, dossier=reachable)
    assert Message.objects.filter(object_id=str(reachable.pk), event="dossier.withdrawn").count() == 1
