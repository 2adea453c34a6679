"""The near-duplicate index of recent stories: built from storage when a cycle starts, searched
while storing, and told about new stories only once their transaction has committed (a
rolled-back story in the index would swallow its copies)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from monitor.dedup.neardup import (
    WINDOW_S,
    Fingerprint,
    NearDupIndex,
    TextLoader,
    normalise,
    title_key,
)
from storage.db import Database
from storage.stories import Session, recent_fingerprints, story_texts


def load_recent(db: Database, now: datetime, window_s: float = WINDOW_S) -> NearDupIndex:
    """The index of stories first seen within the window (keys only: their texts are loaded
    when a candidate needs confirming); older fingerprints are pruned."""
    index = NearDupIndex()
    for story_id, keys in recent_fingerprints(db, now - timedelta(seconds=window_s)):
        index.add(story_id, keys)
    return index


def remember(index: NearDupIndex | None, fingerprints: Iterable[Fingerprint]) -> None:
    """Add committed stories to the index (call only after their transaction committed)."""
    if index is not None:
        for fingerprint in fingerprints:
            index.add(*fingerprint)


def texts_in(session: Session) -> TextLoader:
    """A loader of stored stories' near-duplicate texts that reads in the storing transaction
    (on SQLite a second connection would wait for the write lock this transaction holds)."""

    def load(ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        return {sid: (normalise(title, summary), title_key(title))
                for sid, (title, summary) in story_texts(session, ids).items()}

    return load
