"""What organizers read about paid broadcasts: the /stats lines and the admins' notice
when the day's Stars budget is spent."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from babel.numbers import format_decimal

from messages.i18n import N_, Translator

MODES = {
    "off": N_("off"),
    "urgent": N_("urgent alerts"),
    "all": N_("all alerts"),
}


def stars(t: Translator, value: float) -> str:
    """A Stars amount with at most one decimal ("1,234.5", "1 234,5")."""
    return format_decimal(value, format="#,##0.#", locale=t.lang)


def paid_summary_text(t: Translator, summary: Mapping[str, Any]) -> str:
    """The /stats section: mode, Stars balance, what was spent today of the daily cap."""
    lines = ["<b>" + escape(t.gettext("Paid broadcasts")) + "</b>"]
    mode = t.gettext(MODES.get(str(summary.get("mode")), MODES["off"]))
    lines.append(escape(t.gettext("Used for: %(mode)s") % {"mode": mode}))
    balance = summary.get("balance_stars")
    if balance is None:
        lines.append(escape(t.gettext("Stars balance: unknown")))
    else:
        lines.append(escape(t.gettext("Stars balance: %(stars)s") % {"stars": stars(t, balance)}))
    if summary.get("mode") != "off":
        lines.append(
            escape(
                t.gettext("Spent today: %(spent)s of %(budget)s Stars")
                % {
                    "spent": stars(t, float(summary.get("spent_today_stars", 0))),
                    "budget": stars(t, float(summary.get("budget_stars", 0))),
                }
            )
        )
    if summary.get("exhausted"):
        lines.append(escape(t.gettext("Today's budget is spent: alerts go at the free rate.")))
    return "\n".join(lines)


def budget_spent_text(t: Translator, budget: float) -> str:
    """The admins' notice, sent once a day when paid broadcasts reach CASEBOT_PAID_BUDGET."""
    return escape(
        t.gettext(
            "Paid broadcasts have spent today's budget of %(budget)s Stars. Alerts keep "
            "going out at Telegram's free rate (30 a second) until tomorrow (UTC). To allow "
            "more, raise CASEBOT_PAID_BUDGET and restart the bot."
        )
        % {"budget": stars(t, budget)}
    )
