from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from egov.core.worker import run_worker


class Command(BaseCommand):
    help = "Run a background worker: executes queued tasks and the periodic jobs (several may run at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        queues = ",".join(settings.TASKS["default"]["QUEUES"])
        parser.add_argument(
            "--queues", default=queues, help=f"comma-separated queue names (default: {queues})"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when the queue is empty"
        )
        parser.add_argument("--batch", action="store_true", help="run what is queued now, then exit")
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after this many tasks")
        parser.add_argument(
            "--worker-id", default=None, help="unique id of this worker (default: host-pid-random)"
        )
        parser.add_argument("--no-schedules", action="store_true", help="do not enqueue periodic jobs")

    def handle(self, *args: Any, **opts: Any) -> None:
        run_worker(
            queues=[q for q in opts["queues"].split(",") if q],
            interval=opts["interval"],
            batch=opts["batch"],
            max_tasks=opts["max_tasks"],
            worker_id=opts["worker_id"],
            run_schedules=not opts["no_schedules"],
        )
