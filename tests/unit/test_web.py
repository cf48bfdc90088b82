"""The public website over HTTP (aiohttp's test server on 127.0.0.1, a real SQLite file):
every route in three languages, caching and validators, privacy, feeds, the dataset,
escaping of hostile names, and the share picture."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import (
    AuditEntry,
    Case,
    Draft,
    LetterGuide,
    Organizer,
    OrganizerName,
    Subscriber,
)
from storage.files.importer import import_file
from storage.payloads import StatusDraft, draft_kind
from storage.reads.lookup import LiveIndex
from storage.usecases.drafts import create_draft
from storage.usecases.editing import add_event, create_case
from storage.usecases.subscriptions import subscribe
from tests.conftest import FIXED_NOW, Clock
from tests.factories import (
    add_case,
    add_court,
    add_hearing,
    add_name,
    add_timeline_event,
    source,
)
from web.picture import font
from web.server import build_web_app

LANGS = ("kk", "ru", "en")
SLUG = "murager-alimuly"
HOSTILE = '<script>alert("x")</script> O\'Brien & "Quote"'


DIPLOMAT = source(
    "2 Ethnic Kazakhs from China Granted Asylum-Seeker Status in Kazakhstan",
    "The Diplomat",
    "https://thediplomat.com/2019/10/2-ethnic-kazakhs-granted-asylum-seeker-status/",
)
FERGANA = source(
    "Xinjiang refugees sentenced to one year in jail in Kazakhstan",
    "Fergana",
    "https://en.fergana.news/news/114387/",
)


@pytest.fixture
def site_engine(engine: Engine) -> Engine:
    """Two public cases: Murager Alimuly (sentenced, a hearing, two sourced events added
    a month apart) and Sayragul Sauytbay (abroad)."""
    with session_scope(engine) as session:
        names = {"kk": "Мұрагер Әлімұлы", "ru": "Мурагер Алимулы", "en": "Murager Alimuly"}
        summary = {"en": "Sentenced to a year in prison.", "ru": "Приговорён к году."}
        murager = add_case(session, slug=SLUG, names=names, custody="imprisoned", summary=summary)
        zaysan = add_court(session)
        verdict = datetime(2020, 1, 20, 18, 0, tzinfo=UTC)
        add_hearing(session, murager, starts_at=verdict, court=zaysan, status="held")
        crossed = {"en": "Crossed into Kazakhstan.", "ru": "Перешёл границу."}
        added = datetime(2026, 2, 1, tzinfo=UTC)
        add_timeline_event(
            session, murager, on=date(2019, 10, 1), text=crossed, created_at=added, **DIPLOMAT
        )
        sentenced = {"en": "Sentenced to one year.", "kk": "Бір жылға сотталды."}
        added = datetime(2026, 3, 1, tzinfo=UTC)
        add_timeline_event(
            session, murager, on=date(2020, 1, 21), text=sentenced, created_at=added, **FERGANA
        )
        names = {"kk": "Сайрагүл Сауытбай", "ru": "Сайрагуль Сауытбай", "en": "Sayragul Sauytbay"}
        sayragul = add_case(session, slug="sayragul-sauytbay", names=names, custody="abroad")
        add_name(session, sayragul, "Sayragul Sautbay")
    return engine


def _app(engine: Engine, clock: Callable[[], Any] | None = None, fresh_for: float = 0) -> Any:
    return build_web_app(
        fresh_for=fresh_for,
        engine=engine,
        lookup=LiveIndex(),
        clock=clock or Clock(),
        public_url="https://cases.example.org",
        zone=ZoneInfo("Asia/Almaty"),
        bot_username=lambda: "casebot_test_bot",
    )


def run(engine: Engine, work: Callable[[TestClient[Any, Any]], Awaitable[None]], **kw: Any) -> None:
    """Run `work` against the site on `engine`, served by a local test server."""

    async def main() -> None:
        async with TestClient(TestServer(_app(engine, **kw))) as client:
            await work(client)

    asyncio.run(main())


def page_paths(lang: str, slug: str = SLUG) -> list[str]:
    """The pages, feeds, calendar and picture of one case, in `lang`."""
    return [
        f"/{lang}/",
        f"/{lang}/?q=Sauytbay",
        f"/{lang}/cases/{slug}",
        f"/{lang}/feed.atom",
        f"/{lang}/cases/{slug}/feed.atom",
        f"/cases/{slug}.ics?lang={lang}",
        f"/cases/{slug}/card.png?lang={lang}",
    ]


ALL_PATHS = [path for lang in LANGS for path in page_paths(lang)] + [
    "/data/cases.json",
    "/data/cases.csv",
    "/static/site.css",
]


def test_every_route_answers_in_three_languages(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        for path in ALL_PATHS:
            response = await client.get(path)
            body = await response.read()
            assert response.status == 200, path
            if response.content_type == "text/html":
                lang = path.split("/")[1]
                text = body.decode()
                assert f'<html lang="{lang}">' in text
                assert len(body) < 100_000, path
                for other in LANGS:
                    assert f'hreflang="{other}"' in text
                assert "<script" not in text

    run(site_engine, work)


def test_home_picks_the_language_from_accept_language(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        for header, lang in (("kk-KZ,ru;q=0.8", "kk"), ("de, ru;q=0.5", "ru"), ("", "en")):
            response = await client.get(
                "/", headers={"Accept-Language": header}, allow_redirects=False
            )
            assert response.status == 302
            assert response.headers["Location"] == f"/{lang}/"

    run(site_engine, work)


def test_search_finds_sauytbay_in_cyrillic(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        text = await (await client.get("/ru/", params={"q": "Сауытбай"})).text()
        assert "/ru/cases/sayragul-sauytbay" in text
        assert "Сайрагуль Сауытбай" in text
        text = await (await client.get("/en/", params={"q": "Zzyzx Qwerty"})).text()
        assert "No case matches" in text

    run(site_engine, work)


def test_case_page_has_the_card_timeline_and_links(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        text = await (await client.get(f"/ru/cases/{SLUG}")).text()
        assert "Мурагер Алимулы" in text and "Мұрагер Әлімұлы" in text
        assert 'property="og:image"' in text and "card.png?lang=ru" in text
        assert 'name="twitter:card" content="summary_large_image"' in text
        assert "https://t.me/casebot_test_bot?start=sub_murager-alimuly" in text
        assert "<svg" in text  # the QR code, inline
        assert 'href="https://thediplomat.com/' in text  # sources are links
        assert f"/cases/{SLUG}.ics" in text

    run(site_engine, work)


def test_etag_gzip_and_cache(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        first = await client.get(f"/en/cases/{SLUG}", headers={"Accept-Encoding": "gzip"})
        assert first.headers["Content-Encoding"] == "gzip"
        etag = first.headers["ETag"]
        assert "Last-Modified" in first.headers
        again = await client.get(f"/en/cases/{SLUG}", headers={"If-None-Match": etag})
        assert again.status == 304
        with session_scope(site_engine) as session:
            case = session.exec(select(Case).where(Case.slug == SLUG)).one()
            assert case.id is not None
            add_event(
                session,
                case_id=case.id,
                day=FIXED_NOW.date(),
                precision="day",
                source_url=None,
                text="A new public fact",
                lang="en",
                actor_id=900,
                now=FIXED_NOW,
            )
        changed = await client.get(f"/en/cases/{SLUG}", headers={"If-None-Match": etag})
        assert changed.status == 200
        assert "A new public fact" in await changed.text()

    run(site_engine, work)


def test_error_pages_speak_the_readers_language(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        response = await client.get("/ru/cases/nobody-at-all")
        assert response.status == 404
        assert "Страница не найдена" in await response.text()
        response = await client.get("/no/such/page", headers={"Accept-Language": "kk"})
        assert response.status == 404
        assert "Бет табылмады" in await response.text()

    run(site_engine, work)


def test_error_500_page_hides_the_failure(site_engine: Engine) -> None:
    def broken() -> Any:
        raise RuntimeError("secret detail 1234")

    async def work(client: TestClient[Any, Any]) -> None:
        response = await client.get(f"/en/cases/{SLUG}")
        assert response.status == 500
        text = await response.text()
        assert "Something went wrong" in text and "secret detail" not in text

    run(site_engine, work, clock=broken)


def test_feeds_are_valid_atom(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        for path in ("/kk/feed.atom", f"/ru/cases/{SLUG}/feed.atom"):
            parsed = feedparser.parse(await (await client.get(path)).read())
            assert not parsed.bozo, parsed.get("bozo_exception")
            assert parsed.version == "atom10"
            assert parsed.entries
            stamps = [entry.updated_parsed for entry in parsed.entries]
            assert stamps == sorted(stamps, reverse=True)

    run(site_engine, work)


def test_dataset_imports_back(site_engine: Engine, tmp_path: Path) -> None:
    files: dict[str, bytes] = {}

    async def work(client: TestClient[Any, Any]) -> None:
        for kind in ("json", "csv"):
            response = await client.get(f"/data/cases.{kind}")
            assert 'rel="license"' in response.headers["Link"]
            files[kind] = await response.read()

    run(site_engine, work)
    document = json.loads(files["json"])
    assert document["license"].startswith("CC BY 4.0") and document["published"]
    with Session(site_engine) as session:
        expected = len(session.exec(select(Case)).all())
    for kind, payload in files.items():
        path = tmp_path / f"cases.{kind}"
        path.write_bytes(payload)
        other = make_engine(f"sqlite:///{tmp_path / kind}.db")
        upgrade(other)
        with session_scope(other) as session:
            report = import_file(session, path, default_tz="Asia/Almaty")
        assert len(report.added) == expected
        other.dispose()


SUBSCRIBER_ID = 777000111
ORGANIZER_ID = 888000222
ORGANIZER_HANDLE = "SecretOrganizerHandle"
DRAFT_TEXT = "DraftTextNeverPublic"
AUDIT_VALUE = "AuditValueNeverPublic"
LETTER_ADDRESS = "Almaty pre-trial centre no. 1, box 4471"
LETTER_GUIDE = "Write in Russian; never about the trial"
SECRETS = (
    SUBSCRIBER_ID, ORGANIZER_ID, ORGANIZER_HANDLE, DRAFT_TEXT, AUDIT_VALUE, LETTER_ADDRESS,
    LETTER_GUIDE,
)  # fmt: skip
"""Never on the website: the letter details are given in the bot to someone who asks, not
published in the open dataset, whose copies outlive a detainee's move."""


def _fill_private(engine: Engine) -> None:
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.slug == SLUG)).one()
        assert case.id is not None
        subscribe(session, chat_id=SUBSCRIBER_ID, case_id=case.id, now=FIXED_NOW)
        case.letter_address, case.letters_reach, case.letter_langs = LETTER_ADDRESS, True, ["ru"]
        session.add(LetterGuide(lang="en", text=LETTER_GUIDE))
        session.add(Organizer(user_id=ORGANIZER_ID, added_by=900))
        session.add(OrganizerName(user_id=ORGANIZER_ID, username=ORGANIZER_HANDLE))
        draft = StatusDraft(dimension="custody", key="released", note={"en": DRAFT_TEXT})
        create_draft(
            session,
            actor_id=ORGANIZER_ID,
            case_id=case.id,
            kind=draft_kind(draft),
            params=draft,
            now=FIXED_NOW,
        )
        session.add(
            AuditEntry(
                actor_id=ORGANIZER_ID,
                case_id=case.id,
                action="note",
                before={},
                after={"secret": AUDIT_VALUE},
                at=FIXED_NOW,
            )
        )
    with Session(engine) as session:
        assert session.exec(select(Subscriber)).first() is not None
        assert session.exec(select(Draft)).first() is not None


def test_no_private_data_on_any_route(site_engine: Engine) -> None:
    _fill_private(site_engine)

    async def work(client: TestClient[Any, Any]) -> None:
        for path in [*ALL_PATHS, "/", "/en/?page=1", "/en/missing"]:
            response = await client.get(path)
            body = (await response.read()).decode("utf-8", "replace")
            for value in SECRETS:
                assert str(value) not in body, (path, value)

    run(site_engine, work)


def test_hostile_name_is_escaped_everywhere(site_engine: Engine) -> None:
    with session_scope(site_engine) as session:
        case = create_case(session, name=HOSTILE, lang="en", actor_id=900, now=FIXED_NOW)
        slug = case.slug
        assert case.id is not None
        add_event(
            session,
            case_id=case.id,
            day=FIXED_NOW.date(),
            precision="day",
            source_url=None,
            text='<img src=x onerror="alert(1)"> & more',
            lang="en",
            actor_id=900,
            now=FIXED_NOW,
        )

    async def work(client: TestClient[Any, Any]) -> None:
        for path in [*page_paths("en", slug), "/en/?q=Brien", "/data/cases.json"]:
            response = await client.get(path)
            assert response.status == 200, path
            body = await response.read()
            if path.endswith(".png") or ".png?" in path:
                image = Image.open(io.BytesIO(body))
                assert image.size == (1200, 630)
                continue
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            if response.content_type in ("text/calendar", "application/json"):
                continue  # data, not markup: the name is kept as typed (never sniffed as HTML)
            text = body.decode("utf-8-sig")
            assert "<script>" not in text, path
            assert "<img src=x" not in text, path
        page = await (await client.get(f"/en/cases/{slug}")).text()
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        feed = feedparser.parse(await (await client.get(f"/en/cases/{slug}/feed.atom")).read())
        assert not feed.bozo
        assert feed.feed.title == HOSTILE

    run(site_engine, work)


def test_picture_is_cached_until_the_case_changes(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        path = f"/cases/{SLUG}/card.png?lang=kk"
        first = await client.get(path)
        second = await client.get(path)
        assert first.headers["ETag"] == second.headers["ETag"]
        image = Image.open(io.BytesIO(await first.read()))
        assert image.size == (1200, 630) and image.format == "PNG"
        with session_scope(site_engine) as session:
            case = session.exec(select(Case).where(Case.slug == SLUG)).one()
            case.custody = "released"
            case.version += 1
            session.add(case)
        third = await client.get(path)
        assert third.headers["ETag"] != first.headers["ETag"]

    run(site_engine, work)


def _glyph(char: str) -> bytes:
    mask = font(40).getmask(char)
    return bytes(mask)


def test_the_shipped_font_draws_every_kazakh_letter() -> None:
    missing = _glyph("凯")  # DejaVu Sans has no Chinese: this is its "no glyph" box
    for letter in "әғқңөұүһіӘҒҚҢӨҰҮҺІ":
        assert _glyph(letter) != missing, letter
        assert any(_glyph(letter)), letter


def test_a_chinese_only_name_is_left_out_of_the_picture(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_case(session, name="木拉格尔", lang="zh", actor_id=900, now=FIXED_NOW)

    async def work(client: TestClient[Any, Any]) -> None:
        with Session(engine) as session:
            slug = session.exec(select(Case.slug)).one()
        response = await client.get(f"/cases/{slug}/card.png?lang=en")
        assert response.status == 200
        assert Image.open(io.BytesIO(await response.read())).size == (1200, 630)

    run(engine, work)


def test_a_page_checked_moments_ago_is_served_without_a_query(site_engine: Engine) -> None:
    async def work(client: TestClient[Any, Any]) -> None:
        before = await (await client.get(f"/en/cases/{SLUG}")).text()
        with session_scope(site_engine) as session:
            case = session.exec(select(Case).where(Case.slug == SLUG)).one()
            case.custody = "released"
            case.version += 1
            session.add(case)
        assert await (await client.get(f"/en/cases/{SLUG}")).text() == before

    run(site_engine, work, fresh_for=3600)


def test_extra_routes_mount_a_sub_application(site_engine: Engine) -> None:
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"app": True})

    def mount(app: web.Application) -> None:
        sub = web.Application()
        sub.router.add_get("/", hello)
        app.add_subapp("/app/", sub)

    async def main() -> None:
        app = build_web_app(
            engine=site_engine,
            lookup=LiveIndex(),
            clock=Clock(),
            public_url="https://cases.example.org",
            zone=ZoneInfo("Asia/Almaty"),
            extra_routes=[mount],
        )
        async with TestClient(TestServer(app)) as client:
            assert await (await client.get("/app/")).json() == {"app": True}
            missing = await client.get("/app/nothing")
            assert missing.status == 404 and missing.content_type != "text/html"
            assert (await client.get("/en/")).status == 200

    asyncio.run(main())
