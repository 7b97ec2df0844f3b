"""Periodic jobs of the reporting app: periods generated ahead of time, reminders of late and missing reports,
compaction of the platform facts' pending deltas (every ``EGOV_REPORTING_COMPACT_SECONDS``).

Both are idempotent: periods and expected reports are unique per (regime, key) and (period, agency), and a
reminder is unique per (report, kind, day), so a job run twice (two workers, a retry after a crash) changes
nothing the second time.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import task

from egov.core.schedules import every
from egov.reporting import services
from egov.reporting.models import Frequency, Regime

logger = logging.getLogger(__name__)


@every(name="reporting.generate_periods", hours=6)
@task(queue_name="periodic")
def generate_periods() -> int:
    """Create the coming periods and their expected reports for every active regime."""
    created = 0
    for regime in Regime.objects.filter(active=True).exclude(frequency=Frequency.AD_HOC).order_by("pk"):
        created += len(services.generate_periods(actor=None, regime=regime))
    return created


@every(name="reporting.send_reminders", hours=6)
@task(queue_name="periodic")
def send_reminders() -> int:
    """Remind agencies of reports due soon or overdue (``services.send_reminders``)."""
    return len(services.send_reminders())


@every(name="reporting.compact_facts", seconds=max(1, settings.EGOV_REPORTING_COMPACT_SECONDS))
@task(queue_name="reporting")
def compact_facts() -> int:
    """Move the pending fact deltas into the daily and monthly facts (``facts.compact``); a run that finds
    another one in progress does nothing (returns -1)."""
    from egov.reporting import facts

    moved = facts.compact()
    return -1 if moved is None else moved
