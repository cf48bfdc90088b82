"""Website benchmark: 10,000 cases, the case page's server time, pages per second under 200
concurrent clients, and the bot's /case reply time during that load.

1. In process: the server time of a case page (`Site.case_page`, what a request spends
   in casebot besides HTTP), first render and then from the cache (the case unchanged).
2. `casebot run --web` in its own process, long-polling the local Bot API server
   (botsim), with 200 concurrent HTTP clients (aiohttp, keep-alive, gzip) fetching
   case pages of 1,000 cases in three languages for `--seconds`, while a user sends
   `/case <name>` every 100 ms: pages per second and the reply time of /case (from the
   update queued to the answer recorded by botsim), p50 / p99. The clients run in a
   process of their own; botsim runs in this one.

    python benchmarks/web_bench.py [--cases 10000] [--clients 200] [--seconds 20]

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import Engine, insert
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from botsim.server import BotApiServer  # noqa: E402
from storage.database.engine import make_engine, session_scope, upgrade  # noqa: E402
from storage.database.models import Case, CaseName, Court, Hearing, TimelineEvent  # noqa: E402
from storage.domain.names import name_key  # noqa: E402
from storage.reads.lookup import LiveIndex  # noqa: E402
from web.server import site_for  # noqa: E402

SYLLABLES_KK = ["Ар", "ман", "Ғали", "Қай", "сар", "Нұр", "бек", "Әлі", "жан", "Ұлы", "Сәу", "ле"]
LATIN = {
    "Ар": "Ar", "ман": "man", "Ғали": "Ghali", "Қай": "Qai", "сар": "sar", "Нұр": "Nur",
    "бек": "bek", "Әлі": "Ali", "жан": "zhan", "Ұлы": "Uly", "Сәу": "Sau", "ле": "le",
}  # fmt: skip


def machine() -> str:
    """The CPU, its cores and the Python version."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}; {os.cpu_count()} cores; Python {platform.python_version()}"


def _name(rng: random.Random) -> tuple[str, str]:
    """A made-up two-word name in Kazakh Cyrillic and its Latin spelling."""
    kk_words, en_words = [], []
    for _ in range(2):
        first, second = rng.choice(SYLLABLES_KK), rng.choice(SYLLABLES_KK)
        kk_words.append(first + second.lower())
        en_words.append((LATIN[first] + LATIN[second].lower()).capitalize())
    return " ".join(kk_words), " ".join(en_words)


def seed(engine: Engine, cases: int) -> list[tuple[str, str]]:
    """`cases` cases with three names, a court hearing and ten sourced events each."""
    rng = random.Random(13)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        court = Court(slug="zaysan", tz="Asia/Almaty", name={"en": "Zaysan district court"})
        session.add(court)
        session.flush()
        session.execute(
            insert(Case),
            [
                {
                    "slug": f"case-{n}",
                    "summary": {"en": f"Summary of case {n}. " * 8},
                    "summary_lang": "en",
                    "custody": rng.choice(["detained", "imprisoned", "released"]),
                    "proceedings": "trial",
                    "suspended": False,
                    "version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(cases)
            ],
        )
        ids = [case_id for case_id in session.exec(select(Case.id).order_by(col(Case.id)))]
        names: list[tuple[str, str]] = []
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        hearings: list[dict[str, Any]] = []
        for number, case_id in enumerate(ids):
            kk, en = _name(rng)
            names.append((f"case-{number}", kk))
            for lang, text in (("kk", kk), ("en", en)):
                key = name_key(text)
                rows.append(
                    {"case_id": case_id, "lang": lang, "text": text, "is_primary": True, "key": key}
                )
            hearings.append({
                "case_id": case_id, "court_id": court.id, "starts_at": now + timedelta(days=30),
                "tz": "Asia/Almaty", "time_known": True, "status": "scheduled", "judge": {},
                "note": {}, "version": 0, "created_at": now, "updated_at": now,
            })  # fmt: skip
            for n in range(10):
                events.append({
                    "case_id": case_id, "occurred_on": (now - timedelta(days=400 - n * 30)).date(),
                    "precision": "day", "lang": "en", "text": {"en": f"Event {n}: " + "word " * 30},
                    "source_title": "Report", "source_outlet": "Outlet",
                    "source_url": f"https://example.org/{case_id}/{n}", "position": 0,
                    "created_at": now,
                })  # fmt: skip
        session.execute(insert(CaseName), rows)
        session.execute(insert(Hearing), hearings)
        session.execute(insert(TimelineEvent), events)
    return names


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def server_time(engine: Engine, cases: int) -> None:
    """Part 1: Site.case_page in process, cold and then from the cache."""
    site = site_for(
        engine=engine,
        lookup=LiveIndex(),
        clock=lambda: datetime.now(UTC),
        public_url="http://127.0.0.1:8080",
        zone=ZoneInfo("Asia/Almaty"),
        bot_username=lambda: "casebot_bench_bot",
    )
    slugs = [f"case-{n}" for n in random.Random(5).sample(range(cases), min(cases, 1000))]
    for label in ("first render", "from the cache"):
        times: list[float] = []
        size = squeezed = 0
        for slug in slugs:
            start = time.perf_counter()
            page = site.case_page("ru", slug)
            times.append((time.perf_counter() - start) * 1000)
            assert page is not None
            size = max(size, len(page.body))
            squeezed = max(squeezed, len(page.gzipped or b""))
        print(
            f"case page server time, {label}: p50 {statistics.median(times):.2f} ms, "
            f"p99 {percentile(times, 0.99):.2f} ms (largest page {size / 1024:.0f} KiB, "
            f"{squeezed / 1024:.0f} KiB gzipped)"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _load(url: str, clients: int, seconds: float, cases: int) -> tuple[int, int, float]:
    slugs = [f"case-{n}" for n in random.Random(9).sample(range(cases), min(cases, 1000))]
    paths = [f"/{lang}/cases/{slug}" for slug in slugs for lang in ("kk", "ru", "en")]
    done = errors = 0
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        warm = time.monotonic()
        queue = list(paths)

        async def warm_up() -> None:  # every page rendered once: the run measures the cache
            while queue:
                async with session.get(url + queue.pop()) as response:
                    await response.read()

        await asyncio.gather(*(warm_up() for _ in range(4)))
        print(f"first renders of {len(paths)} pages over HTTP, 4 clients: "
              f"{len(paths) / (time.monotonic() - warm):.0f} pages/s")  # fmt: skip
        deadline = time.monotonic() + seconds

        async def client(seed: int) -> None:
            nonlocal done, errors
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                async with session.get(
                    url + rng.choice(paths), headers={"Accept-Encoding": "gzip"}
                ) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1
                    else:
                        errors += 1

        start = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return done, errors, time.monotonic() - start


def _run_load(url: str, clients: int, seconds: float, cases: int) -> tuple[int, int, float]:
    """The HTTP clients, in the pool's process."""
    return asyncio.run(_load(url, clients, seconds, cases))


def _ask_case(server: BotApiServer, names: list[tuple[str, str]], stop: threading.Event,
              times: list[float], *, once: bool = False) -> None:  # fmt: skip
    rng = random.Random(3)
    asked = 0
    while not stop.is_set():
        _slug, name = rng.choice(names)
        asked += 1
        user = 5001 + asked % 500  # many users: one asking every 100 ms would be flood-limited
        since = len(server.outbox(user))
        start = time.perf_counter()
        server.user_message(f"/case {name}", user_id=user, language_code="kk")
        try:
            server.wait_for_messages(user, 1, since=since, timeout=10)
        except TimeoutError:
            times.append(10_000.0)
            continue
        times.append((time.perf_counter() - start) * 1000)
        if once:
            return
        time.sleep(0.1)


def under_load(
    db_url: str, data_dir: Path, names: list[tuple[str, str]], args: argparse.Namespace
) -> None:
    """Part 2: casebot run --web in its own process, 200 clients, /case meanwhile."""
    port = _free_port()
    with BotApiServer() as server:
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_API_URL": server.url,
            "CASEBOT_DATA_DIR": str(data_dir),
            "CASEBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        script = Path(sys.executable).parent / "casebot"
        process = subprocess.Popen(
            [str(script), "run", "--web", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("WEB_BENCH_LOG", os.devnull), "w"),  # noqa: SIM115
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/en/")
            warm: list[float] = []  # the first search builds the name index (once a process)
            _ask_case(server, names, threading.Event(), warm, once=True)
            print(f"first /case (builds the search index of {args.cases} cases): {warm[0]:.0f} ms")
            quiet: list[float] = []
            stop = threading.Event()
            asker = threading.Thread(target=_ask_case, args=(server, names, stop, quiet))
            asker.start()
            time.sleep(3)
            stop.set()
            asker.join()
            times: list[float] = []
            stop = threading.Event()
            asker = threading.Thread(target=_ask_case, args=(server, names, stop, times))
            asker.start()
            # The clients run in a process of their own, so that they do not slow down
            # botsim (in this one) and with it the /case replies measured here.
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                done, errors, elapsed = pool.apply(
                    _run_load, (f"http://127.0.0.1:{port}", args.clients, args.seconds, args.cases)
                )
            stop.set()
            asker.join()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    print(
        f"{args.clients} concurrent clients: {done / elapsed:.0f} case pages/s "
        f"({done} in {elapsed:.1f} s, {errors} errors)"
    )
    print(
        f"bot /case reply without load: p50 {statistics.median(quiet):.0f} ms, "
        f"p99 {percentile(quiet, 0.99):.0f} ms ({len(quiet)} replies)"
    )
    print(
        f"bot /case reply during the load: p50 {statistics.median(times):.0f} ms, "
        f"p99 {percentile(times, 0.99):.0f} ms ({len(times)} replies)"
    )


def _wait_for(url: str) -> None:
    async def poll() -> None:
        deadline = time.monotonic() + 120
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{url} did not answer")

    asyncio.run(poll())


def main() -> None:
    """Seed, then both parts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        db_url = f"sqlite:///{scratch}/web.db"
        engine = make_engine(db_url)
        upgrade(engine)
        start = time.perf_counter()
        names = seed(engine, args.cases)
        print(f"seeded {args.cases} cases (2 names, 1 hearing, 10 events each) "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        server_time(engine, args.cases)
        engine.dispose()
        under_load(db_url, Path(scratch), names, args)


if __name__ == "__main__":
    main()
