"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_cases_and_courts()
    _create_organizers_subscribers_and_audit_log()
    _create_names_and_hearings()
    _create_people_subscriptions_and_events()


def _create_cases_and_courts() -> None:
    """Cases and courts."""
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('custody', sa.String(length=32), nullable=True),
    sa.Column('proceedings', sa.String(length=32), nullable=True),
    sa.Column('protection', sa.String(length=32), nullable=True),
    sa.Column('risk', sa.String(length=32), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('summary_lang', sa.String(length=8), nullable=True),
    sa.Column('sentence_months', sa.Integer(), nullable=True),
    sa.Column('sentence_days', sa.Integer(), nullable=True),
    sa.Column('credit_ratio', sa.Float(), nullable=True),
    sa.Column('detained_on', sa.Date(), nullable=True),
    sa.Column('verdict_on', sa.Date(), nullable=True),
    sa.Column('release_on', sa.Date(), nullable=True),
    sa.Column('suspended', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_slug'), ['slug'], unique=True)

    op.create_table('courts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('city', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courts'))
    )
    with op.batch_alter_table('courts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courts_slug'), ['slug'], unique=True)


def _create_organizers_subscribers_and_audit_log() -> None:
    """Organizers, subscribers and the audit log."""
    op.create_table('organizers',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_organizers'))
    )
    op.create_table('subscribers',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_type', sa.String(length=16), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('telegram_lang', sa.String(length=16), nullable=True),
    sa.Column('reminders', sa.String(length=64), nullable=True),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('gone', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_subscribers'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_audit_log_case_id_cases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_case_id'), ['case_id'], unique=False)


def _create_names_and_hearings() -> None:
    """A case's names and hearings."""
    op.create_table('case_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_names_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_names')),
    sa.UniqueConstraint('case_id', 'lang', 'text', name=op.f('uq_case_names_case_id_lang_text'))
    )
    with op.batch_alter_table('case_names', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_names_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_names_key'), ['key'], unique=False)

    op.create_table('hearings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('court_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('time_known', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('judge', sa.JSON(), nullable=False),
    sa.Column('note', sa.JSON(), nullable=False),
    sa.Column('note_lang', sa.String(length=8), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hearings_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['court_id'], ['courts.id'], name=op.f('fk_hearings_court_id_courts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hearings'))
    )
    with op.batch_alter_table('hearings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hearings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hearings_starts_at'), ['starts_at'], unique=False)


def _create_people_subscriptions_and_events() -> None:
    """A case's people, its subscriptions and its timeline events."""
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('note', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_people_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_case_id'), ['case_id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_subscriptions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chat_id'], ['subscribers.chat_id'], name=op.f('fk_subscriptions_chat_id_subscribers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('chat_id', 'case_id', name=op.f('uq_subscriptions_chat_id_case_id'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_chat_id'), ['chat_id'], unique=False)

    op.create_table('timeline_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('precision', sa.String(length=8), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('source_title', sa.String(length=300), nullable=True),
    sa.Column('source_outlet', sa.String(length=120), nullable=True),
    sa.Column('source_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_timeline_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline_events'))
    )
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_events_occurred_on'), ['occurred_on'], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes too (SQLite and PostgreSQL); those that refer to
    # others go first.
    for table in (
        'timeline_events', 'subscriptions', 'people', 'hearings', 'case_names', 'audit_log',
        'subscribers', 'organizers', 'courts', 'cases',
    ):
        op.drop_table(table)
