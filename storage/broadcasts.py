"""Broadcasts as organizers follow them: one row per Send, its progress, Pause and Resume.

A broadcast's deliveries are the outbox rows whose ``dedupe_key`` starts with its
prefix (``status:1:v3:``); they are read as a range of the unique index on
``dedupe_key``, never by scanning the outbox. Pause turns the broadcast's pending rows
into ``paused`` (claims take only pending rows, so nothing more of it is sent, and
the state survives a restart); Resume turns them back, with their due times kept.
Rows already claimed when Pause comes are sent (at most a couple of seconds of sending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col, func, select

from storage.database.models import Broadcast, Delivery
from storage.outbox import BLOCKED, GONE, PAUSED, PENDING, SENDING, SENT

UNFINISHED = (PENDING, SENDING, PAUSED)


@dataclass(frozen=True)
class Progress:
    """Where a broadcast stands: delivered, blocked (or gone), not sent (failed or withdrawn),
    and still to send (``left``, paused rows included)."""

    total: int
    delivered: int
    blocked: int
    dropped: int
    left: int
    last_at: datetime | None = None
    """When the latest of its rows changed (the last delivery, once none is left)."""


def _in(prefix: str) -> ColumnElement[bool]:
    """The broadcast's rows, as a range of the dedupe key index (prefix ≤ key < prefix⁺)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(col(Delivery.dedupe_key) >= prefix, col(Delivery.dedupe_key) < upper)


def open_broadcast(
    session: Session,
    *,
    draft_id: int,
    case_id: int | None,
    prefix: str,
    chat_id: int,
    lang: str,
    now: datetime,
) -> Broadcast:
    """The broadcast of a sent draft, created once (a second call returns the first)."""
    found = session.exec(select(Broadcast).where(col(Broadcast.draft_id) == draft_id)).first()
    if found is not None:
        return found
    broadcast = Broadcast(
        draft_id=draft_id,
        case_id=case_id,
        prefix=prefix,
        chat_id=chat_id,
        lang=lang,
        started_at=now,
    )
    session.add(broadcast)
    session.flush()
    broadcast.total = progress(session, broadcast).total
    return broadcast


def set_message(session: Session, *, broadcast_id: int, message_id: int) -> None:
    """Remember which message shows the broadcast's progress."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is not None:
        broadcast.message_id = message_id


def progress(session: Session, broadcast: Broadcast) -> Progress:
    """Count the broadcast's rows by what happened to them."""
    rows = session.exec(
        select(Delivery.status, func.count(), func.max(Delivery.updated_at))
        .where(_in(broadcast.prefix))
        .group_by(Delivery.status)
    ).all()
    counts = {status: int(count) for status, count, _ in rows}
    last = max((at for _, _, at in rows if at is not None), default=None)
    total = sum(counts.values())
    delivered = counts.get(SENT, 0)
    blocked = counts.get(BLOCKED, 0) + counts.get(GONE, 0)
    left = sum(counts.get(status, 0) for status in UNFINISHED)
    dropped = total - delivered - blocked - left
    return Progress(total, delivered, blocked, dropped, left, _aware(last))


def _aware(value: datetime | str | None) -> datetime | None:
    """``max()`` over a column loses its type on SQLite: read the stored UTC instant back."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def unfinished(session: Session) -> list[Broadcast]:
    """Broadcasts still under way (or paused), oldest first."""
    return list(
        session.exec(
            select(Broadcast)
            .where(col(Broadcast.finished_at).is_(None))
            .order_by(col(Broadcast.id))
        ).all()
    )


def finish(session: Session, *, broadcast_id: int, now: datetime) -> None:
    """Mark the broadcast as having reached everyone it could."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is not None and broadcast.finished_at is None:
        broadcast.finished_at = now


def set_paused(
    session: Session, *, broadcast_id: int, paused: bool, now: datetime
) -> Broadcast | None:
    """Pause (its pending rows become paused) or resume (they become pending again).

    Returns the broadcast, or None when it does not exist or is finished. Pausing a
    paused broadcast, or resuming a running one, changes nothing.
    """
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.finished_at is not None:
        return None
    if broadcast.paused == paused:
        return broadcast
    before, after = (PENDING, PAUSED) if paused else (PAUSED, PENDING)
    session.execute(
        update(Delivery)
        .where(_in(broadcast.prefix), col(Delivery.status) == before)
        .values(status=after, updated_at=now)
    )
    broadcast.paused = paused
    if paused:
        broadcast.paused_at = now
    elif broadcast.paused_at is not None:
        broadcast.paused_seconds += max(0.0, (now - broadcast.paused_at).total_seconds())
        broadcast.paused_at = None
    return broadcast


def recent(session: Session, *, limit: int = 5) -> list[Broadcast]:
    """The latest broadcasts, newest first (for /stats)."""
    return list(
        session.exec(select(Broadcast).order_by(col(Broadcast.id).desc()).limit(limit)).all()
    )
