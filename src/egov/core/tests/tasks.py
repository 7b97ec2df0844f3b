"""Tasks used by the worker tests (importable by a worker process through their dotted path)."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task(queue_name="default")
def write_marker(path: str, seconds: float = 0.0) -> str:
    """Append 'start' to the file, wait, then append 'done': shows how often and how far the task ran."""
    marker = Path(path)
    with marker.open("a", encoding="utf-8") as fh:
        fh.write("start\n")
    time.sleep(seconds)
    with marker.open("a", encoding="utf-8") as fh:
        fh.write("done\n")
    return "ok"
