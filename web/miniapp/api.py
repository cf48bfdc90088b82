"""The Mini App's JSON API under ``/app/api/``: every call signed by Telegram.

Each call carries the Mini App's ``initData`` in ``Authorization: tma <initData>``
(never a cookie, so no cross-site request can use it). :func:`guarded` checks it
(web.miniapp.auth) and that its user is an organizer at this moment, before anything is
read or written: 401 for missing, forged, expired or another bot's initData, 403 for
anyone who is not an organizer. The work itself is in web.miniapp.service, run in a
worker thread in one transaction, as the chat's handlers do.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from aiohttp import web
from sqlmodel import Session, select

from handlers.syntax import after_today, future_sentence_date, row_id
from messages import Translator, resolve_language, translator
from messages.organizer import future_date_question
from services import Services
from storage.database.engine import session_scope
from storage.database.models import Case, Court
from storage.payloads import CancelHearingDraft, DraftPayload, SentenceDraft
from storage.usecases.subscribers import get_chosen_language, is_organizer, remember_name
from web.miniapp import forms, service
from web.miniapp.auth import InitDataError, WebAppUser, validate_init_data
from web.miniapp.strings import LABELS

T = TypeVar("T")


@dataclass(frozen=True)
class MiniApp:
    """What the app's handlers share: the bot's services and its token (the key initData
    is signed with)."""

    services: Services
    bot_token: str = ""


CONFIG = web.AppKey("miniapp", MiniApp)


@dataclass(frozen=True)
class Caller:
    """An organizer whose signed initData was accepted, with their translator."""

    user: WebAppUser
    t: Translator


def http_error(status: int, code: str, message: str) -> web.HTTPException:
    """An HTTP error (400, 401, 403, 409, else 404) answering ``{"error", "message"}``."""
    kind = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        409: web.HTTPConflict,
    }
    return kind.get(status, web.HTTPNotFound)(
        text=web.json_response({"error": code, "message": message}).text,
        content_type="application/json",
    )


async def db(config: MiniApp, work: Callable[..., T], /, **kwargs: Any) -> T:
    """Run ``work(session, **kwargs)`` in a worker thread, in one committed transaction."""

    def call() -> T:
        with session_scope(config.services.engine) as session:
            return work(session, **kwargs)

    return await asyncio.to_thread(call)


def _admit(session: Session, *, user: WebAppUser, config: MiniApp) -> str | None:
    """The organizer's chosen language ("" when none), or None for a non-organizer."""
    admins = config.services.settings.admins
    if not is_organizer(session, user_id=user.id, admins=admins):
        return None
    remember_name(
        session,
        user_id=user.id,
        username=user.username,
        first_name=user.first_name or None,
        now=config.services.clock(),
    )
    return get_chosen_language(session, chat_id=user.id) or ""


async def authorize(request: web.Request) -> Caller:
    """The organizer who signed this request, or an HTTP error (401 / 403)."""
    config = request.app[CONFIG]
    header = request.headers.get("Authorization", "")
    scheme, _, init_data = header.partition(" ")
    t = translator(resolve_language(None, request.headers.get("Accept-Language", "")[:2]))
    try:
        if scheme.lower() != "tma":
            raise InitDataError("missing")
        user = validate_init_data(
            init_data.strip(),
            bot_token=config.bot_token,
            now=config.services.clock(),
            max_age=config.services.settings.app_max_age,
        )
    except InitDataError as error:
        raise http_error(401, error.reason, t.gettext(LABELS["no_init"])) from None
    chosen = await db(config, _admit, user=user, config=config)
    t = translator(resolve_language(chosen or None, user.language_code))
    if chosen is None:
        raise http_error(403, "not_organizer", t.gettext(LABELS["refused"]))
    return Caller(user, t)


Handler = Callable[[web.Request, Caller], Awaitable[Any]]


def guarded(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Authorize, run the handler, answer its result as JSON; a bad form field is a 400
    that names the field, in the organizer's language."""

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        caller = await authorize(request)
        try:
            result = await handler(request, caller)
        except forms.FormError as error:
            raise http_error(400, error.field, caller.t.gettext(error.message)) from None
        response = web.json_response(result)
        response.headers["Cache-Control"] = "no-store"
        return response

    return run


async def body_of(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (400 when it is not one)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise http_error(400, "body", "JSON object expected")
    return body


def case_id_of(request: web.Request) -> int:
    """The case number in the path (404 when it is not one: see handlers.syntax.row_id)."""
    found = row_id(request.match_info["case_id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


@guarded
async def me(request: web.Request, caller: Caller) -> Any:
    """Who is signed in, their language, and the status choices in it."""
    return {
        "user_id": caller.user.id,
        "lang": caller.t.lang,
        "statuses": service.status_options(caller.t),
    }


@guarded
async def cases(request: web.Request, caller: Caller) -> Any:
    """``GET /app/api/cases?q=``: the chat's name search (every case when q is empty)."""
    config = request.app[CONFIG]
    query = request.query.get("q", "")[:200]
    return await db(
        config, service.search_cases, lookup=config.services.lookup, query=query, t=caller.t
    )


@guarded
async def create(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/cases``: a new case, unless similar names exist (then listed)."""
    config, body = request.app[CONFIG], await body_of(request)
    name = forms.text_field(body, "name", limit=forms.MAX_NAME)
    if not name:
        raise forms.FormError("name", "Type a name.")
    return await db(
        config,
        service.new_case,
        lookup=config.services.lookup,
        name=name,
        force=bool(body.get("force")),
        actor_id=caller.user.id,
        now=config.services.clock(),
        t=caller.t,
    )


@guarded
async def case(request: web.Request, caller: Caller) -> Any:
    """``GET /app/api/cases/{id}``: the case editor's data."""
    config = request.app[CONFIG]
    found = await db(
        config,
        service.case_detail,
        case_id=case_id_of(request),
        now=config.services.clock(),
        t=caller.t,
    )
    if found is None:
        raise web.HTTPNotFound()
    return found


class Ask(Exception):  # noqa: N818 (not an error: a question for the organizer)
    """A change the chat would ask about first ("Add anyway?"): sent again with force."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def today_of(config: MiniApp) -> date:
    """Today in the organizers' zone (CASEBOT_TIMEZONE)."""
    return config.services.clock().astimezone(config.services.settings.zone).date()


def _known_court(session: Session, *, court_id: Any) -> forms.KnownCourt | None:
    if court_id in (None, "", "new"):
        return None
    court = session.exec(select(Court).where(Court.id == int(str(court_id)))).first()
    if court is None or court.id is None:
        raise forms.FormError("court_id", "This field is not valid.")
    return forms.KnownCourt(court.id, court.tz)


async def _params(
    request: web.Request, caller: Caller, kind: str, body: dict[str, Any]
) -> DraftPayload:
    config = request.app[CONFIG]
    if kind == "status":
        return forms.status_change(body, reader_lang=caller.t.lang)
    if kind == "hearing":
        try:
            court = await db(config, _known_court, court_id=body.get("court_id"))
        except ValueError:
            raise forms.FormError("court_id", "This field is not valid.") from None
        return forms.hearing_change(
            body,
            court=court,
            default_tz=config.services.settings.timezone,
            now=config.services.clock(),
        )
    if kind == "cancel_hearing":
        return CancelHearingDraft()
    if kind == "sentence":
        sentence = SentenceDraft(values=forms.sentence_values(body))
        future = future_sentence_date(sentence.model_values(), today_of(config))
        if future is not None and not body.get("force"):
            name, day = future
            question = future_date_question(caller.t, name, day, "day", today_of(config))
            raise Ask(service.plain(question))
        return sentence
    raise forms.FormError("kind", "This field is not valid.")


@guarded
async def propose(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/cases/{id}/preview``: what a change would send, as a draft."""
    config, body = request.app[CONFIG], await body_of(request)
    kind = str(body.get("kind"))
    try:
        params = await _params(request, caller, kind, body)
    except Ask as question:
        return {"state": "ask", "message": question.message}
    now = config.services.clock()
    result = await asyncio.to_thread(
        service.preview,
        config.services.engine,
        actor_id=caller.user.id,
        case_id=case_id_of(request),
        kind=kind,
        params=params,
        now=now,
        today=now.astimezone(config.services.settings.zone).date(),
        t=caller.t,
        session_scope=session_scope,
    )
    return service.preview_texts(caller.t, result)


@guarded
async def draft(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/drafts/{id}/{send|cancel|undo}``: the chat's Send, Cancel and Undo;
    after Send or Undo the dispatcher is woken, as the chat does."""
    config, action = request.app[CONFIG], request.match_info["action"]
    try:
        draft_id = int(request.match_info["draft_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    result = await db(
        config,
        service.press,
        action=action,
        draft_id=draft_id,
        actor_id=caller.user.id,
        now=config.services.clock(),
    )
    if result["state"] in ("sent", "undone"):
        config.services.wake_dispatcher()
    return service.press_texts(caller.t, result)


@guarded
async def names(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/cases/{id}/names``: names in any script; search finds them at once."""
    config, body = request.app[CONFIG], await body_of(request)
    added = await db(
        config,
        service.add_names,
        lookup=config.services.lookup,
        case_id=await _existing(config, case_id_of(request)),
        names=forms.names_field(body),
        actor_id=caller.user.id,
        now=config.services.clock(),
    )
    return {"state": "saved", "added": added}


@guarded
async def events(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/cases/{id}/events``: a timeline event in up to three languages."""
    config, body = request.app[CONFIG], await body_of(request)
    form, today = forms.event_field(body), today_of(config)
    if not body.get("force") and after_today(form.day, form.precision, today):
        question = future_date_question(caller.t, "event", form.day, form.precision, today)
        return {"state": "ask", "message": service.plain(question)}
    event_id = await db(
        config,
        service.add_timeline_event,
        case_id=await _existing(config, case_id_of(request)),
        form=form,
        reader_lang=caller.t.lang,
        actor_id=caller.user.id,
        now=config.services.clock(),
    )
    return {"state": "saved", "event_id": event_id}


@guarded
async def estimate(request: web.Request, caller: Caller) -> Any:
    """``POST /app/api/estimate``: the expected release of the sentence being typed."""
    return service.estimate(forms.sentence_values(await body_of(request)), caller.t)


async def _existing(config: MiniApp, case_id: int) -> int:
    def exists(session: Session) -> bool:
        return session.get(Case, case_id) is not None

    if not await db(config, exists):
        raise web.HTTPNotFound()
    return case_id


def routes(prefix: str) -> list[web.RouteDef]:
    """The API's routes under ``prefix`` (``/app/api``)."""
    return [
        web.get(f"{prefix}/me", me),
        web.get(f"{prefix}/cases", cases),
        web.post(f"{prefix}/cases", create),
        web.get(f"{prefix}/cases/{{case_id}}", case),
        web.post(f"{prefix}/cases/{{case_id}}/preview", propose),
        web.post(f"{prefix}/cases/{{case_id}}/names", names),
        web.post(f"{prefix}/cases/{{case_id}}/events", events),
        web.post(f"{prefix}/drafts/{{draft_id}}/{{action:send|cancel|undo}}", draft),
        web.post(f"{prefix}/estimate", estimate),
    ]
