"""Background work of the hub: forwarding to the parent hub and receiving from it (federation)."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from egov.audit.services import record
from egov.core.schedules import every
from egov.exchange import hub
from egov.exchange.client import HubRejected, HubUnavailable, LgspClient
from egov.exchange.models import Delivery, HubSystem, Packet

logger = logging.getLogger(__name__)

POLL_SECONDS = settings.EGOV_EXCHANGE_POLL_SECONDS
MAX_ATTEMPTS = 12  # with the backoff below: about 17 hours before a delivery is given up


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 4 * 3600))


def parent_client() -> LgspClient | None:
    if not settings.EGOV_EXCHANGE_PARENT_URL:
        return None
    return LgspClient(
        settings.EGOV_EXCHANGE_PARENT_URL,
        settings.EGOV_EXCHANGE_PARENT_SYSTEM_ID,
        settings.EGOV_EXCHANGE_PARENT_SECRET,
        settings.EGOV_EXCHANGE_TIMEOUT,
    )


def forward_pending(client: LgspClient, now: dt.datetime | None = None) -> int:
    """Send every packet with deliveries waiting for the parent; returns how many packets were accepted.
    A resend after a crash is harmless: the parent recognises the same bytes from the same system."""
    now = now or timezone.now()
    due = Delivery.objects.filter(route=Delivery.Route.PARENT, state=Delivery.State.PENDING).exclude(
        next_attempt_at__gt=now
    )
    packet_ids = list(due.values_list("packet_id", flat=True).distinct()[:200])
    sent = 0
    for packet in Packet.objects.filter(pk__in=packet_ids).order_by("received_at"):
        waiting = Delivery.objects.filter(
            packet=packet, route=Delivery.Route.PARENT, state=Delivery.State.PENDING
        )
        try:
            remote_id = client.send(Path(packet.file.path), packet.message_type, trace=packet.trace)
        except HubRejected as exc:
            with transaction.atomic():
                waiting.update(state=Delivery.State.FAILED, last_error=f"{exc.code}: {exc.message}"[:500])
                record(
                    "exchange.delivery.parent_refused", actor=None, target=packet, after={"error": str(exc)}
                )
            continue
        except HubUnavailable as exc:
            for d in waiting:
                d.attempts += 1
                d.last_error = str(exc)[:500]
                d.next_attempt_at = now + backoff(d.attempts)
                if d.attempts >= MAX_ATTEMPTS:
                    d.state = Delivery.State.FAILED
                d.save(update_fields=["attempts", "last_error", "next_attempt_at", "state"])
            logger.warning("parent hub unavailable for packet %s: %s", packet.pk, exc)
            continue
        with transaction.atomic():
            waiting.update(
                state=Delivery.State.DONE, done_at=timezone.now(), last_error=f"parent docId {remote_id}"
            )
            record(
                "exchange.delivery.forwarded", actor=None, target=packet, after={"parent_doc_id": remote_id}
            )
        sent += 1
    return sent


def receive_from_parent(client: LgspClient) -> int:
    """Fetch what the parent holds for this hub's agencies, store it here, then acknowledge it there."""
    parent = HubSystem.objects.filter(is_parent=True, active=True).first()
    if parent is None:
        return 0
    received = 0
    for item in client.received():
        doc_id = str(item["docId"])
        with tempfile.TemporaryDirectory(prefix="egov-parent-") as tmp:
            path = Path(tmp) / "packet.edxml"
            with path.open("wb") as out:
                trace = client.fetch(doc_id, out)
            try:
                with path.open("rb") as fh:
                    hub.accept_packet(
                        system=parent,
                        stream=fh,
                        message_type=item.get("messageType", "edoc"),
                        trace_from=trace,
                    )
            except hub.HubError as exc:
                client.ack(doc_id, "fail", f"{exc.code}: {exc.message}")
                continue
        client.ack(doc_id, "done")
        received += 1
    return received


@every(name="exchange.forward_to_parent", seconds=POLL_SECONDS)
@task(queue_name="exchange")
def forward_to_parent() -> int:
    client = parent_client()
    return forward_pending(client) if client else 0


@every(name="exchange.poll_parent", seconds=POLL_SECONDS)
@task(queue_name="exchange")
def poll_parent() -> int:
    client = parent_client()
    if client is None:
        return 0
    try:
        return receive_from_parent(client)
    except HubUnavailable as exc:
        logger.warning("parent hub unavailable: %s", exc)
        return 0


@every(name="exchange.send_outbox", seconds=POLL_SECONDS)
@task(queue_name="exchange")
def send_outbox() -> int:
    """Send the queued packets of this instance's agencies: enqueued after each commit that queues one, and
    every minute for the retries."""
    from egov.exchange import agency

    client = agency.agency_client()
    return agency.send_pending(client) if client else 0


@every(name="exchange.receive", seconds=POLL_SECONDS)
@task(queue_name="exchange")
def receive() -> int:
    """Take what the hub holds for this instance's agencies."""
    from egov.exchange import agency

    client = agency.agency_client()
    if client is None:
        return 0
    try:
        return agency.receive(client)
    except HubUnavailable as exc:
        logger.warning("hub unavailable: %s", exc)
        return 0
