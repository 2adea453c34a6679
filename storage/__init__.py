"""Persistence: SQLAlchemy models and the queries the daemon needs (SQLite or PostgreSQL)."""

from storage.db import Database, connect
from storage.models import Base, Delivery, Feed, Hit, Story, StorySource

__all__ = ["Base", "Database", "Delivery", "Feed", "Hit", "Story", "StorySource", "connect"]
