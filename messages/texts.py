"""The bot's general texts: welcome, help, the command menu, apologies."""

from __future__ import annotations

from html import escape

from messages.i18n import N_, Translator

# (command, description) for Telegram's command menu, in the order shown.
PUBLIC_COMMANDS: tuple[tuple[str, str], ...] = (
    ("case", N_("Find a case and see its card")),
    ("timeline", N_("Dated events of a case, with sources")),
    ("subscribe", N_("Get alerts and hearing reminders for a case")),
    ("unsubscribe", N_("Stop alerts for a case")),
    ("mysubs", N_("The cases you follow")),
    ("settings", N_("When to be reminded of hearings")),
    ("calendar", N_("Upcoming hearings as a calendar file")),
    ("whohelps", N_("Cases that few people follow: where help is needed")),
    ("language", N_("Change the language")),
    ("forget", N_("Delete everything the bot keeps about you")),
    ("help", N_("How to use the bot")),
)

ORGANIZER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("newcase", N_("Create a case")),
    ("sethearing", N_("Set or move the next hearing")),
    ("cancelhearing", N_("Remove the next hearing")),
    ("setstatus", N_("Set a status of a case")),
    ("addevent", N_("Add a timeline event")),
    ("setsentence", N_("Set the sentence and expected release")),
    ("addname", N_("Add a name or spelling")),
    ("translate", N_("Add a translation to a timeline event")),
    ("update", N_("Change a case step by step")),
    ("stats", N_("Subscribers and deliveries")),
    ("audit", N_("Who changed what, when")),
    ("organizer", N_("List the organizers; add or remove one (admins)")),
    ("confirm", N_("Checked today, nothing changed: moves a case's “facts as of”")),
    ("stale", N_("Cases that need a look: release or hearing passed, long unconfirmed")),
    ("setcourt", N_("A court's address, map position and note for people attending")),
    ("setletters", N_("A case's address for letters, whether they reach, their languages")),
    ("letterguide", N_("The guide to writing a letter, in one language")),
    ("cancel", N_("Leave a step-by-step flow such as /update")),
)


def command_menu(t: Translator, available: frozenset[str]) -> list[tuple[str, str]]:
    """The public commands this build answers, with descriptions, for setMyCommands."""
    return [
        (command, t.gettext(description))
        for command, description in PUBLIC_COMMANDS
        if command in available
    ]


def start_text(t: Translator, *, case_count: int, can_search: bool) -> str:
    """The welcome message: what the bot does, in a few lines."""
    cases = t.ngettext(
        "It follows %(count)d case now.", "It follows %(count)d cases now.", case_count
    ) % {"count": case_count}
    paragraphs = [
        "<b>" + escape(t.gettext("Casebot: news of people on trial")) + "</b>",
        escape(
            t.gettext(
                "This bot follows the cases of ethnic Kazakhs who fled Xinjiang and "
                "face trial, prison or deportation. It tells you when the next hearing "
                "is, and sends an alert when a verdict, a deportation order or a release "
                "comes."
            )
        ),
        escape(cases),
    ]
    if can_search:
        paragraphs.append(
            escape(
                t.gettext(
                    "Find a person with /case and a name in any spelling, for example "
                    "/case Sauytbay. Subscribe to get reminders before each hearing."
                )
            )
        )
    paragraphs.append(escape(t.gettext("Choose your language with /language.")))
    return "\n\n".join(paragraphs)


def help_text(t: Translator, *, organizer: bool, available: frozenset[str]) -> str:
    """The list of the commands this build answers; organizers also see theirs."""
    lines = ["<b>" + escape(t.gettext("Commands")) + "</b>"]
    lines += [
        f"/{command} — {escape(t.gettext(text))}"
        for command, text in PUBLIC_COMMANDS
        if command in available
    ]
    own = [
        f"/{command} — {escape(t.gettext(text))}"
        for command, text in ORGANIZER_COMMANDS
        if command in available
    ]
    if organizer and own:
        lines.append("")
        lines.append("<b>" + escape(t.gettext("For organizers")) + "</b>")
        lines += own
    lines.append("")
    lines.append(
        escape(
            t.gettext(
                "A case can be named by its number, its short name or any spelling of a "
                "person's name, in Kazakh, Russian or Latin letters."
            )
        )
    )
    return "\n".join(lines)


def apology(t: Translator) -> str:
    """What a user reads when something went wrong on the bot's side."""
    return escape(
        t.gettext("Sorry, something went wrong on our side. Please try again in a minute.")
    )


def unknown_command(t: Translator) -> str:
    """An answer to a command the bot does not know."""
    return escape(t.gettext("I don't know this command. Try /help."))


def bot_description(t: Translator) -> str:
    """What Telegram shows before Start (setMyDescription; at most 512 characters)."""
    return t.gettext(
        "casebot follows detainees' cases: their status, hearings, sentences and a "
        "sourced timeline. Find a person by name in any spelling, follow their case, "
        "and get an alert before each hearing."
    )


def bot_short_description(t: Translator) -> str:
    """The bot's short description (profile and shares; at most 120 characters)."""
    return t.gettext("Detainees' cases: statuses, hearings, sentences and alerts.")
