"""Everything a running monitor needs, built from one config file (refused if invalid)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import Config, check_config
from monitor.logs import add_secrets
from monitor.matching import Matcher
from monitor.problems import InvalidFiles, Problem
from monitor.watchlists import Watchlist, check_watchlists
from notifiers.outbox import Outbox, RetryPolicy
from storage import Database, connect
from storage.leases import worker_id
from storage.migrate import ensure_schema


@dataclass
class Runtime:
    """Config, watchlists, matcher, database and outbox, wired together."""

    config: Config
    watchlists: list[Watchlist]
    matcher: Matcher
    db: Database
    outbox: Outbox
    worker: str = field(default_factory=worker_id)  # owner name of the feed leases it takes

    def close(self) -> None:
        self.db.dispose()


def _watchlist_names(directory: Path) -> set[str] | None:
    watchlists, _ = check_watchlists(directory)
    return {w.name for w in watchlists}


def check_all(config_path: Path) -> tuple[Config | None, list[Watchlist], list[Problem]]:
    """Validate the config and the watchlists it points at; collect every problem."""
    config, problems = check_config(config_path, _watchlist_names)
    if config is None:
        return None, [], problems
    if not config.watchlists_dir.is_dir():
        problems.append(Problem(str(config.path), 0,
                                f"watchlists directory not found: {config.watchlists_dir}"))
        return config, [], problems
    watchlists, wl_problems = check_watchlists(config.watchlists_dir)
    return config, watchlists, problems + wl_problems


def load_runtime(config_path: Path) -> Runtime:
    """Build a Runtime, or raise InvalidFiles with every problem (file:line: message)."""
    config, watchlists, problems = check_all(config_path)
    if problems or config is None:
        raise InvalidFiles(problems)
    add_secrets(config.secrets())
    db = connect(config.storage_url, create=False)
    try:
        # SQLite (one machine) upgrades itself; a shared server waits for `monitor db upgrade`.
        ensure_schema(db.engine, auto_upgrade=db.engine.dialect.name == "sqlite")
    except Exception:
        db.dispose()
        raise
    policy = RetryPolicy(initial=config.delivery.retry_initial,
                         max_attempts=config.delivery.max_attempts)
    return Runtime(config=config, watchlists=watchlists, matcher=Matcher(watchlists), db=db,
                   outbox=Outbox(db, config.subscribers, policy))
