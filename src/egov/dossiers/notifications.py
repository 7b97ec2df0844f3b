"""Every message a dossier sends to its applicant goes through here (SMS, e-mail, portal inbox via
:mod:`egov.notify`). Called inside the service's transaction, so a message exists if and only if the change
committed; the idempotency key (dossier, event, timeline row) makes a retried service send nothing twice.

Events: ``dossier.received``, ``dossier.supplement_requested`` (+ reason, papers), ``dossier.refused``
(+ reason), ``dossier.processing``, ``dossier.financial_obligation`` (+ amount), ``dossier.result_ready``,
``dossier.late_apology`` (+ reason, new_due_date), ``dossier.returned``, ``dossier.stopped`` (+ reason),
``dossier.withdrawn``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.conf import settings
from django.urls import reverse

from egov.dossiers.deadlines import format_day
from egov.dossiers.models import Dossier

logger = logging.getLogger(__name__)

EVENTS = (
    "received",
    "supplement_requested",
    "refused",
    "processing",
    "financial_obligation",
    "result_ready",
    "late_apology",
    "returned",
    "stopped",
    "withdrawn",
)


def _notify_services() -> Any:
    try:
        return importlib.import_module("egov.notify.services")
    except ModuleNotFoundError as exc:  # the notify app is built in parallel; nothing to send through yet
        if exc.name != "egov.notify.services":
            raise
        return None


def status_url(dossier: Dossier) -> str:
    """The public status page of the portal (the address the QR code of the printed forms holds too)."""
    return settings.SITE_URL.rstrip("/") + reverse("portal:status", args=[dossier.code])


def base_context(dossier: Dossier) -> dict[str, Any]:
    return {
        "dossier_code": dossier.code,
        "procedure_name": dossier.procedure.name,
        "applicant_name": dossier.applicant_name,
        "agency_name": dossier.receiving_agency.name,
        "received_date": format_day(dossier.received_at or dossier.submitted_at),
        "due_date": format_day(dossier.due_at),
        "status_url": status_url(dossier),
    }


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,} đồng".replace(",", ".")
    return str(value)


def send(dossier: Dossier, event: str, *, key: Any, **extra: Any) -> list[Any]:
    """Notify the applicant of ``dossier.<event>``. ``key`` identifies the occurrence (the timeline row)."""
    if event not in EVENTS:
        raise ValueError(f"unknown dossier event {event!r}")
    notify = _notify_services()
    if notify is None:
        logger.info("notify app not available: dossier.%s for %s not sent", event, dossier.code)
        return []
    context = base_context(dossier) | {k: _text(v) for k, v in extra.items()}
    return list(
        notify.notify(
            event=f"dossier.{event}",
            context=context,
            user=dossier.owner,
            phone=dossier.applicant_phone,
            email=dossier.applicant_email,
            subject=dossier,
            agency=dossier.receiving_agency,
            idempotency_key=f"dossier:{dossier.pk}:{event}:{key}",
        )
    )
