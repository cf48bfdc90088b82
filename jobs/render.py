"""Rendering claimed deliveries at send time, in each recipient's language of that moment.

A batch is rendered at once: each case is read once, each text is built once
per (case, alert, language). Reminders are checked against the present: a
reminder for a hearing that was moved or cancelled is skipped (no reminder
ever names an old time), one whose hearing already began is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from jobs.dispatcher import Closed, Rendered
from messages import Translator, resolve_language, translator
from messages.alerts import AlertContext, render_alert
from messages.card import case_title
from storage.alertkinds import registers, spec
from storage.database.models import Court, Hearing
from storage.domain.sentence import estimate_for
from storage.outbox import DROPPED, SKIPPED, DeliveryWork
from storage.payloads import HearingReminder, PayloadError, ReleaseReminder
from storage.reads.cases import CaseView, get_case_view
from storage.usecases.changes import hearing_time
from storage.vocabulary import AlertKind

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


@dataclass
class AlertRenderer:
    """The dispatcher's renderer: delivery rows → texts with Open and Unsubscribe buttons."""

    zone: str

    def _buttons(self, t: Translator, case_id: int) -> list[list[tuple[str, str]]]:
        return [
            [
                (t.gettext("Open the case"), f"card:{case_id}"),
                (t.gettext("Unsubscribe"), f"unsub:{case_id}"),
            ]
        ]

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
        for work in batch:
            if work.case_id is None:
                out[work.id] = Closed(SKIPPED, "case deleted")
                continue
            if work.case_id not in views:
                views[work.case_id] = get_case_view(session, case_id=work.case_id, now=now)
            view = views[work.case_id]
            if view is None:
                out[work.id] = Closed(SKIPPED, "case deleted")
                continue
            lang = resolve_language(work.lang, work.telegram_lang)
            key = (work.case_id, work.kind, repr(sorted(work.payload.items())), work.urgent, lang)
            if key not in cache:
                t = translator(lang)
                text = self._text(session, work, view, t, now)
                cache[key] = (
                    text
                    if isinstance(text, Closed)
                    else Rendered(text=text, buttons=self._buttons(t, work.case_id))
                )
            out[work.id] = cache[key]
        dropped = sum(
            1 for result in out.values() if isinstance(result, Closed) and result.status == DROPPED
        )
        if dropped:
            log.warning("%d reminders dropped: their moment passed while they waited", dropped)
        return out
