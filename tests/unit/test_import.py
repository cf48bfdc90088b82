"""Importing case files: the sample data, idempotence, and files that must change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import SQLModel, select

from storage.database.engine import session_scope
from storage.database.models import (
    AuditEntry,
    Case,
    CaseName,
    Court,
    Hearing,
    LetterGuide,
    Person,
    TimelineEvent,
)
from storage.domain.names import name_key
from storage.files.casefile import CaseFileError, parse_case_file, parse_partial_date, parse_term
from storage.files.importer import SAMPLE_FILE, import_file

SEED_PEOPLE = {
    "murager-alimuly": "Murager Alimuly",
    "qaster-musakhanuly": "Qaster Musakhanuly",
    "tilek-tabarikuly": "Tilek Tabarikuly",
    "qaisha-aqan": "Qaisha Aqan",
    "sayragul-sauytbay": "Sayragul Sauytbay",
}


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of the case tables and the letter guide, as text, to compare before and after."""
    tables: dict[str, type[SQLModel]] = {
        "cases": Case,
        "names": CaseName,
        "courts": Court,
        "hearings": Hearing,
        "people": Person,
        "events": TimelineEvent,
        "letter_guides": LetterGuide,
    }
    with session_scope(engine) as session:
        return {
            name: sorted(repr(row.model_dump()) for row in session.exec(select(model)).all())
            for name, model in tables.items()
        }


def test_sample_file_holds_the_five_people_with_every_script(engine: Engine) -> None:
    with session_scope(engine) as session:
        report = import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    assert sorted(report.added) == sorted(SEED_PEOPLE)
    with session_scope(engine) as session:
        for slug, latin in SEED_PEOPLE.items():
            case = session.exec(select(Case).where(Case.slug == slug)).one()
            names = session.exec(select(CaseName).where(CaseName.case_id == case.id)).all()
            primary = {name.lang: name.text for name in names if name.is_primary}
            assert set(primary) == {"kk", "ru", "en"}, slug
            assert primary["en"] == latin
            assert all(name.key == name_key(name.text) for name in names)
            events = session.exec(
                select(TimelineEvent).where(TimelineEvent.case_id == case.id)
            ).all()
            assert events, slug
            for event in events:
                assert set(event.text) == {"kk", "ru", "en"}, (slug, event.occurred_on)
                assert event.source_title, (slug, event.occurred_on)


def test_sample_facts_from_the_articles(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    with session_scope(engine) as session:
        alimuly = session.exec(select(Case).where(Case.slug == "murager-alimuly")).one()
        assert (alimuly.sentence_months, alimuly.credit_ratio) == (12, 2.0)
        assert alimuly.verdict_on == date(2020, 1, 21)
        assert alimuly.detained_on == date(2019, 10, 18)
        assert alimuly.protection == "asylum_seeker"
        assert alimuly.risk == "deportation_blocked"
        verdict = session.exec(
            select(Hearing).where(Hearing.case_id == alimuly.id).order_by(Hearing.starts_at.desc())  # type: ignore[attr-defined]
        ).first()
        assert verdict is not None
        # Midnight in Zaysan on 21 January 2020 was 18:00 UTC the day before (UTC+6 then).
        assert verdict.starts_at == datetime(2020, 1, 20, 18, 0, tzinfo=UTC)
        assert verdict.tz == "Asia/Almaty"
        sauytbay = session.exec(select(Case).where(Case.slug == "sayragul-sauytbay")).one()
        assert sauytbay.custody == "abroad"
        aliases = session.exec(select(CaseName.text).where(CaseName.case_id == sauytbay.id)).all()
        assert "Sayragul Sautbay" in aliases


SMALL_FILE = """\
format: casebot-cases/1
courts:
  - {slug: zaysan-court, tz: Asia/Almaty, name: {kk: Зайсан соты, en: Zaysan court}}
sources:
  - {id: diplomat, title: "2 More Ethnic Kazakhs", outlet: The Diplomat, url: "https://x.org/a"}
  - {id: print, title: A print weekly}
letter_guide: {en: "Write briefly; never about the trial.", kk: Қысқа жазыңыз}
cases:
  - slug: murager-alimuly
    names:
      - {lang: kk, text: Мұрагер Әлімұлы, primary: true}
      - {lang: en, text: Murager Alimuly, primary: true}
      - {lang: zh, text: 木拉格尔·阿里木}
      - {lang: alias, text: Murager Alimov}
    summary: {en: Sentenced to a year., ru: Приговорён к году.}
    status: {custody: imprisoned, proceedings: sentenced, protection: asylum_seeker}
    sentence: {term: 1y, ratio: 2, detained: 2019-10-18, verdict: 2020-01-21, suspended: false}
    hearings:
      - date: 2020-01-21
        court: zaysan-court
        judge: {en: Shynar Ospanova}
        status: held
        note: {en: "Verdict: one year."}
      - {date: 2026-09-01, time: "10:30", court: zaysan-court}
    people:
      - {role: lawyer, name: {en: Lyazzat Akhatova}, note: {en: Defence lawyer.}}
    timeline:
      - {date: "2019-08", lang: en, text: {en: Held for a day.}, source: print}
      - {date: 2020-01-21, lang: en, text: {en: Sentenced., kk: Сотталды.}, source: diplomat}
      - {date: 2020-01-21, lang: en, text: {en: The anthem was sung.}, source: diplomat}
  - slug: qaisha-aqan
    names: [{lang: en, text: Qaisha Aqan, primary: true}]
    status: {custody: abroad, proceedings: sentenced}
    sentence: {term: 6m, suspended: unknown}
    timeline:
      - {date: "2019", lang: en, text: {en: Sentenced to six months.}}
"""
"""Two cases with a row of every kind: courts, sources, names, hearings, people, events."""


def test_second_import_changes_nothing_and_says_so(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(SMALL_FILE, encoding="utf-8")
    with session_scope(engine) as session:
        assert sorted(import_file(session, path, default_tz="Asia/Almaty").added) == [
            "murager-alimuly",
            "qaisha-aqan",
        ]
    before = snapshot(engine)
    assert all(before.values()), before
    with session_scope(engine) as session:
        audit_before = len(session.exec(select(AuditEntry)).all())
        report = import_file(session, path, default_tz="Asia/Almaty")
    assert report.nothing_changed
    assert "No change" in report.summary()
    assert snapshot(engine) == before
    with session_scope(engine) as session:
        assert len(session.exec(select(AuditEntry)).all()) == audit_before


def test_an_edited_file_reports_what_changed(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(SMALL_FILE, encoding="utf-8")
    with session_scope(engine) as session:
        import_file(session, path, default_tz="Asia/Almaty")
    edited = tmp_path / "edited.yaml"
    edited.write_text(SMALL_FILE.replace("custody: abroad", "custody: free", 1), encoding="utf-8")
    with session_scope(engine) as session:
        report = import_file(session, edited, default_tz="Asia/Almaty")
    assert list(report.changed) == ["qaisha-aqan"]
    assert "custody" in report.changed["qaisha-aqan"]


BAD_FILE = """\
format: casebot-cases/1
courts:
  - slug: court-a
    tz: Asia/Almaty
    name: {en: Court A}
cases:
  - slug: good-case
    names: [{lang: en, text: Good Person}]
  - slug: bad-case
    names: [{lang: en, text: Bad Person}]
    status: {custody: on_the_moon}
    hearings:
      - {date: 2020-02-30, court: court-a}
      - {date: 2020-03-01, time: "25:99", court: nowhere}
    timeline:
      - {date: 2019-13, lang: en, text: {en: x}}
"""


def test_a_file_with_bad_rows_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_FILE, encoding="utf-8")
    before = snapshot(engine)
    with pytest.raises(CaseFileError) as caught, session_scope(engine) as session:
        import_file(session, path, default_tz="Asia/Almaty")
    problems = "\n".join(caught.value.problems)
    assert "line 11" in problems and "on_the_moon" in problems
    assert "2020-02-30" in problems
    assert "25:99" in problems and "nowhere" in problems
    assert "2019-13" in problems
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just text",
        "format: other/1",
        "format: casebot-cases/1\nsurprise: 1",
        "format: casebot-cases/1\ncases: [{slug: Bad Slug, names: [{lang: en, text: X}]}]",
        "format: casebot-cases/1\ncases: [{slug: x}]",
        "{unclosed",
    ],
)
def test_invalid_files_are_refused(text: str) -> None:
    with pytest.raises(CaseFileError):
        parse_case_file(text)


def test_unquoted_time_is_understood() -> None:
    data = parse_case_file(
        "format: casebot-cases/1\ncases:\n  - slug: x\n    names: [{lang: en, text: X}]\n"
        "    hearings: [{date: 2025-03-04, time: 10:30}]\n"
    )
    assert data.cases[0].hearings[0].time is not None
    assert data.cases[0].hearings[0].time.strftime("%H:%M") == "10:30"


def test_terms_and_partial_dates() -> None:
    assert parse_term("1y") == (12, 0)
    assert parse_term("1y6m") == (18, 0)
    assert parse_term("3m3d") == (3, 3)
    assert parse_partial_date("2019-10") == (date(2019, 10, 1), "month")
    assert parse_partial_date("2018") == (date(2018, 1, 1), "year")
    for bad in ("", "0d", "y", "1x"):
        with pytest.raises(ValueError):
            parse_term(bad)
