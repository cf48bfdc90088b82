"""The dispatcher's database work, each call one short transaction run in a worker thread.

Claiming (with rendering in the same session), recording outcomes in one transaction
per flush (with the day's paid-broadcast spending), and counting what is left for
``drain``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlmodel import Session, col, func, select

from jobs.dispatch_types import Closed, Rendered, Renderer
from jobs.paid import PaidBroadcasts
from storage.database.engine import session_scope
from storage.database.models import Delivery
from storage.outbox import (
    PENDING,
    SENDING,
    DeliveryResult,
    DeliveryWork,
    claim_due,
    next_due_at,
    record_results,
    resume_in_flight,
)

log = logging.getLogger(__name__)

Prepared = dict[int, Rendered | Closed]


def is_database_error(error: Exception) -> bool:
    """Whether ``error`` came from the database (the work is retried, not dropped)."""
    return isinstance(error, DBAPIError | PendingRollbackError)


def claim_batch(
    engine: Engine,
    renderer: Renderer,
    *,
    now: datetime,
    limit: int,
    worker: str,
    skip: set[int],
    lease: timedelta,
) -> tuple[list[DeliveryWork], Prepared, datetime | None]:
    """Claim due rows, render them in the same session, and say when the next falls due."""
    with session_scope(engine) as session:
        works = claim_due(
            session, now=now, limit=limit, worker=worker, skip_chats=skip, lease=lease
        )
        prepared = prepare_all(renderer, session, works, now) if works else {}
        next_due = next_due_at(session) if len(works) < limit else None
    return works, prepared, next_due


def prepare_all(
    renderer: Renderer, session: Session, works: list[DeliveryWork], now: datetime
) -> Prepared:
    """Render a batch; when the renderer fails on it, render one by one (failures are retried)."""
    try:
        return dict(renderer.prepare(session, works, now))
    except Exception as error:
        if is_database_error(error):
            raise  # the database, not the renderer: the claim is rolled back and retried
        log.error(
            "renderer failed on a batch of %d (%s); rendering one by one",
            len(works),
            type(error).__name__,
        )
    prepared: Prepared = {}
    failures = 0
    for work in works:
        try:
            prepared.update(renderer.prepare(session, [work], now))
        except Exception as error:
            if is_database_error(error):
                raise
            failures += 1
    if failures:
        log.error("renderer failed on %d deliveries; they will be retried", failures)
    return prepared


def resume(engine: Engine, worker: str, paid: PaidBroadcasts | None) -> int:
    """Put this worker's rows left ``sending`` back to pending; read today's paid spending."""
    with session_scope(engine) as session:
        if paid is not None:
            paid.load(session)
        return resume_in_flight(session, worker=worker)


def record(
    engine: Engine,
    batch: Sequence[DeliveryResult],
    *,
    worker: str,
    paid: PaidBroadcasts | None,
) -> None:
    """Store a flush's outcomes (and the day's paid spending) in one transaction."""
    with session_scope(engine) as session:
        record_results(session, batch, worker=worker)
        if paid is not None:
            paid.save(session)


def count_unfinished(engine: Engine, *, now: datetime, horizon: datetime, worker: str) -> int:
    """Rows due now, retries due before ``horizon``, and this worker's rows in flight."""
    with session_scope(engine) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Delivery)
                .where(
                    or_(
                        and_(col(Delivery.status) == PENDING, col(Delivery.due_at) <= now),
                        and_(
                            col(Delivery.status) == PENDING,
                            col(Delivery.last_error).is_not(None),
                            col(Delivery.due_at) <= horizon,
                        ),
                        and_(col(Delivery.status) == SENDING, col(Delivery.claimed_by) == worker),
                    )
                )
            ).one()
        )
