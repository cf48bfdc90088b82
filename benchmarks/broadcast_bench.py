"""Benchmark: a status-change broadcast to N subscribers through the real delivery engine.

    python benchmarks/broadcast_bench.py                       # 10,000 subscribers at 30/s
    python benchmarks/broadcast_bench.py --subscribers 2000    # a quick run (~70 s)
    python benchmarks/broadcast_bench.py --rate 1000           # paid broadcasts
    python benchmarks/broadcast_bench.py --rate 30 1000 --db postgres   # TEST_DATABASE_URL

For each rate, a fresh database (an SQLite file in a temporary folder, or a private
schema in PostgreSQL) gets one case followed by N subscribers; one alert is enqueued
with ``enqueue_for_followers`` and the dispatcher sends it through an ``ExtBot`` with
the PriorityRateLimiter to a local Bot API server: botsim on 127.0.0.1, in a child
process (so that, like Telegram, it does not compete for this process's GIL) with a
listen backlog of 128 instead of socketserver's 5, enforcing the same rate in a
sliding one-second window and answering 429 above it. While the broadcast runs, an
interactive reply goes to another chat every 0.5 s through the same bot and limiter
(as a /case reply would); its latency is the time from the request to the server
receiving it. Printed: machine and load, time to enqueue, sustained rate, 429s,
interactive latency (median, p99, max), event-loop lag, database time per claim and
flush, exactly-once check, peak RSS of the bot's process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert, text
from sqlmodel import Session, col, func, select
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

import botsim.server
from botsim.server import BotApiServer
from jobs.dispatcher import Closed, Dispatcher, Rendered
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import SendGate
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Case, Delivery, Subscriber, Subscription, utcnow
from storage.outbox import DeliveryWork, enqueue_for_followers
from storage.payloads import StatusAlert

PROBE_CHAT = 987_654_321
FIRST_CHAT = 100_000_000
LANGS = ("kk", "ru", "en")


def machine_info() -> str:
    """CPU model, cores, Python version and platform."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = "n/a"
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"machine: {model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average before the run: {load}"
    )


class BenchRenderer:
    """Renders like the real renderer does: one text per case and language, cached."""

    def prepare(
        self, session: Session, batch: list[DeliveryWork], now: datetime
    ) -> dict[int, Rendered | Closed]:
        cache: dict[tuple[int | None, str], Rendered] = {}
        out: dict[int, Rendered | Closed] = {}
        for work in batch:
            lang = work.lang or "en"
            key = (work.case_id, lang)
            if key not in cache:
                cache[key] = Rendered(
                    f"<b>Case {work.case_id}</b> [{lang}]: custody changed to "
                    f"<i>{work.alert().new}</i> on {now:%Y-%m-%d}.",
                    buttons=[[("Open", f"case:{work.case_id}"), ("Stop", f"unsub:{work.case_id}")]],
                )
            out[work.id] = cache[key]
        return out


class TimedDispatcher(Dispatcher):
    """The dispatcher, with the time spent in each claim and flush transaction recorded."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim_times: list[tuple[float, int]] = []
        self.flush_times: list[tuple[float, int]] = []

    def _claim_sync(self, now: datetime, limit: int, skip: set[int]) -> Any:
        started = time.perf_counter()
        result = super()._claim_sync(now, limit, skip)
        self.claim_times.append((time.perf_counter() - started, len(result[0])))
        return result

    def _record_sync(self, batch: Any) -> None:
        started = time.perf_counter()
        super()._record_sync(batch)
        self.flush_times.append((time.perf_counter() - started, len(batch)))


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh database URL: an SQLite file in a temporary folder, or a PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="casebot-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("--db postgres needs TEST_DATABASE_URL (a PostgreSQL URL)")
    schema = f"casebot_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def add_followers(engine: Engine, count: int) -> int:
    """One case followed by `count` private chats (bulk inserts); returns the case id."""
    now = utcnow()
    with session_scope(engine) as session:
        case = Case(slug="bench-case")
        session.add(case)
        session.flush()
        assert case.id is not None
        chats = range(FIRST_CHAT, FIRST_CHAT + count)
        session.execute(
            insert(Subscriber),
            [
                {
                    "chat_id": chat,
                    "chat_type": "private",
                    "lang": LANGS[chat % 3],
                    "blocked": False,
                    "gone": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for chat in chats
            ],
        )
        session.execute(
            insert(Subscription),
            [{"chat_id": chat, "case_id": case.id, "created_at": now} for chat in chats],
        )
        return case.id


@dataclasses.dataclass(frozen=True)
class Call:
    """What the benchmark needs of one sendMessage the server received."""

    chat_id: int
    text: str
    timestamp: float  # time.monotonic() on arrival (system-wide clock on Linux)
    status: int


def serve(conn: Connection, rate: float) -> None:
    """Child process: run botsim at `rate` and answer the parent's questions on `conn`."""
    # socketserver listens with a backlog of 5: a pool opening dozens of connections at
    # once gets some reset, which Telegram's servers don't do. Give it a server's backlog.
    botsim.server._HTTPServer.request_queue_size = 128
    server = BotApiServer(messages_per_second=rate)
    server.start()
    conn.send((server.url, server.token))
    while True:
        command = conn.recv()
        if command == "calls":
            conn.send(
                [
                    Call(
                        int(c.params.get("chat_id", 0)),
                        str(c.params.get("text", ""))
                        if c.params.get("chat_id") == PROBE_CHAT
                        else "",
                        c.timestamp,
                        c.status,
                    )
                    for c in server.calls("sendMessage")
                ]
            )
        elif command == "stats":
            conn.send(dataclasses.asdict(server.stats))
        else:
            server.stop()
            conn.send(None)
            return


@contextmanager
def bot_api_server(rate: float) -> Iterator[tuple[str, str, Connection]]:
    """Start botsim in a child process; yields its URL, token and control pipe."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(child, rate), daemon=True)
    process.start()
    url, token = parent.recv()
    try:
        yield url, token, parent
    finally:
        parent.send("stop")
        parent.recv()
        process.join(10)


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any sliding window of `window` seconds."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _enqueue(engine: Engine, case_id: int, subscribers: int) -> float:
    """Queue one status alert to every follower; the seconds it took."""
    started = time.perf_counter()
    with session_scope(engine) as session:
        written = enqueue_for_followers(
            session,
            case_id=case_id,
            kind="status",
            what="custody:v2",
            payload=StatusAlert(dimension="custody", old="detained", new="released"),
            due_at=utcnow(),
            urgent=True,
        )
    seconds = time.perf_counter() - started
    if written < 0:  # the driver did not report a row count (PostgreSQL: see the report)
        with Session(engine) as session:
            written = session.exec(select(func.count()).select_from(Delivery)).one()
        print(f"note: enqueue_for_followers returned -1; {written} rows are there")
    assert written == subscribers, (written, subscribers)
    return seconds


async def _probe(bot: ExtBot[Any], done: asyncio.Event, probes: dict[str, float]) -> None:
    """An interactive reply every half second until `done`, each one's send time kept."""
    number = 0
    while not done.is_set():
        label = f"probe {number}"
        probes[label] = time.monotonic()
        await bot.send_message(PROBE_CHAT, label)
        number += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.5):
                await done.wait()


async def _lag_meter(done: asyncio.Event, lags: list[float]) -> None:
    """How late a 50 ms sleep wakes, until `done`: the event loop's lag."""
    while not done.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.05)
        lags.append(time.monotonic() - before - 0.05)


async def broadcast(
    engine: Engine,
    url: str,
    token: str,
    case_id: int,
    rate: float,
    subscribers: int,
    in_flight: int,
) -> dict[str, Any]:
    gate = SendGate(rate)
    limiter = PriorityRateLimiter(gate)
    bot: ExtBot[Any] = ExtBot(
        token,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        rate_limiter=limiter,
        request=HTTPXRequest(connection_pool_size=256),
    )
    probes: dict[str, float] = {}
    lags: list[float] = []
    async with bot:
        dispatcher = TimedDispatcher(
            engine=engine,
            bot=bot,
            renderer=BenchRenderer(),
            gate=gate,
            clock=utcnow,
            max_in_flight=in_flight,
        )
        enqueue_seconds = _enqueue(engine, case_id, subscribers)
        done = asyncio.Event()
        run_started = time.monotonic()
        await dispatcher.start()
        side = [
            asyncio.create_task(_probe(bot, done, probes)),
            asyncio.create_task(_lag_meter(done, lags)),
        ]
        await dispatcher.drain(timeout=subscribers / rate * 3 + 60)
        run_seconds = time.monotonic() - run_started
        done.set()
        await asyncio.gather(*side)
        await dispatcher.stop()
    return {
        "enqueue_seconds": enqueue_seconds,
        "run_seconds": run_seconds,
        "probes": probes,
        "lags": lags,
        "dispatcher": dispatcher,
        "limiter": limiter,
    }


def run_once(kind: str, subscribers: int, rate: float, in_flight: int = 64) -> None:
    """One broadcast at one rate on a fresh database; prints the figures."""
    print(
        f"\n== {subscribers} subscribers, {rate:g} msg/s, {kind}, max_in_flight {in_flight} ==",
        flush=True,
    )
    with database(kind) as url:
        engine = make_engine(url)
        upgrade(engine)
        case_id = add_followers(engine, subscribers)
        with bot_api_server(rate) as (server_url, token, control):
            result = asyncio.run(
                broadcast(engine, server_url, token, case_id, rate, subscribers, in_flight)
            )
            control.send("calls")
            calls: list[Call] = control.recv()
            control.send("stats")
            stats: dict[str, int] = control.recv()
        with Session(engine) as session:
            statuses = dict(
                session.exec(
                    select(Delivery.status, func.count()).group_by(col(Delivery.status))
                ).all()
            )
        engine.dispose()

    _report_delivery(result, calls, stats, statuses, subscribers, rate)
    _report_timings(result, calls)


def _report_delivery(
    result: dict[str, Any],
    calls: list[Call],
    stats: dict[str, int],
    statuses: dict[str, int],
    subscribers: int,
    rate: float,
) -> None:
    """Print what was delivered: how fast, how many 429s, exactly once or not."""
    alerts = [c for c in calls if c.status == 200 and c.chat_id != PROBE_CHAT]
    received = sorted(c.timestamp for c in alerts)
    everything = sorted(c.timestamp for c in calls if c.status == 200)
    per_chat = Counter(c.chat_id for c in alerts)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    span = received[-1] - received[0] if len(received) > 1 else 0.0
    sustained = (len(received) - 1) / span if span > 0 else float("nan")
    dispatcher: TimedDispatcher = result["dispatcher"]
    limiter: PriorityRateLimiter = result["limiter"]

    print(f"enqueue_for_followers ({subscribers} rows): {result['enqueue_seconds']:.3f} s")
    print(
        f"broadcast: {len(received)} messages in {span:.1f} s of sending "
        f"({result['run_seconds']:.1f} s from start to drained)"
    )
    total = (len(everything) - 1) / span if span > 0 else float("nan")
    print(
        f"sustained rate: {sustained:.1f} alerts/s, {total:.1f} msg/s with the interactive "
        f"replies (limit {rate:g}); busiest sliding second at the server: "
        f"{max_in_window(everything)} messages"
    )
    print(
        f"429s: {stats['rate_limited']} from the server, "
        f"{dispatcher.stats.rate_limited} seen by the dispatcher, "
        f"{limiter.stats.rate_limited} by the limiter"
    )
    print(
        f"exactly once: {len(per_chat)}/{subscribers} chats reached, {duplicates} duplicates; "
        f"outbox statuses {statuses}"
    )


def _report_timings(result: dict[str, Any], calls: list[Call]) -> None:
    """Print the interactive replies' latency, the event loop's lag, claims and flushes."""
    probes: dict[str, float] = result["probes"]
    latencies = [
        (c.timestamp - probes[c.text]) * 1000
        for c in calls
        if c.chat_id == PROBE_CHAT and c.status == 200
    ]
    dispatcher: TimedDispatcher = result["dispatcher"]
    lags_ms = [lag * 1000 for lag in result["lags"]]
    claims = [seconds for seconds, rows in dispatcher.claim_times if rows]
    claim_rows = [rows for _, rows in dispatcher.claim_times if rows]
    flushes = [seconds for seconds, _ in dispatcher.flush_times]
    flush_rows = [rows for _, rows in dispatcher.flush_times]
    if latencies:
        print(
            f"interactive replies during the broadcast: {len(latencies)}, latency "
            f"median {statistics.median(latencies):.1f} ms, "
            f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms"
        )
    if lags_ms:
        print(
            f"event-loop lag (50 ms ticker): median {statistics.median(lags_ms):.1f} ms, "
            f"p99 {percentile(lags_ms, 0.99):.1f} ms, max {max(lags_ms):.1f} ms"
        )
    if claims:
        print(
            f"claims: {len(claims)} (median {statistics.median(claim_rows):.0f} rows), "
            f"median {statistics.median(claims) * 1000:.1f} ms, "
            f"max {max(claims) * 1000:.1f} ms (in a worker thread)"
        )
    if flushes:
        print(
            f"flushes: {len(flushes)} (median {statistics.median(flush_rows):.0f} results), "
            f"median {statistics.median(flushes) * 1000:.1f} ms, "
            f"max {max(flushes) * 1000:.1f} ms (in a worker thread)"
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS of the bot's process (botsim runs apart): {peak_kib / 1024:.0f} MiB")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=10_000, help="default 10000")
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[30.0],
        help="messages per second, for both the bot and the server (several: one run each)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--in-flight", type=int, default=64, help="the dispatcher's max_in_flight (default 64)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    args = parse_args(argv)
    print(machine_info())
    for rate in args.rate:
        run_once(args.db, args.subscribers, rate, args.in_flight)
    return 0


if __name__ == "__main__":
    sys.exit(main())
