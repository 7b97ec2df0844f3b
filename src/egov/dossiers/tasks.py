"""Periodic jobs of the dossiers app."""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import task

from egov.core.schedules import every

logger = logging.getLogger(__name__)


@every(name="dossiers.flag_deadlines", minutes=settings.EGOV_DOSSIER_SCAN_MINUTES)
@task(queue_name="periodic")
def flag_deadlines() -> dict[str, int]:
    """Flag open dossiers at risk (due within one working day) and overdue (set-based UPDATEs)."""
    from egov.dossiers import services

    counts = services.flag_deadlines()
    logger.info("dossier deadline scan: %s", counts)
    return counts
