"""Preview, send, cancel and undo: organizer changes that alert subscribers.

A draft holds a change that has been previewed but not made. Send claims it with
one conditional UPDATE (open → sent) and makes the change in the same
transaction, so a second press finds it sent and does nothing. A draft expires
after `DRAFT_TTL`. For `UNDO_WINDOW` after Send the organizer may undo: the
case is put back, alerts not yet sent are withdrawn, and the chats that already
got one get a short correction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, String, cast, func, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.database.models import AuditEntry, Case, Delivery, Draft, Hearing, Subscriber
from storage.outbox import (
    PAUSED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    count_inserted,
    insert_for,
    retire_hearing_reminders,
)
from storage.usecases.changes import (
    ChangeResult,
    cancel_next_hearing,
    change_status,
    restore_sentence,
    set_next_hearing,
    set_sentence,
)
from storage.usecases.editing import find_or_create_court

DRAFT_TTL = timedelta(minutes=15)
UNDO_WINDOW = timedelta(minutes=10)
CORRECTION_DELAY = timedelta(seconds=3)


@dataclass(frozen=True)
class DraftOutcome:
    """What pressing a draft's button did: `state` is sent, cancelled, undone, expired,
    done (already handled), too_late (undo window over) or missing."""

    state: str
    draft_id: int
    result: ChangeResult | None = None
    corrections: int = 0


def create_draft(
    session: Session,
    *,
    actor_id: int,
    case_id: int,
    kind: str,
    params: dict[str, Any],
    now: datetime,
) -> int:
    """Store a previewed change; returns its id for the Send / Cancel buttons."""
    draft = Draft(
        actor_id=actor_id,
        case_id=case_id,
        kind=kind,
        params=params,
        created_at=now,
        expires_at=now + DRAFT_TTL,
    )
    session.add(draft)
    session.flush()
    assert draft.id is not None
    return draft.id


def _claim(
    session: Session,
    draft_id: int,
    *,
    actor_id: int,
    now: datetime,
    from_state: str,
    to_state: str,
    until: str,
) -> bool:
    deadline = col(Draft.expires_at) if until == "expires" else col(Draft.sent_at)
    condition = deadline > now if until == "expires" else deadline > now - UNDO_WINDOW
    result = session.execute(
        update(Draft)
        .where(
            col(Draft.id) == draft_id,
            col(Draft.actor_id) == actor_id,
            col(Draft.state) == from_state,
            condition,
        )
        .values(state=to_state, **({"sent_at": now} if to_state == "sent" else {}))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _why_not(session: Session, draft_id: int, actor_id: int, *, late: str) -> str:
    draft = session.get(Draft, draft_id)
    if draft is None or draft.actor_id != actor_id:
        return "missing"
    if draft.state == "open":
        return late
    return "done"


def _apply(session: Session, draft: Draft, now: datetime) -> ChangeResult | None:
    params, case_id = draft.params, draft.case_id
    if case_id is None or session.get(Case, case_id) is None:
        return None
    if draft.kind == "status":
        return change_status(
            session,
            case_id=case_id,
            dimension=params["dimension"],
            key=params["key"],
            note=params.get("note") or None,
            note_lang=params.get("note_lang"),
            actor_id=draft.actor_id,
            now=now,
        )
    if draft.kind == "hearing":
        court_id = params.get("court_id")
        if params.get("court"):
            court_id = find_or_create_court(
                session,
                name=params["court"],
                city=params.get("city"),
                lang=params.get("court_lang") or "en",
                tz=params["tz"],
            ).id
        return set_next_hearing(
            session,
            case_id=case_id,
            starts_at=datetime.fromisoformat(params["starts_at"]),
            tz=params["tz"],
            time_known=params.get("time_known", True),
            court_id=court_id,
            actor_id=draft.actor_id,
            now=now,
        )
    if draft.kind == "cancel_hearing":
        return cancel_next_hearing(session, case_id=case_id, actor_id=draft.actor_id, now=now)
    if draft.kind == "sentence":
        return set_sentence(
            session,
            case_id=case_id,
            values=sentence_values(params["values"]),
            actor_id=draft.actor_id,
            now=now,
        )
    raise ValueError(f"unknown draft kind {draft.kind}")


def sentence_values(values: dict[str, Any]) -> dict[str, Any]:
    """Sentence fields from a draft's JSON (dates as ISO text) to model values."""
    return {
        name: date.fromisoformat(value)
        if name.endswith("_on") and isinstance(value, str)
        else value
        for name, value in values.items()
    }


def preview_change(
    session: Session,
    *,
    actor_id: int,
    case_id: int,
    kind: str,
    params: dict[str, Any],
    now: datetime,
) -> ChangeResult | None:
    """Make the change in the caller's session to see exactly what it would send.

    The caller must roll the session back: nothing of it is to be kept. None means
    the change would change nothing.
    """
    draft = Draft(actor_id=actor_id, case_id=case_id, kind=kind, params=params, expires_at=now)
    return _apply(session, draft, now)


@dataclass(frozen=True)
class Preview:
    """What a change would send: its alert kind and payload, how many alerts, and how
    many of them in each language (by ``language_of(chosen, telegram_code)``)."""

    kind: str
    payload: dict[str, Any]
    alerts: int
    per_language: dict[str, int]


def dry_run(
    engine: Engine,
    *,
    actor_id: int,
    case_id: int,
    kind: str,
    params: dict[str, Any],
    now: datetime,
    language_of: Callable[[str | None, str | None], str],
) -> Preview | None:
    """Make the change in a transaction that is always rolled back: exactly what it would
    send, and to whom, with nothing kept (None: it would change nothing)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = preview_change(
                session, actor_id=actor_id, case_id=case_id, kind=kind, params=params, now=now
            )
            if result is None:
                return None
            readers: Counter[str] = Counter()
            if result.prefix:
                rows = session.exec(
                    select(Subscriber.lang, Subscriber.telegram_lang, func.count())
                    .join(Delivery, col(Delivery.chat_id) == col(Subscriber.chat_id))
                    .where(col(Delivery.dedupe_key).startswith(result.prefix))
                    .group_by(col(Subscriber.lang), col(Subscriber.telegram_lang))
                ).all()
                for lang, telegram_lang, count in rows:
                    readers[language_of(lang, telegram_lang)] += int(count)
            return Preview(result.kind, result.payload, result.alerts, dict(readers))
        finally:
            session.rollback()


def send_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Make the previewed change and queue its alerts, once."""
    if not _claim(
        session,
        draft_id,
        actor_id=actor_id,
        now=now,
        from_state="open",
        to_state="sent",
        until="expires",
    ):
        return DraftOutcome(_why_not(session, draft_id, actor_id, late="expired"), draft_id)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    result = _apply(session, draft, now)
    draft.result = (
        {}
        if result is None
        else {
            "kind": result.kind,
            "prefix": result.prefix,
            "before": result.before,
            "hearing_id": result.hearing_id,
            "audit_id": result.audit_id,
            "alerts": result.alerts,
        }
    )
    return DraftOutcome("sent", draft_id, result)


def cancel_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Drop a previewed change; nothing is stored or sent."""
    if _claim(
        session,
        draft_id,
        actor_id=actor_id,
        now=now,
        from_state="open",
        to_state="cancelled",
        until="expires",
    ):
        return DraftOutcome("cancelled", draft_id)
    return DraftOutcome(_why_not(session, draft_id, actor_id, late="expired"), draft_id)


def _revert(session: Session, draft: Draft, now: datetime) -> None:
    result = draft.result
    case = session.get(Case, draft.case_id)
    if case is None:
        return
    kind, before = result.get("kind"), result.get("before") or {}
    case.updated_at = now
    case.version += 1
    if kind == "status":
        for dimension, value in before.items():
            setattr(case, dimension, value)
    elif kind in ("sentence", "release_changed"):
        restore_sentence(case, before)
    elif kind in ("hearing_set", "hearing_moved", "hearing_cancelled"):
        hearing = session.get(Hearing, result.get("hearing_id"))
        if hearing is None:
            return
        if kind == "hearing_set":
            hearing.status = "cancelled"
        else:
            hearing.status = "scheduled"
            hearing.starts_at = datetime.fromisoformat(before["starts_at"])
            hearing.tz, hearing.time_known = before["tz"], before["time_known"]
            hearing.court_id = before.get("court_id", hearing.court_id)
        hearing.version += 1
        hearing.updated_at = now
        assert hearing.id is not None
        retire_hearing_reminders(
            session, case_id=case.id or 0, hearing_id=hearing.id, keep_version=hearing.version
        )


def _correction_payload(result: dict[str, Any]) -> dict[str, Any]:
    """What a correction needs to say what is true now: the kind of the withdrawn alert
    and, for a status, its dimension (the current value is read when it is sent)."""
    payload: dict[str, Any] = {"of": result.get("kind")}
    before = result.get("before") or {}
    if result.get("kind") == "status" and before:
        payload["dimension"] = next(iter(before))
    return payload


def _correct(session: Session, draft: Draft, now: datetime) -> int:
    """Withdraw the change's alerts not yet sent; queue a correction for the chats that got
    one or may have (those in flight), a few seconds later so it arrives after them."""
    prefix = draft.result.get("prefix")
    if not prefix:
        return 0
    mine = col(Delivery.dedupe_key).startswith(prefix, autoescape=True)
    correction_prefix = f"correction:{draft.case_id}:{draft.id}:"
    due = now + CORRECTION_DELAY
    reached = sa_select(
        (literal(correction_prefix) + cast(col(Delivery.chat_id), String)).label("k"),
        col(Delivery.chat_id),
        col(Delivery.case_id),
        literal("correction"),
        literal(_correction_payload(draft.result), Delivery.__table__.c.payload.type),  # type: ignore[attr-defined]
        literal(False),
        literal(due, Delivery.__table__.c.due_at.type),  # type: ignore[attr-defined]
        literal(PENDING),
        literal(0),
        literal(now, Delivery.__table__.c.created_at.type),  # type: ignore[attr-defined]
        literal(now, Delivery.__table__.c.updated_at.type),  # type: ignore[attr-defined]
    ).where(mine, col(Delivery.status).in_([SENT, SENDING]))
    columns = [
        "dedupe_key",
        "chat_id",
        "case_id",
        "kind",
        "payload",
        "urgent",
        "due_at",
        "status",
        "attempts",
        "created_at",
        "updated_at",
    ]
    statement = insert_for(session)(Delivery).from_select(columns, reached)
    written = count_inserted(session, statement)
    # In-flight rows become sent if their send succeeds; otherwise they stay withdrawn.
    session.execute(
        update(Delivery)
        .where(mine, col(Delivery.status).in_([PENDING, SENDING, PAUSED]))
        .values(status=SKIPPED, updated_at=now)
    )
    return written


def undo_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Undo a sent change within UNDO_WINDOW: put the case back and correct the alerts."""
    if not _claim(
        session,
        draft_id,
        actor_id=actor_id,
        now=now,
        from_state="sent",
        to_state="undone",
        until="undo",
    ):
        draft = session.get(Draft, draft_id)
        if draft is None or draft.actor_id != actor_id:
            return DraftOutcome("missing", draft_id)
        return DraftOutcome("too_late" if draft.state == "sent" else "done", draft_id)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    _revert(session, draft, now)
    corrections = _correct(session, draft, now)
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor_id,
            case_id=draft.case_id,
            action="undo",
            before={"draft": draft_id},
            after={"undid": draft.result.get("kind"), "corrections": corrections},
        )
    )
    return DraftOutcome("undone", draft_id, corrections=corrections)
