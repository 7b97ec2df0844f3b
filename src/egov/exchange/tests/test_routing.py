"""The hub's routing snapshot: credentials, routes and trust roots kept per process, reloaded when the
routing version changes — and every change (service, admin save, delete) changes it at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.exchange import hub, routing
from egov.exchange.edxml import packet_to_bytes
from egov.exchange.hub import HubError
from egov.exchange.models import Delivery, HubOrgan, HubSystem
from egov.exchange.tests.helpers import CAN_THO, NGHE_AN, document_packet


@pytest.fixture
def systems(db):
    routing.forget()
    nghe_an, nghe_an_secret = hub.register_system(actor=None, system_id="qlvb-nghean", name="QLVB Nghệ An")
    can_tho, can_tho_secret = hub.register_system(actor=None, system_id="qlvb-cantho", name="QLVB Cần Thơ")
    hub.register_organ(actor=None, system=nghe_an, organ_id=NGHE_AN.organ_id, name=NGHE_AN.organ_name)
    hub.register_organ(actor=None, system=can_tho, organ_id=CAN_THO.organ_id, name=CAN_THO.organ_name)
    yield {"nghe_an": (nghe_an, nghe_an_secret), "can_tho": (can_tho, can_tho_secret)}
    routing.forget()


def test_unchanged_snapshot_costs_one_small_read(systems):
    system, secret = systems["nghe_an"]
    hub.authenticate(system.system_id, secret)  # loads the snapshot
    with CaptureQueriesContext(connection) as queries:
        again = hub.authenticate(system.system_id, secret)
    assert again.pk == system.pk and again.system_id == "qlvb-nghean" and not again._state.adding
    assert len(queries) == 1 and "version" in queries[0]["sql"].lower()


def test_deactivating_a_system_refuses_its_next_request(systems):
    system, secret = systems["nghe_an"]
    hub.authenticate(system.system_id, secret)
    system.active = False
    system.save()  # as the Django admin does: no service, the signal still moves the version
    with pytest.raises(HubError) as refused:
        hub.authenticate(system.system_id, secret)
    assert refused.value.code == HubError.BAD_CREDENTIALS


def test_rotated_secret_and_grace(systems):
    system, old = systems["nghe_an"]
    hub.authenticate(system.system_id, old)
    new = hub.rotate_secret(actor=None, system=system)
    assert hub.authenticate(system.system_id, new).pk == system.pk
    assert hub.authenticate(system.system_id, old).pk == system.pk  # still within the grace period
    HubSystem.objects.filter(pk=system.pk).first().save()  # any save moves the version
    with pytest.raises(HubError):
        hub.authenticate(system.system_id, "x" * 40)


def test_routes_follow_organ_changes_and_deletions(systems):
    sender, secret = systems["nghe_an"]
    data = packet_to_bytes(document_packet(recipients=[CAN_THO]))
    packet = hub.accept_packet(system=hub.authenticate(sender.system_id, secret), stream=[data])
    assert Delivery.objects.get(packet=packet).organ_id == CAN_THO.organ_id

    organ = HubOrgan.objects.get(organ_id=CAN_THO.organ_id)
    organ.active = False
    organ.save()
    other = packet_to_bytes(document_packet(recipients=[CAN_THO], document_id="000.00.00.G22,2026/11/22,9/X"))
    with pytest.raises(HubError) as locked:
        hub.accept_packet(system=hub.authenticate(sender.system_id, secret), stream=[other])
    assert locked.value.code == HubError.RECIPIENT_LOCKED

    organ.delete()
    with pytest.raises(HubError) as missing:
        hub.accept_packet(system=hub.authenticate(sender.system_id, secret), stream=[other])
    assert missing.value.code == HubError.RECIPIENT_NOT_FOUND


def test_a_rolled_back_change_is_not_kept(systems, django_db_blocker):
    """A change made and used inside a transaction that then rolls back must not survive in the snapshot."""
    from django.db import transaction

    system, secret = systems["nghe_an"]
    before = routing.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        system.active = False
        system.save()
        with pytest.raises(HubError):
            hub.authenticate(system.system_id, secret)
        raise RuntimeError("roll back")
    assert routing.read_version() == before.version
    assert hub.authenticate(system.system_id, secret).pk == system.pk


def test_trust_roots_follow_certificate_changes(systems):
    from egov.signing import services as signing
    from egov.signing.models import Certificate

    assert routing.current().trust_roots == ()
    ca = signing.ensure_builtin_ca()
    roots = routing.current().trust_roots
    assert len(roots) == 1 and roots[0].fingerprint(roots[0].signature_hash_algorithm).hex() == (
        ca.fingerprint_sha256.replace(":", "").lower()
    )
    assert hub.reader_options().trusted_certificates == roots
    ca.status = Certificate.Status.REVOKED
    ca.save()
    assert routing.current().trust_roots == ()
