"""The live search index of a running bot.

The index is built once from the database and then kept: organizer commands
in this process update it directly (`upsert`), and a cheap fingerprint of the
names table (row count and highest id, which are never given twice: a corrected name
is a new row) reloads it when another process (an import, a second worker, the
website beside the bot) added, corrected or removed names. No query rebuilds it;
changes to anything but names do not reload it.
"""

from __future__ import annotations

import threading

from sqlmodel import Session, col, func, select

from storage.database.models import CaseName
from storage.domain.search import IndexedCase, SearchIndex, SearchResult, load_index

Fingerprint = tuple[int, int]


def names_fingerprint(session: Session) -> Fingerprint:
    """(number of names, highest name id): changes whenever a name is added, removed or
    corrected (ids are never reused: migration 0014 on SQLite, sequences on PostgreSQL)."""
    count, highest = session.exec(select(func.count(), func.max(col(CaseName.id)))).one()
    return int(count or 0), int(highest or 0)


class LiveIndex:
    """A SearchIndex that follows the database; safe to share between threads."""

    def __init__(self) -> None:
        self._index: SearchIndex | None = None
        self._fingerprint: Fingerprint | None = None
        self._lock = threading.Lock()

    def _current(self, session: Session) -> SearchIndex:
        fingerprint = names_fingerprint(session)
        with self._lock:
            if self._index is None or fingerprint != self._fingerprint:
                self._index = load_index(session)
                self._fingerprint = fingerprint
            return self._index

    def search(self, session: Session, query: str) -> SearchResult:
        """Search the names, reloading first if the names table changed elsewhere."""
        return self._current(session).search(query)

    def upsert(self, session: Session, case: IndexedCase) -> None:
        """Record a case's new names at once (after the change is flushed)."""
        index = self._current(session)
        with self._lock:
            index.upsert(case)
            self._fingerprint = names_fingerprint(session)

    def remove(self, session: Session, case_id: int) -> None:
        """Forget a deleted case."""
        index = self._current(session)
        with self._lock:
            index.remove(case_id)
            self._fingerprint = names_fingerprint(session)
