"""How undoing a sent change puts the case back, one hook per alert kind
(``storage.alertkinds``): the status before, the sentence before, the hearing before."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.alertkinds import never_undone, registers
from storage.database.models import Case, Hearing
from storage.outbox import retire_hearing_reminders
from storage.payloads import DraftResult, hearing_from_audit
from storage.usecases.changes import restore_sentence
from storage.vocabulary import AlertKind


@registers("revert", AlertKind.STATUS)
def revert_status(session: Session, case: Case, result: DraftResult, now: datetime) -> None:
    """Put back the dimension's value before."""
    for dimension, value in result.before.items():
        setattr(case, dimension, value)
    # The undone status's basis goes with it; the restored one's is not stated.
    case.basis = {k: v for k, v in case.basis.items() if k not in result.before}


# No draft sends these (digests, timeline events, approval notices and requests): nothing
# to undo.
registers(
    "revert",
    AlertKind.STALE_DIGEST,
    AlertKind.TIMELINE_EVENT,
    AlertKind.APPROVAL_NOTICE,
    AlertKind.APPROVAL_REQUEST,
)(never_undone)


@registers("revert", AlertKind.RELEASE_CHANGED)
def revert_sentence(session: Session, case: Case, result: DraftResult, now: datetime) -> None:
    """Put back the sentence fields before."""
    restore_sentence(case, result.before)


@registers("revert", AlertKind.HEARING_SET, AlertKind.HEARING_MOVED, AlertKind.HEARING_CANCELLED)
def revert_hearing(session: Session, case: Case, result: DraftResult, now: datetime) -> None:
    """A set hearing is cancelled; a moved or cancelled one is as it was before; the
    reminders made meanwhile are retired."""
    hearing = session.get(Hearing, result.hearing_id)
    if hearing is None:
        return
    before = hearing_from_audit(result.before, zone=hearing.tz)
    if result.kind == AlertKind.HEARING_SET or before is None:
        hearing.status = "cancelled"
    else:
        hearing.status = "scheduled"
        hearing.starts_at, hearing.tz, hearing.time_known = (
            before.starts_at,
            before.tz,
            before.time_known,
        )
        hearing.court_id = result.before.get("court_id", hearing.court_id)
    hearing.version += 1
    hearing.updated_at = now
    assert hearing.id is not None
    retire_hearing_reminders(
        session, case_id=case.id or 0, hearing_id=hearing.id, keep_version=hearing.version
    )
