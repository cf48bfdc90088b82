"""Sentence arithmetic: when a prisoner is expected to walk free.

The rule (pure calendar arithmetic, no time zones; every date is a local day):

1. **Pre-trial detention** lasts ``detention_days = verdict_on - detained_on``
   calendar days: the day of detention counts, the day of the verdict does not
   (from that day on the sentence itself is being served, so counting it too
   would count one day twice).
2. **Credit**: each day of pre-trial detention counts as ``ratio`` days of the
   sentence, ``credited_days = ceil(detention_days * ratio)``. Only a ratio of
   1.5 with an odd number of days leaves half a day; it is rounded **up**, in
   the prisoner's favour, for the same reason the first day of detention counts
   as a whole day: a day begun in custody is a day served. (The estimate can be
   one day early at worst; an organizer overrides it with the known date.)
3. **Term end without credit**: the term runs from the first day of detention.
   Its months are added as calendar months (``detained_on + months``), then its
   days as calendar days. When the target month is shorter, the day is clamped
   to the month's last day: 29 February + 12 months is 28 February of a common
   year, 31 August + 6 months is 28 (or 29) February.
4. **Release**: the credit beyond the days actually spent in detention
   (``credited_days - detention_days``) is time the prisoner does not have to
   serve, so ``release_on = term_end - (credited_days - detention_days)``.
   With a ratio of 1 the release is simply the term end.
5. **Already served**: when that day falls on or before the verdict, the term
   was covered by the credited detention; the release is the verdict day and
   ``remaining_days`` is None. Otherwise ``remaining_days = release_on -
   verdict_on`` (the days still to serve after the verdict).
6. **Stated date wins**: when a court or an organizer stated the release date,
   it is returned as is (``stated=True``), with the detention and credit filled
   in where they are known (0 otherwise), and no arithmetic on the release.

The Zaysan case (Murager Alimuly, Qaster Musakhanuly): detained 2019-10-18,
verdict 2020-01-21, one year, each day counted as two.

- detention: 2019-10-18 .. 2020-01-20 = 95 days (14 in October, 30 + 31, 20 in
  January), "3 months 3 days" as the lawyer said (18 October + 3 months =
  18 January, + 3 days = 21 January);
- credit: 95 x 2 = 190 days ("6 months 6 days"), 95 days beyond those served;
- term end without credit: 2019-10-18 + 12 months = 2020-10-18;
- release: 2020-10-18 - 95 days = **2020-07-15**, 176 days after the verdict
  (one year less 6 months 6 days: "about five months" left).

Counting both end days (96 days of detention) would give 2020-07-14 instead;
the rule above is the one that yields the known date.

Returns None when there is not enough to compute (no stated date and no
verdict, detention start or credit ratio: the ratio depends on the regime and
is never assumed), or when the inputs contradict each other (a negative term,
a ratio not above 0, a verdict before the detention).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Protocol

__all__ = ["HasSentence", "ReleaseEstimate", "add_months", "estimate_for", "expected_release"]


@dataclass(frozen=True)
class ReleaseEstimate:
    """An expected release date and how it was obtained."""

    release_on: date
    """The expected release day."""
    stated: bool
    """True when a court or organizer stated the date (then no arithmetic)."""
    credited_days: int
    """Pre-trial days counted as served, after the ratio (0 when unknown)."""
    detention_days: int
    """Calendar days in pre-trial detention (0 when unknown)."""
    remaining_days: int | None
    """Days still to serve from the verdict; None when the term was already over."""


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the last day of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _credit(detention_days: int, ratio: float) -> int:
    # Exact arithmetic: 1.5 and 2 are exact floats, but a ratio read back from a
    # database may be 1.4999999; limit_denominator turns it back into 3/2.
    exact = Fraction(ratio).limit_denominator(1000) * detention_days
    return math.ceil(exact)


def expected_release(
    *,
    months: int,
    days: int = 0,
    ratio: float | None,
    detained_on: date | None,
    verdict_on: date | None,
    stated_release: date | None = None,
) -> ReleaseEstimate | None:
    """The expected release day of a sentence of `months` months and `days` days.

    Rule (see the module docstring for the derivation and the Zaysan example):
    ``detention_days = verdict_on - detained_on`` (first day counted, verdict
    day not); ``credited_days = ceil(detention_days * ratio)``;
    ``release_on = add_months(detained_on, months) + days - (credited_days -
    detention_days)``, but never before the verdict day (then
    ``remaining_days`` is None). A `stated_release` wins (``stated=True``).
    None when not enough is known, or the inputs contradict each other.
    """
    consistent = (
        detained_on is not None
        and verdict_on is not None
        and ratio is not None
        and ratio > 0
        and months >= 0
        and days >= 0
        and verdict_on >= detained_on
    )
    detention_days = credited_days = 0
    if detained_on is not None and verdict_on is not None and verdict_on >= detained_on:
        detention_days = (verdict_on - detained_on).days
        if consistent:
            assert ratio is not None
            credited_days = _credit(detention_days, ratio)
    if stated_release is not None:
        remaining = (stated_release - verdict_on).days if verdict_on is not None else None
        return ReleaseEstimate(
            release_on=stated_release,
            stated=True,
            credited_days=credited_days,
            detention_days=detention_days,
            remaining_days=remaining if remaining is not None and remaining > 0 else None,
        )
    if not consistent:
        return None
    assert detained_on is not None and verdict_on is not None
    term_end = add_months(detained_on, months) + timedelta(days=days)
    release_on = max(term_end - timedelta(days=credited_days - detention_days), verdict_on)
    return ReleaseEstimate(
        release_on=release_on,
        stated=False,
        credited_days=credited_days,
        detention_days=detention_days,
        remaining_days=(release_on - verdict_on).days if release_on > verdict_on else None,
    )


class HasSentence(Protocol):
    """Anything holding a case's sentence fields (the Case table, a CaseView)."""

    @property
    def sentence_months(self) -> int | None: ...
    @property
    def sentence_days(self) -> int | None: ...
    @property
    def credit_ratio(self) -> float | None: ...
    @property
    def detained_on(self) -> date | None: ...
    @property
    def verdict_on(self) -> date | None: ...
    @property
    def release_on(self) -> date | None: ...


def estimate_for(record: HasSentence) -> ReleaseEstimate | None:
    """The expected release of a case's sentence (None without a term or a stated date)."""
    if record.sentence_months is None and record.sentence_days is None and not record.release_on:
        return None
    return expected_release(
        months=record.sentence_months or 0,
        days=record.sentence_days or 0,
        ratio=record.credit_ratio,
        detained_on=record.detained_on,
        verdict_on=record.verdict_on,
        stated_release=record.release_on,
    )
