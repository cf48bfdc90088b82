"""Correcting names and timeline events (storage.usecases.correcting) on a real SQLite
file: what each writes, the search index it keeps, what it refuses, and its audit entry,
as /audit shows it in kk, ru and en."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from messages import translator
from messages.audit import describe
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import AuditEntry, Case, CaseName, TimelineEvent
from storage.domain.names import name_key
from storage.reads.lookup import LiveIndex, names_fingerprint
from storage.usecases.auditing import record_audit
from storage.usecases.correcting import (
    EventFix,
    list_names,
    remove_event,
    remove_name,
    update_event,
    update_name,
)
from storage.usecases.editing import add_event
from storage.usecases.organizing import add_indexed_name
from tests.e2e.miniapp_support import snapshot
from tests.factories import add_case

NOW = datetime(2030, 3, 1, 6, 0, tzinfo=UTC)
OLD = "Zhumabek Tolegenov"
NEW = "Kydyrbai Ospanov"


def finds(index: LiveIndex, session: Session, query: str) -> list[int]:
    return [match.case_id for match in index.search(session, query).matches]


def audit(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)).all())  # type: ignore[arg-type]


def seed(engine: Engine) -> int:
    """A case with two main names and an alias, and another case."""
    with session_scope(engine) as session:
        case = add_case(session, names={"en": "Aqan Serikuly", "kk": "Ақан Серікұлы"})
        session.add(CaseName(case_id=case.id or 0, lang="alias", text=OLD, key="x"))
        add_case(session, slug="other", names={"en": "Saule Bekova"})
        assert case.id is not None
        return case.id


@pytest.fixture
def case_id(engine: Engine) -> int:
    return seed(engine)


def name_id(session: Session, case_id: int, text: str) -> int:
    row = session.exec(
        select(CaseName).where(CaseName.case_id == case_id, CaseName.text == text)
    ).one()
    assert row.id is not None
    return row.id


def test_an_edited_name_is_found_by_its_new_spelling_only_in_every_process(
    engine: Engine, case_id: int
) -> None:
    edit_and_search(engine, case_id)


@pytest.mark.postgres
def test_an_edited_name_is_found_by_its_new_spelling_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        edit_and_search(engine, seed(engine))
    finally:
        engine.dispose()


def edit_and_search(engine: Engine, case_id: int) -> None:
    """Correct the alias; this process's index and another one's follow."""
    index, elsewhere = LiveIndex(), LiveIndex()
    with session_scope(engine) as session:
        assert case_id in finds(elsewhere, session, OLD)  # another process's index, loaded
        state, new_id = update_name(
            session,
            case_id=case_id,
            name_id=name_id(session, case_id, OLD),
            lang="alias",
            text=NEW,
            actor_id=900,
            now=NOW,
            index=index,
        )
        assert state == "saved" and new_id is not None
        assert case_id in finds(index, session, NEW)
        assert case_id not in finds(index, session, OLD)
        row = session.get(CaseName, new_id)
        assert row is not None and (row.lang, row.key) == ("alias", name_key(NEW))
    with session_scope(engine) as session:
        assert case_id in finds(elsewhere, session, NEW)  # it saw the names table change
        assert case_id not in finds(elsewhere, session, OLD)
        [entry] = audit(session)
        assert (entry.actor_id, entry.case_id, entry.action) == (900, case_id, "edit_name")
        assert (entry.before["text"], entry.after["text"]) == (OLD, NEW)
        case = session.get(Case, case_id)
        assert case is not None and case.updated_at == NOW


def test_a_removed_name_no_longer_finds_the_case(engine: Engine, case_id: int) -> None:
    index = LiveIndex()
    with session_scope(engine) as session:
        assert case_id in finds(index, session, OLD)
        found = remove_name(
            session,
            case_id=case_id,
            name_id=name_id(session, case_id, OLD),
            actor_id=900,
            now=NOW,
            index=index,
        )
        assert found == "removed"
        assert case_id not in finds(index, session, OLD)
        assert [entry.action for entry in audit(session)] == ["remove_name"]
        assert OLD not in [line.text for line in list_names(session, case_id=case_id)]


def test_a_case_keeps_a_main_name(engine: Engine) -> None:
    index = LiveIndex()
    with session_scope(engine) as session:
        case = add_case(session, names={"en": "Aqan Serikuly", "kk": "Ақан Серікұлы"})
        assert case.id is not None
        session.add(CaseName(case_id=case.id, lang="kk", text="Ақан Серiкулы", key="y"))
        session.flush()
        english, kazakh = (
            name_id(session, case.id, "Aqan Serikuly"),
            name_id(session, case.id, "Ақан Серікұлы"),
        )
        assert (
            remove_name(
                session, case_id=case.id, name_id=kazakh, actor_id=900, now=NOW, index=index
            )
            == "removed"
        )
        lines = {line.text: line.primary for line in list_names(session, case_id=case.id)}
        assert lines == {"Aqan Serikuly": True, "Ақан Серiкулы": True}  # the next kk one
        second = name_id(session, case.id, "Ақан Серiкулы")
        assert (
            remove_name(
                session, case_id=case.id, name_id=second, actor_id=900, now=NOW, index=index
            )
            == "removed"
        )
        before = len(audit(session))
        assert (
            remove_name(
                session, case_id=case.id, name_id=english, actor_id=900, now=NOW, index=index
            )
            == "last_name"
        )
        moved = update_name(
            session, case_id=case.id, name_id=english, lang="alias", text="Aqan",
            actor_id=900, now=NOW, index=index,
        )  # fmt: skip
        assert moved == ("last_name", None)
        assert len(audit(session)) == before
        assert [line.text for line in list_names(session, case_id=case.id)] == ["Aqan Serikuly"]


def test_a_name_moved_to_another_script_follows_the_rules_of_adding(
    engine: Engine, case_id: int
) -> None:
    index = LiveIndex()
    with session_scope(engine) as session:
        state, new_id = update_name(
            session, case_id=case_id, name_id=name_id(session, case_id, OLD), lang="ru",
            text="Жумабек Толегенов", actor_id=900, now=NOW, index=index,
        )  # fmt: skip
        assert state == "saved"
        row = session.get(CaseName, new_id)
        assert row is not None and row.is_primary  # the first Russian name is a main one
        again = update_name(
            session, case_id=case_id, name_id=name_id(session, case_id, "Aqan Serikuly"),
            lang="kk", text="Ақан Серікұлы", actor_id=900, now=NOW, index=index,
        )  # fmt: skip
        assert again == ("duplicate", None)
        same = update_name(
            session, case_id=case_id, name_id=new_id or 0, lang="ru",
            text="Жумабек Толегенов", actor_id=900, now=NOW, index=index,
        )  # fmt: skip
        assert same == ("unchanged", new_id)
        assert [entry.action for entry in audit(session)] == ["edit_name"]


def test_unknown_ids_and_another_cases_ids_change_nothing(engine: Engine, case_id: int) -> None:
    index = LiveIndex()
    with session_scope(engine) as session:
        other = session.exec(select(Case).where(Case.slug == "other")).one()
        assert other.id is not None
        theirs = name_id(session, other.id, "Saule Bekova")
        event = add_event(
            session, case_id=other.id, day=date(2026, 1, 5), precision="day", text="Arrested",
            lang="en", source_url=None, actor_id=900, now=NOW,
        )  # fmt: skip
        assert event.id is not None
        event_id = event.id
    before = snapshot(engine)
    fix = EventFix(date(2026, 1, 6), "day", {"en": "Detained"}, None, None)
    with session_scope(engine) as session:
        for wrong in (theirs, 999_999):
            assert update_name(
                session, case_id=case_id, name_id=wrong, lang="en", text="X Y",
                actor_id=900, now=NOW, index=index,
            ) == ("missing", None)  # fmt: skip
            assert (
                remove_name(
                    session, case_id=case_id, name_id=wrong, actor_id=900, now=NOW, index=index
                )
                == "missing"
            )
        for wrong in (event_id, 999_999):
            assert (
                update_event(
                    session, case_id=case_id, event_id=wrong, fix=fix, actor_id=900, now=NOW
                )
                == "missing"
            )
            assert (
                remove_event(session, case_id=case_id, event_id=wrong, actor_id=900, now=NOW)
                == "missing"
            )
    assert snapshot(engine) == before


def test_an_event_is_corrected_and_removed_with_audit_entries(engine: Engine, case_id: int) -> None:
    with session_scope(engine) as session:
        event = add_event(
            session, case_id=case_id, day=date(2026, 1, 5), precision="day", text="Арестован",
            lang="ru", source_url=None, actor_id=900, now=NOW,
        )  # fmt: skip
        assert event.id is not None
        event_id = event.id
    fix = EventFix(
        date(2026, 1, 1), "month", {"en": "Detained", "kk": "Ұсталды"},
        "https://example.org/a", "lawyer", reader_lang="kk",
    )  # fmt: skip
    with session_scope(engine) as session:
        assert (
            update_event(
                session, case_id=case_id, event_id=event_id, fix=fix, actor_id=901, now=NOW
            )
            == "saved"
        )
        assert (
            update_event(
                session, case_id=case_id, event_id=event_id, fix=fix, actor_id=901, now=NOW
            )
            == "unchanged"
        )
        row = session.get(TimelineEvent, event_id)
        assert row is not None
        assert (row.occurred_on, row.precision, row.lang) == (date(2026, 1, 1), "month", "kk")
        assert row.text == {"en": "Detained", "kk": "Ұсталды"}
        assert (row.source_url, row.basis) == ("https://example.org/a", "lawyer")
    with session_scope(engine) as session:
        assert (
            remove_event(session, case_id=case_id, event_id=event_id, actor_id=901, now=NOW)
            == "removed"
        )
        assert session.get(TimelineEvent, event_id) is None
        entries = audit(session)
    assert [entry.action for entry in entries] == ["add_event", "edit_event", "remove_event"]
    edited, removed = entries[1], entries[2]
    assert edited.before["text"] == {"ru": "Арестован"}
    assert removed.before["text"] == {"en": "Detained", "kk": "Ұсталды"}


def test_the_audit_log_describes_corrections_in_three_languages() -> None:
    name_before = {"name": 4, "lang": "kk", "text": "Ақан Серiкулы", "primary": True}
    name_after = {"name": 9, "lang": "kk", "text": "Ақан Серікұлы", "primary": True}
    event_before = {"event": 7, "date": "2026-01-05", "precision": "day",
                    "text": {"ru": "Арестован"}, "source_url": None, "basis": None}  # fmt: skip
    event_after = {**event_before, "text": {"ru": "Задержан"}, "basis": "lawyer"}
    expected = {
        "en": ("name corrected", "name removed", "event 7 corrected", "event 7 removed"),
        "ru": ("имя исправлено", "имя удалено", "событие 7 исправлено", "событие 7 удалено"),
        "kk": ("есім түзетілді", "есім жойылды", "7-оқиға түзетілді", "7-оқиға жойылды"),
    }
    for lang, words in expected.items():
        t = translator(lang)
        texts = [
            describe(t, "edit_name", name_before, name_after, "Asia/Almaty"),
            describe(t, "remove_name", name_before, {}, "Asia/Almaty"),
            describe(t, "edit_event", event_before, event_after, "Asia/Almaty"),
            describe(t, "remove_event", event_before, {"event": 7}, "Asia/Almaty"),
        ]
        for text, word in zip(texts, words, strict=True):
            assert text.startswith(word), (lang, text)
        assert "Ақан Серiкулы" in texts[0] and "Ақан Серікұлы" in texts[0]
        assert "Арестован" in texts[2] and "Задержан" in texts[2]
        assert "Арестован" in texts[3]


def test_a_name_removed_and_another_added_in_its_place_reaches_another_process(
    engine: Engine, case_id: int
) -> None:
    """Without AUTOINCREMENT, SQLite would give the new name the removed one's id, and the
    other process would see the same count and highest id (migration 0014)."""
    index, elsewhere = LiveIndex(), LiveIndex()
    with session_scope(engine) as session:
        newest = max(line.id for line in list_names(session, case_id=case_id))
        session.add(CaseName(case_id=case_id, lang="alias", text="Temirlan Abenov", key="q"))
    with session_scope(engine) as session:
        assert case_id in finds(elsewhere, session, "Temirlan Abenov")  # loaded with the typo
        typo = name_id(session, case_id, "Temirlan Abenov")
        assert typo > newest
        remove_name(session, case_id=case_id, name_id=typo, actor_id=900, now=NOW, index=index)
    with session_scope(engine) as session:
        add_indexed_name(
            session, case_id=case_id, lang="alias", text=NEW, actor_id=900, now=NOW, index=index
        )
        assert name_id(session, case_id, NEW) > typo  # never the same id again
    with session_scope(engine) as session:
        assert case_id in finds(elsewhere, session, NEW)
        assert case_id not in finds(elsewhere, session, "Temirlan Abenov")


def test_changes_to_anything_but_names_leave_the_index_fingerprint(
    engine: Engine, case_id: int
) -> None:
    """An audited status change or a new event must not make every process reload its
    name index (a rebuild takes about 0.6 s at 10,000 cases)."""
    with session_scope(engine) as session:
        before = names_fingerprint(session)
        case = session.get(Case, case_id)
        assert case is not None
        case.custody = "released"
        was, now = {"custody": "detained"}, {"custody": "released"}
        record_audit(
            session, actor_id=900, case_id=case_id, action="status", before=was, after=now, now=NOW
        )
        add_event(
            session, case_id=case_id, day=date(2026, 6, 1), precision="day", text="Freed",
            lang="en", source_url=None, actor_id=900, now=NOW,
        )  # fmt: skip
    with session_scope(engine) as session:
        assert names_fingerprint(session) == before
