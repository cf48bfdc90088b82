"""The Mini App's words: every label of its page and script, as gettext message ids.

The page gets them translated (``labels``), the script reads them from a JSON block of
the page; so the app speaks the organizer's language from the same catalogs as the bot.
"""

from __future__ import annotations

from messages import N_, Translator

LABELS: dict[str, str] = {
    "title": N_("Edit cases"),
    "opening": N_("Opening…"),
    "no_init": N_("Open this page from the bot's menu button in Telegram."),
    "refused": N_("Only organizers can use this page. Ask an admin to add you."),
    "expired": N_("This page was opened too long ago. Close it and open it again from the bot."),
    "failed": N_("Something went wrong. Please try again."),
    "search": N_("Search by name"),
    "search_button": N_("Find"),
    "cases": N_("Cases"),
    "no_cases": N_("No case found."),
    "new_case": N_("New case"),
    "name": N_("Name"),
    "create": N_("Create"),
    "create_anyway": N_("Create anyway"),
    "similar": N_("A case with this name or a close one already exists:"),
    "back": N_("Back to the cases"),
    "statuses": N_("Status"),
    "note": N_("Note for subscribers (optional)"),
    "lang_kk": N_("Kazakh"),
    "lang_ru": N_("Russian"),
    "lang_en": N_("English"),
    "lang_zh": N_("Chinese characters"),
    "lang_alias": N_("Other spelling"),
    "one_status": N_("Change one status at a time."),
    "preview": N_("Preview"),
    "hearing": N_("Next hearing"),
    "no_hearing": N_("No hearing is planned."),
    "date": N_("Date"),
    "time": N_("Time (in the court's time zone)"),
    "court": N_("Court"),
    "new_court": N_("A court not in the list"),
    "court_name": N_("Court's name"),
    "city": N_("City"),
    "zone": N_("Time zone"),
    "cancel_hearing": N_("Cancel the hearing"),
    "sentence": N_("Sentence"),
    "months": N_("Months"),
    "days": N_("Days"),
    "ratio": N_("Credit ratio for pre-trial detention"),
    "ratio_none": N_("not known"),
    "detained": N_("Detained on"),
    "verdict": N_("Verdict on"),
    "release": N_("Release date stated by the court (optional)"),
    "suspended": N_("Suspended sentence"),
    "yes": N_("yes"),
    "no": N_("no"),
    "unknown": N_("not known"),
    "expected": N_("Expected release:"),
    "save_sentence": N_("Preview the sentence"),
    "names": N_("Names"),
    "add_name": N_("Add the name"),
    "language": N_("Language or script"),
    "timeline": N_("Timeline"),
    "precision": N_("How precise the date is"),
    "precision_day": N_("the exact day"),
    "precision_month": N_("the month only"),
    "precision_year": N_("the year only"),
    "event_text": N_("What happened"),
    "source": N_("Source link (optional)"),
    "add_event": N_("Add the event"),
    "send": N_("Send"),
    "cancel": N_("Cancel"),
    "undo": N_("Undo"),
    "yes_undo": N_("Yes, undo"),
    "saved": N_("Saved."),
    "add_anyway": N_("Add anyway"),
    "case_created": N_("The case was created."),
    "event_added": N_("The event was added to the timeline."),
}


def labels(t: Translator) -> dict[str, str]:
    """Every label in the reader's language."""
    return {key: t.gettext(message) for key, message in LABELS.items()}
