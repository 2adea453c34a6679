"""Preloaded by the parse pool's fork server only: builds the matcher there, once per version.

The daemon writes the watchlists to the file named by MATCHER_FILE_ENV and starts a fork
server for that version; the workers it forks inherit this one matcher copy-on-write, and
`gc.freeze()` keeps the collector from writing to its pages. A build that fails leaves no
matcher, so each worker's initializer fails and the daemon parses in-process instead.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys

from monitor.language import language_model
from monitor.matching import Matcher
from monitor.pipeline import pool as parsework
from monitor.service.gctune import tune_gc


def _build() -> None:
    """Build the matcher from the daemon's file; on any failure leave none (and say why)."""
    path = os.environ.get(parsework.MATCHER_FILE_ENV)
    if not path:
        return
    try:
        with open(path, "rb") as f:
            watchlists = pickle.load(f)
        parsework.set_shared_matcher(Matcher(watchlists))
    except Exception as exc:  # noqa: BLE001 - the workers report it as a broken pool
        print(f"parse fork server: building the matcher from {path} failed: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return
    del watchlists
    language_model()  # loaded once here, shared by every worker like the matcher
    gc.collect()
    tune_gc()


_build()
