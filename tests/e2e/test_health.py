"""The health report: `health_report` on the database (planner and dispatcher runs, the
grace period after a start, failed, due and stuck deliveries, a database that is gone
or never answers), and /healthz answering on the same check, with the same stall
setting, as the dead-man's switch that raises the alarm.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import Engine, create_engine
from sqlmodel import select

from bot import build_application
from jobs import deadman
from jobs.deadman import describe
from jobs.health import HealthReport, application_health, health_report, webhook_health
from jobs.webhook import HEALTH_PATH, generate_secret_token, make_web_app
from messages import translator
from services import Services
from settings import Settings
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Delivery, JobState, Subscriber
from tests.conftest import TEST_TOKEN, make_settings
from tests.e2e.webhook_support import STALL, free_port

# -- health_report -------------------------------------------------------------------------


def _record_planner(engine: Engine, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(JobState(name="planner", last_run_at=at))


def _add_deliveries(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        session.add(Subscriber(chat_id=5001))
        session.flush()
        for number, row in enumerate(rows):
            session.add(
                Delivery(dedupe_key=f"test:-:{number}:5001", chat_id=5001, kind="test", **row)
            )


def test_health_report_all_well(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(minutes=1))
    report = health_report(
        engine, now=now, dispatcher_last_run=now - timedelta(seconds=3), stall_after=STALL
    )
    assert report.ok and report.database
    assert report.problems == []
    assert report.backlog == 0 and report.oldest_due_seconds is None
    assert report.planner_last_run == now - timedelta(minutes=1)
    data = json.loads(report.to_json())
    assert data["ok"] is True and data["backlog"] == 0
    assert data["planner_last_run"] == (now - timedelta(minutes=1)).isoformat()


def test_health_report_stale_planner(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(minutes=30))
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and report.database
    assert report.problems == ["planner has not run for 30 minutes"]


def test_health_report_stale_or_missing_dispatcher(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    stale = health_report(
        engine, now=now, dispatcher_last_run=now - timedelta(minutes=12), stall_after=STALL
    )
    assert stale.problems == ["dispatcher has not run for 12 minutes"]
    missing = health_report(engine, now=now, dispatcher_last_run=None, stall_after=STALL)
    assert missing.problems == ["dispatcher has not run yet"]


def test_health_report_grace_period_after_start(engine: Engine) -> None:
    now = datetime.now(UTC)
    fresh = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=2),
    )
    assert fresh.ok and fresh.planner_last_run is None
    late = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=11),
    )
    assert late.problems == ["planner has not run yet", "dispatcher has not run yet"]


def test_health_report_failed_deliveries(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    recent = [
        {"status": "failed", "due_at": now, "updated_at": now - timedelta(minutes=minutes)}
        for minutes in (1, 10, 20, 50, 59)
    ]
    old = [{"status": "failed", "due_at": now, "updated_at": now - timedelta(hours=2)}] * 3
    sent = [{"status": "sent", "due_at": now, "updated_at": now}] * 4
    _add_deliveries(engine, recent + old + sent)
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert report.failed_recently == 5
    assert report.problems == ["deliveries failing: 5 failed in the last hour"]
    assert not report.ok
    tolerant = health_report(
        engine, now=now, dispatcher_last_run=now, stall_after=STALL, failed_threshold=6
    )
    assert tolerant.ok and tolerant.failed_recently == 5
    wider = health_report(
        engine,
        now=now,
        dispatcher_last_run=now,
        stall_after=STALL,
        failed_window=timedelta(hours=3),
    )
    assert wider.problems == ["deliveries failing: 8 failed in the last 3 hours"]


def test_health_report_backlog(engine: Engine) -> None:
    now = datetime.now(UTC)
    _record_planner(engine, now)
    _add_deliveries(
        engine,
        [
            {"due_at": now - timedelta(seconds=90)},
            {"due_at": now - timedelta(seconds=5)},
            {"due_at": now + timedelta(hours=1)},  # not due yet
            {"due_at": now - timedelta(hours=5), "status": "sent"},
        ],
    )
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert report.backlog == 2
    assert report.oldest_due_seconds == pytest.approx(90.0)
    assert report.ok


def test_health_report_unreachable_database(tmp_path: Path) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'missing' / 'casebot.db'}")
    now = datetime.now(UTC)
    report = health_report(broken, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and not report.database
    assert report.problems == ["database unreachable"]
    assert report.backlog == 0 and report.planner_last_run is None
    assert json.loads(report.to_json())["database"] is False
    broken.dispose()


def test_health_report_database_file_deleted(engine: Engine, settings: Settings) -> None:
    engine.dispose()
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    now = datetime.now(UTC)
    report = health_report(engine, now=now, dispatcher_last_run=now, stall_after=STALL)
    assert not report.ok and not report.database
    assert report.problems == ["database queries failed (OperationalError)"]


def test_health_report_never_raises() -> None:
    now = datetime.now(UTC)
    report = health_report(
        None,  # type: ignore[arg-type]
        now=now,
        dispatcher_last_run=now,
        stall_after=STALL,
    )
    assert not report.ok and not report.database
    assert report.problems and all(isinstance(p, str) for p in report.problems)


# -- /healthz and the alarm: one check, one setting ----------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def stall_app(tmp_path: Path) -> Iterator[tuple[Any, Clock, Engine]]:
    """An Application (not started) with CASEBOT_STALL_AFTER=1m, a hand-moved clock, the
    dead-man's switch installed as at start, and a dispatcher that last claimed 5 s ago."""
    settings = make_settings(tmp_path, CASEBOT_STALL_AFTER="1m")
    eng = make_engine(settings.database_url)
    upgrade(eng)
    clock = Clock(T0)
    app = build_application(
        Services(settings=settings, engine=eng, clock=clock),
        token=TEST_TOKEN,
        api_url="http://127.0.0.1:9",
    )
    deadman.install(app, settings.stall_after)
    app.bot_data["dispatcher"] = SimpleNamespace(last_run_at=T0 - timedelta(seconds=5))
    _record_planner(eng, T0 - timedelta(seconds=10))
    yield app, clock, eng
    eng.dispose()


def _get_healthz(
    app: Any, checks: list[Callable[[], Any]], *, health_timeout: float = 10.0
) -> list[tuple[int, dict[str, Any]]]:
    """GET /healthz from a real server on 127.0.0.1 once per check given."""

    async def main() -> list[tuple[int, dict[str, Any]]]:
        answers = []
        for check in checks:
            web_app = make_web_app(
                app,
                secret_token=generate_secret_token(),
                path="/telegram/x",
                health=check,
                health_timeout=health_timeout,
            )
            runner = web.AppRunner(web_app, access_log=None)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                async with httpx.AsyncClient(timeout=30) as client:
                    response = await client.get(f"http://127.0.0.1:{port}{HEALTH_PATH}")
                answers.append((response.status_code, response.json()))
            finally:
                await runner.cleanup()
        return answers

    return asyncio.run(main())


def test_healthz_and_the_alarm_judge_alike_with_the_stall_setting(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, clock, _ = stall_app
    checks = [webhook_health(app), application_health(app), app.bot_data["health"]]
    for status, body in _get_healthz(app, checks):
        assert status == 200, body
        assert body["ok"] is True and body["problems"] == []
        assert body["stall_after_seconds"] == 60.0
    clock.now = T0 + timedelta(seconds=130)  # both silent for more than a minute
    answers = _get_healthz(app, checks)
    expected = ["planner has not run for 2 minutes", "dispatcher has not run for 2 minutes"]
    for status, body in answers:
        assert status == 503, body
        assert body["ok"] is False and body["database"] is True
        assert body["problems"] == expected
    # The dead-man's switch raises its alarm on that very report, in the admin's words.
    report = asyncio.run(app.bot_data["health"]())
    assert app.bot_data["deadman"].decide(report, clock.now) == "alarm"
    lines = describe(translator("en"), report, stall_after=timedelta(minutes=1))
    assert lines == [
        "The reminder planner last ran 2 minutes ago.",
        "The alert dispatcher last ran 2 minutes ago.",
    ]


def test_healthz_counts_deliveries_stuck_in_sending(stall_app: tuple[Any, Clock, Engine]) -> None:
    app, clock, engine = stall_app
    _add_deliveries(
        engine,
        [
            {"status": "sending", "due_at": T0, "updated_at": T0 - timedelta(minutes=3)},
            {"status": "sending", "due_at": T0, "updated_at": T0 - timedelta(seconds=20)},
        ],
    )
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 503
    assert body["stuck_sending"] == 1  # the one claimed 20 s ago is still in time
    assert body["problems"] == ["deliveries stuck: 1 claimed for 3 minutes without an outcome"]
    clock.now = T0 + timedelta(seconds=50)
    app.bot_data["dispatcher"].last_run_at = clock.now
    with session_scope(engine) as session:
        for row in session.exec(select(Delivery)).all():
            row.status = "sent"
            session.add(row)
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 200 and body["stuck_sending"] == 0, body


def test_healthz_when_the_database_cannot_be_read_is_503(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, _, engine = stall_app
    engine.dispose()
    database = Path(app.bot_data["services"].settings.database_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        path.unlink()
    [(status, body)] = _get_healthz(app, [webhook_health(app)])
    assert status == 503, body
    assert body["ok"] is False and body["database"] is False
    assert body["problems"] == ["database queries failed (OperationalError)"]


def test_healthz_when_the_database_does_not_answer_in_time_is_503(
    stall_app: tuple[Any, Clock, Engine],
) -> None:
    app, _, _ = stall_app

    async def hanging() -> HealthReport:
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    [(status, body)] = _get_healthz(app, [hanging], health_timeout=0.2)
    assert status == 503
    assert body == {
        "ok": False,
        "database": False,
        "problems": ["health check timed out: the database did not answer within 0.2 s"],
    }


def test_a_job_that_ran_before_this_start_gets_the_grace_period(engine: Engine) -> None:
    # Restarted after a night off: the planner's last run is old, but this process only
    # began a minute ago; not a stall until stall_after has passed since the start.
    now = datetime.now(UTC)
    _record_planner(engine, now - timedelta(hours=8))
    report = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=1),
    )
    assert report.ok, report.problems
    later = health_report(
        engine,
        now=now,
        dispatcher_last_run=None,
        stall_after=STALL,
        started_at=now - timedelta(minutes=11),
    )
    assert later.problems == ["planner has not run for 480 minutes", "dispatcher has not run yet"]
