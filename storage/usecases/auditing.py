"""The audit log's one writer: who changed what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.database.models import AuditEntry


def record_audit(
    session: Session,
    *,
    case_id: int | None,
    actor_id: int | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> int:
    """Add one audit entry in the caller's transaction; returns its id."""
    entry = AuditEntry(
        at=now, actor_id=actor_id, case_id=case_id, action=action, before=before, after=after
    )
    session.add(entry)
    session.flush()
    assert entry.id is not None
    return entry.id
