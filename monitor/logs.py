"""Logging set-up: human lines or JSON lines, with every configured secret redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from notifiers.sender import redact


class RedactingFilter(logging.Filter):
    """Scrub notify URLs (they carry tokens) from every record before it is formatted."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            clean = redact(message, self.secrets)
            if clean != message:
                record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


REDACTOR = RedactingFilter()


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once; secrets are added later with ``add_secrets``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(REDACTOR)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("apscheduler.executors", "apscheduler.scheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def add_secrets(secrets: list[str]) -> None:
    """Register strings that must never appear in log output."""
    REDACTOR.secrets = sorted(set(REDACTOR.secrets) | {s for s in secrets if s}, key=len,
                              reverse=True)
