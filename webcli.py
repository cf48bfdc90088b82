"""The website's commands: `casebot web` alone, and the website beside `casebot run`.

`casebot web [--demo] [--listen HOST:PORT]` serves only the public pages (no token
needed). `casebot run --web HOST:PORT` starts that same command as a child process
beside long polling (`WebsiteProcess`): hundreds of page requests then take CPU from
the operating system's scheduler, not from the bot's interpreter lock, and the bot's
replies stay quick (benchmarks/web_bench.py). The child stops with the bot, and on its
own when the bot is gone (its standard input closes). With `--webhook`, `--web` alone
puts the pages on the webhook's listener, in the bot's process. bot.py calls
`run_listeners`, `WebsiteProcess` and `website_setup`; the routes are in web/server.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from jobs.logsetup import configure_logging
from jobs.startup import stop_on_signals
from jobs.webhook import parse_listen
from maintenance import check_timezone_data, load_demo_cases, open_database, settings_or_exit
from services import Services
from web import miniapp
from web.server import RouteSetup, build_web_app, install_site, site_for, start_listener

log = logging.getLogger("casebot")
DEFAULT_WEB_LISTEN = "127.0.0.1:8080"
Listeners = tuple[tuple[str, int] | None, str | None]


def bot_username_of(app: Any) -> Callable[[], str | None]:
    """The bot's @username once it is known (after getMe at start), for the website."""

    def username() -> str | None:
        try:
            name: str | None = app.bot.username
        except RuntimeError:  # not initialized yet
            return None
        return name

    return username


def mounted_apps(services: Services) -> list[RouteSetup]:
    """What else the website's listener serves, in every mode (`casebot web`, the child
    of `run --web`, the webhook's listener): the one place to mount the organizers'
    Mini App at ``/app/``, when there is a bot token to check its signatures with (a
    site run alone without one serves only the public pages). Its Send wakes this
    process's dispatcher; in the child of `run --web` the bot's own dispatcher finds the
    queued alerts at its next look, a few seconds later."""
    token = services.settings.token
    return [] if token is None else [miniapp.mounter(services=services, bot_token=token)]


def website_setup(
    services: Services,
    username: Callable[[], str | None],
    extra_routes: Sequence[RouteSetup] | None = None,
) -> RouteSetup:
    """What adds the public website to an aiohttp application (the webhook listener);
    `extra_routes` mount more on it (by default `mounted_apps`)."""
    site = site_for(
        engine=services.engine,
        lookup=services.lookup,
        clock=lambda: services.clock(),
        public_url=services.settings.public_url,
        zone=services.settings.zone,
        bot_username=username,
    )

    def setup(web_app: web.Application) -> None:
        routes = mounted_apps(services) if extra_routes is None else extra_routes
        install_site(web_app, site, extra_routes=routes)

    return setup


def run_listeners(args: argparse.Namespace, default_listen: str) -> Listeners | str:
    """`casebot run`'s (webhook listener, website listener or "" for the webhook's own),
    or what is wrong with the options."""
    if args.listen is not None and args.webhook is None:
        return "--listen needs --webhook URL"
    listen: tuple[str, int] | None = None
    try:
        if args.webhook is not None:
            parts = urlsplit(args.webhook)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return "--webhook must be an https:// address"
            listen = parse_listen(args.listen or default_listen)
            if args.web:
                return "with --webhook, the website shares its listener: give --web alone"
        elif args.web is not None:
            parse_listen(args.web or DEFAULT_WEB_LISTEN)
    except ValueError as exc:
        return str(exc)
    if args.web is None:
        return listen, None
    return listen, ("" if listen is not None else (args.web or DEFAULT_WEB_LISTEN))


def add_web_options(run: argparse.ArgumentParser, commands: Any) -> None:
    """`run --web` and the `web` command."""
    run.add_argument(
        "--web",
        metavar="HOST:PORT",
        nargs="?",
        const="",
        help=f"serve the public website too: on HOST:PORT beside polling (e.g. "
        f"{DEFAULT_WEB_LISTEN}), or with --webhook on its listener (give --web alone)",
    )
    site = commands.add_parser("web", help="only the public website (pages, feeds, dataset)")
    site.add_argument("--demo", action="store_true", help="load the sample cases when empty")
    site.add_argument(
        "--listen", metavar="HOST:PORT", help=f"where it listens (default {DEFAULT_WEB_LISTEN})"
    )
    site.set_defaults(handler=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    """`casebot web`: only the public website, until SIGTERM or Ctrl-C."""
    settings = settings_or_exit()
    try:
        host, port = parse_listen(args.listen or DEFAULT_WEB_LISTEN)
    except ValueError as exc:
        print(f"casebot web: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.token)
    check_timezone_data()
    engine = open_database(settings)
    if args.demo:
        load_demo_cases(engine, settings)
    services = Services(settings=settings, engine=engine)
    web_app = build_web_app(
        engine=engine,
        lookup=services.lookup,
        clock=services.clock,
        public_url=settings.public_url,
        zone=settings.zone,
        bot_username=lambda: settings.bot_username,
        extra_routes=mounted_apps(services),
    )

    async def serve() -> None:
        stop = stop_on_signals()
        if os.environ.get(CHILD_FLAG):
            _stop_when_parent_goes(stop)
        runner = await start_listener(web_app, host, port)
        log.info("the website is at %s; stop it with Ctrl-C or SIGTERM", settings.public_url)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except OSError as exc:
        log.error("cannot listen on %s port %d: %s", host, port, exc)
        return 1
    finally:
        engine.dispose()
    return 0


CHILD_FLAG = "CASEBOT_WEB_CHILD"  # set for `casebot web` started by `casebot run --web`


def _stop_when_parent_goes(stop: asyncio.Event) -> None:
    """Set `stop` when standard input closes: the `casebot run` that started us is gone."""
    loop = asyncio.get_running_loop()

    def watch() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class WebsiteProcess:
    """`casebot web --listen HOST:PORT` as a child of `casebot run` (same settings)."""

    def __init__(self, listen: str, username: str | None) -> None:
        self.host, self.port = parse_listen(listen)
        self.listen = listen
        self.username = username
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start it and wait until it accepts connections; OSError when it cannot start."""
        env = {**os.environ, CHILD_FLAG: "1"}
        if self.username:
            env["CASEBOT_BOT_USERNAME"] = self.username
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "bot", "web", "--listen", self.listen],
            env=env,
            stdin=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise OSError(f"the website could not start on {self.listen}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise OSError(f"the website did not start on {self.listen} within {timeout:.0f} s")

    def stop(self) -> None:
        """SIGTERM, then wait for it (it finishes open requests in a few seconds)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
