"""Logging set-up: human lines or JSON lines, with every configured secret redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from notifiers.sender import redact, secret_parts

_SECRETS: list[str] = []


class RedactingFormatter(logging.Formatter):
    """Scrub the secrets of notify URLs from the finished line, tracebacks included."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), _SECRETS)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once; secrets are added later with ``add_secrets``."""
    handler = logging.StreamHandler(sys.stderr)
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    handler.setFormatter(RedactingFormatter(inner))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler.executors", "apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # apprise logs full target URLs (tokens included) at DEBUG/INFO: never let those through.
    logging.getLogger("apprise").setLevel(logging.WARNING)


def add_secrets(secrets: list[str]) -> None:
    """Register notify URLs whose text, and whose token-like parts, must never be logged."""
    parts = {p for s in secrets if s for p in secret_parts(s)} | set(_SECRETS)
    _SECRETS[:] = sorted(parts, key=len, reverse=True)
