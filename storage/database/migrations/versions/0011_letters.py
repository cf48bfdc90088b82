"""letters

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- `cases.letter_address`, `letters_reach`, `letter_langs`: where letters to the person go,
  whether they reach them (NULL: not known), and the languages they may be written in.
- `letter_guides`: the organizers' short guide to writing a letter, one per language.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.database.migrations.inplace import drop_columns

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("letter_address", sa.String(length=500), nullable=True))
    op.add_column("cases", sa.Column("letters_reach", sa.Boolean(), nullable=True))
    op.add_column(
        "cases", sa.Column("letter_langs", sa.JSON(), nullable=False, server_default="[]")
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
    drop_columns("cases", "letter_langs", "letters_reach", "letter_address")
