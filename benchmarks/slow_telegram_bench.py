"""Benchmark: a broadcast while Telegram answers slowly — duplicates and losses.

    python benchmarks/slow_telegram_bench.py                    # 1,000 alerts; 15 s late for 20 s
    python benchmarks/slow_telegram_bench.py --read-timeout 10  # answers later than the time-out
    python benchmarks/slow_telegram_bench.py --db postgres      # TEST_DATABASE_URL

One case followed by N private chats gets one alert each; the dispatcher sends them
through an ``ExtBot`` with the PriorityRateLimiter at ``--rate`` to botsim, in a child
process, enforcing the same rate. Once a quarter of the alerts have arrived, botsim
answers every message ``--delay`` seconds late for ``--window`` seconds: the message
is recorded at once and the answer comes late, as when Telegram is slow. A client
whose read time-out is shorter than the delay gives up on a message that did arrive,
and sends it again: a duplicate. Printed: the machine, the dispatcher's time-outs,
how many answers were delayed, time-outs seen and brake holds, duplicates (messages
botsim received more than once for the same delivery; one delivery per chat here)
and losses (deliveries botsim never received), and the time to drain.

Without ``--read-timeout`` the dispatcher's own time-outs are used (the script then
runs against older versions too, to measure them).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import multiprocessing
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, col, func, select
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

import botsim.server
from benchmarks.broadcast_bench import BenchRenderer, add_followers, database, machine_info
from botsim.objects import SentMessage
from botsim.server import BotApiServer
from jobs.dispatcher import Dispatcher
from jobs.limiter import PriorityRateLimiter
from jobs.ratelimit import SendGate
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Delivery, utcnow
from storage.outbox import enqueue_for_followers
from storage.payloads import StatusAlert


class SlowWindow:
    """Answers every message `delay` s late for `length` s, from the `after`-th on."""

    def __init__(self, *, after: int, delay: float, length: float) -> None:
        self.after, self.delay, self.length = after, delay, length
        self.opened_at: float | None = None
        self.delayed = 0
        self._seen = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def on_send(self, message: SentMessage) -> None:
        """botsim's callback, in the request's thread: holding it holds that answer."""
        with self._lock:
            self._seen += 1
            now = time.monotonic()
            if self.opened_at is None and self._seen > self.after:
                self.opened_at = now
            slow = self.opened_at is not None and now < self.opened_at + self.length
            if slow:
                self.delayed += 1
        if slow:
            self._stop.wait(self.delay)

    def stop(self) -> None:
        """Answer everything at once (the server is stopping)."""
        self._stop.set()


def serve(conn: Connection, rate: float, after: int, delay: float, length: float) -> None:
    """Child process: botsim at `rate` with a slow window; answers the parent on `conn`."""
    botsim.server._HTTPServer.request_queue_size = 128
    server = BotApiServer(messages_per_second=rate)
    window = SlowWindow(after=after, delay=delay, length=length)
    server.on_send(window.on_send)
    server.start()
    conn.send((server.url, server.token))
    conn.recv()  # the parent is done
    window.stop()
    received = Counter(int(m.chat_id) for m in server.outbox())
    stats = server.stats
    server.stop()
    conn.send((received, window.delayed, stats.rate_limited))


@contextmanager
def slow_server(
    rate: float, after: int, delay: float, length: float
) -> Iterator[tuple[str, str, Connection]]:
    """botsim in a child process (its own GIL, as Telegram is apart from the bot)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(child, rate, after, delay, length), daemon=True)
    process.start()
    url, token = parent.recv()
    try:
        yield url, token, parent
    finally:
        process.join(30)


def dispatcher_options(read_timeout: float | None) -> dict[str, Any]:
    """The time-outs to pass, when asked for and when this version takes them."""
    if read_timeout is None:
        return {}
    if "timeouts" not in inspect.signature(Dispatcher.__init__).parameters:
        raise SystemExit("this version of the dispatcher takes no time-outs; omit --read-timeout")
    from jobs.sendpolicy import SendTimeouts

    return {"timeouts": SendTimeouts(read=read_timeout)}


async def broadcast(
    engine: Any, url: str, token: str, case_id: int, args: argparse.Namespace
) -> tuple[Dispatcher, float]:
    gate = SendGate(args.rate)
    bot: ExtBot[Any] = ExtBot(
        token,
        base_url=f"{url}/bot",
        rate_limiter=PriorityRateLimiter(gate),
        request=HTTPXRequest(connection_pool_size=256),
    )
    async with bot:
        dispatcher = Dispatcher(
            engine=engine,
            bot=bot,
            renderer=BenchRenderer(),
            gate=gate,
            clock=utcnow,
            **dispatcher_options(args.read_timeout),
        )
        with session_scope(engine) as session:
            enqueue_for_followers(
                session,
                case_id=case_id,
                kind="status",
                what="custody:v2",
                payload=StatusAlert(dimension="custody", old="detained", new="released"),
                due_at=utcnow(),
                urgent=True,
            )
        started = time.monotonic()
        await dispatcher.start()
        await dispatcher.drain(timeout=args.alerts / args.rate * 4 + args.window * 4 + 120)
        seconds = time.monotonic() - started
        await dispatcher.stop(timeout=args.delay + 5)
    return dispatcher, seconds


def run(args: argparse.Namespace) -> None:
    """One broadcast with a slow window; prints the figures."""
    after = args.after if args.after is not None else args.alerts // 4
    dispatcher_timeouts = getattr(
        dispatcher_options(args.read_timeout).get("timeouts"), "read", None
    )
    read = (
        f"read time-out {dispatcher_timeouts:g} s"
        if dispatcher_timeouts is not None
        else "the dispatcher's default time-outs"
    )
    print(
        f"\n== {args.alerts} alerts at {args.rate:g}/s, {args.db}; answers {args.delay:g} s late "
        f"for {args.window:g} s from message {after + 1}; {read} ==",
        flush=True,
    )
    with database(args.db) as url:
        engine = make_engine(url)
        upgrade(engine)
        case_id = add_followers(engine, args.alerts)
        with slow_server(args.rate, after, args.delay, args.window) as (server_url, token, control):
            dispatcher, seconds = asyncio.run(broadcast(engine, server_url, token, case_id, args))
            control.send("done")
            received, delayed, rate_limited = control.recv()
        with Session(engine) as session:
            statuses = dict(
                session.exec(
                    select(Delivery.status, func.count()).group_by(col(Delivery.status))
                ).all()
            )
        engine.dispose()
    duplicates = sum(count - 1 for count in received.values())
    lost = args.alerts - len(received)
    stats = dispatcher.stats
    print(f"answers delayed by botsim: {delayed}; 429s: {rate_limited}")
    timeouts = getattr(stats, "timed_out", None)
    holds = getattr(stats, "holds", None)
    if timeouts is not None:
        print(f"time-outs seen by the dispatcher: {timeouts}; brake holds: {holds}")
    print(
        f"duplicates: {duplicates} ({duplicates / args.alerts:.1%} of the broadcast); "
        f"lost: {lost}; outbox statuses {statuses}"
    )
    print(f"drained in {seconds:.1f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=1000, help="default 1000")
    parser.add_argument("--rate", type=float, default=30.0, help="messages per second (30)")
    parser.add_argument("--delay", type=float, default=15.0, help="seconds late (15)")
    parser.add_argument("--window", type=float, default=20.0, help="seconds of slowness (20)")
    parser.add_argument(
        "--after", type=int, default=None, help="messages before it (a quarter of the alerts)"
    )
    parser.add_argument("--read-timeout", type=float, default=None, help="the sends' read time-out")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    args = parse_args(argv)
    print(machine_info())
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
