"""Name search across scripts and spellings: a small in-memory index.

Every name of a case ("Қастер Мұсаханұлы", "Кастер Мусаханулы", "Qaster
Musakhanuly", an alias "Musakhauly", a Chinese "哈斯铁尔·木沙汗", an Arabic-script
"قاستەر مۇساحانۇلى") is reduced to its keys by `storage.domain.names.name_keys`
("kaster musahanuli"; "hasitier mushahan"; a name in an official Latin
alphabet may have two keys, one per reading); keys that several scripts share
are stored once per case. The index keeps two vocabularies, built at `upsert`
time, never per query (`storage.domain.search_words`):

- the **words** of all keys ("kaster", "musahanuli", ...), a patronymic
  written apart joined to its word ("alim uly" is "alimuli"), each with the
  names it occurs in, in buckets by length and origin (Kazakh names, or the
  pinyin of Chinese ones) for the fuzzy scan and sorted for prefix
  look-ups; and, apart, the words' roots without -ұлы/-қызы/-ов/-ева
  ("musahan");
- the **full keys without spaces** ("kastermusahanuli"), for queries whose
  spaces are missing or misplaced ("SayragulSauytbay", "木拉格尔阿里木").

How a query is answered
-----------------------

1. At most the first 300 characters are looked at. A case number ("3", "#3",
   "No 3", "№3") or an exact slug ("murager-alimuly") returns that case alone,
   score 100, or nothing when no such case exists.
2. Otherwise HTML tags and entities are dropped and the text is keyed with
   `name_keys`: one key per reading (informal Latin, and each official Kazakh
   Latin alphabet whose marks the text has: "Saýytbaı" is read in 2018 too,
   where ý is у). A query mixing scripts ("مرحبا Sauytbay", "木拉格尔 Alimuly")
   is also read one script at a time. Each reading is searched as below and
   a case keeps its best score over all of them. Only the first 100
   characters and 6 words of a key count; nothing left (empty, emoji,
   punctuation) means an empty result.
3. Query words are matched against the vocabulary of words as
   `storage.domain.search_words` describes: `fuzz.ratio` with a ``score_cutoff``,
   prefixes (``80 + 20 * len(query word) / len(word)``), exact matches only
   for words of one or two letters, and the roots of patronymic and
   Russified endings, 6 points lower ("Akankyzy" finds "Qaisha Aqan" at 94;
   "Alimov" finds "Murager Alimuly" through the root "alim").
4. **One word**: a name's score is its best word's score (a surname or a
   first name alone scores 100); the vocabulary is searched with
   ``score_cutoff=CLOSE`` and words are visited best first until more than
   `limit` cases are found. A query in Chinese characters is compared
   fuzzily with Chinese names only (exactly with any word: 凯莎 reads
   "kaisha"); a Latin one with the pinyin too when nothing Kazakh scores 90.
5. **Several words**: a name's score is the average, weighted by the query
   words' lengths, of each query word's best score among the name's words
   (scores below 50 count as 0). Words may come in any order ("Alimuly
   Murager"), and the query may name fewer words than the name has. For the
   average to reach CLOSE, a query word of length w out of W letters must
   itself score at least ``(CLOSE * W - 100 * (W - w)) / w`` (60 for two words
   of equal length): the word with the highest such level is looked up in the
   whole vocabulary, the names it reaches are scored best first until no
   other can come within SHOW_WINDOW of the best, and the other query words
   are scored only against the words of the names visited. (With no
   positive level, e.g. six short words, the candidates are the names with a
   word scoring CLOSE.) At most about 3,000 names are scored per reading. A
   later reading starts from the floor an earlier one set, so a second
   reading costs little when the first found the person.
6. A one-word query whose best score so far is below 90 may be two words
   run together ("АлмасТабылұлы"): it is also searched as two words, cut
   where a known word of 3 letters or more is left on a side (at most three
   cuts, both sides known first). When that too stays below 90, or a query
   of several words found nothing, a last pass compares the key without
   spaces with the full keys without spaces (`fuzz.ratio`,
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
  A match through a root is 6 points below an exact word, so "Bolatuly"
  names the one Bolatuly rather than every Bolat.
- ``MIN_SURE_LETTERS = 4``: a query of fewer letters ("Ali", "uly", "Ta",
  "木") never gives a confident answer; what it finds is listed
  (`SearchResult.tentative`), so that three letters cannot open a card.
- ``SHOW_WINDOW = 15``: matches scoring more than 15 points below the best
  are left out even above CLOSE; at most `limit` matches are returned.

Updates and speed
-----------------

`upsert` and `remove` change only the case's own names: a word or key new to
the index is appended to its vocabulary (and inserted into the sorted copy);
removed names leave tombstones, and words no name uses any more stay in the
vocabulary with an empty posting (skipped by searches, reused when the
word comes back). Amortized maintenance, done by the change that crosses the
threshold, never by a search: when tombstones or unused words outnumber the
live ones (plus 1,024), the index is rebuilt from the stored cases (O(n), at
most once per n changes); when more than a quarter (and over 1,024) of the
vocabulary strings were appended since the last packing, they are copied
into adjacent memory again (see `Vocabulary.pack`). The per-query cost is
one `process.extract` scan over the word lengths that can reach the cutoff
per reading, sometimes one over the full keys, and Python work proportional
to the names visited; see benchmarks/search_bench.py and the README for
measured figures. An internal lock makes the index safe to share between
threads (searches and changes are serialized).
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.database.models import Case, CaseName
from storage.domain.names import name_keys, name_words, word_root
from storage.domain.scripts import script_of, split_by_script
from storage.domain.scripts.chinese import without_han
from storage.domain.search_scoring import (
    CLOSE,
    SHOW_WINDOW,
    Found,
    merge,
    several_words,
    single_word,
)
from storage.domain.search_words import (
    REMOVED,
    FullKeys,
    NameSlot,
    Scan,
    WordVocabulary,
)

__all__ = [
    "CLOSE",
    "MIN_SURE_LETTERS",
    "SHOW_WINDOW",
    "TIE_MARGIN",
    "IndexedCase",
    "Match",
    "SearchIndex",
    "SearchResult",
    "load_index",
]

TIE_MARGIN = 5.0
"""The first two cases within this many points: ambiguous, list them."""
MIN_SURE_LETTERS = 4
"""A query with fewer letters than this is never a confident answer (it lists)."""
MAX_SPLITS = 3
"""Cuts of a one-word query tried as two words run together (see `SearchIndex._splits`)."""
FULL_PASS_BELOW = 90.0
"""The full-key pass (spaces ignored) runs for one word only when its best score is below this
(a query of several words: when it found nothing)."""
MAX_QUERY_CHARS = 300
MAX_KEY_CHARS = 100
MAX_QUERY_WORDS = 6
MAX_NAME_CHARS = 200
_COMPACT_SLACK = 1024


_NUMBER = re.compile(r"\s*(?:#|№|n[o°º]?\.?)?\s*(\d{1,18})\s*", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,200}>")
_LETTER = re.compile(r"[^\W\d_]")


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
    tentative: bool = False
    """The query is too short to be sure of (MIN_SURE_LETTERS): list, never pick."""

    @property
    def best(self) -> Match | None:
        """The single confident answer, or None when tied, tentative or nothing is close."""
        if not self.matches or self.ambiguous or self.tentative:
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


def _scan_for(text: str) -> Scan:
    """The words a query in `text` is compared with: the pinyin of Chinese names for
    Chinese characters, Kazakh names' words for anything else (or both, for a mix)."""
    if script_of(text) != "han":
        return Scan.KAZAKH
    return Scan.PINYIN | Scan.KAZAKH if _LETTER.search(without_han(text)) else Scan.PINYIN


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
        self._pack()

    # ------------------------------------------------------------------ build

    def _reset(self) -> None:
        self._names: list[NameSlot] = []
        self._live_names = 0
        self._case_slots: dict[int, tuple[int, ...]] = {}
        self._words = WordVocabulary()
        self._fulls = FullKeys()

    def _pack(self) -> None:
        self._words.pack()
        self._fulls.pack()

    def _add(self, case: IndexedCase) -> None:
        self._cases[case.case_id] = case
        slug = case.slug.strip().lower()
        self._slugs[case.slug if slug == case.slug else slug] = case.case_id
        grouped: dict[str, list[str]] = {}
        for text in case.names:
            for key in name_keys(text[:MAX_NAME_CHARS]):
                grouped.setdefault(key, []).append(text)
        slots: list[int] = []
        for key, texts in grouped.items():
            slot = len(self._names)
            words = list(dict.fromkeys(name_words(key)))
            scan = Scan.PINYIN if any(script_of(text) == "han" for text in texts) else Scan.KAZAKH
            ids = [self._words.add_word(word, slot, scan) for word in words]
            roots = dict.fromkeys(root for root in map(word_root, words) if root)
            ids += [self._words.add_root(root, slot) for root in roots]
            full = self._fulls.add_key("".join(words), slot, scan)
            cyrillic = next((text for text in texts if script_of(text) == "cyrillic"), texts[0])
            latin = next((text for text in texts if script_of(text) != "cyrillic"), texts[0])
            self._names.append(NameSlot(case.case_id, tuple(ids), full, latin, cyrillic))
            slots.append(slot)
        self._live_names += len(slots)
        self._case_slots[case.case_id] = tuple(slots)

    def _remove(self, case_id: int) -> bool:
        old = self._cases.pop(case_id, None)
        if old is None:
            return False
        if self._slugs.get(old.slug.strip().lower()) == case_id:
            del self._slugs[old.slug.strip().lower()]
        for slot in self._case_slots.pop(case_id, ()):
            name = self._names[slot]
            if name is REMOVED:
                continue
            for index in name.words:
                self._words.discard(index, slot)
            self._fulls.discard(name.full, slot)
            self._names[slot] = REMOVED
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
            self._pack()
        elif self._words.needs_packing() or self._fulls.needs_packing():
            self._pack()

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
        keys: dict[str, Scan] = {}
        for part in (cleaned, *split_by_script(cleaned)):
            for key in name_keys(part):
                keys[key] = keys.get(key, Scan(0)) | _scan_for(part)
        found: Found = {}
        letters = 0
        floor = CLOSE
        for key, scan in reversed(keys.items()):  # official alphabets' readings first
            words = name_words(key[:MAX_KEY_CHARS])[:MAX_QUERY_WORDS]
            if not words:
                continue
            letters = max(letters, sum(map(len, words)))
            if len(words) == 1:
                reading = single_word(self._words, self._names, words[0], limit, scan, floor)
                for pair in self._splits(words[0]):
                    if (
                        max((score for score, _ in reading.values()), default=0.0)
                        >= FULL_PASS_BELOW
                    ):
                        break
                    merge(reading, several_words(self._words, self._names, pair, scan, floor))
            else:
                reading = several_words(self._words, self._names, words, scan, floor)
            top = max((score for score, _ in reading.values()), default=0.0)
            joined = key[:MAX_KEY_CHARS].replace(" ", "")
            below = FULL_PASS_BELOW if len(words) == 1 else CLOSE
            if top < below and len(joined) >= 3:
                self._full_pass(joined, reading, Scan.PINYIN | scan, floor)
            merge(found, reading)
            best = max((score for score, _ in found.values()), default=0.0)
            floor = max(floor, best - SHOW_WINDOW)  # what later readings must beat to show
        return self._result(found, limit, script_of(cleaned), tentative=letters < MIN_SURE_LETTERS)

    def _splits(self, word: str) -> list[list[str]]:
        """Where a word may be two run together ("almastabiluli"): the (at most three)
        cuts leaving a known word of 3 letters or more on either side, both sides first."""
        exact = self._words.words.exact
        cuts = []
        for at in range(3, len(word) - 2):
            left, right = word[:at], word[at:]
            known = (exact(left) is not None) + (exact(right) is not None)
            if known:
                cuts.append((-known, at, [left, right]))
        return [pair for _, _, pair in sorted(cuts)[:MAX_SPLITS]]

    def _full_pass(self, joined: str, found: Found, scan: Scan, floor: float) -> None:
        """Raise cases' scores by comparing the query and the full keys, spaces ignored."""
        fulls = self._fulls
        for index, score in fulls.hits(joined, floor, scan).items():
            for slot in sorted(fulls.slots(index)):
                name = self._names[slot]
                previous = found.get(name.case_id)
                if previous is None or score > previous[0]:
                    found[name.case_id] = (score, slot)

    def _result(self, found: Found, limit: int, script: str, *, tentative: bool) -> SearchResult:
        ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
        if not ranked or ranked[0][1][0] < CLOSE:
            return SearchResult()
        floor = max(CLOSE, ranked[0][1][0] - SHOW_WINDOW)
        matches: list[Match] = []
        for case_id, (score, slot) in ranked[:limit]:
            if score < floor:
                break
            name = self._names[slot]
            matched = name.cyrillic if script == "cyrillic" else name.latin
            if script_of(matched) != script:  # e.g. a Latin query that met a Chinese name
                names = self._cases[case_id].names
                matched = next((text for text in names if script_of(text) == script), matched)
            matches.append(Match(case_id, round(min(score, 100.0), 1), matched))
        return SearchResult(tuple(matches), tentative=tentative)


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
