"""The Mini App's API (web.miniapp) served on 127.0.0.1: signed initData only, organizers
only, and the chat's draft → preview → Send → Undo underneath."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import Engine
from sqlmodel import select

from services import Services
from settings import Settings
from storage.database.engine import session_scope
from storage.database.models import AuditEntry, CaseName
from storage.files.importer import SAMPLE_FILE, import_file
from storage.payloads import StatusDraft
from storage.reads.lookup import LiveIndex
from storage.usecases.drafts import create_draft, send_draft
from storage.usecases.editing import set_organizer
from storage.usecases.subscriptions import subscribe
from tests.conftest import TEST_TOKEN, Clock, make_settings
from tests.e2e.miniapp_support import build_app, init_data, serve, snapshot
from web.miniapp import mounter

OTHER_TOKEN = "654321:ANOTHER-bots-token-000000000000000"
ALIMULY = 1
READERS = {2001: "kk", 2002: "ru", 2003: "en", 2004: "ru"}
Call = Callable[..., Awaitable[tuple[int, Any]]]
woken: list[int] = []
"""One entry each time the app rang the outbox signal (woke the dispatcher)."""


@pytest.fixture
def services(settings: Settings, engine: Engine) -> Iterator[Services]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
        for chat_id, lang in READERS.items():
            subscribe(session, chat_id=chat_id, case_id=ALIMULY, telegram_lang=lang)
    found = Services(settings=settings, engine=engine, clock=Clock(), lookup=LiveIndex())
    woken.clear()
    found.outbox_signal.listen(lambda: woken.append(1))
    yield found


def run(services: Services, scenario: Callable[[Call], Awaitable[None]]) -> None:
    """Serve the app and run ``scenario(call)``; call(method, path, auth, json) → (status, body)."""

    async def main() -> None:
        runner, base = await serve(build_app(services, TEST_TOKEN))
        try:
            async with aiohttp.ClientSession() as http:

                async def call(method: str, path: str, auth: str | None, body: Any = None):
                    headers = {"Authorization": f"tma {auth}"} if auth is not None else {}
                    async with http.request(
                        method, f"{base}/app/api/{path}", json=body, headers=headers
                    ) as response:
                        if response.content_type != "application/json":
                            return response.status, None  # aiohttp's plain 404 for no case
                        return response.status, await response.json()

                await scenario(call)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def signed(services: Services, **kwargs: Any) -> str:
    return init_data(TEST_TOKEN, services.clock(), **kwargs)


HEARING = {"kind": "hearing", "date": "2026-07-01", "time": "10:30", "court_id": "new",
           "court": "Зайсанский суд", "city": "Зайсан", "tz": "Asia/Almaty"}  # fmt: skip

WRITES = [
    ("POST", f"cases/{ALIMULY}/preview", HEARING),
    ("POST", f"cases/{ALIMULY}/names", {"names": [{"lang": "en", "text": "Murager Alimov"}]}),
    ("POST", f"cases/{ALIMULY}/events", {"date": "2026-06-01", "text": {"en": "Visited"}}),
    ("POST", "cases", {"name": "Someone New", "force": True}),
    ("POST", "drafts/1/send", {}),
    ("PUT", f"cases/{ALIMULY}/names/4", {"lang": "zh", "text": "穆拉格尔"}),
    ("DELETE", f"cases/{ALIMULY}/names/4", None),
    ("PUT", f"cases/{ALIMULY}/events/1", {"date": "2019-08-02", "text": {"en": "Held"}}),
    ("DELETE", f"cases/{ALIMULY}/events/1", None),
    ("GET", "cases", None),
    ("GET", f"cases/{ALIMULY}", None),
]


def refused_everywhere(services: Services, auth: str | None, status: int) -> None:
    before = snapshot(services.engine)

    async def scenario(call: Call) -> None:
        for method, path, body in WRITES:
            got, answer = await call(method, path, auth, body)
            assert got == status, (path, answer)
            assert "message" in answer

    run(services, scenario)
    assert snapshot(services.engine) == before
    assert not woken


def test_missing_init_data_is_refused(services: Services) -> None:
    refused_everywhere(services, None, 401)
    refused_everywhere(services, "", 401)


def test_forged_hash_is_refused(services: Services) -> None:
    good = signed(services)
    forged = good[: good.index("hash=") + 5] + "0" * 64
    refused_everywhere(services, forged, 401)


def test_expired_auth_date_is_refused(services: Services) -> None:
    old = signed(services, age=services.settings.app_max_age + timedelta(seconds=1))
    refused_everywhere(services, old, 401)


def test_another_bots_signature_is_refused(services: Services) -> None:
    refused_everywhere(services, init_data(OTHER_TOKEN, services.clock()), 401)


def test_a_strangers_signed_init_data_is_refused(services: Services) -> None:
    refused_everywhere(services, signed(services, user_id=4242), 403)


def test_an_organizer_removed_a_minute_ago_is_refused(services: Services) -> None:
    now = services.clock()
    with session_scope(services.engine) as session:
        set_organizer(session, user_id=950, add=True, actor_id=900, now=now - timedelta(hours=1))
    # signed while still an organizer, two minutes ago; removed one minute ago
    auth = signed(services, user_id=950, age=timedelta(minutes=2))
    with session_scope(services.engine) as session:
        set_organizer(session, user_id=950, add=False, actor_id=900, now=now - timedelta(minutes=1))
    refused_everywhere(services, auth, 403)


def test_preview_send_undo_and_one_send_only(services: Services) -> None:
    auth = signed(services)

    async def scenario(call: Call) -> None:
        status, preview = await call("POST", f"cases/{ALIMULY}/preview", auth, HEARING)
        assert status == 200 and preview["state"] == "preview"
        assert preview["total"] == 4
        counts = {part["lang"]: part["count"] for part in preview["languages"]}
        assert counts == {"kk": 1, "ru": 2, "en": 1}
        assert "4 subscribers" in preview["message"]
        assert all("Зайсан" in part["text"] or "Zaysan" in part["text"]
                   for part in preview["languages"])  # fmt: skip
        draft_id = preview["draft_id"]
        status, sent = await call("POST", f"drafts/{draft_id}/send", auth, {})
        assert (status, sent["state"], sent["alerts"]) == (200, "sent", 4)
        assert woken == [1]
        status, again = await call("POST", f"drafts/{draft_id}/send", auth, {})
        assert again["state"] == "done"
        # the chat's Send of the same draft does nothing either
        with session_scope(services.engine) as session:
            chat = send_draft(session, draft_id=draft_id, actor_id=900, now=services.clock())
        assert chat.state == "done"
        status, undone = await call("POST", f"drafts/{draft_id}/undo", auth, {})
        assert undone["state"] == "undone"
        status, twice = await call("POST", f"drafts/{draft_id}/undo", auth, {})
        assert twice["state"] == "done"
        with session_scope(services.engine) as session:  # the chat's audit entries
            actions = session.exec(
                select(AuditEntry.action).where(AuditEntry.actor_id == 900)
            ).all()
        assert actions[-2:] == ["hearing_set", "undo"]

    run(services, scenario)


def test_a_draft_sent_from_the_chat_cannot_be_sent_from_the_app(services: Services) -> None:
    now = services.clock()
    with session_scope(services.engine) as session:
        params = StatusDraft(dimension="custody", key="released")
        draft_id = create_draft(
            session, actor_id=900, case_id=ALIMULY, kind="status", params=params, now=now
        )
        assert send_draft(session, draft_id=draft_id, actor_id=900, now=now).state == "sent"
    before = snapshot(services.engine)

    async def scenario(call: Call) -> None:
        status, answer = await call("POST", f"drafts/{draft_id}/send", signed(services), {})
        assert (status, answer["state"]) == (200, "done")

    run(services, scenario)
    after = snapshot(services.engine)
    after.pop("organizer_names"), before.pop("organizer_names")  # who signed in, remembered
    assert after == before


def test_another_organizers_draft_is_not_theirs(services: Services) -> None:
    with session_scope(services.engine) as session:
        set_organizer(session, user_id=950, add=True, actor_id=900, now=services.clock())

    async def scenario(call: Call) -> None:
        _, preview = await call("POST", f"cases/{ALIMULY}/preview", signed(services), HEARING)
        other = signed(services, user_id=950)
        _, answer = await call("POST", f"drafts/{preview['draft_id']}/send", other, {})
        assert answer["state"] == "missing"

    run(services, scenario)


def test_names_events_new_cases_and_the_estimate(services: Services) -> None:
    auth = signed(services)

    async def scenario(call: Call) -> None:
        names = {
            "names": [{"lang": "zh", "text": "穆拉格尔"}, {"lang": "alias", "text": "Muraghir"}]
        }
        status, added = await call("POST", f"cases/{ALIMULY}/names", auth, names)
        assert (status, added["added"]) == (200, 2)
        _, found = await call("GET", "cases?q=Muraghir", auth)
        assert found[0]["id"] == ALIMULY
        texts = {"kk": "Сот болды", "ru": "Суд прошёл", "en": "A hearing was held"}
        event = {"date": "2026-05-10", "precision": "month", "text": texts,
                 "source_url": "https://example.org/a"}  # fmt: skip
        status, saved = await call("POST", f"cases/{ALIMULY}/events", auth, event)
        assert status == 200
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        mine = next(e for e in detail["events"] if e["id"] == saved["event_id"])
        assert mine["text"] == event["text"] and mine["occurred_on"] == "2026-05-01"
        future = {"date": "2026-08-01", "text": {"en": "A hearing will be held"}}
        _, question = await call("POST", f"cases/{ALIMULY}/events", auth, future)
        assert question["state"] == "ask" and "after today" in question["message"]
        _, stored = await call("POST", f"cases/{ALIMULY}/events", auth, {**future, "force": True})
        assert stored["state"] == "saved"
        sentence = {"kind": "sentence", "months": "12", "verdict": "2026-09-01"}
        _, question = await call("POST", f"cases/{ALIMULY}/preview", auth, sentence)
        assert question["state"] == "ask" and "verdict date" in question["message"]
        _, similar = await call("POST", "cases", auth, {"name": "Мурагер Алимулы"})
        assert similar["state"] == "similar" and similar["similar"][0]["id"] == ALIMULY
        _, created = await call("POST", "cases", auth, {"name": "Мурагер Алимулы", "force": True})
        assert created["state"] == "created"
        sentence = {"months": "12", "ratio": "2", "detained": "2019-10-18", "verdict": "2020-01-21"}
        _, expected = await call("POST", "estimate", auth, sentence)
        assert expected["release_on"] == "2020-07-15"
        status, bad = await call("POST", "estimate", auth, {"ratio": "7"})
        assert (status, bad["error"]) == (400, "ratio")
        past = {**HEARING, "date": "2020-01-01"}
        status, refused = await call("POST", f"cases/{ALIMULY}/preview", auth, past)
        assert (status, refused["message"]) == (400, "That moment has already passed.")

    run(services, scenario)


def test_status_notes_in_three_languages_and_cancelling_a_hearing(services: Services) -> None:
    auth = signed(services)
    notes = {"kk": "Сот шешімімен босатылды", "ru": "Освобождён по решению суда",
             "en": "Freed by a court ruling"}  # fmt: skip

    async def scenario(call: Call) -> None:
        status = {"kind": "status", "dimension": "custody", "key": "released", "note": notes}
        _, preview = await call("POST", f"cases/{ALIMULY}/preview", auth, status)
        parts = {part["lang"]: part["text"] for part in preview["languages"]}
        assert all(notes[lang] in parts[lang] for lang in ("kk", "ru", "en")), parts
        _, sent = await call("POST", f"drafts/{preview['draft_id']}/send", auth, {})
        assert sent["state"] == "sent"
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        assert detail["statuses"]["custody"] == "released"
        _, preview = await call("POST", f"cases/{ALIMULY}/preview", auth, HEARING)
        await call("POST", f"drafts/{preview['draft_id']}/send", auth, {})
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        assert (detail["hearing"]["date"], detail["hearing"]["time"]) == ("2026-07-01", "10:30")
        cancel = {"kind": "cancel_hearing"}
        _, preview = await call("POST", f"cases/{ALIMULY}/preview", auth, cancel)
        assert preview["state"] == "preview" and preview["total"] == 4
        _, sent = await call("POST", f"drafts/{preview['draft_id']}/send", auth, {})
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        assert detail["hearing"] is None or detail["hearing"]["date"] != "2026-07-01"
        _, again = await call("POST", f"cases/{ALIMULY}/preview", auth, status)
        assert again["state"] == "unchanged" and again["message"]

    run(services, scenario)


@pytest.mark.parametrize("public", ["http://127.0.0.1:8080", "https://cases.example.org"])
def test_the_page_holds_no_data_sets_no_cookie_and_loads_telegrams_script_on_https(
    tmp_path: Any, engine: Engine, public: str
) -> None:
    settings = make_settings(tmp_path, CASEBOT_ADMINS="900", CASEBOT_PUBLIC_URL=public)
    services = Services(settings=settings, engine=engine, clock=Clock())

    async def main() -> None:
        app = web.Application()
        mounter(services=services, bot_token=TEST_TOKEN)(app)
        runner, base = await serve(app)
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/app/", headers={"Accept-Language": "kk"}) as page:
                    html, headers = await page.text(), page.headers
                async with http.get(f"{base}/app/static/app.js") as script:
                    assert script.status == 200
        finally:
            await runner.cleanup()
        assert "Set-Cookie" not in headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert '<html lang="kk">' in html and "Істерді өңдеу" in html
        assert ("telegram.org/js/telegram-web-app.js" in html) == public.startswith("https")
        assert "Murager" not in html  # no case data before a signed call

    asyncio.run(main())


def test_names_are_corrected_and_deleted_and_the_search_follows(services: Services) -> None:
    auth = signed(services)

    async def scenario(call: Call) -> None:
        alias = {"names": [{"lang": "alias", "text": "Bakhytzhan Serikbolsyn"}]}
        await call("POST", f"cases/{ALIMULY}/names", auth, alias)
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        [name] = [n for n in detail["names"] if n["text"] == "Bakhytzhan Serikbolsyn"]
        assert (name["lang"], name["primary"]) == ("alias", False)
        fixed = {"lang": "alias", "text": "  Yerzhan   Tokhtarov "}
        status, saved = await call("PUT", f"cases/{ALIMULY}/names/{name['id']}", auth, fixed)
        assert (status, saved["state"]) == (200, "saved")
        assert saved["message"] == "The name was corrected."
        _, found = await call("GET", "cases?q=Yerzhan Tokhtarov", auth)
        assert [item["id"] for item in found][:1] == [ALIMULY]
        _, old = await call("GET", "cases?q=Bakhytzhan Serikbolsyn", auth)
        assert ALIMULY not in [item["id"] for item in old]
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        [fresh] = [n for n in detail["names"] if n["text"] == "Yerzhan Tokhtarov"]
        status, gone = await call("DELETE", f"cases/{ALIMULY}/names/{fresh['id']}", auth)
        assert (status, gone["state"]) == (200, "removed")
        _, after = await call("GET", "cases?q=Yerzhan Tokhtarov", auth)
        assert ALIMULY not in [item["id"] for item in after]
        status, twice = await call("DELETE", f"cases/{ALIMULY}/names/{fresh['id']}", auth)
        assert (status, twice["error"]) == (404, "missing")
        english = next(n for n in detail["names"] if n["lang"] == "en")
        same = {"lang": "en", "text": "Мұрагер Әлімұлы"}
        status, taken = await call("PUT", f"cases/{ALIMULY}/names/{english['id']}", auth, same)
        assert status == 200 and taken["state"] == "saved"  # another language may share it
        path = f"cases/{ALIMULY}/names/{taken['name_id']}"  # the name's id from now on
        status, taken = await call("PUT", path, auth, {"lang": "kk", "text": "Мұрагер Әлімұлы"})
        assert (status, taken["error"]) == (409, "duplicate")
        status, empty = await call("PUT", path, auth, {"text": ""})
        assert (status, empty["error"]) == (400, "text")
        status, long = await call("PUT", path, auth, {"text": "x" * 201})
        assert (status, long["error"]) == (400, "text")
        detected = {"text": "穆拉格尔·阿里"}  # no language: found from the script
        _, saved = await call("PUT", path, auth, detected)
        assert saved["state"] == "saved"
        _, created = await call("POST", "cases", auth, {"name": "Serik Zhandosov", "force": True})
        _, lone = await call("GET", f"cases/{created['id']}", auth)
        [only] = lone["names"]
        path = f"cases/{created['id']}/names/{only['id']}"
        status, kept = await call("DELETE", path, auth)
        assert (status, kept["error"]) == (409, "last_name")
        assert "must keep a name" in kept["message"]
        status, moved = await call("PUT", path, auth, {"lang": "alias", "text": "Serik"})
        assert (status, moved["error"]) == (409, "last_name")

    run(services, scenario)
    with session_scope(services.engine) as session:
        actions = session.exec(
            select(AuditEntry.action).where(AuditEntry.actor_id == 900).order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
        zh = session.exec(select(CaseName).where(CaseName.text == "穆拉格尔·阿里")).one()
    assert actions == ["add_name", "edit_name", "remove_name", "edit_name", "edit_name", "new_case"]
    assert zh.lang == "zh"


def test_events_are_corrected_and_deleted(services: Services) -> None:
    auth = signed(services)

    async def scenario(call: Call) -> None:
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        event = detail["events"][0]
        path = f"cases/{ALIMULY}/events/{event['id']}"
        texts = {"kk": "Сот болды", "ru": "Суд прошёл", "en": ""}
        fix = {"date": "2019-08-15", "precision": "month", "text": texts,
               "source_url": "https://example.org/b", "basis": "lawyer"}  # fmt: skip
        status, saved = await call("PUT", path, auth, fix)
        assert (status, saved["state"]) == (200, "saved")
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        [mine] = [e for e in detail["events"] if e["id"] == event["id"]]
        assert mine["text"] == {"kk": "Сот болды", "ru": "Суд прошёл"}
        assert (mine["occurred_on"], mine["precision"]) == ("2019-08-01", "month")
        assert (mine["source_url"], mine["basis"]) == ("https://example.org/b", "lawyer")
        _, again = await call("PUT", path, auth, fix)
        assert again["state"] == "unchanged"
        future = {**fix, "date": "2026-08-01", "precision": "day"}
        _, question = await call("PUT", path, auth, future)
        assert question["state"] == "ask" and "after today" in question["message"]
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        assert next(e for e in detail["events"] if e["id"] == event["id"])["precision"] == "month"
        _, stored = await call("PUT", path, auth, {**future, "force": True})
        assert stored["state"] == "saved"
        for bad, field in (({**fix, "basis": "rumour"}, "basis"),
                           ({**fix, "text": {}}, "text"),
                           ({**fix, "source_url": "javascript:x"}, "source_url"),
                           ({**fix, "date": "soon"}, "date")):  # fmt: skip
            status, refused = await call("PUT", path, auth, bad)
            assert (status, refused["error"]) == (400, field)
        status, removed = await call("DELETE", path, auth)
        assert (status, removed["message"]) == (200, "The event was removed from the timeline.")
        _, detail = await call("GET", f"cases/{ALIMULY}", auth)
        assert event["id"] not in [e["id"] for e in detail["events"]]
        status, gone = await call("PUT", path, auth, fix)
        assert (status, gone["error"]) == (404, "missing")

    run(services, scenario)


def test_another_cases_names_and_events_are_not_touched(services: Services) -> None:
    auth = signed(services)
    with session_scope(services.engine) as session:
        name = session.exec(select(CaseName).where(CaseName.case_id == 2)).first()
        assert name is not None and name.id is not None
        name_id = name.id
    calls = [
        ("PUT", f"cases/{ALIMULY}/names/{name_id}", {"text": "Someone Else"}),
        ("DELETE", f"cases/{ALIMULY}/names/{name_id}", None),
        ("PUT", f"cases/{ALIMULY}/events/40", {"date": "2019-10-01", "text": {"en": "x"}}),
        ("DELETE", f"cases/{ALIMULY}/events/40", None),
        ("DELETE", f"cases/{ALIMULY}/events/999999", None),
        ("DELETE", "cases/999999/names/1", None),
        ("DELETE", f"cases/{ALIMULY}/names/x", None),
        ("DELETE", f"cases/{ALIMULY}/names/{10**30}", None),  # beyond any database integer
        ("DELETE", f"cases/{10**30}/events/1", None),
        ("GET", f"cases/{10**30}", None),
        ("DELETE", f"cases/{ALIMULY}/names/%D9%A3", None),  # an Arabic-Indic three
    ]
    snap = snapshot(services.engine)

    async def scenario(call: Call) -> None:
        for method, path, body in calls:
            status, answer = await call(method, path, auth, body)
            assert status == 404, (path, answer)

    run(services, scenario)
    after = snapshot(services.engine)
    after.pop("organizer_names"), snap.pop("organizer_names")
    assert after == snap
