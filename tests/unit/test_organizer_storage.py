"""Organizer storage without Telegram: slugs, courts matched in any language, similar
cases, questions answered once, remembered names, and the audit described in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from messages import translator
from messages.audit import describe, person
from storage.database.engine import session_scope
from storage.database.models import Case, Court
from storage.domain.search import SearchIndex, load_index
from storage.payloads import EventQuestion, NewCaseQuestion
from storage.usecases.drafts import send_draft
from storage.usecases.editing import (
    create_case,
    find_or_create_court,
    latin_slug,
    list_organizers,
    match_court,
    set_organizer,
    similar_cases,
)
from storage.usecases.questions import answer_question, ask
from storage.usecases.subscribers import KnownName, known_names, remember_name
from tests.factories import add_case, add_court

NOW = datetime(2026, 6, 19, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Aibek Serikuly", "aibek-serikuly"),
        ("Айбек Серікұлы", "aybek-serikuly"),
        ("Qaster Musakhanuly", "qaster-musakhanuly"),
        ("Éloïse O'Brien", "eloise-obrien"),
        ("☃", ""),
        ("A" * 80, "a" * 50),
    ],
)
def test_slugs_follow_the_names_own_latin_spelling(name: str, slug: str) -> None:
    assert latin_slug(name) == slug


def test_numbered_slugs_when_taken(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = create_case(session, name="Aibek Serikuly", lang="en", actor_id=1, now=NOW)
        second = create_case(session, name="Aibek Serikuly", lang="en", actor_id=1, now=NOW)
        empty = create_case(session, name="☃", lang="en", actor_id=1, now=NOW)
        assert (first.slug, second.slug, empty.slug) == (
            "aibek-serikuly",
            "aibek-serikuly-2",
            "case",
        )


ZAYSAN = Court(
    id=1,
    slug="zaysan-court",
    tz="Asia/Almaty",
    name={"kk": "Зайсан соты", "ru": "Зайсанский суд", "en": "Zaysan court"},
)
ZHARKENT = Court(
    id=2,
    slug="zharkent-court",
    tz="Asia/Almaty",
    name={"kk": "Жаркент соты", "ru": "Жаркентский суд", "en": "Zharkent court"},
)


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("Zaysan court", "zaysan-court"),
        ("Зайсанский суд", "zaysan-court"),
        ("Зайсан соты", "zaysan-court"),
        ("ZAYSAN  COURT", "zaysan-court"),
        ("Zaisan cort", "zaysan-court"),
        ("Зайсанскии суд", "zaysan-court"),
        ("Зайсанкий суд", "zaysan-court"),
        ("Zharkent sot", "zharkent-court"),
        ("zaysan-court", "zaysan-court"),
        ("court", None),  # both courts are courts: not a guess
        ("Almaty city court", None),
        ("2", None),  # a number is not a court's id
        ("", None),
    ],
)
def test_courts_match_across_languages_and_spellings(typed: str, slug: str | None) -> None:
    found = match_court([ZAYSAN, ZHARKENT], typed)
    assert (found.slug if found else None) == slug


def test_find_or_create_court_reuses_a_known_court(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_court(session, slug="zaysan-court", name=ZAYSAN.name, city={"ru": "Зайсан"})
        add_court(session, slug="zharkent-court", name=ZHARKENT.name, city={"ru": "Жаркент"})
        before = len(session.exec(select(Court)).all())
        court = find_or_create_court(
            session, name="Зайсанский суд", city="Зайсан", lang="ru", tz="Asia/Almaty"
        )
        assert court.slug == "zaysan-court"
        new = find_or_create_court(
            session, name="Almaty city court", city="Almaty", lang="en", tz="Asia/Almaty"
        )
        assert new.slug == "almaty-city-court" and new.name == {"en": "Almaty city court"}
        assert len(session.exec(select(Court)).all()) == before + 1


def test_similar_cases_exact_key_then_close(engine: Engine) -> None:
    with session_scope(engine) as session:
        names = {"kk": "Мұрагер Әлімұлы", "ru": "Мурагер Алимулы", "en": "Murager Alimuly"}
        murager = add_case(session, slug="murager-alimuly", names=names)
        names = {"kk": "Қастер Мұсаханұлы", "en": "Qaster Musakhanuly"}
        add_case(session, slug="qaster-musakhanuly", names=names)
        index: SearchIndex = load_index(session)
        assert similar_cases(session, "Мұрагер Әлімұлы", index.search) == [murager.id]
        assert similar_cases(session, "Murager Alimly", index.search) == [murager.id]
        assert similar_cases(session, "Aibek Serikuly", index.search) == []


def test_a_question_is_answered_once_by_whom_it_asked(engine: Engine) -> None:
    with session_scope(engine) as session:
        question = ask(
            session, actor_id=900, kind="new_case", params=NewCaseQuestion("X", "en"), now=NOW
        )
    with session_scope(engine) as session:
        assert answer_question(
            session, question_id=question, actor_id=777, yes=True, now=NOW
        ).state == ("missing")
        # A preview's Send cannot make a question's edit.
        assert send_draft(session, draft_id=question, actor_id=900, now=NOW).state == "done"
        found = answer_question(session, question_id=question, actor_id=900, yes=True, now=NOW)
        assert (found.state, found.kind, found.params) == (
            "yes",
            "new_case",
            NewCaseQuestion("X", "en"),
        )
    with session_scope(engine) as session:
        again = answer_question(session, question_id=question, actor_id=900, yes=True, now=NOW)
        assert again.state == "done"
        event = EventQuestion(day=NOW.date(), precision="day", text="x", lang="en")
        late = ask(session, actor_id=900, kind="event", params=event, now=NOW, case_id=None)
        later = NOW + timedelta(minutes=16)
        assert answer_question(
            session, question_id=late, actor_id=900, yes=False, now=later
        ).state == ("expired")
        assert answer_question(session, question_id=999, actor_id=900, yes=True, now=NOW).state == (
            "missing"
        )
        assert session.exec(select(Case)).all() == []


def test_names_are_remembered_and_listed(engine: Engine) -> None:
    with session_scope(engine) as session:
        remember_name(session, user_id=900, username="aigerim_k", first_name="Aigerim", now=NOW)
        remember_name(session, user_id=900, username="aigerim_k", first_name="Aigerim", now=NOW)
        remember_name(session, user_id=777, username=None, first_name="  Daulet  ", now=NOW)
        set_organizer(session, user_id=777, add=True, actor_id=900, now=NOW)
        set_organizer(session, user_id=778, add=True, actor_id=900, now=NOW)
    with session_scope(engine) as session:
        names = known_names(session, [900, 777, 5])
        assert names == {
            900: KnownName("aigerim_k", "Aigerim"),
            777: KnownName(None, "Daulet"),
        }
        rows = list_organizers(session, admins=frozenset({900}))
        assert [(row.user_id, row.admin, row.added_by) for row in rows] == [
            (900, True, None),
            (777, False, 900),
            (778, False, 900),
        ]
    en = translator("en")
    assert person(en, 900, names[900]) == "Aigerim @aigerim_k (900)"
    assert person(en, 777, names[777]) == "Daulet (777)"
    assert person(en, 778, None) == "user 778"


HEARING = {
    "starts_at": "2026-12-20T05:00:00+00:00",
    "tz": "Asia/Almaty",
    "time_known": True,
    "court": {"en": "Zaysan court", "ru": "Зайсанский суд", "kk": "Зайсан соты"},
    "city": {"en": "Zaysan", "ru": "Зайсан", "kk": "Зайсан"},
}


@pytest.mark.parametrize(
    ("lang", "action", "before", "after", "expected"),
    [
        (
            "en",
            "hearing_set",
            {},
            HEARING,
            "hearing set: December 20, 2026, 10:00 (UTC+5), Zaysan court, Zaysan",
        ),
        (
            "ru",
            "hearing_set",
            {},
            HEARING,
            "заседание назначено: 20 декабря 2026\u202fг., 10:00 (UTC+5), Зайсанский суд, Зайсан",
        ),
        (
            "en",
            "status",
            {"custody": "detained"},
            {"custody": "released", "note": {}},
            "custody: in pre-trial detention → released",
        ),
        (
            "en",
            "translate",
            {"event": 48, "text": {"en": "Released"}},
            {"event": 48, "ru": "Освобождён"},
            "translation of event 48 into Russian: Освобождён",
        ),
        (
            "kk",
            "translate",
            {"event": 48, "text": {"en": "Released"}},
            {"event": 48, "ru": "Освобождён"},
            "48-оқиғаның орысша аудармасы: Освобождён",
        ),
        (
            "en",
            "sentence",
            {"sentence_months": 12, "sentence_days": 0, "verdict_on": None},
            {"sentence_months": 24, "sentence_days": 0, "verdict_on": "2020-01-21"},
            "sentence: term: 1 year → 2 years; verdict on: — → January 21, 2020",
        ),
        (
            "en",
            "add_event",
            {},
            {"event": 7, "date": "2020-05-01", "precision": "month", "lang": "ru", "text": "X"},
            "event 7 added (May 2020, in Russian): X",
        ),
        ("en", "add_name", {}, {"lang": "alias", "text": "Murat"}, "another spelling added: Murat"),
        (
            "en",
            "undo",
            {"draft": 3},
            {"undid": "status", "corrections": 2},
            "undone: status (2 corrections sent)",
        ),
        (
            "en",
            "new_case",
            {},
            {"slug": "aibek-serikuly", "name": "Aibek Serikuly", "lang": "en"},
            "case created: Aibek Serikuly (short name: aibek-serikuly)",
        ),
        ("en", "import", {}, {"changes": ["created", "name X"]}, "imported from a case file: 2"),
        ("en", "mystery", {}, {"a": 1}, "mystery: a=1"),
        ("en", "hearing_set", {}, {"odd": True}, "hearing set: —"),
    ],
)
def test_audit_entries_in_words(
    lang: str, action: str, before: dict[str, object], after: dict[str, object], expected: str
) -> None:
    assert describe(translator(lang), action, before, after, "Asia/Almaty").startswith(expected)
