"""Migrations 0010-0013 (attendance, letters, timeline followers, basis) add and drop
columns in place: on SQLite a copied table would delete (ON DELETE CASCADE) or empty
(SET NULL) the rows of the tables that refer to it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, text

from storage.database.engine import downgrade, session_scope, upgrade
from storage.usecases.subscriptions import subscribe
from tests.factories import add_case, add_court, add_hearing, add_timeline_event

COUNTS = (
    "select count(*) from case_names",
    "select count(*) from hearings where court_id is not null",
    "select count(*) from timeline_events",
    "select count(*) from subscriptions",
)


def counts(engine: Engine) -> list[int]:
    """The number of rows of each table that refers to another (see COUNTS)."""
    with engine.connect() as connection:
        return [int(connection.execute(text(query)).scalar() or 0) for query in COUNTS]


def test_down_to_0007_and_up_again_keeps_every_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = add_case(session)  # two names
        court = add_court(session)
        add_hearing(session, case, starts_at=datetime(2020, 1, 6, 4, 0, tzinfo=UTC), court=court)
        add_timeline_event(session, case, on=date(2019, 10, 18))
        assert case.id is not None
        subscribe(session, chat_id=42, case_id=case.id)
    before = counts(engine)
    assert all(before), before
    downgrade(engine, "0007")
    assert counts(engine) == before
    upgrade(engine)
    assert counts(engine) == before
