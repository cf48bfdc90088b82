"""timeline followers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

`subscribers.timeline`: whether the chat also gets new timeline events of the cases it
follows, not only status changes and hearings (chosen in /settings; off for everyone so far).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.database.migrations.inplace import drop_columns

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscribers",
        sa.Column("timeline", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    drop_columns("subscribers", "timeline")
