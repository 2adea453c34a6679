"""evidence: pages as fetched, their versions, recheck schedule, Wayback capture, change alerts

New tables only (``stories`` is not rebuilt): ``story_checks`` (one row per story with a hit),
``page_versions`` (raw bytes compressed, SHA-256, final URL, headers, fetch time) and
``change_alerts`` (the ledger of alerts about a changed or removed page).

Revision ID: 0009
Revises: 0008 (0005 on its own; chained after fulltext's 0008 once merged)
Create Date: 2026-11-30 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'story_checks',
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('found_at', WHEN, nullable=False),
        sa.Column('checks_done', sa.Integer(), nullable=False),
        sa.Column('next_check_at', WHEN, nullable=True),
        sa.Column('archive_url', sa.Text(), nullable=True),
        sa.Column('wayback_state', sa.String(length=16), nullable=True),
        sa.Column('wayback_job', sa.Text(), nullable=True),
        sa.Column('wayback_attempts', sa.Integer(), nullable=False),
        sa.Column('wayback_next_at', WHEN, nullable=True),
        sa.Column('wayback_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('story_id'))
    op.create_index('ix_story_checks_next_check_at', 'story_checks', ['next_check_at'])
    op.create_index('ix_story_checks_wayback_next_at', 'story_checks', ['wayback_next_at'])
    op.create_table(
        'page_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('fetched_at', WHEN, nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('final_url', sa.Text(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('headers', sa.Text(), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('change', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('story_id', 'version', name='uq_page_version'))
    op.create_index('ix_page_versions_story_id', 'page_versions', ['story_id'])
    op.create_table(
        'change_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('subscriber', sa.String(length=256), nullable=False),
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', WHEN, nullable=True),
        sa.ForeignKeyConstraint(['story_id'], ['stories.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['page_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'subscriber', 'channel', name='uq_change_alert'))
    op.create_index('ix_change_alerts_due', 'change_alerts', ['state', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_change_alerts_due', table_name='change_alerts')
    op.drop_table('change_alerts')
    op.drop_index('ix_page_versions_story_id', table_name='page_versions')
    op.drop_table('page_versions')
    op.drop_index('ix_story_checks_wayback_next_at', table_name='story_checks')
    op.drop_index('ix_story_checks_next_check_at', table_name='story_checks')
    op.drop_table('story_checks')
