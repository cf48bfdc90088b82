"""The organizer edits as the handlers call them, each one transaction: a new case or
name that the search index learns at once, a timeline event, the answer to a question
with the edit it held back made in the same transaction.

Handlers hand these to ``handlers.common.run_db`` and open no session themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage.payloads import EventQuestion, NewCaseQuestion
from storage.reads.cases import CaseListItem, list_case_items
from storage.reads.lookup import LiveIndex
from storage.usecases.approval import effective_mode
from storage.usecases.attendance import HearingAttendance, list_upcoming_attendance
from storage.usecases.editing import (
    AuditLine,
    Stats,
    add_event,
    add_name,
    create_case,
    get_stats,
    indexed,
    list_audit,
    similar_cases,
)
from storage.usecases.questions import Answer, answer_question
from storage.usecases.subscribers import KnownName, known_names


def similar_case_items(
    session: Session, *, name: str, index: LiveIndex, most: int = 5
) -> list[CaseListItem]:
    """The cases a new case named ``name`` may duplicate, best first."""
    ids = similar_cases(session, name, lambda query: index.search(session, query))
    items = {item.id: item for item in list_case_items(session, case_ids=ids)}
    return [items[case_id] for case_id in ids if case_id in items][:most]


def create_indexed_case(
    session: Session, *, name: str, lang: str, actor_id: int, now: datetime, index: LiveIndex
) -> tuple[int, str]:
    """Create a case and teach the search index its name; returns its id and slug."""
    case = create_case(session, name=name, lang=lang, actor_id=actor_id, now=now)
    assert case.id is not None
    index.upsert(session, indexed(session, case.id))
    return case.id, case.slug


def add_indexed_name(
    session: Session,
    *,
    case_id: int,
    lang: str,
    text: str,
    actor_id: int,
    now: datetime,
    index: LiveIndex,
) -> bool:
    """Add a name or spelling and teach the search index (False: the case had it)."""
    added = add_name(session, case_id=case_id, lang=lang, text=text, actor_id=actor_id, now=now)
    if added:
        index.upsert(session, indexed(session, case_id))
    return added


def store_event(
    session: Session, *, case_id: int, params: EventQuestion, actor_id: int, now: datetime
) -> int:
    """Add a timeline event; returns its number."""
    event = add_event(
        session,
        case_id=case_id,
        day=params.day,
        precision=params.precision,
        text=params.text,
        lang=params.lang,
        source_url=params.source_url,
        basis=params.basis,
        actor_id=actor_id,
        now=now,
    )
    assert event.id is not None
    return event.id


@dataclass(frozen=True)
class Answered:
    """A question's answer and what the held edit made: a new case's id and slug, or an
    event's number (a held sentence is previewed by the caller, not made here)."""

    answer: Answer
    case: tuple[int, str] | None = None
    event: int | None = None


def answer_and_make(
    session: Session,
    *,
    question_id: int,
    actor_id: int,
    yes: bool,
    now: datetime,
    index: LiveIndex,
) -> Answered:
    """Record the answer once; with "yes" make the held edit in the same transaction."""
    found = answer_question(session, question_id=question_id, actor_id=actor_id, yes=yes, now=now)
    params = found.params
    if found.state != "yes":
        return Answered(found)
    if isinstance(params, NewCaseQuestion):
        made = create_indexed_case(
            session, name=params.name, lang=params.lang, actor_id=actor_id, now=now, index=index
        )
        return Answered(found, case=made)
    if isinstance(params, EventQuestion) and found.case_id is not None:
        number = store_event(
            session, case_id=found.case_id, params=params, actor_id=actor_id, now=now
        )
        return Answered(found, event=number)
    return Answered(found)


def stats_with_cases(
    session: Session, *, language_of: Callable[[str | None, str | None], str]
) -> tuple[Stats, list[CaseListItem]]:
    """/stats: the figures, and the list items of the cases they name."""
    figures = get_stats(session, language_of=language_of)
    ids = [case_id for case_id, _ in figures.per_case]
    return figures, list_case_items(session, case_ids=ids)


@dataclass(frozen=True)
class StatsScreen:
    """/stats: the figures, who attends the coming hearings, the approval mode in force,
    and the list items of the cases they name."""

    figures: Stats
    attending: list[HearingAttendance]
    mode: str
    items: list[CaseListItem]


def stats_screen(
    session: Session,
    *,
    language_of: Callable[[str | None, str | None], str],
    now: datetime,
    approval: str,
    admins: Iterable[int],
) -> StatsScreen:
    """Everything /stats shows, read in one transaction."""
    figures = get_stats(session, language_of=language_of)
    mode = effective_mode(session, mode=approval, admins=admins)
    attending = list_upcoming_attendance(session, now=now)
    ids = {case_id for case_id, _ in figures.per_case} | {row.case_id for row in attending}
    return StatsScreen(figures, attending, mode, list_case_items(session, case_ids=sorted(ids)))


def audit_page(
    session: Session, *, case_id: int, offset: int, limit: int
) -> tuple[list[AuditLine], int, dict[int, KnownName]]:
    """A page of a case's audit log, how many entries it has, and its actors' names."""
    entries, total = list_audit(session, case_id=case_id, offset=offset, limit=limit)
    actors = [entry.actor_id for entry in entries if entry.actor_id is not None]
    return entries, total, known_names(session, actors)
