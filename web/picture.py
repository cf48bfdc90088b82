"""The 1200×630 share picture of a case (the pages' og:image and the bot's "Picture").

Drawn with Pillow in DejaVu Sans, which ships in web/static/fonts (with its license) and
draws every Kazakh letter (ә ғ қ ң ө ұ ү һ і). It has no Chinese characters: a name
written in them is left out (the reader's next name is shown instead), never drawn as
empty boxes. The picture shows the name, the custody status, the next hearing or the
expected release, and a strip of the key dates: detention, upcoming hearings, verdict,
expected release and today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import Session

from messages.card import case_title
from messages.common import status_label
from messages.i18n import Translator, translator
from storage.domain.scripts.chinese import without_han
from storage.domain.sentence import ReleaseEstimate, estimate_for
from storage.reads.cases import CaseView, HearingView, get_case_view, list_upcoming_hearings

WIDTH, HEIGHT = 1200, 630
FONT_DIR = Path(__file__).parent / "static" / "fonts"
MARGIN = 64
COLOURS = {
    "bg": (250, 250, 247),
    "band": (11, 87, 164),
    "fg": (27, 29, 33),
    "muted": (80, 85, 94),
    "line": (190, 195, 204),
    "today": (200, 40, 40),
}


@dataclass(frozen=True)
class Mark:
    """One dated mark on the strip."""

    day: date
    label: str


@cache
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (bold) at `size` pixels."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def drawable_title(t: Translator, view: CaseView) -> str:
    """The reader's name for the person, among the names the font can draw."""
    names = tuple(name for name in view.names if without_han(name.text) == name.text)
    if not names:
        return t.gettext("Case No %(number)d") % {"number": view.id}
    return case_title(t, names)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int, sizes: tuple[int, ...]) -> list[str]:
    """`text` in at most two lines of the largest size that fits; returns lines and size."""
    for size in sizes:
        face = font(size, bold=True)
        if draw.textlength(text, font=face) <= width:
            return [str(size), text]
        words = text.split()
        for cut in range(len(words) - 1, 0, -1):
            first, second = " ".join(words[:cut]), " ".join(words[cut:])
            if max(draw.textlength(first, font=face), draw.textlength(second, font=face)) <= width:
                return [str(size), first, second]
    face = font(sizes[-1], bold=True)
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return [str(sizes[-1]), text + "…"]


def key_dates(
    t: Translator,
    view: CaseView,
    estimate: ReleaseEstimate | None,
    hearings: list[HearingView],
    today: date,
) -> list[Mark]:
    """The marks of the strip, in date order."""
    marks = []
    if view.detained_on:
        marks.append(Mark(view.detained_on, t.gettext("Detained")))
    for hearing in hearings[:3]:
        marks.append(Mark(hearing.starts_at.date(), t.gettext("Hearing")))
    if view.verdict_on:
        marks.append(Mark(view.verdict_on, t.gettext("Verdict")))
    if estimate is not None and not view.suspended:
        marks.append(Mark(estimate.release_on, t.gettext("Release")))
    marks.append(Mark(today, t.gettext("today")))
    return sorted(marks, key=lambda mark: mark.day)


def _strip(draw: ImageDraw.ImageDraw, t: Translator, marks: list[Mark], today: date) -> None:
    """The key dates, evenly spaced in date order (labels never overlap), today in red."""
    top, left, right = 420, MARGIN + 40, WIDTH - MARGIN - 40
    draw.line([(MARGIN, top), (WIDTH - MARGIN, top)], fill=COLOURS["line"], width=4)
    small, bold = font(21), font(21, bold=True)
    step = (right - left) / max(len(marks) - 1, 1)
    span_years = (marks[-1].day - marks[0].day).days > 400
    for index, mark in enumerate(marks):
        x = left + step * index if len(marks) > 1 else (left + right) / 2
        is_today = mark.day == today and mark.label == t.gettext("today")
        colour = COLOURS["today"] if is_today else COLOURS["band"]
        draw.ellipse([(x - 10, top - 10), (x + 10, top + 10)], fill=colour)
        when = t.format_month(mark.day) if span_years else t.format_date(mark.day)
        for line_no, (line, face) in enumerate(((mark.label, bold), (when, small))):
            width = min(draw.textlength(line, font=face), step - 8 if len(marks) > 1 else 600)
            line_x = min(max(x - width / 2, MARGIN), WIDTH - MARGIN - width)
            draw.text(
                (line_x, top + 22 + line_no * 27),
                _clip(draw, line, face, width),
                font=face,
                fill=COLOURS["muted"] if line_no else COLOURS["fg"],
            )


def _clip(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def draw_card(
    t: Translator,
    view: CaseView,
    *,
    estimate: ReleaseEstimate | None,
    hearings: list[HearingView],
    today: date,
    footer: str,
) -> bytes:
    """The share picture as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), COLOURS["bg"])
    draw = ImageDraw.Draw(image)
    draw.rectangle([(0, 0), (WIDTH, 16)], fill=COLOURS["band"])
    size, *lines = _fit(draw, drawable_title(t, view), WIDTH - 2 * MARGIN, (72, 60, 50, 42))
    y = 60
    for line in lines:
        draw.text((MARGIN, y), line, font=font(int(size), bold=True), fill=COLOURS["fg"])
        y += int(size) + 14
    status = status_label(t, "custody", view.custody)
    draw.text((MARGIN, y + 14), status, font=font(40), fill=COLOURS["band"])
    detail = _detail(t, view, estimate, today)
    if detail:
        draw.text((MARGIN, y + 76), detail, font=font(32), fill=COLOURS["fg"])
    _strip(draw, t, key_dates(t, view, estimate, hearings, today), today)
    draw.text((MARGIN, HEIGHT - 60), footer, font=font(22), fill=COLOURS["muted"])
    buffer = BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _detail(
    t: Translator, view: CaseView, estimate: ReleaseEstimate | None, today: date
) -> str | None:
    if view.next_hearing is not None:
        day, clock = t.format_local(view.next_hearing.starts_at, view.next_hearing.tz)
        when = f"{day}, {clock}" if view.next_hearing.time_known else day
        return f"{t.gettext('Next hearing:')} {when}"
    if estimate is not None and not view.suspended and estimate.release_on >= today:
        return f"{t.gettext('Expected release:')} {t.format_date(estimate.release_on)}"
    return None


def case_picture(
    session: Session, *, case_id: int, lang: str, now: datetime, zone: tzinfo, footer: str
) -> bytes | None:
    """The share picture of a case as the website and the bot's "Picture" send it."""
    view = get_case_view(session, case_id=case_id, now=now)
    if view is None:
        return None
    return draw_card(
        translator(lang),
        view,
        estimate=estimate_for(view),
        hearings=list_upcoming_hearings(session, case_id=case_id, now=now),
        today=now.astimezone(zone).date(),
        footer=footer,
    )


def picture_of(
    session: Session, *, case_id: int, lang: str, now: datetime, zone: tzinfo, public_url: str
) -> tuple[bytes | None, str]:
    """The bot's "Picture": the share picture and the reader's name for the person
    (None and "" when the case is gone); the footer is the case page's address."""
    view = get_case_view(session, case_id=case_id, now=now)
    if view is None:
        return None, ""
    footer = f"{public_url}/{lang}/cases/{view.slug}".split("://", 1)[-1]
    picture = case_picture(session, case_id=case_id, lang=lang, now=now, zone=zone, footer=footer)
    return picture, case_title(translator(lang), view.names)
