"""``run_io`` returns when its coroutine does, even with a blocking call (a DNS lookup the
resolver retries) still running in the loop's threads; ``asyncio.run`` waits for it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from monitor.pipeline.aio import run_io, watch_stop


async def _gives_up_on_a_blocked_call(release: threading.Event) -> str:
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await loop.run_in_executor(None, release.wait, 30)
    return "done"


@pytest.mark.parametrize("runner, waits", [(run_io, False), (asyncio.run, True)],
                         ids=["run_io", "asyncio.run (the reference)"])
def test_a_blocking_call_left_running_is_not_waited_for(runner: Callable, waits: bool):
    release = threading.Event()
    returned = threading.Event()

    def main() -> None:
        assert runner(_gives_up_on_a_blocked_call(release)) == "done"
        returned.set()

    worker = threading.Thread(target=main, daemon=True)
    worker.start()
    try:
        # run_io returns while the call still blocks; asyncio.run only once it is released
        assert returned.wait(10 if not waits else 0.5) is not waits
    finally:
        release.set()
    worker.join(10)
    assert returned.is_set()


def test_watch_stop_calls_on_stop_once_and_stops_waiting():
    stop = threading.Event()
    calls: list[str] = []

    async def main() -> bool:
        forever = asyncio.ensure_future(asyncio.Event().wait())
        asyncio.get_running_loop().call_later(0.05, stop.set)
        cut = await watch_stop(forever, stop.is_set, lambda: calls.append("cut"))
        forever.cancel()
        return cut

    assert run_io(main()) is True and calls == ["cut"]


def test_watch_stop_returns_false_when_the_work_ends_first():
    async def main() -> bool:
        return await watch_stop(asyncio.ensure_future(asyncio.sleep(0)), lambda: False,
                                lambda: None)

    assert run_io(main()) is False
