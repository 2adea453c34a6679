"""Where the shared test corpus lives: ``../shared`` beside the repo, or ``$MONITOR_SHARED``."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.helpers import SHARED

CORPUS = Path(os.environ.get("MONITOR_SHARED") or SHARED) / "corpus"
