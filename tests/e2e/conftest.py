"""Fixtures of the botsim tests (test_botsim, test_botsim_sending, test_botsim_failures):
a started local Bot API server and a raw HTTP client on its bot URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from botsim import BotApiServer


@pytest.fixture
def server() -> Iterator[BotApiServer]:
    """A started server, stopped after the test."""
    with BotApiServer() as started:
        yield started


@pytest.fixture
def api(server: BotApiServer) -> Iterator[httpx.Client]:
    """An httpx client rooted at ``/bot<token>``."""
    with httpx.Client(base_url=f"{server.url}/bot{server.token}", timeout=10) as client:
        yield client
