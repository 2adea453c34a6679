"""safe links and text, one source per story and feed

Stored stories and sources keep only http(s) links (a ``javascript:`` or ``data:`` link would
run in a reader's browser); stored text loses the control characters that the parser now drops
(XML 1.0 refuses them, terminals and mail clients are misled by them); the rows a feed added
each time it re-issued a story's link under a new GUID are merged into the first. Only rows
whose link is the story's own go: their entries find the story again by its link, whereas an
entry joined to a story as a near-duplicate must keep its row (its key is all that knows it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 15:40:00
"""

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
# A copy of monitor.text's rule as of this revision (a migration must not change later).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")
_TEXT = {"stories": ("title", "summary"), "story_sources": (), "hits": ("matched", "context"),
         "feeds": ("name",)}
_LINKS = {"stories": ("link",), "story_sources": ("link",), "hits": (), "feeds": ()}


def _web_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None."""
    if not url or not url[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        return url if urlsplit(url).netloc else None
    except ValueError:
        return None


def _clean(value: str | None) -> str | None:
    return _UNSAFE.sub("", value) if value and _UNSAFE.search(value) else value


def _clean_table(conn, name: str) -> None:
    """Rewrite the rows whose text or links are unsafe, a batch of ids at a time."""
    texts, links = _TEXT[name], _LINKS[name]
    table = sa.table(name, sa.column("id"), *(sa.column(c) for c in texts + links))
    columns = [table.c[c] for c in texts + links]
    last = 0
    while rows := conn.execute(sa.select(table.c.id, *columns).where(table.c.id > last)
                               .order_by(table.c.id).limit(BATCH)).all():
        for row in rows:
            old = dict(zip(texts + links, row[1:], strict=True))
            new = {c: _clean(old[c]) for c in texts} | {c: _web_link(old[c]) for c in links}
            changed = {c: v for c, v in new.items() if v != old[c]}
            if changed:
                conn.execute(table.update().where(table.c.id == row.id).values(**changed))
        last = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    for name in _TEXT:
        _clean_table(conn, name)
    op.execute(
        "DELETE FROM story_sources WHERE id IN ("
        " SELECT ss.id FROM story_sources ss JOIN stories s ON s.id = ss.story_id"
        " WHERE s.canonical_url IS NOT NULL AND ss.link = s.link AND ss.id > ("
        "  SELECT MIN(first.id) FROM story_sources first"
        "  WHERE first.story_id = ss.story_id AND first.feed_id = ss.feed_id"
        "  AND first.link = ss.link))")


def downgrade() -> None:
    pass  # cleaned text, dropped links and merged duplicates are not restored
