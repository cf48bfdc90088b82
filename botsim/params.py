"""Reading Bot API parameters the way Telegram does.

Each reader takes the decoded parameters of a request (see
:func:`botsim.wire.decode_params`) and raises :class:`~botsim.objects.ApiError` with
Telegram's description for a missing or malformed value.
"""

from __future__ import annotations

from typing import Any

from botsim.objects import ApiError

__all__ = ["int_param", "opt_float", "opt_int", "opt_list", "opt_str", "truthy"]

JSONDict = dict[str, Any]


def int_param(params: JSONDict, name: str) -> int:
    """The integer ``params[name]``; 400 when it is missing or not an integer."""
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ApiError(400, f"Bad Request: invalid {name} specified")


def opt_int(params: JSONDict, name: str) -> int | None:
    """Like :func:`int_param`, but None when the parameter is absent or empty."""
    if params.get(name) in (None, ""):
        return None
    return int_param(params, name)


def opt_float(params: JSONDict, name: str) -> float | None:
    """The number ``params[name]``, None when absent or empty; 400 when not a number."""
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def opt_str(params: JSONDict, name: str) -> str | None:
    """``params[name]`` as a string, or None when absent."""
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def opt_list(params: JSONDict, name: str) -> list[Any] | None:
    """The JSON array ``params[name]``, or None when absent; 400 when not an array."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON array")
    return value


def truthy(value: object) -> bool:
    """Whether a Boolean parameter is set (``"true"``/``"1"`` in a form, or truthy JSON)."""
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)
