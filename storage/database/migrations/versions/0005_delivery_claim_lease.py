"""delivery claim lease

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

A claimed (`sending`) delivery carries a lease, renewed by the worker that holds
it; another worker takes the row over once the lease runs out. Rows already
`sending` get a lease that ended when they were claimed: their process stopped
before this upgrade (the upgrade is done with casebot stopped), so the first
worker to look takes them over, unless their own worker resumes them at start.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
    deliveries = sa.table(
        "deliveries",
        sa.column("status", sa.String()),
        sa.column("updated_at", sa.DateTime()),
        sa.column("lease_until", sa.DateTime()),
    )
    op.execute(
        deliveries.update()
        .where(deliveries.c.status == "sending")
        .values(lease_until=deliveries.c.updated_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
