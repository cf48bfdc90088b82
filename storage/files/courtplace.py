"""A court's map position in case files: degrees of latitude and longitude, checked."""

from __future__ import annotations

from typing import Any

from storage.files.yamlload import Checker, LineDict, quoted


def coordinate(value: Any, limit: float) -> float | None:
    """A latitude (limit 90) or longitude (limit 180) in degrees, or None when it is not."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        degrees = float(value)
    except ValueError:
        return None
    return degrees if -limit <= degrees <= limit else None


def position(lat: str, lon: str) -> tuple[float | None, float | None, list[str]]:
    """A court's lat and lon as CSV cells give them (empty: none), and what is wrong."""
    found: list[float | None] = []
    wrong: list[str] = []
    for column, raw, limit in (("lat", lat, 90), ("lon", lon, 180)):
        found.append(coordinate(raw, limit) if raw else None)
        if raw and found[-1] is None:
            wrong.append(f"court {column} {raw[:20]!r} is not within ±{limit}")
    if not wrong and (found[0] is None) != (found[1] is None):
        wrong.append("a court's lat and lon go together")
    return found[0], found[1], wrong


def degrees(check: Checker, data: LineDict, key: str, limit: float) -> float | None:
    """A court's ``lat`` or ``lon`` in a YAML record, checked; None when absent or wrong."""
    value = data.get(key)
    if value is None:
        return None
    degrees = coordinate(value, limit)
    if degrees is None:
        check.fail(data.line_of(key), f"court {key} {quoted(value, 20)} is not within ±{limit}")
    return degrees
