"""The dedup stage: which story each new entry belongs to, inside the storing transaction.

An entry joins a stored (or this batch's) story with the same canonical link, else, given
the recent index, a story it nearly duplicates; otherwise it is a new story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from monitor.dedup.neardup import NearDupIndex
from monitor.dedup.recent import texts_in
from storage import Feed
from storage.stories import Session, stories_by_url, story_feeds


class Candidate(Protocol):
    """What dedup reads of an entry (monitor.pipeline.prepare.Prepared is one)."""

    @property
    def canonical(self) -> str | None: ...

    @property
    def text(self) -> str: ...

    @property
    def keys(self) -> tuple[int, ...]: ...

    @property
    def title(self) -> str: ...


C = TypeVar("C", bound=Candidate)


@dataclass(eq=False)
class NewStory(Generic[C]):
    """A story this batch creates, from its first entry; ``id`` is set once it is inserted."""

    feed: Feed
    item: C
    id: int | None = None

    @property
    def stored_id(self) -> int:
        """The id, for the rows written after the story's insert; asking earlier is a bug."""
        if self.id is None:
            raise RuntimeError(f"story {self.item.title!r} has no id: it is not inserted yet")
        return self.id


@dataclass
class Resolved(Generic[C]):
    """Where each entry goes (a stored story's id, or a story of this batch), and the source
    rows to record."""

    new: list[NewStory[C]] = field(default_factory=list)
    sources: list[tuple[Feed, C, int | NewStory[C]]] = field(default_factory=list)
    near_duplicates: int = 0


def resolve(session: Session, fresh: Sequence[tuple[Feed, C]],
            neardup: NearDupIndex | None) -> Resolved[C]:
    """Which story each of ``fresh`` (entries unknown to their feed) joins, and the source
    rows to record; new stories are created in ``fresh``'s order."""
    found: Resolved[C] = Resolved()
    by_url = stories_by_url(session, sorted({p.canonical for _, p in fresh if p.canonical}))
    pending: dict[str, NewStory[C]] = {}
    staged = NearDupIndex()  # this batch's new stories: found.new[-id - 1]
    load = texts_in(session)
    targets: list[int | NewStory[C]] = []
    by_link: list[bool] = []  # each entry: its story was found by its link
    for feed, item in fresh:
        url = item.canonical
        target: int | NewStory[C] | None = (by_url.get(url) or pending.get(url)) if url else None
        by_link.append(target is not None)
        if target is None and neardup is not None:
            sid = neardup.find(item.text, item.title, item.keys, staged, load)
            if sid is not None:
                target = sid if sid > 0 else found.new[-sid - 1]
                found.near_duplicates += 1
        if target is None:
            target = NewStory(feed, item)
            if url:
                pending[url] = target
            if neardup is not None and item.keys:
                staged.add(-len(found.new) - 1, item.keys, item.text, item.title)
            found.new.append(target)
        targets.append(target)
    found.sources = _new_sources(session, fresh, targets, by_link)
    return found


def _new_sources(session: Session, fresh: Sequence[tuple[Feed, C]],
                 targets: list[int | NewStory[C]],
                 by_link: list[bool]) -> list[tuple[Feed, C, int | NewStory[C]]]:
    """The sources to record: an entry that found its story by link, from a feed that is
    already a source of it, adds no row (a feed re-issuing its stories under new GUIDs would
    add rows every poll; the link finds the story again). An entry joined to a story as a near-
    duplicate keeps its row: its key is what stops it becoming a new story later."""
    seen = story_feeds(session, sorted({t for t, link in zip(targets, by_link, strict=True)
                                        if link and isinstance(t, int)}))
    kept = []
    for (feed, item), target, link in zip(fresh, targets, by_link, strict=True):
        pair = (target if isinstance(target, int) else -id(target), feed.id)
        if not (link and pair in seen):
            seen.add(pair)
            kept.append((feed, item, target))
    return kept
