"""Persistence: SQLAlchemy models and the queries the daemon needs (SQLite or PostgreSQL)."""

from importlib import import_module
from typing import Any

_EXPORTS = {"Database": "storage.db", "connect": "storage.db", "Base": "storage.models",
            "Delivery": "storage.models", "Feed": "storage.models", "Hit": "storage.models",
            "Story": "storage.models", "StorySource": "storage.models", "Session": "storage.db"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load the database layer on first use: a parse worker imports ``storage.links`` alone,
    and SQLAlchemy with the models would cost each worker ~20 MB it never uses."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
