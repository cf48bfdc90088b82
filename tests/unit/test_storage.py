"""Storage: migrations build exactly the models' schema (SQLite and PostgreSQL),
SQLite runs with WAL and foreign keys, and instants come back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel, select

from storage.database.engine import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    session_scope,
    upgrade,
)
from storage.database.models import Case, CaseName, Hearing, Subscriber, Subscription


def assert_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], differences


def test_sqlite_migrations_match_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert_schema_matches_models(engine)


def test_sqlite_downgrade_to_base_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert_schema_matches_models(engine)


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_sqlite_pragmas_on_every_connection(engine: Engine) -> None:
    for _ in range(2):
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_instants_are_stored_in_utc_and_come_back_aware(engine: Engine) -> None:
    almaty = timezone(timedelta(hours=5))
    with session_scope(engine) as session:
        case = Case(slug="utc-check")
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(
            Hearing(
                case_id=case.id,
                starts_at=datetime(2025, 3, 4, 10, 0, tzinfo=almaty),
                tz="Asia/Almaty",
            )
        )
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT starts_at FROM hearings")).scalar()
    assert str(raw).startswith("2025-03-04 05:00:00")
    with session_scope(engine) as session:
        hearing = session.exec(select(Hearing)).one()
        assert hearing.starts_at == datetime(2025, 3, 4, 5, 0, tzinfo=UTC)
        assert hearing.starts_at.tzinfo is not None


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(Case(slug="naive", created_at=datetime(2025, 1, 1)))
        session.flush()


def test_deleting_a_case_removes_its_names_and_subscriptions(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = Case(slug="to-delete")
        session.add(case)
        session.add(Subscriber(chat_id=5_000_000_001))
        session.flush()
        assert case.id is not None
        session.add(CaseName(case_id=case.id, lang="en", text="Name", key="name"))
        session.add(Subscription(chat_id=5_000_000_001, case_id=case.id))
    with session_scope(engine) as session:
        session.delete(session.exec(select(Case)).one())
    with session_scope(engine) as session:
        assert session.exec(select(CaseName)).all() == []
        assert session.exec(select(Subscription)).all() == []
        assert session.get(Subscriber, 5_000_000_001) is not None


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), session_scope(engine) as session:
        session.add(CaseName(case_id=999, lang="en", text="Ghost", key="ghost"))
        session.flush()


@pytest.mark.postgres
def test_postgres_migrations_match_models(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert_schema_matches_models(engine)
        with session_scope(engine) as session:
            session.add(Subscriber(chat_id=-1_001_234_567_890, chat_type="supergroup"))
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert_schema_matches_models(engine)
    finally:
        engine.dispose()
