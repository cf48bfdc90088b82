"""casebot's composition root and command line.

settings → engine → Application → handlers and jobs (the planner, the dispatcher,
the health checks). Nothing else wires these together; handlers reach the services
through `bot_data`. The limiter and the dispatcher are built by one function each for
`run`, `chat` and `worker`. docs/architecture.md has the layers.

    casebot run [--demo] [--webhook URL [--listen HOST:PORT]]
                                    the bot, long-polling Telegram (or by webhook)
    casebot chat [--demo] [--user ID] [--lang kk|ru|en]
                                    the same bot in this terminal, no token needed
    casebot import FILE             load cases from a YAML or CSV case file
    casebot export FILE [--force]   write cases to a file (never over one, without --force)
    casebot worker [--id NAME]      only the alert dispatcher (more senders on PostgreSQL)
    casebot backup FILE             an online copy of the SQLite database
    casebot db upgrade              apply database migrations
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import zoneinfo
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults, ExtBot

import handlers
from handlers.lanes import CasebotApplication, FairUpdateProcessor
from jobs.dispatch_setup import build_dispatcher, read_star_balance, start_progress
from jobs.dispatcher import Dispatcher
from jobs.health import webhook_health
from jobs.limiter import PriorityRateLimiter
from jobs.logsetup import add_secret, configure_logging
from jobs.logsetup import quiet_noisy_loggers as quiet_noisy_loggers
from jobs.progress import ProgressReporter
from jobs.ratelimit import ChatPacer, free_gate
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
from jobs.webhook import generate_secret_token, parse_listen, run_webhook, webhook_url
from messages import SUPPORTED_LANGUAGES, translator
from messages.texts import command_menu
from settings import Services, Settings, SettingsError, load_settings
from storage.database.engine import backup_sqlite, make_engine, session_scope, upgrade
from storage.files.casefile import CaseFileError
from storage.files.exporter import export_file
from storage.files.importer import SAMPLE_FILE, ImportReport, count_cases, import_file

log = logging.getLogger("casebot")
DEFAULT_LISTEN = "127.0.0.1:8443"
PROGRESS_FROM = 50  # cases in a file before the import shows its progress


def check_timezone_data() -> None:
    """Make sure zone data knows Kazakhstan's 2024 move to UTC+5; prefer the tzdata package."""

    def almaty_offset() -> timedelta | None:
        return datetime(2025, 6, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty")).utcoffset()

    if almaty_offset() == timedelta(hours=5):
        return
    zoneinfo.reset_tzpath(to=[])  # use only the tzdata package from PyPI
    zoneinfo.ZoneInfo.clear_cache()
    if almaty_offset() != timedelta(hours=5):
        raise SystemExit(
            "The time zone data is too old (Asia/Almaty should be UTC+5 since March 2024). "
            "Upgrade the tzdata package: pip install -U 'tzdata>=2024.1'"
        )


def open_database(settings: Settings) -> Engine:
    """Create the engine and bring the schema up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine


def load_demo_cases(engine: Engine, settings: Settings) -> ImportReport | None:
    """Import the bundled sample cases when the database has no case yet."""
    with session_scope(engine) as session:
        if count_cases(session) > 0:
            return None
        return import_file(session, SAMPLE_FILE, default_tz=settings.timezone)


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
        clock=clock,
        worker_id=worker_id,
    )


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    services: Services = app.bot_data["services"]
    for lang in (None, *SUPPORTED_LANGUAGES):
        t = translator(lang or "en")
        menu = [BotCommand(name, text) for name, text in command_menu(t, services.commands)]
        await app.bot.set_my_commands(menu, language_code=lang)
    log.info("command menus set for %s", ", ".join(SUPPORTED_LANGUAGES))
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
    services.wake_dispatcher = dispatcher.wake
    schedule_jobs(app)


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
    services.commands = handlers.register_all(app)
    return app


def _settings_or_exit(*, require_token: bool = False) -> Settings:
    try:
        return load_settings(require_token=require_token)
    except SettingsError as exc:
        print("casebot: the settings need fixing:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_run(args: argparse.Namespace) -> int:
    """Long-poll Telegram (or, with --webhook, receive its POSTs) until SIGTERM or Ctrl-C."""
    settings = _settings_or_exit(require_token=True)
    assert settings.token is not None
    listen: tuple[str, int] | None = None
    if args.listen is not None and args.webhook is None:
        print("casebot run: --listen needs --webhook URL", file=sys.stderr)
        return 2
    if args.webhook is not None:
        parts = urlsplit(args.webhook)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            print("casebot run: --webhook must be an https:// address", file=sys.stderr)
            return 2
        try:
            listen = parse_listen(args.listen or DEFAULT_LISTEN)
        except ValueError as exc:
            print(f"casebot run: {exc}", file=sys.stderr)
            return 2
    configure_logging(settings.token)
    check_timezone_data()
    engine = open_database(settings)
    if args.demo:
        report = load_demo_cases(engine, settings)
        if report is not None:
            log.info("sample cases loaded: %d", len(report.added))
    app = build_application(
        Services(settings=settings, engine=engine), token=settings.token, api_url=settings.api_url
    )
    try:
        if listen is None:
            code = _until_stopped(_serve_polling(app, api_url=settings.api_url), settings)
        else:
            code = _run_webhook_mode(
                app, base_url=args.webhook, listen=listen, api_url=settings.api_url
            )
    finally:
        engine.dispose()
    if code != 2:
        log.info("casebot stopped")
    return code


def _until_stopped(serve: Coroutine[Any, Any, None], settings: Settings) -> int:
    """Run `serve` (which returns on SIGTERM or Ctrl-C); its exit code: 0, or 2 when Telegram
    rejected the token, or 1 when the Bot API was lost while starting. One line, no traceback."""
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
    return 0


async def _serve_polling(app: Application, *, api_url: str) -> None:  # type: ignore[type-arg]
    """Long polling until SIGINT or SIGTERM: PTB's run_polling, with a start-up that waits
    for the Bot API (see jobs/startup.py) and says it is running only once it is."""
    stop = stop_on_signals()
    if not await connect(app.initialize, api_url=api_url, stop=stop):
        await app.bot.shutdown()
        return
    try:
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
        await stop_application(app)


def _run_webhook_mode(
    app: Application,  # type: ignore[type-arg]
    *,
    base_url: str,
    listen: tuple[str, int],
    api_url: str,
) -> int:
    """Webhook mode until SIGINT or SIGTERM, with a fresh secret token (redacted from logs)."""
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
    settings = _settings_or_exit(require_token=True)
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

    settings = _settings_or_exit()
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


def cmd_import(args: argparse.Namespace) -> int:
    """Load a case file; a bad file changes nothing and lists its problems."""
    settings = _settings_or_exit()
    check_timezone_data()
    engine = open_database(settings)
    path = Path(args.file)
    if not path.is_file():
        print(f"casebot import: no such file: {path}", file=sys.stderr)
        return 2

    def progress(done: int, total: int) -> None:
        if total >= PROGRESS_FROM:
            end = "\n" if done == total else ""
            print(f"\rimporting: {done}/{total} cases", end=end, file=sys.stderr, flush=True)

    try:
        with session_scope(engine) as session:
            report = import_file(
                session,
                path,
                default_tz=settings.timezone,
                progress=progress,
                max_bytes=settings.import_max_bytes,
            )
    except CaseFileError as exc:
        count = f"{exc.count} problem{'s' if exc.count != 1 else ''}"
        print(
            f"casebot import: {path} was not imported ({count}); nothing changed:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write every case to a YAML or CSV file (by its extension); an existing one needs --force."""
    settings = _settings_or_exit()
    engine = open_database(settings)
    target = Path(args.file)
    try:
        with session_scope(engine) as session:
            report = export_file(session, target, overwrite=args.force)
    except FileExistsError:
        print(f"casebot export: {target} exists; add --force to overwrite it", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"casebot export: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`casebot backup FILE`: an online copy of the SQLite database."""
    settings = _settings_or_exit()
    engine = open_database(settings)
    target = Path(args.file)
    if target.exists() and not args.force:
        print(f"casebot backup: {target} exists; add --force to overwrite it", file=sys.stderr)
        return 2
    try:
        size = backup_sqlite(engine, target)
    except ValueError as exc:
        print(f"casebot backup: {exc} (pg_dump --format=custom -f FILE DBNAME)", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"backed up to {target} ({size:,} bytes)")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """`casebot db upgrade`: apply migrations."""
    settings = _settings_or_exit()
    engine = open_database(settings)
    engine.dispose()
    print(f"database is up to date ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    return 0


def _user_id(text: str) -> int:
    """A Telegram user id on the command line: a positive whole number."""
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a Telegram user id (a positive number): {text!r}")
    return int(text)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line of `contract.md`."""
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
    imp = commands.add_parser("import", help="load cases from a YAML or CSV case file")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_import)
    exp = commands.add_parser("export", help="write cases to a YAML or CSV file")
    exp.add_argument("file")
    exp.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    exp.set_defaults(handler=cmd_export)
    backup = commands.add_parser("backup", help="copy the SQLite database while the bot runs")
    backup.add_argument("file")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    backup.set_defaults(handler=cmd_backup)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `casebot` console script."""
    args = parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
