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

from jobs.dispatcher import Closed, Rendered
from messages import Translator, resolve_language, translator
from messages.alerts import (
    current_state,
    render_change_alert,
    render_correction,
    render_hearing_reminder,
    render_release_reminder,
)
from messages.approval import notice_text
from messages.attendance import render_attend_note
from messages.card import case_title, hearing_lines
from messages.common import DIMENSION_LABELS
from messages.stale import render_stale
from messages.timeline import render_timeline_alert
from storage.database.models import Court, Hearing
from storage.domain.sentence import estimate_for
from storage.outbox import DROPPED, SKIPPED, DeliveryWork
from storage.reads.cases import CaseView, get_case_view, list_case_items, list_events
from storage.reads.stale import list_stale
from storage.usecases.attendance import still_attending
from storage.vocabulary import AlertKind

log = logging.getLogger("casebot.render")

SEND_TIME_KINDS: frozenset[str] = frozenset(
    {
        AlertKind.CORRECTION,
        AlertKind.HEARING_REMINDER,
        AlertKind.RELEASE_REMINDER,
        AlertKind.ATTEND_NOTE,
        AlertKind.STALE_DIGEST,
        AlertKind.TIMELINE_EVENT,
        AlertKind.APPROVAL_NOTICE,
    }
)
"""Alert kinds rendered from the present state when sent (beside ``CHANGE_ALERTS``)."""


@dataclass
class AlertRenderer:
    """The dispatcher's renderer: delivery rows → texts with Open and Unsubscribe buttons."""

    zone: str
    attend_buttons: Callable[[Translator, int], list[tuple[str, str]]] | None = None
    """The "I'll attend" / "Can't come" row of a hearing reminder (built by the handlers,
    which own every button's data); None: reminders carry no such row."""
    stale_after: timedelta = timedelta(days=90)
    stale_buttons: Callable[[Translator, list[tuple[int, str]]], list[list[tuple[str, str]]]] = (
        lambda t, items: []
    )
    """The digest's rows: "Nothing changed" and "Update" for each (case id, name)."""

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
        buttons = self.stale_buttons(t, [(item.case_id, name) for name, item in items])
        return Rendered(text=render_stale(t, items, digest=True), buttons=buttons or None)

    def _buttons(self, t: Translator, work: DeliveryWork) -> list[list[tuple[str, str]]]:
        case_id = work.case_id
        if work.kind == AlertKind.APPROVAL_NOTICE:  # to an organizer, not a follower
            return [[(t.gettext("Open the case"), f"card:{case_id}")]]
        rows = [
            [
                (t.gettext("Open the case"), f"card:{case_id}"),
                (t.gettext("Unsubscribe"), f"unsub:{case_id}"),
            ]
        ]
        hearing_id = work.payload.get("hearing_id")
        if (
            self.attend_buttons is not None
            and work.kind in (AlertKind.HEARING_REMINDER, AlertKind.ATTEND_NOTE)
            and isinstance(hearing_id, int)
        ):
            rows.insert(0, self.attend_buttons(t, hearing_id))
        return rows

    def _attend_note(
        self, session: Session, work: DeliveryWork, name: str, t: Translator, now: datetime
    ) -> str | Closed:
        """The evening-before note, from the court as it is now."""
        payload = self._reminder_payload(session, work, now)
        if isinstance(payload, Closed):
            return payload
        hearing = session.get(Hearing, work.payload.get("hearing_id"))
        court = session.get(Court, hearing.court_id) if hearing and hearing.court_id else None
        if court is None:
            return Closed(SKIPPED, "court gone")
        payload |= {
            "address": dict(court.address),
            "note": dict(court.note),
            "lat": court.lat,
            "lon": court.lon,
        }
        return render_attend_note(t, name, payload)

    def _reminder_payload(
        self, session: Session, work: DeliveryWork, now: datetime
    ) -> dict[str, Any] | Closed:
        hearing = session.get(Hearing, work.payload.get("hearing_id"))
        if (
            hearing is None
            or hearing.status != "scheduled"
            or hearing.version != work.payload.get("version")
        ):
            return Closed(SKIPPED, "hearing moved or cancelled")
        if hearing.starts_at <= now:
            return Closed(DROPPED, "hearing already began")
        court = session.get(Court, hearing.court_id) if hearing.court_id else None
        return {
            "starts_at": hearing.starts_at.isoformat(),
            "tz": hearing.tz,
            "time_known": hearing.time_known,
            "court": dict(court.name) if court else {},
            "city": dict(court.city) if court else {},
        }

    def _release(
        self, view: CaseView, work: DeliveryWork, today: date
    ) -> tuple[date, bool] | Closed:
        estimate = estimate_for(view)
        if estimate is None or estimate.release_on.isoformat() != work.payload.get("release_on"):
            return Closed(SKIPPED, "release date changed")
        if estimate.release_on < today:
            return Closed(DROPPED, "release day passed")
        return estimate.release_on, estimate.stated

    def _correction(
        self, t: Translator, name: str, payload: dict[str, Any], view: CaseView, today: date
    ) -> str:
        """A correction, saying what is true now (read at send time)."""
        dimension = payload.get("dimension")
        hearing = None
        if view.next_hearing is not None:
            hearing = hearing_lines(t, view.next_hearing, today)[0]
        estimate = estimate_for(view)
        current = current_state(
            t,
            str(payload.get("of")),
            dimension=dimension,
            status=getattr(view, dimension, None) if dimension in DIMENSION_LABELS else None,
            hearing=hearing,
            release=estimate.release_on if estimate else None,
        )
        return render_correction(t, name, current)

    def _text(
        self, session: Session, work: DeliveryWork, view: CaseView, t: Translator, now: datetime
    ) -> str | Closed:
        name = case_title(t, view.names)
        today = now.astimezone(ZoneInfo(self.zone)).date()
        if work.kind == AlertKind.CORRECTION:
            return self._correction(t, name, work.payload, view, today)
        change = render_change_alert(t, work.kind, name, work.payload, today=today)
        if change is not None:
            return change
        if work.kind == AlertKind.HEARING_REMINDER:
            payload = self._reminder_payload(session, work, now)
            if isinstance(payload, Closed):
                return payload
            return render_hearing_reminder(t, name, payload, now=now)
        if work.kind == AlertKind.ATTEND_NOTE:
            return self._attend_note(session, work, name, t, now)
        if work.kind == AlertKind.APPROVAL_NOTICE:
            return notice_text(t, str(work.payload.get("outcome")), name)
        if work.kind == AlertKind.TIMELINE_EVENT:
            event_id = work.payload.get("event_id")
            found = [e for e in list_events(session, case_id=view.id) if e.id == event_id]
            if not found:
                return Closed(SKIPPED, "event deleted")
            return render_timeline_alert(t, name, found[0])
        if work.kind == AlertKind.RELEASE_REMINDER:
            release = self._release(view, work, today)
            if isinstance(release, Closed):
                return release
            return render_release_reminder(t, name, release[0], stated=release[1], today=today)
        return Closed(SKIPPED, f"unknown kind {work.kind}")

    def prepare(
        self, session: Session, batch: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        """Render every delivery of a claimed batch."""
        views: dict[int, CaseView | None] = {}
        cache: dict[tuple[Any, ...], Rendered | Closed] = {}
        out: dict[int, Rendered | Closed] = {}
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
            key = (work.case_id, work.kind, repr(sorted(work.payload.items())), work.urgent, lang)
            if key not in cache:
                t = translator(lang)
                text = self._text(session, work, view, t, now)
                cache[key] = (
                    text
                    if isinstance(text, Closed)
                    else Rendered(text=text, buttons=self._buttons(t, work))
                )
            out[work.id] = cache[key]
        dropped = sum(
            1 for result in out.values() if isinstance(result, Closed) and result.status == DROPPED
        )
        if dropped:
            log.warning("%d reminders dropped: their moment passed while they waited", dropped)
        return out
