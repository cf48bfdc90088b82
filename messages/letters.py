"""Texts of letters: "Write a letter" (address, whether letters reach, the languages allowed,
the organizers' guide), the organizer commands' replies, and ``/whohelps``."""

from __future__ import annotations

from html import escape

from babel import Locale, UnknownLocaleError

from messages.common import local_text
from messages.i18n import N_, Translator
from storage.usecases.letters import LetterView

SETLETTERS_USAGE = N_(
    "Usage: /setletters <case> address=<postal address> [reach=yes|no|unknown] "
    "[langs=ru,kk] — or /setletters <case> clear"
)
LETTERGUIDE_USAGE = N_(
    "Usage: /letterguide <kk|ru|en> <text>: the short guide to writing a letter (what to "
    "write, what not to) that readers of that language see under “Write a letter”."
)


def language_name(t: Translator, code: str) -> str:
    """A language's name in the reader's language (Babel's CLDR data), else its code."""
    try:
        name = Locale.parse(code).get_display_name(t.lang)
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


def letter_label(t: Translator) -> str:
    """The card's button."""
    return t.gettext("Write a letter")


def copy_label(t: Translator) -> str:
    """The copy button under the letter text."""
    return t.gettext("Copy the address")


def render_letter(t: Translator, name: str, view: LetterView) -> str:
    """How to write to the person: address, whether letters reach, languages, the guide."""
    lines = [
        "<b>" + escape(t.gettext("Write a letter to %(name)s") % {"name": name}) + "</b>",
        escape(t.gettext("Address:")) + " <code>" + escape(view.address) + "</code>",
    ]
    if view.reach is True:
        lines.append(escape(t.gettext("Letters reach them.")))
    elif view.reach is False:
        lines.append(
            "⚠️ "
            + escape(t.gettext("Letters do not reach them now; write only if you accept that."))
        )
    else:
        lines.append(escape(t.gettext("Whether letters reach them is not known.")))
    if view.langs:
        names = ", ".join(language_name(t, code) for code in view.langs)
        lines.append(escape(t.gettext("Write in: %(languages)s") % {"languages": names}))
    guide = local_text(t, view.guides, None)
    if guide:
        lines += ["", guide]
    return "\n".join(lines)


def render_no_letters(t: Translator) -> str:
    """The case has no address for letters (any more)."""
    return escape(t.gettext("No address for letters is known for this case."))


def render_letters_saved(t: Translator, name: str, changed: bool) -> str:
    """The reply to /setletters."""
    if not changed:
        return escape(t.gettext("Nothing changed for %(name)s.") % {"name": name})
    return escape(t.gettext("Letters for %(name)s saved.") % {"name": name})


def render_guide_saved(t: Translator, lang_name: str, changed: bool) -> str:
    """The reply to /letterguide."""
    if not changed:
        return escape(t.gettext("The guide is unchanged."))
    return escape(t.gettext("The letter guide in %(language)s is saved.") % {"language": lang_name})


def render_whohelps(t: Translator, rows: list[tuple[str, int]]) -> str:
    """``/whohelps``: the cases with the fewest followers, fewest first."""
    if not rows:
        return escape(t.gettext("There are no cases yet."))
    lines = [escape(t.gettext("These cases have the fewest followers. Open one to help:"))]
    for name, followers in rows:
        count = t.ngettext("%(count)d follower", "%(count)d followers", followers) % {
            "count": followers
        }
        lines.append(escape(f"• {name} — {count}"))
    return "\n".join(lines)
