"""Questions asked before an organizer's edit is made: "a case with this name exists:
create anyway?", "this event is dated after today: add anyway?".

A question keeps the edit it holds back in a ``drafts`` row in state ``ask`` (its kind
prefixed ``ask_``), so nothing in ``storage.usecases.drafts`` ever sends or undoes it. The answer
moves it from ``ask`` to ``yes`` or ``no`` with one conditional UPDATE, by the organizer
who was asked and before it expires: a second press, someone else's or a late one
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from storage.database.models import Draft
from storage.payloads import DraftPayload, load_draft
from storage.usecases.drafts import claim_draft, create_draft

QUESTION_TTL = timedelta(minutes=15)
ASKING = "ask"
KIND_PREFIX = "ask_"


@dataclass(frozen=True)
class Answer:
    """What pressing a question's button found: `state` is yes, no, expired, done (already
    answered) or missing (not this organizer's, or no such question)."""

    state: str
    kind: str = ""
    case_id: int | None = None
    params: DraftPayload | None = None
    """With "yes": the held edit."""


def ask(
    session: Session,
    *,
    actor_id: int,
    kind: str,
    params: DraftPayload,
    now: datetime,
    case_id: int | None = None,
) -> int:
    """Keep an edit until the organizer answers; returns the question's id for its buttons."""
    return create_draft(
        session,
        actor_id=actor_id,
        case_id=case_id,
        kind=KIND_PREFIX + kind,
        params=params,
        now=now,
        state=ASKING,
        ttl=QUESTION_TTL,
    )


def answer_question(
    session: Session, *, question_id: int, actor_id: int, yes: bool, now: datetime
) -> Answer:
    """Record the answer once; the held edit comes back with "yes" for the caller to make
    in the same transaction."""
    claimed = claim_draft(
        session,
        question_id,
        actor_id=actor_id,
        now=now,
        from_state=ASKING,
        to_state="yes" if yes else "no",
        kind_prefix=KIND_PREFIX,
        stamp=True,
    )
    question = session.get(Draft, question_id)
    if (
        question is None
        or question.actor_id != actor_id
        or not question.kind.startswith(KIND_PREFIX)
    ):
        return Answer("missing")
    if not claimed:
        return Answer("expired" if question.state == ASKING else "done")
    kind = question.kind.removeprefix(KIND_PREFIX)
    if not yes:
        return Answer("no", kind, question.case_id)
    return Answer("yes", kind, question.case_id, load_draft(question.kind, question.params))
