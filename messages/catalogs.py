"""Maintaining the gettext catalogs: extract, update, check.

python -m messages.catalogs update   re-extract messages/casebot.pot from the code
                                     and merge it into the kk, ru and en catalogs
python -m messages.catalogs check    list untranslated, fuzzy or mismatched messages
                                     (exit 1 if any); the test suite runs the same check
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from messages.i18n import DOMAIN, SUPPORTED_LANGUAGES, catalog_path
from storage.vocabulary import PLURAL_COUNTS as PLURAL_COUNTS

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).parent / f"{DOMAIN}.pot"
SOURCE_DIRS = ("bot.py", "handlers", "jobs", "messages", "storage/vocabulary.py", "web")
TEMPLATE_DIRS = ("web",)  # Jinja2 templates (.html, .xml), extracted by Babel's jinja2 extractor
KEYWORDS = {
    "_": None,  # in the Jinja2 templates
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
}


def _method_map() -> list[tuple[str, str]]:
    code = [
        (f"{path}/**.py" if not path.endswith(".py") else path, "python") for path in SOURCE_DIRS
    ]
    templates = [
        (f"{path}/**.{ext}", "jinja2.ext:babel_extract")
        for path in TEMPLATE_DIRS
        for ext in ("html", "xml")
    ]
    return code + templates


def extract_catalog() -> Catalog:
    """Every translatable message in the code, as a fresh template catalog."""
    catalog = Catalog(project="casebot", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map=_method_map(), keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    buffer = BytesIO()
    write_po(buffer, catalog, width=100, no_location=True, sort_output=True, omit_header=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def read_catalog(lang: str) -> Catalog:
    """The catalog of one language as it is on disk."""
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def update() -> None:
    """Write the template and merge it into each language's catalog (creating missing ones)."""
    template = extract_catalog()
    _write(template, TEMPLATE)
    for lang in SUPPORTED_LANGUAGES:
        path = catalog_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="casebot")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog, path)


def _msgid_key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def problems() -> Iterator[str]:
    """Every reason the catalogs are not complete and consistent with the code."""
    template = extract_catalog()
    wanted = {_msgid_key(message) for message in template if message.id}
    for lang in SUPPORTED_LANGUAGES:
        if not catalog_path(lang).exists():
            yield f"{lang}: catalog missing"
            continue
        catalog = read_catalog(lang)
        if catalog.num_plurals != PLURAL_COUNTS[lang]:
            yield f"{lang}: {catalog.num_plurals} plural forms, expected {PLURAL_COUNTS[lang]}"
        have = {_msgid_key(message): message for message in catalog if message.id}
        for key in sorted(wanted - set(have), key=str):
            yield f"{lang}: not in the catalog: {key[0]!r}"
        for key, message in have.items():
            if key not in wanted:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy:
                yield f"{lang}: fuzzy: {key[0]!r}"
            if not all(strings) or (
                isinstance(message.id, tuple) and len(strings) != PLURAL_COUNTS[lang]
            ):
                yield f"{lang}: untranslated: {key[0]!r}"
        for message, errors in catalog.check():
            for error in errors:
                yield f"{lang}: {message.id!r}: {error}"


def main(argv: list[str]) -> int:
    """`update` or `check`."""
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        found = list(problems())
        for problem in found:
            print(problem)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
