"""The organizers' Mini App in a real headless Chromium (Debian's ``chromium``, driven by
playwright, no browser download), served beside the real bot running against botsim,
on one database: a hearing set in the app reaches the subscribers' chats, Undo sends
corrections, a name added in the app is found by the chat's search; axe-core finds no
serious or critical violation on any screen."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine

from botsim.server import BotApiServer
from services import Services
from storage.database.engine import make_engine, session_scope, upgrade
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import TEST_TOKEN, Clock, RunningBot, make_settings
from tests.e2e.miniapp_support import build_app, init_data, serve
from tests.e2e.test_alerts_e2e import settle

CHROMIUM = "/usr/bin/chromium"
PUBLIC = "https://cases.example.org"
READERS = {2001: "kk", 2002: "ru", 2003: "en"}
FAKE_TELEGRAM = """
window.__main = {shown: false, text: "", click: null};
window.__back = {shown: false, click: null};
window.Telegram = {WebApp: {
  initData: INIT_DATA, themeParams: {bg_color: "#102030", text_color: "#f0f0f0"},
  ready() {}, expand() {},
  MainButton: {setText(t) { __main.text = t; }, show() { __main.shown = true; },
               hide() { __main.shown = false; }, onClick(f) { __main.click = f; }},
  BackButton: {show() { __back.shown = true; }, hide() { __back.shown = false; },
               onClick(f) { __back.click = f; }}}};
"""
"""A stand-in for Telegram's telegram-web-app.js: what the app uses of it."""

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")
if shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


def axe_script() -> str:
    """axe-core's axe.min.js, as the axe-playwright-python package bundles it."""
    module = pytest.importorskip("axe_playwright_python", reason="axe-playwright-python missing")
    return (Path(module.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def bot(tmp_path: Path, botapi: BotApiServer) -> Iterator[RunningBot]:
    settings = make_settings(tmp_path, CASEBOT_ADMINS="900", CASEBOT_PUBLIC_URL=PUBLIC)
    engine: Engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    running = RunningBot(botapi, Services(settings=settings, engine=engine, clock=Clock())).start()
    for user_id, lang in READERS.items():
        running.ask("/subscribe Alimuly", user_id=user_id, language_code=lang)
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def base(bot: RunningBot) -> Iterator[str]:
    """The Mini App served from the bot's own event loop, as `casebot run --web` does."""
    runner, url = bot._run(serve(build_app(bot.services, TEST_TOKEN)))
    yield url
    bot._run(runner.cleanup())


@pytest.fixture
def page(base: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": 360, "height": 640}, bypass_csp=True, locale="en-US"
        )
        context.route(  # nothing but 127.0.0.1
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("http://127.0.0.1")
                else route.abort()
            ),
        )
        found = context.new_page()
        found.set_default_timeout(15000)
        yield found
        browser.close()


def open_app(page: Any, base: str, bot: RunningBot, query: str = "", **kwargs: Any) -> None:
    data = init_data(TEST_TOKEN, bot.services.clock(), **kwargs)
    page.goto("about:blank")  # a new fragment alone would not load the page again
    page.goto(f"{base}/app/{query}#tgWebAppData={quote(data)}&tgWebAppVersion=7.0")


def no_serious_violations(page: Any, screen: str) -> None:
    page.add_script_tag(content=axe_script())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, (screen, bad)


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360


def test_hearing_set_in_the_app_reaches_subscribers_and_undo_corrects(
    bot: RunningBot, base: str, page: Any
) -> None:
    open_app(page, base, bot)
    page.get_by_role("button", name="1. Murager Alimuly").click()
    page.wait_for_selector("#case-screen:not([hidden])")
    no_serious_violations(page, "case editor")
    no_horizontal_scroll(page)
    page.fill("#h-date", "2026-07-01")
    page.fill("#h-time", "10:30")
    page.select_option("#h-court", "new")
    page.fill("#h-court-name", "Зайсанский районный суд")
    page.fill("#h-city", "Зайсан")
    page.locator("#hearing-form button[type=submit]").click()
    page.wait_for_selector("#preview-screen:not([hidden])")
    assert "3 subscribers" in page.inner_text("#preview-heading")
    counts = {
        part.get_attribute("data-lang"): part.get_attribute("data-count")
        for part in page.locator("#preview-parts article").all()
    }
    assert counts == {"kk": "1", "ru": "1", "en": "1"}
    assert "Мұрагер Әлімұлы" in page.inner_text("#preview-parts article[data-lang=kk]")
    no_serious_violations(page, "preview")
    since = {chat: len(bot.server.outbox(chat)) for chat in READERS}
    page.click("#send")
    page.wait_for_selector("#after-send:not([hidden])")
    assert "3" in page.inner_text("#sent-message")
    no_serious_violations(page, "sent")
    settle(bot)
    for chat in READERS:
        [alert] = bot.server.outbox(chat)[since[chat] :]
        assert "2026" in alert.text and ("10:30" in alert.text)
    since = {chat: len(bot.server.outbox(chat)) for chat in READERS}
    page.click("#undo")
    page.wait_for_selector("#undo-confirm:not([hidden])")
    no_serious_violations(page, "undo question")
    page.click("#undo-yes")
    page.wait_for_selector("#undo:is([hidden])", state="attached")
    bot.services.clock.now += timedelta(seconds=5)  # type: ignore[attr-defined]
    settle(bot)
    for chat in READERS:
        assert len(bot.server.outbox(chat)[since[chat] :]) == 1  # the correction


def test_a_name_added_in_the_app_is_found_by_the_chats_search(
    bot: RunningBot, base: str, page: Any
) -> None:
    [before] = bot.ask("/case Bakhytzhan Serikbolsyn", user_id=3001)
    assert "Alimuly" not in before.text
    open_app(page, base, bot, query="?case=1")
    page.wait_for_selector("#case-screen:not([hidden])")
    page.select_option("#n-lang", "alias")
    page.fill("#n-text", "Bakhytzhan Serikbolsyn")
    page.press("#n-text", "Enter")  # keyboard only
    page.wait_for_selector("#name-list li:has-text('Bakhytzhan Serikbolsyn')")
    [card] = bot.ask("/case Bakhytzhan Serikbolsyn", user_id=3001)
    assert "Alimuly" in card.text
    page.fill("#e-date", "2026-08-01")  # after today: asked first, as in the chat
    page.fill("#e-ru", "Будет заседание")
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("#ask:not([hidden])")
    assert "after today" in page.inner_text("#ask-question")
    no_serious_violations(page, "add anyway?")
    page.click("#ask-yes")
    page.wait_for_selector("#event-list li:has-text('Будет заседание')")


def test_list_search_new_case_and_refusal_screens_pass_axe(
    bot: RunningBot, base: str, page: Any
) -> None:
    open_app(page, base, bot)
    page.wait_for_selector("#list-screen:not([hidden])")
    no_serious_violations(page, "list")
    no_horizontal_scroll(page)
    page.focus("#q")  # keyboard only: search field, Find, then the first case
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#case-screen:not([hidden])")
    assert page.evaluate("() => document.activeElement.id") == "case-title"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # "Back to the cases"
    page.wait_for_selector("#list-screen:not([hidden])")
    page.fill("#q", "Алимулы")
    page.press("#q", "Enter")
    page.wait_for_selector("#case-list li:has-text('Murager Alimuly')")
    page.fill("#new-name", "Мурагер Алимулы")
    page.click("#new-case-form button[type=submit]")
    page.wait_for_selector("#similar:not([hidden])")
    no_serious_violations(page, "similar names")
    open_app(page, base, bot, user_id=4242)  # signed, but not an organizer
    page.wait_for_selector("#status:has-text('Only organizers')")
    no_serious_violations(page, "refused")
    page.goto(f"{base}/app/")  # no initData at all
    page.wait_for_selector("#status:has-text('menu button')")
    assert page.locator("#list-screen").is_hidden()
    no_serious_violations(page, "no initData")


def test_menu_and_edit_buttons_for_organizers_only(bot: RunningBot) -> None:
    bot.ask("/organizer list", user_id=900)
    menu = bot.server.menu_button(900)
    assert menu["type"] == "web_app" and menu["web_app"]["url"] == f"{PUBLIC}/app/"
    [card] = bot.ask("/case Alimuly", user_id=900)
    rows = card.reply_markup["inline_keyboard"]
    assert rows[-1][0]["web_app"]["url"] == f"{PUBLIC}/app/?case=1"
    [stranger] = bot.ask("/case Alimuly", user_id=3002)
    assert all("web_app" not in b for row in stranger.reply_markup["inline_keyboard"] for b in row)
    bot.ask("/start", user_id=950)
    bot.ask("/organizer add 950", user_id=900)
    assert bot.server.menu_button(950)["type"] == "web_app"
    bot.ask("/organizer remove 950", user_id=900)
    assert bot.server.menu_button(950) == {"type": "default"}


def test_the_organizers_language_and_telegrams_script(
    bot: RunningBot, base: str, page: Any
) -> None:
    """Signed in as a Russian reader, the page switches to Russian; with a stand-in for
    Telegram's script, initData, theme, MainButton and BackButton come from it."""
    open_app(page, base, bot, language_code="ru")
    page.wait_for_selector("#list-screen:not([hidden])")
    assert page.evaluate("() => document.documentElement.lang") == "ru"
    assert page.inner_text("#heading") == "Редактировать дела"
    no_serious_violations(page, "list in Russian")
    data = init_data(TEST_TOKEN, bot.services.clock())
    page.add_init_script(FAKE_TELEGRAM.replace("INIT_DATA", json.dumps(data)))
    page.goto("about:blank")
    page.goto(f"{base}/app/?case=1")  # no fragment: initData comes from the script
    page.wait_for_selector("#case-screen:not([hidden])")
    assert page.evaluate("() => __back.shown")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(16, 32, 48)"
    page.select_option("#st-custody", "released")
    page.fill("#note-ru", "Освобождён")
    page.locator("#status-form button[type=submit]").click()
    page.wait_for_selector("#preview-screen:not([hidden])")
    assert page.evaluate("() => [__main.shown, __main.text]") == [True, "Send"]
    page.evaluate("() => __main.click()")
    page.wait_for_selector("#after-send:not([hidden])")
    assert not page.evaluate("() => __main.shown")
    page.evaluate("() => __back.click()")
    page.wait_for_selector("#case-screen:not([hidden])")
    assert "released" in page.locator("#st-custody").input_value()


def test_a_name_corrected_and_an_event_deleted_in_the_app_reach_the_chat(
    bot: RunningBot, base: str, page: Any
) -> None:
    old, new = "Bakhytzhan Serikbolsyn", "Yerzhan Tokhtarov"
    open_app(page, base, bot, query="?case=1")
    page.wait_for_selector("#case-screen:not([hidden])")
    page.select_option("#n-lang", "alias")
    page.fill("#n-text", old)
    page.press("#n-text", "Enter")
    page.get_by_role("button", name=f"Edit {old}").click()
    assert page.input_value("#n-text") == old
    assert page.inner_text("#n-submit") == "Save the name"
    no_serious_violations(page, "correcting a name")
    no_horizontal_scroll(page)
    page.fill("#n-text", new)
    page.press("#n-text", "Enter")  # keyboard only
    page.wait_for_selector(f"#name-list li:has-text('{new}')")
    assert page.locator(f"#name-list li:has-text('{old}')").count() == 0
    assert "The name was corrected." in page.inner_text("#status")
    [card] = bot.ask(f"/case {new}", user_id=3001)
    assert "Alimuly" in card.text
    [other] = bot.ask(f"/case {old}", user_id=3001)
    assert "Alimuly" not in other.text
    first = page.locator("#event-list li").first
    event_id = first.get_attribute("data-event-id")
    words = "Xinjiang police held him"
    assert words in first.inner_text()
    [timeline] = bot.ask("/timeline Alimuly", user_id=3001)
    assert words in timeline.text
    first.get_by_role("button", name="Delete").click()
    page.wait_for_selector("#ask:not([hidden])")
    assert page.inner_text("#ask-yes") == "Yes, delete"
    assert words in page.inner_text("#ask-question")
    no_serious_violations(page, "delete this event?")
    page.click("#ask-yes")
    page.wait_for_selector(f"#event-list li[data-event-id='{event_id}']", state="detached")
    assert "removed from the timeline" in page.inner_text("#status")
    [timeline] = bot.ask("/timeline Alimuly", user_id=3001)
    assert words not in timeline.text
    page.locator("#event-list li").first.get_by_role("button", name="Edit").click()
    assert page.inner_text("#e-submit") == "Save the event"
    no_serious_violations(page, "correcting an event")
    page.fill("#e-en", "Police in Xinjiang questioned him")
    page.select_option("#e-basis", "family")
    page.click("#e-submit")
    page.wait_for_selector("#event-list li:has-text('Police in Xinjiang questioned him')")
    assert page.inner_text("#e-submit") == "Add the event"
    expected = {
        "en": ("name corrected", f"event {event_id} removed", "corrected"),
        "ru": ("имя исправлено", f"событие {event_id} удалено", "исправлено"),
        "kk": ("есім түзетілді", f"{event_id}-оқиға жойылды", "түзетілді"),
    }
    for lang, words_in in expected.items():  # /audit, in the organizer's language
        [log] = bot.ask("/audit Alimuly", user_id=900, language_code=lang)
        assert all(word in log.text for word in words_in), (lang, log.text)
        assert f"{old} " in log.text and new in log.text
