"""Fixtures of the export tests (test_export, test_export_files): migrated SQLite files
by name, and one filled with every kind of case."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import storage.database.engine
from tests.unit.exportdata import MakeDb, add_plain_cases, add_rich_case


@pytest.fixture
def make_db(tmp_path: Path, migrated_template: Path) -> Iterator[MakeDb]:
    """Migrated SQLite files under tmp_path, by name (copies of the session's template)."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        shutil.copyfile(migrated_template, tmp_path / name)
        engine = storage.database.engine.make_engine(f"sqlite:///{tmp_path}/{name}")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def full_db(make_db: MakeDb) -> Engine:
    """Three plain cases, a case with every field set, a bare case and an unused court."""
    engine = make_db("a.db")
    with storage.database.engine.session_scope(engine) as session:
        add_plain_cases(session)
        add_rich_case(session)
    return engine
