"""Texts of the cases that need a look: ``/stale`` and the organizers' weekly digest."""

from __future__ import annotations

from html import escape

from messages.common import clip
from messages.i18n import N_, Translator
from storage.reads.stale import StaleCase
from storage.vocabulary import StaleReason

MAX_LISTED = 20
"""Cases listed in one message (each with its buttons); the rest are counted."""

REASONS: dict[StaleReason, str] = {
    StaleReason.RELEASE_PASSED: N_("the expected release passed, custody still says held"),
    StaleReason.HEARING_NO_OUTCOME: N_("a hearing passed, no outcome recorded"),
    StaleReason.UNCONFIRMED: N_("nothing confirmed since %(date)s"),
}


def _reason(t: Translator, reason: StaleReason, item: StaleCase) -> str:
    if reason == StaleReason.UNCONFIRMED:
        if item.facts_as_of is None:
            return t.gettext("never confirmed")
        return t.gettext(REASONS[reason]) % {"date": t.format_date(item.facts_as_of)}
    return t.gettext(REASONS[reason])


def render_stale(t: Translator, items: list[tuple[str, StaleCase]], *, digest: bool = False) -> str:
    """The list: each case's number, name and reasons; the digest says it is the weekly one."""
    if not items:
        return escape(t.gettext("No case needs a look: every case is current."))
    count = len(items)
    if digest:
        head = t.ngettext(
            "Weekly check: %(count)d case needs a look",
            "Weekly check: %(count)d cases need a look",
            count,
        )
    else:
        head = t.ngettext("%(count)d case needs a look", "%(count)d cases need a look", count)
    lines = ["<b>" + escape(head % {"count": count}) + "</b>"]
    for name, item in items[:MAX_LISTED]:
        why = "; ".join(_reason(t, reason, item) for reason in item.reasons)
        lines.append(escape(f"{item.case_id}. {name}: {why}"))
    if count > MAX_LISTED:
        more = count - MAX_LISTED
        lines.append(
            escape(
                t.ngettext("…and %(count)d more.", "…and %(count)d more.", more) % {"count": more}
            )
        )
    lines.append(
        escape(
            t.gettext(
                "“Nothing changed” confirms a case as checked today; “Update” changes it step "
                "by step."
            )
        )
    )
    return "\n".join(lines)


def nothing_changed_label(t: Translator, case_id: int, name: str) -> str:
    """The button that confirms one listed case."""
    return t.gettext("Nothing changed: %(case)s") % {"case": clip(f"{case_id}. {name}", 40)}


def update_label(t: Translator) -> str:
    """The button that starts the guided /update on one listed case."""
    return t.gettext("Update")
