"""The database tables of casebot (SQLModel).

Instants are stored in UTC (naive in the database, aware in Python) with the
IANA zone they belong to beside them. Texts that exist in several languages
are JSON objects mapping `kk` / `ru` / `en` to text, with the language they
were first written in recorded next to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from storage.domain.names import MAX_KEY

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LocalText = dict[str, str]
"""A text in several languages: {"kk": ..., "ru": ..., "en": ...}."""


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC; returns them aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def _case_fk(*, nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("cases.id", ondelete="SET NULL" if nullable else "CASCADE"),
            nullable=nullable,
            index=True,
        ),
    )


def _subscriber_fk() -> Any:
    """A subscriber's chat: the row goes with the subscriber (/forget deletes them)."""
    return Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("subscribers.chat_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class Case(SQLModel, table=True):
    """A detainee's case: the four status dimensions and the sentence."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    custody: str | None = Field(default=None, max_length=32)
    proceedings: str | None = Field(default=None, max_length=32)
    protection: str | None = Field(default=None, max_length=32)
    risk: str | None = Field(default=None, max_length=32)
    summary: LocalText = _json_column()
    summary_lang: str | None = Field(default=None, max_length=8)
    sentence_months: int | None = None
    sentence_days: int | None = None
    credit_ratio: float | None = None
    detained_on: date | None = None
    verdict_on: date | None = None
    release_on: date | None = None
    # No SQL default: an explicit None (not known) must be stored as NULL, not as False.
    suspended: bool | None = Field(default=False, sa_column=Column(Boolean, nullable=True))
    """Whether the sentence is suspended; None when the sources do not say."""
    confirmed_on: date | None = None
    """The day an organizer last checked the case and found nothing changed (/confirm)."""
    letter_address: str | None = Field(default=None, max_length=500)
    """Where letters to the person go (a postal address), when organizers know one."""
    letters_reach: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    """Whether letters reach the person; None: not known."""
    letter_langs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    basis: dict[str, Any] = _json_column()
    """How each status is known: {dimension: {"basis": Basis, "source": url}} (set with it)."""
    """The languages letters may be written in (censors may hold back others)."""
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseName(SQLModel, table=True):
    """One name or spelling of a case's person; `key` is its normalized search form."""

    __tablename__ = "case_names"
    __table_args__ = (
        UniqueConstraint("case_id", "lang", "text"),
        {"sqlite_autoincrement": True},  # an id is never given twice (storage.reads.lookup)
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _case_fk()
    lang: str = Field(max_length=8)
    text: str = Field(max_length=200)
    is_primary: bool = False
    key: str = Field(max_length=MAX_KEY, index=True)


class Court(SQLModel, table=True):
    """A court, with its name and city in several languages and its IANA zone."""

    __tablename__ = "courts"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    tz: str = Field(max_length=64)
    name: LocalText = _json_column()
    city: LocalText = _json_column()
    address: LocalText = _json_column()
    """Its street address, in the languages organizers wrote it in."""
    lat: float | None = None
    lon: float | None = None
    """Its map position (WGS 84 degrees), when known."""
    note: LocalText = _json_column()
    """The practical note for people attending (entrance, what to bring), per language."""


class Hearing(SQLModel, table=True):
    """A hearing: its instant in UTC, the zone it is held in, court and status."""

    __tablename__ = "hearings"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _case_fk()
    court_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("courts.id", ondelete="SET NULL"), nullable=True),
    )
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    tz: str = Field(max_length=64)
    time_known: bool = True
    status: str = Field(default="scheduled", max_length=16)
    judge: LocalText = _json_column()
    note: LocalText = _json_column()
    note_lang: str | None = Field(default=None, max_length=8)
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Person(SQLModel, table=True):
    """Someone around a case: lawyer, judge, prosecutor, organisation, official."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _case_fk()
    role: str = Field(max_length=32)
    name: LocalText = _json_column()
    note: LocalText = _json_column()


class TimelineEvent(SQLModel, table=True):
    """A dated, sourced event; `precision` says whether the day, month or year is known."""

    __tablename__ = "timeline_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _case_fk()
    occurred_on: date = Field(index=True)
    precision: str = Field(default="day", max_length=8)
    lang: str = Field(max_length=8)
    text: LocalText = _json_column()
    source_title: str | None = Field(default=None, max_length=300)
    source_outlet: str | None = Field(default=None, max_length=120)
    source_url: str | None = Field(default=None, max_length=500)
    basis: str | None = Field(default=None, max_length=16)
    """How the event is known (``Basis``); None: not stated."""
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The order among events of the same date (lower first; then in the order added)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LetterGuide(SQLModel, table=True):
    """The organizers' short guide to writing a letter (what to write, what not to), one per
    interface language."""

    __tablename__ = "letter_guides"

    lang: str = Field(primary_key=True, max_length=8)
    text: str = Field(max_length=2000)
    updated_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subscriber(SQLModel, table=True):
    """A chat that receives alerts: a user, a group or a channel."""

    __tablename__ = "subscribers"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_type: str = Field(default="private", max_length=16)
    lang: str | None = Field(default=None, max_length=8)
    telegram_lang: str | None = Field(default=None, max_length=16)
    reminders: str | None = Field(default=None, max_length=64)
    listed: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    """Whether organizers may see this chat's name among a hearing's attendees; None: not
    asked yet (counted only)."""
    timeline: bool = False
    """Whether the chat also gets new timeline events of the cases it follows (/settings)."""
    blocked: bool = False
    gone: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    """A chat following a case."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _subscriber_fk()
    case_id: int = _case_fk()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """A chat's answer to "will you attend this hearing?" (``AttendAnswer``); pressing again
    changes it. ``name`` is kept only while the chat agreed to be listed."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("hearing_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    hearing_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("hearings.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    chat_id: int = _subscriber_fk()
    answer: str = Field(max_length=8)
    name: str | None = Field(default=None, max_length=160)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Organizer(SQLModel, table=True):
    """A Telegram user allowed to change cases, and who added them."""

    __tablename__ = "organizers"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    added_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OrganizerName(SQLModel, table=True):
    """The Telegram username and first name an organizer (or admin) last used an organizer
    command with, so the audit log and /organizer list name them."""

    __tablename__ = "organizer_names"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    username: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=128)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: the state before and after."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    case_id: int | None = _case_fk(nullable=True)
    action: str = Field(max_length=40)
    before: dict[str, Any] = _json_column()
    after: dict[str, Any] = _json_column()


class Delivery(SQLModel, table=True):
    """One alert or reminder for one chat: the durable outbox.

    Written in the same transaction as the change that causes it (or by the
    planner, for reminders); `dedupe_key` makes a second write of the same
    alert impossible. The text is not stored: it is rendered when sent, in
    the recipient's language of that moment. Status moves pending → sending →
    sent (or blocked, gone, failed, skipped, dropped). A `sending` row is leased
    to `claimed_by` until `lease_until`; the living worker renews the lease, and
    any worker takes over a row whose lease has run out (its worker died).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_claim", "status", "urgent", "due_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True)
    chat_id: int = _subscriber_fk()
    case_id: int | None = _case_fk(nullable=True)
    kind: str = Field(max_length=24)
    payload: dict[str, Any] = _json_column()
    urgent: bool = False
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=200)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobState(SQLModel, table=True):
    """When a background job last ran (planner, dispatcher): for health checks and catch-up."""

    __tablename__ = "job_state"

    name: str = Field(primary_key=True, max_length=40)
    last_run_at: datetime = Field(sa_type=UTCDateTime)
    detail: dict[str, Any] = _json_column()


class Draft(SQLModel, table=True):
    """A change an organizer previewed: sent only when they press Send, undoable for a while.

    `state` moves open → sent (→ undone) or open → cancelled; the move from open is
    one conditional UPDATE, so pressing Send twice sends once. `result` keeps what
    undo needs: the state before, and the key of the alerts the change queued.
    """

    __tablename__ = "drafts"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    case_id: int | None = _case_fk(nullable=True)
    kind: str = Field(max_length=24)
    params: dict[str, Any] = _json_column()
    state: str = Field(default="open", max_length=12)
    result: dict[str, Any] = _json_column()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class Broadcast(SQLModel, table=True):
    """The alerts of one Send, as the organizer follows them: the progress message, Pause.

    Its deliveries are those whose ``dedupe_key`` starts with ``prefix``. ``paused``
    is stored so that a Pause holds across restarts (its pending rows are ``paused``).
    ``finished_at`` is set when none is left to send.
    """

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int | None = Field(default=None, unique=True)
    case_id: int | None = _case_fk(nullable=True)
    prefix: str = Field(max_length=200)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    lang: str = Field(default="en", max_length=8)
    total: int = 0
    paused: bool = False
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    paused_seconds: float = 0.0
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
