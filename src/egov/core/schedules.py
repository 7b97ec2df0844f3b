"""Periodic jobs: one registry of schedules, each run once per period however many workers are alive.

An app declares its periodic jobs in its ``tasks.py``::

    from egov.core.schedules import every

    @every(minutes=15, name="dossiers.flag_overdue")
    @task(queue_name="periodic")
    def flag_overdue() -> None: ...

Every live worker calls :func:`run_due` on each tick. For each schedule it computes the start of the current
period and inserts a :class:`~egov.core.models.ScheduledRun` row for (job, period start) in the same
transaction that enqueues the task. The unique constraint lets exactly one worker win; the others get an
``IntegrityError`` and move on. A period missed while no worker ran is not replayed: only the current
period is claimed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, so weekly periods start on Mondays (UTC)


@dataclass(frozen=True)
class Schedule:
    name: str
    interval: dt.timedelta
    task: Any  # a django_tasks Task
    offset: dt.timedelta = dt.timedelta(0)

    def period_start(self, now: dt.datetime) -> dt.datetime:
        """The start of the period that contains ``now``; periods are aligned on EPOCH + offset."""
        origin = EPOCH + self.offset
        periods = (now - origin) // self.interval
        return origin + periods * self.interval


registry: dict[str, Schedule] = {}

T = TypeVar("T")


def every(
    *,
    name: str,
    seconds: int = 0,
    minutes: int = 0,
    hours: int = 0,
    days: int = 0,
    offset: dt.timedelta | None = None,
) -> Callable[[T], T]:
    interval = dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
    if interval <= dt.timedelta(0):
        raise ValueError(f"schedule {name}: the interval must be positive")

    def decorator(task: T) -> T:
        if name in registry and registry[name].task is not task:
            raise ValueError(f"schedule {name} is registered twice")
        registry[name] = Schedule(name=name, interval=interval, task=task, offset=offset or dt.timedelta(0))
        return task

    return decorator


def autodiscover() -> None:
    """Import ``tasks`` of every egov app so that their ``@every`` declarations register."""
    for config in apps.get_app_configs():
        if config.name.startswith("egov."):
            try:
                importlib.import_module(f"{config.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.tasks":
                    raise


def run_due(worker_id: str, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every schedule whose current period nobody has claimed yet. Returns the claimed job names."""
    now = now or timezone.now()
    claimed: list[str] = []
    for schedule in list(registry.values()):
        start = schedule.period_start(now)
        from egov.core.models import ScheduledRun

        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(job=schedule.name, period_start=start, claimed_by=worker_id)
                result = schedule.task.enqueue()
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue
        logger.info("scheduled %s for period %s (worker %s)", schedule.name, start.isoformat(), worker_id)
        claimed.append(schedule.name)
    return claimed
