"""The one vocabulary of casebot: languages, status dimensions and their keys, alert kinds,
draft kinds and states, delivery states.

Everything else imports these; nothing else lists them. Adding custody ``hospitalized``
is one line in :data:`DIMENSIONS` (and its label in the catalogs: a test fails until all
three languages have it); the card, the alerts, ``/setstatus``, the guided ``/update``,
case files and exports all take it from here.

Labels are gettext message ids (marked with :func:`N_` so that Babel extracts them);
this module knows nothing of translation itself, so storage, handlers, jobs and
messages can all import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


def N_(message: str) -> str:  # noqa: N802 (the conventional gettext marker name)
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Language:
    """An interface language: its code (with a catalog in messages/locale/<code>), the
    mark of a text written in it, its number of plural forms, and the order in which its
    readers are shown a case's names (languages it leaves out come after, in the order of
    :data:`INTERFACE`)."""

    code: str
    native: str
    """Its own name, on the language buttons ("Қазақша")."""
    mark: str
    """Its msgid: "in Kazakh"."""
    plurals: int
    name_order: tuple[str, ...]


INTERFACE: tuple[Language, ...] = (
    # Kazakh and Russian readers prefer Cyrillic; a name in Chinese characters (zh) only
    # when the case has no other.
    Language("kk", "Қазақша", N_("in Kazakh"), 2, ("kk", "ru", "en", "alias", "zh")),
    Language("ru", "Русский", N_("in Russian"), 3, ("ru", "kk", "en", "alias", "zh")),
    Language("en", "English", N_("in English"), 2, ("en", "alias", "ru", "kk", "zh")),
)
"""The interface languages. A fourth is one line here and its catalog."""

LANGUAGES: tuple[str, ...] = tuple(language.code for language in INTERFACE)
"""The interface languages' codes, each with a catalog in messages/locale."""

NAME_LANGUAGES: tuple[str, ...] = (*LANGUAGES, "zh", "alias")
"""What a name may be: a language's spelling, in Chinese characters (zh: how documents
from Xinjiang give it; searched, shown only when a case has no other name), or another
spelling (an alias)."""

NAME_ORDER: dict[str, tuple[str, ...]] = {
    language.code: tuple(dict.fromkeys((*language.name_order, *NAME_LANGUAGES)))
    for language in INTERFACE
}
"""For each reader's language, the languages of names in the order they are preferred."""

TEXT_ORDER: dict[str, tuple[str, ...]] = {
    code: tuple(lang for lang in order if lang in LANGUAGES) for code, order in NAME_ORDER.items()
}
"""For each reader's language, the order in which texts in several languages are chosen."""

LANGUAGE_NAMES: dict[str, str] = {language.code: language.native for language in INTERFACE}
"""Each language's own name."""

LANGUAGE_MARKS: dict[str, str] = {language.code: language.mark for language in INTERFACE}
"""The msgid marking a text written in each language ("in Kazakh")."""

PLURAL_COUNTS: dict[str, int] = {language.code: language.plurals for language in INTERFACE}
"""How many plural forms each language's catalog has."""


@dataclass(frozen=True)
class Status:
    """One value of a status dimension."""

    key: str
    label: str
    """Its msgid, as readers see it ("in prison")."""
    urgent: bool = False
    """An alert about it is urgent (deportation threatened or ordered)."""
    held: bool = False
    """Custody only: the person is held (a past release date is then unconfirmed)."""


@dataclass(frozen=True)
class Dimension:
    """A status dimension of a case (custody, proceedings, protection, risk)."""

    key: str
    label: str
    statuses: tuple[Status, ...]


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("custody", N_("Custody"), (
        Status("free", N_("at liberty")),
        Status("detained", N_("in pre-trial detention"), held=True),
        Status("house_arrest", N_("under house arrest"), held=True),
        Status("imprisoned", N_("in prison"), held=True),
        Status("released", N_("released")),
        Status("deported", N_("deported")),
        Status("abroad", N_("abroad")),
    )),
    Dimension("proceedings", N_("Proceedings"), (
        Status("investigation", N_("under investigation")),
        Status("trial", N_("on trial")),
        Status("sentenced", N_("sentenced")),
        Status("appeal", N_("appeal under way")),
        Status("acquitted", N_("acquitted")),
        Status("closed", N_("case closed")),
    )),
    Dimension("protection", N_("Protection"), (
        Status("no_protection", N_("no protection status")),
        Status("asylum_seeker", N_("asylum-seeker")),
        Status("refugee", N_("refugee")),
        Status("asylum_denied", N_("asylum denied")),
    )),
    Dimension("risk", N_("Deportation risk"), (
        Status("no_risk", N_("no known risk of deportation")),
        Status("deportation_threat", N_("deportation threatened"), urgent=True),
        Status("deportation_ordered", N_("deportation ordered"), urgent=True),
        Status("deportation_blocked", N_("deportation blocked by a court")),
    )),
)  # fmt: skip

STATUS_KEYS: dict[str, tuple[str, ...]] = {
    dimension.key: tuple(status.key for status in dimension.statuses) for dimension in DIMENSIONS
}
"""Each dimension's keys, in display order."""

STATUS_LABELS: dict[str, dict[str, str]] = {
    dimension.key: {status.key: status.label for status in dimension.statuses}
    for dimension in DIMENSIONS
}
"""Each dimension's keys with their label msgids."""

DIMENSION_LABELS: dict[str, str] = {dimension.key: dimension.label for dimension in DIMENSIONS}
"""Each dimension's label msgid."""

KEY_TO_DIMENSION: dict[str, str] = {
    status.key: dimension.key for dimension in DIMENSIONS for status in dimension.statuses
}
"""The dimension of each status key (keys are unique across dimensions)."""

URGENT_RISKS: frozenset[str] = frozenset(
    status.key for dimension in DIMENSIONS for status in dimension.statuses if status.urgent
)
"""Status keys whose alerts are urgent."""

HELD: frozenset[str] = frozenset(status.key for status in DIMENSIONS[0].statuses if status.held)
"""Custody keys that mean the person is held."""

CUSTODY = DIMENSIONS[0].key
"""The custody dimension's key."""

URGENT_CUSTODY: frozenset[str] = HELD | frozenset({"released"})
"""Custody changes that are urgent for paid broadcasts (``CASEBOT_PAID_BROADCAST=urgent``):
a detention and a release."""


class Basis(StrEnum):
    """How a fact is known: the basis of a status change or a timeline event."""

    COURT_DOCUMENT = "court"
    LAWYER = "lawyer"
    FAMILY = "family"
    MEDIA = "media"
    UNCONFIRMED = "unconfirmed"


BASIS_LABELS: dict[str, str] = {
    Basis.COURT_DOCUMENT: N_("according to a court document"),
    Basis.LAWYER: N_("according to the lawyer"),
    Basis.FAMILY: N_("according to the family"),
    Basis.MEDIA: N_("reported by media, not yet confirmed"),
    Basis.UNCONFIRMED: N_("unconfirmed"),
}
"""Each basis as readers see it, in words."""

UNCONFIRMED_BASES: frozenset[str] = frozenset({Basis.MEDIA, Basis.UNCONFIRMED})
"""Bases that do not confirm a fact: an urgent alert on one says so at its top."""


class AlertKind(StrEnum):
    """What a delivery tells its subscriber."""

    STATUS = "status"
    HEARING_SET = "hearing_set"
    HEARING_MOVED = "hearing_moved"
    HEARING_CANCELLED = "hearing_cancelled"
    RELEASE_CHANGED = "release_changed"
    CORRECTION = "correction"
    HEARING_REMINDER = "hearing_reminder"
    RELEASE_REMINDER = "release_reminder"
    ATTEND_NOTE = "attend_note"
    """The evening before a hearing, to those attending: the court's practical note."""
    TIMELINE_EVENT = "timeline_event"
    """A new timeline event, to followers who chose to get them (/settings)."""
    APPROVAL_NOTICE = "approval_notice"
    """To an author: their change was approved and sent, rejected, or expired unapproved."""
    APPROVAL_REQUEST = "approval_request"
    """To the other organizers: a change waits for one of them to approve or reject it."""
    STALE_DIGEST = "stale_digest"
    """Weekly, to organizers: the cases that need a look (:class:`StaleReason`)."""


ALERT_ORIGINS: dict[str, str] = {
    AlertKind.CORRECTION: "undo",
    AlertKind.HEARING_REMINDER: "planner",
    AlertKind.RELEASE_REMINDER: "planner",
    AlertKind.ATTEND_NOTE: "planner",
}
"""Where alerts of a kind come from when not from an organizer's change: the planner
(reminders) or an undo (corrections). ``storage.alertkinds`` says what each needs."""

HEARING_ALERTS: frozenset[str] = frozenset(
    {AlertKind.HEARING_SET, AlertKind.HEARING_MOVED, AlertKind.HEARING_CANCELLED}
)
"""The alerts of a hearing set, moved or cancelled."""


class AttendAnswer(StrEnum):
    """A chat's answer to "will you attend this hearing?"."""

    YES = "yes"
    NO = "no"


class StaleReason(StrEnum):
    """Why a case needs an organizer's look."""

    RELEASE_PASSED = "release_passed"
    """The expected release day passed and custody still says held."""
    HEARING_NO_OUTCOME = "hearing_no_outcome"
    """A hearing passed and nothing was recorded since it began."""
    UNCONFIRMED = "unconfirmed"
    """Nothing stated or confirmed for ``CASEBOT_STALE_AFTER``."""


class DraftKind(StrEnum):
    """What an organizer's previewed change does."""

    STATUS = "status"
    HEARING = "hearing"
    CANCEL_HEARING = "cancel_hearing"
    SENTENCE = "sentence"


class DraftState(StrEnum):
    """Where a draft is: open (previewed), then sent, cancelled or (after Send) undone."""

    OPEN = "open"
    AWAITING = "awaiting"
    """Sent by its author, waiting for another organizer's approval (two-person rule)."""
    SENT = "sent"
    CANCELLED = "cancelled"
    UNDONE = "undone"


class DeliveryState(StrEnum):
    """Where a delivery is: pending → sending → sent, or one of the ends that stop it."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    GONE = "gone"
    FAILED = "failed"
    SKIPPED = "skipped"
    DROPPED = "dropped"
    PAUSED = "paused"
    """Held by the organizer's Pause (its broadcast); Resume puts it back to pending."""
