"""records: the facts of stories that are public records (awards, filings, documents)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'records',
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Text(), nullable=False),
        sa.Column('action', sa.Text(), nullable=False),
        sa.Column('agency', sa.Text(), nullable=False),
        sa.Column('recipient', sa.Text(), nullable=False),
        sa.Column('amount_obligated', sa.Float(), nullable=True),
        sa.Column('amount_total', sa.Float(), nullable=True),
        sa.Column('acted_on', sa.String(length=10), nullable=False),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('story_id'),
    )
    op.create_index('ix_records_provider_acted', 'records', ['provider', 'acted_on'])


def downgrade() -> None:
    op.drop_index('ix_records_provider_acted', table_name='records')
    op.drop_table('records')
