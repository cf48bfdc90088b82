"""What the export tests store: plain cases as organizers enter them, a case with every
field set, and the rows of a database compared without ids and timestamps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

import storage.database.engine
from storage.database.models import (
    Case,
    CaseName,
    Court,
    Hearing,
    LetterGuide,
    Person,
    TimelineEvent,
)
from storage.domain.names import name_key
from storage.files.importer import SAMPLE_FILE, import_file
from tests.factories import (
    add_case,
    add_court,
    add_hearing,
    add_name,
    add_person,
    add_timeline_event,
    sentenced,
    source,
)

TZ = "Asia/Almaty"
QUOTED_ALIAS = 'Aliev, "Ali"\nsecond line'
LETTER_ADDRESS = 'СИЗО-1, "корпус 2",\nг. Алматы, 050000'
GUIDE_KK = "=Қысқа жазыңыз; сот туралы жазбаңыз"
GUIDE_EN = 'Write "briefly",\nnever about the trial.'

MakeDb = Callable[[str], Engine]


def rows(engine: Engine) -> dict[str, list[str]]:
    """Every case table's rows without ids, timestamps and edit counters, links as slugs."""
    skip = {"id", "created_at", "updated_at", "updated_by", "version", "case_id", "court_id"}
    models: dict[
        str, type[Case | CaseName | Court | Hearing | Person | TimelineEvent | LetterGuide]
    ] = {
        "cases": Case,
        "names": CaseName,
        "courts": Court,
        "hearings": Hearing,
        "people": Person,
        "events": TimelineEvent,
        "letter_guides": LetterGuide,
    }
    with storage.database.engine.session_scope(engine) as session:
        cases = {case.id: case.slug for case in session.exec(select(Case)).all()}
        courts = {court.id: court.slug for court in session.exec(select(Court)).all()}
        result: dict[str, list[str]] = {}
        for table, model in models.items():
            dumped = []
            for row in session.exec(select(model)).all():
                data = row.model_dump(exclude=skip)
                if hasattr(row, "case_id"):
                    data["case"] = cases[row.case_id]
                if isinstance(row, Hearing):
                    data["court"] = courts.get(row.court_id)
                dumped.append(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False))
            result[table] = sorted(dumped)
        return result


def load_sample(engine: Engine) -> None:
    """The shipped sample cases, imported."""
    with storage.database.engine.session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz=TZ)


DIPLOMAT = source("2 More Ethnic Kazakhs", "The Diplomat", "https://thediplomat.com/2020/01/a/")
FERGANA = source("Death sentence for the Kazakh brother", "Fergana", "https://fergana.news/b/")
WEEKLY = source("Asylum in Sweden", "Blue Domes", "https://bluedomes.net/c/")


def add_plain_cases(session: Session) -> None:
    """Three cases as organizers enter them, in two courts: five hearings, sources shared
    between cases (three articles), partial dates, a Chinese name and aliases."""
    zaysan = add_court(session, name={"kk": "Зайсан соты", "en": "Zaysan court"})
    zharkent = add_court(session, slug="zharkent-court", name={"en": "Zharkent court"})
    names = {"kk": "Мұрагер Әлімұлы", "ru": "Мурагер Алимулы", "en": "Murager Alimuly"}
    terms = sentenced(date(2019, 10, 18), date(2020, 1, 21), 12, ratio=2)
    murager = add_case(session, slug="murager-alimuly", names=names, sentence_days=0, **terms)
    add_name(session, murager, "木拉格尔·阿里木", lang="zh")
    qaster = add_case(session, slug="qaster-musakhanuly", names={"en": "Qaster Musakhanuly"})
    add_name(session, qaster, "Kaster Musakhanuly")
    add_name(session, qaster, "Musakhauly")
    sayragul = add_case(session, slug="sayragul-sauytbay", names={"en": "Sayragul Sauytbay"})
    for case, day in ((murager, 6), (murager, 21), (qaster, 6), (qaster, 21)):
        starts_at = datetime(2020, 1, day, 4, 0, tzinfo=UTC)
        add_hearing(session, case, starts_at=starts_at, court=zaysan, status="held")
    add_hearing(session, sayragul, starts_at=datetime(2018, 8, 1, 4, 0, tzinfo=UTC), court=zharkent)
    add_person(session, murager, note={"en": "Defence lawyer"})
    add_timeline_event(session, murager, on=date(2019, 8, 1), precision="month", **FERGANA)
    add_timeline_event(session, murager, on=date(2019, 10, 1), **DIPLOMAT)
    add_timeline_event(session, qaster, on=date(2019, 10, 1), **DIPLOMAT)
    add_timeline_event(session, qaster, on=date(2019, 12, 9), **FERGANA)
    add_timeline_event(session, sayragul, on=date(2018, 1, 1), precision="year", **WEEKLY)


def add_rich_case(session: Session) -> None:
    """A case with every field set, built as the bot's own code would store it."""
    oral = Court(
        slug="oral-court",
        tz="Asia/Oral",
        name={"ru": "Уральский суд", "en": "Oral court"},
        city={"en": "Oral"},
        address={"ru": "ул. Достык, 1", "en": "1 Dostyk street"},
        note={"kk": "Кіреберіс аулада", "en": "Entrance from the yard: bring an ID card"},
        lat=51.233333,
        lon=-0.5,
    )
    unused = Court(slug="unused-court", tz="Europe/Moscow", name={"en": "Unused"}, city={})
    session.add_all([oral, unused])
    case = Case(
        slug="rich-case",
        custody="detained",
        proceedings="trial",
        protection=None,
        risk=None,
        summary={"ru": 'Сводка, с "кавычками"\nи второй строкой', "kk": "Қысқаша"},
        summary_lang="ru",
        sentence_months=18,
        sentence_days=3,
        credit_ratio=1.5,
        detained_on=date(2023, 2, 1),
        verdict_on=date(2024, 6, 1),
        release_on=date(2024, 12, 31),
        suspended=True,
        letter_address=LETTER_ADDRESS,
        letters_reach=False,
        letter_langs=["ru", "no", "ug"],  # "no" (Norwegian) is false to YAML unless quoted
    )
    bare = Case(slug="bare-case")
    _add_letter_guide(session)
    session.add_all([case, bare])
    session.flush()
    assert case.id is not None and bare.id is not None and oral.id is not None
    names = [
        ("kk", "Әли Әлиев", True),
        ("ru", "Али Алиев", True),
        ("en", 'Ali "Ali" Aliev', True),
        ("alias", QUOTED_ALIAS, False),
    ]
    for lang, text, primary in names:
        session.add(
            CaseName(case_id=case.id, lang=lang, text=text, is_primary=primary, key=name_key(text))
        )
    session.add(CaseName(case_id=bare.id, lang="en", text="Bare", key=name_key("Bare")))

    _add_rich_hearings(session, case.id, oral.id)
    _add_rich_people(session, case.id)
    _add_rich_events(session, case.id)


def _add_rich_people(session: Session, case_id: int) -> None:
    """The rich case's lawyer (quotes in the note) and organisation."""
    session.add_all(
        [
            Person(
                case_id=case_id,
                role="lawyer",
                name={"kk": "Адвокат", "ru": "Адвокат", "en": "Lawyer, Esq."},
                note={"en": 'Says "no comment"'},
            ),
            Person(case_id=case_id, role="organisation", name={"ru": "Атажурт"}, note={}),
        ]
    )


def _add_letter_guide(session: Session) -> None:
    """The letter guide, in two languages: one opens with "=" (a formula to a spreadsheet),
    one holds quotes and a line break."""
    session.add(LetterGuide(lang="kk", text=GUIDE_KK, updated_by=900))
    session.add(LetterGuide(lang="en", text=GUIDE_EN))


def _instant(day: date, hour: int, minute: int, zone: str) -> datetime:
    """The UTC instant of a local time in `zone`."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC)


def _add_rich_hearings(session: Session, case_id: int, oral_id: int) -> None:
    """The rich case's hearings: in its court's zone; no court, no hour; another zone."""
    session.add_all(
        [
            Hearing(  # in the Oral court's own zone, hour known
                case_id=case_id,
                court_id=oral_id,
                starts_at=_instant(date(2024, 5, 2), 9, 30, "Asia/Oral"),
                tz="Asia/Oral",
                status="held",
                judge={"en": "Judge Dredd", "ru": "Судья Дредд"},
                note={"ru": "Заседание, отложено", "kk": "Отырыс"},
                note_lang="ru",
            ),
            Hearing(  # no court, hour not known, in Moscow
                case_id=case_id,
                starts_at=_instant(date(2024, 5, 20), 0, 0, "Europe/Moscow"),
                tz="Europe/Moscow",
                time_known=False,
                status="scheduled",
            ),
            Hearing(  # in the Oral court, but held in another zone than the court's
                case_id=case_id,
                court_id=oral_id,
                starts_at=_instant(date(2024, 6, 1), 14, 0, TZ),
                tz=TZ,
                status="postponed",
                note={"en": "Moved, again"},
                note_lang="en",
            ),
        ]
    )


def _add_rich_events(session: Session, case_id: int) -> None:
    """The rich case's events: partial dates, a source cited twice, a title alone."""

    def full_source(event: TimelineEvent) -> TimelineEvent:
        event.source_title = "An article, with a comma"
        event.source_outlet = "Outlet"
        event.source_url = "https://example.org/a?b=1,2"
        return event

    session.add_all(
        [
            full_source(
                TimelineEvent(
                    case_id=case_id,
                    occurred_on=date(2024, 6, 1),
                    precision="day",
                    lang="ru",
                    text={"ru": "Приговор", "en": "Verdict"},
                )
            ),
            TimelineEvent(
                case_id=case_id,
                occurred_on=date(2019, 10, 1),
                precision="month",
                lang="en",
                text={"en": "Month only"},
                source_title="No address",
                source_outlet="Print weekly",
            ),
            TimelineEvent(
                case_id=case_id,
                occurred_on=date(2018, 1, 1),
                precision="year",
                lang="kk",
                text={"kk": "Жыл ғана"},
            ),
            full_source(
                TimelineEvent(
                    case_id=case_id,
                    occurred_on=date(2024, 6, 2),
                    precision="day",
                    lang="en",
                    text={"en": "Same article again"},
                )
            ),
            TimelineEvent(
                case_id=case_id,
                occurred_on=date(2024, 6, 2),
                precision="day",
                lang="en",
                text={"en": "A title alone"},
                source_title="Title only",
            ),
        ]
    )
