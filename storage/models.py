"""Tables: feeds, stories (stored once) with their sources, hits, and the delivery outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
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
    # The publisher as an aggregator names it (None: the feed is the outlet), and its host.
    outlet: Mapped[str | None] = mapped_column(Text, nullable=True)
    outlet_host: Mapped[str | None] = mapped_column(String(255), nullable=True)

    feed: Mapped[Feed | None] = relationship()
    sources: Mapped[list[StorySource]] = relationship(
        back_populates="story", cascade="all, delete-orphan")
    hits: Mapped[list[Hit]] = relationship(back_populates="story", cascade="all, delete-orphan")


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
