"""safe links and text, one source per story and feed

Stored stories and sources keep only http(s) links (a ``javascript:`` or ``data:`` link would
run in a reader's browser); stored text loses the control characters that the parser now drops
(XML 1.0 refuses them, terminals and mail clients are misled by them); a feed's duplicate
sources of one story are merged before a unique constraint keeps it so.

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
    op.execute("DELETE FROM story_sources WHERE id NOT IN "
               "(SELECT MIN(id) FROM story_sources GROUP BY story_id, feed_id)")
    with op.batch_alter_table('story_sources', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_source_story_feed', ['story_id', 'feed_id'])


def downgrade() -> None:
    with op.batch_alter_table('story_sources', schema=None) as batch_op:
        batch_op.drop_constraint('uq_source_story_feed', type_='unique')
