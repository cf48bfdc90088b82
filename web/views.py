"""What each page shows, as plain template contexts built from the bot's own renderers.

The card's facts come from the same places as the bot's card (storage.reads.cases,
storage.domain.sentence, messages.card, messages.timeline): the hearing, sentence and
timeline lines they return are already escaped HTML (Telegram's subset: ``<b>``,
``<i>``, ``<a>``), so the templates mark them ``Markup``; everything else is plain
text and the templates escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup

from messages.card import case_title, hearing_lines, sentence_lines
from messages.common import (
    DIMENSION_LABELS,
    URGENT_RISKS,
    local_text,
    other_names,
    partial_date,
    status_label,
)
from messages.i18n import LANGUAGE_NAMES, Translator
from messages.timeline import render_event
from storage.domain.sentence import ReleaseEstimate
from storage.reads.cases import CaseView, EventView, HearingView, NameView
from storage.reads.public import PublicListItem

DIMENSIONS = ("custody", "proceedings", "protection", "risk")
NAME_LANGUAGES = {**LANGUAGE_NAMES, "zh": "中文"}  # what a name's language tag says


@dataclass(frozen=True)
class Status:
    """One of the four status dimensions, as words."""

    dimension: str
    label: str
    value: str
    urgent: bool


@dataclass(frozen=True)
class CaseLinks:
    """The absolute and relative links a case page offers."""

    page: str
    ics: str
    feed: str
    picture: str
    follow: str | None
    qr_svg: Markup | None = None


@dataclass(frozen=True)
class CasePage:
    """The context of a case page."""

    slug: str
    number: int
    title: str
    other_names: list[str]
    all_names: list[tuple[str, str]]
    summary: Markup
    statuses: list[Status]
    next_hearing: list[Markup]
    sentence: list[Markup]
    facts_as_of: str | None
    timeline: list[Markup]
    description: str
    links: CaseLinks


@dataclass(frozen=True)
class ListRow:
    """A row of the list of cases."""

    slug: str
    number: int
    title: str
    others: list[str]
    custody: str
    urgent: str | None
    next_hearing: str | None
    statuses: list[Status] = field(default_factory=list)


def trusted(html: str) -> Markup:
    """HTML that a renderer of messages/ built, escaping every text it holds."""
    return Markup(html)  # noqa: S704  (the renderers escape; see the module docstring)


def _name_tuples(names: tuple[NameView, ...]) -> list[tuple[str, str, bool]]:
    return [(name.lang, name.text, name.primary) for name in names]


def statuses(t: Translator, values: dict[str, str | None]) -> list[Status]:
    """The four statuses of a case in the reader's language."""
    return [
        Status(
            dimension,
            t.gettext(DIMENSION_LABELS[dimension]),
            status_label(t, dimension, values[dimension]),
            dimension == "risk" and values[dimension] in URGENT_RISKS,
        )
        for dimension in DIMENSIONS
    ]


def short_hearing(t: Translator, hearing: HearingView | None, today: date) -> str | None:
    """The next hearing in one line of plain text (date, time, city)."""
    if hearing is None:
        return None
    lines = hearing_lines(t, hearing, today)
    return " · ".join(trusted(line).striptags() for line in lines)


def list_rows(t: Translator, items: list[PublicListItem], today: date) -> list[ListRow]:
    """The rows of the list page."""
    rows = []
    for item in items:
        title = case_title(t, item.names)
        values = {dimension: getattr(item, dimension) for dimension in DIMENSIONS}
        rows.append(
            ListRow(
                slug=item.slug,
                number=item.id,
                title=title,
                others=other_names(t, _name_tuples(item.names), title),
                custody=status_label(t, "custody", item.custody),
                urgent=status_label(t, "risk", item.risk) if item.risk in URGENT_RISKS else None,
                next_hearing=short_hearing(t, item.next_hearing, today),
                statuses=statuses(t, values),
            )
        )
    return rows


def case_page(
    t: Translator,
    view: CaseView,
    events: list[EventView],
    *,
    estimate: ReleaseEstimate | None,
    today: date,
    links: CaseLinks,
) -> CasePage:
    """The context of a case page: the card's facts and the whole timeline."""
    title = case_title(t, view.names)
    values = {dimension: getattr(view, dimension) for dimension in DIMENSIONS}
    page_statuses = statuses(t, values)
    hearing = (
        [trusted(line) for line in hearing_lines(t, view.next_hearing, today)]
        if view.next_hearing is not None
        else []
    )
    facts = (
        partial_date(t, view.facts_as_of, view.facts_precision)
        if view.facts_as_of is not None
        else None
    )
    description = " · ".join(f"{status.label}: {status.value}" for status in page_statuses[:2])
    return CasePage(
        slug=view.slug,
        number=view.id,
        title=title,
        other_names=other_names(t, _name_tuples(view.names), title),
        all_names=[(NAME_LANGUAGES.get(name.lang, name.lang), name.text) for name in view.names],
        summary=trusted(local_text(t, view.summary, view.summary_lang)),
        statuses=page_statuses,
        next_hearing=hearing,
        sentence=[trusted(line) for line in sentence_lines(t, view, estimate, today)],
        facts_as_of=facts,
        timeline=[trusted(render_event(t, event)) for event in events],
        description=description,
        links=links,
    )
