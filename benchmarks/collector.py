"""Benchmark runs of botsim in the benchmark's own process, without garbage-collector pauses."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_collector_pauses() -> Iterator[None]:
    """No cyclic garbage collection in this process while the block runs.

    For a benchmark whose botsim runs in this process: botsim keeps every message it
    was sent, and Python's full collections over 100,000 of them stalled the server
    for up to 760 ms (measured). Requests queued meanwhile were then counted at once,
    as if they had arrived in a burst: 429s and lost seconds that Telegram's servers
    would not have caused. Reference counting still frees everything without cycles.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
