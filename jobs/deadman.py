"""The dead-man's switch: when the planner or the dispatcher stops running, the database
cannot be reached, or deliveries keep failing, the admins hear of it on Telegram.

It runs every minute from the JobQueue, on the same health report the /healthz
endpoint serves. An admin is told once when something goes wrong, again if it
is still wrong an hour later or the problems change, and once when all is well
again. Admins must have started a chat with the bot for Telegram to deliver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from jobs.health import HealthReport, application_health
from messages import N_, Translator, resolve_language, translator
from settings import Services
from storage.db import session_scope
from storage.subscribers import get_chosen_language

log = logging.getLogger("casebot.deadman")

REPEAT_AFTER = timedelta(hours=1)
CHECK_INTERVAL = 60.0


def _minutes(since: datetime | None, now: datetime) -> int:
    return int((now - since).total_seconds() // 60) if since is not None else 0


STALL_TEXTS = (
    ("planner", N_("The reminder planner last ran %(minutes)d minutes ago."),
     N_("The reminder planner has not run since the start.")),
    ("dispatcher", N_("The alert dispatcher last ran %(minutes)d minutes ago."),
     N_("The alert dispatcher has not run since the start.")),
)  # fmt: skip


def describe(
    t: Translator,
    report: HealthReport,
    *,
    now: datetime,
    stall_after: timedelta,
    failed_threshold: int,
) -> list[str]:
    """The report's problems in the admin's language (counts and ages only)."""
    lines: list[str] = []
    if not report.database:
        lines.append(t.gettext("The database cannot be reached."))
    limit = stall_after.total_seconds()
    runs = {"planner": report.planner_last_run, "dispatcher": report.dispatcher_last_run}
    for job, stale_text, never_text in STALL_TEXTS:
        last = runs[job]
        if last is not None and (now - last).total_seconds() > limit:
            lines.append(t.gettext(stale_text) % {"minutes": _minutes(last, now)})
        elif last is None and any(job in problem for problem in report.problems):
            lines.append(t.gettext(never_text))
    if report.failed_recently >= failed_threshold:
        lines.append(
            t.ngettext(
                "%(count)d alert failed in the last hour.",
                "%(count)d alerts failed in the last hour.",
                report.failed_recently,
            )
            % {"count": report.failed_recently}
        )
    if report.oldest_due_seconds is not None and report.oldest_due_seconds > limit:
        lines.append(
            t.ngettext(
                "%(count)d alert is waiting; the oldest for %(minutes)d minutes.",
                "%(count)d alerts are waiting; the oldest for %(minutes)d minutes.",
                report.backlog,
            )
            % {"count": report.backlog, "minutes": int(report.oldest_due_seconds // 60)}
        )
    return lines


@dataclass
class DeadMansSwitch:
    """Remembers what the admins were last told, so they are not flooded."""

    stall_after: timedelta
    failed_threshold: int = 5
    last_problems: tuple[str, ...] = ()
    last_told: datetime | None = None
    alarmed: bool = field(default=False)

    def decide(self, report: HealthReport, now: datetime) -> str | None:
        """'alarm', 'recovered' or None (nothing to say now)."""
        problems = tuple(sorted(report.problems))
        if report.ok:
            if self.alarmed:
                self.alarmed, self.last_problems = False, ()
                return "recovered"
            return None
        repeat = self.last_told is None or now - self.last_told >= REPEAT_AFTER
        if not self.alarmed or problems != self.last_problems or repeat:
            self.alarmed, self.last_problems, self.last_told = True, problems, now
            return "alarm"
        return None


def _admin_language(services: Services, admin: int) -> str:
    try:
        with session_scope(services.engine) as session:
            chosen = get_chosen_language(session, chat_id=admin)
    except Exception:  # the database may be what is down
        chosen = None
    return resolve_language(chosen, None)


async def deadman_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check health; tell the admins when something is wrong, and when it is fixed."""
    services: Services = context.bot_data["services"]
    switch: DeadMansSwitch = context.bot_data["deadman"]
    report = await context.bot_data["health"]()
    now = services.clock()
    verdict = switch.decide(report, now)
    if verdict is None:
        return
    log.warning("health: %s (%s)", verdict, "; ".join(report.problems) or "ok")
    for admin in sorted(services.settings.admins):
        t = translator(_admin_language(services, admin))
        if verdict == "recovered":
            text = escape(t.gettext("casebot is healthy again."))
        else:
            lines = describe(
                t,
                report,
                now=now,
                stall_after=switch.stall_after,
                failed_threshold=switch.failed_threshold,
            )
            text = (
                "<b>"
                + escape(t.gettext("casebot needs attention:"))
                + "</b>\n"
                + "\n".join(
                    escape(f"• {line}") for line in lines or [t.gettext("The health check failed.")]
                )
            )
        try:
            await context.bot.send_message(admin, text)
        except TelegramError as exc:
            log.warning("could not warn an admin: %s", type(exc).__name__)


def install(app: Application[Any, Any, Any, Any, Any, Any], stall_after: timedelta) -> None:
    """Put the switch and its health check in bot_data (called at start)."""
    app.bot_data["deadman"] = DeadMansSwitch(stall_after=stall_after)
    app.bot_data["health"] = application_health(app, stall_after=stall_after)
