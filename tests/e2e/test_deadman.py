"""The dead-man's switch: admins hear when a job stalls, once, and when it recovers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from jobs.deadman import DeadMansSwitch, deadman_job, describe
from jobs.health import DATABASE, DISPATCHER, FAILING, PLANNER, STUCK, HealthReport, Problem
from messages import translator
from tests.conftest import RunningBot

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def report(problems: list[str], **fields: object) -> HealthReport:
    values: dict[str, object] = {
        "ok": not problems,
        "database": True,
        "backlog": 0,
        "oldest_due_seconds": None,
        "planner_last_run": NOW,
        "dispatcher_last_run": NOW,
        "problems": problems,
    }
    values.update(fields)
    return HealthReport(**values)  # type: ignore[arg-type]


def test_the_switch_speaks_once_repeats_hourly_and_says_when_it_is_fixed() -> None:
    switch = DeadMansSwitch(stall_after=timedelta(minutes=10))
    assert switch.decide(report([]), NOW) is None
    stalled = report(["planner has not run for 20 minutes"])
    assert switch.decide(stalled, NOW) == "alarm"
    assert switch.decide(stalled, NOW + timedelta(minutes=1)) is None
    worse = report(["planner has not run for 20 minutes", "database unreachable"])
    assert switch.decide(worse, NOW + timedelta(minutes=2)) == "alarm"
    assert switch.decide(worse, NOW + timedelta(hours=1, minutes=3)) == "alarm"
    assert switch.decide(report([]), NOW + timedelta(hours=2)) == "recovered"
    assert switch.decide(report([]), NOW + timedelta(hours=3)) is None


def test_a_stall_that_grows_is_not_a_new_problem() -> None:
    switch = DeadMansSwitch(stall_after=timedelta(minutes=10))

    def stalled(minutes: int) -> HealthReport:
        issue = Problem(PLANNER, minutes=minutes)
        return report([str(issue)], issues=(issue,))

    assert switch.decide(stalled(11), NOW) == "alarm"
    for minute in range(1, 59):
        assert switch.decide(stalled(11 + minute), NOW + timedelta(minutes=minute)) is None
    assert switch.decide(stalled(71), NOW + timedelta(hours=1)) == "alarm"  # the hourly reminder
    both = (Problem(PLANNER, minutes=72), Problem(DATABASE))
    assert switch.decide(report([], issues=both, ok=False), NOW + timedelta(minutes=61)) == "alarm"


def test_problems_are_described_in_the_admins_language() -> None:
    issues = (
        Problem(DATABASE),
        Problem(PLANNER, minutes=25),
        Problem(DISPATCHER, minutes=None),
        Problem(FAILING, count=7, detail="the last hour"),
    )
    bad = report(
        [str(issue) for issue in issues],
        planner_last_run=NOW - timedelta(minutes=25),
        dispatcher_last_run=None,
        failed_recently=7,
        backlog=40,
        oldest_due_seconds=1500.0,
        database=False,
        issues=issues,
    )
    lines = describe(translator("ru"), bad, stall_after=timedelta(minutes=10))
    text = "\n".join(lines)
    assert "25" in text and "7" in text and "40" in text
    assert len(lines) == 5
    assert all(line != translator("en").gettext(line) or line.isascii() is False for line in lines)


def test_stuck_deliveries_count_as_waiting_alerts() -> None:
    stuck = Problem(STUCK, minutes=12, count=3)
    bad = report([str(stuck)], backlog=2, oldest_due_seconds=30.0, issues=(stuck,))
    [line] = describe(translator("en"), bad, stall_after=timedelta(minutes=1))
    assert line == "5 alerts are waiting; the oldest for 12 minutes."


def test_admins_are_told_on_telegram(running_bot: RunningBot) -> None:
    running_bot.app.bot_data["dispatcher"].wake()
    running_bot._run(_fresh_planner(running_bot))
    saved = running_bot.clock.now
    running_bot.clock.now = running_bot.clock() + timedelta(minutes=30)
    context = SimpleNamespace(bot=running_bot.app.bot, bot_data=running_bot.app.bot_data)
    running_bot._run(deadman_job(context))  # type: ignore[arg-type]
    [alarm] = running_bot.server.wait_for_messages(900, 1)
    assert "casebot needs attention" in alarm.text
    assert "planner last ran 30 minutes ago" in alarm.text
    running_bot._run(deadman_job(context))  # type: ignore[arg-type]
    running_bot.clock.now = saved
    running_bot.app.bot_data["dispatcher"].wake()
    running_bot._run(_fresh_planner(running_bot))
    running_bot._run(deadman_job(context))  # type: ignore[arg-type]
    messages = running_bot.server.wait_for_messages(900, 2)
    assert "healthy again" in messages[-1].text


async def _fresh_planner(bot: RunningBot) -> None:
    import asyncio

    from jobs.schedule import run_planner

    await asyncio.to_thread(run_planner, bot.services)
    await asyncio.sleep(0.3)  # let the dispatcher's loop record a run after the wake
