"""robots.txt, fetched with our own session and cached per host (RFC 9309): a 4xx means no
rules, a 5xx or an unreachable file means stay away until the cache entry expires."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from weakref import WeakKeyDictionary

import aiohttp
from protego import Protego

__all__ = ["ROBOTS_MAX_BYTES", "Robots", "RobotsCache", "robots_url"]

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
ROBOTS_TTL = 24 * 3600.0  # RFC 9309: do not use a cached copy longer than 24 h
UNREACHABLE_TTL = 600.0  # a server error is asked again after ten minutes


def robots_url(url: str) -> str:
    """Where the robots.txt that governs ``url`` lives."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


@dataclass
class Robots:
    """The rules of one host and when they stop being trusted."""

    parser: Protego | None  # None with allow_all / disallow_all
    allow_all: bool
    expires: float
    unavailable: str | None = None  # why the file could not be read (we stay away meanwhile)

    def allows(self, agent: str, url: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float:
        """The host's Crawl-delay for us, in seconds (0 when it sets none)."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(agent)
        return float(delay) if delay else 0.0


def _parsed(text: str) -> Protego:
    """RFC 9309 rules: the longest matching Allow/Disallow wins, ``*`` and ``$`` apply."""
    return Protego.parse(text)


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    """The body to its end or to the cap, whatever the number of chunks it arrives in."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        chunks.append(chunk[:ROBOTS_MAX_BYTES - size])
        size += len(chunks[-1])
        if size >= ROBOTS_MAX_BYTES:
            break
    return b"".join(chunks)


class RobotsCache:
    """One robots.txt per scheme and host, fetched once however many pages ask at once; one
    cache serves every event loop (the cycle's and the evidence thread's)."""

    def __init__(self, agent: str, timeout: float) -> None:
        self.agent = agent
        self.timeout = timeout
        self._cache: dict[str, Robots] = {}
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
            WeakKeyDictionary()
        self.fetches = 0

    async def rules(self, session: aiohttp.ClientSession, url: str) -> Robots:
        """The rules for ``url``'s host, from the cache or fetched now."""
        where = robots_url(url)
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        lock = locks.setdefault(where, asyncio.Lock())
        async with lock:
            cached = self._cache.get(where)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            self._cache[where] = robots = await self._fetch(session, where)
            return robots

    async def _fetch(self, session: aiohttp.ClientSession, where: str) -> Robots:
        self.fetches += 1
        now = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                async with session.get(where, max_redirects=5) as resp:
                    status = resp.status
                    body = await _read_capped(resp)
        except TimeoutError:
            return Robots(None, False, now + UNREACHABLE_TTL, "robots.txt timed out")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Robots(None, False, now + UNREACHABLE_TTL,
                          f"robots.txt unreachable: {type(exc).__name__}: {exc}"[:300])
        if 200 <= status < 300:
            return Robots(_parsed(body.decode("utf-8", "replace")), True, now + ROBOTS_TTL)
        if 400 <= status < 500 and status != 429:  # 429 is a server asking for rest
            return Robots(None, True, now + ROBOTS_TTL)
        return Robots(None, False, now + UNREACHABLE_TTL, f"robots.txt answered HTTP {status}")
