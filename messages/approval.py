"""Texts of two-person approval: the request to the other organizers (with the alert as
they would read it), what Approve and Reject say, the author's notices, and /stats' line."""

from __future__ import annotations

from html import escape

from messages.i18n import N_, Translator

APPROVER_OUTCOMES: dict[str, str] = {
    "rejected": N_("Rejected: nothing was sent, and the author is told."),
    "self": N_("You cannot approve your own change: another organizer must."),
    "done": N_("Already decided by another organizer."),
    "expired": N_("Too late: the change waited 30 minutes without approval and was cancelled."),
}

NOTICES: dict[str, str] = {
    "approved": N_("Your change to %(name)s was approved by another organizer and sent."),
    "rejected": N_("Another organizer rejected your change to %(name)s: nothing was sent."),
    "expired": N_(
        "Your change to %(name)s got no approval within 30 minutes: nothing was sent. "
        "Make it again if it still holds."
    ),
}

MODES: dict[str, str] = {
    "off": N_("Approval by a second organizer: off."),
    "single": N_("Approval by a second organizer: off, as there is only one organizer."),
    "all": N_("Approval by a second organizer: every alert."),
    "urgent": N_(
        "Approval by a second organizer: urgent alerts, and alerts to more than %(over)d "
        "subscribers."
    ),
}


def request_text(t: Translator, author: str, count: int, alert: str) -> str:
    """To the other organizers: who asks, how many it reaches, the alert (escaped HTML)."""
    head = t.ngettext(
        "%(author)s asks you to approve this alert to %(count)d subscriber:",
        "%(author)s asks you to approve this alert to %(count)d subscribers:",
        count,
    ) % {"author": author, "count": count}
    tail = t.gettext("The first approval sends it; without one in 30 minutes it is cancelled.")
    return f"<b>{escape(head)}</b>\n\n{alert}\n\n<i>{escape(tail)}</i>"


def labels(t: Translator) -> tuple[str, str]:
    """Approve, Reject."""
    return t.gettext("Approve"), t.gettext("Reject")


def waiting_text(t: Translator, asked: int) -> str:
    """To the author, where Send was: the change waits for another organizer."""
    return escape(
        t.ngettext(
            "Waiting for another organizer's approval (asked %(count)d organizer; up to 30 "
            "minutes). You will be told.",
            "Waiting for another organizer's approval (asked %(count)d organizers; up to 30 "
            "minutes). You will be told.",
            asked,
        )
        % {"count": asked}
    )


def approved_text(t: Translator, count: int) -> str:
    """To the approver: it is sent."""
    return escape(
        t.ngettext(
            "Approved and sent: %(count)d subscriber will get it.",
            "Approved and sent: %(count)d subscribers will get it.",
            count,
        )
        % {"count": count}
    )


def approver_outcome(t: Translator, state: str) -> str:
    """To the approver: what their press did (other than sending)."""
    return escape(t.gettext(APPROVER_OUTCOMES.get(state, APPROVER_OUTCOMES["done"])))


def notice_text(t: Translator, outcome: str, name: str) -> str:
    """To the author: approved and sent, rejected, or expired."""
    return escape(t.gettext(NOTICES[outcome]) % {"name": name})


def mode_line(t: Translator, mode: str, over: int) -> str:
    """/stats: which alerts need a second organizer now."""
    return escape(t.gettext(MODES[mode]) % {"over": over})
