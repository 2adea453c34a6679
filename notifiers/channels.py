"""Who receives alerts and through which apprise URLs; URLs are secrets and never printed."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

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
class Recipient:
    """A subscriber as the delivery layer sees it."""

    name: str
    channels: tuple[Channel, ...]
    watchlists: tuple[str, ...] | None = None

    def wants(self, watchlist: str) -> bool:
        """True when this subscriber follows ``watchlist`` (None means every watchlist)."""
        return self.watchlists is None or watchlist in self.watchlists

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)
