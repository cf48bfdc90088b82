"""Preview, send, cancel and undo: organizer changes that alert subscribers.

A draft holds a change that has been previewed but not made. Send claims it with
one conditional UPDATE (open → sent) and makes the change in the same
transaction, so a second press finds it sent and does nothing. A draft expires
after `DRAFT_TTL`. For `UNDO_WINDOW` after Send the organizer may undo: the
case is put back, alerts not yet sent are withdrawn, and the chats that already
got one get a short correction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, cast, func, literal, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.alertkinds import spec
from storage.database.models import Case, Delivery, Draft, Subscriber
from storage.outbox import PAUSED, PENDING, SENDING, SENT, SKIPPED, count_inserted, insert_for
from storage.payloads import (
    AlertPayload,
    CancelHearingDraft,
    CorrectionAlert,
    DraftPayload,
    DraftResult,
    HearingDraft,
    SentenceDraft,
    StatusDraft,
    draft_kind,
    dump,
    load_draft,
    load_result,
)
from storage.usecases import reverts  # noqa: F401 (registers the revert hooks)
from storage.usecases.auditing import record_audit
from storage.usecases.changes import (
    ChangeResult,
    cancel_next_hearing,
    change_status,
    set_next_hearing,
    set_sentence,
)
from storage.usecases.editing import find_or_create_court
from storage.vocabulary import AlertKind, DraftState

DRAFT_TTL = timedelta(minutes=15)
UNDO_WINDOW = timedelta(minutes=10)
CORRECTION_DELAY = timedelta(seconds=3)


@dataclass(frozen=True)
class DraftOutcome:
    """What pressing a draft's button did: `state` is sent, cancelled, undone, expired,
    done (already handled), too_late (undo window over) or missing."""

    state: str
    draft_id: int
    result: ChangeResult | None = None
    corrections: int = 0


def create_draft(
    session: Session,
    *,
    actor_id: int,
    case_id: int | None,
    kind: str,
    params: DraftPayload,
    now: datetime,
    state: str = DraftState.OPEN,
    ttl: timedelta = DRAFT_TTL,
) -> int:
    """Store a previewed change (or, with another ``state``, a question:
    ``storage.usecases.questions``); returns its id for its buttons."""
    draft = Draft(
        actor_id=actor_id,
        case_id=case_id,
        kind=kind,
        params=dump(params),
        state=state,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(draft)
    session.flush()
    assert draft.id is not None
    return draft.id


def claim_draft(
    session: Session,
    draft_id: int,
    *,
    actor_id: int,
    now: datetime,
    from_state: str,
    to_state: str,
    until: str = "expires",
    kind_prefix: str = "",
    stamp: bool = False,
) -> bool:
    """Move a draft (or question) of ``actor_id`` from one state to another with one
    conditional UPDATE, before it expires (``until="undo"``: within UNDO_WINDOW after
    Send); with ``stamp`` its ``sent_at`` becomes ``now``. False: it was not there to move."""
    deadline = col(Draft.expires_at) if until == "expires" else col(Draft.sent_at)
    condition = deadline > now if until == "expires" else deadline > now - UNDO_WINDOW
    result = session.execute(
        update(Draft)
        .where(
            col(Draft.id) == draft_id,
            col(Draft.actor_id) == actor_id,
            col(Draft.state) == from_state,
            col(Draft.kind).startswith(kind_prefix, autoescape=True),
            condition,
        )
        .values(state=to_state, **({"sent_at": now} if stamp else {}))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _why_not(session: Session, draft_id: int, actor_id: int, *, late: str) -> str:
    draft = session.get(Draft, draft_id)
    if draft is None or draft.actor_id != actor_id:
        return "missing"
    if draft.state == "open":
        return late
    return "done"


def _apply(
    session: Session, draft: Draft, params: DraftPayload, now: datetime
) -> ChangeResult | None:
    case_id, actor_id = draft.case_id, draft.actor_id
    if case_id is None or session.get(Case, case_id) is None:
        return None
    if isinstance(params, StatusDraft):
        return change_status(
            session,
            case_id=case_id,
            dimension=params.dimension,
            key=params.key,
            note=params.note or None,
            note_lang=params.note_lang,
            basis=params.basis,
            source_url=params.source,
            actor_id=actor_id,
            now=now,
        )
    if isinstance(params, HearingDraft):
        return _apply_hearing(session, case_id, actor_id, params, now)
    if isinstance(params, CancelHearingDraft):
        return cancel_next_hearing(session, case_id=case_id, actor_id=actor_id, now=now)
    if isinstance(params, SentenceDraft):
        values = params.model_values()
        return set_sentence(session, case_id=case_id, values=values, actor_id=actor_id, now=now)
    raise ValueError(f"unknown draft kind {draft.kind}")


def _apply_hearing(
    session: Session, case_id: int, actor_id: int, params: HearingDraft, now: datetime
) -> ChangeResult | None:
    court_id = params.court_id
    if params.court:
        court_id = find_or_create_court(
            session,
            name=params.court,
            city=params.city,
            lang=params.court_lang or "en",
            tz=params.tz,
        ).id
    return set_next_hearing(
        session,
        case_id=case_id,
        starts_at=params.starts_at,
        tz=params.tz,
        time_known=params.time_known,
        court_id=court_id,
        actor_id=actor_id,
        now=now,
    )


def preview_change(
    session: Session,
    *,
    actor_id: int,
    case_id: int,
    params: DraftPayload,
    now: datetime,
) -> ChangeResult | None:
    """Make the change in the caller's session to see exactly what it would send.

    The caller must roll the session back: nothing of it is to be kept. None means
    the change would change nothing.
    """
    draft = Draft(actor_id=actor_id, case_id=case_id, kind="preview", expires_at=now)
    return _apply(session, draft, params, now)


@dataclass(frozen=True)
class Preview:
    """What a change would send: its alert kind and payload, how many alerts, and how
    many of them in each language (by ``language_of(chosen, telegram_code)``)."""

    kind: str
    payload: AlertPayload | None
    """None: the change alerts no one (a sentence that keeps the release date)."""
    alerts: int
    per_language: dict[str, int]


def dry_run(
    engine: Engine,
    *,
    actor_id: int,
    case_id: int,
    params: DraftPayload,
    now: datetime,
    language_of: Callable[[str | None, str | None], str],
) -> Preview | None:
    """Make the change in a transaction that is always rolled back: exactly what it would
    send, and to whom, with nothing kept (None: it would change nothing)."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            result = preview_change(
                session, actor_id=actor_id, case_id=case_id, params=params, now=now
            )
            if result is None:
                return None
            readers: Counter[str] = Counter()
            if result.prefix:
                rows = session.exec(
                    select(Subscriber.lang, Subscriber.telegram_lang, func.count())
                    .join(Delivery, col(Delivery.chat_id) == col(Subscriber.chat_id))
                    .where(col(Delivery.dedupe_key).startswith(result.prefix))
                    .group_by(col(Subscriber.lang), col(Subscriber.telegram_lang))
                ).all()
                for lang, telegram_lang, count in rows:
                    readers[language_of(lang, telegram_lang)] += int(count)
            return Preview(result.kind, result.payload, result.alerts, dict(readers))
        finally:
            session.rollback()


def send_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Make the previewed change and queue its alerts, once."""
    if not claim_draft(
        session,
        draft_id,
        actor_id=actor_id,
        now=now,
        from_state="open",
        to_state="sent",
        stamp=True,
    ):
        return DraftOutcome(_why_not(session, draft_id, actor_id, late="expired"), draft_id)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    result = _apply(session, draft, load_draft(draft.kind, draft.params), now)
    draft.result = (
        {}
        if result is None
        else dump(
            DraftResult(
                kind=result.kind,
                prefix=result.prefix,
                before=result.before,
                hearing_id=result.hearing_id,
                audit_id=result.audit_id,
                alerts=result.alerts,
            )
        )
    )
    return DraftOutcome("sent", draft_id, result)


def send_at_once(
    session: Session, *, actor_id: int, case_id: int, params: DraftPayload, now: datetime
) -> DraftOutcome:
    """Make a change that needs no preview (a sentence that alerts no one) as a draft sent
    at once, so that it can be undone like the others."""
    draft_id = create_draft(
        session,
        actor_id=actor_id,
        case_id=case_id,
        kind=draft_kind(params),
        params=params,
        now=now,
    )
    return send_draft(session, draft_id=draft_id, actor_id=actor_id, now=now)


def cancel_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Drop a previewed change; nothing is stored or sent."""
    if claim_draft(
        session, draft_id, actor_id=actor_id, now=now, from_state="open", to_state="cancelled"
    ):
        return DraftOutcome("cancelled", draft_id)
    return DraftOutcome(_why_not(session, draft_id, actor_id, late="expired"), draft_id)


def _revert(session: Session, draft: Draft, result: DraftResult, now: datetime) -> None:
    case = session.get(Case, draft.case_id)
    if case is None:
        return
    case.updated_at = now
    case.version += 1
    kind = AlertKind.RELEASE_CHANGED if result.kind == "sentence" else result.kind
    revert = spec(kind).revert
    assert revert is not None, f"{kind} has no revert"
    revert(session, case, result, now)


def _correction_payload(result: DraftResult) -> CorrectionAlert:
    """What a correction needs to say what is true now: the kind of the withdrawn alert
    and, for a status, its dimension (the current value is read when it is sent)."""
    dimension = next(iter(result.before), None) if result.kind == AlertKind.STATUS else None
    return CorrectionAlert(of=result.kind, dimension=dimension)


_COLUMNS = [
    "dedupe_key", "chat_id", "case_id", "kind", "payload", "urgent", "due_at", "status",
    "attempts", "created_at", "updated_at",
]  # fmt: skip


def _correct(session: Session, draft: Draft, result: DraftResult, now: datetime) -> int:
    """Withdraw the change's alerts not yet sent; queue a correction for the chats that got
    one or may have (those in flight), a few seconds later so it arrives after them."""
    if not result.prefix:
        return 0
    mine = col(Delivery.dedupe_key).startswith(result.prefix, autoescape=True)
    correction_prefix = f"correction:{draft.case_id}:{draft.id}:"
    table = Delivery.__table__  # type: ignore[attr-defined]
    reached = sa_select(
        (literal(correction_prefix) + cast(col(Delivery.chat_id), String)).label("k"),
        col(Delivery.chat_id),
        col(Delivery.case_id),
        literal(AlertKind.CORRECTION.value),
        literal(dump(_correction_payload(result)), table.c.payload.type),
        literal(False),
        literal(now + CORRECTION_DELAY, table.c.due_at.type),
        literal(PENDING),
        literal(0),
        literal(now, table.c.created_at.type),
        literal(now, table.c.updated_at.type),
    ).where(mine, col(Delivery.status).in_([SENT, SENDING]))
    statement = insert_for(session)(Delivery).from_select(_COLUMNS, reached)
    written = count_inserted(session, statement)
    # In-flight rows become sent if their send succeeds; otherwise they stay withdrawn.
    session.execute(
        update(Delivery)
        .where(mine, col(Delivery.status).in_([PENDING, SENDING, PAUSED]))
        .values(status=SKIPPED, updated_at=now)
    )
    return written


def undo_draft(session: Session, *, draft_id: int, actor_id: int, now: datetime) -> DraftOutcome:
    """Undo a sent change within UNDO_WINDOW: put the case back and correct the alerts."""
    if not claim_draft(
        session,
        draft_id,
        actor_id=actor_id,
        now=now,
        from_state="sent",
        to_state="undone",
        until="undo",
    ):
        draft = session.get(Draft, draft_id)
        if draft is None or draft.actor_id != actor_id:
            return DraftOutcome("missing", draft_id)
        return DraftOutcome("too_late" if draft.state == "sent" else "done", draft_id)
    draft = session.get(Draft, draft_id)
    assert draft is not None
    result = load_result(draft.result)
    corrections = 0
    if result is not None:
        _revert(session, draft, result, now)
        corrections = _correct(session, draft, result, now)
    record_audit(
        session,
        case_id=draft.case_id,
        actor_id=actor_id,
        action="undo",
        before={"draft": draft_id},
        after={"undid": result.kind if result else None, "corrections": corrections},
        now=now,
    )
    return DraftOutcome("undone", draft_id, corrections=corrections)
