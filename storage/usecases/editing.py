"""Organizer edits that alert no one (new cases, names, timeline events, translations,
organizers), and the reads organizers use: cases a new one may duplicate, the audit log,
the organizers, the delivery statistics; and courts, found by any of their names in any
language or spelling.

Every write here records an audit entry in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from storage.database.models import (
    AuditEntry,
    Case,
    CaseName,
    Court,
    Organizer,
    Subscriber,
    Subscription,
    TimelineEvent,
)
from storage.domain.names import name_key, to_latin
from storage.domain.scripts import chinese
from storage.domain.search import IndexedCase, SearchIndex, SearchResult
from storage.outbox import count_by_status, enqueue_for_followers
from storage.payloads import TimelineAlert
from storage.usecases.auditing import record_audit as _audit
from storage.usecases.subscribers import KnownName, known_names
from storage.vocabulary import AlertKind

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[A-Za-z]")
_DIGITS_ONLY = re.compile(r"\s*(?:#|№|n[o°º]?\.?)?\s*\d+\s*", re.IGNORECASE)


def detect_language(text: str, fallback: str) -> str:
    """kk when Kazakh letters appear, ru for other Cyrillic, en for Latin, else `fallback`."""
    if any(char in KAZAKH_LETTERS for char in text):
        return "kk"
    cyrillic, latin = len(CYRILLIC.findall(text)), len(LATIN.findall(text))
    if cyrillic > latin:
        return "ru"
    if latin > cyrillic:
        return "en"
    return fallback


def detect_name_language(name: str, fallback: str) -> str:
    """The name language of a person's name: zh for Chinese characters, else as
    `detect_language` (kk, ru, en, or `fallback`)."""
    return "zh" if chinese.has_han(name) else detect_language(name, fallback)


SLUG_BASE = 50
"""The longest slug base: with a "-NN" suffix and "case_" it fits a deep link (64)."""


def latin_slug(name: str) -> str:
    """A name's own Latin spelling as a slug: "Aibek Serikuly" → "aibek-serikuly",
    "Айбек Серікұлы" → "aybek-serikuly" (transliterated, not folded like a search key)."""
    latin = unicodedata.normalize("NFKD", to_latin(unicodedata.normalize("NFC", name)))
    latin = "".join(char for char in latin if not unicodedata.combining(char)).lower()
    latin = re.sub(r"['’`]", "", latin)
    return re.sub(r"[^a-z0-9]+", "-", latin)[:SLUG_BASE].strip("-")


def slug_for(session: Session, name: str, model: type[Case | Court] = Case) -> str:
    """A free slug for a case (or a court, ``model``) from a name: its Latin spelling with
    hyphens, numbered when taken."""
    base = latin_slug(name) or model.__name__.lower()
    slug, number = base, 2
    while session.exec(select(model.id).where(model.slug == slug)).first() is not None:
        slug, number = f"{base}-{number}", number + 1
    return slug


def similar_cases(session: Session, name: str, search: Callable[[str], SearchResult]) -> list[int]:
    """Cases a new case named `name` may duplicate: those with a name of the same search
    key, then those the name search finds close (`search`), best first."""
    key = name_key(name)
    exact = (
        session.exec(
            select(CaseName.case_id).where(CaseName.key == key).order_by(col(CaseName.case_id))
        ).all()
        if key
        else []
    )
    close = [match.case_id for match in search(name).matches]
    return list(dict.fromkeys([*exact, *close]))


def indexed(session: Session, case_id: int) -> IndexedCase:
    """A case as the search index needs it (after its names changed)."""
    case = session.get(Case, case_id)
    assert case is not None
    names = session.exec(select(CaseName.text).where(CaseName.case_id == case_id)).all()
    return IndexedCase(case_id=case_id, slug=case.slug, names=tuple(names))


def create_case(
    session: Session, *, name: str, lang: str, actor_id: int | None, now: datetime
) -> Case:
    """A new case named `name` (its primary name in `lang`)."""
    case = Case(slug=slug_for(session, name), created_at=now, updated_at=now)
    session.add(case)
    session.flush()
    assert case.id is not None
    session.add(
        CaseName(case_id=case.id, lang=lang, text=name, is_primary=True, key=name_key(name))
    )
    _audit(
        session,
        actor_id=actor_id,
        case_id=case.id,
        action="new_case",
        before={},
        after={"slug": case.slug, "name": name, "lang": lang},
        now=now,
    )
    session.flush()
    return case


def add_name(
    session: Session,
    *,
    case_id: int,
    lang: str,
    text: str,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Add a name or spelling; False when the case already has it."""
    exists = session.exec(
        select(CaseName.id).where(
            CaseName.case_id == case_id, CaseName.lang == lang, CaseName.text == text
        )
    ).first()
    if exists is not None:
        return False
    has_primary = session.exec(
        select(CaseName.id).where(
            CaseName.case_id == case_id, CaseName.lang == lang, col(CaseName.is_primary).is_(True)
        )
    ).first()
    primary = lang != "alias" and has_primary is None
    session.add(
        CaseName(case_id=case_id, lang=lang, text=text, is_primary=primary, key=name_key(text))
    )
    case = session.get(Case, case_id)
    assert case is not None
    case.updated_at = now
    _audit(
        session,
        actor_id=actor_id,
        case_id=case_id,
        action="add_name",
        before={},
        after={"lang": lang, "text": text},
        now=now,
    )
    session.flush()
    return True


def add_event(
    session: Session,
    *,
    case_id: int,
    day: date,
    precision: str,
    text: str,
    lang: str,
    source_url: str | None,
    actor_id: int | None,
    now: datetime,
    basis: str | None = None,
) -> TimelineEvent:
    """Add a timeline event written in one language (``basis``: how it is known)."""
    event = TimelineEvent(
        case_id=case_id,
        basis=basis,
        occurred_on=day,
        precision=precision,
        lang=lang,
        text={lang: text},
        source_url=source_url,
        created_at=now,
    )
    session.add(event)
    case = session.get(Case, case_id)
    assert case is not None
    case.updated_at = now
    session.flush()
    _audit(
        session,
        actor_id=actor_id,
        case_id=case_id,
        action="add_event",
        before={},
        after={
            "event": event.id,
            "date": day.isoformat(),
            "precision": precision,
            "lang": lang,
            "text": text,
        },
        now=now,
    )
    enqueue_for_followers(  # only to those who chose timeline events in /settings
        session,
        case_id=case_id,
        kind=AlertKind.TIMELINE_EVENT,
        what=str(event.id),
        payload=TimelineAlert(event_id=event.id or 0),
        due_at=now,
        timeline_only=True,
    )
    return event


def translate_event(
    session: Session,
    *,
    event_id: int,
    lang: str,
    text: str,
    actor_id: int | None,
    now: datetime,
) -> TimelineEvent | None:
    """Add or replace one language's text of an event; None when there is no such event."""
    event = session.get(TimelineEvent, event_id)
    if event is None:
        return None
    before = dict(event.text)
    event.text = {**event.text, lang: text}
    _audit(
        session,
        actor_id=actor_id,
        case_id=event.case_id,
        action="translate",
        before={"event": event_id, "text": before},
        after={"event": event_id, lang: text},
        now=now,
    )
    session.flush()
    return event


def set_organizer(
    session: Session, *, user_id: int, add: bool, actor_id: int, now: datetime
) -> bool:
    """Add or remove an organizer; False when nothing changed."""
    current = session.get(Organizer, user_id)
    if add == (current is not None):
        return False
    if add:
        session.add(Organizer(user_id=user_id, added_by=actor_id, added_at=now))
    else:
        session.delete(current)
    _audit(
        session,
        actor_id=actor_id,
        case_id=None,
        action="organizer_add" if add else "organizer_remove",
        before={},
        after={"user_id": user_id},
        now=now,
    )
    session.flush()  # a removal is seen by the next look in this same transaction
    return True


@dataclass(frozen=True)
class OrganizerLine:
    """Someone with organizer rights: an admin (CASEBOT_ADMINS) or an organizer an admin
    added, with the Telegram name they last used, if any."""

    user_id: int
    admin: bool
    added_by: int | None
    added_at: datetime | None
    name: KnownName | None


def list_organizers(session: Session, *, admins: frozenset[int]) -> list[OrganizerLine]:
    """Admins first (by id), then the organizers they added (oldest first)."""
    added = {
        row.user_id: row
        for row in session.exec(
            select(Organizer).order_by(col(Organizer.added_at), col(Organizer.user_id))
        ).all()
    }
    names = known_names(session, [*admins, *added])
    ids = [*sorted(admins), *(user_id for user_id in added if user_id not in admins)]
    return [
        OrganizerLine(
            user_id=user_id,
            admin=user_id in admins,
            added_by=added[user_id].added_by if user_id in added else None,
            added_at=added[user_id].added_at if user_id in added else None,
            name=names.get(user_id),
        )
        for user_id in ids
    ]


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as organizers read it."""

    at: datetime
    actor_id: int | None
    action: str
    before: dict[str, Any]
    after: dict[str, Any]


def list_audit(
    session: Session, *, case_id: int, offset: int, limit: int
) -> tuple[list[AuditLine], int]:
    """A case's audit entries, newest first, and how many there are."""
    total = int(
        session.exec(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.case_id == case_id)
        ).one()
    )
    rows = session.exec(
        select(AuditEntry)
        .where(AuditEntry.case_id == case_id)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        AuditLine(row.at, row.actor_id, row.action, row.before, row.after) for row in rows
    ], total


@dataclass(frozen=True)
class Stats:
    """Subscribers per case and per language, deliveries by status, blocked recipients."""

    per_case: list[tuple[int, int]]
    per_language: dict[str, int]
    deliveries: dict[str, int]
    blocked: int
    subscribers: int


def get_stats(session: Session, *, language_of: Callable[[str | None, str | None], str]) -> Stats:
    """The figures /stats shows (a few grouped queries).

    `language_of(chosen, telegram_code)` says which language a subscriber reads.
    """
    per_case = session.exec(
        select(Subscription.case_id, func.count())
        .join(Subscriber, col(Subscriber.chat_id) == col(Subscription.chat_id))
        .where(col(Subscriber.blocked).is_(False), col(Subscriber.gone).is_(False))
        .group_by(col(Subscription.case_id))
        .order_by(col(Subscription.case_id))
    ).all()
    languages: Counter[str] = Counter()
    for lang, telegram_lang, count in session.exec(
        select(Subscriber.lang, Subscriber.telegram_lang, func.count())
        .where(col(Subscriber.blocked).is_(False), col(Subscriber.gone).is_(False))
        .group_by(col(Subscriber.lang), col(Subscriber.telegram_lang))
    ).all():
        languages[language_of(lang, telegram_lang)] += int(count)
    blocked = int(
        session.exec(
            select(func.count())
            .select_from(Subscriber)
            .where(col(Subscriber.blocked).is_(True) | col(Subscriber.gone).is_(True))
        ).one()
    )
    subscribers = int(session.exec(select(func.count()).select_from(Subscriber)).one())
    return Stats(
        per_case=[(int(case_id), int(count)) for case_id, count in per_case],
        per_language=dict(languages),
        deliveries=count_by_status(session),
        blocked=blocked,
        subscribers=subscribers,
    )


def match_court(courts: list[Court], name: str) -> Court | None:
    """The court `name` names, in any of its languages and spellings: the same search key
    (``name_key``) as one of its names, else one confident close match as the name search
    finds it ("Zaisan cort", "Зайсанскии суд"); None when none or several are close."""
    key = name_key(name)
    if not key:
        return None
    for court in courts:
        if any(name_key(text) == key for text in court.name.values()):
            return court
    if _DIGITS_ONLY.fullmatch(name):
        return None  # the name search would read a bare number as an id
    index = SearchIndex(
        IndexedCase(case_id=court.id, slug=court.slug, names=tuple(court.name.values()))
        for court in courts
        if court.id is not None
    )
    best = index.search(name).best
    return next((court for court in courts if best and court.id == best.case_id), None)


def find_or_create_court(
    session: Session, *, name: str, city: str | None, lang: str, tz: str
) -> Court:
    """The court whose name (in any language or spelling) matches `name`, or a new one in
    `lang`."""
    found = match_court(list(session.exec(select(Court).order_by(col(Court.id))).all()), name)
    if found is not None:
        return found
    city_names = {lang: city} if city else {}
    court = Court(slug=slug_for(session, name, Court), tz=tz, name={lang: name}, city=city_names)
    session.add(court)
    session.flush()
    return court
