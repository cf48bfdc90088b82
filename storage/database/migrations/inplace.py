"""Schema steps the migrations share, kept apart so that each is written once.

Only steps whose meaning never changes belong here: a migration that ran must do the
same thing when it runs again on another database, so a step is added, never edited.
"""

from __future__ import annotations

from alembic import op


def drop_columns(table: str, *columns: str) -> None:
    """Drop columns in place: SQLite's batch mode would copy the table, and dropping the
    old copy deletes (ON DELETE CASCADE) or empties (SET NULL) the rows that refer to it."""
    for name in columns:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{name}"')
        else:
            op.drop_column(table, name)
