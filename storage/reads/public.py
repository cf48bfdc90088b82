"""Reads for the public website: lists with statuses, change fingerprints, public changes.

Only public case fields are read here (names, statuses, hearings, courts, timeline
events). Subscribers, subscriptions, organizers, drafts and deliveries are never
touched; the audit log is read only for the latest time of a case's change, which
goes into a fingerprint (a hash), never onto a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from storage.database.models import AuditEntry, Case, CaseName, Court, Hearing, TimelineEvent
from storage.reads.cases import HearingView, NameView, _hearing_view, _names


@dataclass(frozen=True)
class PublicListItem:
    """A case in the public list: names, the four statuses and the next hearing."""

    id: int
    slug: str
    names: tuple[NameView, ...]
    custody: str | None
    proceedings: str | None
    protection: str | None
    risk: str | None
    next_hearing: HearingView | None


@dataclass(frozen=True)
class Fingerprint:
    """What a page of one case (or of the whole site) depends on, and when it changed."""

    key: tuple[object, ...]
    changed_at: datetime | None


@dataclass(frozen=True)
class PublicChange:
    """One public change for the feeds: a new case, a hearing set or moved, a dated event."""

    kind: str
    """``case``, ``hearing`` or ``event``."""
    case_id: int
    slug: str
    at: datetime
    item_id: int
    hearing: HearingView | None = None
    event_on: date | None = None
    event_precision: str = "day"
    event_lang: str = "en"
    event_text: dict[str, str] | None = None
    source_url: str | None = None


def _next_hearings(session: Session, case_ids: list[int], now: datetime) -> dict[int, HearingView]:
    """The soonest hearing not yet over of each case (same rule as list_upcoming_hearings)."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(Hearing, Court)
        .join(Court, col(Hearing.court_id) == col(Court.id), isouter=True)
        .where(
            col(Hearing.case_id).in_(case_ids),
            Hearing.status == "scheduled",
            col(Hearing.starts_at) >= now - timedelta(days=1),
        )
        .order_by(col(Hearing.starts_at))
    ).all()
    found: dict[int, HearingView] = {}
    for hearing, court in rows:
        ends = hearing.starts_at if hearing.time_known else hearing.starts_at + timedelta(days=1)
        if ends >= now and hearing.case_id not in found:
            found[hearing.case_id] = _hearing_view(hearing, court)
    return found


def list_public_cases(
    session: Session,
    *,
    now: datetime,
    offset: int = 0,
    limit: int = 50,
    ids: list[int] | None = None,
) -> tuple[list[PublicListItem], int]:
    """A page of cases in number order (or the cases `ids`, in that order), and the total."""
    if ids is None:
        total = int(session.exec(select(func.count()).select_from(Case)).one())
        cases = list(
            session.exec(select(Case).order_by(col(Case.id)).offset(offset).limit(limit)).all()
        )
    else:
        by_id = {case.id: case for case in session.exec(select(Case).where(col(Case.id).in_(ids)))}
        cases = [by_id[case_id] for case_id in ids if case_id in by_id]
        total = len(cases)
    case_ids = [case.id for case in cases if case.id is not None]
    names = _names(session, case_ids)
    hearings = _next_hearings(session, case_ids, now)
    return [
        PublicListItem(
            id=case.id,
            slug=case.slug,
            names=names[case.id],
            custody=case.custody,
            proceedings=case.proceedings,
            protection=case.protection,
            risk=case.risk,
            next_hearing=hearings.get(case.id),
        )
        for case in cases
        if case.id is not None
    ], total


def _latest(values: list[datetime | None]) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _related(aggregate: Any, case_column: Any) -> Any:
    """An aggregate over the rows of the case in the enclosing query."""
    return select(aggregate).where(case_column == col(Case.id)).scalar_subquery()


@cache
def _case_fingerprint_query() -> Any:
    """Built once: making this statement costs more than running it (SQLAlchemy's Python)."""
    columns: list[Any] = [
        Case.id,
        Case.version,
        Case.updated_at,
        Case.confirmed_on,
        _related(func.count(col(CaseName.id)), col(CaseName.case_id)),
        _related(func.max(col(CaseName.id)), col(CaseName.case_id)),
        _related(func.count(col(Hearing.id)), col(Hearing.case_id)),
        _related(func.max(col(Hearing.updated_at)), col(Hearing.case_id)),
        _related(func.count(col(TimelineEvent.id)), col(TimelineEvent.case_id)),
        _related(func.max(col(TimelineEvent.id)), col(TimelineEvent.case_id)),
        _related(func.max(col(TimelineEvent.created_at)), col(TimelineEvent.case_id)),
        _related(func.max(col(AuditEntry.at)), col(AuditEntry.case_id)),
    ]
    return sa_select(*columns).where(col(Case.slug) == bindparam("slug"))


def case_fingerprint(session: Session, *, slug: str) -> tuple[int, Fingerprint] | None:
    """The id of the case with this slug and, in the same query, what its page shows:
    the case row's version and times, and the count and latest change of its names,
    hearings, events and audited changes. None when no case has this slug."""
    row = session.connection().execute(_case_fingerprint_query(), {"slug": slug}).first()
    if row is None or row[0] is None:
        return None
    updated = [_as_datetime(row[2]), _as_datetime(row[7]), _as_datetime(row[10])]
    return int(row[0]), Fingerprint(
        key=tuple(str(value) for value in row), changed_at=_latest(updated)
    )


@cache
def _site_fingerprint_query() -> Any:
    """Built once, as the case query is."""

    def one(column: ColumnElement[Any]) -> Any:
        return select(column).scalar_subquery()

    return sa_select(
        one(func.count(col(Case.id))),
        one(func.max(col(Case.updated_at))),
        one(func.sum(col(Case.version))),
        one(func.count(col(CaseName.id))),
        one(func.max(col(CaseName.id))),
        one(func.count(col(Hearing.id))),
        one(func.max(col(Hearing.updated_at))),
        one(func.count(col(TimelineEvent.id))),
        one(func.max(col(TimelineEvent.id))),
    )


def site_fingerprint(session: Session) -> Fingerprint:
    """What the list pages and the site feed depend on (every case, name, hearing, event)."""
    row = session.connection().execute(_site_fingerprint_query()).one()
    updated = [_as_datetime(row[1]), _as_datetime(row[6])]
    return Fingerprint(key=tuple(str(value) for value in row), changed_at=_latest(updated))


def _as_datetime(value: object) -> datetime | None:
    """Aggregates over the UTC column come back as text on SQLite: read them as UTC."""
    if value is None:
        return None
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def list_public_changes(
    session: Session, *, case_id: int | None = None, limit: int = 50
) -> list[PublicChange]:
    """The newest public changes (new cases, hearings, dated events), newest first."""
    slug_query = select(Case.id, Case.slug)
    if case_id is not None:
        slug_query = slug_query.where(Case.id == case_id)
    slugs = {row[0]: row[1] for row in session.exec(slug_query).all()}
    changes: list[PublicChange] = []
    cases = select(Case).order_by(col(Case.created_at).desc()).limit(limit)
    events = select(TimelineEvent).order_by(col(TimelineEvent.created_at).desc()).limit(limit)
    hearings = (
        select(Hearing, Court)
        .join(Court, col(Hearing.court_id) == col(Court.id), isouter=True)
        .order_by(col(Hearing.updated_at).desc())
        .limit(limit)
    )
    if case_id is not None:
        cases = cases.where(Case.id == case_id)
        events = events.where(TimelineEvent.case_id == case_id)
        hearings = hearings.where(Hearing.case_id == case_id)
    for case in session.exec(cases):
        assert case.id is not None
        changes.append(PublicChange("case", case.id, case.slug, case.created_at, case.id))
    for event in session.exec(events):
        changes.append(
            PublicChange(
                "event",
                event.case_id,
                slugs.get(event.case_id, ""),
                event.created_at,
                event.id or 0,
                event_on=event.occurred_on,
                event_precision=event.precision,
                event_lang=event.lang,
                event_text=dict(event.text),
                source_url=event.source_url,
            )
        )
    for hearing, court in session.exec(hearings):
        view = _hearing_view(hearing, court)
        changes.append(
            PublicChange(
                "hearing",
                hearing.case_id,
                slugs.get(hearing.case_id, ""),
                hearing.updated_at,
                view.id,
                hearing=view,
            )
        )
    changes.sort(key=lambda change: (change.at, change.kind, change.item_id), reverse=True)
    return changes[:limit]
