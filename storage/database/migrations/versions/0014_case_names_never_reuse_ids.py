"""case names never reuse an id

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Other processes (a second worker, the website beside the bot) notice name changes by
the names table's row count and highest id (``storage.reads.lookup``). SQLite gives a new
row the highest id again when the row holding it was deleted, so removing a misspelled
name and adding the right one left both as they were. With ``AUTOINCREMENT`` an id is
never given twice. PostgreSQL's sequences never reuse one: nothing changes there.

The table is copied on SQLite (no other table refers to case names, so nothing is lost
with the old copy).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "case_names", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
