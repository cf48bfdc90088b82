"""attendance and court places

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- `attendance`: each chat's "I'll attend" / "Can't come" for a hearing (one row per
  hearing and chat; a second press changes it), with a name only when the chat agreed to
  be listed.
- `subscribers.listed`: whether organizers may see the chat's name among attendees
  (NULL: not asked yet, counted only).
- `courts.address`, `lat`, `lon`, `note`: where a court is and the practical note for
  people attending, in the languages organizers wrote.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.database.migrations.inplace import drop_columns

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("courts", sa.Column("address", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("courts", sa.Column("lat", sa.Float(), nullable=True))
    op.add_column("courts", sa.Column("lon", sa.Float(), nullable=True))
    op.add_column("courts", sa.Column("note", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("subscribers", sa.Column("listed", sa.Boolean(), nullable=True))
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hearing_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["subscribers.chat_id"],
            name=op.f("fk_attendance_chat_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_attendance_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("hearing_id", "chat_id", name=op.f("uq_attendance_hearing_id_chat_id")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_hearing_id"), ["hearing_id"], unique=False)


def downgrade() -> None:
    op.drop_table("attendance")
    drop_columns("subscribers", "listed")
    drop_columns("courts", "note", "lon", "lat", "address")
