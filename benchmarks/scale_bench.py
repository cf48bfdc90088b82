"""Scale benchmark: one worker at Telegram's limits, and 100,000 subscribers across 10,000 cases.

    python benchmarks/scale_bench.py --mode paid   # 100,000 urgent alerts at 1,000/s, paid
    python benchmarks/scale_bench.py --mode free   # 10,000 alerts at the free 30/s
    python benchmarks/scale_bench.py --mode zipf   # the spread below, 1 and 2 workers

``paid``: one case followed by ``--subscribers`` (100,000) chats; one urgent status
change is written as Send writes it, and one ``casebot worker`` process with
``CASEBOT_RATE=1000 CASEBOT_PAID_BROADCAST=urgent`` sends it to botsim (in this
process, so not the worker's: Telegram's limits, 30/s without the flag and 1,000/s
with it, a Stars balance). Printed: time from Send to the last delivery, delivered per
second, paid messages and Stars, 429s, rows lost, duplicates, the worker's peak RSS.
``free``: the same with 10,000 chats at ``CASEBOT_RATE=30`` and no paid broadcasts.

``zipf``:
For each database it prints the time to enqueue one status change (for the most
followed case and for a typical one), then the dispatcher's throughput draining
such a broadcast against the local Bot API server limited to 1,000 messages per
second (paid broadcasts), with one and with two `casebot worker` processes, and
each worker's peak memory (VmHWM). Traffic goes to 127.0.0.1 only.

    python benchmarks/scale_bench.py [--subscribers 100000] [--cases 10000]
                                     [--db sqlite|postgres|both]

PostgreSQL is used when TEST_DATABASE_URL is set (a private schema is created
and dropped).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, text
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import botsim.server  # noqa: E402
from benchmarks.collector import without_collector_pauses  # noqa: E402
from botsim.server import BotApiServer  # noqa: E402
from storage.database.engine import make_engine, session_scope, upgrade  # noqa: E402
from storage.database.models import Case, CaseName, Delivery, Subscriber, Subscription  # noqa: E402
from storage.usecases.changes import change_status  # noqa: E402

FIRST_CHAT = 20_000_000
KEYS = ("detained", "imprisoned", "released", "free", "abroad", "house_arrest")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}; {os.cpu_count()} cores; Python {platform.python_version()}"


def seed(engine: Engine, subscribers: int, cases: int) -> list[int]:
    """Cases and subscribers; each follows 1-3 cases drawn from a Zipf-like law.

    Returns case ids, most followed first.
    """
    rng = random.Random(7)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.execute(
            insert(Case),
            [
                {
                    "slug": f"case-{n}",
                    "summary": {},
                    "suspended": False,
                    "version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(cases)
            ],
        )
        ids = list(session.exec(select(Case.id).order_by(col(Case.id))).all())
        session.execute(
            insert(CaseName),
            [
                {
                    "case_id": case_id,
                    "lang": "en",
                    "text": f"Person {case_id}",
                    "is_primary": True,
                    "key": f"person {case_id}",
                }
                for case_id in ids
            ],
        )
        _seed_followers(session, [i for i in ids if i is not None], subscribers, rng, now)
    with session_scope(engine) as session:
        counts = session.exec(
            select(Subscription.case_id, func.count()).group_by(col(Subscription.case_id))
        ).all()
    return [case_id for case_id, _ in sorted(counts, key=lambda row: -row[1])]


def _seed_followers(
    session: Session, ids: list[int], subscribers: int, rng: random.Random, now: datetime
) -> None:
    """The subscribers (a third in each language), each following 1-3 cases drawn from a
    Zipf-like law over `ids`."""
    chats = range(FIRST_CHAT, FIRST_CHAT + subscribers)
    session.execute(
        insert(Subscriber),
        [
            {
                "chat_id": chat,
                "chat_type": "private",
                "lang": ("kk", "ru", "en")[chat % 3],
                "blocked": False,
                "gone": False,
                "created_at": now,
                "updated_at": now,
            }
            for chat in chats
        ],
    )
    weights = [1 / (rank + 1) for rank in range(len(ids))]
    rows = []
    for chat in chats:
        for case_index in set(rng.choices(range(len(ids)), weights, k=rng.randint(1, 3))):
            rows.append({"chat_id": chat, "case_id": ids[case_index], "created_at": now})
    for start in range(0, len(rows), 20_000):
        session.execute(insert(Subscription), rows[start : start + 20_000])


def enqueue(engine: Engine, case_id: int, key: str) -> tuple[int, float]:
    start = time.perf_counter()
    with session_scope(engine) as session:
        result = change_status(
            session, case_id=case_id, dimension="custody", key=key, now=datetime.now(UTC)
        )
    elapsed = time.perf_counter() - start
    return (result.alerts if result else 0), elapsed


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def drain(url: str, server: BotApiServer, expected: int, workers: int, data_dir: Path) -> None:
    """Start `workers` casebot worker processes; time them draining `expected` alerts."""
    before = server.stats.sent
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_URL": server.url,
        "CASEBOT_RATE": str(1000 // workers),
        "CASEBOT_PAID_BROADCAST": "all",
        "CASEBOT_PAID_BUDGET": "100000",
        "CASEBOT_DATA_DIR": str(data_dir),
    }
    script = Path(sys.executable).parent / "casebot"
    processes = [
        subprocess.Popen(
            [str(script), "worker", "--id", f"bench-{n}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    try:
        deadline = time.monotonic() + 600
        while server.stats.sent == before and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.perf_counter()
        while server.stats.sent - before < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        peaks = [peak_rss_kib(process.pid) for process in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(30)
    got = server.stats.sent - before
    print(
        f"  {workers} worker(s): {got:,} messages in {elapsed:.1f} s = {got / elapsed:,.0f}/s; "
        f"429s {server.stats.rate_limited}; peak RSS per worker "
        f"{', '.join(f'{kib / 1024:.0f} MiB' for kib in peaks)}"
    )


def one_case(engine: Engine, subscribers: int) -> int:
    """One case followed by ``subscribers`` chats; returns its id."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        case = Case(slug="the-case", summary={})
        session.add(case)
        session.flush()
        assert case.id is not None
        session.add(CaseName(case_id=case.id, lang="en", text="The Person", is_primary=True,
                             key="the person"))  # fmt: skip
        chats = range(FIRST_CHAT, FIRST_CHAT + subscribers)
        langs = ("kk", "ru", "en")
        for start in range(0, subscribers, 20_000):
            part = chats[start : start + 20_000]
            session.execute(insert(Subscriber), [
                {"chat_id": c, "chat_type": "private", "lang": langs[c % 3], "blocked": False,
                 "gone": False, "created_at": now, "updated_at": now} for c in part])  # fmt: skip
            session.execute(
                insert(Subscription),
                [{"chat_id": c, "case_id": case.id, "created_at": now} for c in part],
            )
        return case.id


def at_the_limit(url: str, subscribers: int, paid: bool) -> None:
    """One worker sends one alert to every subscriber; see the module docstring."""
    label = "paid broadcasts, 1,000/s" if paid else "free rate, 30/s"
    print(f"--- {label}: one status change to {subscribers:,} subscribers (SQLite)")
    engine = make_engine(url)
    upgrade(engine)
    case_id = one_case(engine, subscribers)
    env = {"CASEBOT_RATE": "30"}
    if paid:
        env = {"CASEBOT_RATE": "1000", "CASEBOT_PAID_BROADCAST": "urgent",
               "CASEBOT_PAID_BUDGET": str(subscribers)}  # fmt: skip
    # socketserver listens with a backlog of 5: a pool opening many connections at once
    # gets some reset, which Telegram's servers don't do. Give it a server's backlog.
    botsim.server._HTTPServer.request_queue_size = 512
    with (
        BotApiServer(messages_per_second=30) as server,
        tempfile.TemporaryDirectory() as scratch,
        without_collector_pauses(),
    ):
        server.set_star_balance(subscribers)
        worker = start_worker(url, server, Path(scratch), env)
        try:
            time.sleep(3)  # the worker connects, reads the balance and starts
            started = time.perf_counter()
            with session_scope(engine) as session:
                result = change_status(
                    session,
                    case_id=case_id,
                    dimension="risk",
                    key="deportation_ordered",
                    now=datetime.now(UTC),
                )
            assert result is not None and result.alerts == subscribers
            first, last = wait_for(server, subscribers, started)
            peak = peak_rss_kib(worker.pid)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        report(server, engine, subscribers, started, first, last, peak)
    engine.dispose()


def start_worker(url: str, server: BotApiServer, data_dir: Path, extra: dict[str, str]) -> Any:
    env = {**os.environ, "DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": server.token,
           "TELEGRAM_API_URL": server.url, "CASEBOT_DATA_DIR": str(data_dir), **extra}  # fmt: skip
    script = Path(sys.executable).parent / "casebot"
    return subprocess.Popen(
        [str(script), "worker", "--id", "bench"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(server: BotApiServer, expected: int, started: float) -> tuple[float, float]:
    """Wait until ``expected`` messages arrived; the first's and the last's times."""
    first = 0.0
    deadline = time.monotonic() + 1200
    while server.stats.sent < expected and time.monotonic() < deadline:
        if not first and server.stats.sent:
            first = time.perf_counter()
        time.sleep(0.05)
    return first or started, time.perf_counter()


def report(server: BotApiServer, engine: Engine, expected: int, started: float, first: float,
           last: float, peak_kib: int) -> None:  # fmt: skip
    sent = server.stats.sent
    per_chat = Counter(message.chat_id for message in server.outbox())
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    with session_scope(engine) as session:
        left = session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status != "sent")
        ).one()
    lost = expected - len(per_chat)
    rate = sent / (last - first)
    print(f"  {sent:,} delivered {last - started:.1f} s after Send "
          f"(first after {first - started:.2f} s): {rate:,.1f} delivered/s")  # fmt: skip
    print(f"  paid: {server.stats.paid:,} messages, {server.stats.paid / 10:,.1f} Stars; "
          f"429s: {server.stats.rate_limited} ({server.stats.rate_limited_paid} paid); "
          f"lost: {lost}; duplicates: {duplicates}; "
          f"rows not sent: {left}; worker peak RSS {peak_kib / 1024:.0f} MiB")  # fmt: skip


def run(label: str, url: str, subscribers: int, cases: int) -> None:
    print(f"--- {label}: {subscribers:,} subscribers across {cases:,} cases")
    engine = make_engine(url)
    upgrade(engine)
    start = time.perf_counter()
    order = seed(engine, subscribers, cases)
    print(f"  seeding: {time.perf_counter() - start:.1f} s")
    with session_scope(engine) as session:
        followers = Counter(session.exec(select(Subscription.case_id)).all())
    biggest, typical = order[0], order[len(order) // 2]
    for name, case_id in (("most followed", biggest), ("typical", typical)):
        alerts, elapsed = enqueue(engine, case_id, "detained")
        print(
            f"  enqueue one status change, {name} case ({followers[case_id]:,} followers): "
            f"{alerts:,} rows in {elapsed * 1000:.0f} ms"
        )
    with session_scope(engine) as session:
        session.execute(text("UPDATE deliveries SET status = 'sent'"))
    with (
        BotApiServer(messages_per_second=1000) as server,
        tempfile.TemporaryDirectory() as scratch,
        without_collector_pauses(),
    ):
        for workers, key in ((1, "imprisoned"), (2, "released")):
            alerts, _ = enqueue(engine, biggest, key)
            drain(url, server, alerts, workers, Path(scratch))
            with session_scope(engine) as session:
                left = session.exec(
                    select(func.count()).select_from(Delivery).where(Delivery.status != "sent")
                ).one()
            print(f"    rows not sent afterwards: {left}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("paid", "free", "zipf"), default="paid")
    parser.add_argument("--subscribers", type=int, default=None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(machine())
    if args.mode in ("paid", "free"):
        count = args.subscribers or (100_000 if args.mode == "paid" else 10_000)
        with tempfile.TemporaryDirectory() as folder:
            at_the_limit(f"sqlite:///{folder}/bench.db", count, args.mode == "paid")
        return
    args.subscribers = args.subscribers or 100_000
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.db", args.subscribers, args.cases)
    base = os.environ.get("TEST_DATABASE_URL")
    if args.db in ("postgres", "both"):
        if not base:
            print("--- PostgreSQL: skipped (TEST_DATABASE_URL is not set)")
            return
        schema = f"casebot_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            separator = "&" if "?" in base else "?"
            run(
                "PostgreSQL",
                f"{base}{separator}options=-csearch_path%3D{schema}",
                args.subscribers,
                args.cases,
            )
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
