"""spikes: bursts of stories per entity and their alerts, so each burst alerts once

Revision ID: 0011
Revises: 0010 (0005 on the trends branch before it merged queries)
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'spikes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('watchlist', sa.String(length=256), nullable=False),
        sa.Column('entity', sa.String(length=256), nullable=False),
        sa.Column('start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_bucket', sa.DateTime(timezone=True), nullable=False),
        sa.Column('series', sa.String(length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('usual', sa.Float(), nullable=False),
        sa.Column('stories', sa.Text(), nullable=False),
        sa.Column('outlets', sa.Text(), nullable=False),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('watchlist', 'entity', 'start', name='uq_spike_entity_start'),
    )
    op.create_index('ix_spikes_entity_last', 'spikes', ['watchlist', 'entity', 'last_bucket'])
    op.create_table(
        'spike_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('spike_id', sa.Integer(), nullable=False),
        sa.Column('subscriber', sa.String(length=256), nullable=False),
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['spike_id'], ['spikes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('spike_id', 'subscriber', 'channel', name='uq_spike_alert'),
    )
    op.create_index('ix_spike_alerts_due', 'spike_alerts', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_spike_alerts_due', table_name='spike_alerts')
    op.drop_table('spike_alerts')
    op.drop_index('ix_spikes_entity_last', table_name='spikes')
    op.drop_table('spikes')
