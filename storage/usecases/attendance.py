"""Attendance at hearings, and where courts are.

A chat answers "I'll attend" or "Can't come" (:class:`AttendAnswer`) for a hearing that is
still ahead; answering again changes the answer. Organizers see the counts, and the names
only of chats that agreed to be listed (``Subscriber.listed``: None until asked; asked once,
with the first answer; False, counted only, until they say yes). The evening before a
hearing (18:00 in its zone), chats attending get the court's practical note through the
outbox (:func:`plan_attend_notes`, ``ATTEND_NOTE``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select, update

from storage.database.models import (
    Attendance,
    AuditEntry,
    Court,
    Hearing,
    Subscriber,
)
from storage.outbox import dedupe_prefix
from storage.payloads import AttendNote
from storage.reads.cases import CaseView
from storage.reads.screens import card_of
from storage.usecases.subscribers import is_organizer, upsert_subscriber
from storage.vocabulary import AlertKind, AttendAnswer

EVENING = time(18, 0)
"""When, the day before a hearing (in its zone), attendees get the court's note."""

MAX_NAME = 160


@dataclass(frozen=True)
class AttendCount:
    """How many said they will attend a hearing, how many cannot, and the listed names."""

    yes: int = 0
    no: int = 0
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttendOutcome:
    """What pressing an answer did."""

    answer: AttendAnswer
    changed: bool
    """False when the chat had already given this answer."""
    ask_listing: bool
    """The chat was never asked whether its name may be listed: ask now."""
    case_id: int
    starts_at: datetime
    tz: str


def open_hearing(session: Session, *, hearing_id: int, now: datetime) -> Hearing | None:
    """The hearing if it is scheduled and still ahead (answers are taken only then)."""
    hearing = session.get(Hearing, hearing_id)
    if hearing is None or hearing.status != "scheduled" or hearing.starts_at <= now:
        return None
    return hearing


def set_attendance(
    session: Session,
    *,
    chat_id: int,
    hearing_id: int,
    answer: AttendAnswer,
    name: str | None,
    telegram_lang: str | None = None,
    now: datetime,
) -> AttendOutcome | None:
    """Record (or change) a chat's answer; None when the hearing is not ahead any more.

    ``name`` is how the chat would be listed; it is kept only if the chat agreed to be.
    """
    hearing = open_hearing(session, hearing_id=hearing_id, now=now)
    if hearing is None or hearing.id is None:
        return None
    subscriber = upsert_subscriber(session, chat_id=chat_id, telegram_lang=telegram_lang)
    row = session.exec(
        select(Attendance).where(Attendance.hearing_id == hearing.id, Attendance.chat_id == chat_id)
    ).first()
    kept_name = ((name or "")[:MAX_NAME] or None) if subscriber.listed else None
    changed = row is None or row.answer != answer
    if row is None:
        row = Attendance(hearing_id=hearing.id, chat_id=chat_id, answer=answer, created_at=now)
        session.add(row)
    row.answer, row.name, row.updated_at = answer, kept_name, now
    ask_listing = subscriber.listed is None
    if ask_listing:  # asked once, now; until they answer yes, counted only
        subscriber.listed = False
    session.flush()
    return AttendOutcome(
        answer=answer,
        changed=changed,
        ask_listing=ask_listing,
        case_id=hearing.case_id,
        starts_at=hearing.starts_at,
        tz=hearing.tz,
    )


def set_listed(session: Session, *, chat_id: int, listed: bool, name: str | None) -> bool:
    """Whether the chat's name may be listed to organizers; its answers get (or lose) the
    name at once. False when the chat is unknown."""
    subscriber = session.get(Subscriber, chat_id)
    if subscriber is None:
        return False
    subscriber.listed = listed
    kept = ((name or "")[:MAX_NAME] or None) if listed else None
    session.execute(update(Attendance).where(col(Attendance.chat_id) == chat_id).values(name=kept))
    return True


def get_answer(session: Session, *, chat_id: int, hearing_id: int) -> AttendAnswer | None:
    """The chat's answer for a hearing, if it gave one."""
    answer = session.exec(
        select(Attendance.answer).where(
            Attendance.hearing_id == hearing_id, Attendance.chat_id == chat_id
        )
    ).first()
    return AttendAnswer(answer) if answer in set(AttendAnswer) else None


def count_attendance(session: Session, *, hearing_ids: list[int]) -> dict[int, AttendCount]:
    """Each hearing's counts and listed names (names in the order they answered)."""
    rows = session.exec(
        select(Attendance.hearing_id, Attendance.answer, Attendance.name)
        .join(Subscriber, col(Subscriber.chat_id) == col(Attendance.chat_id))
        .where(col(Attendance.hearing_id).in_(hearing_ids))
        .order_by(col(Attendance.created_at), col(Attendance.id))
    ).all()
    yes: dict[int, int] = defaultdict(int)
    no: dict[int, int] = defaultdict(int)
    names: dict[int, list[str]] = defaultdict(list)
    for hearing_id, answer, name in rows:
        if answer == AttendAnswer.YES:
            yes[hearing_id] += 1
            if name:
                names[hearing_id].append(name)
        elif answer == AttendAnswer.NO:
            no[hearing_id] += 1
    return {
        hearing_id: AttendCount(yes[hearing_id], no[hearing_id], tuple(names[hearing_id]))
        for hearing_id in hearing_ids
    }


@dataclass(frozen=True)
class HearingAttendance:
    """An upcoming hearing with its attendance, for /stats."""

    case_id: int
    hearing_id: int
    starts_at: datetime
    tz: str
    count: AttendCount


def list_upcoming_attendance(session: Session, *, now: datetime) -> list[HearingAttendance]:
    """Every scheduled hearing still ahead that someone answered for, soonest first."""
    hearings = session.exec(
        select(Hearing)
        .where(
            Hearing.status == "scheduled",
            col(Hearing.starts_at) > now,
            col(Hearing.id).in_(select(Attendance.hearing_id)),
        )
        .order_by(col(Hearing.starts_at))
    ).all()
    counts = count_attendance(session, hearing_ids=[h.id for h in hearings if h.id is not None])
    return [
        HearingAttendance(h.case_id, h.id, h.starts_at, h.tz, counts[h.id])
        for h in hearings
        if h.id is not None
    ]


def evening_before(starts_at: datetime, zone: str) -> datetime:
    """18:00 on the day before a hearing's local date, in its zone, as a UTC instant."""
    local_day = starts_at.astimezone(ZoneInfo(zone)).date()
    evening = datetime.combine(local_day - timedelta(days=1), EVENING, tzinfo=ZoneInfo(zone))
    return evening.astimezone(UTC)


def has_practical_note(court: Court | None) -> bool:
    """Whether a court has something to tell attendees (an address or a note)."""
    return court is not None and bool(court.note or court.address)


def plan_attend_notes(
    session: Session, *, now: datetime, lookahead: timedelta
) -> list[dict[str, Any]]:
    """Outbox rows of the evening-before note for each chat attending a hearing whose evening
    comes within ``lookahead`` (or has passed, while the hearing is still ahead); the dedupe
    key holds the hearing's id and version, so each chat gets one per time of a hearing."""
    rows = session.exec(
        select(Hearing, Court, Attendance.chat_id)
        .join(Court, col(Court.id) == col(Hearing.court_id))
        .join(Attendance, col(Attendance.hearing_id) == col(Hearing.id))
        .join(Subscriber, col(Subscriber.chat_id) == col(Attendance.chat_id))
        .where(
            Hearing.status == "scheduled",
            col(Hearing.starts_at) > now,
            col(Hearing.starts_at) <= now + timedelta(days=2) + lookahead,
            Attendance.answer == AttendAnswer.YES,
            col(Subscriber.blocked).is_(False),
            col(Subscriber.gone).is_(False),
        )
    ).all()
    planned: list[dict[str, Any]] = []
    for hearing, court, chat_id in rows:
        due = evening_before(hearing.starts_at, hearing.tz)
        if due > now + lookahead or not has_practical_note(court):
            continue
        key = dedupe_prefix(
            AlertKind.ATTEND_NOTE, hearing.case_id, f"{hearing.id}:{hearing.version}"
        )
        planned.append(
            {
                "dedupe_key": f"{key}{chat_id}",
                "chat_id": chat_id,
                "case_id": hearing.case_id,
                "kind": AlertKind.ATTEND_NOTE,
                "due_at": max(due, now),
                "payload": AttendNote(hearing_id=hearing.id or 0, version=hearing.version),
            }
        )
    return planned


@dataclass(frozen=True)
class CourtNote:
    """What the evening-before note tells of a court: its address, the organizers' note
    (each a text in several languages) and where it is on a map."""

    address: dict[str, str]
    note: dict[str, str]
    lat: float | None = None
    lon: float | None = None


def still_attending(session: Session, *, chat_id: int, hearing_id: int, version: int) -> bool:
    """Whether a planned note is still wanted: same hearing time, the chat still coming."""
    hearing = session.get(Hearing, hearing_id)
    if hearing is None or hearing.status != "scheduled" or hearing.version != version:
        return False
    return get_answer(session, chat_id=chat_id, hearing_id=hearing_id) == AttendAnswer.YES


def find_court(session: Session, text: str) -> Court | None:
    """The court ``text`` names: its number, its slug, or one of its names in any spelling."""
    from storage.usecases.editing import match_court  # editing imports much; only here

    text = text.strip()
    if text.isdecimal() and text.isascii():
        return session.get(Court, int(text))
    courts = list(session.exec(select(Court).order_by(col(Court.id))).all())
    by_slug = next((court for court in courts if court.slug == text.lower()), None)
    return by_slug or match_court(courts, text)


def _court_state(court: Court) -> dict[str, Any]:
    return {
        "court": court.slug,
        "address": dict(court.address),
        "lat": court.lat,
        "lon": court.lon,
        "note": dict(court.note),
    }


def set_court_place(
    session: Session,
    *,
    court: Court,
    lang: str,
    address: str | None,
    position: tuple[float, float] | None,
    note: str | None,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Set a court's address and note in ``lang`` and its map position (each only when
    given); audited. False when nothing changed."""
    before = _court_state(court)
    if address:
        court.address = {**court.address, lang: address}
    if note:
        court.note = {**court.note, lang: note}
    if position is not None:
        court.lat, court.lon = position
    after = _court_state(court)
    if after == before:
        return False
    session.add(
        AuditEntry(at=now, actor_id=actor_id, action="set_court", before=before, after=after)
    )
    session.flush()
    return True


@dataclass(frozen=True)
class CardReader:
    """What the card shows this reader beyond the case: following it, their answer for the
    next hearing, and (organizers only) its attendance."""

    subscribed: bool = False
    answer: AttendAnswer | None = None
    attendance: AttendCount | None = None


def card_for_reader(
    session: Session,
    *,
    case_id: int,
    chat_id: int,
    user_id: int | None,
    now: datetime,
    admins: frozenset[int],
) -> tuple[CaseView | None, CardReader]:
    """A case's card as this reader sees it: the view (None: gone), following it, their
    answer for the next hearing and, for an organizer, its attendance."""
    view, subscribed = card_of(session, case_id=case_id, chat_id=chat_id, now=now)
    if view is None:
        return None, CardReader()
    hearing = view.next_hearing
    if hearing is None or user_id is None:
        return view, CardReader(subscribed)
    answer = get_answer(session, chat_id=user_id, hearing_id=hearing.id)
    counts = None
    if is_organizer(session, user_id=user_id, admins=admins):
        counts = count_attendance(session, hearing_ids=[hearing.id])[hearing.id]
    return view, CardReader(subscribed, answer, counts)
