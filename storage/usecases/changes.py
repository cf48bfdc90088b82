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

from storage.database.models import Case, Court, Hearing
from storage.domain.sentence import estimate_for
from storage.outbox import dedupe_prefix, enqueue_for_followers, retire_hearing_reminders
from storage.payloads import (
    AlertPayload,
    HearingAlert,
    HearingMoved,
    HearingTime,
    ReleaseChanged,
    StatusAlert,
    hearing_audit,
    moved_audit,
)
from storage.usecases.auditing import record_audit
from storage.vocabulary import STATUS_KEYS, AlertKind


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
    payload: AlertPayload | None = None


@dataclass(frozen=True)
class _Change:
    """What a change function decided to record: its audit entry and, unless ``alert`` is
    None, the alert (of ``kind``, told apart from the case's others by ``what``)."""

    kind: str
    before: dict[str, Any]
    after: dict[str, Any]
    alert: AlertPayload | None = None
    what: str = ""
    hearing_id: int | None = None
    action: str = ""
    """The audit action when it is not ``kind``."""


def _record(
    session: Session, change: _Change, *, case_id: int, actor_id: int | None, now: datetime
) -> ChangeResult:
    """The one path of every change: audit → one alert per follower → the result."""
    audit_id = record_audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action=change.action or change.kind,
        before=change.before,
        after=change.after,
        now=now,
    )
    alerts, prefix = 0, ""
    if change.alert is not None:
        alerts = enqueue_for_followers(
            session,
            case_id=case_id,
            kind=change.kind,
            what=change.what,
            payload=change.alert,
            due_at=now,
            urgent=isinstance(change.alert, StatusAlert) and change.alert.urgent,
        )
        prefix = dedupe_prefix(change.kind, case_id, change.what)
    return ChangeResult(
        case_id,
        change.kind,
        alerts,
        audit_id,
        prefix=prefix,
        before=change.before,
        hearing_id=change.hearing_id,
        payload=change.alert,
    )


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
    alert = StatusAlert(
        dimension=dimension,
        old=old,
        new=key,
        note=note or {},
        note_lang=note_lang,
        basis=basis,
        source=source_url,
    )
    change = _Change(
        AlertKind.STATUS,
        before={dimension: old},
        after={dimension: key, "note": note or {}, "basis": basis, "source": source_url},
        alert=alert,
        what=f"v{case.version}",
    )
    return _record(session, change, case_id=case_id, actor_id=actor_id, now=now)


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


def hearing_time(hearing: Hearing, court: Court | None) -> HearingTime:
    """When and where a hearing is, with its court's name and city."""
    return HearingTime(
        starts_at=hearing.starts_at,
        tz=hearing.tz,
        time_known=hearing.time_known,
        court=dict(court.name) if court else {},
        city=dict(court.city) if court else {},
    )


def _hearing_alert(hearing: Hearing, court: Court | None) -> HearingAlert:
    assert hearing.id is not None
    return HearingAlert(
        hearing_id=hearing.id,
        version=hearing.version,
        at=hearing_time(hearing, court),
        court_id=hearing.court_id,
    )


def _audited(alert: HearingAlert) -> dict[str, Any]:
    return hearing_audit(
        alert.at, hearing_id=alert.hearing_id, version=alert.version, court_id=alert.court_id
    )


def _new_hearing(
    session: Session, *, case_id: int, court: Court | None, values: dict[str, Any], now: datetime
) -> _Change:
    hearing = Hearing(case_id=case_id, created_at=now, updated_at=now, **values)
    session.add(hearing)
    session.flush()
    alert = _hearing_alert(hearing, court)
    return _Change(
        AlertKind.HEARING_SET,
        before={},
        after=_audited(alert),
        alert=alert,
        what=f"{hearing.id}:{hearing.version}",
        hearing_id=hearing.id,
    )


def _move_hearing(
    session: Session, hearing: Hearing, *, values: dict[str, Any], now: datetime
) -> _Change | None:
    if values["court_id"] is None:
        values["court_id"] = hearing.court_id
    if all(getattr(hearing, name) == value for name, value in values.items()):
        return None
    old_court = session.get(Court, hearing.court_id) if hearing.court_id else None
    before = _hearing_alert(hearing, old_court)
    for name, value in values.items():
        setattr(hearing, name, value)
    court = session.get(Court, hearing.court_id) if hearing.court_id else None
    hearing.version += 1
    hearing.updated_at = now
    session.flush()
    assert hearing.id is not None
    retire_hearing_reminders(
        session, case_id=hearing.case_id, hearing_id=hearing.id, keep_version=hearing.version
    )
    moved = _hearing_alert(hearing, court)
    alert = HearingMoved(
        hearing_id=hearing.id,
        version=hearing.version,
        at=moved.at,
        was=before.at,
        court_id=hearing.court_id,
    )
    return _Change(
        AlertKind.HEARING_MOVED,
        before=_audited(before),
        after=moved_audit(alert),
        alert=alert,
        what=f"{hearing.id}:{hearing.version}",
        hearing_id=hearing.id,
    )


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
    values = {"starts_at": starts_at, "tz": tz, "time_known": time_known, "court_id": court_id}
    if hearing is None:
        court = session.get(Court, court_id) if court_id is not None else None
        change = _new_hearing(session, case_id=case_id, court=court, values=values, now=now)
    else:
        moved = _move_hearing(session, hearing, values=values, now=now)
        if moved is None:
            return None
        change = moved
    return _record(session, change, case_id=case_id, actor_id=actor_id, now=now)


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
    alert = _hearing_alert(hearing, court)
    hearing.status = "cancelled"
    hearing.version += 1
    hearing.updated_at = now
    _case(session, case_id).updated_at = now
    retire_hearing_reminders(session, case_id=case_id, hearing_id=hearing.id, keep_version=None)
    change = _Change(
        AlertKind.HEARING_CANCELLED,
        before=_audited(alert),
        after={"status": "cancelled"},
        alert=alert,
        what=f"{hearing.id}:{hearing.version}",
        hearing_id=hearing.id,
    )
    return _record(session, change, case_id=case_id, actor_id=actor_id, now=now)


def _release(case: Case) -> tuple[date | None, bool]:
    estimate = estimate_for(case)
    if estimate is None:
        return None, False
    return estimate.release_on, estimate.stated


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
    new_release = _release(case)
    if new_release[0] == old_release[0]:
        change = _Change("sentence", before=before, after=after)
    else:
        alert = ReleaseChanged(
            release=new_release[0], stated=new_release[1], old_release=old_release[0]
        )
        change = _Change(
            AlertKind.RELEASE_CHANGED,
            before=before,
            after=after,
            alert=alert,
            what=f"v{case.version}",
            action="sentence",
        )
    return _record(session, change, case_id=case_id, actor_id=actor_id, now=now)


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
    record_audit(
        session,
        case_id=case_id,
        actor_id=actor_id,
        action="confirm",
        before=before,
        after={"confirmed_on": today.isoformat()},
        now=now,
    )
    return True
