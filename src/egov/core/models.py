"""Shared kernels: worker heartbeats and the once-per-period ledger of scheduled jobs."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running ``egov worker`` process, touched every few seconds.

    A row older than ``EGOV_WORKER_DEAD_AFTER_SECONDS`` means the worker died (killed, machine lost): the
    tasks it had claimed are put back in the queue by the next live worker.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    queues = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class ScheduledRun(models.Model):
    """A periodic job claimed for one period. The unique constraint makes the claim exactly-once even when
    several workers on several machines reach the same period at the same moment."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    claimed_by = models.CharField(max_length=64)
    claimed_at = models.DateTimeField(auto_now_add=True)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "period_start"], name="scheduledrun_once_per_period")
        ]
        indexes = [models.Index(fields=["job", "-period_start"])]

    def __str__(self) -> str:
        return f"{self.job}@{self.period_start:%Y-%m-%d %H:%M}"


class CalendarOverride(models.Model):
    """A day whose working status an administrator set by decision (holiday moved, make-up working day)."""

    date = models.DateField(unique=True)
    is_working_day = models.BooleanField()
    reason = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"{self.date}: {'làm việc' if self.is_working_day else 'nghỉ'} ({self.reason})"
