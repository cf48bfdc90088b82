"""Jinja2 templates in the bot's languages: one environment per language.

Each environment has the language's gettext catalog installed (``_``, ``gettext``,
``ngettext`` in templates, new-style: ``_("%(name)s", name=x)`` escapes ``x``) and
autoescaping on, so every text an organizer typed is escaped unless a renderer of
messages/ already escaped it and the page marks it ``Markup``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from messages.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, translator


@cache
def environment(lang: str) -> Environment:
    """The template environment of one language (cached; safe to share)."""
    t = translator(lang)
    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        t.gettext, t.ngettext, newstyle=True, pgettext=t.pgettext
    )
    env.globals["t"] = t
    env.globals["lang"] = t.lang
    env.globals["languages"] = [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES]
    return env


def render_page(lang: str, template: str, **context: Any) -> str:
    """Render one template in `lang`."""
    return environment(lang).get_template(template).render(**context)
