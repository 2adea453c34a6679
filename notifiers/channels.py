"""Who receives alerts and through which apprise URLs; URLs are secrets and never printed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIMEOUT = 30.0  # seconds a target may take to answer ([delivery] timeout)

SLACK_SCHEMES = {"slack", "mmost", "mmosts", "rocket", "rockets"}
EMAIL_SCHEMES = {"mailto", "mailtos", "ses", "sendgrid", "mailgun", "sparkpost", "resend",
                 "smtp2go", "brevo", "o365", "azure"}
MARKDOWN_SCHEMES = SLACK_SCHEMES | {"discord", "matrix", "matrixs", "msteams", "tgram", "zulip",
                                    "gchat", "ntfy", "ntfys", "mastodon", "toot", "workflows"}


def channel_id(template: str) -> str:
    """Stable id of a notify entry, from its text before ``${VAR}`` expansion (tokens rotate)."""
    return hashlib.sha256(template.encode()).hexdigest()[:16]


def kind_of(url: str) -> str:
    """``slack``, ``email``, ``markdown`` or ``text``: which message template a target gets."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in SLACK_SCHEMES:
        return "slack"
    if scheme in EMAIL_SCHEMES:
        return "email"
    if scheme in MARKDOWN_SCHEMES:
        return "markdown"
    return "text"


@dataclass(frozen=True)
class Channel:
    """One apprise target of a subscriber."""

    id: str
    url: str

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def kind(self) -> str:
        return kind_of(self.url)

    @property
    def label(self) -> str:
        """Safe to log: scheme and id, never the URL."""
        return f"{self.scheme}://…#{self.id[:6]}"

    def __repr__(self) -> str:
        return f"Channel({self.label})"


@dataclass(frozen=True)
class QuietHours:
    """A daily window (local time, may wrap past midnight) when immediate alerts are held."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"22:00-07:00"``; raises ValueError with a readable reason."""
        try:
            a, b = (part.strip() for part in text.split("-"))
            window = cls(time.fromisoformat(a), time.fromisoformat(b))
        except ValueError as exc:
            raise ValueError(f'expected "HH:MM-HH:MM", got {text!r}') from exc
        if window.start == window.end:
            raise ValueError(f"quiet hours start and end are the same: {text!r}")
        return window

    def contains(self, local: datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def last_end(self, local: datetime) -> datetime:
        """The most recent end of the window at or before ``local``."""
        end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        return end if end <= local else end - timedelta(days=1)

    def last_window(self, local: datetime) -> tuple[datetime, datetime]:
        """Start and end of the most recent window that has ended by ``local``."""
        end = self.last_end(local)
        start = datetime.combine(end.date(), self.start, tzinfo=local.tzinfo)
        return (start if start < end else start - timedelta(days=1)), end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class StoryQuery(Protocol):
    """A subscriber's query (``monitor.query.Query``): delivery only carries it."""

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Recipient:
    """A subscriber as the delivery layer sees it: channels, routing and pacing."""

    name: str
    channels: tuple[Channel, ...]
    watchlists: tuple[str, ...] | None = None
    entities: tuple[str, ...] | None = None
    min_score: float | None = None
    mode: str = "immediate"
    schedule: str | None = None
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    max_per_hour: int = 20
    spikes: bool = False  # spike alerts too (monitor.trends)
    languages: tuple[str, ...] | None = None  # ISO 639-1 codes; None: every language
    query: StoryQuery | None = None  # applied after routing, before delivery
    changes: bool = False  # change alerts: the story's page edited beyond trivia, or removed

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest(self) -> bool:
        return self.mode == "digest"

    def wants(self, watchlist: str) -> bool:
        """True when this subscriber follows ``watchlist`` (None means every watchlist)."""
        return self.watchlists is None or watchlist in self.watchlists

    def wants_hit(self, watchlist: str, entity: str, score: float) -> bool:
        """Routing: watchlist, then entity, then minimum score."""
        return (self.wants(watchlist)
                and (self.entities is None or entity in self.entities)
                and (self.min_score is None or score >= self.min_score))

    def covers(self, watchlist: str, entity: str) -> bool:
        """Spike routing: this subscriber's watchlists and entities include ``entity``."""
        return self.wants(watchlist) and (self.entities is None or entity in self.entities)

    def wants_language(self, language: str | None) -> bool:
        """Routing: a story in one of the languages followed (an untold language passes)."""
        return self.languages is None or language is None or language in self.languages

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)
