"""Small factories for tests: a case, a name, a court, a hearing, a timeline event and
its source, a person, a follower, each with only the fields a test names, so a test
says what it depends on instead of leaning on the shipped sample cases.

They write rows directly (flushed, not committed: the caller's ``session_scope``
commits), with name keys computed as storage computes them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from storage.database.models import (
    Case,
    CaseName,
    Court,
    Hearing,
    Person,
    Subscriber,
    Subscription,
    TimelineEvent,
)
from storage.domain.names import name_key

CREATED = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
"""When factory rows say they were created (long before any test's clock)."""


def add_case(
    session: Session,
    *,
    slug: str = "aqan-serikuly",
    names: dict[str, str] | None = None,
    custody: str | None = "detained",
    **fields: Any,
) -> Case:
    """A case with its names (``{lang: text}``; the first of each language is primary)
    and any other Case field given by keyword."""
    case = Case(slug=slug, custody=custody, created_at=CREATED, updated_at=CREATED, **fields)
    session.add(case)
    session.flush()
    assert case.id is not None
    for lang, text in (names or {"en": "Aqan Serikuly", "kk": "Ақан Серікұлы"}).items():
        session.add(
            CaseName(
                case_id=case.id,
                lang=lang,
                text=text,
                is_primary=lang != "alias",
                key=name_key(text),
            )
        )
    session.flush()
    return case


def add_name(
    session: Session, case: Case, text: str, *, lang: str = "alias", primary: bool = False
) -> CaseName:
    """Another name or spelling of `case`'s person (by default a non-primary alias)."""
    assert case.id is not None
    name = CaseName(case_id=case.id, lang=lang, text=text, is_primary=primary, key=name_key(text))
    session.add(name)
    session.flush()
    return name


def add_court(
    session: Session,
    *,
    slug: str = "zaysan-court",
    name: dict[str, str] | None = None,
    city: dict[str, str] | None = None,
    tz: str = "Asia/Almaty",
) -> Court:
    """A court, by default the Zaysan district court."""
    court = Court(
        slug=slug,
        tz=tz,
        name=name or {"en": "Zaysan district court", "ru": "Зайсанский районный суд"},
        city=city or {"en": "Zaysan", "ru": "Зайсан"},
    )
    session.add(court)
    session.flush()
    return court


def add_hearing(
    session: Session,
    case: Case,
    *,
    starts_at: datetime,
    court: Court | None = None,
    tz: str = "Asia/Almaty",
    **fields: Any,
) -> Hearing:
    """A scheduled hearing of `case` at `starts_at` (UTC)."""
    assert case.id is not None
    hearing = Hearing(
        case_id=case.id,
        court_id=court.id if court is not None else None,
        starts_at=starts_at,
        tz=tz,
        created_at=CREATED,
        updated_at=CREATED,
        **fields,
    )
    session.add(hearing)
    session.flush()
    return hearing


def add_timeline_event(
    session: Session,
    case: Case,
    *,
    on: date,
    text: dict[str, str] | None = None,
    precision: str = "day",
    lang: str = "en",
    created_at: datetime = CREATED,
    **fields: Any,
) -> TimelineEvent:
    """A timeline event of `case` on `on` (``text``: ``{lang: text}``, by default one
    English line), with any other TimelineEvent field (e.g. ``**source(...)``)."""
    assert case.id is not None
    event = TimelineEvent(
        case_id=case.id,
        occurred_on=on,
        precision=precision,
        lang=lang,
        text=text or {"en": f"Something happened on {on.isoformat()}"},
        created_at=created_at,
        **fields,
    )
    session.add(event)
    session.flush()
    return event


def source(title: str, outlet: str | None = None, url: str | None = None) -> Any:
    """Event fields of the article an event comes from (``add_timeline_event(**source(...))``)."""
    return {"source_title": title, "source_outlet": outlet, "source_url": url}


def add_person(
    session: Session,
    case: Case,
    *,
    role: str = "lawyer",
    name: dict[str, str] | None = None,
    note: dict[str, str] | None = None,
) -> Person:
    """Someone around `case` (by default a lawyer), with their name per language."""
    assert case.id is not None
    person = Person(
        case_id=case.id, role=role, name=name or {"en": "Lyazzat Akhatova"}, note=note or {}
    )
    session.add(person)
    session.flush()
    return person


def add_follower(
    session: Session,
    case: Case,
    *,
    chat_id: int,
    lang: str = "en",
    reminders: str | None = None,
    since: datetime = CREATED,
    **fields: Any,
) -> Subscriber:
    """A private chat following `case` since `since`, in `lang`."""
    assert case.id is not None
    subscriber = session.get(Subscriber, chat_id)
    if subscriber is None:
        subscriber = Subscriber(chat_id=chat_id, lang=lang, reminders=reminders, **fields)
        session.add(subscriber)
        session.flush()
    session.add(Subscription(chat_id=chat_id, case_id=case.id, created_at=since))
    session.flush()
    return subscriber


def sentenced(detained_on: date, verdict_on: date, months: int, ratio: float = 1.5) -> Any:
    """Case fields of a prison sentence (for ``add_case(**sentenced(...))``)."""
    return {
        "detained_on": detained_on,
        "verdict_on": verdict_on,
        "sentence_months": months,
        "credit_ratio": ratio,
        "suspended": False,
    }
