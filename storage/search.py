"""Name search across scripts and spellings: a small in-memory index.

Every name of a case ("Қастер Мұсаханұлы", "Кастер Мусаханулы", "Qaster
Musakhanuly", an alias "Musakhauly") is reduced to its key by
`storage.names.name_key` ("kaster musahanuli"); keys that several scripts
share are stored once per case. The index keeps two vocabularies, built at
`upsert` time, never per query:

- the **words** of all keys ("kaster", "musahanuli", ...), each with the set
  of names it occurs in, plus a sorted copy for prefix look-ups;
- the **full keys without spaces** ("kastermusahanuli"), for queries whose
  spaces are missing or misplaced ("SayragulSauytbay").

How a query is answered
-----------------------

1. At most the first 300 characters are looked at. A case number ("3", "#3",
   "No 3", "№3") or an exact slug ("murager-alimuly") returns that case alone,
   score 100, or nothing when no such case exists.
2. Otherwise HTML tags and entities are dropped and the text is keyed with
   `name_key`; only the first 100 characters and 6 words of the key count.
   Nothing left (empty, emoji, punctuation, Arabic...) means an empty result.
3. Each query word is scored against the word vocabulary with `fuzz.ratio`
   (normalized Indel similarity, ``2 * LCS / (len1 + len2) * 100``) through
   `rapidfuzz.process.extract` with ``score_cutoff=50``: one C++ loop over a
   list prepared at build time. A missing or extra letter costs about 6 points
   in a word of 8 letters ("sautbai" / "sauitbai" = 93.3, "musahauli" /
   "musahanuli" = 94.7). A query word that is a **prefix** of a longer word
   scores ``80 + 20 * len(query word) / len(word)`` ("sauit" finds "sauitbai"
   with 92.5), found by bisection in the sorted vocabulary (at most 300 words
   scanned).
4. **Short words**: a query word of one letter only counts when a name has
   that very word; a word of two letters counts only as an exact word or a
   prefix (no fuzzy scoring: "ai" would otherwise be close to half the
   vocabulary). So a one-letter query finds nothing, and a two-letter query
   lists the names that have a word starting with those letters.
5. A **name's score** is the average of the query words' best scores among
   the name's words, weighted by the words' lengths (word scores below 50
   count as 0). The words may come in any order ("Alimuly Murager"), and a
   query may name fewer words than the name has: a surname or first name
   alone scores 100 on its own. Names sharing no word scoring at least
   CLOSE with the query cannot average CLOSE and are never looked at.
6. When the best score so far is below 90, a second pass compares the query
   without spaces with the full keys without spaces (`fuzz.ratio`,
   ``score_cutoff=CLOSE``); a name's score is the higher of the two.
7. A **case's score** is its best name's score; one match per case, with the
   original text of that name (in the query's script where it has one).

Thresholds
----------

- ``CLOSE = 80``: below it a case is not shown; when no case reaches it the
  result is empty. One wrong or missing letter in a word of 5 or more letters
  stays above it (6 letters: 83-91), two wrong letters in a short word or an
  unrelated name ("Smith", "Zhukeev") fall below.
- ``TIE_MARGIN = 5``: when the second case scores within 5 points of the
  first, the result is ambiguous and the bot lists the cases instead of
  guessing ("Serikuly" when "Aidos Serikuly" and "Aidar Serikuly" both
  exist: 100 and 100). An exact word beats a one-letter neighbour of 8 or
  fewer letters (100 against at most 94): the exact name is then confident.
  "Aidos Serikuly" against "Aidar Serikuly" scores 100 against 84.6: confident.
- ``SHOW_WINDOW = 15``: matches scoring more than 15 points below the best
  are left out even above CLOSE; at most `limit` matches are returned.

Updates and speed
-----------------

`upsert` and `remove` change only the case's own names: a word or key new to
the index is appended to its vocabulary (and inserted into the sorted copy);
removed names leave tombstones, and words no name uses any more stay in the
vocabulary with an empty posting set (skipped by searches, reused when the
word comes back). When tombstones or unused words outnumber the live ones
(plus 1,024), the next change compacts the index by rebuilding it from the
stored cases: an O(n) rebuild at most once per n changes. The per-query cost
is one `process.extract` per query word over the word vocabulary (a few
thousand words), an optional one over the full keys (one per distinct name),
and Python work proportional to the matching names only; see
benchmarks/search_bench.py. An internal lock makes the index safe to share
between threads (searches and changes are serialized).
"""

from __future__ import annotations

import bisect
import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from storage.models import Case, CaseName
from storage.names import name_key

__all__ = [
    "CLOSE",
    "SHOW_WINDOW",
    "TIE_MARGIN",
    "IndexedCase",
    "Match",
    "SearchIndex",
    "SearchResult",
    "load_index",
]

CLOSE = 80.0
"""A case scoring below this is not shown; nothing at or above it: empty result."""
TIE_MARGIN = 5.0
"""The first two cases within this many points: ambiguous, list them."""
SHOW_WINDOW = 15.0
"""Matches more than this many points below the best are not shown."""
WORD_MIN = 50.0
"""Word similarities below this count as 0 (different words)."""
PREFIX_BASE = 80.0
"""A query word that begins a longer word scores PREFIX_BASE + the rest in proportion."""
FULL_PASS_BELOW = 90.0
"""The full-key pass (spaces ignored) runs only when the best score is below this."""
MAX_QUERY_CHARS = 300
MAX_KEY_CHARS = 100
MAX_QUERY_WORDS = 6
MAX_NAME_CHARS = 200
PREFIX_SCAN = 300
MAX_CANDIDATES = 20_000
_COMPACT_SLACK = 1024

_NUMBER = re.compile(r"\s*(?:#|№|n[o°º]?\.?)?\s*(\d{1,18})\s*", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,200}>")


@dataclass(frozen=True)
class IndexedCase:
    """What the index needs about a case: its id, slug and every name in any script."""

    case_id: int
    slug: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A case found by a query, with its score and the name that matched best."""

    case_id: int
    score: float
    """0..100"""
    matched: str
    """The original text of the name that matched best."""


@dataclass(frozen=True)
class SearchResult:
    """The cases worth showing for a query, best first."""

    matches: tuple[Match, ...] = ()

    @property
    def best(self) -> Match | None:
        """The single confident answer, or None when tied or nothing is close."""
        if not self.matches or self.ambiguous:
            return None
        return self.matches[0]

    @property
    def ambiguous(self) -> bool:
        """True when two or more cases score within TIE_MARGIN of each other."""
        return (
            len(self.matches) >= 2 and self.matches[1].score >= self.matches[0].score - TIE_MARGIN
        )

    @property
    def empty(self) -> bool:
        """True when nothing is close enough to show."""
        return not self.matches


@dataclass(frozen=True, slots=True)
class _Name:
    case_id: int
    words: tuple[int, ...]
    full: int
    latin: str
    cyrillic: str


class _Vocabulary:
    """Distinct strings with the name slots that use each; ids are list positions."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[set[int]] = []
        self.live = 0

    def add(self, item: str, slot: int) -> tuple[int, bool]:
        """Record that `slot` uses `item`; return its id and whether the item is new."""
        index = self.ids.get(item)
        new = index is None
        if index is None:
            index = len(self.items)
            self.items.append(item)
            self.ids[item] = index
            self.postings.append(set())
        posting = self.postings[index]
        if not posting:
            self.live += 1
        posting.add(slot)
        return index, new

    def discard(self, index: int, slot: int) -> None:
        """Forget that `slot` uses the item `index`."""
        posting = self.postings[index]
        if slot in posting:
            posting.discard(slot)
            if not posting:
                self.live -= 1

    @property
    def dead(self) -> int:
        return len(self.items) - self.live


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def _prefix_score(length: int, word_length: int) -> float:
    return PREFIX_BASE + (100.0 - PREFIX_BASE) * length / word_length


class SearchIndex:
    """Cases' names, keyed and split into words, ready for fuzzy look-ups."""

    def __init__(self, cases: Iterable[IndexedCase] = ()) -> None:
        self._lock = threading.RLock()
        self._cases: dict[int, IndexedCase] = {}
        self._slugs: dict[str, int] = {}
        self._reset()
        for case in cases:
            self._remove(case.case_id)
            self._add(case)

    # ------------------------------------------------------------------ build

    def _reset(self) -> None:
        self._names: list[_Name | None] = []
        self._live_names = 0
        self._case_slots: dict[int, list[int]] = {}
        self._words = _Vocabulary()
        self._sorted_words: list[str] = []
        self._fulls = _Vocabulary()

    def _add(self, case: IndexedCase) -> None:
        self._cases[case.case_id] = case
        self._slugs[case.slug.strip().lower()] = case.case_id
        grouped: dict[str, list[str]] = {}
        for text in case.names:
            key = name_key(text[:MAX_NAME_CHARS])
            if key:
                grouped.setdefault(key, []).append(text)
        slots: list[int] = []
        for key, texts in grouped.items():
            slot = len(self._names)
            word_ids: list[int] = []
            for word in dict.fromkeys(key.split()):
                index, new = self._words.add(word, slot)
                if new:
                    bisect.insort(self._sorted_words, word)
                word_ids.append(index)
            full, _ = self._fulls.add(key.replace(" ", ""), slot)
            cyrillic = next((text for text in texts if _has_cyrillic(text)), texts[0])
            latin = next((text for text in texts if not _has_cyrillic(text)), texts[0])
            self._names.append(_Name(case.case_id, tuple(word_ids), full, latin, cyrillic))
            slots.append(slot)
        self._live_names += len(slots)
        self._case_slots[case.case_id] = slots

    def _remove(self, case_id: int) -> bool:
        old = self._cases.pop(case_id, None)
        if old is None:
            return False
        if self._slugs.get(old.slug.strip().lower()) == case_id:
            del self._slugs[old.slug.strip().lower()]
        for slot in self._case_slots.pop(case_id, []):
            name = self._names[slot]
            if name is None:
                continue
            for index in name.words:
                self._words.discard(index, slot)
            self._fulls.discard(name.full, slot)
            self._names[slot] = None
            self._live_names -= 1
        return True

    def _maybe_compact(self) -> None:
        dead_names = len(self._names) - self._live_names
        if (
            dead_names > self._live_names + _COMPACT_SLACK
            or self._words.dead > self._words.live + _COMPACT_SLACK
            or self._fulls.dead > self._fulls.live + _COMPACT_SLACK
        ):
            cases = list(self._cases.values())
            self._cases.clear()
            self._slugs.clear()
            self._reset()
            for case in cases:
                self._add(case)

    def upsert(self, case: IndexedCase) -> None:
        """Add a case or replace all of its names (and its slug)."""
        with self._lock:
            self._remove(case.case_id)
            self._add(case)
            self._maybe_compact()

    def remove(self, case_id: int) -> None:
        """Forget a case; nothing happens when it is not in the index."""
        with self._lock:
            if self._remove(case_id):
                self._maybe_compact()

    def __len__(self) -> int:
        """The number of cases in the index."""
        return len(self._cases)

    def __contains__(self, case_id: object) -> bool:
        """True when the case is in the index."""
        return case_id in self._cases

    # ----------------------------------------------------------------- search

    def search(self, query: str, *, limit: int = 8) -> SearchResult:
        """The cases whose names are close to `query` (any script or spelling); never raises."""
        with self._lock:
            return self._search(str(query)[:MAX_QUERY_CHARS], max(1, limit))

    def _direct(self, text: str) -> int | None:
        number = _NUMBER.fullmatch(text)
        if number is not None:
            case_id = int(number.group(1))
            return case_id if case_id in self._cases else -1
        return self._slugs.get(text.strip().lower())

    def _display(self, case_id: int) -> str:
        case = self._cases[case_id]
        return case.names[0] if case.names else case.slug

    def _search(self, text: str, limit: int) -> SearchResult:
        direct = self._direct(text)
        if direct is not None:
            if direct < 0:
                return SearchResult()
            return SearchResult((Match(direct, 100.0, self._display(direct)),))
        cleaned = html.unescape(_TAG.sub(" ", text))
        key = name_key(cleaned)[:MAX_KEY_CHARS]
        words = key.split()[:MAX_QUERY_WORDS]
        if not words:
            return SearchResult()
        hits = {word: self._word_hits(word) for word in dict.fromkeys(words)}
        if len(words) == 1:
            found = self._single_word(hits[words[0]], limit)
        else:
            found = self._aligned(words, hits)
        top = max((score for score, _ in found.values()), default=0.0)
        joined = "".join(words)
        if top < FULL_PASS_BELOW and len(joined) >= 3:
            self._full_pass(joined, found)
        return self._result(found, limit, cyrillic=_has_cyrillic(cleaned))

    def _word_hits(self, word: str) -> dict[int, float]:
        """Vocabulary ids of the words close to `word`, with their scores (>= WORD_MIN)."""
        vocabulary = self._words
        hits: dict[int, float] = {}
        if len(word) >= 3:
            for _, score, index in process.extract(
                word,
                vocabulary.items,
                scorer=fuzz.ratio,
                score_cutoff=WORD_MIN,
                limit=None,
            ):
                if vocabulary.postings[index]:
                    hits[index] = float(score)
        else:
            exact = vocabulary.ids.get(word)
            if exact is not None and vocabulary.postings[exact]:
                hits[exact] = 100.0
        if len(word) >= 2:
            start = bisect.bisect_left(self._sorted_words, word)
            for other in self._sorted_words[start : start + PREFIX_SCAN]:
                if not other.startswith(word):
                    break
                if len(other) == len(word):
                    continue
                index = vocabulary.ids[other]
                if vocabulary.postings[index]:
                    score = _prefix_score(len(word), len(other))
                    if score > hits.get(index, 0.0):
                        hits[index] = score
        return hits

    def _single_word(self, hits: dict[int, float], limit: int) -> dict[int, tuple[float, int]]:
        """Best (score, name slot) per case for a one-word query: its best word."""
        found: dict[int, tuple[float, int]] = {}
        postings = self._words.postings
        for index, score in sorted(hits.items(), key=lambda item: -item[1]):
            if score < CLOSE or len(found) > limit:
                break
            for slot in sorted(postings[index]):
                name = self._names[slot]
                assert name is not None
                if name.case_id not in found:
                    found[name.case_id] = (score, slot)
        return found

    def _aligned(
        self, words: list[str], hits: dict[str, dict[int, float]]
    ) -> dict[int, tuple[float, int]]:
        """Best (score, name slot) per case for a query of several words."""
        postings = self._words.postings
        candidates: set[int] = set()
        for word_hits in hits.values():
            for index, score in word_hits.items():
                if score >= CLOSE:
                    candidates.update(postings[index])
            if len(candidates) > MAX_CANDIDATES:
                break
        weights = [len(word) for word in words]
        total = float(sum(weights))
        per_word = [hits[word] for word in words]
        found: dict[int, tuple[float, int]] = {}
        for slot in sorted(candidates):
            name = self._names[slot]
            assert name is not None
            score = 0.0
            for weight, word_hits in zip(weights, per_word, strict=True):
                score += weight * max(word_hits.get(index, 0.0) for index in name.words)
            score /= total
            previous = found.get(name.case_id)
            if previous is None or score > previous[0]:
                found[name.case_id] = (score, slot)
        return found

    def _full_pass(self, joined: str, found: dict[int, tuple[float, int]]) -> None:
        """Raise cases' scores by comparing the query and the full keys, spaces ignored."""
        fulls = self._fulls
        for _, score, index in process.extract(
            joined,
            fulls.items,
            scorer=fuzz.ratio,
            score_cutoff=CLOSE,
            limit=None,
        ):
            for slot in sorted(fulls.postings[index]):
                name = self._names[slot]
                assert name is not None
                previous = found.get(name.case_id)
                if previous is None or score > previous[0]:
                    found[name.case_id] = (float(score), slot)

    def _result(
        self, found: dict[int, tuple[float, int]], limit: int, *, cyrillic: bool
    ) -> SearchResult:
        ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
        if not ranked or ranked[0][1][0] < CLOSE:
            return SearchResult()
        floor = max(CLOSE, ranked[0][1][0] - SHOW_WINDOW)
        matches: list[Match] = []
        for case_id, (score, slot) in ranked[:limit]:
            if score < floor:
                break
            name = self._names[slot]
            assert name is not None
            matched = name.cyrillic if cyrillic else name.latin
            matches.append(Match(case_id, round(min(score, 100.0), 1), matched))
        return SearchResult(tuple(matches))


def load_index(session: Session) -> SearchIndex:
    """Build the index from the database in one query (cases outer-joined with their names)."""
    rows = session.exec(
        select(Case.id, Case.slug, CaseName.text)
        .join(CaseName, col(CaseName.case_id) == col(Case.id), isouter=True)
        .order_by(col(Case.id), col(CaseName.is_primary).desc(), col(CaseName.id))
    ).all()
    names: dict[int, tuple[str, list[str]]] = {}
    for row_id, slug, text in rows:
        if row_id is None:
            continue
        entry = names.setdefault(row_id, (slug, []))
        if text is not None:
            entry[1].append(text)
    return SearchIndex(
        IndexedCase(case_id=case_id, slug=slug, names=tuple(texts))
        for case_id, (slug, texts) in names.items()
    )
