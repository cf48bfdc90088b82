"""The `casebot` commands that work on the data, not on Telegram: import, export,
backup and `db upgrade`; and what every command does first (read the settings, check
the zone data, open and migrate the database).

`bot.py` adds these to its command line (`add_data_commands`).
"""

from __future__ import annotations

import argparse
import sys
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from settings import Settings, SettingsError, load_settings
from storage.database.engine import backup_sqlite, make_engine, session_scope, upgrade
from storage.files.casefile import CaseFileError
from storage.files.exporter import export_file
from storage.files.importer import SAMPLE_FILE, ImportReport, count_cases, import_file

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


def settings_or_exit(*, require_token: bool = False) -> Settings:
    try:
        return load_settings(require_token=require_token)
    except SettingsError as exc:
        print("casebot: the settings need fixing:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from None


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


def cmd_import(args: argparse.Namespace) -> int:
    """Load a case file; a bad file changes nothing and lists its problems."""
    settings = settings_or_exit()
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
    settings = settings_or_exit()
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
    settings = settings_or_exit()
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
    settings = settings_or_exit()
    engine = open_database(settings)
    engine.dispose()
    print(f"database is up to date ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    return 0


def add_data_commands(commands: Any) -> None:
    """Add import, export, backup and db to the command line's subcommands."""
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
