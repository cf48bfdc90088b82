"""how a fact is known

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

- `cases.basis`: how each status is known, by dimension ({"custody": {"basis": "lawyer",
  "source": "https://…"}}); empty for statuses set so far (not stated).
- `timeline_events.basis`: how the event is known (NULL: not stated).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_column("basis")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("basis")
