"""Alert kinds as specs: each kind's payload type and where it comes from, and the hooks
the layers above register for it.

Storage knows what a kind carries (:mod:`storage.payloads`) and how undoing the change
that sent it puts the case back (``revert``, registered by ``storage.usecases.reverts``).
It knows nothing of texts or scheduling: ``messages.alerts`` registers each kind's
``render`` (the alert's text) and ``correction`` (what is true now, said by the
correction that withdraws one), ``jobs.render`` the optional ``present`` check (a
reminder is closed when its hearing moved), ``jobs.planner`` the ``plan`` hook of the
kinds the planner writes. Registration happens when those modules are imported
(``bot.py`` imports them all); :func:`missing` names what a kind still lacks, and
``tests/unit/test_vocabulary.py`` fails while anything is missing.

Hook signatures (typed where they are defined, as ``Callable[..., Any]`` here so storage
imports nothing above it):

- ``render(ctx: messages.alerts.AlertContext, payload) -> str``
- ``correction(ctx: messages.alerts.AlertContext, payload: CorrectionAlert) -> str``
- ``present(session, view, payload, now, today) -> Any | jobs.dispatcher.Closed``
- ``revert(session, case, result: DraftResult, now) -> None``
- ``plan(session, plan_input: jobs.planner.PlanInput) -> list[dict]`` (reminders only)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from storage.payloads import ALERT_PAYLOADS, register_alert
from storage.vocabulary import ALERT_ORIGINS, AlertKind

Origin = Literal["change", "planner", "undo"]
Hook = Callable[..., Any]
HOOKS: tuple[str, ...] = ("render", "correction", "revert", "present", "plan")
REQUIRED: dict[Origin, tuple[str, ...]] = {
    "change": ("render", "correction", "revert"),
    "planner": ("render", "correction", "revert", "plan"),
    "undo": ("render", "correction", "revert"),
}
"""The hooks a kind must have, by where its alerts come from."""


def never_undone(*_args: Any, **_kwargs: Any) -> None:
    """The revert of kinds no draft sends (reminders, corrections): nothing to put back."""


@dataclass(frozen=True)
class AlertSpec:
    """One alert kind: its payload type, where its alerts come from, and its hooks."""

    kind: str
    payload: type[Any]
    origin: Origin
    render: Hook | None = None
    correction: Hook | None = None
    revert: Hook | None = None
    present: Hook | None = None
    plan: Hook | None = None


_SPECS: dict[str, AlertSpec] = {}


def define(kind: str, payload: type[Any], origin: Origin) -> AlertSpec:
    """Add an alert kind (a new member of ``AlertKind``) with its payload type."""
    register_alert(kind, payload)
    made = AlertSpec(kind, payload, origin, revert=never_undone if origin != "change" else None)
    _SPECS[kind] = made
    return made


for _kind, _payload in list(ALERT_PAYLOADS.items()):
    define(_kind, _payload, ALERT_ORIGINS.get(_kind, "change"))  # type: ignore[arg-type]


def registers(hook: str, *kinds: str) -> Callable[[Hook], Hook]:
    """A decorator: the function becomes ``hook`` of each of ``kinds``."""
    if hook not in HOOKS:
        raise ValueError(f"no hook {hook!r}")

    def register(function: Hook) -> Hook:
        for kind in kinds:
            _SPECS[kind] = replace(spec(kind), **{hook: function})  # type: ignore[arg-type]
        return function

    return register


def spec(kind: str) -> AlertSpec:
    """The spec of an alert kind (KeyError for an unknown one)."""
    return _SPECS[kind]


def specs() -> tuple[AlertSpec, ...]:
    """Every alert kind's spec, in the order they were defined."""
    return tuple(_SPECS.values())


def missing() -> list[str]:
    """What the alert kinds lack ("hearing_set: render"); empty when all are complete."""
    gaps = [f"{kind}: no spec" for kind in AlertKind if kind not in _SPECS]
    for made in _SPECS.values():
        gaps += [
            f"{made.kind}: {hook}" for hook in REQUIRED[made.origin] if getattr(made, hook) is None
        ]
    return gaps
