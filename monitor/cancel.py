"""Let a shutdown interrupt work in progress: fetches are cancelled, not waited out."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence

from monitor.config import PollingConfig
from monitor.fetcher import FetchRequest, FetchResult, fetch_all

CHECK_EVERY_S = 0.1


def stopped(stop: threading.Event | None) -> bool:
    """True once a shutdown was asked for."""
    return stop is not None and stop.is_set()


async def _fetch_or_cancel(requests: Sequence[FetchRequest], polling: PollingConfig,
                           stop: threading.Event | None) -> list[FetchResult] | None:
    task = asyncio.ensure_future(fetch_all(requests, polling))
    while not task.done():
        if stopped(stop):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        await asyncio.wait({task}, timeout=CHECK_EVERY_S)
    return task.result()


def fetch_unless_stopped(requests: Sequence[FetchRequest], polling: PollingConfig,
                         stop: threading.Event | None = None) -> list[FetchResult] | None:
    """Fetch a batch; None when ``stop`` was set first (those feeds stay due, nothing recorded)."""
    return asyncio.run(_fetch_or_cancel(requests, polling, stop))
