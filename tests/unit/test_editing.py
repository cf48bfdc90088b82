"""Organizer edits as plain use cases (storage.usecases.editing) on a real SQLite file:
what each writes, what it refuses, and the audit entry it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import select

from storage.database.engine import session_scope
from storage.database.models import AuditEntry, Case, CaseName, TimelineEvent
from storage.usecases.editing import (
    add_event,
    add_name,
    create_case,
    set_organizer,
    slug_for,
    translate_event,
)
from tests.factories import add_case

NOW = datetime(2030, 3, 1, 6, 0, tzinfo=UTC)


def audit(engine: Engine) -> list[tuple[int | None, int | None, str]]:
    with session_scope(engine) as session:
        found = session.exec(
            select(AuditEntry.actor_id, AuditEntry.case_id, AuditEntry.action).order_by(
                AuditEntry.id  # type: ignore[arg-type]
            )
        ).all()
    return [(actor, case, action) for actor, case, action in found]


def test_a_new_case_gets_a_latin_slug_its_primary_name_and_an_audit_entry(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        case = create_case(session, name="Қайша Ақан", lang="kk", actor_id=900, now=NOW)
        case_id = case.id
        assert case.slug == "qaysha-aqan"
        [name] = session.exec(select(CaseName).where(CaseName.case_id == case_id)).all()
        assert (name.lang, name.text, name.is_primary) == ("kk", "Қайша Ақан", True)
    assert audit(engine) == [(900, case_id, "new_case")]


def test_a_second_case_with_the_same_name_gets_its_own_slug(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_case(session, slug="qaysha-aqan")
        assert slug_for(session, "Қайша Ақан") != "qaysha-aqan"
        second = create_case(session, name="Қайша Ақан", lang="kk", actor_id=900, now=NOW)
        assert second.slug.startswith("qaysha-aqan")
        assert second.slug != "qaysha-aqan"


def test_names_add_once_and_only_the_first_of_a_language_is_primary(engine: Engine) -> None:
    with session_scope(engine) as session:
        case_id = add_case(session, names={"kk": "Ақан Серікұлы"}).id
        assert case_id is not None

        def name(lang: str, text: str) -> bool:
            return add_name(session, case_id=case_id, lang=lang, text=text, actor_id=900, now=NOW)

        assert name("ru", "Акан Серикулы")
        assert name("ru", "Акан Серикович")
        assert name("alias", "Aqan")
        assert not name("ru", "Акан Серикулы")
        names = session.exec(select(CaseName.lang, CaseName.text, CaseName.is_primary)).all()
        assert sorted(names) == [
            ("alias", "Aqan", False),
            ("kk", "Ақан Серікұлы", True),
            ("ru", "Акан Серикович", False),
            ("ru", "Акан Серикулы", True),
        ]
        assert session.get(Case, case_id).updated_at == NOW  # type: ignore[union-attr]
    assert [action for _, _, action in audit(engine)] == ["add_name"] * 3


def test_an_event_is_added_in_one_language_and_translated_into_another(engine: Engine) -> None:
    with session_scope(engine) as session:
        case_id = add_case(session).id
        assert case_id is not None
        event = add_event(
            session,
            case_id=case_id,
            day=date(2030, 2, 1),
            precision="month",
            text="Суд отложен",
            lang="ru",
            source_url="https://example.org/a",
            actor_id=900,
            now=NOW,
        )
        event_id = event.id
        assert event_id is not None
        translated = translate_event(
            session, event_id=event_id, lang="en", text="Trial postponed", actor_id=901, now=NOW
        )
        assert translated is not None
        assert (
            translate_event(
                session, event_id=event_id + 99, lang="en", text="x", actor_id=901, now=NOW
            )
            is None
        )
    with session_scope(engine) as session:
        stored = session.get(TimelineEvent, event_id)
        assert stored is not None
        assert stored.text == {"ru": "Суд отложен", "en": "Trial postponed"}
        assert (stored.lang, stored.precision, stored.source_url) == (
            "ru",
            "month",
            "https://example.org/a",
        )
    assert audit(engine) == [(900, case_id, "add_event"), (901, case_id, "translate")]


def test_organizers_are_added_and_removed_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert set_organizer(session, user_id=42, add=True, actor_id=900, now=NOW)
        assert not set_organizer(session, user_id=42, add=True, actor_id=900, now=NOW)
        assert set_organizer(session, user_id=42, add=False, actor_id=900, now=NOW)
        assert not set_organizer(session, user_id=42, add=False, actor_id=900, now=NOW)
    assert len(audit(engine)) == 2
