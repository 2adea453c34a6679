"""Everything a running monitor needs, built from one config file (refused if invalid)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.config import Config, FeedConfig
from monitor.config.check import load_all
from monitor.config.watchlists import Watchlist
from monitor.matching import Matcher
from monitor.service.logs import add_secrets
from monitor.sources.base import ConfiguredSource
from monitor.sources.records.sync import record_sources
from notifiers.messages import Renderer
from notifiers.outbox import Outbox, RetryPolicy
from notifiers.sender import send
from storage import Database, connect
from storage.schemahead import at_head
from storage.sources import worker_id

if TYPE_CHECKING:
    from monitor.pages.robots import RobotsCache

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Config, watchlists, matcher, database and outbox, wired together."""

    config: Config
    watchlists: list[Watchlist]
    matcher: Matcher
    db: Database
    outbox: Outbox
    worker: str = field(default_factory=worker_id)  # owner name of the feed leases it takes
    trends_judged: bool = False  # spikes judged since this runtime started and nothing new since

    @cached_property
    def feeds_by_url(self) -> dict[str, FeedConfig]:
        """Configured feeds by URL."""
        return {f.url: f for f in self.config.feeds}

    @cached_property
    def record_sources(self) -> list[ConfiguredSource]:
        """The ``[[records]]`` sources, their parameters read from config and watchlists."""
        return record_sources(self.config.records, self.watchlists)

    @cached_property
    def search_sources(self) -> tuple[ConfiguredSource, ...]:
        """The ``[[search]]`` sources: each watchlist's queries × editions × providers."""
        from monitor.sources.search.configured import search_sources

        return search_sources(self.config.searches, self.watchlists,
                              self.config.polling.max_interval)

    @cached_property
    def configured_sources(self) -> tuple[ConfiguredSource, ...]:
        """Every source a config section other than ``[[feeds]]`` asks for, as stored."""
        return (*self.record_sources, *self.search_sources)

    @cached_property
    def robots(self) -> RobotsCache:
        """One robots.txt cache for every page step and evidence pass (RFC 9309's 24 h)."""
        from monitor.pages.robots import RobotsCache
        from monitor.pipeline.fetch import user_agent

        return RobotsCache(user_agent(self.config.polling), self.config.polling.timeout)

    def close(self) -> None:
        self.db.dispose()


def load_runtime(config_path: Path, warn: bool = True) -> Runtime:
    """Build a Runtime, or raise InvalidFiles with every problem (file:line: message).

    ``warn=False`` for read-only commands: disabled channels matter only to what sends."""
    config, watchlists = load_all(config_path)
    add_secrets(config.secrets())
    for warning in config.warnings if warn else ():
        log.warning("%s", warning)
    db = connect(config.storage_url, create=False)
    try:
        # SQLite (one machine) upgrades itself; a shared server waits for `monitor db upgrade`.
        if not at_head(db.engine):  # the usual case answered without importing Alembic
            from storage.migrate import ensure_schema

            ensure_schema(db.engine, auto_upgrade=db.engine.dialect.name == "sqlite")
    except Exception:
        db.dispose()
        raise
    return assemble(config, watchlists, db)


def assemble(config: Config, watchlists: list[Watchlist], db: Database,
             worker: str | None = None) -> Runtime:
    """Wire a validated config to a database: matcher, outbox with its templates and lease.

    The one place a Runtime is built, at start and on every reload (``worker`` keeps the
    lease owner's name across a reload)."""
    policy = RetryPolicy(initial=config.delivery.retry_initial,
                         max_attempts=config.delivery.max_attempts)
    outbox = Outbox(db, config.subscribers, policy,
                    renderer=Renderer(config.delivery.templates_dir), lease=config.delivery.lease,
                    sender=partial(send, timeout=config.delivery.timeout))
    rt = Runtime(config=config, watchlists=watchlists, matcher=Matcher(watchlists), db=db,
                 outbox=outbox)
    if worker is not None:
        rt.worker = worker
    return rt
