"""versioned payloads

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Delivery payloads and draft params and results become versioned objects
(``storage/payloads.py``): ``{"v": 1, ...}``, a hearing's time and place under ``at``
(and, for a move, the old ones under ``was``). Converted: the deliveries still to be
sent (pending or sending) and every draft (a small table: open ones are sent from their
params, sent ones undone from their results). Deliveries already closed are history and
are left as they are, as is the audit log.

The conversion is written out here, not imported, so that this migration keeps doing
what it did when the payload types change again. It reads and writes only the
``payload``, ``params`` and ``result`` columns, so the columns later migrations add to
other tables do not concern it; a ``basis`` or ``source`` already in an old
payload is kept (the payload types have them, optional).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V = "v"
HEARING_FIELDS = ("starts_at", "tz", "time_known", "court", "city")
HEARING_DEFAULTS: dict[str, Any] = {"tz": "Asia/Almaty", "time_known": True, "court": {}, "city": {}}

Convert = Callable[[dict[str, Any]], dict[str, Any]]

deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("payload", sa.JSON),
)
drafts = sa.table(
    "drafts",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("state", sa.String),
    sa.column("params", sa.JSON),
    sa.column("result", sa.JSON),
)


def _hearing_at(old: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    at = {key: old.get(f"{prefix}{key}", old.get(key)) for key in HEARING_FIELDS}
    return {key: HEARING_DEFAULTS[key] if at[key] is None and key in HEARING_DEFAULTS else at[key]
            for key in HEARING_FIELDS}  # fmt: skip


def _hearing(old: dict[str, Any]) -> dict[str, Any]:
    keep = {key: old.get(key) for key in ("hearing_id", "version", "court_id")}
    return {V: 1, **keep, "at": _hearing_at(old)}


def _moved(old: dict[str, Any]) -> dict[str, Any]:
    return {**_hearing(old), "was": _hearing_at(old, "old_")}


def _same(*keys: str, **defaults: Any) -> Convert:
    def convert(old: dict[str, Any]) -> dict[str, Any]:
        return {V: 1, **defaults, **{key: old[key] for key in keys if key in old}}

    return convert


ALERTS: dict[str, Convert] = {
    "status": _same("dimension", "old", "new", "note", "note_lang", "basis", "source", note={}),
    "hearing_set": _hearing,
    "hearing_cancelled": _hearing,
    "hearing_moved": _moved,
    "release_changed": _same("release", "stated", "old_release", stated=False),
    "correction": _same("of", "dimension"),
    "hearing_reminder": _same("hearing_id", "version", "offset"),
    "release_reminder": _same("release_on", "stated", "offset"),
}
DRAFTS: dict[str, Convert] = {
    "status": _same("dimension", "key", "note", "note_lang", "basis", "source", note={}),
    "hearing": _same("starts_at", "tz", "time_known", "court", "city", "court_lang", "court_id"),
    "cancel_hearing": _same(),
    "sentence": _same("values", values={}),
    "ask_sentence": _same("values", values={}),
    "ask_new_case": _same("name", "lang"),
    "ask_event": _same("day", "precision", "text", "lang", "source_url", "basis"),
}
RESULT = _same("kind", "prefix", "before", "hearing_id", "audit_id", "alerts")


def _flat(new: dict[str, Any]) -> dict[str, Any]:
    """A v1 payload back in the old shape (downgrade)."""
    old = {key: value for key, value in new.items() if key not in (V, "at", "was")}
    old.update(new.get("at") or {})
    old.update({f"old_{key}": value for key, value in (new.get("was") or {}).items()})
    return old


def _rewrite(table: Any, column: str, where: Any, convert: Callable[[str, Any], Any]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c.kind, table.c[column]).where(where)).all()
    updates = []
    for row_id, kind, value in rows:
        new = convert(kind, value)
        if new is not None:
            updates.append({"b_id": row_id, "b_value": new})
    if updates:
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({column: sa.bindparam("b_value", type_=sa.JSON)})
        )
        bind.execute(statement, updates)


def _up(table: dict[str, Convert] | None) -> Callable[[str, Any], Any]:
    def convert(kind: str, value: Any) -> Any:
        if not isinstance(value, dict) or V in value:
            return None  # not a payload, or converted already
        if table is None:
            return RESULT(value) if value else None
        return table[kind](value) if kind in table else None

    return convert


def _down(kind: str, value: Any) -> Any:
    if not isinstance(value, dict) or V not in value:
        return None
    return _flat(value)


LIVE = deliveries.c.status.in_(["pending", "sending"])
EVERY = sa.true()


def upgrade() -> None:
    _rewrite(deliveries, "payload", LIVE, _up(ALERTS))
    _rewrite(drafts, "params", EVERY, _up(DRAFTS))
    _rewrite(drafts, "result", EVERY, _up(None))


def downgrade() -> None:
    _rewrite(deliveries, "payload", LIVE, _down)
    _rewrite(drafts, "params", EVERY, _down)
    _rewrite(drafts, "result", EVERY, _down)
