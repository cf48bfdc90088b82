"""CPU per message of four ways to send the same alerts, side by side in one run.

    python benchmarks/cpu_per_send.py [--messages 3000] [--in-flight 64] [--profile]

botsim runs in its own process (no flood limit), so only the sending process's CPU
is counted (``time.process_time()``: every thread of this process, the dispatcher's
database threads included). Each sender sends ``--messages`` ``sendMessage`` calls to
as many different chats, at most ``--in-flight`` at once:

- raw aiohttp POSTs of the same JSON (the floor);
- python-telegram-bot ``Bot.send_message`` (httpx), no rate limiter;
- python-telegram-bot with ``AIORateLimiter`` (limits raised so that it does not wait);
- casebot's dispatcher with its outbox: the rows are written first (not counted), then
  claimed, rendered by the real renderer, sent through ``FastSender`` and recorded in
  SQLite, at a gate of 1,000/s.

Printed: CPU ms per message for each and the ratios to the raw floor and to plain PTB.
``--profile`` writes a pyinstrument profile of the dispatcher run (when installed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from benchmarks.broadcast_bench import bot_api_server, machine_info
from jobs.dispatcher import Dispatcher
from jobs.ratelimit import ChatPacer, SendGate
from jobs.render import AlertRenderer
from jobs.sender import FastSender
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Subscriber, Subscription
from storage.files.importer import SAMPLE_FILE, import_file
from storage.usecases.changes import change_status

FIRST_CHAT = 30_000_000
TEXT = (
    "⚠️ <b>Murager Alimuly</b>: deportation ordered.\nAnnounced in court. Facts as of 1 March 2026."
)


def payload(chat_id: int) -> dict[str, Any]:
    return {
        "chat_id": chat_id,
        "text": TEXT,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Open the case", "callback_data": "card:1"},
                    {"text": "Unsubscribe", "callback_data": "unsub:1"},
                ]
            ]
        },
    }


async def bounded(count: int, in_flight: int, send: Callable[[int], Awaitable[Any]]) -> None:
    """Run ``send(chat)`` for ``count`` chats, ``in_flight`` at a time."""
    slots = asyncio.Semaphore(in_flight)

    async def one(chat: int) -> None:
        async with slots:
            await send(chat)

    await asyncio.gather(*(one(FIRST_CHAT + n) for n in range(count)))


async def raw_aiohttp(url: str, token: str, count: int, in_flight: int) -> float:
    endpoint = f"{url}/bot{token}/sendMessage"
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(chat: int) -> None:
            body = json.dumps(payload(chat)).encode()
            async with session.post(
                endpoint, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                answer = json.loads(await response.read())
                assert answer["ok"], answer

        await send(FIRST_CHAT - 1)  # connect once before counting
        started = time.process_time()
        await bounded(count, in_flight, send)
        return time.process_time() - started


def ptb_kwargs(chat: int) -> dict[str, Any]:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

    return {
        "chat_id": chat,
        "text": TEXT,
        "parse_mode": "HTML",
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
        "reply_markup": InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Open the case", callback_data="card:1"),
                    InlineKeyboardButton("Unsubscribe", callback_data="unsub:1"),
                ]
            ]
        ),
    }


async def plain_ptb(url: str, token: str, count: int, in_flight: int, limiter: bool) -> float:
    request = HTTPXRequest(connection_pool_size=in_flight)
    bot: Bot
    if limiter:
        bot = ExtBot(
            token,
            base_url=f"{url}/bot",
            request=request,
            rate_limiter=AIORateLimiter(overall_max_rate=100_000, group_max_rate=100_000),
        )
    else:
        bot = Bot(token, base_url=f"{url}/bot", request=request)
    async with bot:

        async def send(chat: int) -> None:
            await bot.send_message(**ptb_kwargs(chat))

        await send(FIRST_CHAT - 1)
        started = time.process_time()
        await bounded(count, in_flight, send)
        return time.process_time() - started


def outbox(folder: str, count: int) -> Any:
    """An SQLite outbox with ``count`` pending alerts of one status change (not timed)."""
    engine = make_engine(f"sqlite:///{folder}/cpu.db")
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        chats = range(FIRST_CHAT, FIRST_CHAT + count)
        langs = ("kk", "ru", "en")
        session.add_all(Subscriber(chat_id=c, lang=langs[c % 3]) for c in chats)
        session.flush()
        session.add_all(Subscription(chat_id=c, case_id=1) for c in chats)
    with session_scope(engine) as session:
        result = change_status(
            session, case_id=1, dimension="risk", key="deportation_ordered",
            note={"en": "Announced in court."}, note_lang="en", now=datetime.now(UTC),
        )  # fmt: skip
    assert result is not None and result.alerts == count
    return engine


async def casebot(url: str, token: str, count: int, in_flight: int, profile: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        engine = outbox(folder, count)
        bot = Bot(token, base_url=f"{url}/bot")
        dispatcher = Dispatcher(
            engine=engine,
            bot=bot,
            renderer=AlertRenderer(zone="Asia/Almaty"),
            gate=SendGate(1000),
            pacer=ChatPacer(),
            clock=lambda: datetime.now(UTC),
            max_in_flight=in_flight,
            sender=FastSender(bot.base_url, connections=in_flight),
        )
        profiler = _profiler() if profile else None
        started = time.process_time()
        if profiler is not None:
            profiler.start()
        await dispatcher.start()
        await dispatcher.drain(timeout=600)
        await dispatcher.stop()
        cpu = time.process_time() - started
        if profiler is not None:
            profiler.stop()
            await asyncio.to_thread(
                Path("cpu_profile.txt").write_text, profiler.output_text(show_all=False)
            )
            print("  profile written to cpu_profile.txt")
        assert dispatcher.stats.sent == count, dispatcher.stats
        engine.dispose()
        return cpu


def _profiler() -> Any:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("  (pyinstrument is not installed: no profile)")
        return None
    return Profiler(async_mode="disabled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count, in_flight = args.messages, args.in_flight
    print(machine_info())
    print(f"{count:,} sendMessage calls, {in_flight} in flight, botsim in its own process")
    results: dict[str, float] = {}
    with bot_api_server(1e9) as (url, token, _):  # no flood limit
        runs: list[tuple[str, Callable[[], Coroutine[Any, Any, float]]]] = [
            ("raw aiohttp POSTs", lambda: raw_aiohttp(url, token, count, in_flight)),
            ("PTB send_message (httpx)", lambda: plain_ptb(url, token, count, in_flight, False)),
            ("PTB with AIORateLimiter", lambda: plain_ptb(url, token, count, in_flight, True)),
            ("casebot dispatcher + outbox",
             lambda: casebot(url, token, count, in_flight, args.profile)),
        ]  # fmt: skip
        for name, run in runs:
            results[name] = asyncio.run(run()) / count * 1000
            print(f"  {name:<30} {results[name]:.3f} ms CPU per message")
    floor = results["raw aiohttp POSTs"]
    ptb = results["PTB send_message (httpx)"]
    print("| sender | CPU per message | × raw | × plain PTB |")
    print("|---|---|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value:.2f} ms | {value / floor:.1f} | {value / ptb:.2f} |")


if __name__ == "__main__":
    main()
