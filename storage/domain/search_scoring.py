"""Scoring names for one reading of a query, of one word or several (see `storage.domain.search`).

A reading's words are matched against the vocabulary (`storage.domain.search_words`);
these functions turn the matches into a best score and name slot per case.
"""

from __future__ import annotations

from storage.domain.search_words import WORD_MIN, NameSlot, Scan, WordVocabulary

CLOSE = 80.0
"""A case scoring below this is not shown; nothing at or above it: empty result."""
SHOW_WINDOW = 15.0
"""Matches more than this many points below the best are not shown."""
MAX_VISITS = 3_000
"""At most about this many names are scored for one reading of a query of several words
(those with the best scores for its lead word): bounds the rare query whose lead word is
close to thousands of names."""

Found = dict[int, tuple[float, int]]
"""case id -> (score, name slot of its best name)"""


def merge(found: Found, other: Found) -> None:
    """Keep in `found` the better of its and `other`'s score for each case."""
    for case_id, (score, slot) in other.items():
        previous = found.get(case_id)
        if previous is None or score > previous[0]:
            found[case_id] = (score, slot)


def single_word(
    vocabulary: WordVocabulary,
    names: list[NameSlot],
    word: str,
    limit: int,
    scan: Scan,
    floor: float,
) -> Found:
    """Best (score, name slot) per case for a one-word query: its best word.

    Words are visited best first, so a case's first visit is its score;
    once more than `limit` cases are found the rest cannot rank higher
    and are not looked at.
    """
    hits = vocabulary.hits(word, floor, scan)
    found: Found = {}
    for index, score in sorted(hits.items(), key=lambda item: -item[1]):
        if len(found) > limit:
            break
        for slot in vocabulary.posting(index):
            found.setdefault(names[slot].case_id, (score, slot))
    return found


def _lead_word(
    vocabulary: WordVocabulary, words: list[str], weights: list[int], scan: Scan, floor: float
) -> tuple[int | None, list[tuple[int | None, float]], set[int]]:
    """The lead word of `several_words` (None when no word has a positive level), the
    order to visit its vocabulary hits in, and else every name with a word scoring CLOSE."""
    total = float(sum(weights))
    levels = [(floor * total - 100.0 * (total - weight)) / weight for weight in weights]
    lead = max(range(len(words)), key=lambda at: (levels[at], -at))
    if levels[lead] > 0:
        hits = vocabulary.hits(words[lead], max(levels[lead], WORD_MIN), scan)
        return lead, sorted(hits.items(), key=lambda item: -item[1]), set()
    everyone: set[int] = set()
    for word in dict.fromkeys(words):
        everyone.update(*map(vocabulary.posting, vocabulary.hits(word, CLOSE, scan)))
    return None, [(None, 0.0)], everyone


def several_words(
    vocabulary: WordVocabulary, names: list[NameSlot], words: list[str], scan: Scan, floor: float
) -> Found:
    """Best (score, name slot) per case for a query of several words.

    A name's score is the length-weighted average of each query word's best
    similarity among the name's words. For it to reach `floor` (CLOSE, or
    more once an earlier reading found a good match), a query word of
    weight w out of W must score at least (floor*W - 100*(W - w)) / w.
    The word with the highest such level (the lead) is looked up in the
    whole vocabulary, and the names it reaches are scored in the order of
    their lead score, no further than even perfect scores for the other
    words could bring one within SHOW_WINDOW of the best so far (or to
    `floor`). The other words are scored only against the words of the
    names visited, each word once (`LazyScores`). When no word has a
    positive level (many short words), the names with a word scoring
    CLOSE are all scored.
    """
    posting = vocabulary.posting
    weights = [len(word) for word in words]
    total = float(sum(weights))
    lead, order, everyone = _lead_word(vocabulary, words, weights, scan, floor)
    lead_weight = float(weights[lead]) if lead is not None else 0.0
    others = [
        (weights[at], vocabulary.lazy_hits(word).__getitem__)
        for at, word in enumerate(words)
        if at != lead
    ]
    rest = total - lead_weight
    found: Found = {}
    seen: set[int] = set()
    for index, lead_score in order:
        if lead_weight * lead_score + rest * 100.0 < floor * total or len(seen) > MAX_VISITS:
            break
        for slot in everyone if index is None else posting(index):
            if slot in seen:
                continue
            seen.add(slot)
            ids = names[slot].words
            score = lead_weight * lead_score
            for weight, get in others:
                score += weight * max(map(get, ids))
            score /= total
            if score < floor:
                continue
            case_id = names[slot].case_id
            previous = found.get(case_id)
            if previous is None or score > previous[0]:
                found[case_id] = (score, slot)
                floor = max(floor, score - SHOW_WINDOW)
    return found
