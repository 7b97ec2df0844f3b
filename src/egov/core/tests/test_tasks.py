from __future__ import annotations

import datetime as dt
import signal
import threading

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from egov.core import schedules
from egov.core.models import ScheduledRun, WorkerHeartbeat
from egov.core.tests.helpers import egov_process, wait_for
from egov.core.tests.tasks import write_marker
from egov.core.worker import requeue_orphans

WORKER_ENV = {"EGOV_WORKER_HEARTBEAT_SECONDS": "1", "EGOV_WORKER_DEAD_AFTER_SECONDS": "3"}


@pytest.mark.django_db(transaction=True)
def test_task_exists_only_if_transaction_commits(tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        write_marker.enqueue(str(tmp_path / "a"))
        raise RuntimeError("rollback")
    assert DBTaskResult.objects.count() == 0
    with transaction.atomic():
        result = write_marker.enqueue(str(tmp_path / "b"))
    assert DBTaskResult.objects.filter(id=result.id, status="READY").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_task_of_killed_worker_runs_again(tmp_path):
    marker = tmp_path / "marker.txt"
    result = write_marker.enqueue(str(marker), 2.0)
    log = tmp_path / "worker.log"
    first = egov_process("worker", "--queues", "default", "--interval", "0.2", env=WORKER_ENV, log=log)
    try:
        wait_for(
            lambda: marker.exists() and "start" in marker.read_text(),
            60,
            "the first worker to start the task",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert marker.read_text() == "start\n", "the task must have been interrupted mid-way"
    assert DBTaskResult.objects.get(id=result.id).status == "RUNNING"  # orphaned by the killed worker

    second = egov_process("worker", "--queues", "default", "--interval", "0.2", env=WORKER_ENV, log=log)
    try:
        wait_for(
            lambda: DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL",
            90,
            f"the task to run again on the second worker (log: {log.read_text()[-2000:]})",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert marker.read_text() == "start\nstart\ndone\n"
    task = DBTaskResult.objects.get(id=result.id)
    assert len(task.worker_ids) == 2 and task.worker_ids[0] != task.worker_ids[1]
    assert not WorkerHeartbeat.objects.filter(worker_id=task.worker_ids[1]).exists()  # clean exit unregisters


@pytest.mark.django_db
def test_requeue_leaves_tasks_of_live_workers_alone(tmp_path, settings):
    settings.EGOV_WORKER_DEAD_AFTER_SECONDS = 3
    from django.utils import timezone

    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="alive", hostname="h", pid=1, queues="default", started_at=now, last_seen=now
    )
    live = write_marker.enqueue(str(tmp_path / "x"))
    dead = write_marker.enqueue(str(tmp_path / "y"))
    long_ago = now - dt.timedelta(minutes=5)
    DBTaskResult.objects.filter(id=live.id).update(
        status="RUNNING", started_at=long_ago, worker_ids=["alive"]
    )
    DBTaskResult.objects.filter(id=dead.id).update(status="RUNNING", started_at=long_ago, worker_ids=["gone"])
    assert requeue_orphans(now) == 1
    assert DBTaskResult.objects.get(id=live.id).status == "RUNNING"
    assert DBTaskResult.objects.get(id=dead.id).status == "READY"


@pytest.fixture
def temp_schedule():
    saved = dict(schedules.registry)
    schedules.registry.clear()
    schedules.every(name="test.marker", minutes=15)(write_marker)
    yield schedules.registry["test.marker"]
    schedules.registry.clear()
    schedules.registry.update(saved)


def test_period_start_alignment(temp_schedule):
    at = dt.datetime(2026, 11, 22, 10, 44, 7, tzinfo=dt.UTC)
    assert temp_schedule.period_start(at) == dt.datetime(2026, 11, 22, 10, 30, tzinfo=dt.UTC)
    daily = schedules.Schedule(
        name="d", interval=dt.timedelta(days=1), task=None, offset=dt.timedelta(hours=-7)
    )
    # offset -7 h: daily periods start at local midnight in Vietnam (UTC+7)
    assert daily.period_start(at) == dt.datetime(2026, 11, 21, 17, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_periodic_job_runs_once_per_period_across_workers(temp_schedule):
    at = dt.datetime(2026, 11, 22, 10, 44, tzinfo=dt.UTC)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            results.append(schedules.run_due(f"w{n}", now=at))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert ScheduledRun.objects.filter(job="test.marker").count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="write_marker").count() == 1
    # the next period is claimed again, once
    assert schedules.run_due("w9", now=at + dt.timedelta(minutes=20)) == ["test.marker"]
    assert schedules.run_due("w8", now=at + dt.timedelta(minutes=29)) == []
