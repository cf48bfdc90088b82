"""The website's aiohttp application: routes, error pages, and starting a listener.

    /                              → /kk/, /ru/ or /en/ by Accept-Language
    /{lang}/                       the cases (?page=N), or a name search (?q=...)
    /{lang}/cases/{slug}           a case's page
    /{lang}/feed.atom              every public change, newest first
    /{lang}/cases/{slug}/feed.atom one case's changes
    /cases/{slug}.ics              its upcoming hearings (?lang=), the bot's /calendar file
    /cases/{slug}/card.png         its 1200×630 share picture (?lang=)
    /data/cases.json, .csv         the open dataset (public case fields only)
    /static/site.css               the only asset; no script anywhere

`build_web_app` makes a stand-alone application; `install_site` adds the same routes
to another one (the webhook listener). Both take `extra_routes`: callables given the
application before it starts, to mount more (the organizers' Mini App at ``/app/``
adds itself this way: ``app.add_subapp("/app/", miniapp)``). The `Site` is at
``app[SITE]`` for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from messages.i18n import SUPPORTED_LANGUAGES
from storage.reads.lookup import LiveIndex
from web.http import Rendered, make_rendered, request_language, respond
from web.site import FRESH_FOR, HTML, Site, SiteConfig

log = logging.getLogger("casebot.web")
RouteSetup = Callable[[web.Application], None]
SITE: web.AppKey[Site] = web.AppKey("casebot_site", Site)
STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {"site.css": "text/css; charset=utf-8"}
LANG = "{lang:kk|ru|en}"
SLUG = "{slug:[a-z0-9][a-z0-9-]{0,79}}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _site(request: web.Request) -> Site:
    return request.app[SITE]


async def _answer(
    request: web.Request,
    build: Callable[..., Rendered | None],
    *args: Any,
    key: tuple[object, ...] | None = None,
    **kwargs: Any,
) -> web.StreamResponse:
    """The page `build` makes (in a worker thread), or the one cached under `key` when it
    was checked against the database moments ago (then no thread and no query)."""
    rendered = _site(request).fresh(key) if key is not None else None
    if rendered is None:
        rendered = await asyncio.to_thread(build, *args, **kwargs)
    if rendered is None:
        raise web.HTTPNotFound()
    return respond(request, rendered)


async def home(request: web.Request) -> web.StreamResponse:
    """`/`: the list in the reader's language."""
    lang = request_language(request)
    raise web.HTTPFound(f"/{lang}/", headers={"Vary": "Accept-Language"})


async def case_list(request: web.Request) -> web.StreamResponse:
    """`/{lang}/`: a page of the list, or a search."""
    page_text = request.query.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 0
    if page == 0:
        raise web.HTTPNotFound()
    site = _site(request)
    query = request.query.get("q", "")
    return await _answer(
        request, site.list_page, request.match_info["lang"], page=page, query=query
    )


async def case_page(request: web.Request) -> web.StreamResponse:
    """`/{lang}/cases/{slug}`."""
    lang, slug = request.match_info["lang"], request.match_info["slug"]
    key = ("case", lang, slug)
    return await _answer(request, _site(request).case_page, lang, slug, key=key)


async def case_feed(request: web.Request) -> web.StreamResponse:
    """`/{lang}/cases/{slug}/feed.atom`."""
    info = request.match_info
    return await _answer(request, _site(request).feed, info["lang"], info["slug"])


async def site_feed(request: web.Request) -> web.StreamResponse:
    """`/{lang}/feed.atom`."""
    return await _answer(request, _site(request).feed, request.match_info["lang"], None)


async def calendar(request: web.Request) -> web.StreamResponse:
    """`/cases/{slug}.ics`."""
    site = _site(request)
    return await _answer(
        request, site.calendar, request_language(request), request.match_info["slug"]
    )


async def picture(request: web.Request) -> web.StreamResponse:
    """`/cases/{slug}/card.png`."""
    site = _site(request)
    return await _answer(
        request, site.picture, request_language(request), request.match_info["slug"]
    )


async def dataset(request: web.Request) -> web.StreamResponse:
    """`/data/cases.json` and `/data/cases.csv`."""
    return await _answer(request, _site(request).dataset, request.match_info["kind"])


_STATIC: dict[str, Rendered] = {}


async def static(request: web.Request) -> web.StreamResponse:
    """The stylesheet, from memory, cached for a day (its URL carries a version)."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    if name not in _STATIC:
        body = (STATIC_DIR / name).read_bytes()
        _STATIC[name] = make_rendered(body, STATIC_FILES[name], fingerprint=(), max_age=86400)
    return respond(request, _STATIC[name])


async def _error_page(request: web.Request, status: int) -> web.Response:
    site = request.app[SITE]
    lang = request_language(request)
    body = await asyncio.to_thread(site.error_page, lang, status)
    rendered = make_rendered(body, HTML, fingerprint=(), max_age=0)
    return respond(request, rendered, status=status)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """404 and 500 pages in the reader's language; nothing of the failure reaches the page.
    A sub-application mounted by `extra_routes` (the Mini App) keeps its own answers."""
    if len(request.match_info.apps) > 1:
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405) and request.method in ("GET", "HEAD"):
            return await _error_page(request, 404)
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the page %s failed", request.path)
        return await _error_page(request, 500)


def install_site(
    app: web.Application, site: Site, *, extra_routes: Sequence[RouteSetup] = ()
) -> web.Application:
    """Add the website's routes and error pages to `app` (before it starts)."""
    app[SITE] = site
    app.middlewares.append(error_pages)
    router = app.router
    router.add_get("/", home)
    router.add_get(f"/{LANG}/", case_list)
    router.add_get(f"/{LANG}/feed.atom", site_feed)
    router.add_get(f"/{LANG}/cases/{SLUG}", case_page)
    router.add_get(f"/{LANG}/cases/{SLUG}/feed.atom", case_feed)
    router.add_get(f"/cases/{SLUG}.ics", calendar)
    router.add_get(f"/cases/{SLUG}/card.png", picture)
    router.add_get("/data/cases.{kind:json|csv}", dataset)
    router.add_get("/static/{name}", static)
    for lang in SUPPORTED_LANGUAGES:
        router.add_get(f"/{lang}", _redirect_to(f"/{lang}/"))
    for setup in extra_routes:
        setup(app)
    return app


def _redirect_to(target: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(target)

    return redirect


def site_for(
    *,
    engine: Engine,
    lookup: LiveIndex,
    clock: Callable[[], datetime],
    public_url: str,
    zone: Any,
    bot_username: Callable[[], str | None] = lambda: None,
    fresh_for: float = FRESH_FOR,
) -> Site:
    """The page builders over one database (for `install_site`); a change reaches the
    pages within `fresh_for` seconds (see web.http.PageCache)."""
    config = SiteConfig(
        public_url=public_url, zone=zone, bot_username=bot_username, fresh_for=fresh_for
    )
    return Site(engine=engine, lookup=lookup, clock=clock, config=config)


def build_web_app(
    *,
    engine: Engine,
    lookup: LiveIndex,
    clock: Callable[[], datetime],
    public_url: str,
    zone: Any,
    bot_username: Callable[[], str | None] = lambda: None,
    extra_routes: Sequence[RouteSetup] = (),
    fresh_for: float = FRESH_FOR,
) -> web.Application:
    """The website as its own aiohttp application (`casebot web`, `casebot run --web`)."""
    site = site_for(
        engine=engine,
        lookup=lookup,
        clock=clock,
        public_url=public_url,
        zone=zone,
        bot_username=bot_username,
        fresh_for=fresh_for,
    )
    return install_site(web.Application(), site, extra_routes=extra_routes)


async def start_listener(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` on host:port; returns the runner to `cleanup()` when stopping."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=3.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("website listening on %s port %d", host, port)
    return runner
