"""The website's pages, built from the database (synchronously, in a worker thread).

Every builder returns a `Rendered` body or None (no such case). A page of one case is
kept in an LRU cache with the fingerprint of what it shows (storage.reads.public) and
the moment it stops being true (the reader's midnight, when "in 3 days" changes, or
the end of the next hearing); an unchanged case costs one query.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import segno
from markupsafe import Markup
from sqlalchemy import Engine
from sqlmodel import Session

from messages.calendar import render_calendar
from messages.card import case_title
from messages.i18n import SUPPORTED_LANGUAGES, translator
from storage.domain.sentence import estimate_for
from storage.files.casefile import CaseFile
from storage.files.csvwrite import write_csv
from storage.files.exporter import collect_case_file, dump_case_json
from storage.reads.cases import get_case_view, list_events, list_upcoming_hearings
from storage.reads.lookup import LiveIndex
from storage.reads.public import (
    case_fingerprint,
    list_public_cases,
    list_public_changes,
    site_fingerprint,
)
from web.feeds import render_feed
from web.http import PageCache, Rendered, make_rendered
from web.picture import case_picture
from web.render import render_page
from web.views import CaseLinks, case_page, list_rows, trusted

HTML = "text/html; charset=utf-8"
PAGE_SIZE = 50
LICENSE_NAME = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
OG_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_US"}  # og:locale; others: the code
FRESH_FOR = 2.0  # seconds: how late a change may reach the site (see PageCache)


@dataclass
class SiteConfig:
    """What the pages need besides the database."""

    public_url: str
    zone: Any
    bot_username: Callable[[], str | None]
    site_name: str = "casebot"
    fresh_for: float = FRESH_FOR
    """Seconds a page checked against the database is served with no query again."""


class Site:
    """The page builders of one website, sharing caches."""

    def __init__(
        self,
        *,
        engine: Engine,
        lookup: LiveIndex,
        clock: Callable[[], datetime],
        config: SiteConfig,
    ) -> None:
        self.engine = engine
        self.lookup = lookup
        self.clock = clock
        self.config = config
        self.cache = PageCache(fresh_for=config.fresh_for)

    def fresh(self, key: tuple[object, ...]) -> Rendered | None:
        """A page checked against the database moments ago, served with no query."""
        return self.cache.fresh(key, self.clock())

    # ------------------------------------------------------------------ links

    def url(self, path: str) -> str:
        """An absolute link on this site."""
        return self.config.public_url.rstrip("/") + path

    def follow_link(self, slug: str) -> str | None:
        """The deep link that subscribes to a case in the bot."""
        username = self.config.bot_username()
        return f"https://t.me/{username}?start=sub_{slug}" if username else None

    def _shell(self, lang: str, path_of: Callable[[str], str]) -> dict[str, Any]:
        """What base.html needs: language links, hreflang alternates, the license."""
        links = {code: path_of(code) for code in SUPPORTED_LANGUAGES}
        return {
            "site_name": self.config.site_name,
            "static_url": "/static/site.css?v=" + STATIC_VERSION,
            "language_links": links,
            "alternates": [(code, self.url(href)) for code, href in links.items()],
            "default_alternate": self.url(path_of("en")),
            "license_name": LICENSE_NAME,
            "og_locale": OG_LOCALES.get(lang, lang),
        }

    def _today_ends(self, now: datetime) -> datetime:
        local = now.astimezone(self.config.zone)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight

    # ------------------------------------------------------------------ pages

    def case_page(self, lang: str, slug: str) -> Rendered | None:
        """The page of one case (from the cache while the case is unchanged)."""
        with Session(self.engine) as session:
            found = case_fingerprint(session, slug=slug)
            if found is None:
                return None
            case_id, fingerprint = found
            now = self.clock()
            key: tuple[object, ...] = ("case", lang, slug)
            cached = self.cache.get(key, fingerprint.key, now)
            if cached is not None:
                return cached
            view = get_case_view(session, case_id=case_id, now=now)
            events = list_events(session, case_id=case_id)
        assert view is not None
        t = translator(lang)
        today = now.astimezone(self.config.zone).date()
        follow = self.follow_link(slug)
        links = CaseLinks(
            page=self.url(f"/{lang}/cases/{slug}"),
            ics=self.url(f"/cases/{slug}.ics"),
            feed=self.url(f"/{lang}/cases/{slug}/feed.atom"),
            picture=self.url(f"/cases/{slug}/card.png?lang={lang}"),
            follow=follow,
            qr_svg=_qr(follow) if follow else None,
        )
        page = case_page(t, view, events, estimate=estimate_for(view), today=today, links=links)
        body = render_page(
            lang,
            "case.html",
            case=page,
            ics_path=f"/cases/{slug}.ics?lang={lang}",
            picture_path=f"/cases/{slug}/card.png?lang={lang}",
            **self._shell(lang, lambda code: f"/{code}/cases/{slug}"),
        )
        until = self._today_ends(now)
        if view.next_hearing is not None:
            hearing = view.next_hearing
            ends = hearing.starts_at + (timedelta(0) if hearing.time_known else timedelta(days=1))
            until = min(until, ends + timedelta(seconds=1))
        rendered = make_rendered(
            body.encode(),
            HTML,
            fingerprint=fingerprint.key,
            last_modified=fingerprint.changed_at,
            valid_until=until,
        )
        return self.cache.put(key, rendered)

    def list_page(self, lang: str, *, page: int, query: str) -> Rendered | None:
        """The list of cases (a page of it), or the cases a name search finds."""
        query = " ".join(query.replace("\x00", "").split())[:300]
        now = self.clock()
        with Session(self.engine) as session:
            fingerprint = site_fingerprint(session)
            key: tuple[object, ...] = ("list", lang, page)
            if not query:
                cached = self.cache.get(key, fingerprint.key, now)
                if cached is not None:
                    return cached
            if query:
                result = self.lookup.search(session, query)
                ids = [match.case_id for match in result.matches]
                items, total = list_public_cases(session, now=now, ids=ids)
            else:
                items, total = list_public_cases(
                    session, now=now, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
                )
        pages = max(1, math.ceil(total / PAGE_SIZE)) if not query else 1
        if page > pages:
            return None
        t = translator(lang)
        today = now.astimezone(self.config.zone).date()
        body = render_page(
            lang,
            "list.html",
            rows=list_rows(t, items, today),
            total=total,
            query=query,
            page=page,
            pages=pages,
            canonical=self.url(f"/{lang}/"),
            **self._shell(lang, lambda code: f"/{code}/"),
        )
        rendered = make_rendered(
            body.encode(),
            HTML,
            fingerprint=fingerprint.key,
            last_modified=None if query else fingerprint.changed_at,
            valid_until=self._today_ends(now),
        )
        return rendered if query else self.cache.put(key, rendered)

    def error_page(self, lang: str, status: int) -> bytes:
        """The 404 or 500 page in the reader's language."""
        t = translator(lang)
        if status == 404:
            heading = t.gettext("Page not found")
            explanation = t.gettext("There is no page at this address. It may have moved.")
        else:
            heading = t.gettext("Something went wrong")
            explanation = t.gettext("The page could not be shown. Please try again later.")
        return render_page(
            lang,
            "error.html",
            heading=heading,
            explanation=explanation,
            **self._shell(lang, lambda code: f"/{code}/"),
        ).encode()

    # ------------------------------------------------------------------ files

    def calendar(self, lang: str, slug: str) -> Rendered | None:
        """The case's upcoming hearings as the same .ics file as the bot's /calendar."""
        now = self.clock()
        with Session(self.engine) as session:
            found = case_fingerprint(session, slug=slug)
            if found is None:
                return None
            case_id, fingerprint = found
            view = get_case_view(session, case_id=case_id, now=now)
            hearings = list_upcoming_hearings(session, case_id=case_id, now=now)
        assert view is not None
        t = translator(lang)
        username = self.config.bot_username() or "casebot"
        body = render_calendar(
            t,
            title=case_title(t, view.names),
            hearings=hearings,
            case_url=f"https://t.me/{username}?start=case_{slug}",
            domain=f"{username}.t.me",
            stamp=fingerprint.changed_at or now,
        )
        return make_rendered(
            body,
            "text/calendar; charset=utf-8",
            fingerprint=fingerprint.key,
            last_modified=fingerprint.changed_at,
            filename=f"{slug}-hearings.ics",
        )

    def picture(self, lang: str, slug: str) -> Rendered | None:
        """The 1200×630 share picture (cached until the case changes or the day ends)."""
        now = self.clock()
        with Session(self.engine) as session:
            found = case_fingerprint(session, slug=slug)
            if found is None:
                return None
            case_id, fingerprint = found
            key: tuple[object, ...] = ("png", lang, slug)
            cached = self.cache.get(key, fingerprint.key, now)
            if cached is not None:
                return cached
            body = case_picture(
                session,
                case_id=case_id,
                lang=lang,
                now=now,
                zone=self.config.zone,
                footer=self.url(f"/{lang}/cases/{slug}").split("://", 1)[-1],
            )
        if body is None:
            return None
        rendered = make_rendered(
            body,
            "image/png",
            fingerprint=fingerprint.key,
            last_modified=fingerprint.changed_at,
            valid_until=self._today_ends(now),
            max_age=3600,
        )
        return self.cache.put(key, rendered)

    def feed(self, lang: str, slug: str | None) -> Rendered | None:
        """The Atom feed of every public change, or of one case's."""
        now = self.clock()
        t = translator(lang)
        with Session(self.engine) as session:
            if slug is None:
                fingerprint = site_fingerprint(session)
                case_id = None
            else:
                found = case_fingerprint(session, slug=slug)
                if found is None:
                    return None
                case_id, fingerprint = found
            key: tuple[object, ...] = ("feed", lang, slug)
            cached = self.cache.get(key, fingerprint.key, now)
            if cached is not None:
                return cached
            changes = list_public_changes(session, case_id=case_id)
            ids = sorted({change.case_id for change in changes})
            items, _total = list_public_cases(session, now=now, ids=ids)
        titles = {item.id: case_title(t, item.names) for item in items}
        if slug is None:
            title = t.gettext("Changes in the cases")
            self_path, page_path = f"/{lang}/feed.atom", f"/{lang}/"
        else:
            title = titles.get(case_id or 0, slug)
            self_path, page_path = f"/{lang}/cases/{slug}/feed.atom", f"/{lang}/cases/{slug}"
        body = render_feed(
            t,
            title=title,
            self_url=self.url(self_path),
            page_url=self.url(page_path),
            changes=changes,
            titles=titles,
            case_url=lambda case_slug: self.url(f"/{lang}/cases/{case_slug}"),
            updated=fingerprint.changed_at or now,
        )
        rendered = make_rendered(
            body,
            "application/atom+xml; charset=utf-8",
            fingerprint=fingerprint.key,
            last_modified=fingerprint.changed_at,
        )
        return self.cache.put(key, rendered)

    def dataset(self, kind: str) -> Rendered:
        """The open dataset, `json` or `csv`, in the export format, with license and date."""
        now = self.clock()
        with Session(self.engine) as session:
            fingerprint = site_fingerprint(session)
            key: tuple[object, ...] = ("data", kind)
            cached = self.cache.get(key, fingerprint.key, now)
            if cached is not None:
                return cached
            data = open_data(collect_case_file(session))
        published = (fingerprint.changed_at or now).date().isoformat()
        about = {"license": f"{LICENSE_NAME} {LICENSE_URL}", "published": published}
        headers = (
            ("Link", f'<{LICENSE_URL}>; rel="license"'),
            ("X-Data-Published", published),
        )
        if kind == "json":
            body = dump_case_json(data, about=about).encode()
            content_type = "application/json; charset=utf-8"
        else:
            body = write_csv(data).encode("utf-8-sig")
            content_type = "text/csv; charset=utf-8"
        rendered = make_rendered(
            body,
            content_type,
            fingerprint=fingerprint.key,
            last_modified=fingerprint.changed_at,
            filename=f"cases-{published}.{kind}",
            headers=headers,
        )
        return self.cache.put(key, rendered)


def open_data(data: CaseFile) -> CaseFile:
    """The case file as the open dataset publishes it: without the letter details. The
    bot gives those to whoever asks for them; a licensed bulk copy would keep an address
    after the person was moved, and list every detainee's prison in one file."""
    return replace(
        data, cases=[replace(case, letters=None) for case in data.cases], letter_guide={}
    )


@lru_cache(maxsize=4096)
def _qr(link: str) -> Markup:
    """The QR code of a link as inline SVG (the link is a t.me address made of a slug).

    The mask is fixed (choosing the best of eight is most of segno's time, and any mask
    scans); codes are kept, since a case's link never changes."""
    code = segno.make(link, error="m", mask=0)
    svg = code.svg_inline(scale=4, title=link, svgclass="qrcode", lineclass=None)
    return trusted(svg.replace("<svg ", '<svg role="img" ', 1))


STATIC_VERSION = "1"
