"""Benchmark of the name search index: build time, memory, and time per query.

Run: /work/venv/bin/python benchmarks/search_bench.py [--sizes 10000 100000] [--queries 2000]

For each size it generates that many look-alike cases (Kazakh first names from
the test lists; surnames from the test roots plus roots made of two or three
Kazakh syllables, with -uly/-kyzy/-ov/-ova/-bay/-bayeva endings; every case
has its name in Latin, Kazakh Cyrillic and Russian Cyrillic, and one in ten
also in Chinese characters, given name · father's name), adds the five
sample people, builds the index (build time; tracemalloc current and peak of
a second build), then times queries drawn from spelling variants of the
indexed names: another script, lower case, first name or surname alone,
swapped words, a missing, extra or swapped letter, a missing space, the
beginning of a surname; one query in four in a new script or form: the 2017,
2018 or 2021 Kazakh Latin alphabet, the Kazakh Arabic script, a Russified or
patronymic surname (-ov/-ova, "Serik uly"), the Chinese name whole, in part,
without its dot or in pinyin; and the sample people's known spellings
(tests/unit/searchdata.py's variants and tests/unit/test_spellings.py's table). It prints the
median, p90, p99 and maximum time per query (as measured, then the fastest of
three runs of each query, without the noise of other processes), how often
the intended person was among the matches and was the confident answer
(informational: many generated people share a name or a surname), and the
time of incremental upserts. Everything is deterministic (seeded).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import rapidfuzz  # noqa: E402

from storage.domain.scripts import arabic, chinese  # noqa: E402
from storage.domain.scripts.latin import OFFICIAL  # noqa: E402
from storage.domain.search import IndexedCase, SearchIndex  # noqa: E402
from tests.unit.searchdata import (  # noqa: E402
    FEMALE_ENDINGS,
    FEMALE_NAMES,
    MALE_ENDINGS,
    MALE_NAMES,
    SURNAME_ROOTS,
    VARIANTS,
    sample_cases,
)
from tests.unit.test_spellings import SPELLINGS  # noqa: E402

# (Latin, Kazakh Cyrillic, Russian Cyrillic) syllables for synthetic surname roots.
SYLLABLES: tuple[tuple[str, str, str], ...] = (
    ("Zhan", "Жан", "Жан"), ("Bek", "Бек", "Бек"), ("Nur", "Нұр", "Нур"), ("Qa", "Қа", "Ка"),
    ("Sar", "Сар", "Сар"), ("Tur", "Тұр", "Тур"), ("Er", "Ер", "Ер"), ("Bay", "Бай", "Бай"),
    ("Mu", "Му", "Му"), ("Ab", "Әб", "Аб"), ("Dau", "Дәу", "Дау"), ("Tol", "Төл", "Тол"),
    ("Kul", "Құл", "Кул"), ("Es", "Ес", "Ес"), ("Al", "Ал", "Ал"), ("Ot", "От", "От"),
    ("Zhar", "Жар", "Жар"), ("Mir", "Мір", "Мир"), ("Sy", "Сы", "Сы"), ("Ta", "Та", "Та"),
    ("Ai", "Ай", "Ай"), ("Gal", "Ғал", "Гал"), ("Ke", "Ке", "Ке"), ("Ma", "Ма", "Ма"),
    ("Ra", "Ра", "Ра"), ("Sul", "Сұл", "Сул"), ("Ys", "Ыс", "Ыс"), ("Om", "Ом", "Ом"),
    ("Kha", "Ха", "Ха"), ("Tem", "Тем", "Тем"), ("Il", "Іл", "Ил"), ("Bo", "Бо", "Бо"),
)  # fmt: skip
LETTERS = "abdegiklmnoprstuyz"
HAN = "阿巴别达尔古哈汗江克库拉力丽木娜努热萨赛沙斯塔特提铁托吾西依扎孜加肯勒拜合马尼"
"""Characters that Chinese documents use to transcribe Kazakh names."""


def surname_root(rng: random.Random) -> tuple[str, str, str]:
    """A surname root: one of the common ones, or two or three syllables."""
    if rng.random() < 0.3:
        return rng.choice(SURNAME_ROOTS)
    parts = [rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))]
    latin = "".join(part[0] for part in parts)
    return latin.capitalize(), "".join(p[1] for p in parts), "".join(p[2] for p in parts)


def chinese_name(rng: random.Random) -> str:
    """A name in Chinese characters: given name · father's name, 2 to 4 characters each."""
    given = "".join(rng.choice(HAN) for _ in range(rng.randint(2, 4)))
    father = "".join(rng.choice(HAN) for _ in range(rng.randint(2, 4)))
    return f"{given}·{father}"


def generate(count: int, seed: int) -> list[IndexedCase]:
    """`count` look-alike cases with ids from 1000, three scripts each (one in ten: four)."""
    rng = random.Random(seed)
    han = random.Random(seed + 7)  # its own stream: the other names stay as they were
    cases = []
    for offset in range(count):
        if rng.random() < 0.55:
            first, ending = rng.choice(MALE_NAMES), rng.choice(MALE_ENDINGS)
        else:
            first, ending = rng.choice(FEMALE_NAMES), rng.choice(FEMALE_ENDINGS)
        root = surname_root(rng)
        names = tuple(f"{first[i]} {root[i].capitalize()}{ending[i]}" for i in range(3))
        if han.random() < 0.1:
            names = (*names, chinese_name(han))
        cases.append(IndexedCase(1000 + offset, f"person-{1000 + offset}", names))
    return cases


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "add", "swap"))
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    if kind == "add":
        return word[:at] + rng.choice(LETTERS) + word[at:]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def variant(name: str, rng: random.Random) -> str:
    """A spelling variant of a two-word name, as a supporter might type it."""
    first, _, last = name.partition(" ")
    kind = rng.randrange(10)
    if kind == 0:
        return name
    if kind == 1:
        return name.lower()
    if kind == 2:
        return last
    if kind == 3:
        return first
    if kind == 4:
        return f"{last} {first}"
    if kind == 5:
        return f"{first} {_typo(last, rng)}"
    if kind == 6:
        return _typo(last, rng)
    if kind == 7:
        return f"{_typo(first, rng)} {last}"
    if kind == 8:
        return first + last
    return last[:5]


OTHER_FORM = {
    "ұлы": "ов",
    "қызы": "ова",
    "ова": "қызы",
    "баева": "байқызы",
    "ов": "ұлы",
    "бай": "баев",
}
"""Another form of each look-alike ending: Russified for a patronymic, and back."""


def new_script(case: IndexedCase, rng: random.Random) -> str:
    """A query in one of the new scripts or forms for a case (its names: en, kk, ru[, zh])."""
    kazakh = case.names[1]
    first, _, last = kazakh.partition(" ")
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(OFFICIAL).to_latin(rng.choice((kazakh, last)))
    if kind == 1:
        return arabic.from_cyrillic(rng.choice((kazakh, last)))
    if kind == 2:
        for ending, other in OTHER_FORM.items():
            if last.endswith(ending):
                root = last.removesuffix(ending)
                forms = [f"{first} {root}{other}", f"{root}{other}"]
                if ending in ("ұлы", "қызы"):
                    forms.append(f"{root} {ending}")  # a patronymic may be written apart
                return rng.choice(forms)
        return last
    if kind == 3 and len(case.names) > 3:
        zh = case.names[3]
        given, _, father = zh.partition("·")
        return rng.choice((zh, given, father, given + father))
    if kind == 4 and len(case.names) > 3:
        return chinese.to_pinyin(case.names[3]).replace("·", " ").strip().title()
    return OFFICIAL[1].to_latin(kazakh)


def make_queries(cases: list[IndexedCase], count: int, seed: int) -> list[tuple[str, int]]:
    """(query, intended case id) pairs: variants of indexed names and the sample variants."""
    rng = random.Random(seed)
    slugs = {case.slug: case.case_id for case in cases}
    known = [*VARIANTS, *((query, slug) for query, slug, _ in SPELLINGS)]
    chinese_cases = [case for case in cases if len(case.names) > 3 and case.case_id >= 1000]
    queries = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.05:
            query, slug = rng.choice(known)
            queries.append((query, slugs[slug]))
            continue
        case = rng.choice(cases)
        if draw < 0.3 and case.case_id >= 1000:
            if draw < 0.1 and chinese_cases:
                case = rng.choice(chinese_cases)
            queries.append((new_script(case, rng), case.case_id))
            continue
        queries.append((variant(rng.choice(case.names[:3]), rng), case.case_id))
    return queries


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def machine() -> str:
    """CPU count, model and Python version."""
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"CPUs: {os.cpu_count()} (usable {usable}); model: {model or 'unknown'}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"rapidfuzz {rapidfuzz.__version__}; {platform.platform()}"
    )


def _time_ms(work: Callable[[], object]) -> float:
    started_ns = time.perf_counter_ns()
    work()
    return (time.perf_counter_ns() - started_ns) / 1e6


def _measure_build(cases: list[IndexedCase]) -> tuple[SearchIndex, float, int, int]:
    """The index, its build time in seconds, and the memory it holds and peaks at."""
    started = time.perf_counter()
    index = SearchIndex(cases)
    build = time.perf_counter() - started
    tracemalloc.start()
    measured = SearchIndex(cases)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del measured
    return index, build, current, peak


def _measure_queries(index: SearchIndex, queries: list[tuple[str, int]]) -> None:
    """Print the query latencies (once, and fastest of 3) and how often they were right."""
    for query, _ in queries[:100]:
        index.search(query)
    times: list[float] = []
    found = confident = ambiguous = empty = 0
    for query, case_id in queries:
        started_ns = time.perf_counter_ns()
        result = index.search(query)
        times.append((time.perf_counter_ns() - started_ns) / 1e6)
        found += any(match.case_id == case_id for match in result.matches)
        confident += result.best is not None and result.best.case_id == case_id
        ambiguous += result.ambiguous
        empty += result.empty
    # The same queries, each run 3 times keeping its fastest: the index's own
    # cost without the noise of other processes and garbage collection.
    fastest = [
        min(_time_ms(partial(index.search, query)) for _ in range(3)) for query, _ in queries
    ]
    print(
        f"{len(queries):,} queries: median {statistics.median(times):.3f} ms, "
        f"p90 {_percentile(times, 0.90):.3f} ms, p99 {_percentile(times, 0.99):.3f} ms, "
        f"max {max(times):.3f} ms, mean {statistics.fmean(times):.3f} ms"
    )
    print(
        f"same queries, fastest of 3 runs each: median {statistics.median(fastest):.3f} ms, "
        f"p99 {_percentile(fastest, 0.99):.3f} ms, max {max(fastest):.3f} ms"
    )
    print(
        f"intended person among matches {found / len(queries):.1%}, confident and right "
        f"{confident / len(queries):.1%}, ambiguous {ambiguous / len(queries):.1%}, "
        f"empty {empty / len(queries):.1%}"
    )


def run(size: int, query_count: int) -> None:
    """Build an index of `size` look-alikes plus the samples and time the queries."""
    cases = [*sample_cases(), *generate(size, seed=size)]
    index, build, current, peak = _measure_build(cases)
    print(f"--- {size:,} look-alike cases + 5 sample people ({len(index):,} cases)")
    print(
        f"index: {index._live_names:,} distinct names, {len(index._words.words.items):,} "
        f"distinct words, {len(index._words.roots.items):,} roots, "
        f"{len(index._fulls.items):,} full keys; "
        f"build {build * 1000:.0f} ms; memory (tracemalloc) {current / 2**20:.1f} MiB "
        f"held, {peak / 2**20:.1f} MiB peak during build"
    )
    _measure_queries(index, make_queries(cases, query_count, seed=size + 1))
    rng = random.Random(size + 2)
    upserts: list[float] = []
    for _ in range(1000):
        case = rng.choice(cases)
        changed = IndexedCase(case.case_id, case.slug, (*case.names, f"Alias {rng.random():.6f}"))
        upserts.append(_time_ms(partial(index.upsert, changed)))
    print(
        f"1,000 upserts (one alias added): median {statistics.median(upserts):.3f} ms, "
        f"p99 {_percentile(upserts, 0.99):.3f} ms"
    )


def main() -> None:
    """Parse the sizes and run the benchmark for each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    print(machine())
    for size in args.sizes:
        run(size, args.queries)


if __name__ == "__main__":
    main()
