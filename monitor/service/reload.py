"""Live reload: notice edits to the config or watchlists and build a new runtime, or refuse it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.config.check import check_all
from monitor.config.problems import Problem
from monitor.service.logs import add_secrets
from monitor.service.runtime import Runtime, assemble

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]


def snapshot(config_path: Path, watchlists_dir: Path) -> Snapshot:
    """(mtime_ns, size) of the config file and every watchlist file; missing files are left out."""
    paths = [config_path]
    if watchlists_dir.is_dir():
        paths += sorted(watchlists_dir.glob("*.toml"))
    state: Snapshot = {}
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        state[str(path)] = (st.st_mtime_ns, st.st_size)
    return state


class FileWatcher:
    """Polls file times (cheap, no inotify needed in containers) and says when something changed."""

    def __init__(self, config_path: Path, watchlists_dir: Path):
        self.config_path = config_path
        self.watchlists_dir = watchlists_dir
        self.last = snapshot(config_path, watchlists_dir)

    def changed(self) -> bool:
        """True once per change; the snapshot moves on even if the new files are refused."""
        now = snapshot(self.config_path, self.watchlists_dir)
        if now == self.last:
            return False
        self.last = now
        return True

    def follow(self, watchlists_dir: Path) -> None:
        """Watch a new watchlists directory (the config may point elsewhere after a reload)."""
        self.watchlists_dir = watchlists_dir
        self.last = snapshot(self.config_path, watchlists_dir)


def rebuild(current: Runtime) -> tuple[Runtime | None, list[Problem]]:
    """A runtime from the files as they are now, sharing the open database; or the problems."""
    config, watchlists, problems = check_all(current.config.path)
    if problems or config is None:
        return None, problems
    if config.storage_url != current.config.storage_url:
        log.warning("reload: [storage] url changed; it takes effect after a restart")
    if config.http.listen != current.config.http.listen:
        log.warning("reload: [http] listen changed; it takes effect after a restart")
    config = replace(config, storage_url=current.config.storage_url,
                     http=replace(config.http, listen=current.config.http.listen))
    for warning in config.warnings:
        log.warning("%s", warning)
    add_secrets(config.secrets())
    return assemble(config, watchlists, current.db, worker=current.worker), []


def _diff(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """"feeds added: a, b" / "removed" / "changed" parts for items keyed by their name."""
    parts = []
    for verb, names in (("added", [k for k in new if k not in old]),
                        ("removed", [k for k in old if k not in new]),
                        ("changed", [k for k in new if k in old and new[k] != old[k]])):
        if names:
            parts.append(f"{kind} {verb}: {', '.join(names)}")
    return parts


def _settings(config) -> dict[str, Any]:
    """The config's sections other than feeds and subscribers, as a reload compares them."""
    return {"[storage]": config.retention_days, "[watchlists]": config.watchlists_dir,
            "[polling]": config.polling, "[delivery]": config.delivery, "[http]": config.http}


def describe_changes(old: Runtime, new: Runtime) -> str:
    """What a reload changed, for its log line: feeds, watchlists, subscribers, settings."""
    feeds = _diff("feeds", {f.name or f.url: f for f in old.config.feeds},
                  {f.name or f.url: f for f in new.config.feeds})
    watchlists = _diff("watchlists", {w.name: w for w in old.watchlists},
                       {w.name: w for w in new.watchlists})
    subscribers = _diff("subscribers", {r.name: r for r in old.config.subscribers},
                        {r.name: r for r in new.config.subscribers})
    before, after = _settings(old.config), _settings(new.config)
    settings = [k for k in after if after[k] != before[k]]
    parts = feeds + watchlists + subscribers + (
        [f"settings changed: {', '.join(settings)}"] if settings else [])
    return "; ".join(parts) or "nothing changed"
