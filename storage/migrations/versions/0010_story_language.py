"""story language: each story's detected language (ISO 639-1), for display and routing

A plain nullable column: stories stored before it have none (subscribers' ``languages`` let
them through), and no table is rebuilt.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('stories', sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_column('language')
