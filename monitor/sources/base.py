"""The Source interface: what a kind of source (RSS feed, search API, record registry…) does.

A kind is stateless and picklable: it builds the requests of one stored source, reads their
responses into entries in the parse workers (no I/O there), and says how politely its hosts
are to be asked. The fetcher (monitor.pipeline.fetch) does every network call for it.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urldefrag

from monitor.sources.entry import Parsed


@dataclass(frozen=True)
class Request:
    """One HTTP request a kind wants sent (the User-Agent is added by the fetcher)."""

    url: str
    method: str = "GET"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """One successful (200) response: what a kind parses. Header names are lower-case."""

    url: str  # after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Politeness:
    """How hard a kind's hosts may be asked; how Retry-After is read is ``Source.retry_after``.

    ``per_host`` caps requests in flight to one host below ``[polling] per_host`` (None: that
    limit alone); ``min_interval`` spaces the starts of two requests to one host; ``max_pages``
    bounds the requests of one poll (``Source.next_request``); ``group`` names a provider whose
    pacing and 429 pauses hold for all its requests in the process, whatever their host."""

    per_host: int | None = None
    min_interval: float = 0.0
    max_pages: int = 1
    group: str | None = None

    def __post_init__(self) -> None:
        if (self.per_host is not None and self.per_host < 1) or self.min_interval < 0 \
                or self.max_pages < 1:
            raise ValueError(f"impossible politeness: {self}")


POLITE = Politeness()  # [polling]'s limits alone, one page per poll


@dataclass(frozen=True)
class ConfiguredSource:
    """A source a config section asks for (``[[search]]``, ``[[records]]``): what
    ``storage.sources.sync_sources`` keeps in ``feeds``."""

    key: str
    kind: str
    params: dict[str, Any]
    name: str
    interval: float


@dataclass(frozen=True)
class SourceRecord:
    """What storage keeps about one source that its kind builds the next request from."""

    id: int
    url: str  # the source's identity (see Source.key); for a feed, its configured URL
    params: Mapping[str, Any] = field(default_factory=dict)
    fetch_url: str | None = None  # where a feed moved to (301/308), if it did
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None  # a records kind reads from there (with overlap)
    failing: bool = False  # its last poll failed: a records kind reads its whole lookback

    @property
    def endpoint(self) -> str:
        """The URL to ask: the identity without its fragment (see Source.key)."""
        return urldefrag(self.url).url


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


def params_digest(params: Mapping[str, Any]) -> str:
    """A short stable name for a set of parameters (key order and spacing do not matter)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class Source(ABC):
    """A kind of source. Subclass, then register an instance in ``monitor.sources``.

    Sources of one kind differ by their URL and parameters; the kind itself holds no state,
    so an instance can be sent to a parse worker."""

    name: ClassVar[str]
    politeness: ClassVar[Politeness] = POLITE
    full_text: ClassVar[bool | str] = "auto"
    """Whether a new entry's article page is fetched for its full text when the source's
    ``full_text`` is not set: True, False or "auto" (when the entry's own text is short).
    A search kind, whose entries are a headline and a line, sets True."""
    min_poll_interval: ClassVar[float] = 0.0
    """The shortest interval adaptive polling may bring a source of this kind to (a search
    provider throttles callers who ask more often)."""

    def key(self, url: str, params: Mapping[str, Any]) -> str:
        """A source's identity in storage (``feeds.url``, unique): its endpoint URL, plus a
        fragment naming the kind and parameters, since sources of one kind may share an
        endpoint (one search API, different queries) and no request ever carries a fragment."""
        return f"{url}#{self.name}-{params_digest(params)}"

    @abstractmethod
    def request(self, source: SourceRecord) -> Request:
        """The first (often only) request of a poll of ``source``."""

    def next_request(self, source: SourceRecord, sent: Request,
                     response: Response) -> Request | None:
        """The next page's request after ``response``, or None (the default: one page).
        It runs on the fetcher's event loop, so it must only glance at the response."""
        return None

    @abstractmethod
    def parse(self, pages: Sequence[Response], params: Mapping[str, Any]) -> Parsed:
        """Entries from a poll's responses, each with its identity key; never raises, never
        does I/O (it runs in the parse workers)."""

    def retry_after(self, status: int, headers: Mapping[str, str]) -> float | None:
        """How long a host asked to be left alone after an error answer (lower-case
        ``headers``); the default reads Retry-After."""
        return parse_retry_after(headers.get("retry-after"))
