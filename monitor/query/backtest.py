"""Backtest: re-match stored stories with watchlists on disk (or a draft) and say what would
change (hits gained and lost per entity) and, for a subscriber or a query, what it would have
been alerted to."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.matching import Match, Matcher
from monitor.query.evaluate import Query
from monitor.query.stories import story_document
from notifiers.channels import Recipient
from storage import Database
from storage.backtest import StoredStory, add_hits, stored_stories
from storage.models import utcnow
from storage.stories import hit_row

EXAMPLES = 3  # titles shown per entity in the table
MAX_WORKERS = 8
POOL_FROM = 5000  # stories: fewer are matched here (starting workers costs more)
STORED_FIELDS = ("title", "summary")
"""What a story keeps of its text: a hit found in another field (a feed's full content) cannot
be re-judged, so it is never reported lost."""


@dataclass(frozen=True)
class Change:
    """One hit a story gains or loses."""

    story_id: int
    title: str
    watchlist: str
    entity: str


@dataclass(frozen=True)
class Alert:
    """A story a subscriber (or the query) would have been alerted to."""

    story_id: int
    title: str
    subscriber: str | None


@dataclass
class Backtest:
    """What re-matching the stored stories found; ``applied``: gained hits stored."""

    stories: int = 0
    gained: list[Change] = field(default_factory=list)
    lost: list[Change] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    applied: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``monitor backtest --format json``."""
        return {"stories": self.stories,
                "gained": [c.__dict__ for c in self.gained],
                "lost": [c.__dict__ for c in self.lost],
                "alerts": [a.__dict__ for a in self.alerts],
                "applied": self.applied}

    def by_entity(self) -> list[dict[str, Any]]:
        """One row per (watchlist, entity): hits gained and lost, with example titles."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for kind, changes in (("gained", self.gained), ("lost", self.lost)):
            for c in changes:
                row = rows.setdefault((c.watchlist, c.entity), {
                    "watchlist": c.watchlist, "entity": c.entity, "gained": 0, "lost": 0,
                    "examples": []})
                row[kind] += 1
                if len(row["examples"]) < EXAMPLES:
                    row["examples"].append(f"{'+' if kind == 'gained' else '-'} {c.title}")
        return sorted(rows.values(), key=lambda r: (r["watchlist"], r["entity"]))


@dataclass(frozen=True)
class Audience:
    """Who the alerts are worked out for: one subscriber (routing, languages, its query) or
    a query alone (any story with a hit that the query holds for)."""

    recipient: Recipient | None = None
    query: Query | None = None


def backtest(db: Database, matcher: Matcher, since: datetime | None,
             audience: Audience | None = None, apply: bool = False,
             workers: int | None = None) -> Backtest:
    """Re-match every stored story since ``since``; ``apply`` stores the gained hits (no
    alert is queued for them). ``workers`` processes match side by side (default: one per
    core); the stories are read first, so no worker touches the database."""
    result = Backtest()
    rows: list[dict[str, Any]] = []
    with db.read() as s:
        pages = list(stored_stories(s, since))
    for page, found in zip(pages, _match_pages(matcher, pages, workers), strict=True):
        for story, story_matches in zip(page, found, strict=True):
            result.stories += 1
            matches = _best(story_matches)
            gained = _compare(story, matches, result)
            if apply:
                rows += [hit_row(story.id, m, utcnow()) for m in gained]
            if audience is not None and matches:
                alert = _alert(story, list(matches.values()), audience)
                if alert is not None:
                    result.alerts.append(alert)
    if rows:
        with db.session() as s:
            result.applied = add_hits(s, rows)
    return result


_MATCHER: list[Matcher] = []  # the matcher forked workers inherit


def _match_page(texts: list[tuple[str, str]]) -> list[list[Match]]:
    match = _MATCHER[0].match
    return [match(title, summary, "") for title, summary in texts]


def _match_pages(matcher: Matcher, pages: list[list[StoredStory]],
                 workers: int | None) -> Iterator[list[list[Match]]]:
    """Each page's matches, in order: in forked workers that share the built matcher when
    there are enough stories (and fork exists), else here."""
    texts = [[(story.title, story.summary) for story in page] for page in pages]
    workers = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    _MATCHER[:] = [matcher]
    if workers < 2 or sum(map(len, texts)) < POOL_FROM or (
            "fork" not in multiprocessing.get_all_start_methods()):
        yield from map(_match_page, texts)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_match_page, texts)


def _best(matches: Iterable[Match]) -> dict[tuple[str, str], Match]:
    """One match per (watchlist, entity), as a stored hit is: the first found."""
    best: dict[tuple[str, str], Match] = {}
    for m in matches:
        best.setdefault((m.watchlist, m.entity), m)
    return best


def _compare(story: StoredStory, matches: dict[tuple[str, str], Match],
             result: Backtest) -> list[Match]:
    """Record what the story gains and loses; return the matches it gains."""
    stored = {(h.watchlist, h.entity) for h in story.hits}
    judged = {(h.watchlist, h.entity) for h in story.hits if h.field in STORED_FIELDS}
    gained = [m for key, m in matches.items() if key not in stored]
    result.gained += [Change(story.id, story.title, m.watchlist, m.entity) for m in gained]
    result.lost += [Change(story.id, story.title, w, e) for w, e in sorted(judged - set(matches))]
    return gained


def _alert(story: StoredStory, matches: Sequence[Match], audience: Audience) -> Alert | None:
    """The alert the audience would have had for this story, if any."""
    recipient = audience.recipient
    if recipient is not None and not (
            any(recipient.wants_hit(m.watchlist, m.entity, m.score) for m in matches)
            and recipient.wants_language(story.language)):
        return None
    if audience.query is not None and not audience.query.matches(
            story_document(story.title, story.summary, "", matches)):
        return None
    return Alert(story.id, story.title, recipient.name if recipient else None)

