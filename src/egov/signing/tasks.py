"""Periodic jobs of the signing app."""

from __future__ import annotations

from django_tasks import task

from egov.core import context
from egov.core.schedules import every
from egov.signing import services


@every(days=1, name="signing.expire_certificates")
@task(queue_name="periodic")
def expire_certificates() -> int:
    """Mark certificates past their validity as expired (idempotent)."""
    with context.bind(source="task"):
        return services.expire_certificates(actor=None)
