"""Rendering claimed deliveries at send time, in each recipient's language of that moment.

A batch is rendered at once: each case is read once, each text is built once
per (case, alert, language). Reminders are checked against the present: a
reminder for a hearing that was moved or cancelled is skipped (no reminder
ever names an old time), one whose hearing already began is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

import messages.followup  # noqa: F401 (registers the follow-up kinds' texts)
from jobs.dispatcher import Closed, Rendered
from messages import Translator, resolve_language, translator
from messages.alerts import AlertContext, render_alert
from messages.card import case_title
from storage.alertkinds import registers, spec
from storage.database.models import Court, Draft, Hearing
from storage.domain.sentence import estimate_for
from storage.outbox import DROPPED, SKIPPED, DeliveryWork
from storage.payloads import (
    ApprovalRequest,
    AttendNote,
    HearingReminder,
    PayloadError,
    ReleaseReminder,
    StaleDigest,
    TimelineAlert,
    load_alert,
)
from storage.reads.cases import CaseView, get_case_view, list_case_items, list_events
from storage.reads.stale import list_stale
from storage.usecases.attendance import CourtNote, still_attending
from storage.usecases.changes import hearing_time
from storage.usecases.subscribers import known_names
from storage.vocabulary import AlertKind, DraftState

log = logging.getLogger("casebot.render")


@registers("present", AlertKind.HEARING_REMINDER)
def hearing_now(
    session: Session, view: CaseView, payload: HearingReminder, now: datetime, today: date
) -> Any | Closed:
    """The reminded hearing as it is now, or why the reminder is closed."""
    hearing = session.get(Hearing, payload.hearing_id)
    if hearing is None or hearing.status != "scheduled" or hearing.version != payload.version:
        return Closed(SKIPPED, "hearing moved or cancelled")
    if hearing.starts_at <= now:
        return Closed(DROPPED, "hearing already began")
    court = session.get(Court, hearing.court_id) if hearing.court_id else None
    return hearing_time(hearing, court)


@registers("present", AlertKind.RELEASE_REMINDER)
def release_now(
    session: Session, view: CaseView, payload: ReleaseReminder, now: datetime, today: date
) -> Any | Closed:
    """The expected release, unless it changed or passed (then why the reminder is closed)."""
    estimate = estimate_for(view)
    if estimate is None or estimate.release_on != payload.release_on:
        return Closed(SKIPPED, "release date changed")
    if estimate.release_on < today:
        return Closed(DROPPED, "release day passed")
    return estimate


@registers("present", AlertKind.ATTEND_NOTE)
def attend_note_now(
    session: Session, view: CaseView, payload: AttendNote, now: datetime, today: date
) -> Any | Closed:
    """The hearing and its court as they are now, unless the hearing moved (the chat's
    answer is checked in :meth:`AlertRenderer.prepare`, which knows the chat)."""
    reminded = HearingReminder(hearing_id=payload.hearing_id, version=payload.version, offset=0)
    at = hearing_now(session, view, reminded, now, today)
    if isinstance(at, Closed):
        return at
    hearing = session.get(Hearing, payload.hearing_id)
    court = session.get(Court, hearing.court_id) if hearing and hearing.court_id else None
    if court is None:
        return Closed(SKIPPED, "court gone")
    return at, CourtNote(dict(court.address), dict(court.note), court.lat, court.lon)


@registers("present", AlertKind.TIMELINE_EVENT)
def event_now(
    session: Session, view: CaseView, payload: TimelineAlert, now: datetime, today: date
) -> Any | Closed:
    """The new event as it is now, unless it was deleted."""
    found = [e for e in list_events(session, case_id=view.id) if e.id == payload.event_id]
    return found[0] if found else Closed(SKIPPED, "event deleted")


@registers("present", AlertKind.APPROVAL_REQUEST)
def approval_request_now(
    session: Session, view: CaseView, payload: ApprovalRequest, now: datetime, today: date
) -> Any | Closed:
    """The author's name and the alert waiting for approval, unless it was decided or
    expired meanwhile (then the request is dropped: its buttons would only say so)."""
    draft = session.get(Draft, payload.draft_id)
    if draft is None or draft.state != DraftState.AWAITING or draft.expires_at <= now:
        return Closed(SKIPPED, "decided or expired before the request went out")
    try:
        alert = load_alert(payload.alert_kind, payload.alert)
    except PayloadError as error:
        return Closed(SKIPPED, f"unreadable request: {error}"[:200])
    return known_names(session, [payload.author_id]).get(payload.author_id), alert


Row = list[tuple[str, str]]
"""A row of buttons as (label, callback data)."""


@dataclass(frozen=True)
class AlertButtons:
    """The buttons alerts carry. Their callback data belongs to the handlers
    (``handlers/callbacks.py``), so ``bot.py`` passes these builders in
    (``handlers/alert_buttons.py``); one left None adds no such buttons."""

    follower: Callable[[Translator, int], list[Row]] | None = None
    """Under a follower's alert about a case (by id): Open the case, Unsubscribe."""
    organizer: Callable[[Translator, int], list[Row]] | None = None
    """Under a note to an organizer about a case: Open the case."""
    attend: Callable[[Translator, int], Row] | None = None
    """A hearing's (by id) "I'll attend" / "Can't come", on its reminders and notes."""
    stale: Callable[[Translator, list[tuple[int, str]]], list[Row]] | None = None
    """The digest's rows: "Nothing changed" and "Update" for each (case id, name)."""
    approval: Callable[[Translator, int], list[Row]] | None = None
    """Approve and Reject of a waiting draft (by id)."""
    undo: Callable[[Translator, int, int], list[Row]] | None = None
    """Undo of a draft (id, how many it alerted), to its author once another organizer
    approved and sent it."""


@dataclass
class AlertRenderer:
    """The dispatcher's renderer: delivery rows → texts with their buttons."""

    zone: str
    buttons: AlertButtons = AlertButtons()
    stale_after: timedelta = timedelta(days=90)

    def _digest(self, session: Session, work: DeliveryWork, now: datetime) -> Rendered | Closed:
        """The weekly digest, listing the cases that need a look now."""
        stale = list_stale(session, now=now, zone=self.zone, stale_after=self.stale_after)
        if not stale:
            return Closed(SKIPPED, "no case needs a look any more")
        t = translator(resolve_language(work.lang, work.telegram_lang))
        names = {
            item.id: case_title(t, item.names)
            for item in list_case_items(session, case_ids=[item.case_id for item in stale])
        }
        items = [(names[item.case_id], item) for item in stale if item.case_id in names]
        rows = self.buttons.stale
        buttons = rows(t, [(item.case_id, name) for name, item in items]) if rows else []
        try:
            payload: StaleDigest = work.alert()
        except PayloadError as error:
            return Closed(SKIPPED, f"unreadable {work.kind}: {error}"[:200])
        today = now.astimezone(ZoneInfo(self.zone)).date()
        context = AlertContext(t, "", today, now, None, items)
        return Rendered(text=render_alert(context, work.kind, payload), buttons=buttons or None)

    def _buttons(self, t: Translator, work: DeliveryWork, case_id: int) -> list[Row]:
        made, payload = self.buttons, work.payload
        draft_id = payload.get("draft_id")
        if work.kind == AlertKind.APPROVAL_REQUEST:
            return made.approval(t, int(draft_id or 0)) if made.approval else []
        if work.kind == AlertKind.APPROVAL_NOTICE:  # to an organizer, not a follower
            rows = made.organizer(t, case_id) if made.organizer else []
            if made.undo and payload.get("outcome") == "approved":
                rows = [*made.undo(t, int(draft_id or 0), int(payload.get("alerts") or 0)), *rows]
            return rows
        rows = made.follower(t, case_id) if made.follower else []
        hearing_id = payload.get("hearing_id")
        if (
            made.attend is not None
            and work.kind in (AlertKind.HEARING_REMINDER, AlertKind.ATTEND_NOTE)
            and isinstance(hearing_id, int)
        ):
            rows = [made.attend(t, hearing_id), *rows]
        return rows

    def _text(
        self, session: Session, work: DeliveryWork, view: CaseView, t: Translator, now: datetime
    ) -> str | Closed:
        try:
            found = spec(work.kind)
            payload = work.alert()
        except (KeyError, PayloadError) as error:
            return Closed(SKIPPED, f"unreadable {work.kind}: {error}"[:200])
        today = now.astimezone(ZoneInfo(self.zone)).date()
        present = None
        if found.present is not None:
            present = found.present(session, view, payload, now, today)
            if isinstance(present, Closed):
                return present
        context = AlertContext(t, case_title(t, view.names), today, now, view, present)
        return render_alert(context, work.kind, payload)

    def prepare(
        self, session: Session, batch: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        """Render every delivery of a claimed batch."""
        views: dict[int, CaseView | None] = {}
        cache: dict[tuple[Any, ...], Rendered | Closed] = {}
        out: dict[int, Rendered | Closed] = {}
        payload_keys: dict[int, str] = {}  # by id(): rows of a claim share their payload
        for work in batch:
            if work.kind == AlertKind.STALE_DIGEST:
                out[work.id] = self._digest(session, work, now)
                continue
            if work.case_id is None:
                out[work.id] = Closed(SKIPPED, "case deleted")
                continue
            if work.case_id not in views:
                views[work.case_id] = get_case_view(session, case_id=work.case_id, now=now)
            view = views[work.case_id]
            if view is None:
                out[work.id] = Closed(SKIPPED, "case deleted")
                continue
            if work.kind == AlertKind.ATTEND_NOTE and not still_attending(
                session,
                chat_id=work.chat_id,
                hearing_id=int(work.payload.get("hearing_id", 0)),
                version=int(work.payload.get("version", -1)),
            ):
                out[work.id] = Closed(SKIPPED, "no longer attending, or the hearing changed")
                continue
            lang = resolve_language(work.lang, work.telegram_lang)
            payload_key = payload_keys.get(id(work.payload))
            if payload_key is None:
                payload_key = payload_keys[id(work.payload)] = repr(sorted(work.payload.items()))
            key = (work.case_id, work.kind, payload_key, work.urgent, lang)
            if key not in cache:
                t = translator(lang)
                text = self._text(session, work, view, t, now)
                cache[key] = (
                    text
                    if isinstance(text, Closed)
                    else Rendered(text=text, buttons=self._buttons(t, work, work.case_id) or None)
                )
            out[work.id] = cache[key]
        dropped = sum(
            1 for result in out.values() if isinstance(result, Closed) and result.status == DROPPED
        )
        if dropped:
            log.warning("%d reminders dropped: their moment passed while they waited", dropped)
        return out
