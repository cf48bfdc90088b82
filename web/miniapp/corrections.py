"""The Mini App's corrections: a case's names and timeline events edited or deleted.

``PUT`` and ``DELETE`` on ``/app/api/cases/{case_id}/names/{name_id}`` and
``/app/api/cases/{case_id}/events/{event_id}``, signed and for organizers only, as every
call of web.miniapp.api (:func:`~web.miniapp.api.guarded`). The fields are read as adding
reads them (web.miniapp.forms); the work is storage.usecases.correcting's, in one
transaction. A name or event that is not the case's is a 404; the case's last main name,
or a spelling it already has, a 409 with a message in the organizer's language.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handlers.syntax import after_today, row_id
from messages import N_
from messages.organizer import future_date_question
from storage.usecases.correcting import (
    EventFix,
    remove_event,
    remove_name,
    update_event,
    update_name,
)
from web.miniapp import forms, service
from web.miniapp.api import (
    CONFIG,
    Caller,
    MiniApp,
    body_of,
    case_id_of,
    db,
    guarded,
    http_error,
    today_of,
)

MESSAGES: dict[str, str] = {
    "name_saved": N_("The name was corrected."),
    "name_removed": N_("The name was removed."),
    "name_unchanged": N_("The name is already written this way."),
    "duplicate": N_("The case already has this name."),
    "last_name": N_(
        "This is the case's last main name, and a case must keep a name. Add the right "
        "name first, then delete this one."
    ),
    "event_saved": N_("The event was corrected."),
    "event_removed": N_("The event was removed from the timeline."),
    "event_unchanged": N_("Nothing in the event changed."),
    "missing": N_("This is no longer part of the case. It may have been changed meanwhile."),
}
"""What the organizer reads after each correction (message ids)."""


def _row_id(request: web.Request, name: str, caller: Caller) -> int:
    found = row_id(request.match_info[name])
    if found is None:
        raise http_error(404, "missing", caller.t.gettext(MESSAGES["missing"]))
    return found


def _answer(caller: Caller, state: str, kind: str) -> dict[str, Any]:
    """The state as JSON with its words; a refusal is an HTTP error."""
    if state == "missing":
        raise http_error(404, "missing", caller.t.gettext(MESSAGES["missing"]))
    if state in ("duplicate", "last_name"):
        raise http_error(409, state, caller.t.gettext(MESSAGES[state]))
    return {"state": state, "message": caller.t.gettext(MESSAGES[f"{kind}_{state}"])}


@guarded
async def edit_name(request: web.Request, caller: Caller) -> Any:
    """``PUT …/names/{name_id}``: a name's new text (and language or script); the search
    finds the case by the new spelling at once, and no longer by the old one. The name
    is stored anew: the answer's ``name_id`` is its id from now on."""
    config, body = request.app[CONFIG], await body_of(request)
    lang, text = forms.name_field(body)
    state, new_id = await db(
        config,
        update_name,
        case_id=case_id_of(request),
        name_id=_row_id(request, "name_id", caller),
        lang=lang,
        text=text,
        actor_id=caller.user.id,
        now=config.services.clock(),
        index=config.services.lookup,
    )
    return {**_answer(caller, state, "name"), "name_id": new_id}


@guarded
async def delete_name(request: web.Request, caller: Caller) -> Any:
    """``DELETE …/names/{name_id}``: refused for the case's last main name."""
    config = request.app[CONFIG]
    state = await db(
        config,
        remove_name,
        case_id=case_id_of(request),
        name_id=_row_id(request, "name_id", caller),
        actor_id=caller.user.id,
        now=config.services.clock(),
        index=config.services.lookup,
    )
    return _answer(caller, state, "name")


def _ask_first(config: MiniApp, caller: Caller, form: forms.EventForm) -> str | None:
    """The chat's question for an event dated after today, as adding one asks."""
    today = today_of(config)
    if not after_today(form.day, form.precision, today):
        return None
    return service.plain(future_date_question(caller.t, "event", form.day, form.precision, today))


@guarded
async def edit_event(request: web.Request, caller: Caller) -> Any:
    """``PUT …/events/{event_id}``: its date and precision, texts, source and basis,
    checked as a new event is (a date after today is asked about first)."""
    config, body = request.app[CONFIG], await body_of(request)
    form = forms.event_field(body)
    question = None if body.get("force") else _ask_first(config, caller, form)
    if question is not None:
        return {"state": "ask", "message": question}
    fix = EventFix(form.day, form.precision, form.texts, form.source_url, form.basis, caller.t.lang)
    state = await db(
        config,
        update_event,
        case_id=case_id_of(request),
        event_id=_row_id(request, "event_id", caller),
        fix=fix,
        actor_id=caller.user.id,
        now=config.services.clock(),
    )
    return _answer(caller, state, "event")


@guarded
async def delete_event(request: web.Request, caller: Caller) -> Any:
    """``DELETE …/events/{event_id}``: the event leaves the timeline."""
    config = request.app[CONFIG]
    state = await db(
        config,
        remove_event,
        case_id=case_id_of(request),
        event_id=_row_id(request, "event_id", caller),
        actor_id=caller.user.id,
        now=config.services.clock(),
    )
    return _answer(caller, state, "event")


def routes(prefix: str) -> list[web.RouteDef]:
    """The corrections' routes under ``prefix`` (``/app/api``)."""
    case = f"{prefix}/cases/{{case_id}}"
    return [
        web.put(f"{case}/names/{{name_id}}", edit_name),
        web.delete(f"{case}/names/{{name_id}}", delete_name),
        web.put(f"{case}/events/{{event_id}}", edit_event),
        web.delete(f"{case}/events/{{event_id}}", delete_event),
    ]
