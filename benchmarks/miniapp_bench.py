"""Benchmark of the organizers' Mini App API: the initData check, and request times over
HTTP on 127.0.0.1 against an SQLite file with the sample cases and N subscribers.

Run: .venv/bin/python benchmarks/miniapp_bench.py [--subscribers 1000] [--requests 200]

It prints the time of one initData check, then the median, p90 and p99 of each call
as the app makes it (sequential, one client): the case list search, the case editor,
a hearing preview (the chat's dry run: every subscriber's alert is written in a
transaction that is rolled back) and its Send, and the sentence estimate; then the
rate of ``/me`` with 16 concurrent clients. Every call is signed, so each one includes
the HMAC check and the organizer look-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from services import Services  # noqa: E402
from settings import load_settings  # noqa: E402
from storage.database.engine import make_engine, session_scope, upgrade  # noqa: E402
from storage.files.importer import SAMPLE_FILE, import_file  # noqa: E402
from storage.usecases.subscriptions import subscribe  # noqa: E402
from tests.e2e.miniapp_support import build_app, init_data, serve  # noqa: E402
from web.miniapp.auth import validate_init_data  # noqa: E402

TOKEN = "123456:BENCH-token-for-the-mini-app-0123456789"
NOW = datetime(2026, 6, 19, 6, 0, tzinfo=UTC)


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return (
        f"median {statistics.median(ordered) * 1000:6.2f} ms, p90 {p90 * 1000:6.2f} ms, "
        f"p99 {p99 * 1000:6.2f} ms"
    )


def check_speed() -> None:
    data = init_data(TOKEN, NOW)
    rounds = 20000
    start = time.perf_counter()
    for _ in range(rounds):
        validate_init_data(data, bot_token=TOKEN, now=NOW, max_age=timedelta(hours=1))
    each = (time.perf_counter() - start) / rounds
    print(f"initData check: {each * 1e6:.1f} µs per call ({rounds} calls)")


async def timed(label: str, count: int, call: Callable[[int], Awaitable[Any]]) -> None:
    samples = []
    for number in range(count):
        start = time.perf_counter()
        await call(number)
        samples.append(time.perf_counter() - start)
    print(f"{label:<28} {figures(samples)}  ({count} requests)")


async def _concurrent_me(get: Callable[[str], Awaitable[Any]], *, total: int, clients: int) -> None:
    """Print how many ``/me`` calls `clients` concurrent clients get answered a second."""
    start = time.perf_counter()

    async def client(share: int) -> None:
        for _ in range(share):
            await get("me")

    await asyncio.gather(*(client(total // clients) for _ in range(clients)))
    elapsed = time.perf_counter() - start
    print(f"/me with {clients} concurrent clients: {total / elapsed:.0f} requests/s")


async def run(subscribers: int, requests: int, folder: Path) -> None:
    settings = load_settings(
        {"CASEBOT_DATA_DIR": str(folder), "CASEBOT_ADMINS": "900"}, env_file=None
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        for chat_id in range(10_000, 10_000 + subscribers):
            subscribe(
                session, chat_id=chat_id, case_id=1, telegram_lang=("kk", "ru", "en")[chat_id % 3]
            )
    clock = {"now": NOW}
    services = Services(settings=settings, engine=engine, clock=lambda: clock["now"])
    runner, base = await serve(build_app(services, TOKEN))
    headers = {"Authorization": f"tma {init_data(TOKEN, NOW)}"}
    async with aiohttp.ClientSession(base_url=base, headers=headers) as http:

        async def get(path: str) -> Any:
            async with http.get(f"/app/api/{path}") as response:
                assert response.status == 200, await response.text()
                return await response.json()

        async def post(path: str, body: Any) -> Any:
            async with http.post(f"/app/api/{path}", json=body) as response:
                assert response.status == 200, await response.text()
                return await response.json()

        await timed("search (GET cases?q=)", requests, lambda n: get("cases?q=Alimuly"))
        await timed("case editor (GET cases/1)", requests, lambda n: get("cases/1"))

        def hearing(number: int) -> dict[str, Any]:
            day = (NOW + timedelta(days=10 + number)).date().isoformat()
            return {"kind": "hearing", "date": day, "time": "10:30", "court_id": "1"}

        drafts: list[int] = []

        async def preview(number: int) -> None:
            found = await post("cases/1/preview", hearing(number))
            drafts.append(found["draft_id"])

        print(f"hearing previews and sends for {subscribers} subscribers:")
        await timed("  preview (dry run + draft)", requests // 4, preview)

        async def send(number: int) -> None:
            found = await post(f"drafts/{drafts[number]}/send", {})
            assert found["state"] == "sent", found

        sent = min(len(drafts), requests // 4)
        await timed("  send (alerts queued)", sent, send)
        estimate = {"months": "12", "ratio": "2", "detained": "2019-10-18", "verdict": "2020-01-21"}
        await timed("sentence estimate", requests, lambda n: post("estimate", estimate))

        await _concurrent_me(get, total=requests * 4, clients=16)
    await runner.cleanup()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} cores, Python {platform.python_version()}")
    check_speed()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(args.subscribers, args.requests, Path(folder)))


if __name__ == "__main__":
    main()
