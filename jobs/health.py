"""Is casebot healthy? The database, the outbox and the background jobs, in one report.

:func:`health_report` reads a few numbers from the database and hands them, with
the dispatcher's last run, to :func:`judge` — the one function that decides what
is wrong. ``GET /healthz`` (``jobs/webhook.py``) and the dead-man's switch that
messages the admins (``jobs/deadman.py``) both get their report from the same
check, :func:`application_health`, with the same ``CASEBOT_STALL_AFTER``: they
cannot disagree. :func:`health_report` never raises: a database that cannot be
reached or read gives ``database=False`` and ``ok=False`` with the reason.

What counts as a problem (:class:`Problem`):

* the database cannot be reached, or casebot's tables cannot be read;
* the planner or the dispatcher has not run for longer than ``stall_after``
  (counted from this process's start at the earliest, so a restart after a long
  stop is not a stall);
* deliveries claimed (``sending``) longer than ``stall_after`` ago without an
  outcome: a live dispatcher records every outcome within seconds;
* ``failed_threshold`` or more deliveries ended ``failed`` within ``failed_window``.

Problems hold counts and ages only, never chat ids or message texts, so a report
can be shown to anyone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, func, select
from telegram.ext import Application

from jobs.planner import JOB_NAME as PLANNER_JOB
from storage.database.models import Delivery, JobState
from storage.outbox import FAILED, PENDING, SENDING

log = logging.getLogger("casebot.health")

DEFAULT_STALL_AFTER = timedelta(minutes=10)
"""A job silent this long is stalled (the dispatcher may hold sends up to 5 min in an outage)."""
DEFAULT_FAILED_THRESHOLD = 5
DEFAULT_FAILED_WINDOW = timedelta(hours=1)

DATABASE, PLANNER, DISPATCHER, STUCK, FAILING, CHECK = (
    "database",
    "planner",
    "dispatcher",
    "stuck",
    "failing",
    "check",
)
"""The kinds of :class:`Problem`."""


def _minutes(age: timedelta) -> int:
    return max(0, int(age.total_seconds() // 60))


def _window_text(window: timedelta) -> str:
    if window == timedelta(hours=1):
        return "the last hour"
    if window.total_seconds() % 3600 == 0:
        return f"the last {int(window.total_seconds() // 3600)} hours"
    return f"the last {_minutes(window)} minutes"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, as data (`kind` is one of DATABASE … CHECK); ``str()`` is its English
    line for ``/healthz`` and the logs.

    ``minutes``: for a stalled job, how long since it last ran (None: never); for
    STUCK, how long the oldest row has been claimed. ``count``: rows (STUCK,
    FAILING). ``detail``: the database's or the check's error, or FAILING's window.
    """

    kind: str
    minutes: int | None = None
    count: int = 0
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == DATABASE:
            return self.detail or "database unreachable"
        if self.kind in (PLANNER, DISPATCHER):
            if self.minutes is None:
                return f"{self.kind} has not run yet"
            return f"{self.kind} has not run for {self.minutes} minutes"
        if self.kind == STUCK:
            return (
                f"deliveries stuck: {self.count} claimed for {self.minutes} minutes "
                "without an outcome"
            )
        if self.kind == FAILING:
            return f"deliveries failing: {self.count} failed in {self.detail}"
        return f"health check failed ({self.detail})"


@dataclass(frozen=True)
class HealthReport:
    """The state of one casebot process and its database at ``checked_at``.

    ``backlog`` counts pending deliveries already due; ``oldest_due_seconds`` is how
    long the oldest of them has been due (None when none is). ``stuck_sending``
    counts deliveries claimed longer than ``stall_after`` ago with no outcome yet.
    ``failed_recently`` counts deliveries that ended ``failed`` within the failure
    window. ``issues`` are what :func:`judge` found and ``problems`` their English
    lines; ``ok`` is True exactly when there are none.
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
    stuck_sending: int = 0
    stall_after: timedelta | None = None
    issues: tuple[Problem, ...] = field(default=())
    paid_broadcast: dict[str, Any] | None = None
    """Paid broadcasts: mode, Stars balance read at start, spent today, budget."""

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (instants in ISO 8601)."""

        def instant(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "ok": self.ok,
            "database": self.database,
            "backlog": self.backlog,
            "oldest_due_seconds": self.oldest_due_seconds,
            "stuck_sending": self.stuck_sending,
            "failed_recently": self.failed_recently,
            "planner_last_run": instant(self.planner_last_run),
            "dispatcher_last_run": instant(self.dispatcher_last_run),
            "stall_after_seconds": (
                self.stall_after.total_seconds() if self.stall_after is not None else None
            ),
            "checked_at": instant(self.checked_at),
            "problems": list(self.problems),
            "paid_broadcast": self.paid_broadcast,
        }

    def to_json(self) -> str:
        """The report as a JSON object, for the health endpoint."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def failed_report(error: BaseException, *, now: datetime | None = None) -> HealthReport:
    """The report when the check itself could not run: not ok, nothing known."""
    issue = Problem(CHECK, detail=type(error).__name__)
    return HealthReport(
        ok=False,
        database=False,
        backlog=0,
        oldest_due_seconds=None,
        planner_last_run=None,
        dispatcher_last_run=None,
        problems=[str(issue)],
        checked_at=now,
        issues=(issue,),
    )


def _stall(
    kind: str,
    last_run: datetime | None,
    *,
    now: datetime,
    stall_after: timedelta,
    started_at: datetime | None,
) -> Problem | None:
    """Whether the job `kind` is stalled: silent for longer than `stall_after`, counted from
    its last run or from `started_at`, whichever is later (never ran and no start: stalled)."""
    since = last_run
    if started_at is not None and (since is None or started_at > since):
        since = started_at
    if since is not None and now - since <= stall_after:
        return None
    return Problem(kind, minutes=_minutes(now - last_run) if last_run is not None else None)


def judge(
    *,
    now: datetime,
    stall_after: timedelta,
    database_error: str | None,
    planner_last_run: datetime | None,
    dispatcher_last_run: datetime | None,
    stuck_sending: int = 0,
    oldest_claim: datetime | None = None,
    failed_recently: int = 0,
    started_at: datetime | None = None,
    failed_threshold: int = DEFAULT_FAILED_THRESHOLD,
    failed_window: timedelta = DEFAULT_FAILED_WINDOW,
) -> list[Problem]:
    """What is wrong, given what was read: the single judgment behind ``/healthz`` and the
    admins' alarm (see the module docstring). `database_error` is None when the database
    was read; then the planner's run and the outbox numbers count, else they are unknown
    and only the dispatcher is judged besides the database."""
    problems: list[Problem] = []
    if database_error is not None:
        problems.append(Problem(DATABASE, detail=database_error))
    else:
        planner = _stall(
            PLANNER, planner_last_run, now=now, stall_after=stall_after, started_at=started_at
        )
        if planner is not None:
            problems.append(planner)
    dispatcher = _stall(
        DISPATCHER, dispatcher_last_run, now=now, stall_after=stall_after, started_at=started_at
    )
    if dispatcher is not None:
        problems.append(dispatcher)
    if database_error is None and stuck_sending > 0:
        age = now - oldest_claim if oldest_claim is not None else stall_after
        problems.append(Problem(STUCK, minutes=_minutes(age), count=stuck_sending))
    if database_error is None and failed_recently >= max(1, failed_threshold):
        problems.append(Problem(FAILING, count=failed_recently, detail=_window_text(failed_window)))
    return problems


@dataclass(frozen=True)
class _Numbers:
    backlog: int
    oldest_due: datetime | None
    planner_last_run: datetime | None
    failed_recently: int
    stuck_sending: int
    oldest_claim: datetime | None


def _read_numbers(
    session: Session, *, now: datetime, stall_after: timedelta, failed_window: timedelta
) -> _Numbers:
    count, oldest_due = session.exec(
        select(func.count(), func.min(col(Delivery.due_at))).where(
            col(Delivery.status) == PENDING, col(Delivery.due_at) <= now
        )
    ).one()
    stuck, oldest_claim = session.exec(
        select(func.count(), func.min(col(Delivery.updated_at))).where(
            col(Delivery.status) == SENDING, col(Delivery.updated_at) < now - stall_after
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
        stuck_sending=int(stuck or 0),
        oldest_claim=oldest_claim,
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
    """Check the database, the outbox and the jobs at `now` (aware UTC); never raises.

    The planner's last run is read from its ``JobState`` row; the dispatcher's is
    given (``Dispatcher.last_run_at``, None when there is no dispatcher). What is a
    problem is :func:`judge`'s call. ``database`` is True when ``SELECT 1`` and these
    reads succeeded (a reachable database without casebot's tables is not healthy).
    Blocking: call it from a thread (``asyncio.to_thread``) in the event loop.
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
        return replace(failed_report(error, now=now), dispatcher_last_run=dispatcher_last_run)


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
    database_error: str | None = None
    numbers: _Numbers | None = None
    try:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))
            try:
                numbers = _read_numbers(
                    session, now=now, stall_after=stall_after, failed_window=failed_window
                )
            except Exception as error:
                log.warning("health check: database queries failed (%s)", type(error).__name__)
                database_error = f"database queries failed ({type(error).__name__})"
    except Exception as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        database_error = "database unreachable"
    if numbers is None and database_error is None:  # pragma: no cover (defensive)
        database_error = "database unreachable"

    issues = judge(
        now=now,
        stall_after=stall_after,
        database_error=database_error,
        planner_last_run=numbers.planner_last_run if numbers is not None else None,
        dispatcher_last_run=dispatcher_last_run,
        stuck_sending=numbers.stuck_sending if numbers is not None else 0,
        oldest_claim=numbers.oldest_claim if numbers is not None else None,
        failed_recently=numbers.failed_recently if numbers is not None else 0,
        started_at=started_at,
        failed_threshold=failed_threshold,
        failed_window=failed_window,
    )
    oldest_due_seconds = None
    if numbers is not None and numbers.oldest_due is not None:
        oldest_due_seconds = max(0.0, (now - numbers.oldest_due).total_seconds())
    return HealthReport(
        ok=not issues,
        database=numbers is not None,
        backlog=numbers.backlog if numbers is not None else 0,
        oldest_due_seconds=oldest_due_seconds,
        planner_last_run=numbers.planner_last_run if numbers is not None else None,
        dispatcher_last_run=dispatcher_last_run,
        problems=[str(issue) for issue in issues],
        failed_recently=numbers.failed_recently if numbers is not None else 0,
        checked_at=now,
        stuck_sending=numbers.stuck_sending if numbers is not None else 0,
        stall_after=stall_after,
        issues=tuple(issues),
    )


HealthCheck = Callable[[], Awaitable[HealthReport]]


def application_health(
    application: Application[Any, Any, Any, Any, Any, Any],
    *,
    stall_after: timedelta | None = None,
    failed_threshold: int = DEFAULT_FAILED_THRESHOLD,
    failed_window: timedelta = DEFAULT_FAILED_WINDOW,
) -> HealthCheck:
    """A health check of the Application built by ``bot.build_application``.

    `stall_after` defaults to the setting, ``CASEBOT_STALL_AFTER``
    (``bot_data["services"].settings.stall_after``). Each call reads
    ``bot_data["services"]`` (engine, clock) and ``bot_data["dispatcher"]`` at that
    moment and runs :func:`health_report` in a thread. Jobs get a grace period of
    `stall_after` from the moment this was made.
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
            limit: timedelta = (
                stall_after if stall_after is not None else services.settings.stall_after
            )
        except Exception as error:
            return failed_report(error)
        paid = getattr(dispatcher, "paid", None)
        report = await asyncio.to_thread(
            health_report,
            engine,
            now=now,
            dispatcher_last_run=last_run,
            stall_after=limit,
            started_at=started_at,
            failed_threshold=failed_threshold,
            failed_window=failed_window,
        )
        return report if paid is None else replace(report, paid_broadcast=paid.summary())

    return check


HEALTH_KEY = "health"
"""Where the process's one health check lives in ``bot_data`` (see ``deadman.install``)."""


def webhook_health(application: Application[Any, Any, Any, Any, Any, Any]) -> HealthCheck:
    """The check ``GET /healthz`` answers with: the one in ``bot_data["health"]``, the very
    check the dead-man's switch uses (installed at start); until it is there, one made
    here on the same settings."""
    fallback = application_health(application)

    async def check() -> HealthReport:
        shared: HealthCheck | None = application.bot_data.get(HEALTH_KEY)
        return await (shared or fallback)()

    return check
