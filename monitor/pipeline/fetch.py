"""Fetch feeds concurrently over aiohttp: polite (UA, conditional GET, per-host limit), bounded."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp

from monitor.config import PollingConfig
from storage.errors import MonitorError


@dataclass
class FetchRequest:
    """What to fetch and the validators from the previous successful poll."""

    feed_id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """Outcome of one fetch; ``error`` is set (and ``body`` None) when it failed."""

    feed_id: int
    url: str
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class BodyTooLarge(MonitorError):
    """The response exceeded ``max_bytes`` after decompression."""


def user_agent(polling: PollingConfig) -> str:
    """The User-Agent: product name plus the operator's contact so hosts can reach them."""
    if polling.contact:
        return f"{polling.user_agent} (+{polling.contact})"
    return polling.user_agent


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _permanent_target(resp: aiohttp.ClientResponse) -> str | None:
    """Where the feed moved if every hop was a permanent (301/308) redirect."""
    if resp.history and all(r.status in (301, 308) for r in resp.history):
        return str(resp.url)
    return None


class Slots:
    """The ``concurrency`` and ``per_host`` limits, taken before a request's deadline starts,
    so time spent queueing behind other feeds of the same host never counts against it."""

    def __init__(self, polling: PollingConfig) -> None:
        self._all = asyncio.Semaphore(polling.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(polling.per_host))

    @asynccontextmanager
    async def taken(self, url: str) -> AsyncIterator[None]:
        """Hold a slot for ``url``'s host, then one of the global ones."""
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        async with self._hosts[host], self._all:
            yield


async def fetch_one(session: aiohttp.ClientSession, req: FetchRequest,
                    polling: PollingConfig, slots: Slots | None = None) -> FetchResult:
    """GET one feed with a whole-transfer deadline and a body cap; never raises.

    With ``slots``, the deadline starts once the request has its host's slot."""
    if slots is not None:
        async with slots.taken(req.url):
            return await fetch_one(session, req, polling)
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                         "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"}
    if req.etag:
        headers["If-None-Match"] = req.etag
    if req.last_modified:
        headers["If-Modified-Since"] = req.last_modified
    result = FetchResult(feed_id=req.feed_id, url=req.url)
    started = time.monotonic()
    try:
        async with asyncio.timeout(polling.timeout):
            async with session.get(req.url, headers=headers, max_redirects=5) as resp:
                result.status = resp.status
                result.final_url = str(resp.url)
                result.headers = {k.lower(): v for k, v in resp.headers.items()}
                result.permanent_redirect = _permanent_target(resp)
                if resp.status == 200:
                    result.body = await _read_capped(resp, polling.max_bytes)
                elif resp.status != 304:
                    result.retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    result.error = f"HTTP {resp.status}"
    except TimeoutError:
        result.error = f"timed out after {polling.timeout:g}s"
    except BodyTooLarge as exc:
        result.error = str(exc)
    except aiohttp.TooManyRedirects:
        result.error = "too many redirects"
    except aiohttp.ClientError as exc:
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except (OSError, ValueError, UnicodeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.elapsed = time.monotonic() - started
    if result.error:
        result.body = None
    return result


def make_session(polling: PollingConfig) -> aiohttp.ClientSession:
    """A session with global and per-host connection limits and our User-Agent."""
    connector = aiohttp.TCPConnector(limit=polling.concurrency, limit_per_host=polling.per_host,
                                     ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, headers={"User-Agent": user_agent(polling)},
                                 timeout=aiohttp.ClientTimeout(total=None))


async def fetch_all(requests: Iterable[FetchRequest], polling: PollingConfig) -> list[FetchResult]:
    """Fetch every request concurrently within the configured limits."""
    slots = Slots(polling)
    async with make_session(polling) as session:
        return await asyncio.gather(*(fetch_one(session, r, polling, slots) for r in requests))
