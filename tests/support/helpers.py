"""Helpers every test shares: where things are, a config file per test, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
WATCHLISTS = ROOT / "watchlists"
SHARED = ROOT.parent / "shared"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(directory: Path, feeds: list[str], subscribers: list[dict] | None = None,
                 storage_url: str | None = None, extra: str = "",
                 backlog: str | None = "off") -> Path:
    """Write a config.toml using the shipped watchlists; returns its path.

    ``backlog`` is off by default: fixtures with fixed dates alert whatever the day the tests
    run (None: the product's default). ``[watchlists]`` takes one line so that the lines of
    ``extra`` and what follows keep their numbers."""
    lines = [
        f"watchlists = {{ dir = {_toml_str(str(WATCHLISTS))} }}",
        "[storage]",
        f"url = {_toml_str(storage_url or 'sqlite:///monitor.db')}",
        "[polling]",
        'timeout = "10s"',
        f"backlog = {_toml_str(backlog)}" if backlog is not None else "",
        extra,
    ]
    for url in feeds:
        lines += ["[[feeds]]", f"url = {_toml_str(url)}", 'interval = "1h"']
    for sub in subscribers or []:
        lines += ["[[subscribers]]", f"name = {_toml_str(sub['name'])}",
                  "notify = [" + ", ".join(_toml_str(u) for u in sub["notify"]) + "]"]
        if "watchlists" in sub:
            lines.append("watchlists = [" + ", ".join(_toml_str(w) for w in sub["watchlists"])
                         + "]")
    path = directory / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real ``monitor`` CLI in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "monitor", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)
