"""Two-person approval of alerts (``CASEBOT_APPROVAL``).

With ``urgent`` (the default), an urgent alert, or one reaching more than
``CASEBOT_APPROVAL_OVER`` subscribers, needs a second organizer; with ``all``, every alert;
with ``off``, none; with a single organizer, approval is off whatever the setting. The
author's Send moves the draft open → awaiting and queues the request to every other
organizer through the outbox (:func:`ask_approval`: ``APPROVAL_REQUEST``, so a crash or a
failed send loses none, and a request sent after the change was decided is dropped); the
first other
organizer's Approve moves it awaiting → open → sent (:func:`approve`), a Reject to cancelled
(:func:`reject`), and 30 minutes without approval to cancelled (:func:`expire_approvals`).
Every move is one conditional UPDATE (two presses decide once) and an audit entry; the
author is told of the outcome through the outbox (``APPROVAL_NOTICE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select, update

from storage.database.models import AuditEntry, Draft, Organizer, Subscriber
from storage.outbox import dedupe_prefix, enqueue_rows
from storage.payloads import ApprovalNotice, ApprovalRequest, StatusAlert, Versioned, dump
from storage.usecases.drafts import DraftOutcome, send_draft
from storage.vocabulary import AlertKind, DraftState

APPROVAL_WINDOW = timedelta(minutes=30)
"""How long a change waits for another organizer's approval."""


def organizer_ids(session: Session, *, admins: Iterable[int]) -> set[int]:
    """Every admin and organizer."""
    return set(session.exec(select(Organizer.user_id)).all()) | set(admins)


def effective_mode(session: Session, *, mode: str, admins: Iterable[int]) -> str:
    """The approval mode in force: ``single`` (off: only one organizer), or the setting."""
    if mode != "off" and len(organizer_ids(session, admins=admins)) < 2:
        return "single"
    return mode


def is_urgent(kind: str, payload: object) -> bool:
    """Whether an alert is urgent (a deportation threatened or ordered)."""
    return kind == AlertKind.STATUS and isinstance(payload, StatusAlert) and payload.urgent


def needs_approval(mode: str, *, urgent: bool, audience: int, over: int) -> bool:
    """Whether an alert to ``audience`` readers needs a second organizer under ``mode``
    (as :func:`effective_mode` gives it)."""
    if mode == "all":
        return True
    return mode == "urgent" and (urgent or audience > over)


def _audit(session: Session, draft: Draft, action: str, actor_id: int, now: datetime) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor_id,
            case_id=draft.case_id,
            action=action,
            before={"draft": draft.id, "author": draft.actor_id},
            after={"draft": draft.id, "kind": draft.kind},
        )
    )


def _move(session: Session, draft_id: int, *, to: str, now: datetime, **where: Any) -> bool:
    statement = update(Draft).where(
        col(Draft.id) == draft_id, col(Draft.state) == DraftState.AWAITING
    )
    for name, value in where.items():
        statement = statement.where(col(getattr(Draft, name)) == value)
    if to != DraftState.CANCELLED:
        statement = statement.where(col(Draft.expires_at) > now)
    return bool(session.execute(statement.values(state=to)).rowcount)  # type: ignore[attr-defined]


def ask_approval(
    session: Session,
    *,
    draft_id: int,
    actor_id: int,
    now: datetime,
    admins: Iterable[int],
    alert_kind: str,
    alert: Versioned,
    audience: int,
) -> int | None:
    """The author's Send, when approval is needed: the draft waits (30 minutes) for another
    organizer, and every other organizer is sent the request (``alert`` of ``alert_kind``
    to ``audience`` subscribers) through the outbox. How many organizers were asked; None
    when the draft was not open (pressed twice, expired, someone else's)."""
    claimed = session.execute(
        update(Draft)
        .where(
            col(Draft.id) == draft_id,
            col(Draft.actor_id) == actor_id,
            col(Draft.state) == DraftState.OPEN,
            col(Draft.expires_at) > now,
        )
        .values(state=DraftState.AWAITING, expires_at=now + APPROVAL_WINDOW)
    )
    draft = session.get(Draft, draft_id)
    if not claimed.rowcount or draft is None:  # type: ignore[attr-defined]
        return None
    _audit(session, draft, "approval_asked", actor_id, now)
    others = sorted(organizer_ids(session, admins=admins) - {actor_id})
    request = ApprovalRequest(
        draft_id=draft_id,
        author_id=actor_id,
        audience=audience,
        alert_kind=alert_kind,
        alert=dump(alert),
    )
    key = dedupe_prefix(AlertKind.APPROVAL_REQUEST, draft.case_id, str(draft_id))
    for chat_id in others:
        _ensure_subscriber(session, chat_id)
    rows = [
        {
            "dedupe_key": f"{key}{chat_id}",
            "chat_id": chat_id,
            "case_id": draft.case_id,
            "kind": AlertKind.APPROVAL_REQUEST,
            "due_at": now,
            "urgent": True,  # an alert waits on it
            "payload": request,
        }
        for chat_id in others
    ]
    enqueue_rows(session, rows)
    return len(others)


def _ensure_subscriber(session: Session, chat_id: int) -> None:
    """Organizers are told things through the outbox, which sends to subscribers."""
    if session.get(Subscriber, chat_id) is None:
        session.add(Subscriber(chat_id=chat_id, chat_type="private"))
        session.flush()


@dataclass(frozen=True)
class ApprovalOutcome:
    """What an Approve or Reject did: ``sent`` (with the draft's outcome), ``rejected``,
    ``self`` (the author may not approve), ``done`` (decided already), ``expired``."""

    state: str
    author_id: int | None = None
    sent: DraftOutcome | None = None


def _notice(session: Session, draft: Draft, outcome: str, now: datetime, alerts: int = 0) -> None:
    """Tell the author what became of their change (through the outbox)."""
    _ensure_subscriber(session, draft.actor_id)
    key = dedupe_prefix(AlertKind.APPROVAL_NOTICE, draft.case_id, f"{draft.id}:{outcome}")
    enqueue_rows(
        session,
        [
            {
                "dedupe_key": f"{key}{draft.actor_id}",
                "chat_id": draft.actor_id,
                "case_id": draft.case_id,
                "kind": AlertKind.APPROVAL_NOTICE,
                "due_at": now,
                "payload": ApprovalNotice(draft_id=draft.id or 0, outcome=outcome, alerts=alerts),
            }
        ],
    )


def _undecided(session: Session, draft_id: int, now: datetime) -> ApprovalOutcome:
    draft = session.get(Draft, draft_id)
    if draft is not None and (
        (draft.state == DraftState.AWAITING and draft.expires_at <= now)
        or draft.result.get("approval") == "expired"
    ):
        return ApprovalOutcome("expired", draft.actor_id)
    return ApprovalOutcome("done", draft.actor_id if draft else None)


def approve(session: Session, *, draft_id: int, approver_id: int, now: datetime) -> ApprovalOutcome:
    """Another organizer approves: the change is made and its alerts queued, once. The
    author's own approval is refused (and audited)."""
    draft = session.get(Draft, draft_id)
    if draft is not None and draft.actor_id == approver_id:
        if draft.state == DraftState.AWAITING:
            _audit(session, draft, "approval_self_refused", approver_id, now)
        return ApprovalOutcome("self", draft.actor_id)
    if draft is None or not _move(session, draft_id, to=DraftState.OPEN, now=now):
        return _undecided(session, draft_id, now)
    sent = send_draft(session, draft_id=draft_id, actor_id=draft.actor_id, now=now)
    _audit(session, draft, "approval_approved", approver_id, now)
    _notice(session, draft, "approved", now, alerts=sent.result.alerts if sent.result else 0)
    return ApprovalOutcome("sent", draft.actor_id, sent)


def reject(session: Session, *, draft_id: int, approver_id: int, now: datetime) -> ApprovalOutcome:
    """An organizer (or the author, withdrawing it) rejects: nothing is sent."""
    draft = session.get(Draft, draft_id)
    if draft is None or not _move(session, draft_id, to=DraftState.CANCELLED, now=now):
        return _undecided(session, draft_id, now)
    _audit(session, draft, "approval_rejected", approver_id, now)
    if approver_id != draft.actor_id:
        _notice(session, draft, "rejected", now)
    return ApprovalOutcome("rejected", draft.actor_id)


def expire_approvals(session: Session, *, now: datetime) -> int:
    """Cancel changes that waited 30 minutes with no approval; tell their authors."""
    waiting = session.exec(
        select(Draft).where(col(Draft.state) == DraftState.AWAITING, col(Draft.expires_at) <= now)
    ).all()
    expired = 0
    for draft in waiting:
        assert draft.id is not None
        if _move(session, draft.id, to=DraftState.CANCELLED, now=now):
            session.refresh(draft)
            draft.result = {**draft.result, "approval": "expired"}
            _audit(session, draft, "approval_expired", draft.actor_id, now)
            _notice(session, draft, "expired", now)
            expired += 1
    return expired


def get_draft(session: Session, *, draft_id: int) -> Draft | None:
    """A draft, for the approval preview."""
    return session.get(Draft, draft_id)
