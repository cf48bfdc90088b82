"""Reading cases for display: plain views the renderers can use without a session.

Reads are `get_*` / `list_*`, keyword-only, with an explicit session. A view
is a frozen dataclass holding only what a card, a list or a timeline shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from storage.database.models import (
    AuditEntry,
    Case,
    CaseName,
    Court,
    Hearing,
    Subscription,
    TimelineEvent,
)


@dataclass(frozen=True)
class NameView:
    """One name of a case's person."""

    lang: str
    text: str
    primary: bool


@dataclass(frozen=True)
class HearingView:
    """A hearing with its court resolved."""

    id: int
    starts_at: datetime
    tz: str
    time_known: bool
    status: str
    court_name: dict[str, str]
    court_city: dict[str, str]
    version: int


@dataclass(frozen=True)
class CaseView:
    """Everything the card of a case shows."""

    id: int
    slug: str
    names: tuple[NameView, ...]
    summary: dict[str, str]
    summary_lang: str | None
    custody: str | None
    proceedings: str | None
    protection: str | None
    risk: str | None
    sentence_months: int | None
    sentence_days: int | None
    credit_ratio: float | None
    detained_on: date | None
    verdict_on: date | None
    release_on: date | None
    suspended: bool | None
    """None: the sources do not say whether the sentence is suspended."""
    updated_at: datetime
    next_hearing: HearingView | None
    facts_as_of: date | None = None
    """The day of the latest dated fact, organizer change or confirmation (not when the row
    was last written: an import of old facts does not make them current)."""
    facts_precision: str = "day"
    """How precisely ``facts_as_of`` is known: day, month or year (a fact dated "2019")."""
    letter_address: str | None = None
    """Where letters to the person go (the card then offers "Write a letter")."""
    basis: dict[str, Any] = field(default_factory=dict)
    """How each status is known: {dimension: {"basis": Basis key, "source": url or None}}."""


@dataclass(frozen=True)
class EventView:
    """A timeline event."""

    id: int
    occurred_on: date
    precision: str
    lang: str
    text: dict[str, str]
    source_title: str | None
    source_outlet: str | None
    source_url: str | None
    basis: str | None = None
    """How the event is known (a ``Basis`` key), when stated."""


@dataclass(frozen=True)
class CaseListItem:
    """A case in a list: its id, slug and names."""

    id: int
    slug: str
    names: tuple[NameView, ...]


def _names(session: Session, case_ids: list[int]) -> dict[int, tuple[NameView, ...]]:
    rows = session.exec(
        select(CaseName)
        .where(col(CaseName.case_id).in_(case_ids))
        .order_by(col(CaseName.is_primary).desc(), col(CaseName.id))
    ).all()
    found: dict[int, list[NameView]] = {case_id: [] for case_id in case_ids}
    for row in rows:
        found[row.case_id].append(NameView(row.lang, row.text, row.is_primary))
    return {case_id: tuple(names) for case_id, names in found.items()}


def _hearing_view(hearing: Hearing, court: Court | None) -> HearingView:
    assert hearing.id is not None
    return HearingView(
        id=hearing.id,
        starts_at=hearing.starts_at,
        tz=hearing.tz,
        time_known=hearing.time_known,
        status=hearing.status,
        court_name=dict(court.name) if court else {},
        court_city=dict(court.city) if court else {},
        version=hearing.version,
    )


def list_upcoming_hearings(session: Session, *, case_id: int, now: datetime) -> list[HearingView]:
    """Scheduled hearings of a case that have not started yet, soonest first.

    A hearing whose hour is not known is kept for the whole of its day.
    """
    rows = session.exec(
        select(Hearing, Court)
        .join(Court, col(Hearing.court_id) == col(Court.id), isouter=True)
        .where(Hearing.case_id == case_id, Hearing.status == "scheduled")
        .order_by(col(Hearing.starts_at))
    ).all()
    upcoming = []
    for hearing, court in rows:
        ends = hearing.starts_at if hearing.time_known else hearing.starts_at + timedelta(days=1)
        if ends >= now:
            upcoming.append(_hearing_view(hearing, court))
    return upcoming


def get_case_view(session: Session, *, case_id: int, now: datetime) -> CaseView | None:
    """The card data of one case, or None when it does not exist (any more)."""
    case = session.get(Case, case_id)
    if case is None or case.id is None:
        return None
    upcoming = list_upcoming_hearings(session, case_id=case.id, now=now)
    return CaseView(
        id=case.id,
        slug=case.slug,
        names=_names(session, [case.id])[case.id],
        summary=dict(case.summary),
        summary_lang=case.summary_lang,
        custody=case.custody,
        proceedings=case.proceedings,
        protection=case.protection,
        risk=case.risk,
        sentence_months=case.sentence_months,
        sentence_days=case.sentence_days,
        credit_ratio=case.credit_ratio,
        detained_on=case.detained_on,
        verdict_on=case.verdict_on,
        release_on=case.release_on,
        suspended=case.suspended,
        updated_at=case.updated_at,
        next_hearing=upcoming[0] if upcoming else None,
        letter_address=case.letter_address,
        basis=dict(case.basis),
        **facts_as_of(session, case),
    )


ORGANIZER_FACTS = frozenset({
    "status", "hearing_set", "hearing_moved", "hearing_cancelled", "sentence", "confirm",
    "add_event", "new_case",
})  # fmt: skip
"""Audit actions that state a fact as of their day (an import or a name does not)."""


def facts_as_of(session: Session, case: Case) -> dict[str, Any]:
    """The latest of: the latest dated event, an organizer's change, a confirmation."""
    assert case.id is not None
    candidates: list[tuple[date, str]] = []
    events = session.exec(select(TimelineEvent).where(TimelineEvent.case_id == case.id)).all()
    if events:
        latest = max(events, key=_chronological)
        candidates.append((latest.occurred_on, latest.precision))
    changed = session.exec(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.case_id == case.id, col(AuditEntry.action).in_(ORGANIZER_FACTS)
        )
    ).one()
    if changed is not None:
        candidates.append((changed.date(), "day"))
    if case.confirmed_on is not None:
        candidates.append((case.confirmed_on, "day"))
    if not candidates:
        return {}
    day, precision = max(candidates, key=lambda candidate: candidate[0])
    return {"facts_as_of": day, "facts_precision": precision}


def get_case_id_by_slug(session: Session, *, slug: str) -> int | None:
    """The id of the case with this slug."""
    return session.exec(select(Case.id).where(Case.slug == slug)).first()


def list_cases(session: Session, *, offset: int, limit: int) -> tuple[list[CaseListItem], int]:
    """A page of cases in number order, and how many there are in all."""
    total = int(session.exec(select(func.count()).select_from(Case)).one())
    cases = session.exec(select(Case).order_by(col(Case.id)).offset(offset).limit(limit)).all()
    ids = [case.id for case in cases if case.id is not None]
    names = _names(session, ids)
    return [
        CaseListItem(case_id, slug, names[case_id])
        for case_id, slug in ((case.id, case.slug) for case in cases if case.id is not None)
    ], total


def list_case_items(session: Session, *, case_ids: list[int]) -> list[CaseListItem]:
    """The list items of the given cases, in the given order (missing ones skipped)."""
    cases = {case.id: case for case in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    names = _names(session, [case_id for case_id in case_ids if case_id in cases])
    return [
        CaseListItem(case_id, cases[case_id].slug, names[case_id])
        for case_id in case_ids
        if case_id in cases
    ]


def _chronological(event: TimelineEvent) -> tuple[int, int, int, int, int]:
    # An event known only to its month (or year) sorts at the start of that month (or
    # year), before the dated events within it: "2018 — crossed the border" comes before
    # "May 2018 — arrested". Events of the same date follow their explicit position,
    # then the order they were added in.
    day = event.occurred_on
    month = 0 if event.precision == "year" else day.month
    return (
        day.year,
        month,
        day.day if event.precision == "day" else 0,
        event.position,
        event.id or 0,
    )


def list_events(session: Session, *, case_id: int) -> list[EventView]:
    """A case's timeline, oldest first (an event known to the month or year opens its period)."""
    rows = sorted(
        session.exec(select(TimelineEvent).where(TimelineEvent.case_id == case_id)).all(),
        key=_chronological,
    )
    return [
        EventView(
            id=row.id or 0,
            occurred_on=row.occurred_on,
            precision=row.precision,
            lang=row.lang,
            text=dict(row.text),
            source_title=row.source_title,
            source_outlet=row.source_outlet,
            source_url=row.source_url,
            basis=row.basis,
        )
        for row in rows
    ]


def is_subscribed(session: Session, *, chat_id: int, case_id: int) -> bool:
    """Whether a chat follows a case."""
    return (
        session.exec(
            select(Subscription.id).where(
                Subscription.chat_id == chat_id, Subscription.case_id == case_id
            )
        ).first()
        is not None
    )
