"""Everything a running monitor needs, built from one config file (refused if invalid)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.config import Config, check_config
from monitor.logs import add_secrets
from monitor.matching import Matcher
from monitor.problems import InvalidFiles, Problem
from monitor.watchlists import Watchlist, check_watchlists
from notifiers.messages import Renderer
from notifiers.outbox import Outbox, RetryPolicy
from storage import Database, connect


@dataclass
class Runtime:
    """Config, watchlists, matcher, database and outbox, wired together."""

    config: Config
    watchlists: list[Watchlist]
    matcher: Matcher
    db: Database
    outbox: Outbox

    def close(self) -> None:
        self.db.dispose()


def _watchlist_names(directory: Path) -> set[str] | None:
    watchlists, _ = check_watchlists(directory)
    return {w.name for w in watchlists}


def _entity_names(directory: Path) -> set[str] | None:
    watchlists, _ = check_watchlists(directory)
    return {e.name for w in watchlists for e in w.entities}


def check_all(config_path: Path) -> tuple[Config | None, list[Watchlist], list[Problem]]:
    """Validate the config and the watchlists it points at; collect every problem."""
    config, problems = check_config(config_path, _watchlist_names, _entity_names)
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
    db = connect(config.storage_url)
    policy = RetryPolicy(initial=config.delivery.retry_initial,
                         max_attempts=config.delivery.max_attempts)
    return Runtime(config=config, watchlists=watchlists, matcher=Matcher(watchlists), db=db,
                   outbox=Outbox(db, config.subscribers, policy,
                                 renderer=Renderer(config.delivery.templates_dir),
                                 lease=config.delivery.lease))
