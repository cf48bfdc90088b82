"""Migrations 0010-0013 (attendance, letters, timeline followers, basis) add and drop
columns in place: on SQLite a copied table would delete (ON DELETE CASCADE) or empty
(SET NULL) the rows of the tables that refer to it."""

from __future__ import annotations

from sqlalchemy import Engine, text

from storage.database.engine import downgrade, session_scope, upgrade
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.subscriptions import subscribe

COUNTS = (
    "select count(*) from case_names",
    "select count(*) from hearings where court_id is not null",
    "select count(*) from timeline_events",
    "select count(*) from subscriptions",
)


def counts(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [int(connection.execute(text(query)).scalar() or 0) for query in COUNTS]


def test_down_to_0007_and_up_again_keeps_every_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        subscribe(session, chat_id=42, case_id=1)
    before = counts(engine)
    assert all(before), before
    downgrade(engine, "0007")
    assert counts(engine) == before
    upgrade(engine)
    assert counts(engine) == before
