"""source kinds: each source records its kind and parameters

Every existing row is a feed with no parameters. A source stays keyed by ``feeds.url`` (unique):
a feed by its URL, another kind by its endpoint plus a fragment naming its parameters (see
storage.sources), so no constraint changes and no table is rebuilt (on SQLite a rebuild of
``feeds`` would cascade into story_sources).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), server_default='feed',
                                      nullable=False))
        batch_op.add_column(sa.Column('params', sa.Text(), server_default='{}',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('params')
        batch_op.drop_column('kind')
