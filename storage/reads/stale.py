"""Cases that need an organizer's look (``/stale`` and the weekly digest).

A case needs a look when (:class:`StaleReason`):

- its expected release day passed, custody still says held, and nothing was stated or
  confirmed since that day;
- a hearing passed (still marked scheduled) and nothing was recorded since it began: no
  organizer change or confirmation after its start, no timeline event dated on or after
  its day;
- nothing was stated or confirmed for ``stale_after`` (the card's "facts as of" is older,
  or there is none).

"Nothing changed" (``/confirm``) answers all three: it records a fact as of today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from storage.database.models import AuditEntry, Case, Hearing, TimelineEvent
from storage.domain.sentence import estimate_for
from storage.reads.cases import ORGANIZER_FACTS, facts_as_of
from storage.vocabulary import HELD, StaleReason


@dataclass(frozen=True)
class StaleCase:
    """A case that needs a look, and why (in :class:`StaleReason` order)."""

    case_id: int
    reasons: tuple[StaleReason, ...]
    facts_as_of: date | None


def _last_passed_hearing(session: Session, case_id: int, now: datetime) -> Hearing | None:
    return session.exec(
        select(Hearing)
        .where(
            Hearing.case_id == case_id,
            Hearing.status == "scheduled",
            col(Hearing.starts_at) <= now,
        )
        .order_by(col(Hearing.starts_at).desc())
    ).first()


def _recorded_since(session: Session, case_id: int, hearing: Hearing) -> bool:
    day = hearing.starts_at.astimezone(ZoneInfo(hearing.tz)).date()
    changed = session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.case_id == case_id,
            col(AuditEntry.action).in_(ORGANIZER_FACTS),
            col(AuditEntry.at) > hearing.starts_at,
        )
    ).one()
    case = session.get(Case, case_id)
    confirmed = case is not None and case.confirmed_on is not None and case.confirmed_on > day
    event = session.exec(
        select(TimelineEvent.id).where(
            TimelineEvent.case_id == case_id, col(TimelineEvent.occurred_on) >= day
        )
    ).first()
    return bool(changed) or confirmed or event is not None


def stale_reasons(
    session: Session, case: Case, *, now: datetime, today: date, stale_after: timedelta
) -> tuple[tuple[StaleReason, ...], date | None]:
    """Why one case needs a look (empty when it does not), and its "facts as of"."""
    assert case.id is not None
    as_of = facts_as_of(session, case).get("facts_as_of")
    reasons: list[StaleReason] = []
    estimate = estimate_for(case)
    if (
        estimate is not None
        and estimate.release_on < today
        and case.custody in HELD
        and (as_of is None or as_of <= estimate.release_on)
    ):
        reasons.append(StaleReason.RELEASE_PASSED)
    hearing = _last_passed_hearing(session, case.id, now)
    if hearing is not None and not _recorded_since(session, case.id, hearing):
        reasons.append(StaleReason.HEARING_NO_OUTCOME)
    if as_of is None or as_of < today - stale_after:
        reasons.append(StaleReason.UNCONFIRMED)
    return tuple(reasons), as_of


def list_stale(
    session: Session, *, now: datetime, zone: str, stale_after: timedelta
) -> list[StaleCase]:
    """Every case that needs a look, by number."""
    today = now.astimezone(ZoneInfo(zone)).date()
    found = []
    for case in session.exec(select(Case).order_by(col(Case.id))).all():
        reasons, as_of = stale_reasons(session, case, now=now, today=today, stale_after=stale_after)
        if reasons and case.id is not None:
            found.append(StaleCase(case.id, reasons, as_of))
    return found
