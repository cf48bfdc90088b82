"""What the Mini App's tests share: initData signed as Telegram signs it, the app served
on 127.0.0.1 from a given event loop, and a snapshot of every table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from services import Services
from web.miniapp import setup
from web.miniapp.auth import signed_init_data


def init_data(
    token: str,
    now: datetime,
    *,
    user_id: int = 900,
    age: timedelta = timedelta(minutes=1),
    language_code: str = "en",
) -> str:
    """initData for ``user_id``, signed with ``token``, ``age`` before ``now``."""
    user = {
        "id": user_id,
        "first_name": "Ainur",
        "username": "ainur",
        "language_code": language_code,
    }
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":")),
        "auth_date": str(int((now - age).timestamp())),
    }
    return signed_init_data(fields, token)


def build_app(services: Services, token: str) -> web.Application:
    """A bare aiohttp application with the Mini App under /app/."""
    app = web.Application()
    setup(app, services=services, bot_token=token)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free port of 127.0.0.1; returns the runner and the base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    return runner, f"http://127.0.0.1:{port}"


def snapshot(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every table, to show that a refused call changed nothing."""
    found: dict[str, list[Any]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            found[table.name] = sorted(map(repr, rows))
    return found
