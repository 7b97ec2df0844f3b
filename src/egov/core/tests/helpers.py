"""Helpers for tests that start real egov processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """A DATABASE_URL for the database the current test runs against (the test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{s['NAME']}"


def egov_process(
    *args: str, env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "egov", *args], env=full_env, stdout=out, stderr=subprocess.STDOUT
    )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def queued_tasks(task_path: str) -> list[Any]:
    """The database task rows queued for ``task_path`` (dotted path, or its last part), oldest first."""
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(task_path__endswith=task_path)
    return list(rows.order_by("enqueued_at"))


def run_queued_tasks(task_path: str) -> list[Any]:
    """What a worker does with the queued rows of ``task_path``: call the real task in this process (in
    order), delete the rows, return the results."""
    results = []
    for row in queued_tasks(task_path):
        results.append(row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]))
        row.delete()
    return results
