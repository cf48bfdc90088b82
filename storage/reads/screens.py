"""What one screen of the bot reads, each in one transaction: a query's cases, a card with
whether this chat follows it, a timeline, a calendar, the cases a chat follows.

Handlers hand these to ``handlers.common.run_db``; they compose no reads themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage.reads.cases import (
    CaseListItem,
    CaseView,
    EventView,
    HearingView,
    get_case_view,
    is_subscribed,
    list_case_items,
    list_events,
    list_upcoming_hearings,
)
from storage.reads.lookup import LiveIndex
from storage.usecases.subscriptions import list_followed


@dataclass(frozen=True)
class Lookup:
    """What a query found: one case, several to choose from, or nothing."""

    case_id: int | None
    choices: list[CaseListItem]


def look_up(session: Session, *, query: str, index: LiveIndex) -> Lookup:
    """Resolve a query (number, slug, any spelling of a name) through the live index."""
    result = index.search(session, query)
    if result.best is not None:
        return Lookup(result.best.case_id, [])
    ids = [match.case_id for match in result.matches]
    return Lookup(None, list_case_items(session, case_ids=ids) if ids else [])


def card_of(
    session: Session, *, case_id: int, chat_id: int, now: datetime
) -> tuple[CaseView | None, bool]:
    """A case's view (None: it is gone) and whether the chat follows it."""
    view = get_case_view(session, case_id=case_id, now=now)
    return view, view is not None and is_subscribed(session, chat_id=chat_id, case_id=case_id)


def timeline_of(
    session: Session, *, case_id: int, now: datetime
) -> tuple[CaseView | None, list[EventView]]:
    """A case's view and its timeline events."""
    view = get_case_view(session, case_id=case_id, now=now)
    return view, list_events(session, case_id=case_id) if view else []


def calendar_of(
    session: Session, *, case_id: int, now: datetime
) -> tuple[CaseView | None, list[HearingView]]:
    """A case's view and its upcoming hearings."""
    view = get_case_view(session, case_id=case_id, now=now)
    return view, list_upcoming_hearings(session, case_id=case_id, now=now) if view else []


def followed_items(session: Session, *, chat_id: int) -> list[CaseListItem]:
    """The list items of the cases a chat follows."""
    return list_case_items(session, case_ids=list_followed(session, chat_id=chat_id))
