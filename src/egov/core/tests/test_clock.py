"""``core.clock``: the real time by default, a fixed moment inside ``at``/``frozen`` for this thread or task
only, nesting, restoring after errors, refusing naive datetimes."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
from django.utils import timezone

from egov.core import clock


def moment(day: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, day, hour), timezone.get_current_timezone())


def test_default_is_the_real_time():
    before = timezone.now()
    value = clock.now()
    assert before <= value <= timezone.now()
    assert not clock.is_fixed()


def test_at_fixes_moves_nests_and_restores():
    with clock.at(moment(2)) as frozen:
        assert clock.now() == moment(2) and clock.is_fixed()
        assert clock.localdate() == dt.date(2026, 3, 2)
        frozen.advance(hours=3)
        assert clock.now() == moment(2, 12)
        with clock.at(moment(9)):
            assert clock.now() == moment(9)
        assert clock.now() == moment(2, 12)
        frozen.set(moment(4))
        assert clock.now() == moment(4)
    assert not clock.is_fixed()


def test_restored_when_the_block_raises():
    with pytest.raises(RuntimeError), clock.at(moment(2)):
        raise RuntimeError
    assert not clock.is_fixed()


def test_frozen_without_a_moment_stops_the_current_time():
    with clock.frozen() as frozen:
        first = clock.now()
        assert clock.now() == first == frozen.moment
    with clock.frozen(moment(5)):
        assert clock.now() == moment(5)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"), clock.at(dt.datetime(2026, 3, 2, 9)):
        pass
    with pytest.raises(TypeError, match="datetimes"), clock.at(dt.date(2026, 3, 2)):  # type: ignore[arg-type]
        pass


def test_two_threads_with_two_clocks_and_one_without():
    barrier = threading.Barrier(3)
    seen: dict[str, list[dt.datetime]] = {}

    def run(name: str, fixed: dt.datetime | None) -> None:
        values = []
        if fixed is None:
            barrier.wait()  # the others have fixed their clocks
            values.append(clock.now())
            barrier.wait()
        else:
            with clock.at(fixed) as frozen:
                barrier.wait()
                values.append(clock.now())
                frozen.advance(days=1)
                barrier.wait()
                values.append(clock.now())
        seen[name] = values

    threads = [
        threading.Thread(target=run, args=("a", moment(2))),
        threading.Thread(target=run, args=("b", moment(16))),
        threading.Thread(target=run, args=("real", None)),
    ]
    start = timezone.now()
    with clock.at(moment(25)):  # the main thread's clock is not inherited by the new threads
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert clock.now() == moment(25)
    end = timezone.now()
    assert seen["a"] == [moment(2), moment(3)]
    assert seen["b"] == [moment(16), moment(17)]
    assert start <= seen["real"][0] <= end  # the real time, not one of the fixed moments


def test_asyncio_tasks_have_their_own_clock():
    async def task(fixed: dt.datetime) -> dt.datetime:
        with clock.at(fixed):
            await asyncio.sleep(0)
            return clock.now()

    async def main() -> list[dt.datetime]:
        return list(await asyncio.gather(task(moment(2)), task(moment(3))))

    assert asyncio.run(main()) == [moment(2), moment(3)]
    assert not clock.is_fixed()
