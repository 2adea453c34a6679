"""Live reload: notice edits to the config or watchlists and build a new runtime, or refuse it."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from monitor.logs import add_secrets
from monitor.problems import Problem
from monitor.runtime import Runtime, assemble, check_all

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
