"""facts as of, event order, three-valued suspension

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

- `cases.confirmed_on`: the day an organizer last checked the case and found nothing
  changed (`/confirm`); with the latest dated fact it makes the card's "facts as of".
- `timeline_events.position`: an explicit order among events of the same date (0 for
  every event already stored: their order stays by date, then by when they were added).
- `cases.suspended` may be unknown (NULL): not every source says whether a sentence is
  suspended. Values already stored keep their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_on", sa.Date(), nullable=True))
        batch_op.alter_column("suspended", existing_type=sa.Boolean(), nullable=True)
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("position", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    cases = sa.table("cases", sa.column("suspended", sa.Boolean()))
    op.execute(cases.update().where(cases.c.suspended.is_(None)).values(suspended=False))
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_column("position")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("suspended", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column("confirmed_on")
