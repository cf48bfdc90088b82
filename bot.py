"""casebot's composition root and command line.

settings → engine → Application → handlers and jobs (the planner, the dispatcher,
the health checks). Nothing else wires these together; handlers reach the services
through `bot_data`. The limiter and the dispatcher are built by one function each for
`run`, `chat` and `worker`. docs/architecture.md has the layers.

    casebot run [--demo] [--webhook URL [--listen HOST:PORT]]
                                    the bot, long-polling Telegram (or by webhook);
                                    with --web, the public website beside it (webcli.py)
    casebot web [--demo] [--listen HOST:PORT]
                                    only the public website
    casebot chat [--demo] [--user ID] [--lang kk|ru|en]
                                    the same bot in this terminal, no token needed
    casebot worker [--id NAME]      only the alert dispatcher (more senders on PostgreSQL)
    casebot import | export | backup | db upgrade
                                    the data commands (maintenance.py)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults, ExtBot

import handlers
import handlers.miniapp
from handlers import alert_buttons
from handlers.attendance_buttons import reminder_buttons
from handlers.lanes import CasebotApplication, FairUpdateProcessor
from handlers.stale import stale_rows
from jobs.dispatch_setup import (
    build_dispatcher,
    read_star_balance,
    settle_memory,
    start_progress,
)
from jobs.dispatcher import Dispatcher
from jobs.health import webhook_health
from jobs.limiter import PriorityRateLimiter
from jobs.logsetup import add_secret, configure_logging
from jobs.logsetup import quiet_noisy_loggers as quiet_noisy_loggers
from jobs.progress import ProgressReporter
from jobs.ratelimit import ChatPacer, free_gate
from jobs.render import AlertButtons, AlertRenderer
from jobs.schedule import schedule_jobs
from jobs.startup import (
    TOKEN_REJECTED,
    PollingErrors,
    TokenRejectedError,
    connect,
    public_url,
    stop_application,
    stop_on_signals,
)
from jobs.webhook import generate_secret_token, run_webhook, webhook_url
from maintenance import (
    add_data_commands,
    check_timezone_data,
    load_demo_cases,
    open_database,
    settings_or_exit,
)
from messages import SUPPORTED_LANGUAGES, translator
from messages.texts import bot_description, bot_short_description, command_menu
from services import Services
from settings import Settings
from web.server import RouteSetup
from webcli import (
    WebsiteProcess,
    add_web_options,
    bot_username_of,
    run_listeners,
    website_setup,
)

log = logging.getLogger("casebot")
DEFAULT_LISTEN = "127.0.0.1:8443"


BOT_DEFAULTS = Defaults(
    parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
)
"""Every message is HTML, without link previews (in `run`, `chat` and `worker` alike)."""


def make_limiter(settings: Settings) -> PriorityRateLimiter:
    """The one free gate every message of this process passes: CASEBOT_RATE up to 30/s
    (paid broadcasts, beyond it, have a gate of their own: jobs.paid)."""
    return PriorityRateLimiter(free_gate(settings.free_rate), pacer=ChatPacer())


def make_dispatcher(
    *,
    bot: ExtBot[Any],
    limiter: PriorityRateLimiter,
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime],
    worker_id: str = "main",
) -> Dispatcher:
    """The alert dispatcher of `run`, `chat` and `worker`, sharing the process's gate."""
    return build_dispatcher(
        bot=bot,
        limiter=limiter,
        engine=engine,
        settings=settings,
        renderer=AlertRenderer(
            zone=settings.timezone, buttons=ALERT_BUTTONS, stale_after=settings.stale_after
        ),
        clock=clock,
        worker_id=worker_id,
    )


ALERT_BUTTONS = AlertButtons(
    follower=alert_buttons.follower_rows,
    organizer=alert_buttons.organizer_rows,
    attend=reminder_buttons,
    stale=stale_rows,
    approval=alert_buttons.approval_rows,
    undo=alert_buttons.undo_rows,
)
"""The buttons under alerts, built by the handlers (jobs know nothing of callback data)."""


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    services: Services = app.bot_data["services"]
    for lang in (None, *SUPPORTED_LANGUAGES):
        t = translator(lang or "en")
        menu = [BotCommand(name, text) for name, text in command_menu(t, app.bot_data["commands"])]
        await app.bot.set_my_commands(menu, language_code=lang)
    log.info("command menus set for %s", ", ".join(SUPPORTED_LANGUAGES))
    await _set_profile(app)
    await handlers.miniapp.sync_menu_buttons(app)
    limiter: PriorityRateLimiter = app.bot_data["limiter"]
    dispatcher = make_dispatcher(
        bot=app.bot,
        limiter=limiter,
        engine=services.engine,
        settings=services.settings,
        clock=lambda: services.clock(),  # looked up each time: tests move the clock
    )
    await read_star_balance(app.bot, dispatcher.paid)
    await dispatcher.start()
    app.bot_data["dispatcher"] = dispatcher
    app.bot_data["progress"] = start_progress(app.bot, services)
    services.outbox_signal.listen(dispatcher.wake)
    schedule_jobs(app)


async def _set_profile(app: Application) -> None:  # type: ignore[type-arg]
    """The bot's description and short description in every language (and the default)."""
    try:
        for lang in (None, *SUPPORTED_LANGUAGES):
            t = translator(lang or "en")
            await app.bot.set_my_description(bot_description(t), language_code=lang)
            await app.bot.set_my_short_description(bot_short_description(t), language_code=lang)
    except TelegramError as exc:  # a profile is not worth failing the start for
        log.warning("could not set the bot's description: %s", exc)


async def _post_stop(app: Application) -> None:  # type: ignore[type-arg]
    progress: ProgressReporter | None = app.bot_data.get("progress")
    if progress is not None:
        await progress.stop()
    dispatcher: Dispatcher | None = app.bot_data.get("dispatcher")
    if dispatcher is not None:
        await dispatcher.stop(timeout=5.0)
        log.info("dispatcher stopped; unsent alerts stay queued for the next start")


def build_application(services: Services, *, token: str, api_url: str) -> Application:  # type: ignore[type-arg]
    """The Telegram Application with its handlers; nothing is started yet.

    One gate paces every message at CASEBOT_RATE per second: replies to users go
    first, the dispatcher's broadcast fills the rest. Updates are handled
    concurrently, each chat's in order (handlers.lanes).
    """
    limiter = make_limiter(services.settings)
    app = (
        ApplicationBuilder()
        .application_class(CasebotApplication)
        .concurrent_updates(FairUpdateProcessor())
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .defaults(BOT_DEFAULTS)
        .rate_limiter(limiter)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    app.bot_data["services"] = services
    app.bot_data["limiter"] = limiter
    app.bot_data["commands"] = handlers.register_all(app)
    return app


def cmd_run(args: argparse.Namespace) -> int:
    """Long-poll Telegram (or, with --webhook, receive its POSTs) until SIGTERM or Ctrl-C;
    with --web, the public website too (beside polling, or on the webhook's listener)."""
    settings = settings_or_exit(require_token=True)
    assert settings.token is not None
    checked = run_listeners(args, DEFAULT_LISTEN)
    if isinstance(checked, str):
        print(f"casebot run: {checked}", file=sys.stderr)
        return 2
    listen, web_listen = checked
    configure_logging(settings.token)
    check_timezone_data()
    engine = open_database(settings)
    if args.demo:
        report = load_demo_cases(engine, settings)
        if report is not None:
            log.info("sample cases loaded: %d", len(report.added))
    services = Services(settings=settings, engine=engine)
    app = build_application(services, token=settings.token, api_url=settings.api_url)
    try:
        if listen is None:
            serve = _serve_polling(app, api_url=settings.api_url, web_at=web_listen or None)
            code = _until_stopped(serve, settings)
        else:
            website = (
                website_setup(services, bot_username_of(app)) if web_listen is not None else None
            )
            code = _run_webhook_mode(
                app, base_url=args.webhook, listen=listen, api_url=settings.api_url, website=website
            )
    finally:
        engine.dispose()
    if code != 2:
        log.info("casebot stopped")
    return code


def _until_stopped(serve: Coroutine[Any, Any, None], settings: Settings) -> int:
    """Run `serve` (which returns on SIGTERM or Ctrl-C); its exit code: 0, or 2 when Telegram
    rejected the token, or 1 when the Bot API was lost while starting or a listener could
    not start. One line, no traceback."""
    try:
        asyncio.run(serve)
    except TokenRejectedError:
        print(TOKEN_REJECTED, file=sys.stderr)
        return 2
    except NetworkError as exc:
        log.error(
            "lost the Telegram Bot API at %s while starting (%s); exiting",
            public_url(settings.api_url),
            exc,
        )
        return 1
    except OSError as exc:  # the website's port in use, say
        log.error("cannot start: %s", exc)
        return 1
    return 0


async def _serve_polling(
    app: Application,  # type: ignore[type-arg]
    *,
    api_url: str,
    web_at: str | None = None,
) -> None:
    """Long polling until SIGINT or SIGTERM: PTB's run_polling, with a start-up that waits
    for the Bot API (see jobs/startup.py) and says it is running only once it is; with
    `web_at`, the public website listens there meanwhile, in a child process."""
    stop = stop_on_signals()
    if not await connect(app.initialize, api_url=api_url, stop=stop):
        await app.bot.shutdown()
        return
    website: WebsiteProcess | None = None
    try:
        if web_at is not None:
            website = WebsiteProcess(web_at, bot_username_of(app)())
            await asyncio.to_thread(website.start)
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, error_callback=PollingErrors(api_url)
        )
        await app.start()
        log.info("casebot is running; stop it with Ctrl-C or SIGTERM")
        await stop.wait()
    finally:
        if website is not None:
            await asyncio.to_thread(website.stop)
        await stop_application(app)


def _run_webhook_mode(
    app: Application,  # type: ignore[type-arg]
    *,
    base_url: str,
    listen: tuple[str, int],
    api_url: str,
    website: RouteSetup | None = None,
) -> int:
    """Webhook mode until SIGINT or SIGTERM, with a fresh secret token (redacted from logs);
    `website` adds the public pages to the same listener."""
    secret = generate_secret_token()
    add_secret(secret)

    async def serve() -> None:
        stop = stop_on_signals()
        if not await connect(app.initialize, api_url=api_url, stop=stop):
            await app.bot.shutdown()
            return
        await run_webhook(
            app,
            webhook_url=webhook_url(base_url, secret),
            listen_host=listen[0],
            listen_port=listen[1],
            secret_token=secret,
            health=webhook_health(app),
            stop_event=stop,
            ready=lambda: log.info("casebot is running; stop it with Ctrl-C or SIGTERM"),
            extra_routes=(website,) if website is not None else (),
        )

    try:
        return _until_stopped(serve(), app.bot_data["services"].settings)
    except TelegramError as exc:
        log.error("Telegram refused the webhook: %s", exc)
        return 1
    except OSError as exc:
        log.error("cannot listen on %s port %d: %s", listen[0], listen[1], exc)
        return 1


def cmd_worker(args: argparse.Namespace) -> int:
    """`casebot worker --id NAME`: only the dispatcher, sharing the database with `run`."""
    settings = settings_or_exit(require_token=True)
    assert settings.token is not None
    configure_logging(settings.token)
    check_timezone_data()
    engine = open_database(settings)
    try:
        code = _until_stopped(
            _dispatch_until_stopped(settings, engine, worker_id=f"worker:{args.id}"), settings
        )
    finally:
        engine.dispose()
    if code != 2:
        log.info("worker %s stopped", args.id)
    return code


async def _dispatch_until_stopped(settings: Settings, engine: Engine, *, worker_id: str) -> None:
    """The dispatcher alone, from the moment the Bot API answers until SIGINT or SIGTERM."""
    assert settings.token is not None
    limiter = make_limiter(settings)
    bot: ExtBot[Any] = ExtBot(
        settings.token,
        base_url=f"{settings.api_url}/bot",
        base_file_url=f"{settings.api_url}/file/bot",
        defaults=BOT_DEFAULTS,
        rate_limiter=limiter,
    )
    stop = stop_on_signals()
    try:
        if not await connect(bot.initialize, api_url=settings.api_url, stop=stop):
            return
        dispatcher = make_dispatcher(
            bot=bot,
            limiter=limiter,
            engine=engine,
            settings=settings,
            clock=lambda: datetime.now(UTC),
            worker_id=worker_id,
        )
        await read_star_balance(bot, dispatcher.paid)
        await dispatcher.start()
        settle_memory()
        log.info("worker %s is sending; stop it with Ctrl-C or SIGTERM", worker_id)
        await stop.wait()
        await dispatcher.stop(timeout=5.0)
    finally:
        await bot.shutdown()


def cmd_chat(args: argparse.Namespace) -> int:
    """The same bot in this terminal, against a local Bot API server.

    `/as ID` in the terminal plays another user; documents go to
    `CASEBOT_DATA_DIR/chat-files/`.
    """
    from botsim.terminal import run_terminal_chat

    settings = settings_or_exit()
    configure_logging(None, level=logging.WARNING)
    check_timezone_data()
    engine = open_database(settings)
    if args.demo:
        load_demo_cases(engine, settings)
    return run_terminal_chat(
        lambda api_url, token: build_application(
            Services(settings=settings, engine=engine), token=token, api_url=api_url
        ),
        user_id=args.user,
        language_code=args.lang,
        files_dir=settings.data_dir / "chat-files",
        admins=settings.admins,
    )


def _user_id(text: str) -> int:
    """A Telegram user id on the command line: a positive whole number."""
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a Telegram user id (a positive number): {text!r}")
    return int(text)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The `casebot` command line (README.md, "Commands and settings")."""
    parser = argparse.ArgumentParser(
        prog="casebot", description="Follow detainees' cases on Telegram."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the bot (long polling, or a webhook)")
    run.add_argument("--demo", action="store_true", help="load the sample cases when empty")
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="receive updates by webhook at this public https:// address (a secret path is added)",
    )
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=f"where the webhook server listens (default {DEFAULT_LISTEN}); also serves /healthz",
    )
    run.set_defaults(handler=cmd_run)
    add_web_options(run, commands)
    worker = commands.add_parser("worker", help="only send alerts (beside `run`, same database)")
    worker.add_argument("--id", default="1", help="a stable name for this worker (default 1)")
    worker.set_defaults(handler=cmd_worker)
    chat = commands.add_parser("chat", help="talk to the bot in this terminal, no token needed")
    chat.add_argument("--demo", action="store_true", help="load the sample cases when empty")
    chat.add_argument(
        "--user",
        type=_user_id,
        metavar="ID",
        default=1001,
        help="the Telegram user id you start as (default 1001; an id in CASEBOT_ADMINS "
        "is an organizer); /as ID switches user in the chat",
    )
    chat.add_argument(
        "--lang",
        choices=SUPPORTED_LANGUAGES,
        default="en",
        help="your Telegram language (default en; also for users met with /as)",
    )
    chat.set_defaults(handler=cmd_chat)
    add_data_commands(commands)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `casebot` console script."""
    args = parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
