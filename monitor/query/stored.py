"""Filter stored hits by a query (``monitor hits --query``, ``/api/hits?query=``): each story
is judged once, on its stored title and summary and all of its hits."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.config.watchlists import Watchlist
from monitor.query.evaluate import Query
from monitor.query.stories import stored_document
from storage import Session
from storage.hits import HitRow, story_hits
from storage.stories import story_texts

CHUNK = 500


def stories_matching(session: Session, query: Query, story_ids: Sequence[int]) -> set[int]:
    """The stories among ``story_ids`` that the query holds for (read 500 at a time)."""
    keep: set[int] = set()
    for start in range(0, len(story_ids), CHUNK):
        ids = story_ids[start:start + CHUNK]
        texts, hits = story_texts(session, ids), story_hits(session, ids)
        keep |= {sid for sid, (title, summary) in texts.items()
                 if query.matches(stored_document(title, summary, hits.get(sid, [])))}
    return keep


def hits_matching(session: Session, query: Query, rows: list[HitRow],
                  limit: int | None) -> list[HitRow]:
    """``rows`` (newest first) whose story the query holds for, at most ``limit``."""
    keep = stories_matching(session, query, sorted({r.story_id for r in rows}))
    kept = [r for r in rows if r.story_id in keep]
    return kept[:limit] if limit else kept


def watched_query(text: str, watchlists: Sequence[Watchlist]) -> Query:
    """``text`` bound to these watchlists' and entities' names; raises QueryError."""
    return Query(text, {w.name for w in watchlists} | {e.name for w in watchlists
                                                        for e in w.entities})
