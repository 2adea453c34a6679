"""Fetch article pages as politely as feeds: our User-Agent with contact, the per-host and
global limits, robots.txt honoured (every redirect hop too), one deadline, a size cap."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import aiohttp

from monitor.config import PollingConfig
from monitor.pages.page import UNREACHED, Page, is_html_type
from monitor.pages.robots import RobotsCache
from monitor.pipeline.aio import run_io, watch_stop
from monitor.pipeline.fetch import BodyTooLarge, Slots, make_session, read_capped, user_agent
from monitor.sources.base import Politeness
from storage.errors import MonitorError

__all__ = ["MAX_CRAWL_DELAY", "UNREACHED", "PageFetcher", "fetch_pages"]

MAX_CRAWL_DELAY = 30.0  # a larger Crawl-delay is held to this
REDIRECTS = (301, 302, 303, 307, 308)


class _Failed(MonitorError):
    """One fetch ends here: why (a ``Page.failure``) and a readable account."""

    def __init__(self, failure: str, error: str) -> None:
        super().__init__(error)
        self.failure = failure


@dataclass
class _Answer:
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""
    at: datetime | None = None  # when the last answer arrived


class PageFetcher:
    """Fetches pages with one session; use as ``async with PageFetcher(polling) as f``.

    A given ``session`` and ``slots`` are shared (the cycle's), else its own are made.
    ``max_bytes`` and ``timeout`` default to ``[polling]``'s; ``timeout`` bounds the whole
    fetch (every hop and every byte), robots.txt apart. ``deadline`` (``time.monotonic()``)
    bounds every fetch, waits for a Crawl-delay included: a page it cuts is "unreached"."""

    def __init__(self, polling: PollingConfig, *, session: aiohttp.ClientSession | None = None,
                 slots: Slots | None = None, max_bytes: int | None = None,
                 timeout: float | None = None, max_redirects: int = 5,
                 robots: RobotsCache | None = None, deadline: float | None = None) -> None:
        self.polling = polling
        self.agent = user_agent(polling)
        self.max_bytes = max_bytes or polling.max_bytes
        self.timeout = timeout or polling.timeout
        self.max_redirects = max_redirects
        self.robots = robots or RobotsCache(self.agent, self.timeout)
        self._session = session
        self._own_session = session is None
        self._slots = slots
        self.deadline = deadline
        self._running: set[asyncio.Timeout] = set()

    async def __aenter__(self) -> PageFetcher:
        if self._session is None:
            self._session = make_session(self.polling)
        if self._slots is None:
            self._slots = Slots(self.polling)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(self, url: str) -> Page:
        """One page; never raises: a failure is ``Page.failure`` with ``Page.error``."""
        started_at = datetime.now(UTC)
        started = time.monotonic()
        answer = _Answer()
        hops: list[str] = []
        failure = error = None
        left = None if self.deadline is None else self.deadline - started
        try:
            if left is not None and left <= 0:
                raise TimeoutError
            async with asyncio.timeout(left) as running:
                self._running.add(running)
                try:
                    await self._follow(url, hops, answer)
                finally:
                    self._running.discard(running)
        except _Failed as exc:
            failure, error = exc.failure, str(exc)
        except TimeoutError:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                failure, error = UNREACHED, "not reached before the step's deadline or a stop"
            else:
                failure, error = "timeout", f"timed out after {self.timeout:g}s"
        except (aiohttp.ClientError, OSError, UnicodeError) as exc:
            failure, error = "network", f"{type(exc).__name__}: {exc}".rstrip(": ")
        except ValueError as exc:  # a URL that cannot be asked (a port out of range…)
            failure, error = "bad_url", f"{type(exc).__name__}: {exc}"
        return Page(url=url, fetched_at=answer.at or started_at, final_url=answer.final_url,
                    status=answer.status, headers=answer.headers or {},
                    body=answer.body if failure is None else b"", redirects=tuple(hops),
                    elapsed=time.monotonic() - started, failure=failure, error=error)

    async def fetch_many(self, urls: Iterable[str]) -> list[Page]:
        """Every page concurrently, within the limits; in the order asked."""
        return list(await asyncio.gather(*(self.fetch(u) for u in urls)))

    def cut(self) -> None:
        """Bring the deadline to now (a stop request): the fetches in flight end at once, and
        they and those not begun come back "unreached", still due."""
        self.deadline = time.monotonic()
        now = asyncio.get_running_loop().time()
        for running in self._running:
            if not running.expired():  # an expired one is ending already
                running.reschedule(now)

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us ask for ``url``."""
        assert self._session is not None, "use PageFetcher as an async context manager"
        rules = await self.robots.rules(self._session, url)
        return rules.allows(self.agent, url)

    async def _follow(self, url: str, hops: list[str], answer: _Answer) -> None:
        """Ask ``url``, following redirects ourselves so robots.txt is read for each hop."""
        assert self._session is not None, "use PageFetcher as an async context manager"
        deadline = self.timeout
        while True:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _Failed("bad_url", f"not an http(s) URL: {url[:200]}")
            _ = parts.port  # ValueError when out of range
            rules = await self.robots.rules(self._session, url)
            if rules.unavailable:
                raise _Failed("robots_unavailable", f"{rules.unavailable}: not asked")
            if not rules.allows(self.agent, url):
                raise _Failed("robots", f"robots.txt disallows {url}")
            started = time.monotonic()
            location = await self._one(url, answer, deadline)
            deadline -= time.monotonic() - started
            if location is None:
                return
            hops.append(url)
            if len(hops) > self.max_redirects:
                raise _Failed("redirects", f"more than {self.max_redirects} redirects")
            url = location

    async def _one(self, url: str, answer: _Answer, budget: float) -> str | None:
        """One request within what is left of the deadline; the next hop's URL, or None."""
        assert self._session is not None and self._slots is not None
        rules = await self.robots.rules(self._session, url)
        delay = min(rules.crawl_delay(self.agent), MAX_CRAWL_DELAY)
        async with self._slots.taken(url, Politeness(min_interval=delay)):
            if budget <= 0:
                raise TimeoutError
            async with asyncio.timeout(budget):
                async with self._session.get(url, allow_redirects=False) as resp:
                    answer.status, answer.final_url = resp.status, str(resp.url)
                    answer.at = datetime.now(UTC)
                    answer.headers = {k.lower(): v for k, v in resp.headers.items()}
                    if resp.status in REDIRECTS and "location" in answer.headers:
                        return urljoin(str(resp.url), answer.headers["location"])
                    if resp.status != 200:
                        raise _Failed("http", f"HTTP {resp.status}")
                    if not is_html_type(answer.headers.get("content-type")):
                        raise _Failed("not_html", "not HTML: "
                                      f"{answer.headers.get('content-type', '')[:100]}")
                    length = resp.headers.get("content-length", "")
                    if length.isdigit() and int(length) > self.max_bytes:
                        raise _Failed("too_large", f"larger than {self.max_bytes} bytes")
                    answer.body = await self._read(resp)
                    return None

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        try:
            return await read_capped(resp, self.max_bytes)
        except BodyTooLarge:
            raise _Failed("too_large", f"larger than {self.max_bytes} bytes") from None


def fetch_pages(urls: Iterable[str], polling: PollingConfig,
                should_stop: Callable[[], bool] | None = None, **options: object) -> list[Page]:
    """Fetch ``urls`` from synchronous code: a fetcher of their own, then closed. Once
    ``should_stop()`` is true (the daemon stopping), the fetches not done yet are cut: they
    come back "unreached"."""
    async def run() -> list[Page]:
        async with PageFetcher(polling, **options) as fetcher:  # type: ignore[arg-type]
            pages = asyncio.ensure_future(fetcher.fetch_many(urls))
            await watch_stop(pages, should_stop, fetcher.cut)
            return await pages
    return run_io(run())
