"""The dedup stage: which story each new entry belongs to, inside the storing transaction.

An entry joins a stored (or this batch's) story with the same canonical link, else, given
the recent index, a story it nearly duplicates, else the other copy of its outlet's story
(an aggregator's opaque link on one side, monitor.dedup.outlets); otherwise it is a new story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, Protocol, TypeVar

from monitor.dedup.neardup import NearDupIndex
from monitor.dedup.outlets import OPAQUE_PREFIXES, WINDOW_S, OutletIndex, stored_index
from monitor.dedup.recent import texts_in
from storage import Feed
from storage.models import utcnow
from storage.stories import Session, outlet_stories, stories_by_url, story_feeds


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

    @property
    def opaque(self) -> bool: ...

    @property
    def outlet_host(self) -> str | None: ...


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
    same_outlet: int = 0  # entries joined to the other copy of their outlet's story
    relinks: list[tuple[int | NewStory[C], C]] = field(default_factory=list)  # opaque → own


def resolve(session: Session, fresh: Sequence[tuple[Feed, C]],
            neardup: NearDupIndex | None) -> Resolved[C]:
    """Which story each of ``fresh`` (entries unknown to their feed) joins, and the source
    rows to record; new stories are created in ``fresh``'s order."""
    found: Resolved[C] = Resolved()
    by_url = stories_by_url(session, sorted({p.canonical for _, p in fresh if p.canonical}))
    pending: dict[str, int | NewStory[C]] = {}
    staged = NearDupIndex(texts_cap=None)  # this batch's new stories: found.new[-id - 1]
    load = texts_in(session)
    outlets = _outlet_index(session, fresh)
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
            target = outlets.find(item.outlet_host, item.title, item.opaque)
            found.same_outlet += target is not None
        if (target is not None and not by_link[-1] and url and not item.opaque
                and outlets.opaque_copy(item.outlet_host, target)):
            found.relinks.append((target, item))  # the outlet's own link replaces Google's
            pending[url] = target
        if target is None:
            target = NewStory(feed, item)
            if url:
                pending[url] = target
            if neardup is not None and item.keys:
                staged.add(-len(found.new) - 1, item.keys, item.text, item.title)
            found.new.append(target)
            outlets.add(item.outlet_host, target, item.title, item.opaque)
        targets.append(target)
    found.sources = _new_sources(session, fresh, targets, by_link)
    return found


def _outlet_index(session: Session, fresh: Sequence[tuple[Feed, C]]
                  ) -> OutletIndex[int | NewStory[C]]:
    """Recent stored stories an entry of ``fresh`` may be the other copy of: any story of the
    outlet an opaque entry names; a story under an aggregator's link for the others."""
    hosts = {item.outlet_host for _, item in fresh if item.opaque}
    plain = {item.outlet_host for _, item in fresh if not item.opaque}
    since = utcnow() - timedelta(seconds=WINDOW_S)
    rows = outlet_stories(session, sorted(h for h in hosts if h),
                          sorted(h for h in plain - hosts if h), OPAQUE_PREFIXES, since)
    return stored_index(rows)  # type: ignore[return-value]


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
