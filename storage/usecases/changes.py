"""Changes that subscribers must hear about: each one updates the case, writes the audit
entry and the alert for every follower in the same transaction.

This is the one place alerts are handed to: organizer commands, imports and
tests call these functions and nothing else writes alert rows. The caller's
transaction commits everything together or nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.database.models import AuditEntry, Case, Court, Hearing
from storage.domain.sentence import estimate_for
from storage.outbox import dedupe_prefix, enqueue_for_followers, retire_hearing_reminders
from storage.vocabulary import STATUS_KEYS, URGENT_RISKS


@dataclass(frozen=True)
class ChangeResult:
    """What a change did: its alert kind, how many alerts it queued, its audit entry,
    and what undoing it needs (the state before, the key prefix of its alerts)."""

    case_id: int
    kind: str
    alerts: int
    audit_id: int
    prefix: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    hearing_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _audit(
    session: Session,
    *,
    case_id: int,
    actor_id: int | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> int:
    entry = AuditEntry(
        at=now, actor_id=actor_id, case_id=case_id, action=action, before=before, after=after
    )
    session.add(entry)
    session.flush()
    assert entry.id is not None
    return entry.id


def _alert(
    session: Session,
    *,
    case_id: int,
    kind: str,
    what: str,
    payload: dict[str, Any],
    now: datetime,
    urgent: bool = False,
) -> tuple[int, str]:
    """Queue one alert per follower; return how many, and the key prefix that finds them."""
    alerts = enqueue_for_followers(
        session,
        case_id=case_id,
        kind=kind,
        what=what,
        payload=payload,
        due_at=now,
        urgent=urgent,
    )
    return alerts, dedupe_prefix(kind, case_id, what)


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    return case


def change_status(
    session: Session,
    *,
    case_id: int,
    dimension: str,
    key: str,
    note: dict[str, str] | None = None,
    note_lang: str | None = None,
    basis: str | None = None,
    source_url: str | None = None,
    actor_id: int | None = None,
    now: datetime,
) -> ChangeResult | None:
    """Set one status dimension; alert followers (urgently for a rising deportation risk).

    ``basis`` (a ``Basis``) and ``source_url`` say how the new status is known; they go
    with the status on the card and in the alert. Returns None when the case already had
    that status (nothing is written).
    """
    if dimension not in STATUS_KEYS or key not in STATUS_KEYS[dimension]:
        raise ValueError(f"{dimension}={key} is not a status")
    case = _case(session, case_id)
    old = getattr(case, dimension)
    if old == key:
        return None
    setattr(case, dimension, key)
    known = {"basis": basis, "source": source_url} if basis or source_url else None
    case.basis = {k: v for k, v in case.basis.items() if k != dimension} | (
        {dimension: known} if known else {}
    )
    case.version += 1
    case.updated_at = now
    payload = {
        "dimension": dimension,
        "old": old,
        "new": key,
        "note": note or {},
        "note_lang": note_lang,
        "basis": basis,
        "source": source_url,
    }
    urgent = dimension == "risk" and key in URGENT_RISKS
    audit_id = _audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action="status",
        before={dimension: old},
        after={dimension: key, "note": note or {}, "basis": basis, "source": source_url},
        now=now,
    )
    alerts, prefix = _alert(
        session,
        case_id=case_id,
        kind="status",
        what=f"v{case.version}",
        payload=payload,
        now=now,
        urgent=urgent,
    )
    return ChangeResult(
        case_id,
        "status",
        alerts,
        audit_id,
        prefix=prefix,
        before={dimension: old},
        payload=payload,
    )


def next_hearing(session: Session, *, case_id: int, now: datetime) -> Hearing | None:
    """The earliest scheduled hearing that has not started yet."""
    return session.exec(
        select(Hearing)
        .where(
            Hearing.case_id == case_id,
            Hearing.status == "scheduled",
            col(Hearing.starts_at) >= now,
        )
        .order_by(col(Hearing.starts_at))
    ).first()


def _hearing_payload(hearing: Hearing, court: Court | None) -> dict[str, Any]:
    return {
        "hearing_id": hearing.id,
        "version": hearing.version,
        "starts_at": hearing.starts_at.isoformat(),
        "tz": hearing.tz,
        "time_known": hearing.time_known,
        "court_id": hearing.court_id,
        "court": dict(court.name) if court else {},
        "city": dict(court.city) if court else {},
    }


def set_next_hearing(
    session: Session,
    *,
    case_id: int,
    starts_at: datetime,
    tz: str,
    time_known: bool = True,
    court_id: int | None = None,
    actor_id: int | None = None,
    now: datetime,
) -> ChangeResult | None:
    """Set the next hearing, or move it if one is scheduled; alert followers.

    Moving retires the reminders made for the old time (no reminder ever names
    it) and bumps the hearing's version so new ones are planned. Returns None
    when the hearing already is at that time and court.
    """
    _case(session, case_id).updated_at = now
    hearing = next_hearing(session, case_id=case_id, now=now)
    court = session.get(Court, court_id) if court_id is not None else None
    if hearing is None:
        hearing = Hearing(
            case_id=case_id,
            court_id=court_id,
            starts_at=starts_at,
            tz=tz,
            time_known=time_known,
            created_at=now,
            updated_at=now,
        )
        session.add(hearing)
        session.flush()
        kind, before = "hearing_set", {}
        payload = _hearing_payload(hearing, court)
    else:
        if (hearing.starts_at, hearing.tz, hearing.court_id, hearing.time_known) == (
            starts_at,
            tz,
            court_id if court_id is not None else hearing.court_id,
            time_known,
        ):
            return None
        old_court = session.get(Court, hearing.court_id) if hearing.court_id else None
        before = _hearing_payload(hearing, old_court)
        hearing.starts_at, hearing.tz, hearing.time_known = starts_at, tz, time_known
        if court_id is not None:
            hearing.court_id = court_id
        else:
            court = old_court
        hearing.version += 1
        hearing.updated_at = now
        session.flush()
        assert hearing.id is not None
        retire_hearing_reminders(
            session, case_id=case_id, hearing_id=hearing.id, keep_version=hearing.version
        )
        kind = "hearing_moved"
        payload = {
            **_hearing_payload(hearing, court),
            **{
                f"old_{key}": before[key]
                for key in ("starts_at", "tz", "time_known", "court", "city")
            },
        }
    audit_id = _audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action=kind,
        before=before,
        after=payload,
        now=now,
    )
    alerts, prefix = _alert(
        session,
        case_id=case_id,
        kind=kind,
        what=f"{hearing.id}:{hearing.version}",
        payload=payload,
        now=now,
    )
    return ChangeResult(
        case_id,
        kind,
        alerts,
        audit_id,
        prefix=prefix,
        before=before,
        hearing_id=hearing.id,
        payload=payload,
    )


def cancel_next_hearing(
    session: Session, *, case_id: int, actor_id: int | None = None, now: datetime
) -> ChangeResult | None:
    """Cancel the next hearing; its reminders are retired and followers alerted.

    Returns None when no hearing is scheduled.
    """
    hearing = next_hearing(session, case_id=case_id, now=now)
    if hearing is None:
        return None
    assert hearing.id is not None
    court = session.get(Court, hearing.court_id) if hearing.court_id else None
    payload = _hearing_payload(hearing, court)
    hearing.status = "cancelled"
    hearing.version += 1
    hearing.updated_at = now
    _case(session, case_id).updated_at = now
    retire_hearing_reminders(session, case_id=case_id, hearing_id=hearing.id, keep_version=None)
    audit_id = _audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action="hearing_cancelled",
        before=payload,
        after={"status": "cancelled"},
        now=now,
    )
    alerts, prefix = _alert(
        session,
        case_id=case_id,
        kind="hearing_cancelled",
        what=f"{hearing.id}:{hearing.version}",
        payload=payload,
        now=now,
    )
    return ChangeResult(
        case_id,
        "hearing_cancelled",
        alerts,
        audit_id,
        prefix=prefix,
        before=payload,
        hearing_id=hearing.id,
        payload=payload,
    )


def _release(case: Case) -> tuple[str | None, bool]:
    estimate = estimate_for(case)
    if estimate is None:
        return None, False
    return estimate.release_on.isoformat(), estimate.stated


SENTENCE_FIELDS = (
    "sentence_months", "sentence_days", "credit_ratio", "detained_on", "verdict_on",
    "release_on", "suspended",
)  # fmt: skip


def _sentence_state(case: Case) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name in SENTENCE_FIELDS:
        value = getattr(case, name)
        state[name] = value.isoformat() if isinstance(value, date) else value
    return state


def restore_sentence(case: Case, state: dict[str, Any]) -> None:
    """Put back sentence fields saved by `_sentence_state`."""
    for name in SENTENCE_FIELDS:
        value = state.get(name)
        if name.endswith("_on") and isinstance(value, str):
            value = date.fromisoformat(value)
        if name == "suspended" and value is not None:
            value = bool(value)  # None: the sources do not say
        setattr(case, name, value)


def set_sentence(
    session: Session,
    *,
    case_id: int,
    values: dict[str, Any],
    actor_id: int | None = None,
    now: datetime,
) -> ChangeResult | None:
    """Set sentence fields; followers are alerted only when the expected release moves.

    `values` maps SENTENCE_FIELDS names to new values (dates as `date`). Returns None
    when nothing changed.
    """
    case = _case(session, case_id)
    before = _sentence_state(case)
    old_release = _release(case)
    for name, value in values.items():
        if name not in SENTENCE_FIELDS:
            raise ValueError(f"{name} is not a sentence field")
        setattr(case, name, value)
    after = _sentence_state(case)
    if after == before:
        return None
    case.updated_at = now
    case.version += 1
    audit_id = _audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action="sentence",
        before=before,
        after=after,
        now=now,
    )
    new_release = _release(case)
    if new_release[0] == old_release[0]:
        return ChangeResult(case_id, "sentence", 0, audit_id, before=before)
    payload = {"old_release": old_release[0], "release": new_release[0], "stated": new_release[1]}
    alerts, prefix = _alert(
        session,
        case_id=case_id,
        kind="release_changed",
        what=f"v{case.version}",
        payload=payload,
        now=now,
    )
    return ChangeResult(
        case_id,
        "release_changed",
        alerts,
        audit_id,
        prefix=prefix,
        before=before,
        payload=payload,
    )


def confirm_case(
    session: Session, *, case_id: int, actor_id: int, today: date, now: datetime
) -> bool:
    """An organizer checked the case today and nothing changed: its facts are as of today.

    Alerts no one. Returns False when it was already confirmed today (nothing written).
    """
    case = _case(session, case_id)
    if case.confirmed_on == today:
        return False
    before = {"confirmed_on": case.confirmed_on.isoformat() if case.confirmed_on else None}
    case.confirmed_on = today
    case.updated_at = now
    _audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action="confirm",
        before=before,
        after={"confirmed_on": today.isoformat()},
        now=now,
    )
    return True
