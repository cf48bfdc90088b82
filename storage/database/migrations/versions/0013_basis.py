"""how a fact is known

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

- `cases.basis`: how each status is known, by dimension ({"custody": {"basis": "lawyer",
  "source": "https://…"}}); empty for statuses set so far (not stated).
- `timeline_events.basis`: how the event is known (NULL: not stated).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.database.migrations.inplace import drop_columns

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("basis", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("timeline_events", sa.Column("basis", sa.String(length=16), nullable=True))


def downgrade() -> None:
    drop_columns("timeline_events", "basis")
    drop_columns("cases", "basis")
