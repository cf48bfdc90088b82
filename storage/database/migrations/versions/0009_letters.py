"""letters

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- `cases.letter_address`, `letters_reach`, `letter_langs`: where letters to the person go,
  whether they reach them (NULL: not known), and the languages they may be written in.
- `letter_guides`: the organizers' short guide to writing a letter, one per language.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_address", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("letters_reach", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("letter_langs", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "letter_guides",
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("lang", name=op.f("pk_letter_guides")),
    )


def downgrade() -> None:
    op.drop_table("letter_guides")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("letter_langs")
        batch_op.drop_column("letters_reach")
        batch_op.drop_column("letter_address")
