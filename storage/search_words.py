"""The vocabularies of the name search index and how one query word is matched.

`storage.search` keys every name (`storage.names.name_keys`), splits the keys
into words and keeps two vocabularies: the words, and the full keys without
spaces. This module holds them and scores a query word against the words:

- `fuzz.ratio` (normalized Indel similarity, ``2 * LCS / (len1 + len2) *
  100``) through one `rapidfuzz.process.extract` call over the vocabulary,
  with a ``score_cutoff`` (a missing letter in a word of 8 costs about 6);
- a query word that **begins** a longer word scores
  ``PREFIX_BASE + 20 * len(query word) / len(word)`` ("sauit" finds
  "sauitbai" with 92.5), found by bisection in a sorted copy;
- words of one or two letters only match exactly (or, two letters, as a
  prefix): "ai" would otherwise be close to half the vocabulary;
- a query word with a patronymic or Russified ending ("akankizi",
  "musahanov") also matches its root ("akan", "musahan"), exactly or as a
  prefix, ``ROOT_PENALTY`` points lower, so that "Akankyzy" finds "Qaisha
  Aqan" but an exact "Bolatuly" still beats "Bolat".

Names store the roots of their own words too ("alim" for "Alimuly"), marked
as roots: a match on a name's root counts ``ROOT_PENALTY`` points less (the
father's name "Alim" finds "Murager Alimuly" at 94, a first name "Alim" at 100).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from storage.names import word_root

WORD_MIN = 50.0
"""Word similarities below this count as 0 (different words)."""
PREFIX_BASE = 80.0
"""A query word that begins a longer word scores PREFIX_BASE + the rest in proportion."""
ROOT_PENALTY = 6.0
"""Points a match through a root (the query's or the name's) counts less than a word match."""
PREFIX_SCAN = 300
"""At most this many longer words are looked at for a prefix."""
PACK_SLACK = 1024


@dataclass(frozen=True, slots=True)
class NameSlot:
    """One distinct key of a case's names, as ids into the vocabularies."""

    case_id: int
    words: tuple[int, ...]
    roots: tuple[int, ...]
    """Roots of the words (Alimuly → alim), matched ROOT_PENALTY points lower."""
    full: int
    latin: str
    cyrillic: str

    def word_score(self, scores: dict[int, float]) -> float:
        """The best of `scores` (vocabulary id → score) among this name's words and roots."""
        best = max([scores.get(index, 0.0) for index in self.words], default=0.0)
        for index in self.roots:
            score = scores.get(index, 0.0) - ROOT_PENALTY
            if score > best:
                best = score
        return best


REMOVED = NameSlot(-1, (), (), -1, "", "")
"""The name slot of a removed name (postings never point at it)."""


def prefix_score(length: int, word_length: int) -> float:
    """The score of a query word of `length` letters that begins a word of `word_length`."""
    return PREFIX_BASE + (100.0 - PREFIX_BASE) * length / word_length


class Vocabulary:
    """Distinct strings with the name slots that use each; ids are list positions."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[set[int]] = []
        self.live = 0
        self.unpacked = 0

    def add(self, item: str, slot: int) -> tuple[int, bool]:
        """Record that `slot` uses `item`; return its id and whether the item is new."""
        index = self.ids.get(item)
        new = index is None
        if index is None:
            index = len(self.items)
            self.items.append(item)
            self.ids[item] = index
            self.postings.append(set())
            self.unpacked += 1
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
        """Items no name uses any more."""
        return len(self.items) - self.live

    def needs_packing(self) -> bool:
        """True when many items were appended since the last `pack`."""
        return self.unpacked > max(PACK_SLACK, len(self.items) // 4)

    def pack(self) -> None:
        """Copy the strings into fresh, adjacent objects in list order.

        The strings of a freshly built index lie scattered between the sets and
        tuples allocated with them; rapidfuzz then spends most of its time on
        cache misses (measured: 4x slower over 80,000 keys). Fresh copies made
        in one loop lie next to each other in memory.
        """
        self.items = [item.encode().decode() for item in self.items]
        self.ids = {item: index for index, item in enumerate(self.items)}
        self.unpacked = 0


class WordVocabulary(Vocabulary):
    """The words of all keys, with a sorted copy for prefix look-ups, and word matching."""

    def __init__(self) -> None:
        super().__init__()
        self.sorted: list[str] = []

    def add(self, item: str, slot: int) -> tuple[int, bool]:
        """Record that `slot` uses the word `item` (kept sorted too when new)."""
        index, new = super().add(item, slot)
        if new:
            bisect.insort(self.sorted, item)
        return index, new

    def pack(self) -> None:
        """Pack the strings (see `Vocabulary.pack`) and sort them afresh."""
        super().pack()
        self.sorted = sorted(self.items)

    def hits(self, word: str, cutoff: float) -> dict[int, float]:
        """Ids of the live words scoring at least `cutoff` against the query word `word`."""
        hits: dict[int, float] = {}
        if len(word) >= 3:
            for _, score, index in process.extract(
                word, self.items, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                if self.postings[index]:
                    hits[index] = float(score)
        else:
            self._exact(word, 100.0, hits)
        self._merge(self.prefix_hits(word), hits, cutoff)
        self._root_hits(word, hits, cutoff)
        return hits

    def restricted_hits(self, word: str, ids: list[int], texts: list[str]) -> dict[int, float]:
        """Scores (>= WORD_MIN) of `word` against the words `ids` (whose texts are `texts`)."""
        hits: dict[int, float] = {}
        if len(word) >= 3:
            for _, score, position in process.extract(
                word, texts, scorer=fuzz.ratio, score_cutoff=WORD_MIN, limit=None
            ):
                hits[ids[position]] = float(score)
        else:
            self._exact(word, 100.0, hits)
        self._merge(self.prefix_hits(word), hits, 0.0)
        self._root_hits(word, hits, 0.0)
        return hits

    def prefix_hits(self, word: str) -> dict[int, float]:
        """Ids of the longer words that `word` (2 letters or more) begins, with their scores."""
        hits: dict[int, float] = {}
        if len(word) < 2:
            return hits
        start = bisect.bisect_left(self.sorted, word)
        for other in self.sorted[start : start + PREFIX_SCAN]:
            if not other.startswith(word):
                break
            if len(other) > len(word):
                index = self.ids[other]
                if self.postings[index]:
                    hits[index] = prefix_score(len(word), len(other))
        return hits

    def _exact(self, word: str, score: float, hits: dict[int, float]) -> None:
        index = self.ids.get(word)
        if index is not None and self.postings[index] and score > hits.get(index, 0.0):
            hits[index] = score

    def _root_hits(self, word: str, hits: dict[int, float], cutoff: float) -> None:
        root = word_root(word)
        if root is None:
            return
        found: dict[int, float] = {}
        self._exact(root, 100.0, found)
        self._merge(self.prefix_hits(root), found, 0.0)
        self._merge({index: score - ROOT_PENALTY for index, score in found.items()}, hits, cutoff)

    @staticmethod
    def _merge(extra: dict[int, float], hits: dict[int, float], cutoff: float) -> None:
        for index, score in extra.items():
            if score >= cutoff and score > hits.get(index, 0.0):
                hits[index] = score
