"""The organizers' weekly digest of cases that need a look, written to the outbox.

The planner's minutely run calls :func:`plan_digest`: from Monday 09:00 (in
``CASEBOT_TIMEZONE``) each organizer and admin (in their private chat; one who blocked the
bot is left out) gets one digest per ISO week — the dedupe key holds the week, so reruns
and restarts add nothing, and a bot that was down on Monday sends it when it is back. Nothing
is written in a week with no case to look at, nor before the first Monday 09:00 at least a
day after the bot first ran on this database (a new installation, or `casebot chat --demo`,
does not open with a digest). The list itself is read again when the digest
is sent (jobs/render.py), so a case confirmed meanwhile is not in it.

Finding the stale cases reads every case, so the planner does it once a week when
the digest is written (the week is kept in ``job_state``) and, in a week with nothing
to look at, at most once an hour (``RECHECK``), not at every minutely run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.database.models import JobState, Organizer, Subscriber
from storage.outbox import dedupe_prefix, enqueue_rows
from storage.payloads import StaleDigest
from storage.reads.stale import list_stale
from storage.vocabulary import AlertKind

DIGEST_TIME = time(9, 0)
"""When, on Mondays, the week's digest becomes due (in the operator's zone)."""
FIRST_DELAY = timedelta(days=1)
"""The first digest is the first Monday's at least this long after the bot first ran."""
JOB_NAME = "stale_digest"
RECHECK = timedelta(hours=1)
"""How often a week with no stale case is looked at again."""


def _state(session: Session, now: datetime) -> JobState:
    """The digest planner's record: when it first ran on this database (kept from the
    first run), the week it last wrote and when it last found nothing stale."""
    state = session.get(JobState, JOB_NAME)
    if state is None:
        state = JobState(name=JOB_NAME, last_run_at=now, detail={"first_seen": now.isoformat()})
        session.add(state)
        session.flush()
    return state


def _looked_lately(state: JobState, week: str, now: datetime) -> bool:
    """Whether this week's digest is written, or nothing was stale within RECHECK."""
    if state.detail.get("week") == week:
        return True
    checked = state.detail.get("nothing_stale_at")
    return checked is not None and now - datetime.fromisoformat(str(checked)) < RECHECK


def week_start(now: datetime, zone: str) -> datetime:
    """Monday 09:00 (in ``zone``) of the ISO week of ``now``."""
    local = now.astimezone(ZoneInfo(zone))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, DIGEST_TIME, tzinfo=ZoneInfo(zone))


def digest_week(now: datetime, zone: str) -> str | None:
    """The ISO week whose digest is due at ``now`` ("2030-W19"): from its Monday 09:00 to its
    end; None on a Monday before 09:00 (last week's is not sent so late, this week's not
    yet)."""
    local = now.astimezone(ZoneInfo(zone))
    if local.weekday() == 0 and local.time() < DIGEST_TIME:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _recipients(session: Session, admins: Iterable[int]) -> list[int]:
    organizers = set(session.exec(select(Organizer.user_id)).all()) | set(admins)
    if not organizers:
        return []
    known = set(
        session.exec(
            select(Subscriber.chat_id).where(col(Subscriber.chat_id).in_(sorted(organizers)))
        ).all()
    )
    for user_id in sorted(organizers - known):  # their private chat: its id is theirs
        session.add(Subscriber(chat_id=user_id, chat_type="private"))
    session.flush()
    return list(
        session.exec(
            select(Subscriber.chat_id).where(
                col(Subscriber.chat_id).in_(sorted(organizers)),
                col(Subscriber.blocked).is_(False),
                col(Subscriber.gone).is_(False),
            )
        ).all()
    )


def plan_digest(
    session: Session,
    *,
    now: datetime,
    zone: str,
    admins: Iterable[int],
    stale_after: timedelta,
) -> int:
    """Write this week's digest for every organizer who has none yet; return how many."""
    state = _state(session, now)
    first_seen = datetime.fromisoformat(str(state.detail.get("first_seen", state.last_run_at)))
    week = digest_week(now, zone)
    if week is None or week_start(now, zone) < first_seen + FIRST_DELAY:
        return 0  # a new installation starts with next week's digest, never at once
    if _looked_lately(state, week, now):
        return 0
    if not list_stale(session, now=now, zone=zone, stale_after=stale_after):
        state.detail = {**state.detail, "nothing_stale_at": now.isoformat()}
        return 0
    key = dedupe_prefix(AlertKind.STALE_DIGEST, None, week)
    rows = [
        {
            "dedupe_key": f"{key}{chat_id}",
            "chat_id": chat_id,
            "case_id": None,
            "kind": AlertKind.STALE_DIGEST,
            "due_at": now,
            "payload": StaleDigest(week=week),
        }
        for chat_id in _recipients(session, admins)
    ]
    state.detail = {**state.detail, "week": week}
    return enqueue_rows(session, rows)
