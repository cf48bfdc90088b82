"""The public website in a real headless browser: Debian's chromium driven by Playwright
(no browser download), the site served on 127.0.0.1 from a real SQLite file.

Skipped, saying why, where /usr/bin/chromium or the playwright package is missing
(.ci/run installs chromium with apt-get). axe-core comes from the axe-playwright-python
package, which bundles axe.min.js.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from storage.database.engine import session_scope
from storage.files.importer import SAMPLE_FILE, import_file
from storage.reads.lookup import LiveIndex
from tests.conftest import Clock
from web.server import build_web_app, start_listener

CHROMIUM = "/usr/bin/chromium"
SLUG = "sayragul-sauytbay"
LANGS = ("kk", "ru", "en")

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if shutil.which(CHROMIUM) is None:
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def site_url(engine: Engine) -> Iterator[str]:
    """The website with the sample cases, in a thread of its own."""
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    port = _free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def serve() -> None:
        app = build_web_app(
            engine=engine,
            lookup=LiveIndex(),
            clock=Clock(),
            public_url=f"http://127.0.0.1:{port}",
            zone=ZoneInfo("Asia/Almaty"),
            bot_username=lambda: "casebot_test_bot",
        )
        holder["runner"] = await start_listener(app, "127.0.0.1", port)
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(serve()), loop.run_forever()))
    thread.start()
    assert started.wait(20)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def page(site_url: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(java_script_enabled=True)
        yield context.new_page()
        browser.close()


def html_pages(lang: str) -> list[str]:
    return [f"/{lang}/", f"/{lang}/?q=Sauytbay", f"/{lang}/cases/{SLUG}", f"/{lang}/nothing-here"]


def test_every_page_type_renders_in_three_languages(site_url: str, page: Any) -> None:
    for lang in LANGS:
        for path in html_pages(lang):
            response = page.goto(site_url + path)
            assert response is not None
            assert response.status in (200, 404), path
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("h1").first.inner_text().strip(), path
        for path in (f"/{lang}/feed.atom", f"/cases/{SLUG}/card.png?lang={lang}"):
            response = page.goto(site_url + path)
            assert response is not None and response.status == 200, path


def test_the_search_box_finds_sauytbay(site_url: str, page: Any) -> None:
    page.goto(site_url + "/ru/")
    page.fill("#q", "Сауытбай")
    page.click("form.search button")
    page.wait_for_load_state()
    link = page.locator(f'a[href="/ru/cases/{SLUG}"]')
    assert link.count() == 1
    link.click()
    page.wait_for_load_state()
    assert "Сауытбай" in page.locator("h1").inner_text()


def test_no_horizontal_scroll_on_a_phone(site_url: str, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for lang in LANGS:
        for path in (f"/{lang}/cases/{SLUG}", f"/{lang}/cases/murager-alimuly", f"/{lang}/"):
            page.goto(site_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)


def _axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def test_axe_finds_no_serious_violation(site_url: str, page: Any) -> None:
    axe = _axe_script()
    for lang in LANGS:
        for path in html_pages(lang):
            page.goto(site_url + path)
            page.evaluate(axe)  # through DevTools: the page's CSP allows no script
            result = page.evaluate("async () => await axe.run()")
            assert result["passes"], path  # axe really ran its rules
            bad = [
                (violation["id"], violation["impact"], len(violation["nodes"]))
                for violation in result["violations"]
                if violation["impact"] in ("serious", "critical")
            ]
            assert not bad, (path, bad)
