"""The ``egov worker`` process: the django-tasks database worker plus egov's housekeeping.

Besides running tasks (``django_tasks_db``'s worker loop), each egov worker runs a housekeeping thread that
every ``EGOV_WORKER_HEARTBEAT_SECONDS``

1. touches its :class:`~egov.core.models.WorkerHeartbeat` row (shown by ``/healthz``);
2. puts back in the queue the tasks claimed by workers that stopped sending heartbeats (killed with
   SIGKILL, machine lost): those tasks run again instead of staying "running" forever. Task code must
   therefore be idempotent, which egov's tasks are by design (outbox rows, unique keys);
3. claims and enqueues due periodic jobs (:mod:`egov.core.schedules`).

Several workers on several machines may run against one PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from egov.core import schedules
from egov.core.models import WorkerHeartbeat

logger = logging.getLogger("egov.worker")

READY = "READY"
RUNNING = "RUNNING"


def new_worker_id() -> str:
    return f"{socket.gethostname()[:20]}-{os.getpid()}-{get_random_string(8)}"


def beat(worker_id: str, queues: list[str], started_at: dt.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "queues": ",".join(queues)[:255],
            "started_at": started_at,
            "last_seen": now,
        },
    )


def requeue_orphans(now: dt.datetime | None = None) -> int:
    """Reset to READY the running tasks whose worker is presumed dead; return how many were reset."""
    now = now or timezone.now()
    dead_after = dt.timedelta(seconds=settings.EGOV_WORKER_DEAD_AFTER_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen__gte=now - dead_after).values_list("worker_id", flat=True)
    )
    reset = 0
    with transaction.atomic():
        candidates = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=RUNNING, started_at__lt=now - dead_after
        )
        for task in candidates:
            owner = task.worker_ids[-1] if task.worker_ids else None
            if owner in alive:
                continue
            task.status = READY
            task.started_at = None
            task.save(update_fields=["status", "started_at"])
            logger.warning(
                "task %s (%s) of dead worker %s put back in the queue", task.id, task.task_path, owner
            )
            reset += 1
        WorkerHeartbeat.objects.filter(last_seen__lt=now - 10 * dead_after).delete()
    return reset


class Housekeeper(threading.Thread):
    def __init__(self, worker_id: str, queues: list[str], run_schedules: bool) -> None:
        super().__init__(name="egov-housekeeper", daemon=True)
        self.worker_id = worker_id
        self.queues = queues
        self.run_schedules = run_schedules
        self.started_at = timezone.now()
        self.stop_event = threading.Event()

    def tick(self) -> None:
        close_old_connections()
        beat(self.worker_id, self.queues, self.started_at)
        requeue_orphans()
        if self.run_schedules:
            schedules.run_due(self.worker_id)

    def run(self) -> None:
        interval = max(1, settings.EGOV_WORKER_HEARTBEAT_SECONDS)
        while not self.stop_event.is_set():
            try:
                self.tick()
            except Exception:  # keep the worker alive; the next tick retries
                logger.exception("worker housekeeping failed")
            self.stop_event.wait(interval)
        connection.close()


def run_worker(
    *,
    queues: list[str],
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    run_schedules: bool = True,
) -> None:
    worker_id = worker_id or new_worker_id()
    housekeeper = Housekeeper(worker_id, queues, run_schedules)
    housekeeper.tick()  # register before taking work, so others never see us as dead
    if not batch:
        housekeeper.start()
    worker = Worker(
        queue_names=queues,
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    logger.info("egov worker %s started on queues %s", worker_id, ",".join(queues))
    try:
        worker.run()
    finally:
        housekeeper.stop_event.set()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
