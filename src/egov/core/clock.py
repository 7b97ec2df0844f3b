"""The current time for business logic (thời điểm nghiệp vụ), which a caller may fix for a scope.

Services that record business times (the moment a dossier is submitted, received, finished…) read
:func:`now` instead of ``django.utils.timezone.now()``. By default it *is* the real time. Inside
``with clock.at(moment):`` it returns ``moment`` (and whatever the scope later sets it to), which lets the
demo loader back-date a dossier's story and lets tests put a service at a given instant.

The fixed moment lives in a :class:`contextvars.ContextVar`, so a scope affects only the thread (or the
asyncio task) that opened it: another thread — a web request served at the same time, a worker thread —
still reads the real time, and two threads may run with two different clocks. Audit rows do not use this
clock: they always record the real time of the write (``egov.audit``).

Usage::

    from egov.core import clock

    with clock.at(aware_datetime) as frozen:
        services.accept(...)            # received_at == aware_datetime
        frozen.advance(hours=2)
        services.start_processing(...)  # two hours later

    with clock.frozen() as frozen:      # fixed at the current real time
        ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone


class FrozenClock:
    """The fixed moment of one :func:`at` scope; it may be moved inside the scope."""

    __slots__ = ("moment",)

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = _aware(moment)

    def set(self, moment: dt.datetime) -> dt.datetime:
        """Move the clock of this scope to ``moment`` (forwards or backwards)."""
        self.moment = _aware(moment)
        return self.moment

    def advance(self, delta: dt.timedelta | None = None, **kwargs: float) -> dt.datetime:
        """Move the clock forwards by ``delta`` or by ``timedelta(**kwargs)`` (``hours=2``)."""
        return self.set(self.moment + (delta if delta is not None else dt.timedelta(**kwargs)))

    def __repr__(self) -> str:
        return f"FrozenClock({self.moment.isoformat()})"


_current: ContextVar[FrozenClock | None] = ContextVar("egov_core_clock", default=None)


def _aware(moment: dt.datetime) -> dt.datetime:
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"clock moments are datetimes, not {type(moment).__name__}")
    if timezone.is_naive(moment):
        raise ValueError("clock moments must be timezone-aware datetimes")
    return moment


def now() -> dt.datetime:
    """The current business time: the moment of the innermost :func:`at` scope of this thread/task, else
    ``django.utils.timezone.now()``."""
    fixed = _current.get()
    return fixed.moment if fixed is not None else timezone.now()


def localdate() -> dt.date:
    """Today's date in the current time zone, by :func:`now`."""
    return timezone.localtime(now()).date()


def is_fixed() -> bool:
    """True inside an :func:`at` / :func:`frozen` scope."""
    return _current.get() is not None


@contextmanager
def at(moment: dt.datetime) -> Iterator[FrozenClock]:
    """Fix :func:`now` at ``moment`` (timezone-aware) for the duration of the block, in this thread or task
    only. Scopes nest; leaving one restores the enclosing clock, even when the block raises."""
    frozen = FrozenClock(moment)
    token = _current.set(frozen)
    try:
        yield frozen
    finally:
        _current.reset(token)


@contextmanager
def frozen(moment: dt.datetime | None = None) -> Iterator[FrozenClock]:
    """Like :func:`at`; without ``moment`` the clock stops at the current time (:func:`now`)."""
    with at(moment if moment is not None else now()) as fixed:
        yield fixed


__all__ = ["FrozenClock", "at", "frozen", "is_fixed", "localdate", "now"]
