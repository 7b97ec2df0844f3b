"""Background delivery of notifications (queue ``notify``) and the periodic safety net."""

from __future__ import annotations

from django_tasks import task

from egov.core import context
from egov.core.schedules import every


@task(queue_name="notify")
def deliver_message(message_id: int) -> str:
    """Send one queued message; a duplicate or late task finds it claimed or settled and does nothing."""
    from egov.notify import services

    with context.bind(source="task"):
        return services.deliver(message_id)


@every(name="notify.sweep", minutes=1)
@task(queue_name="notify")
def sweep() -> dict[str, int]:
    """Re-enqueue due messages whose task was lost and settle messages left ``sending`` by a dead worker."""
    from egov.notify import services

    with context.bind(source="task"):
        return services.sweep()
