"""Running the pipeline's asyncio work from the daemon's threads so that a stop request is
honoured at once: nothing waits on a blocking call it no longer needs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["STOP_CHECK_S", "calls_left_behind", "run_io", "stopped", "watch_stop"]

T = TypeVar("T")

STOP_CHECK_S = 0.1  # how often running work looks at the stop request
IO_THREAD = "monitor-io"  # the name of the threads run_io runs blocking calls in


def stopped(stop: threading.Event | None) -> bool:
    """Whether a stop was asked for."""
    return stop is not None and stop.is_set()


def run_io(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, except that blocking calls still running in the loop's threads
    when ``main`` ends are not waited for: aiohttp resolves names with the system's
    ``getaddrinfo`` in those threads, and a resolver retrying a lost query holds one for
    seconds after the fetch that asked was cancelled."""
    async def detached() -> T:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(thread_name_prefix=IO_THREAD)
        loop.set_default_executor(executor)
        try:
            return await main
        finally:
            loop.set_default_executor(ThreadPoolExecutor(max_workers=1))  # nothing to join
            executor.shutdown(wait=False, cancel_futures=True)
    return asyncio.run(detached())


def calls_left_behind() -> bool:
    """Whether a blocking call ``run_io`` did not wait for still runs: the interpreter's exit
    joins its thread, so a stopping daemon would wait out the resolver's retries after all."""
    return any(t.name.startswith(IO_THREAD) and t.is_alive() for t in threading.enumerate())


async def watch_stop(task: asyncio.Future[Any], should_stop: Callable[[], bool] | None,
                     on_stop: Callable[[], object]) -> bool:
    """Wait for ``task`` to end; if ``should_stop()`` turns true first, call ``on_stop``
    (which must make the task end soon) once and return True without waiting further."""
    while not task.done():
        if should_stop is not None and should_stop():
            on_stop()
            return True
        await asyncio.wait({task}, timeout=STOP_CHECK_S)
    return False
