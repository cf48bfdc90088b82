"""The organizers' Telegram Mini App: forms for editing cases, at ``/app/``.

:func:`setup` adds it to an aiohttp application: the page (``/app/``), its script and
style (``/app/static/``, served by casebot, no CDN) and the signed JSON API
(``/app/api/``, web.miniapp.api, and web.miniapp.corrections for a case's names
and events edited or deleted). The page itself holds no data: it reads the
``initData`` Telegram gives it (``window.Telegram.WebApp``, else the ``tgWebAppData``
URL fragment) and sends it with each API call, which checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import jinja2
from aiohttp import web

from messages import resolve_language, translator
from services import Services
from storage.vocabulary import Basis
from web.miniapp import corrections
from web.miniapp.api import CONFIG, MiniApp, routes
from web.miniapp.strings import labels

HERE = Path(__file__).parent
PREFIX = "/app"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
"""Telegram's Mini App script, loaded only where Telegram can open the app (https)."""

__all__ = ["PREFIX", "mounter", "setup"]


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _page_language(request: web.Request) -> str:
    asked = request.query.get("lang") or request.headers.get("Accept-Language", "")[:2]
    return resolve_language(None, asked.lower() or None)


def _security_headers(response: web.StreamResponse, *, telegram: bool) -> None:
    script = "'self'" + (" https://telegram.org" if telegram else "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"


async def page(request: web.Request) -> web.StreamResponse:
    """The app's one page, in the language asked for (the script switches to the
    organizer's own once signed in)."""
    config = request.app[CONFIG]
    lang = _page_language(request)
    telegram = config.services.settings.app_url is not None
    html = (
        _templates()
        .get_template("app.html")
        .render(
            lang=lang,
            s=labels(translator(lang)),
            telegram_script=TELEGRAM_SCRIPT if telegram else None,
            bases=[basis.value for basis in Basis],
        )
    )
    response = web.Response(text=html, content_type="text/html")
    _security_headers(response, telegram=telegram)
    return response


async def _to_page(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{PREFIX}/")


def setup(app: web.Application, *, services: Services, bot_token: str) -> None:
    """Register the Mini App's routes under ``/app/`` on ``app``.

    ``services`` are the bot's own (engine, clock, name index, dispatcher wake-up), so
    the app and the chat share everything; ``bot_token`` is the key Telegram signs the
    app's initData with. After Send and Undo the app calls
    ``services.wake_dispatcher()``, as the chat does.
    """
    app[CONFIG] = MiniApp(services=services, bot_token=bot_token)
    app.router.add_get(PREFIX, _to_page)
    app.router.add_get(f"{PREFIX}/", page)
    app.router.add_static(f"{PREFIX}/static", HERE / "static", append_version=False)
    app.add_routes(routes(f"{PREFIX}/api"))
    app.add_routes(corrections.routes(f"{PREFIX}/api"))


def mounter(*, services: Services, bot_token: str) -> Callable[[web.Application], None]:
    """``setup`` with its services bound: one of the web server's ``extra_routes``."""

    def mount(app: web.Application) -> None:
        setup(app, services=services, bot_token=bot_token)

    return mount
