"""The vocabularies of the name search index and how one query word is matched.

`storage.domain.search` keys every name (`storage.domain.names.name_keys`), splits the keys
into words and keeps two vocabularies: the words, and the full keys without
spaces. This module holds them and scores a query word against the words:

- `fuzz.ratio` (normalized Indel similarity, ``2 * LCS / (len1 + len2) *
  100``) through `rapidfuzz.process.extract` over the words whose length can
  reach the ``score_cutoff`` (a missing letter in a word of 8 costs about 6);
- a query word that **begins** a longer word scores
  ``PREFIX_BASE + 20 * len(query word) / len(word)`` ("sauit" finds
  "sauitbai" with 92.5), found by bisection in a sorted copy;
- words of one or two letters only match exactly (or, two letters, as a
  prefix): "ai" would otherwise be close to half the vocabulary;
- a query word with a patronymic or Russified ending ("akankizi",
  "musahanov") also matches its root ("akan", "musahan"), exactly or as a
  prefix, ``ROOT_PENALTY`` points lower, so that "Akankyzy" finds "Qaisha
  Aqan" but an exact "Bolatuly" still beats "Bolat".

Names store the roots of their own words too ("alim" for "Alimuly"), in a
vocabulary of roots matched exactly or as a prefix (never fuzzily, so the
fuzzy scan stays as long as the words alone): a match on a name's root counts
``ROOT_PENALTY`` points less (the father's name "Alim" finds "Murager
Alimuly" at 94, a first name "Alim" at 100), and a root of the query meeting
a root of a name counts it once ("Alimov" and "Alimuly" are both Alim's).

Ids: a word is its position in the word vocabulary (0, 1, ...), a root the
complement ``~position`` of its position in the root vocabulary (-1, -2, ...),
so that one dict of scores covers both and a name scores with one look-up
per id.
"""

from __future__ import annotations

import bisect
import enum
import math
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from storage.domain.names import word_root

WORD_MIN = 50.0
"""Word similarities below this count as 0 (different words)."""
PREFIX_BASE = 80.0
"""A query word that begins a longer word scores PREFIX_BASE + the rest in proportion."""
ROOT_PENALTY = 6.0
"""Points a match through a root (the query's or the name's) counts less than a word match."""
PREFIX_SCAN = 300
"""At most this many longer words are looked at for a prefix."""
PACK_SLACK = 1024

Scores = dict[int, float]
"""Word or root id (see the module's docstring) → score."""


@dataclass(frozen=True, slots=True)
class NameSlot:
    """One distinct key of a case's names, as ids into the vocabularies."""

    case_id: int
    words: tuple[int, ...]
    """Ids of its words and (negative) of their roots (Alimuly → alim)."""
    full: int
    latin: str
    cyrillic: str


REMOVED = NameSlot(-1, (), -1, "", "")
"""The name slot of a removed name (postings never point at it)."""


def prefix_score(length: int, word_length: int) -> float:
    """The score of a query word of `length` letters that begins a word of `word_length`."""
    return PREFIX_BASE + (100.0 - PREFIX_BASE) * length / word_length


def length_range(size: int, cutoff: float) -> range:
    """The lengths of strings whose `fuzz.ratio` with a string of `size` can reach `cutoff`.

    The ratio is 2 * LCS / (size + length) * 100 and the LCS is at most the
    shorter length, so a cutoff c needs a length between size * c / (200 - c)
    and size * (200 - c) / c (6 to 12 for a word of 8 at c = 80).
    """
    shortest = math.ceil(size * cutoff / (200.0 - cutoff) - 1e-9)
    longest = math.floor(size * (200.0 - cutoff) / cutoff + 1e-9)
    return range(max(shortest, 1), longest + 1)


def scan_buckets(
    text: str,
    cutoff: float,
    buckets: dict[Any, tuple[list[str], list[int]]],
    keys: Iterable[Any],
    found: Scores,
) -> None:
    """Add to `found` the ids of the strings in the `buckets` at `keys` that score at least
    `cutoff` against `text` (each bucket: strings and their ids)."""
    for key in keys:
        bucket = buckets.get(key)
        if bucket is not None:
            strings, ids = bucket
            for _, score, position in process.extract(
                text, strings, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            ):
                found[ids[position]] = float(score)


_NONE = -1
"""The posting of an item no name uses."""


class Vocabulary:
    """Distinct strings with the name slots that use each; ids are list positions.

    A posting is kept as a bare slot number while one name uses the item (most
    surnames and full keys) and as an array of slot numbers once several do:
    8 bytes a slot, where a set would take 30 to 60 (a first name is used by
    one name in fifty). A slot is never added twice to one item (a name's
    words and roots are distinct), so the array needs no set's checks.
    """

    def __init__(self) -> None:
        self.items: list[str] = []
        self.ids: dict[str, int] = {}
        self.postings: list[int | array[int]] = []
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
            self.postings.append(_NONE)
            self.unpacked += 1
        posting = self.postings[index]
        if isinstance(posting, array):
            posting.append(slot)
        elif posting == _NONE:
            self.live += 1
            self.postings[index] = slot
        elif posting != slot:
            self.postings[index] = array("q", (posting, slot))
        return index, new

    def discard(self, index: int, slot: int) -> None:
        """Forget that `slot` uses the item `index`."""
        posting = self.postings[index]
        if isinstance(posting, array):
            if slot in posting:
                posting.remove(slot)
                if len(posting) == 1:
                    self.postings[index] = posting[0]
        elif posting == slot:
            self.postings[index] = _NONE
            self.live -= 1

    def slots(self, index: int) -> Collection[int]:
        """The name slots that use the item `index`."""
        posting = self.postings[index]
        if isinstance(posting, array):
            return posting
        return () if posting == _NONE else (posting,)

    def in_use(self, index: int) -> bool:
        """True when some name uses the item `index`."""
        return self.postings[index] != _NONE

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


class Scan(enum.IntFlag):
    """Which words a fuzzy scan covers: those of Kazakh names, or the pinyin of Chinese ones."""

    KAZAKH = 1
    PINYIN = 2


class ScanBuckets:
    """Strings by id in buckets by kind (`Scan`) and length, for the fuzzy scan: each
    string remembers the kinds of name it came from (a word may be in several)."""

    def __init__(self) -> None:
        self.kinds = bytearray()
        self.buckets: dict[tuple[int, int], tuple[list[str], list[int]]] = {}

    def mark(self, index: int, text: str, new: bool, flag: int) -> None:
        """Record that string ``index`` (``text``; ``new`` the first time) comes from a
        name of kind ``flag`` (an int: IntFlag arithmetic is slow, and this runs for
        every word of every name)."""
        if new:
            self.kinds.append(0)
        if not self.kinds[index] & flag:
            self.kinds[index] |= flag
            self._put(flag, index, text)

    def _put(self, flag: int, index: int, text: str) -> None:
        strings, ids = self.buckets.setdefault((flag, len(text)), ([], []))
        strings.append(text)
        ids.append(index)

    def refill(self, items: list[str]) -> None:
        """Fill the buckets anew, in id order, from the (packed) strings."""
        self.buckets = {}
        flags = [int(scan) for scan in Scan]
        for index, kinds in enumerate(self.kinds):
            for flag in flags:
                if kinds & flag:
                    self._put(flag, index, items[index])


class FullKeys(Vocabulary):
    """The full keys without spaces, also in buckets by kind (`Scan`) and length."""

    def __init__(self) -> None:
        super().__init__()
        self.scan = ScanBuckets()

    def add_key(self, item: str, slot: int, scan: Scan) -> int:
        """Record that `slot` has the full key `item`, from a name of kind `scan`."""
        index, new = self.add(item, slot)
        self.scan.mark(index, item, new, int(scan))
        return index

    def pack(self) -> None:
        """Pack the strings (see `Vocabulary.pack`) and refill the buckets in order."""
        super().pack()
        self.scan.refill(self.items)

    def hits(self, joined: str, cutoff: float, scan: Scan) -> Scores:
        """Ids of the full keys in use of kind `scan` scoring at least `cutoff` against `joined`."""
        found: Scores = {}
        lengths = length_range(len(joined), cutoff)
        keys = [(part, size) for part in Scan if scan & part for size in lengths]
        scan_buckets(joined, cutoff, self.scan.buckets, keys, found)
        return {index: score for index, score in found.items() if self.in_use(index)}


class _Sorted(Vocabulary):
    """A vocabulary with a sorted copy of its strings, for prefix look-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.sorted: list[str] = []

    def add(self, item: str, slot: int) -> tuple[int, bool]:
        """Record that `slot` uses `item` (kept in the sorted copy too when new)."""
        index, new = super().add(item, slot)
        if new:
            bisect.insort(self.sorted, item)
        return index, new

    def pack(self) -> None:
        """Pack the strings (see `Vocabulary.pack`) and sort them afresh."""
        super().pack()
        self.sorted = sorted(self.items)

    def exact(self, item: str) -> int | None:
        """The id of `item` when some name uses it."""
        index = self.ids.get(item)
        return index if index is not None and self.in_use(index) else None

    def prefixed(self, item: str) -> Iterable[tuple[int, float]]:
        """(id, prefix score) of the longer strings in use that `item` begins."""
        start = bisect.bisect_left(self.sorted, item)
        for other in self.sorted[start : start + PREFIX_SCAN]:
            if not other.startswith(item):
                break
            if len(other) > len(item):
                index = self.ids[other]
                if self.in_use(index):
                    yield index, prefix_score(len(item), len(other))


class LazyScores(dict[int, float]):
    """Scores of one query word by word or root id; a missing word's similarity
    (`fuzz.ratio`, 0 below WORD_MIN) is computed and kept on first look-up."""

    def __init__(self, found: Scores, word: str | None, words: list[str]) -> None:
        super().__init__(found)
        self.word = word
        self.words = words

    def __missing__(self, index: int) -> float:
        """Compute, keep and return the score of a word (0 for a root, or when `word` is None)."""
        score = 0.0
        if index >= 0 and self.word is not None:
            score = float(fuzz.ratio(self.word, self.words[index], score_cutoff=WORD_MIN))
        self[index] = score
        return score


PINYIN_FALLBACK = 90.0
"""A Latin query word is compared with the pinyin words too when no Kazakh word scores this."""


class WordVocabulary:
    """The words of all keys and, apart, their roots; how a query word matches them.

    For the fuzzy scan, words are also kept in buckets by where they come from
    (`Scan`: a Kazakh name in any script, or the pinyin of a Chinese name; a
    word may be in both) and by length: ``fuzz.ratio`` can only reach a
    cutoff c between lengths q * c / (200 - c) and q * (200 - c) / c of the
    query word's q, so only those buckets are scanned (at c = 80, words of 6
    to 12 letters for a query word of 8).
    """

    def __init__(self) -> None:
        self.words = _Sorted()
        self.roots = _Sorted()
        self.scan = ScanBuckets()

    def add_word(self, word: str, slot: int, scan: Scan = Scan.KAZAKH) -> int:
        """Record that `slot` uses `word` (from a name of kind `scan`); return the word's id."""
        index, new = self.words.add(word, slot)
        self.scan.mark(index, word, new, int(scan))
        return index

    def add_root(self, root: str, slot: int) -> int:
        """Record that `slot` has a word whose root is `root`; return the root's id."""
        return ~self.roots.add(root, slot)[0]

    def discard(self, index: int, slot: int) -> None:
        """Forget that `slot` uses the word or root `index`."""
        if index >= 0:
            self.words.discard(index, slot)
        else:
            self.roots.discard(~index, slot)

    def posting(self, index: int) -> Collection[int]:
        """The name slots that use the word or root `index`."""
        return self.words.slots(index) if index >= 0 else self.roots.slots(~index)

    def text(self, index: int) -> str:
        """The string of the word or root `index`."""
        return self.words.items[index] if index >= 0 else self.roots.items[~index]

    @property
    def live(self) -> int:
        """Words and roots some name uses."""
        return self.words.live + self.roots.live

    @property
    def dead(self) -> int:
        """Words and roots no name uses any more."""
        return self.words.dead + self.roots.dead

    def needs_packing(self) -> bool:
        """True when many words or roots were appended since the last `pack`."""
        return self.words.needs_packing() or self.roots.needs_packing()

    def pack(self) -> None:
        """Pack both vocabularies (see `Vocabulary.pack`) and refill the buckets in order."""
        self.words.pack()
        self.roots.pack()
        self.scan.refill(self.words.items)

    def hits(self, word: str, cutoff: float, scan: Scan = Scan.KAZAKH) -> Scores:
        """The words and roots in use scoring at least `cutoff` against the query word.

        `scan` says which words the fuzzy scan covers; with only KAZAKH, the
        pinyin words are scanned as well when nothing Kazakh scores
        PINYIN_FALLBACK (someone typing pinyin).
        """
        hits: Scores = {}
        if len(word) >= 3:
            for part in Scan:
                if scan & part:
                    self._scan(word, cutoff, part, hits)
            if scan == Scan.KAZAKH and max(hits.values(), default=0.0) < PINYIN_FALLBACK:
                self._scan(word, cutoff, Scan.PINYIN, hits)
        self._exact_and_prefixes(word, hits, cutoff)
        return hits

    def _scan(self, word: str, cutoff: float, scan: Scan, hits: Scores) -> None:
        # (a word no name uses any more may be among the hits: it has no slots)
        lengths = length_range(len(word), cutoff)
        scan_buckets(word, cutoff, self.scan.buckets, [(scan, size) for size in lengths], hits)

    def lazy_hits(self, word: str) -> LazyScores:
        """Scores of `word` against any word or root, worked out when first asked for.

        Exact, prefix and root matches (at least WORD_MIN) are found at once;
        the similarity to another word is computed on first use, for the words
        of the candidate names only, instead of scanning the vocabulary.
        """
        found: Scores = {}
        self._exact_and_prefixes(word, found, WORD_MIN)
        return LazyScores(found, word if len(word) >= 3 else None, self.words.items)

    def _exact_and_prefixes(self, word: str, hits: Scores, cutoff: float) -> None:
        """Add the exact and prefix matches of `word` (a root of a name ROOT_PENALTY lower),
        then those of its own root, if it has one, ROOT_PENALTY lower still once."""
        found: list[tuple[int, float]] = []
        self._look_up(word, 0.0, found)
        root = word_root(word)
        if root is not None:
            self._look_up(root, ROOT_PENALTY, found, roots_too=True)
        for index, score in found:
            if score >= cutoff and score > hits.get(index, 0.0):
                hits[index] = score

    def _look_up(
        self, item: str, penalty: float, found: list[tuple[int, float]], *, roots_too: bool = False
    ) -> None:
        """Exact and prefix matches of `item` among the words (`penalty` off) and the roots
        (ROOT_PENALTY off, or only `penalty` when `item` is itself a root)."""
        words, roots = self.words, self.roots
        root_penalty = penalty if roots_too else ROOT_PENALTY
        index = words.exact(item)
        if index is not None:
            found.append((index, 100.0 - penalty))
        index = roots.exact(item)
        if index is not None and len(item) >= 3:
            found.append((~index, 100.0 - root_penalty))
        if len(item) >= 2:
            found.extend((index, score - penalty) for index, score in words.prefixed(item))
        if len(item) >= 3:
            found.extend((~index, score - root_penalty) for index, score in roots.prefixed(item))
