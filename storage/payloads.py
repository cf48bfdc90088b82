"""Typed, versioned payloads of drafts and deliveries, and the one place they become JSON.

Every alert kind (:class:`~storage.vocabulary.AlertKind`) and every draft kind
(:class:`~storage.vocabulary.DraftKind`) has a frozen dataclass here; the JSON columns
``Delivery.payload``, ``Draft.params`` and ``Draft.result`` hold ``{"v": <version>,
...fields}`` written by :func:`dump` and read back by :func:`load_alert`,
:func:`load_draft` and :func:`load_result`. A payload whose version is not its type's
raises :class:`PayloadError` (a migration converts stored rows when a version changes:
see ``storage/database/migrations/versions/0008_versioned_payloads.py``).

The audit log keeps its own, older flat shape for hearings (history is not rewritten);
:func:`hearing_audit` and :func:`hearing_from_audit` are the only readers and writers of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import TypeAdapter, ValidationError

from storage.vocabulary import URGENT_RISKS, AlertKind, DraftKind

VERSION_KEY = "v"
"""The key of a payload's version in its JSON object."""

LocalText = dict[str, str]
"""A text in several languages: {"kk": ..., "ru": ..., "en": ...}."""

JsonScalar = str | int | float | bool | None


class Versioned(Protocol):
    """Any payload type: a frozen dataclass with its version."""

    VERSION: ClassVar[int]


class PayloadError(ValueError):
    """A stored payload that is not of its kind's type or version."""


@dataclass(frozen=True)
class HearingTime:
    """When and where a hearing is, as an alert shows it."""

    starts_at: datetime
    """The instant, aware (UTC)."""
    tz: str
    """The IANA zone the hearing's local time is told in."""
    time_known: bool = True
    court: LocalText = field(default_factory=dict)
    city: LocalText = field(default_factory=dict)


# ---- alert payloads (Delivery.payload) ----


@dataclass(frozen=True)
class StatusAlert:
    """A status dimension changed from ``old`` to ``new``, with the organizer's note."""

    VERSION: ClassVar[int] = 1
    dimension: str
    old: str | None
    new: str
    note: LocalText = field(default_factory=dict)
    note_lang: str | None = None
    basis: str | None = None
    """How the new status is known (a ``Basis``); None when not said."""
    source: str | None = None
    """A link to where it is known from."""

    @property
    def urgent(self) -> bool:
        """A rising deportation risk is urgent."""
        return self.dimension == "risk" and self.new in URGENT_RISKS


@dataclass(frozen=True, kw_only=True)
class HearingAlert:
    """A hearing set, or cancelled (``at``: when it is, or was to be)."""

    VERSION: ClassVar[int] = 1
    hearing_id: int
    version: int
    at: HearingTime
    court_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class HearingMoved(HearingAlert):
    """A hearing moved from ``was`` to ``at``."""

    was: HearingTime


@dataclass(frozen=True)
class ReleaseChanged:
    """The expected release date moved (None: not known any more, or before)."""

    VERSION: ClassVar[int] = 1
    release: date | None
    stated: bool
    old_release: date | None = None


@dataclass(frozen=True)
class CorrectionAlert:
    """An undone change's alert was withdrawn; the text says what is true now."""

    VERSION: ClassVar[int] = 1
    of: str
    """The kind of the withdrawn alert (or ``sentence``)."""
    dimension: str | None = None
    """For a status: the dimension, whose current value is read when sent."""


@dataclass(frozen=True)
class HearingReminder:
    """A reminder ``offset`` seconds before version ``version`` of a hearing."""

    VERSION: ClassVar[int] = 1
    hearing_id: int
    version: int
    offset: int


@dataclass(frozen=True)
class ReleaseReminder:
    """A reminder ``offset`` seconds before the morning of an expected release."""

    VERSION: ClassVar[int] = 1
    release_on: date
    stated: bool
    offset: int


@dataclass(frozen=True)
class AttendNote:
    """The evening-before note to a chat attending version ``version`` of a hearing."""

    VERSION: ClassVar[int] = 1
    hearing_id: int
    version: int


@dataclass(frozen=True)
class StaleDigest:
    """The weekly digest to organizers of the cases that need a look (``week``: ISO week)."""

    VERSION: ClassVar[int] = 1
    week: str


@dataclass(frozen=True)
class TimelineAlert:
    """A new timeline event, to the followers who chose to get them."""

    VERSION: ClassVar[int] = 1
    event_id: int


@dataclass(frozen=True)
class ApprovalNotice:
    """To a draft's author: approved (and sent), rejected, or expired unapproved."""

    VERSION: ClassVar[int] = 1
    draft_id: int
    outcome: str
    alerts: int = 0
    """Approved: how many the change alerted (its Undo asks once more with the count)."""


@dataclass(frozen=True)
class ApprovalRequest:
    """To another organizer: approve or reject draft ``draft_id`` of ``author_id``, whose
    alert (of kind ``alert_kind``, its payload as :func:`dump` writes it) would reach
    ``audience`` subscribers."""

    VERSION: ClassVar[int] = 1
    draft_id: int
    author_id: int
    audience: int
    alert_kind: str
    alert: dict[str, Any]


AlertPayload = (
    StatusAlert
    | HearingAlert
    | HearingMoved
    | ReleaseChanged
    | CorrectionAlert
    | HearingReminder
    | ReleaseReminder
    | AttendNote
    | StaleDigest
    | TimelineAlert
    | ApprovalNotice
    | ApprovalRequest
)

ALERT_PAYLOADS: dict[str, type[Any]] = {
    AlertKind.STATUS: StatusAlert,
    AlertKind.HEARING_SET: HearingAlert,
    AlertKind.HEARING_MOVED: HearingMoved,
    AlertKind.HEARING_CANCELLED: HearingAlert,
    AlertKind.RELEASE_CHANGED: ReleaseChanged,
    AlertKind.CORRECTION: CorrectionAlert,
    AlertKind.HEARING_REMINDER: HearingReminder,
    AlertKind.RELEASE_REMINDER: ReleaseReminder,
    AlertKind.ATTEND_NOTE: AttendNote,
    AlertKind.STALE_DIGEST: StaleDigest,
    AlertKind.TIMELINE_EVENT: TimelineAlert,
    AlertKind.APPROVAL_NOTICE: ApprovalNotice,
    AlertKind.APPROVAL_REQUEST: ApprovalRequest,
}
"""Each alert kind's payload type (other helpers' kinds register with :func:`register_alert`)."""


# ---- draft payloads (Draft.params) ----


@dataclass(frozen=True)
class StatusDraft:
    """Set ``dimension`` to ``key``, with a note in the language it is written in."""

    VERSION: ClassVar[int] = 1
    dimension: str
    key: str
    note: LocalText = field(default_factory=dict)
    note_lang: str | None = None
    basis: str | None = None
    """How the new status is known (a ``Basis``)."""
    source: str | None = None
    """A link to where it is known from."""


@dataclass(frozen=True)
class HearingDraft:
    """Set or move the next hearing; the court is found or created by name when sent."""

    VERSION: ClassVar[int] = 1
    starts_at: datetime
    tz: str
    time_known: bool = True
    court: str | None = None
    city: str | None = None
    court_lang: str | None = None
    court_id: int | None = None


@dataclass(frozen=True)
class CancelHearingDraft:
    """Cancel the next hearing."""

    VERSION: ClassVar[int] = 1


@dataclass(frozen=True)
class SentenceDraft:
    """Set sentence fields (``storage.usecases.changes.SENTENCE_FIELDS``); dates as ISO."""

    VERSION: ClassVar[int] = 1
    values: dict[str, JsonScalar] = field(default_factory=dict)

    def model_values(self) -> dict[str, Any]:
        """The values as the model holds them (dates as ``date``)."""
        return {
            name: date.fromisoformat(value)
            if name.endswith("_on") and isinstance(value, str)
            else value
            for name, value in self.values.items()
        }


@dataclass(frozen=True)
class NewCaseQuestion:
    """Create a case named ``name`` although a similar one exists."""

    VERSION: ClassVar[int] = 1
    name: str
    lang: str


@dataclass(frozen=True)
class EventQuestion:
    """Add a timeline event dated after today."""

    VERSION: ClassVar[int] = 1
    day: date
    precision: str
    text: str
    lang: str
    source_url: str | None = None
    basis: str | None = None
    """How the event is known (a ``Basis``)."""


DraftPayload = (
    StatusDraft
    | HearingDraft
    | CancelHearingDraft
    | SentenceDraft
    | NewCaseQuestion
    | EventQuestion
)

DRAFT_PAYLOADS: dict[str, type[Any]] = {
    DraftKind.STATUS: StatusDraft,
    DraftKind.HEARING: HearingDraft,
    DraftKind.CANCEL_HEARING: CancelHearingDraft,
    DraftKind.SENTENCE: SentenceDraft,
    "ask_new_case": NewCaseQuestion,
    "ask_event": EventQuestion,
    "ask_sentence": SentenceDraft,
}
"""Each draft kind's (and question kind's, ``ask_…``) payload type."""


@dataclass(frozen=True)
class DraftResult:
    """What a sent draft did, kept for Undo: the change's kind, the key prefix of its
    alerts, the state before (audit shape) and the hearing it touched."""

    VERSION: ClassVar[int] = 1
    kind: str
    prefix: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    hearing_id: int | None = None
    audit_id: int | None = None
    alerts: int = 0


P = TypeVar("P")


@cache
def _adapter(cls: Any) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def dump(payload: Versioned) -> dict[str, Any]:
    """A payload as its JSON object, with its version."""
    data = _adapter(type(payload)).dump_python(payload, mode="json")
    return {VERSION_KEY: type(payload).VERSION, **data}


def load(cls: type[P], data: Mapping[str, Any]) -> P:
    """Read a payload of type ``cls`` (raises PayloadError when it is not one)."""
    if data.get(VERSION_KEY) != getattr(cls, "VERSION", None):
        raise PayloadError(f"{cls.__name__}: version {data.get(VERSION_KEY)!r}")
    fields = {key: value for key, value in data.items() if key != VERSION_KEY}
    try:
        value: P = _adapter(cls).validate_python(fields)  # type: ignore[arg-type]
    except ValidationError as error:
        raise PayloadError(f"{cls.__name__}: {error.error_count()} wrong fields") from error
    return value


def load_alert(kind: str, data: Mapping[str, Any]) -> Any:
    """A delivery's payload as its kind's type."""
    if kind not in ALERT_PAYLOADS:
        raise PayloadError(f"no payload type for alert kind {kind!r}")
    return load(ALERT_PAYLOADS[kind], data)


def load_draft(kind: str, data: Mapping[str, Any]) -> Any:
    """A draft's (or question's) params as its kind's type."""
    if kind not in DRAFT_PAYLOADS:
        raise PayloadError(f"no payload type for draft kind {kind!r}")
    return load(DRAFT_PAYLOADS[kind], data)


def load_result(data: Mapping[str, Any]) -> DraftResult | None:
    """A sent draft's result (None: it changed nothing)."""
    return load(DraftResult, data) if data else None


def draft_kind(params: DraftPayload) -> str:
    """The draft kind whose payload type ``params`` is (not a question's ``ask_`` kind)."""
    for kind, cls in DRAFT_PAYLOADS.items():
        if type(params) is cls and not kind.startswith("ask_"):
            return kind
    raise PayloadError(f"{type(params).__name__} is no draft kind's payload")


def register_alert(kind: str, cls: type[Any]) -> None:
    """Give a new alert kind its payload type (a class with ``VERSION``)."""
    ALERT_PAYLOADS[kind] = cls


def register_draft(kind: str, cls: type[Any]) -> None:
    """Give a new draft kind its payload type (a class with ``VERSION``)."""
    DRAFT_PAYLOADS[kind] = cls


# ---- the audit log's flat shape of a hearing ----

_AUDIT_FIELDS = ("starts_at", "tz", "time_known", "court", "city")


def hearing_audit(
    at: HearingTime, *, hearing_id: int | None, version: int, court_id: int | None
) -> dict[str, Any]:
    """A hearing as the audit log records it (a flat object)."""
    return {
        "hearing_id": hearing_id,
        "version": version,
        "starts_at": at.starts_at.isoformat(),
        "tz": at.tz,
        "time_known": at.time_known,
        "court_id": court_id,
        "court": dict(at.court),
        "city": dict(at.city),
    }


def moved_audit(payload: HearingMoved) -> dict[str, Any]:
    """A move as the audit log records it: the new hearing, the old one under ``old_``."""
    old = hearing_audit(payload.was, hearing_id=None, version=0, court_id=None)
    new = hearing_audit(
        payload.at,
        hearing_id=payload.hearing_id,
        version=payload.version,
        court_id=payload.court_id,
    )
    return {**new, **{f"old_{key}": old[key] for key in _AUDIT_FIELDS}}


def hearing_from_audit(
    data: Mapping[str, Any], *, prefix: str = "", zone: str = "UTC"
) -> HearingTime | None:
    """The hearing an audit entry records (``prefix`` "old_": the one before a move);
    None when it records none. ``zone`` stands in for a missing zone."""
    raw = data.get(f"{prefix}starts_at")
    if not isinstance(raw, str):
        return None

    def text(key: str) -> LocalText:
        value = data.get(f"{prefix}{key}", data.get(key))
        return dict(value) if isinstance(value, Mapping) else {}

    return HearingTime(
        starts_at=datetime.fromisoformat(raw),
        tz=str(data.get(f"{prefix}tz") or zone),
        time_known=bool(data.get(f"{prefix}time_known", True)),
        court=text("court"),
        city=text("city"),
    )
