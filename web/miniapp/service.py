"""What the Mini App's API does, as plain functions over a session: the same reads,
searches, edits and drafts as the chat's commands (storage.usecases), so the app and the
chat share one engine, one audit log and one set of alerts.

Each function takes the reader's :class:`~messages.Translator` and returns JSON-ready
dicts; texts the chat would send as Telegram HTML are turned into plain text here (the
page puts them in with ``textContent``, never as HTML).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from messages import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Translator, translator
from messages.alerts import render_change_alert
from messages.card import case_title, list_label
from messages.common import pick_text, status_label, term_text
from messages.i18n import resolve_language
from messages.organizer import (
    draft_state_text,
    sent_text,
    undo_offer,
    undo_question,
    undone_text,
)
from storage.database.models import Court
from storage.domain.sentence import estimate_for, expected_release
from storage.payloads import DraftPayload
from storage.reads.cases import (
    CaseListItem,
    get_case_view,
    list_case_items,
    list_cases,
    list_events,
)
from storage.reads.lookup import LiveIndex
from storage.usecases.correcting import list_names
from storage.usecases.drafts import (
    UNDO_WINDOW,
    cancel_draft,
    create_draft,
    dry_run,
    send_draft,
    undo_draft,
)
from storage.usecases.editing import (
    add_event,
    add_name,
    create_case,
    detect_language,
    indexed,
    similar_cases,
    translate_event,
)
from storage.vocabulary import DIMENSION_LABELS, STATUS_KEYS
from web.miniapp.strings import LABELS

_TAG = re.compile(r"<[^>]+>")
LIST_LIMIT = 100


def plain(text: str) -> str:
    """Telegram HTML as the plain text it shows."""
    return html.unescape(_TAG.sub("", text))


def _item(t: Translator, item: CaseListItem) -> dict[str, Any]:
    return {"id": item.id, "slug": item.slug, "label": list_label(t, item)}


def search_cases(session: Session, *, lookup: LiveIndex, query: str, t: Translator) -> list[Any]:
    """The cases the chat's name search finds for ``query`` (all cases when empty)."""
    if not query.strip():
        items, _total = list_cases(session, offset=0, limit=LIST_LIMIT)
        return [_item(t, item) for item in items]
    ids = [match.case_id for match in lookup.search(session, query).matches]
    found = {item.id: item for item in list_case_items(session, case_ids=ids)}
    return [_item(t, found[case_id]) for case_id in ids if case_id in found]


def _courts(session: Session, t: Translator) -> list[dict[str, Any]]:
    courts = session.exec(select(Court).order_by(col(Court.id))).all()
    return [
        {
            "id": court.id,
            "name": pick_text(t, court.name, None)[0],
            "city": pick_text(t, court.city, None)[0] if court.city else "",
            "tz": court.tz,
        }
        for court in courts
    ]


def status_options(t: Translator) -> list[dict[str, Any]]:
    """The four status dimensions with their keys, labelled in the reader's language."""
    return [
        {
            "dimension": dimension,
            "label": t.gettext(DIMENSION_LABELS[dimension]),
            "options": [{"key": key, "label": status_label(t, dimension, key)} for key in keys],
        }
        for dimension, keys in STATUS_KEYS.items()
    ]


def case_detail(session: Session, *, case_id: int, now: datetime, t: Translator) -> Any:
    """Everything the case editor shows (None when there is no such case)."""
    view = get_case_view(session, case_id=case_id, now=now)
    if view is None:
        return None
    hearing = None
    if view.next_hearing is not None:
        found = view.next_hearing
        local = found.starts_at.astimezone(ZoneInfo(found.tz))
        day, clock = t.format_local(found.starts_at, found.tz)
        hearing = {
            "id": found.id,
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "tz": found.tz,
            "text": f"{day} {clock}" if found.time_known else day,
            "court": pick_text(t, found.court_name, None)[0] if found.court_name else "",
            "city": pick_text(t, found.court_city, None)[0] if found.court_city else "",
        }
    events = [
        {**asdict(event), "occurred_on": event.occurred_on.isoformat()}
        for event in list_events(session, case_id=case_id)
    ]
    suspended = {True: "yes", False: "no", None: "unknown"}[view.suspended]
    return {
        "id": view.id,
        "slug": view.slug,
        "title": case_title(t, view.names),
        "names": [asdict(line) for line in list_names(session, case_id=case_id)],
        "statuses": {dimension: getattr(view, dimension) for dimension in STATUS_KEYS},
        "hearing": hearing,
        "sentence": {
            "months": view.sentence_months,
            "days": view.sentence_days,
            "ratio": view.credit_ratio,
            "detained": view.detained_on.isoformat() if view.detained_on else None,
            "verdict": view.verdict_on.isoformat() if view.verdict_on else None,
            "release": view.release_on.isoformat() if view.release_on else None,
            "suspended": suspended,
            "expected": _estimate_text(t, estimate_for(view)),
        },
        "events": events,
        "courts": _courts(session, t),
    }


def _estimate_text(t: Translator, estimate: Any) -> str:
    if estimate is None:
        return ""
    return t.format_date(estimate.release_on)


def estimate(values: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The expected release of a sentence being typed (storage.domain.sentence's rule)."""
    day = {
        name: date.fromisoformat(value) if value else None
        for name, value in values.items()
        if name.endswith("_on")
    }
    months, days = values.get("sentence_months") or 0, values.get("sentence_days") or 0
    if not (months or days or day.get("release_on")):
        return {"release_on": None, "text": ""}
    found = expected_release(
        months=months,
        days=days,
        ratio=values.get("credit_ratio"),
        detained_on=day.get("detained_on"),
        verdict_on=day.get("verdict_on"),
        stated_release=day.get("release_on"),
    )
    if found is None:
        return {"release_on": None, "text": ""}
    term = term_text(t, months, days)
    return {
        "release_on": found.release_on.isoformat(),
        "text": t.format_date(found.release_on),
        "term": term,
        "stated": found.stated,
        "credited_days": found.credited_days,
        "detention_days": found.detention_days,
    }


def preview(
    engine: Engine,
    *,
    actor_id: int,
    case_id: int,
    kind: str,
    params: DraftPayload,
    now: datetime,
    today: date,
    t: Translator,
    session_scope: Callable[[Engine], Any],
) -> dict[str, Any]:
    """Dry-run a change as the chat's preview does; store it as a draft to Send.

    ``state`` is "unchanged" (nothing would change), "saved" (a sentence that moves no
    release date: stored at once, as in the chat) or "preview" with the draft's id, the
    number of alerts and each language's text and count.
    """
    found = dry_run(
        engine,
        actor_id=actor_id,
        case_id=case_id,
        params=params,
        now=now,
        language_of=resolve_language,
    )
    if found is None:
        return {"state": "unchanged"}
    with session_scope(engine) as session:
        items = list_case_items(session, case_ids=[case_id])
        names = items[0].names if items else ()
        payload = found.payload
        own = (
            None
            if payload is None
            else render_change_alert(t, found.kind, case_title(t, names), payload, today=today)
        )
        draft_id = create_draft(
            session, actor_id=actor_id, case_id=case_id, kind=kind, params=params, now=now
        )
        if own is None:
            send_draft(session, draft_id=draft_id, actor_id=actor_id, now=now)
            return {"state": "saved"}
    assert payload is not None
    languages = []
    for lang in SUPPORTED_LANGUAGES:
        count = found.per_language.get(lang, 0)
        if count or lang == t.lang:
            reader = translator(lang)
            alert = render_change_alert(
                reader, found.kind, case_title(reader, names), payload, today=today
            )
            languages.append(
                {"lang": lang, "language": LANGUAGE_NAMES[lang], "count": count,
                 "text": plain(alert or "")}
            )  # fmt: skip
    return {"state": "preview", "draft_id": draft_id, "total": found.alerts, "languages": languages}


def preview_texts(t: Translator, result: dict[str, Any]) -> dict[str, Any]:
    """A preview's answer with its words: how many will get it, each language's count."""
    state = result["state"]
    if state != "preview":
        key = "unchanged" if state == "unchanged" else "saved"
        text = (
            plain(draft_state_text(t, "unchanged"))
            if key == "unchanged"
            else t.gettext(LABELS["saved"])
        )
        return {**result, "message": text}
    head = t.ngettext(
        "Preview: %(count)d subscriber will get this message.",
        "Preview: %(count)d subscribers will get this message.",
        result["total"],
    ) % {"count": result["total"]}
    for part in result["languages"]:
        part["heading"] = t.ngettext(
            "%(language)s: %(count)d reader", "%(language)s: %(count)d readers", part["count"]
        ) % {"language": part["language"], "count": part["count"]}
    notice = t.gettext("Nothing is stored or sent until you press Send.")
    return {**result, "message": head, "notice": notice}


def press_texts(t: Translator, result: dict[str, Any]) -> dict[str, Any]:
    """Send / Cancel / Undo's answer with the chat's words for what happened."""
    state = result["state"]
    if state == "sent":
        text = (
            plain(sent_text(t, result["alerts"]))
            + " "
            + plain(undo_offer(t, result["undo_minutes"]))
        )
        question = plain(undo_question(t, result["alerts"]))
        return {**result, "message": text, "question": question}
    if state == "undone":
        return {**result, "message": plain(undone_text(t, result["corrections"]))}
    return {**result, "message": plain(draft_state_text(t, state))}


def press(
    session: Session, *, action: str, draft_id: int, actor_id: int, now: datetime
) -> dict[str, Any]:
    """Send, Cancel or Undo a draft: the same state machine as the chat's buttons, so a
    draft is sent (and undone) once, wherever it is pressed."""
    functions = {"send": send_draft, "cancel": cancel_draft, "undo": undo_draft}
    outcome = functions[action](session, draft_id=draft_id, actor_id=actor_id, now=now)
    return {
        "state": outcome.state,
        "alerts": outcome.result.alerts if outcome.result else 0,
        "corrections": outcome.corrections,
        "undo_minutes": int(UNDO_WINDOW.total_seconds() // 60),
    }


def add_names(
    session: Session,
    *,
    lookup: LiveIndex,
    case_id: int,
    names: list[tuple[str, str]],
    actor_id: int,
    now: datetime,
) -> int:
    """Add names (any script, or aliases); the search index learns them at once. Returns
    how many were new."""
    added = sum(
        add_name(session, case_id=case_id, lang=lang, text=text, actor_id=actor_id, now=now)
        for lang, text in names
    )
    if added:
        lookup.upsert(session, indexed(session, case_id))
    return added


def add_timeline_event(
    session: Session,
    *,
    case_id: int,
    form: Any,
    reader_lang: str,
    actor_id: int,
    now: datetime,
) -> int:
    """A timeline event with its text in up to three languages (the reader's first, as
    the original); returns its id."""
    order = sorted(form.texts, key=lambda lang: (lang != reader_lang, lang))
    first = order[0]
    event = add_event(
        session,
        case_id=case_id,
        day=form.day,
        precision=form.precision,
        text=form.texts[first],
        lang=first,
        source_url=form.source_url,
        basis=form.basis,
        actor_id=actor_id,
        now=now,
    )
    assert event.id is not None
    for lang in order[1:]:
        translate_event(
            session, event_id=event.id, lang=lang, text=form.texts[lang], actor_id=actor_id, now=now
        )
    return event.id


def new_case(
    session: Session,
    *,
    lookup: LiveIndex,
    name: str,
    force: bool,
    actor_id: int,
    now: datetime,
    t: Translator,
) -> dict[str, Any]:
    """Create a case, unless cases with the same or a close name exist and ``force`` is
    false: then they are returned (``state`` "similar") for the organizer to check."""
    if not force:
        ids = similar_cases(session, name, lambda query: lookup.search(session, query))
        if ids:
            items = {item.id: item for item in list_case_items(session, case_ids=ids)}
            similar = [_item(t, items[i]) for i in ids if i in items][:5]
            return {"state": "similar", "similar": similar}
    case = create_case(
        session, name=name, lang=detect_language(name, t.lang), actor_id=actor_id, now=now
    )
    assert case.id is not None
    lookup.upsert(session, indexed(session, case.id))
    return {"state": "created", "id": case.id, "slug": case.slug}
