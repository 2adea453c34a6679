"""outlets and adaptive polling: who published a story, and each source's interval in force

``stories.outlet`` / ``story_sources.outlet`` name the publisher an aggregator gives (Google
News ``<source>``, Bing ``News:Source``, a domain); ``stories.outlet_host`` is the publisher's
host, so an aggregator's opaque copy is merged with the outlet's own. ``feeds.poll_interval_s``
is the interval adaptive polling has settled on (null: the configured one).

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outlet', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('outlet_host', sa.String(length=255), nullable=True))
        batch_op.create_index('ix_stories_outlet_host', ['outlet_host', 'first_seen_at'])
    with op.batch_alter_table('story_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outlet', sa.Text(), nullable=True))
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('poll_interval_s', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('poll_interval_s')
    with op.batch_alter_table('story_sources', schema=None) as batch_op:
        batch_op.drop_column('outlet')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_outlet_host')
        batch_op.drop_column('outlet_host')
        batch_op.drop_column('outlet')
