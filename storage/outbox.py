"""The durable outbox: writing alerts for every follower of a case, claiming due ones,
and recording what happened to each.

Every write is idempotent through `Delivery.dedupe_key`
(`<kind>:<case>:<what>:<chat>`): a second attempt to create the same alert for
the same chat inserts nothing. Rows move pending → sending (claimed, before
the Telegram call) → sent / blocked / gone / failed / skipped / dropped; at
start, rows left in `sending` by a crash go back to pending, so nothing is
lost and at most the messages that were in flight are sent twice.

A claim is a lease: `claim_due` sets `lease_until` (now + `CLAIM_LEASE`), the
living worker extends it for every row it still holds (`renew_leases`, one
UPDATE every few seconds), and any worker puts rows whose lease ran out back
to pending (`take_over_expired`): a worker that died and does not come back
leaves its rows for less than a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, and_, bindparam, cast, literal, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Insert
from sqlmodel import Session, col, func, select

from storage.database.models import Delivery, Subscriber, Subscription, utcnow
from storage.payloads import HearingReminder, PayloadError, Versioned, dump, load, load_alert
from storage.vocabulary import DeliveryState

PENDING, SENDING, SENT = DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.SENT
BLOCKED, GONE, FAILED = DeliveryState.BLOCKED, DeliveryState.GONE, DeliveryState.FAILED
SKIPPED, DROPPED = DeliveryState.SKIPPED, DeliveryState.DROPPED
PAUSED = DeliveryState.PAUSED
FINAL_STATUSES = frozenset({SENT, BLOCKED, GONE, FAILED, SKIPPED, DROPPED})

CLAIM_LEASE = timedelta(seconds=45)
"""How long a claim holds without renewal; the dispatcher renews it every 10 s."""


@dataclass(frozen=True)
class DeliveryWork:
    """A claimed delivery with what is needed to render and send it."""

    id: int
    chat_id: int
    chat_type: str
    lang: str | None
    telegram_lang: str | None
    case_id: int | None
    kind: str
    payload: dict[str, Any]
    """As stored; :meth:`alert` reads it as its kind's type. Rows of one claim with the
    same stored payload share one dict: read it, never change it."""
    urgent: bool
    attempts: int
    due_at: datetime
    lease_until: datetime | None = None
    """When the claim's lease ends unless renewed."""

    def alert(self) -> Any:
        """The payload as its kind's type (``storage.payloads``; raises PayloadError)."""
        return load_alert(self.kind, self.payload)


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one claimed delivery."""

    id: int
    status: str
    at: datetime
    message_id: int | None = None
    error: str | None = None
    retry_at: datetime | None = None  # with status pending: when to try again
    attempts: int | None = None


def insert_for(session: Session) -> Any:
    """The dialect's INSERT (PostgreSQL or SQLite), which can skip duplicate keys."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def ignore_duplicates(statement: Insert) -> Any:
    """An INSERT that skips rows whose dedupe key exists (ON CONFLICT DO NOTHING)."""
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])  # type: ignore[attr-defined]


def count_inserted(session: Session, statement: Insert) -> int:
    """Run an INSERT that skips duplicate keys; return how many rows it wrote.

    RETURNING counts exactly on SQLite and PostgreSQL alike (psycopg reports no row
    count for INSERT … SELECT … ON CONFLICT).
    """
    returning = ignore_duplicates(statement).returning(Delivery.__table__.c.id)  # type: ignore[attr-defined]
    return len(session.execute(returning).all())


def dedupe_prefix(kind: str, case_id: int | None, what: str) -> str:
    """The part of a dedupe key before the chat id."""
    return f"{kind}:{case_id if case_id is not None else '-'}:{what}:"


def enqueue_for_followers(
    session: Session,
    *,
    case_id: int,
    kind: str,
    what: str,
    payload: Versioned,
    due_at: datetime,
    urgent: bool = False,
    timeline_only: bool = False,
) -> int:
    """One delivery per chat following the case (not blocked, not gone), in one statement;
    with ``timeline_only``, only to chats that chose to get timeline events.

    `what` identifies this alert among the case's alerts of that kind (a
    version, a hearing id and version, an offset); a repeated call with the
    same `what` adds nothing. Returns the number of rows written.
    """
    prefix = dedupe_prefix(kind, case_id, what)
    followers = (
        sa_select(
            (literal(prefix) + cast(Subscription.chat_id, String)).label("dedupe_key"),
            col(Subscription.chat_id),
            literal(case_id).label("case_id"),
            literal(kind).label("kind"),
            literal(dump(payload), Delivery.__table__.c.payload.type).label("payload"),  # type: ignore[attr-defined]
            literal(urgent).label("urgent"),
            literal(due_at, Delivery.__table__.c.due_at.type).label("due_at"),  # type: ignore[attr-defined]
            literal(PENDING).label("status"),
            literal(0).label("attempts"),
            literal(utcnow(), Delivery.__table__.c.created_at.type).label("created_at"),  # type: ignore[attr-defined]
            literal(utcnow(), Delivery.__table__.c.updated_at.type).label("updated_at"),  # type: ignore[attr-defined]
        )
        .join(Subscriber, col(Subscriber.chat_id) == col(Subscription.chat_id))
        .where(
            col(Subscription.case_id) == case_id,
            col(Subscriber.blocked).is_(False),
            col(Subscriber.gone).is_(False),
            *([col(Subscriber.timeline).is_(True)] if timeline_only else []),
        )
    )
    columns = [
        "dedupe_key", "chat_id", "case_id", "kind", "payload", "urgent", "due_at", "status",
        "attempts", "created_at", "updated_at",
    ]  # fmt: skip
    statement = insert_for(session)(Delivery).from_select(columns, followers)
    return count_inserted(session, statement)


def enqueue_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert deliveries given as dicts (planner reminders, their ``payload`` typed);
    duplicates are ignored."""
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            "status": PENDING,
            "attempts": 0,
            "urgent": False,
            "created_at": now,
            "updated_at": now,
            **row,
            "payload": dump(row["payload"]),
        }
        for row in rows
    ]
    written = 0
    for start in range(0, len(values), 2000):
        statement = insert_for(session)(Delivery).values(values[start : start + 2000])
        written += count_inserted(session, statement)
    return written


def resume_in_flight(session: Session, *, worker: str | None = None) -> int:
    """Put rows a stopped process left in `sending` back to pending; return how many."""
    statement = update(Delivery).where(col(Delivery.status) == SENDING)
    if worker is not None:
        statement = statement.where(col(Delivery.claimed_by) == worker)
    result = session.execute(
        statement.values(status=PENDING, claimed_by=None, lease_until=None, updated_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due(
    session: Session, *, now: datetime, urgent: bool, count: int, skip: list[int]
) -> list[Any]:
    """Due pending rows of one urgency, oldest first: an ordered range of ix_deliveries_claim.

    Plain columns, not ORM objects: a claim at 1,000/s must cost little CPU.
    """
    query = (
        sa_select(*_CLAIM_COLUMNS)
        .join(Subscriber, col(Subscriber.chat_id) == col(Delivery.chat_id))
        .where(
            col(Delivery.status) == PENDING,
            col(Delivery.urgent).is_(urgent),
            col(Delivery.due_at) <= now,
        )
        .order_by(col(Delivery.due_at), col(Delivery.id))
        .limit(count)
    )
    if skip:
        query = query.where(col(Delivery.chat_id).not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Delivery)
    return list(session.execute(query).all())


def _work(row: Any, lease_until: datetime, decoded: dict[str, dict[str, Any]]) -> DeliveryWork:
    payload = decoded.get(row.payload)
    if payload is None:
        payload = decoded[row.payload] = json.loads(row.payload)
    return DeliveryWork(
        id=row.id,
        chat_id=row.chat_id,
        chat_type=row.chat_type,
        lang=row.lang,
        telegram_lang=row.telegram_lang,
        case_id=row.case_id,
        kind=row.kind,
        payload=payload,
        urgent=row.urgent,
        attempts=row.attempts,
        due_at=row.due_at,
        lease_until=lease_until,
    )


_CLAIM_COLUMNS = (
    col(Delivery.id),
    col(Delivery.chat_id),
    col(Delivery.case_id),
    col(Delivery.kind),
    cast(col(Delivery.payload), Text).label("payload"),  # decoded once per distinct text
    col(Delivery.urgent),
    col(Delivery.attempts),
    col(Delivery.due_at),
    col(Subscriber.chat_type),
    col(Subscriber.lang),
    col(Subscriber.telegram_lang),
)


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    worker: str,
    skip_chats: Iterable[int] = (),
    lease: timedelta = CLAIM_LEASE,
) -> list[DeliveryWork]:
    """Claim up to `limit` due deliveries (urgent first, then oldest) and mark them sending.

    Chats in `skip_chats` (paused by a 429, or with a message in flight) are left
    for later. On PostgreSQL rows are locked with SKIP LOCKED so several workers
    never claim the same row. Each claim is leased until `now + lease`.
    """
    skip = list(skip_chats)
    rows = _due(session, now=now, urgent=True, count=limit, skip=skip)
    if len(rows) < limit:
        rows += _due(session, now=now, urgent=False, count=limit - len(rows), skip=skip)
    if not rows:
        return []
    ids = [row.id for row in rows]
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids), col(Delivery.status) == PENDING)
        .values(status=SENDING, claimed_by=worker, updated_at=now, lease_until=now + lease)
    )
    if int(result.rowcount or 0) != len(ids):  # type: ignore[attr-defined]
        # Another process claimed some of them between our read and our write (SQLite has
        # no SKIP LOCKED): keep only the rows this worker holds now.
        mine = set(
            session.exec(
                select(Delivery.id).where(
                    col(Delivery.id).in_(ids),
                    col(Delivery.claimed_by) == worker,
                    col(Delivery.status) == SENDING,
                    col(Delivery.updated_at) == now,
                )
            ).all()
        )
        rows = [row for row in rows if row.id in mine]
    decoded: dict[str, dict[str, Any]] = {}  # one status change: one payload for all
    return [_work(row, now + lease, decoded) for row in rows]


def renew_leases(session: Session, *, ids: Iterable[int], worker: str, until: datetime) -> set[int]:
    """Extend to `until` the lease of the rows `worker` still holds among `ids`; one UPDATE.

    Returns the ids renewed: a missing one was taken over (its lease had run out) or
    closed by someone else meanwhile (an undone change).
    """
    id_list = list(ids)
    if not id_list:
        return set()
    table = Delivery.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(
            table.c.id.in_(id_list),
            table.c.status == SENDING,
            table.c.claimed_by == worker,
        )
        .values(lease_until=until)
        .returning(table.c.id)
    )
    return {int(row_id) for (row_id,) in result.all()}


def take_over_expired(session: Session, *, now: datetime) -> int:
    """Put back to pending the `sending` rows whose lease ended before `now`; return how many.

    A living worker renews its rows' leases long before they end, so these belong to
    a worker that died (or lost the database for longer than a lease). Their due time
    is kept, so they are claimed again at once, by whichever worker comes first.
    """
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.status) == SENDING, col(Delivery.lease_until) < now)
        .values(status=PENDING, claimed_by=None, lease_until=None, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _record_sent(session: Session, sent: Sequence[DeliveryResult]) -> None:
    """Successes, the bulk of every flush, with one executemany."""
    table = Delivery.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=SENT,
            updated_at=bindparam("b_at", type_=table.c.updated_at.type),
            sent_at=bindparam("b_at", type_=table.c.sent_at.type),
            message_id=bindparam("b_message"),
            attempts=func.coalesce(bindparam("b_attempts"), table.c.attempts),
            last_error=None,
            claimed_by=None,
            lease_until=None,
        ),
        [
            {"b_id": r.id, "b_at": r.at, "b_message": r.message_id, "b_attempts": r.attempts}
            for r in sent
        ],
    )


def _record_other(session: Session, result: DeliveryResult, worker: str | None) -> None:
    values: dict[str, Any] = {
        "status": result.status,
        "updated_at": result.at,
        "claimed_by": None,
        "lease_until": None,
    }
    if result.status == SENT:
        values.update(sent_at=result.at, message_id=result.message_id, last_error=None)
    if result.error is not None:
        values["last_error"] = result.error[:200]
    if result.retry_at is not None:
        values["due_at"] = result.retry_at
    if result.attempts is not None:
        values["attempts"] = result.attempts
    statement = update(Delivery).where(col(Delivery.id) == result.id)
    if result.status == PENDING:
        statement = statement.where(col(Delivery.status) == SENDING)
        if worker is not None:
            statement = statement.where(col(Delivery.claimed_by) == worker)
    session.execute(statement.values(**values))


def _close_unreachable(session: Session, results: Sequence[DeliveryResult]) -> None:
    """Mark blocked and gone chats on their subscriber and close their other pending rows."""
    blocked = {r.id for r in results if r.status == BLOCKED}
    gone = {r.id for r in results if r.status == GONE}
    for status, ids, flag in ((BLOCKED, blocked, "blocked"), (GONE, gone, "gone")):
        if not ids:
            continue
        chats = select(Delivery.chat_id).where(col(Delivery.id).in_(ids)).scalar_subquery()
        session.execute(
            update(Subscriber).where(col(Subscriber.chat_id).in_(chats)).values({flag: True})
        )
        # Nothing more can reach these chats: close their other pending rows too.
        session.execute(
            update(Delivery)
            .where(col(Delivery.chat_id).in_(chats), col(Delivery.status) == PENDING)
            .values(status=status, updated_at=utcnow())
        )


def record_results(
    session: Session, results: Sequence[DeliveryResult], *, worker: str | None = None
) -> None:
    """Store the outcome of sends; blocked and gone chats are marked on their subscriber.

    A retry (back to pending) is only recorded while the row is still `sending`
    (and, given `worker`, still claimed by it): a row withdrawn meanwhile (an undone
    change) must not come back to life, and a row another worker took over after
    this one's lease ran out must not be taken from it. Successes, the bulk of every
    flush, are written with one executemany.
    """
    sent = [result for result in results if result.status == SENT and result.error is None]
    if sent:
        _record_sent(session, sent)
    for result in results:
        if not (result.status == SENT and result.error is None):
            _record_other(session, result, worker)
    _close_unreachable(session, results)


def skip_pending(session: Session, *, ids: Iterable[int], status: str = SKIPPED) -> int:
    """Close pending rows that became stale (a moved hearing's old reminders)."""
    id_list = list(ids)
    if not id_list:
        return 0
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(id_list), col(Delivery.status).in_([PENDING, SENDING]))
        .values(status=status, updated_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def retire_hearing_reminders(
    session: Session, *, case_id: int, hearing_id: int, keep_version: int | None
) -> int:
    """Skip pending reminders of a hearing made for another version of it (before a move).

    With `keep_version` None every pending reminder of the hearing is skipped
    (it was cancelled). The planner makes reminder rows only shortly before
    they are due, so this scans a handful of rows.
    """
    rows = session.exec(
        select(Delivery.id, Delivery.payload).where(
            col(Delivery.case_id) == case_id,
            col(Delivery.kind) == "hearing_reminder",
            col(Delivery.status) == PENDING,
        )
    ).all()
    stale = []
    for row_id, payload in rows:
        try:
            reminder = load(HearingReminder, payload)
        except PayloadError:
            continue  # not readable: the renderer closes it
        if reminder.hearing_id == hearing_id and reminder.version != keep_version:
            stale.append(row_id)
    return skip_pending(session, ids=[row_id for row_id in stale if row_id is not None])


def reclaim_stale(session: Session, *, now: datetime, older_than: timedelta) -> int:
    """Return to pending the rows a vanished process left `sending` for too long.

    The planner's slow safety net behind the dispatchers' lease take-over
    (`take_over_expired`, within a minute): rows whose lease ended more than
    `older_than` ago, and rows claimed longer ago than that without a lease (by a
    version before leases). Returns how many.
    """
    limit = now - older_than
    result = session.execute(
        update(Delivery)
        .where(
            col(Delivery.status) == SENDING,
            or_(
                col(Delivery.lease_until) < limit,
                and_(col(Delivery.lease_until).is_(None), col(Delivery.updated_at) < limit),
            ),
        )
        .values(status=PENDING, claimed_by=None, lease_until=None, updated_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def next_due_at(session: Session) -> datetime | None:
    """When the earliest pending delivery falls due."""
    return session.exec(
        select(func.min(col(Delivery.due_at))).where(col(Delivery.status) == PENDING)
    ).one()


def count_by_status(session: Session) -> dict[str, int]:
    """How many deliveries are in each status."""
    rows = session.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status))).all()
    return {status: int(count) for status, count in rows}
