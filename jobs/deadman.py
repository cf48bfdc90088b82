"""The dead-man's switch: when the planner or the dispatcher stops running, the database
cannot be reached or read, deliveries are stuck or keep failing, the admins hear of it
on Telegram.

It runs every minute from the JobQueue, on the very health check the /healthz
endpoint serves (``bot_data["health"]``: same judgment, same ``CASEBOT_STALL_AFTER``).
An admin is told once when something goes wrong, again if it is still wrong an hour
later or the problems change, and once when all is well again. Admins must have
started a chat with the bot for Telegram to deliver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from jobs.health import (
    DATABASE,
    DISPATCHER,
    FAILING,
    HEALTH_KEY,
    PLANNER,
    STUCK,
    HealthReport,
    application_health,
)
from messages import N_, Translator, resolve_language, translator
from services import Services
from storage.database.engine import session_scope
from storage.usecases.subscribers import get_chosen_language

log = logging.getLogger("casebot.deadman")

REPEAT_AFTER = timedelta(hours=1)
CHECK_INTERVAL = 60.0


STALL_TEXTS = {
    PLANNER: (N_("The reminder planner last ran %(minutes)d minutes ago."),
              N_("The reminder planner has not run since the start.")),
    DISPATCHER: (N_("The alert dispatcher last ran %(minutes)d minutes ago."),
                 N_("The alert dispatcher has not run since the start.")),
}  # fmt: skip


def describe(t: Translator, report: HealthReport, *, stall_after: timedelta) -> list[str]:
    """The report's problems (``report.issues``, found by ``jobs.health.judge``) in the
    admin's language, counts and ages only; and, with them, how many alerts wait when the
    oldest has waited longer than `stall_after` (due, or claimed with no outcome)."""
    lines: list[str] = []
    stuck = [issue for issue in report.issues if issue.kind == STUCK]
    oldest_due = report.oldest_due_seconds or 0.0
    waiting, oldest = 0, 0.0
    if stuck or oldest_due > stall_after.total_seconds():
        waiting = report.backlog + sum(issue.count for issue in stuck)
        oldest = max([oldest_due] + [(issue.minutes or 0) * 60.0 for issue in stuck])
    for issue in report.issues:
        if issue.kind == DATABASE:
            lines.append(t.gettext("The database cannot be reached."))
        elif issue.kind in STALL_TEXTS:
            stale_text, never_text = STALL_TEXTS[issue.kind]
            if issue.minutes is None:
                lines.append(t.gettext(never_text))
            else:
                lines.append(t.gettext(stale_text) % {"minutes": issue.minutes})
        elif issue.kind == FAILING:
            lines.append(
                t.ngettext(
                    "%(count)d alert failed in the last hour.",
                    "%(count)d alerts failed in the last hour.",
                    issue.count,
                )
                % {"count": issue.count}
            )
    if waiting:
        lines.append(
            t.ngettext(
                "%(count)d alert is waiting; the oldest for %(minutes)d minutes.",
                "%(count)d alerts are waiting; the oldest for %(minutes)d minutes.",
                waiting,
            )
            % {"count": waiting, "minutes": int(oldest // 60)}
        )
    return lines


@dataclass
class DeadMansSwitch:
    """Remembers what the admins were last told, so they are not flooded."""

    stall_after: timedelta
    last_problems: tuple[str, ...] = ()
    last_told: datetime | None = None
    alarmed: bool = field(default=False)

    def decide(self, report: HealthReport, now: datetime) -> str | None:
        """'alarm', 'recovered' or None (nothing to say now).

        Problems are compared by kind (``Problem.kind``): a stall growing from 20 to 21
        minutes is the same problem, not a new one to tell again.
        """
        if report.issues:
            problems = tuple(sorted({issue.kind for issue in report.issues}))
        else:  # a report made by hand, with its lines only
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
    report = await context.bot_data[HEALTH_KEY]()
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
            lines = describe(t, report, stall_after=switch.stall_after)
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
    """Put the switch and the process's health check in bot_data (called at start).

    That check is also the one ``GET /healthz`` answers with (``jobs.health.webhook_health``),
    so the endpoint and the alarm judge alike, on the same `stall_after`.
    """
    app.bot_data["deadman"] = DeadMansSwitch(stall_after=stall_after)
    app.bot_data[HEALTH_KEY] = application_health(app, stall_after=stall_after)
