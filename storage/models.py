"""Tables: feeds, stories (stored once) with their sources, hits, and the delivery outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware now; the one clock every table uses."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Store UTC, always hand back aware datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


class Feed(Base):
    """A polled source (a feed, or another kind's) and its health; the config's feed list is
    mirrored here by URL. ``url`` is a source's identity (see storage.sources)."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    # Server defaults only, so inserts written for older schemas (migration tests) still work.
    kind: Mapped[str] = mapped_column(String(32), server_default="feed")
    params: Mapped[str] = mapped_column(Text, server_default="{}")  # a JSON object
    fetch_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    name: Mapped[str] = mapped_column(Text, default="")
    interval_s: Mapped[float] = mapped_column(Float, default=900.0)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_new_story_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Lease: the worker polling this feed right now, until when (see storage.sources).
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Adaptive polling's interval in force (None: the configured interval_s).
    poll_interval_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class Story(Base):
    """One story, stored once however many feeds carry it."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_outlet_host", "outlet_host", "first_seen_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str | None] = mapped_column(Text, unique=True, nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)  # ISO 639-1
    # The publisher as an aggregator names it (None: the feed is the outlet), and its host.
    outlet: Mapped[str | None] = mapped_column(Text, nullable=True)
    outlet_host: Mapped[str | None] = mapped_column(String(255), nullable=True)

    feed: Mapped[Feed | None] = relationship()
    sources: Mapped[list[StorySource]] = relationship(
        back_populates="story", cascade="all, delete-orphan")
    hits: Mapped[list[Hit]] = relationship(back_populates="story", cascade="all, delete-orphan")
    check: Mapped[StoryCheck | None] = relationship(viewonly=True)  # evidence: archive, rechecks


class StorySource(Base):
    """A feed's copy of a story; (feed, entry key) is what makes re-polling idempotent. A feed
    that re-issues a story's link under new GUIDs adds no row (see monitor.dedup.resolve)."""

    __tablename__ = "story_sources"
    __table_args__ = (UniqueConstraint("feed_id", "entry_key", name="uq_source_feed_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outlet: Mapped[str | None] = mapped_column(Text, nullable=True)  # as the aggregator names it

    story: Mapped[Story] = relationship(back_populates="sources")
    feed: Mapped[Feed] = relationship()


class Hit(Base):
    """A watched entity found in a story, with the evidence that explains it."""

    __tablename__ = "hits"
    __table_args__ = (
        UniqueConstraint("story_id", "watchlist", "entity", name="uq_hit_story_entity"),
        Index("ix_hits_watchlist_created", "watchlist", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    watchlist: Mapped[str] = mapped_column(String(256))
    entity: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(Text, default="")
    matched: Mapped[str] = mapped_column(Text, default="")
    field: Mapped[str] = mapped_column(String(32), default="title")
    score: Mapped[float] = mapped_column(Float, default=100.0)
    rule: Mapped[str] = mapped_column(String(256), default="")
    context: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    story: Mapped[Story] = relationship(back_populates="hits")


class Delivery(Base):
    """Outbox row: one alert of one story to one subscriber's channel, written with the hits.

    ``state`` is pending, sending (claimed: ``claim`` names the message, ``claimed_at`` starts
    its lease), sent or failed; rows sent together in one message share ``claim``.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "subscriber", "channel", name="uq_delivery"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    subscriber: Mapped[str] = mapped_column(String(256))
    channel: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    story: Mapped[Story] = relationship()


class StoryFingerprint(Base):
    """A story's near-duplicate band keys (see monitor.dedup.neardup), for its first days only."""

    __tablename__ = "story_fingerprints"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True)
    keys: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Record(Base):
    """The facts of a story that is a public record (an award or its modification, a filing,
    a Federal Register document): what the Contracts view and record alerts are made from."""

    __tablename__ = "records"
    __table_args__ = (Index("ix_records_provider_acted", "provider", "acted_on"),)

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
    agency: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(Text, default="")
    amount_obligated: Mapped[float | None] = mapped_column(Float, nullable=True)
    amount_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    acted_on: Mapped[str] = mapped_column(String(10), default="")  # YYYY-MM-DD
    facts: Mapped[str] = mapped_column(Text, default="{}")  # the rest, a JSON object


class AlertLedger:
    """The columns of a ledger of alerts beside the story outbox (spikes, page changes): one
    row per alert per subscriber's channel, pending until sent, retried, kept
    (storage.alert_ledger claims and settles them)."""

    subscriber: Mapped[str] = mapped_column(String(256))
    channel: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Spike(Base):
    """A burst of stories about one entity, stored so it is alerted once across cycles and
    restarts; ``last_bucket`` is the latest hour or day in which it still showed."""

    __tablename__ = "spikes"
    __table_args__ = (
        UniqueConstraint("watchlist", "entity", "start", name="uq_spike_entity_start"),
        Index("ix_spikes_entity_last", "watchlist", "entity", "last_bucket"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist: Mapped[str] = mapped_column(String(256))
    entity: Mapped[str] = mapped_column(String(256))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    last_bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    series: Mapped[str] = mapped_column(String(16), default="day")  # hour, day or hour+day
    count: Mapped[int] = mapped_column(Integer, default=0)
    usual: Mapped[float] = mapped_column(Float, default=0.0)
    stories: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the top stories
    outlets: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the top outlets
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpikeAlert(AlertLedger, Base):
    """One spike alert to one subscriber's channel: pending until sent, retried, kept."""

    __tablename__ = "spike_alerts"
    __table_args__ = (
        UniqueConstraint("spike_id", "subscriber", "channel", name="uq_spike_alert"),
        Index("ix_spike_alerts_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spike_id: Mapped[int] = mapped_column(ForeignKey("spikes.id", ondelete="CASCADE"))


class StoryCheck(Base):
    """Evidence kept for a story with a hit: when it was found, its recheck schedule, and its
    Wayback Machine capture (queued, pending job, archive URL) - see monitor.evidence."""

    __tablename__ = "story_checks"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checks_done: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    archive_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    wayback_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    wayback_job: Mapped[str | None] = mapped_column(Text, nullable=True)
    wayback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    wayback_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                             index=True)
    wayback_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PageVersion(Base):
    """A story's page as fetched: compressed raw bytes with their SHA-256, final URL, headers,
    fetch time, and the headline and body read from it; ``kind`` page, gone or redirect."""

    __tablename__ = "page_versions"
    __table_args__ = (UniqueConstraint("story_id", "version", name="uq_page_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="page")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[name, value], ...]
    body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed raw bytes
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="")  # JSON summary of the change, or ""


class ChangeAlert(AlertLedger, Base):
    """Ledger of change alerts: one per new version per (subscriber, channel) with changes on."""

    __tablename__ = "change_alerts"
    __table_args__ = (
        UniqueConstraint("version_id", "subscriber", "channel", name="uq_change_alert"),
        Index("ix_change_alerts_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("page_versions.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))


class StoryPage(Base):
    """A new story's article page: fetched for its full text (issue 15 §1), retried while it
    fails for a passing reason. ``state``: pending, done, failed (given up) or skipped
    (robots.txt, not HTML, too large, gone); ``next_attempt_at`` doubles as a claim's lease."""

    __tablename__ = "story_pages"
    __table_args__ = (Index("ix_story_pages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          unique=True)
    url: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    final_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    published: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
