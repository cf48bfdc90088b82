"""Correcting a case's record: a misspelled name or a wrong timeline event edited or
removed.

Each function changes one row of one case, or nothing: an unknown id, or an id that
belongs to another case, is ``"missing"`` and writes nothing. Every change records an
audit entry in the same transaction (``edit_name``, ``remove_name``, ``edit_event``,
``remove_event``) and marks the case updated. Names are kept in the live search index
exactly as :func:`storage.usecases.organizing.add_indexed_name` keeps a new one: the
case's names are given to ``index.upsert`` again, so an old spelling stops finding the
case at once. An edited name is written as a new row (and the old one deleted), so the
names table's fingerprint changes and the other processes' indexes reload too
(storage.reads.lookup). Edits send no alert, as adding a name or an event sends none to
those who did not choose timeline events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from storage.database.models import Case, CaseName, TimelineEvent
from storage.domain.names import name_key
from storage.reads.lookup import LiveIndex
from storage.usecases.auditing import record_audit
from storage.usecases.editing import indexed
from storage.vocabulary import LANGUAGES

NameState = Literal["saved", "unchanged", "missing", "duplicate", "last_name"]
"""What a name correction did: saved; nothing to change; no such name in this case; the
case already has this spelling; refused, as the case would be left with no main name."""
EventState = Literal["saved", "unchanged", "missing"]
"""What an event correction did."""
Removed = Literal["removed", "missing", "last_name"]
"""What a removal did (``last_name``: the case's last main name, kept)."""


@dataclass(frozen=True)
class NameLine:
    """One name of a case, with the id a correction names it by."""

    id: int
    lang: str
    text: str
    primary: bool


def list_names(session: Session, *, case_id: int) -> list[NameLine]:
    """A case's names, main names first, then in the order they were added."""
    rows = session.exec(
        select(CaseName)
        .where(CaseName.case_id == case_id)
        .order_by(col(CaseName.is_primary).desc(), col(CaseName.id))
    ).all()
    return [NameLine(row.id or 0, row.lang, row.text, row.is_primary) for row in rows]


def _own(session: Session, model: type[Any], row_id: int, case_id: int) -> Any:
    """The row ``row_id`` of ``model`` when it belongs to ``case_id``, else None."""
    row = session.get(model, row_id)
    return row if row is not None and row.case_id == case_id else None


def _corrected(
    session: Session,
    *,
    case_id: int,
    actor_id: int | None,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
) -> None:
    """The one step every correction ends with: the case marked updated, and audited."""
    case = session.get(Case, case_id)
    assert case is not None
    case.updated_at = now
    record_audit(
        session, actor_id=actor_id, case_id=case_id, action=action, before=before, after=after,
        now=now,
    )  # fmt: skip


def _name_entry(row: CaseName) -> dict[str, Any]:
    return {"name": row.id, "lang": row.lang, "text": row.text, "primary": row.is_primary}


def _others(session: Session, row: CaseName) -> list[CaseName]:
    """The case's other names, oldest first."""
    return list(
        session.exec(
            select(CaseName)
            .where(CaseName.case_id == row.case_id, CaseName.id != row.id)
            .order_by(col(CaseName.id))
        ).all()
    )


def _successor(others: list[CaseName], lang: str) -> CaseName | None:
    """The name to become the main name of ``lang`` when its main name goes."""
    if lang == "alias":
        return None
    return next((other for other in others if other.lang == lang), None)


def _leaves_a_main_name(others: list[CaseName], row: CaseName, new_lang: str | None) -> bool:
    """Whether the case keeps a main name when ``row`` leaves its language (``new_lang``:
    the language it moves to, None when it is removed)."""
    if not row.is_primary or new_lang == row.lang:
        return True
    if new_lang is not None and new_lang != "alias":
        return True
    return any(other.is_primary for other in others) or _successor(others, row.lang) is not None


def update_name(
    session: Session,
    *,
    case_id: int,
    name_id: int,
    lang: str,
    text: str,
    actor_id: int | None,
    now: datetime,
    index: LiveIndex,
) -> tuple[NameState, int | None]:
    """Correct a name's text (and language or script); returns the state and the name's
    new id. ``text`` and ``lang`` are checked by the caller as for a new name."""
    row = _own(session, CaseName, name_id, case_id)
    if row is None:
        return "missing", None
    if (row.lang, row.text) == (lang, text):
        return "unchanged", row.id
    others = _others(session, row)
    if any((other.lang, other.text) == (lang, text) for other in others):
        return "duplicate", None
    if not _leaves_a_main_name(others, row, lang):
        return "last_name", None
    same = [other for other in others if other.lang == lang]
    primary = (
        row.is_primary
        if lang == row.lang
        else lang != "alias" and not any(other.is_primary for other in same)
    )
    if row.is_primary and lang != row.lang and (heir := _successor(others, row.lang)):
        heir.is_primary = True
    fresh = CaseName(case_id=case_id, lang=lang, text=text, is_primary=primary, key=name_key(text))
    session.add(fresh)
    session.flush()  # the new row first: its id is above every other, the old one's too
    before = _name_entry(row)
    session.delete(row)
    _corrected(
        session, case_id=case_id, actor_id=actor_id, action="edit_name", before=before,
        after=_name_entry(fresh), now=now,
    )  # fmt: skip
    index.upsert(session, indexed(session, case_id))
    return "saved", fresh.id


def remove_name(
    session: Session,
    *,
    case_id: int,
    name_id: int,
    actor_id: int | None,
    now: datetime,
    index: LiveIndex,
) -> Removed:
    """Remove a name or spelling; the case's last main name is kept (``last_name``). When
    a language's main name goes, the next name in that language becomes its main one."""
    row = _own(session, CaseName, name_id, case_id)
    if row is None:
        return "missing"
    others = _others(session, row)
    if not _leaves_a_main_name(others, row, None):
        return "last_name"
    if row.is_primary and (heir := _successor(others, row.lang)) is not None:
        heir.is_primary = True
    before = _name_entry(row)
    session.delete(row)
    _corrected(
        session, case_id=case_id, actor_id=actor_id, action="remove_name", before=before,
        after={}, now=now,
    )  # fmt: skip
    index.upsert(session, indexed(session, case_id))
    return "removed"


def _event_entry(event: TimelineEvent) -> dict[str, Any]:
    return {
        "event": event.id,
        "date": event.occurred_on.isoformat(),
        "precision": event.precision,
        "lang": event.lang,
        "text": dict(event.text),
        "source_url": event.source_url,
        "basis": event.basis,
    }


@dataclass(frozen=True)
class EventFix:
    """A timeline event as corrected: its first day at its precision, its text in the
    interface languages (those left out are removed; others the event has are kept), its
    source link and how it is known (a ``Basis`` key, None: not stated)."""

    day: date
    precision: str
    texts: dict[str, str]
    source_url: str | None
    basis: str | None
    reader_lang: str = "en"
    """The language the new text's original is taken in when the old one's is gone."""


def _original(event: TimelineEvent, texts: dict[str, str], reader_lang: str) -> str:
    if event.lang in texts:
        return event.lang
    return sorted(texts, key=lambda lang: (lang != reader_lang, lang))[0]


def update_event(
    session: Session,
    *,
    case_id: int,
    event_id: int,
    fix: EventFix,
    actor_id: int | None,
    now: datetime,
) -> EventState:
    """Correct a timeline event's date, precision, texts, source and basis. ``fix`` is
    checked by the caller as for a new event (at least one text)."""
    event = _own(session, TimelineEvent, event_id, case_id)
    if event is None:
        return "missing"
    kept = {lang: text for lang, text in event.text.items() if lang not in LANGUAGES}
    texts = {**kept, **fix.texts}
    before = _event_entry(event)
    event.occurred_on, event.precision = fix.day, fix.precision
    event.text, event.lang = texts, _original(event, texts, fix.reader_lang)
    event.source_url, event.basis = fix.source_url, fix.basis
    after = _event_entry(event)
    if after == before:
        return "unchanged"
    _corrected(
        session, case_id=case_id, actor_id=actor_id, action="edit_event", before=before,
        after=after, now=now,
    )  # fmt: skip
    return "saved"


def remove_event(
    session: Session, *, case_id: int, event_id: int, actor_id: int | None, now: datetime
) -> Removed:
    """Remove a timeline event (an alert about it not yet sent is then skipped)."""
    event = _own(session, TimelineEvent, event_id, case_id)
    if event is None:
        return "missing"
    before = _event_entry(event)
    session.delete(event)
    _corrected(
        session, case_id=case_id, actor_id=actor_id, action="remove_event", before=before,
        after={"event": event_id}, now=now,
    )  # fmt: skip
    session.flush()
    return "removed"
