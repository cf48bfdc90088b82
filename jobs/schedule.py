"""What APScheduler (through PTB's JobQueue) does: it only wakes the planner and the
dispatcher. The truth is in the database, so a restart rebuilds everything."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import text
from telegram.ext import Application, ContextTypes

from jobs import deadman
from jobs.planner import plan
from jobs.stale import plan_digest
from services import Services
from storage.database.engine import session_scope
from storage.outbox import reclaim_stale
from storage.usecases.approval import expire_approvals

log = logging.getLogger("casebot.jobs")

PLANNER_INTERVAL = 60.0
STARTUP_PLANNER = "planner-at-start"
DISPATCHER_NUDGE_INTERVAL = 5.0


STALE_CLAIM = timedelta(minutes=10)
PLANNER_LOCK = 0x636173656274  # "casebt": the advisory lock id of the planner


def run_planner(services: Services) -> int:
    """One planner run in its own transaction; returns the reminder rows written.

    On PostgreSQL several casebot processes may share the database: a
    transaction-scoped advisory lock lets one of them plan at a time (the others
    skip this round; their rows would be duplicates anyway and are refused by the
    dedupe keys). SQLite serializes writers by itself.
    """
    settings = services.settings
    with session_scope(services.engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            locked = session.execute(
                text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": PLANNER_LOCK}
            ).scalar()
            if not locked:
                log.info("another process is planning; skipping this round")
                return 0
        reclaimed = reclaim_stale(session, now=services.clock(), older_than=STALE_CLAIM)
        if reclaimed:
            log.warning(
                "%d deliveries left claimed by a stopped process are pending again", reclaimed
            )
        report = plan(
            session,
            now=services.clock(),
            reminders=settings.reminders,
            release_reminders=settings.release_reminders,
            zone=settings.timezone,
        )
        expired = expire_approvals(session, now=services.clock())
        digests = plan_digest(
            session,
            now=services.clock(),
            zone=settings.timezone,
            admins=settings.admins,
            stale_after=settings.stale_after,
        )
    written = report.hearing_reminders + report.release_reminders + report.attend_notes
    return written + digests + expired


async def planner_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plan reminders off the event loop, then wake the dispatcher if any were written."""
    services: Services = context.bot_data["services"]
    written = await asyncio.to_thread(run_planner, services)
    if written:
        services.wake_dispatcher()


async def nudge_dispatcher(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Wake the dispatcher: rows may have been written by another process."""
    services: Services = context.bot_data["services"]
    services.wake_dispatcher()


def schedule_jobs(app: Application) -> None:  # type: ignore[type-arg]
    """Run the planner as soon as the job queue starts, then every minute; nudge the
    dispatcher every few seconds; check health every minute and tell the admins when
    something is wrong.

    The first planner run is a job of its own: a repeating job with ``first=0`` would
    first fire one interval later (APScheduler puts a start time already past on the
    next interval), so overdue reminders and stale claims would wait a minute. Having
    no misfire grace limit, it runs however late the job queue starts.
    """
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    queue.run_once(
        planner_job,
        when=0.0,
        name=STARTUP_PLANNER,
        job_kwargs={"misfire_grace_time": None},
    )
    queue.run_repeating(
        planner_job, interval=PLANNER_INTERVAL, first=PLANNER_INTERVAL, name="planner"
    )
    services: Services = app.bot_data["services"]
    deadman.install(app, services.settings.stall_after)
    queue.run_repeating(
        deadman.deadman_job,
        interval=deadman.CHECK_INTERVAL,
        first=deadman.CHECK_INTERVAL,
        name="deadman",
    )
    queue.run_repeating(
        nudge_dispatcher,
        interval=DISPATCHER_NUDGE_INTERVAL,
        first=DISPATCHER_NUDGE_INTERVAL,
        name="dispatcher",
    )
