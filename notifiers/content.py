"""What a message says: one story's alert, or a digest grouped by watchlist and entity."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from notifiers.channels import Recipient
from notifiers.messages import Alert, AlertHit, clip, local_time
from storage import Hit, Session, Story
from storage.reports import CHART_NOTE, stories_per_day

BARS = "▁▂▃▄▅▆▇█"
CHART_DAYS = 7
BAR_PX = 160


def sparkline(counts: Sequence[int]) -> str:
    """``▁▂▃▅▇``-style line; any non-zero day gets at least the second bar."""
    top = max(counts, default=0)
    if top == 0:
        return BARS[0] * len(counts)
    return "".join(BARS[0] if c == 0 else BARS[max(1, round(c / top * (len(BARS) - 1)))]
                   for c in counts)


_SENTENCE_END = re.compile(r"(?<=[a-z0-9%][a-z0-9%])[.!?][\"'”’)]*(?=\s+[\"'“‘(]?[A-Z0-9])")


def _alert_hit(h: Hit, story: Story) -> AlertHit:
    """The hit with the whole field it was found in when we have it (for word-bounded snippets)."""
    field_text = {"title": story.title, "summary": story.summary}.get(h.field) or ""
    found = h.matched and h.matched.lower() in " ".join(field_text.split()).lower()
    context = field_text if found else (h.context or story.title)
    return AlertHit(h.watchlist, h.entity, h.matched, context, h.field)


def lede(summary: str, title: str) -> str:
    """The summary's first sentence, unless it only repeats the title."""
    text = " ".join((summary or "").split())
    end = _SENTENCE_END.search(text)
    sentence = clip(text[: end.end()] if end else text)
    return "" if not _bare(sentence) or _bare(sentence) == _bare(title) else sentence


def _bare(text: str) -> str:
    """Words only, for comparing a sentence with a title."""
    return re.sub(r"\W+", " ", text).strip().casefold()


def _sources(story: Story) -> tuple[str, tuple[str, ...]]:
    """The outlet that published the story (as an aggregator names it, else its feed) and
    the other outlets that carried it."""
    names = [s.outlet or s.feed.name for s in story.sources if s.feed is not None]
    source = story.outlet or (story.feed.name if story.feed is not None
                              else (names[0] if names else ""))
    return source, tuple(dict.fromkeys(n for n in names if n != source))


def build_alert(story: Story, hits: Iterable[Hit], recipient: Recipient) -> Alert | None:
    """The alert a subscriber gets for a story: only the hits their routing lets through."""
    mine = [h for h in hits if recipient.wants_hit(h.watchlist, h.entity, h.score)]
    if not mine:
        return None
    source, others = _sources(story)
    in_title = any(h.field == "title" for h in mine)
    return Alert(title=story.title or "(untitled)", link=story.link, source=source,
                 hits=tuple(_alert_hit(h, story) for h in mine),
                 published=story.published_at, other_sources=others,
                 lede=lede(story.summary, story.title) if in_title else "",
                 timezone=recipient.timezone)


def sample_alert(timezone: str = "UTC") -> Alert:
    """What ``monitor notify-test`` sends: realistic, and plainly a test."""
    return Alert(
        title="[TEST] ICE agents detain dozens in early-morning raids",
        link="https://example.org/monitor-test", source="ice-monitor notify-test",
        hits=(AlertHit("ICE", "ICE", "Immigration and Customs Enforcement",
                       "This is a test alert. U.S. Immigration and Customs Enforcement said the "
                       "operation targeted workers at three sites.", "summary"),),
        published=datetime.now(UTC), timezone=timezone)


@dataclass(frozen=True)
class DigestStory:
    """A story under one entity of a digest, with that entity's evidence."""

    title: str
    link: str | None
    source: str
    other_sources: tuple[str, ...]
    published: datetime | None
    hit: AlertHit
    when: str = ""


@dataclass(frozen=True)
class EntityGroup:
    """One watched entity: how many stories, which, and its mentions per day."""

    watchlist: str
    entity: str
    count: int
    stories: tuple[DigestStory, ...]
    spark: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.stories)


@dataclass(frozen=True)
class WatchlistGroup:
    name: str
    count: int
    entities: tuple[EntityGroup, ...]


@dataclass(frozen=True)
class DayCount:
    """One bar of the per-day chart; ``width`` in pixels for HTML."""

    day: date
    count: int
    width: int

    @property
    def label(self) -> str:
        return self.day.strftime("%a %d %b")


@dataclass(frozen=True)
class Digest:
    """Several stories in one message: a scheduled digest, or held/flood alerts combined."""

    reason: str
    subscriber: str
    generated: datetime
    timezone: str
    stories: int
    watchlists: tuple[WatchlistGroup, ...]
    days: tuple[DayCount, ...] = ()
    spark: str = ""
    earlier: int = 0

    @property
    def chart_note(self) -> str:
        """What the chart counts, said under it (the same definition as the page's charts)."""
        note = (f"{CHART_NOTE}; only the stories in this message, days in {self.timezone}.")
        if self.earlier:
            one = self.earlier == 1
            note += (f" {self.earlier} {'story was' if one else 'stories were'} published before "
                     f"{self.days[0].day:%d %b} and {'is' if one else 'are'} not shown.")
        return note

    @property
    def counts(self) -> str:
        """``ICE (5), Amazon (2)``: entities by story count."""
        groups = sorted((e for w in self.watchlists for e in w.entities),
                        key=lambda e: (-e.count, e.entity))
        return ", ".join(f"{e.entity} ({e.count})" for e in groups)

    @property
    def headline(self) -> str:
        n = self.stories
        noun = "story" if n == 1 else "stories"
        lead = {"held": f"{n} {noun} held during quiet hours",
                "flood": f"{n} {noun} combined into one alert"}.get(
                    self.reason, f"Digest: {n} {noun}")
        return f"{lead} — {self.counts}"

    @property
    def period(self) -> str:
        if not self.days:
            return ""
        return f"{self.days[0].day:%d %b} – {self.days[-1].day:%d %b}"

    def limited(self, per_entity: int) -> Digest:
        """The same digest listing at most ``per_entity`` stories under each entity."""
        return replace(self, watchlists=tuple(
            replace(w, entities=tuple(replace(e, stories=e.stories[:per_entity])
                                      for e in w.entities))
            for w in self.watchlists))

    @property
    def longest(self) -> int:
        return max((len(e.stories) for w in self.watchlists for e in w.entities), default=0)


def build_digest(session: Session, stories: Sequence[Story], recipient: Recipient,
                 reason: str, now: datetime) -> Digest | None:
    """Group ``stories`` by watchlist, then entity, newest first, with a per-day chart."""
    by_entity: dict[tuple[str, str], list[DigestStory]] = defaultdict(list)
    seen: set[int] = set()
    per_watchlist: dict[str, set[int]] = defaultdict(set)
    ordered = sorted(stories, key=lambda s: (s.published_at or s.first_seen_at), reverse=True)
    for story in ordered:
        source, others = _sources(story)
        for h in story.hits:
            if not recipient.wants_hit(h.watchlist, h.entity, h.score):
                continue
            seen.add(story.id)
            per_watchlist[h.watchlist].add(story.id)
            by_entity[(h.watchlist, h.entity)].append(DigestStory(
                story.title or "(untitled)", story.link, source, others, story.published_at,
                _alert_hit(h, story), local_time(story.published_at, recipient.timezone)))
    if not seen:
        return None
    chart = stories_per_day(session, CHART_DAYS, now, recipient.tz, seen, recipient.wants_hit)
    groups: dict[str, list[EntityGroup]] = defaultdict(list)
    for (watchlist, entity), items in by_entity.items():
        groups[watchlist].append(EntityGroup(watchlist, entity, len(items), tuple(items),
                                             sparkline(chart.entity(watchlist, entity))))
    watchlists = []
    for name in sorted(groups, key=lambda w: (-len(per_watchlist[w]), w)):
        entities = tuple(sorted(groups[name], key=lambda e: (-e.count, e.entity)))
        watchlists.append(WatchlistGroup(name, len(per_watchlist[name]), entities))
    top = max(chart.total, default=0) or 1
    days = tuple(DayCount(d, c, round(c / top * BAR_PX))
                 for d, c in zip(chart.days, chart.total, strict=True))
    return Digest(reason=reason, subscriber=recipient.name, generated=now.astimezone(recipient.tz),
                  timezone=recipient.timezone, stories=len(seen), watchlists=tuple(watchlists),
                  days=days, spark=sparkline(chart.total), earlier=chart.earlier)
