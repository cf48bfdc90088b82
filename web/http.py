"""HTTP plumbing of the website: rendered bodies kept gzipped, conditional answers, an LRU
cache, and the reader's language from the path or `Accept-Language`."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from aiohttp import web

from messages.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, language_from_telegram

GZIP_FROM = 512  # bytes: smaller bodies are sent as they are
ASSET_VERSION = "1"  # bump when templates change what a cached page looks like


@dataclass(frozen=True)
class Rendered:
    """A body ready to send, with its gzip form, validators and how long it stays true."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None
    valid_until: datetime | None
    fingerprint: tuple[object, ...]
    gzipped: bytes | None
    max_age: int = 60
    filename: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def make_rendered(
    body: bytes,
    content_type: str,
    *,
    fingerprint: tuple[object, ...],
    last_modified: datetime | None = None,
    valid_until: datetime | None = None,
    max_age: int = 60,
    filename: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Rendered:
    """Wrap a body: its ETag is a hash of the body itself (so equal bodies share it)."""
    digest = hashlib.blake2b(body, digest_size=12).hexdigest()
    compressible = not content_type.startswith("image/")
    squeezed = (
        gzip.compress(body, compresslevel=6, mtime=0)
        if compressible and len(body) >= GZIP_FROM
        else None
    )
    return Rendered(
        body=body,
        content_type=content_type,
        etag=f'"{digest}-{ASSET_VERSION}"',
        last_modified=last_modified,
        valid_until=valid_until,
        fingerprint=fingerprint,
        gzipped=squeezed,
        max_age=max_age,
        filename=filename,
        headers=headers,
    )


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = {item.strip().removeprefix("W/") for item in header.split(",")}
    return "*" in wanted or etag in wanted


def respond(request: web.Request, rendered: Rendered, *, status: int = 200) -> web.Response:
    """The response for `rendered`: 304 when the client has it, gzip when it accepts it."""
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": f"public, max-age={rendered.max_age}",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if rendered.content_type.startswith("text/html"):
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
    if rendered.last_modified is not None:
        headers["Last-Modified"] = format_datetime(rendered.last_modified, usegmt=True)
    if rendered.filename:
        headers["Content-Disposition"] = f'inline; filename="{rendered.filename}"'
    headers.update(dict(rendered.headers))
    if status == 200 and _etag_matches(request.headers.get("If-None-Match"), rendered.etag):
        return web.Response(status=304, headers=headers)
    body = rendered.body
    if rendered.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = rendered.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=body,
        status=status,
        headers=headers,
        content_type=_mime(rendered.content_type),
        charset=_charset(rendered.content_type),
    )


def _mime(content_type: str) -> str:
    return content_type.split(";")[0].strip()


def _charset(content_type: str) -> str | None:
    if "charset=" in content_type:
        return content_type.split("charset=", 1)[1].strip()
    return None


def accepted_language(header: str | None) -> str:
    """The best of kk, ru, en for an `Accept-Language` header (uk and be read Russian)."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = language_from_telegram(tag)
        if lang == DEFAULT_LANGUAGE and not tag.lower().startswith("en"):
            continue  # a language we do not have says nothing about which one we should use
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, lang)
    return best[2] if best is not None else DEFAULT_LANGUAGE


def request_language(request: web.Request) -> str:
    """The language of a request: `/kk/...` in the path, `?lang=`, else `Accept-Language`."""
    first = request.path.strip("/").split("/", 1)[0]
    if first in SUPPORTED_LANGUAGES:
        return first
    chosen = request.query.get("lang")
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    return accepted_language(request.headers.get("Accept-Language"))


class PageCache:
    """A bounded, thread-safe LRU of rendered bodies.

    Each entry remembers when it was last found true against the database (`get` with
    the current fingerprint, or `put`); for `fresh_for` seconds after that, `fresh`
    serves it with no query at all (a change reaches the site within that time).
    """

    def __init__(self, size: int = 4096, *, fresh_for: float = 0.0) -> None:
        self._size = size
        self._fresh_for = fresh_for
        self._items: OrderedDict[tuple[object, ...], Rendered] = OrderedDict()
        self._checked: dict[tuple[object, ...], float] = {}
        self._lock = threading.Lock()

    def fresh(self, key: tuple[object, ...], now: datetime) -> Rendered | None:
        """The entry when it was checked against the database moments ago (no query)."""
        if self._fresh_for <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            checked = self._checked.get(key, 0.0)
        if found is None or time.monotonic() - checked > self._fresh_for:
            return None
        if found.valid_until is not None and now >= found.valid_until:
            return None
        return found

    def get(
        self, key: tuple[object, ...], fingerprint: tuple[object, ...], now: datetime
    ) -> Rendered | None:
        """The cached body when it was made from the same fingerprint and is still true."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found.fingerprint != fingerprint or (
                found.valid_until is not None and now >= found.valid_until
            ):
                del self._items[key]
                self._checked.pop(key, None)
                return None
            self._items.move_to_end(key)
            self._checked[key] = time.monotonic()
            return found

    def put(self, key: tuple[object, ...], rendered: Rendered) -> Rendered:
        """Keep `rendered` (forgetting the least recently used beyond the size)."""
        with self._lock:
            self._items[key] = rendered
            self._items.move_to_end(key)
            self._checked[key] = time.monotonic()
            while len(self._items) > self._size:
                old, _rendered = self._items.popitem(last=False)
                self._checked.pop(old, None)
        return rendered
