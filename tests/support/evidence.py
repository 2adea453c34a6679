"""Evidence tests share: a runtime with ``[evidence]`` on, article pages as a news site writes
them (headline, timestamp, share count, paragraphs), and a story with a hit stored directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from monitor.service.runtime import Runtime, load_runtime
from storage.migrate import upgrade
from storage.models import Delivery, Hit, Story
from tests.support.delivery_helpers import config, news_feed

FOUND = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HEADLINE = "ICE detains 41 in overnight raids"
PARAGRAPHS = [
    "Immigration and Customs Enforcement detained 41 people in an overnight operation across "
    "three counties, according to records obtained by the Loopback News desk.",
    "Lawyers for several of the detainees said they had not been allowed to speak with their "
    "clients for more than two days after the arrests.",
    "A spokesperson for the agency said the operation followed a months-long investigation and "
    "declined to say where the detainees were being held.",
    "Advocates gathered outside the county building on Tuesday evening to demand the release of "
    "the detainees and an independent review of the operation.",
]


def article(headline: str, paragraphs: list[str] | None = None,
            stamp: str = "Updated 10:42 AM EST, Monday November 30, 2026",
            shares: str = "1.2K shares", spacing: str = " ") -> bytes:
    """An article page with the trivia real pages carry around the story."""
    paras = "\n".join(f"<p>{p.replace(' ', spacing)}</p>" for p in (paragraphs or PARAGRAPHS))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{headline} | Loopback News</title><meta property="og:title" content="{headline}">
</head><body><header><nav><a href="/">Home</a> <a href="/us">US</a></nav></header>
<main><article><h1>{headline}</h1>
<p>{stamp}. This story has {shares}.</p>
{paras}
</article></main><footer>© Loopback News</footer></body></html>""".encode()


def evidence_runtime(directory: Path, subscribers: list[dict], evidence: str = "",
                     keep: bool = True, storage_url: str | None = None,
                     polling: str = "") -> Runtime:
    """A runtime with ``[evidence] keep = true`` plus ``evidence``, on a fresh SQLite file or
    on ``storage_url`` (migrated to head first, as `monitor db upgrade` would)."""
    url = storage_url or f"sqlite:///{directory / 'monitor.db'}"
    if storage_url:
        engine = create_engine(storage_url)
        upgrade(engine)
        engine.dispose()
    path = config(directory, [], subscribers, url)
    if polling:  # e.g. a shorter deadline, a smaller size cap
        path.write_text(path.read_text().replace('timeout = "10s"', polling))
    with path.open("a", encoding="utf-8") as f:
        f.write(f'[evidence]\nkeep = {str(keep).lower()}\nrecheck = ["1h", "24h", "7d"]\n'
                + evidence)
    return load_runtime(path)


def add_story(rt: Runtime, link: str, title: str, found: datetime = FOUND,
              watchlist: str = "ICE", entity: str = "ICE",
              alerted: Sequence[str] | None = None) -> int:
    """A stored story with one hit found at ``found``, alerted (a sent delivery row) to every
    channel of the ``alerted`` subscribers (default all of them); its id."""
    with rt.db.session() as s:
        feed = news_feed(s)
        story = Story(link=link, canonical_url=link, title=title, summary="",
                      first_seen_at=found, feed_id=feed.id)
        s.add(story)
        s.flush()
        s.add(Hit(story_id=story.id, watchlist=watchlist, entity=entity, alias=entity,
                  matched=entity, field="title", context=title, created_at=found))
        for r in rt.config.subscribers:
            if alerted is None or r.name in alerted:
                s.add_all(Delivery(story_id=story.id, subscriber=r.name, channel=c.id,
                                   state="sent", sent_at=found) for c in r.channels)
        return story.id
