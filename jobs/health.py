"""Is casebot healthy? The database, the outbox backlog and the background jobs, in one report.

:func:`health_report` reads a few numbers from the database and compares the
planner's and the dispatcher's last runs with the time given. It never raises: a
database that cannot be reached or read gives ``database=False`` and ``ok=False``
with the reason in ``problems``. It knows nothing of web servers, so the
``GET /healthz`` endpoint (``jobs/webhook.py``) and a dead-man's-switch job that
messages the admins can share it. Problems hold counts and ages only, never chat
ids or message texts, so a report can be shown to anyone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select
from telegram.ext import Application

from jobs.planner import JOB_NAME as PLANNER_JOB
from storage.models import Delivery, JobState
from storage.outbox import FAILED, PENDING

log = logging.getLogger("casebot.health")

DEFAULT_STALL_AFTER = timedelta(minutes=10)
"""A job silent this long is stalled (the dispatcher may hold sends up to 5 min in an outage)."""
DEFAULT_FAILED_THRESHOLD = 5
DEFAULT_FAILED_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class HealthReport:
    """The state of one casebot process and its database at ``checked_at``.

    ``backlog`` counts pending deliveries already due; ``oldest_due_seconds`` is how
    long the oldest of them has been due (None when none is). ``failed_recently``
    counts deliveries that ended ``failed`` within the failure window. ``ok`` is
    True exactly when ``problems`` is empty.
    """

    ok: bool
    database: bool
    backlog: int
    oldest_due_seconds: float | None
    planner_last_run: datetime | None
    dispatcher_last_run: datetime | None
    problems: list[str]
    failed_recently: int = 0
    checked_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (instants in ISO 8601)."""

        def instant(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "ok": self.ok,
            "database": self.database,
            "backlog": self.backlog,
            "oldest_due_seconds": self.oldest_due_seconds,
            "failed_recently": self.failed_recently,
            "planner_last_run": instant(self.planner_last_run),
            "dispatcher_last_run": instant(self.dispatcher_last_run),
            "checked_at": instant(self.checked_at),
            "problems": list(self.problems),
        }

    def to_json(self) -> str:
        """The report as a JSON object, for the health endpoint."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _minutes(age: timedelta) -> int:
    return max(0, int(age.total_seconds() // 60))


def _window_text(window: timedelta) -> str:
    if window == timedelta(hours=1):
        return "the last hour"
    if window.total_seconds() % 3600 == 0:
        return f"the last {int(window.total_seconds() // 3600)} hours"
    return f"the last {_minutes(window)} minutes"


def _stall_problem(
    job: str,
    last_run: datetime | None,
    *,
    now: datetime,
    stall_after: timedelta,
    started_at: datetime | None,
) -> str | None:
    """Why `job` looks stalled, or None; a job that never ran gets a grace period from start."""
    if last_run is None:
        if started_at is not None and now - started_at < stall_after:
            return None
        return f"{job} has not run yet"
    age = now - last_run
    if age > stall_after:
        return f"{job} has not run for {_minutes(age)} minutes"
    return None


@dataclass(frozen=True)
class _Numbers:
    backlog: int
    oldest_due: datetime | None
    planner_last_run: datetime | None
    failed_recently: int


def _read_numbers(session: Session, *, now: datetime, failed_window: timedelta) -> _Numbers:
    count, oldest_due = session.exec(
        select(func.count(), func.min(col(Delivery.due_at))).where(
            col(Delivery.status) == PENDING, col(Delivery.due_at) <= now
        )
    ).one()
    failed = session.exec(
        select(func.count()).where(
            col(Delivery.status) == FAILED, col(Delivery.updated_at) >= now - failed_window
        )
    ).one()
    state = session.get(JobState, PLANNER_JOB)
    return _Numbers(
        backlog=int(count or 0),
        oldest_due=oldest_due,
        planner_last_run=state.last_run_at if state is not None else None,
        failed_recently=int(failed or 0),
    )


def health_report(
    engine: Engine,
    *,
    now: datetime,
    dispatcher_last_run: datetime | None,
    stall_after: timedelta,
    started_at: datetime | None = None,
    failed_threshold: int = DEFAULT_FAILED_THRESHOLD,
    failed_window: timedelta = DEFAULT_FAILED_WINDOW,
) -> HealthReport:
    """Check the database, the backlog and the jobs at `now` (aware UTC); never raises.

    The planner's last run is read from its ``JobState`` row; the dispatcher's is
    given (``Dispatcher.last_run_at``, None when there is no dispatcher). A job is
    stalled when its last run is older than `stall_after`; one that never ran is
    stalled once `stall_after` has passed since `started_at` (at once when None).
    `failed_threshold` or more deliveries ending ``failed`` within `failed_window`
    is a problem. ``database`` is True when ``SELECT 1`` and these reads succeeded
    (a reachable database without casebot's tables is not healthy). Blocking: call
    it from a thread (``asyncio.to_thread``) in the event loop.
    """
    try:
        return _health_report(
            engine,
            now=now,
            dispatcher_last_run=dispatcher_last_run,
            stall_after=stall_after,
            started_at=started_at,
            failed_threshold=failed_threshold,
            failed_window=failed_window,
        )
    except Exception as error:  # a bug or bad arguments: still a report, never a crash
        log.error("health check failed (%s)", type(error).__name__)
        return HealthReport(
            ok=False,
            database=False,
            backlog=0,
            oldest_due_seconds=None,
            planner_last_run=None,
            dispatcher_last_run=dispatcher_last_run,
            problems=[f"health check failed ({type(error).__name__})"],
            checked_at=now,
        )


def _health_report(
    engine: Engine,
    *,
    now: datetime,
    dispatcher_last_run: datetime | None,
    stall_after: timedelta,
    started_at: datetime | None,
    failed_threshold: int,
    failed_window: timedelta,
) -> HealthReport:
    problems: list[str] = []
    numbers: _Numbers | None = None
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            try:
                numbers = _read_numbers(session, now=now, failed_window=failed_window)
            except Exception as error:
                log.warning("health check: database queries failed (%s)", type(error).__name__)
                problems.append(f"database queries failed ({type(error).__name__})")
    except Exception as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        problems.append("database unreachable")

    if numbers is not None:
        stalled = _stall_problem(
            "planner",
            numbers.planner_last_run,
            now=now,
            stall_after=stall_after,
            started_at=started_at,
        )
        if stalled:
            problems.append(stalled)
    stalled = _stall_problem(
        "dispatcher", dispatcher_last_run, now=now, stall_after=stall_after, started_at=started_at
    )
    if stalled:
        problems.append(stalled)
    if numbers is not None and numbers.failed_recently >= max(1, failed_threshold):
        problems.append(
            f"deliveries failing: {numbers.failed_recently} failed in {_window_text(failed_window)}"
        )

    oldest_due_seconds = None
    if numbers is not None and numbers.oldest_due is not None:
        oldest_due_seconds = max(0.0, (now - numbers.oldest_due).total_seconds())
    return HealthReport(
        ok=not problems,
        database=numbers is not None,
        backlog=numbers.backlog if numbers is not None else 0,
        oldest_due_seconds=oldest_due_seconds,
        planner_last_run=numbers.planner_last_run if numbers is not None else None,
        dispatcher_last_run=dispatcher_last_run,
        problems=problems,
        failed_recently=numbers.failed_recently if numbers is not None else 0,
        checked_at=now,
    )


def application_health(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    stall_after: timedelta = DEFAULT_STALL_AFTER,
    failed_threshold: int = DEFAULT_FAILED_THRESHOLD,
    failed_window: timedelta = DEFAULT_FAILED_WINDOW,
) -> Callable[[], Awaitable[HealthReport]]:
    """A health check of the Application built by ``bot.build_application``.

    Each call reads ``bot_data["services"]`` (engine, clock) and
    ``bot_data["dispatcher"]`` at that moment and runs :func:`health_report` in a
    thread. Jobs get a grace period of `stall_after` from the moment this was made.
    """
    started_at: datetime | None = None
    try:
        started_at = application.bot_data["services"].clock()
    except Exception:  # no services yet: no grace period
        started_at = None

    async def check() -> HealthReport:
        try:
            services = application.bot_data["services"]
            dispatcher = application.bot_data.get("dispatcher")
            last_run: datetime | None = dispatcher.last_run_at if dispatcher is not None else None
            engine: Engine = services.engine
            now: datetime = services.clock()
        except Exception as error:
            return HealthReport(
                ok=False,
                database=False,
                backlog=0,
                oldest_due_seconds=None,
                planner_last_run=None,
                dispatcher_last_run=None,
                problems=[f"health check failed ({type(error).__name__})"],
            )
        return await asyncio.to_thread(
            health_report,
            engine,
            now=now,
            dispatcher_last_run=last_run,
            stall_after=stall_after,
            started_at=started_at,
            failed_threshold=failed_threshold,
            failed_window=failed_window,
        )

    return check
