"""Fetch any source kind's requests concurrently over aiohttp: polite (UA, per-host limit and
pacing, Retry-After as the kind reads it), bounded (deadline, body cap, redirects)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from monitor.config import PollingConfig
from monitor.sources.base import (
    POLITE,
    Politeness,
    Request,
    Response,
    Source,
    SourceRecord,
)
from storage.errors import MonitorError

__all__ = ["GATE", "FetchRequest", "FetchResult", "ProviderGate", "Slots", "fetch_all",
           "fetch_one", "make_session", "user_agent"]


@dataclass(frozen=True)
class FetchRequest:
    """A claimed source, its kind (which reads the answers) and the first request it built."""

    source: SourceRecord
    kind: Source
    request: Request

    @classmethod
    def of(cls, source: SourceRecord, kind: Source) -> FetchRequest:
        """The poll of ``source`` as ``kind`` asks for it."""
        return cls(source, kind, kind.request(source))

    @property
    def feed_id(self) -> int:
        return self.source.id

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def params(self) -> Mapping[str, Any]:
        return self.source.params


@dataclass
class FetchResult:
    """Outcome of one poll; ``error`` is set (and ``pages`` empty) when it failed. Status,
    headers and redirects are the first request's; ``pages`` holds every 200 response."""

    feed_id: int
    url: str
    status: int | None = None
    pages: tuple[Response, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def body(self) -> bytes | None:
        """The first page's body; None when nothing was fetched."""
        return self.pages[0].body if self.pages else None


class BodyTooLarge(MonitorError):
    """The response exceeded ``max_bytes`` after decompression."""


class PageFailed(MonitorError):
    """A page after the first was not answered with 200."""


def user_agent(polling: PollingConfig) -> str:
    """The User-Agent: product name plus the operator's contact so hosts can reach them."""
    if polling.contact:
        return f"{polling.user_agent} (+{polling.contact})"
    return polling.user_agent


async def read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, or BodyTooLarge as soon as it passes ``limit`` bytes (feeds and pages)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _permanent_target(resp: aiohttp.ClientResponse) -> str | None:
    """Where the source moved if every hop was a permanent (301/308) redirect."""
    if resp.history and all(r.status in (301, 308) for r in resp.history):
        return str(resp.url)
    return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class ProviderGate:
    """A provider's pacing and 429 pauses (``Politeness.group``), held for the whole process:
    GDELT's one request per 5 s holds across cycles and queries, and a 429 pauses every query
    of that provider until Retry-After, else for a doubling backoff."""

    BACKOFF_S = 60.0
    MAX_BACKOFF_S = 6 * 3600.0

    def __init__(self) -> None:
        self._next_start: dict[str, float] = {}
        self._paused_until: dict[str, float] = {}
        self._strikes: dict[str, int] = {}

    def paused(self, group: str) -> float:
        """Seconds the provider is still paused for (0: not paused)."""
        return max(0.0, self._paused_until.get(group, 0.0) - time.monotonic())

    def reserve(self, group: str, interval: float) -> float:
        """Book the provider's next start, ``interval`` s after the last; the wait until it."""
        now = time.monotonic()
        start = max(now, self._next_start.get(group, -interval) + interval)
        self._next_start[group] = start
        return start - now

    def throttled(self, group: str, retry_after: float | None) -> float:
        """The provider answered 429: pause it; how long for."""
        strikes = self._strikes[group] = self._strikes.get(group, 0) + 1
        wait = retry_after if retry_after is not None else min(
            self.MAX_BACKOFF_S, self.BACKOFF_S * 2 ** min(strikes - 1, 16))
        until = time.monotonic() + wait
        self._paused_until[group] = max(self._paused_until.get(group, 0.0), until)
        return wait

    def answered(self, group: str) -> None:
        """A 200: the next 429 starts the backoff from its base again."""
        self._strikes.pop(group, None)


GATE = ProviderGate()


def host_spacing(sources: Iterable[tuple[str, Source]]) -> dict[str, float]:
    """Each host's widest minimum interval among the given (URL, kind) sources: a feed from
    www.sec.gov then counts against the SEC's 10 requests a second along with EDGAR's own."""
    spacing: dict[str, float] = {}
    for url, kind in sources:
        if kind.politeness.min_interval > 0 and not kind.politeness.group:
            host = _host(url)
            spacing[host] = max(spacing.get(host, 0.0), kind.politeness.min_interval)
    return spacing


class Slots:
    """The ``concurrency`` and ``per_host`` limits (and a kind's own, stricter ones), taken
    before a request's deadline starts, so time spent queueing behind other requests to the
    same host never counts against it."""

    def __init__(self, polling: PollingConfig, spacing: Mapping[str, float] | None = None) -> None:
        self._per_host = polling.per_host
        self._all = asyncio.Semaphore(polling.concurrency)
        self._hosts: defaultdict[tuple[str, int], asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self._per_host))
        self._next_start: defaultdict[str, float] = defaultdict(float)
        # a host a configured kind spaces out (EDGAR: <= 10 a second) is spaced for every kind
        self._spacing: defaultdict[str, float] = defaultdict(float, spacing or {})

    @asynccontextmanager
    async def taken(self, url: str, politeness: Politeness = POLITE) -> AsyncIterator[None]:
        """Hold the kind's slot for ``url``'s host (if it has a lower limit), the host's, then
        one of the global ones; first wait out the kind's minimum interval for that host."""
        host = _host(url)
        async with AsyncExitStack() as held:
            limit = politeness.per_host
            if limit is not None and limit < self._per_host:
                await held.enter_async_context(self._kind_slot(host, limit))
            await held.enter_async_context(self._hosts[(host, 0)])
            if politeness.group:
                await asyncio.sleep(GATE.reserve(politeness.group, politeness.min_interval))
            else:
                await self._pace(host, max(self._spacing[host], politeness.min_interval))
            await held.enter_async_context(self._all)
            yield

    def _kind_slot(self, host: str, limit: int) -> asyncio.Semaphore:
        key = (host, limit)
        if key not in self._hosts:
            self._hosts[key] = asyncio.Semaphore(limit)
        return self._hosts[key]

    async def _pace(self, host: str, interval: float) -> None:
        """Start no sooner than ``interval`` s after the last request to ``host`` started."""
        if interval <= 0:
            self._next_start[host] = max(self._next_start[host], time.monotonic())
            return
        now = time.monotonic()
        start = max(now, self._next_start[host] + interval)
        self._next_start[host] = start
        if start > now:
            await asyncio.sleep(start - now)


async def fetch_one(session: aiohttp.ClientSession, req: FetchRequest,
                    polling: PollingConfig, slots: Slots | None = None) -> FetchResult:
    """One poll of a source: its request, then each next page the kind asks for (at most its
    ``max_pages``), each with a whole-transfer deadline and a body cap; never raises.

    With ``slots``, each request's deadline starts once it has its host's slot."""
    result = FetchResult(feed_id=req.feed_id, url=req.url)
    started = time.monotonic()
    pages: list[Response] = []
    request: Request | None = req.request
    try:
        while request is not None:
            page = await _send(session, request, req.kind, polling, slots, result, not pages)
            if page is None:
                break
            pages.append(page)
            request = _next_request(req, request, page, len(pages))
    except TimeoutError:
        result.error = f"timed out after {polling.timeout:g}s"
    except (BodyTooLarge, PageFailed) as exc:
        result.error = str(exc)
    except aiohttp.TooManyRedirects:
        result.error = "too many redirects"
    except aiohttp.ClientError as exc:
        result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except (OSError, ValueError, UnicodeError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    result.elapsed = time.monotonic() - started
    result.pages = () if result.error else tuple(pages)
    return result


def _next_request(req: FetchRequest, request: Request, page: Response,
                  read: int) -> Request | None:
    """The kind's next page after ``read`` pages. A kind that cannot read a page's paging (an
    API answering an unexpected shape) fails this poll alone, and a poll with more pages than
    the kind's ``max_pages`` fails rather than pass for complete (a records kind would move its
    window past what it never read)."""
    try:
        following = req.kind.next_request(req.source, request, page)
    except Exception as exc:  # noqa: BLE001 - one source's odd answer must not end the cycle
        raise PageFailed(f"page {read} could not be read for paging: "
                         f"{type(exc).__name__}: {exc}"[:500]) from exc
    if following is not None and read >= req.kind.politeness.max_pages:
        raise PageFailed(f"more than {req.kind.politeness.max_pages} pages: the rest were not "
                         "read (narrow the source, e.g. a shorter lookback)")
    return following


async def _send(session: aiohttp.ClientSession, request: Request, kind: Source,
                polling: PollingConfig, slots: Slots | None, result: FetchResult,
                first: bool) -> Response | None:
    """Send one request; a 200 is returned as a page, any other answer is noted in ``result``
    (a 304 or error of the first request ends the poll; any but 200 later fails it). A request
    to a paused provider is not sent: that is its error."""
    group = kind.politeness.group
    if group and (wait := GATE.paused(group)) > 0:
        result.retry_after = wait
        if not first:
            raise PageFailed(f"{group} is paused for {wait:.0f}s more (it answered HTTP 429)")
        result.error = f"not sent: {group} is paused for {wait:.0f}s more (it answered HTTP 429)"
        return None
    if slots is not None:
        async with slots.taken(request.url, kind.politeness):
            return await _send(session, request, kind, polling, None, result, first)
    async with asyncio.timeout(polling.timeout):
        async with session.request(request.method, request.url, data=request.body,
                                   headers=dict(request.headers), max_redirects=5) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            if first:
                result.status, result.final_url = resp.status, str(resp.url)
                result.headers = headers
                result.permanent_redirect = _permanent_target(resp)
            if group:
                if resp.status == 429:
                    result.retry_after = GATE.throttled(
                        group, kind.retry_after(resp.status, headers))
                elif resp.status == 200:
                    GATE.answered(group)
            if resp.status == 200:
                return Response(str(resp.url), 200, headers,
                                await read_capped(resp, polling.max_bytes))
            if resp.status == 304 and first:
                return None
            if not (group and resp.status == 429):
                result.retry_after = kind.retry_after(resp.status, headers)
            if first:
                result.error = f"HTTP {resp.status}"
                return None
            raise PageFailed(f"HTTP {resp.status} on a following page ({request.url})")


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
