"""The one checker: the config and the watchlists it points at, every problem at file:line.
`monitor check`, the daemon's start and every reload go through ``check_all``."""

from __future__ import annotations

from pathlib import Path

from monitor.config.load import check_config
from monitor.config.problems import InvalidFiles, Problem, as_given
from monitor.config.sections import Config
from monitor.config.watchlists import Watchlist, check_watchlists


def check_all(config_path: Path) -> tuple[Config | None, list[Watchlist], list[Problem]]:
    """Validate the config and the watchlists it points at (read once); collect every problem.

    Names are checked against the watchlists only when all of them loaded: a broken file is
    reported once, as the root cause, not again as every subscriber's unknown watchlist."""
    loaded: dict[Path, tuple[list[Watchlist], list[Problem]]] = {}

    def read(directory: Path) -> list[Watchlist] | None:
        if directory not in loaded:
            loaded[directory] = check_watchlists(as_given(config_path, directory))
        watchlists, problems = loaded[directory]
        return None if problems else watchlists

    def names(directory: Path) -> set[str] | None:
        watchlists = read(directory)
        return None if watchlists is None else {w.name for w in watchlists}

    def entity_names(directory: Path) -> set[str] | None:
        watchlists = read(directory)
        return None if watchlists is None else {e.name for w in watchlists for e in w.entities}

    config, problems = check_config(config_path, names, entity_names)
    if config is None:
        return None, [], problems
    watchlists, wl_problems = loaded[config.watchlists_dir]
    return config, watchlists, problems + wl_problems


def load_all(config_path: Path) -> tuple[Config, list[Watchlist]]:
    """The config and its watchlists, or InvalidFiles listing every problem."""
    config, watchlists, problems = check_all(config_path)
    if problems or config is None:
        raise InvalidFiles(problems)
    return config, watchlists
