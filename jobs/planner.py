"""The planner: turns hearings and expected releases into reminder rows in the outbox.

It runs every minute (APScheduler only wakes it; the truth is in the database)
and after every hearing change. A reminder row is written shortly before it is
due — within `LOOKAHEAD` — for every follower of the case, at each offset the
follower chose (their /settings preset, else `CASEBOT_REMINDERS`); its dedupe
key holds the hearing's id and version and the offset, so reruns add nothing,
and a moved hearing (new version) gets fresh reminders while the old ones are
retired. After downtime, of the offsets whose time passed while the bot was
down only the latest is sent (once), if the hearing is still ahead; reminders
for hearings that passed are dropped and counted in the log. A follower who
subscribed after a reminder's time does not get that reminder.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from settings import parse_offsets
from storage.alertkinds import registers, specs
from storage.database.models import Case, Hearing, JobState, Subscriber, Subscription
from storage.domain.sentence import estimate_for
from storage.outbox import dedupe_prefix, enqueue_rows
from storage.payloads import HearingReminder, ReleaseReminder
from storage.usecases.attendance import plan_attend_notes
from storage.vocabulary import AlertKind

log = logging.getLogger("casebot.planner")

LOOKAHEAD = timedelta(minutes=15)
RELEASE_HOUR = time(9, 0)
JOB_NAME = "planner"


@dataclass(frozen=True)
class PlanInput:
    """What every planner hook (``storage.alertkinds``, ``plan``) is given."""

    now: datetime
    reminders: tuple[timedelta, ...]
    """The default hearing reminder offsets (``CASEBOT_REMINDERS``)."""
    release_reminders: tuple[timedelta, ...]
    longest: timedelta
    """The longest hearing offset any follower chose."""
    zone: str


@dataclass(frozen=True)
class PlanReport:
    """What one planner run wrote, and what it had to drop."""

    hearing_reminders: int
    release_reminders: int
    dropped: int
    attend_notes: int = 0
    """Evening-before notes for people attending a hearing."""


def follower_offsets(
    preference: str | None, default: tuple[timedelta, ...]
) -> tuple[timedelta, ...]:
    """A follower's reminder offsets: their preset, `none`, or the default."""
    if preference is None or not preference.strip():
        return default
    if preference.strip() == "none":
        return ()
    try:
        return parse_offsets(preference)
    except ValueError:
        return default


def offsets_to_send(
    starts_at: datetime,
    offsets: tuple[timedelta, ...],
    *,
    now: datetime,
    since: datetime,
) -> list[timedelta]:
    """The offsets whose reminder should exist now for a hearing at `starts_at`.

    Offsets due within LOOKAHEAD are planned at their own time; of those already
    overdue only the smallest (the latest) is kept, and none whose time came
    before `since` (the follower's subscription).
    """
    if starts_at <= now:
        return []
    chosen: list[timedelta] = []
    overdue: list[timedelta] = []
    for offset in offsets:
        due = starts_at - offset
        if due < since or due > now + LOOKAHEAD:
            continue
        (overdue if due <= now else chosen).append(offset)
    if overdue:
        chosen.append(min(overdue))
    return chosen


def _followers(
    session: Session, case_ids: list[int]
) -> dict[int, list[tuple[int, str | None, datetime]]]:
    rows = session.exec(
        select(
            Subscription.case_id,
            Subscription.chat_id,
            Subscriber.reminders,
            Subscription.created_at,
        )
        .join(Subscriber, col(Subscriber.chat_id) == col(Subscription.chat_id))
        .where(
            col(Subscription.case_id).in_(case_ids),
            col(Subscriber.blocked).is_(False),
            col(Subscriber.gone).is_(False),
        )
    ).all()
    found: dict[int, list[tuple[int, str | None, datetime]]] = defaultdict(list)
    for case_id, chat_id, reminders, created_at in rows:
        found[case_id].append((chat_id, reminders, created_at))
    return found


@registers("plan", AlertKind.HEARING_REMINDER)
def plan_hearings(session: Session, plan_input: PlanInput) -> list[dict[str, Any]]:
    """The hearing reminders due within LOOKAHEAD, one row per follower and offset."""
    now, default, longest = plan_input.now, plan_input.reminders, plan_input.longest
    hearings = session.exec(
        select(Hearing).where(
            Hearing.status == "scheduled",
            col(Hearing.starts_at) > now,
            col(Hearing.starts_at) <= now + longest + LOOKAHEAD,
        )
    ).all()
    if not hearings:
        return []
    followers = _followers(session, sorted({hearing.case_id for hearing in hearings}))
    rows: list[dict[str, Any]] = []
    for hearing in hearings:
        what = f"{hearing.id}:{hearing.version}"
        for chat_id, preference, subscribed_at in followers.get(hearing.case_id, []):
            offsets = follower_offsets(preference, default)
            for offset in offsets_to_send(hearing.starts_at, offsets, now=now, since=subscribed_at):
                seconds = int(offset.total_seconds())
                key = dedupe_prefix("hearing_reminder", hearing.case_id, f"{what}:{seconds}")
                rows.append(
                    {
                        "dedupe_key": f"{key}{chat_id}",
                        "chat_id": chat_id,
                        "case_id": hearing.case_id,
                        "kind": "hearing_reminder",
                        "due_at": max(hearing.starts_at - offset, now),
                        "payload": HearingReminder(
                            hearing_id=hearing.id or 0, version=hearing.version, offset=seconds
                        ),
                    }
                )
    return rows


def release_instant(release_on: Any, zone: str) -> datetime:
    """The morning of a release day (09:00 in the operator's zone), in UTC."""
    return datetime.combine(release_on, RELEASE_HOUR, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@registers("plan", AlertKind.ATTEND_NOTE)
def plan_notes(session: Session, plan_input: PlanInput) -> list[dict[str, Any]]:
    """The evening-before notes to the chats attending a hearing (with a practical note)."""
    return plan_attend_notes(session, now=plan_input.now, lookahead=LOOKAHEAD)


@registers("plan", AlertKind.RELEASE_REMINDER)
def plan_releases(session: Session, plan_input: PlanInput) -> list[dict[str, Any]]:
    """The release reminders due within LOOKAHEAD, one row per follower and offset."""
    now, offsets, zone = plan_input.now, plan_input.release_reminders, plan_input.zone
    cases = session.exec(
        select(Case).where(
            col(Case.sentence_months).is_not(None) | col(Case.release_on).is_not(None),
            col(Case.suspended).is_not(True),  # not suspended, or not known to be
        )
    ).all()
    plans: list[tuple[Case, Any, bool]] = []
    for case in cases:
        estimate = estimate_for(case)
        if estimate is not None and release_instant(estimate.release_on, zone) > now:
            plans.append((case, estimate.release_on, estimate.stated))
    if not plans:
        return []
    followers = _followers(session, [case.id for case, _, _ in plans if case.id is not None])
    rows: list[dict[str, Any]] = []
    for case, release_on, stated in plans:
        instant = release_instant(release_on, zone)
        for chat_id, _preference, subscribed_at in followers.get(case.id or 0, []):
            for offset in offsets_to_send(instant, offsets, now=now, since=subscribed_at):
                seconds = int(offset.total_seconds())
                key = dedupe_prefix("release_reminder", case.id, f"{release_on}:{seconds}")
                rows.append(
                    {
                        "dedupe_key": f"{key}{chat_id}",
                        "chat_id": chat_id,
                        "case_id": case.id,
                        "kind": "release_reminder",
                        "due_at": max(instant - offset, now),
                        "payload": ReleaseReminder(
                            release_on=release_on, stated=stated, offset=seconds
                        ),
                    }
                )
    return rows


def _count_missed(
    session: Session, *, since: datetime, now: datetime, default: tuple[timedelta, ...]
) -> int:
    """Hearings that began while the planner was not running, with reminders never made."""
    missed = session.exec(
        select(Hearing.starts_at).where(
            Hearing.status == "scheduled",
            col(Hearing.starts_at) > since,
            col(Hearing.starts_at) <= now,
        )
    ).all()
    return sum(1 for starts_at in missed for offset in default if starts_at - offset > since)


def plan(
    session: Session,
    *,
    now: datetime,
    reminders: tuple[timedelta, ...],
    release_reminders: tuple[timedelta, ...],
    zone: str,
) -> PlanReport:
    """One planner run: write the reminder rows that are due soon; record the run."""
    presets = session.exec(select(Subscriber.reminders).distinct()).all()
    longest = max(
        [*reminders, *(offset for p in presets for offset in follower_offsets(p, reminders))],
        default=timedelta(0),
    )
    plan_input = PlanInput(now, reminders, release_reminders, longest, zone)
    written = {
        made.kind: enqueue_rows(session, made.plan(session, plan_input))
        for made in specs()
        if made.plan is not None
    }
    written_hearings = written.get(AlertKind.HEARING_REMINDER, 0)
    written_releases = written.get(AlertKind.RELEASE_REMINDER, 0)
    written_notes = written.get(AlertKind.ATTEND_NOTE, 0)
    state = session.get(JobState, JOB_NAME)
    dropped = 0
    if state is not None and now - state.last_run_at > timedelta(minutes=5):
        dropped = _count_missed(session, since=state.last_run_at, now=now, default=reminders)
        if dropped:
            log.warning(
                "%d hearing reminders were dropped: their hearings passed while the "
                "bot was not running",
                dropped,
            )
    if state is None:
        state = JobState(name=JOB_NAME, last_run_at=now)
        session.add(state)
    state.last_run_at = now
    state.detail = {
        "hearing_reminders": written_hearings,
        "release_reminders": written_releases,
        "attend_notes": written_notes,
    }
    if written_hearings or written_releases:
        log.info("planned %d hearing and %d release reminders", written_hearings, written_releases)
    return PlanReport(written_hearings, written_releases, dropped, written_notes)
