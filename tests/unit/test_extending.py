"""Each of the three usual extensions is a change of at most five files, and the code that
uses them takes them from the vocabulary (docs/architecture.md, "Adding things"):

- custody ``hospitalized``: a ``Status`` line in storage/vocabulary.py and its label in
  the three catalogs (4 files);
- an alert kind "visit day" (a reminder the planner writes): its ``AlertKind`` member
  (and origin) in storage/vocabulary.py, its payload type in storage/payloads.py, its
  text and correction in messages/alerts.py, its planner hook in jobs/planner.py, its
  texts in the catalogs (4 files and the catalogs);
- a fourth interface language: a ``Language`` line in storage/vocabulary.py and its
  catalog, with its name "in …" translated in the other three (5 files).

The tests do what those files would do, at run time, and check nothing else is needed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine

import jobs.render  # noqa: F401 (registers its hooks)
import storage.usecases.drafts  # noqa: F401
from handlers.syntax import parse_setstatus
from jobs.dispatcher import Rendered
from jobs.planner import PlanInput, plan
from jobs.render import AlertRenderer
from messages import translator
from messages.alerts import AlertContext, render_change_alert
from messages.common import status_label
from storage import alertkinds
from storage import vocabulary as v
from storage.database.engine import session_scope
from storage.database.models import Case, CaseName, Subscriber, Subscription
from storage.outbox import claim_due, dedupe_prefix
from storage.payloads import ALERT_PAYLOADS, StatusAlert
from storage.usecases.changes import change_status
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]
CODE = ("bot.py", "settings.py", "webcli.py", "handlers", "jobs", "messages", "storage", "web")


def _code_files() -> Iterator[Path]:
    for name in CODE:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if "migrations" not in file.parts and file.name != "vocabulary.py":
                yield file


def _string_literals(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_status_keys_are_written_only_in_the_vocabulary() -> None:
    """So a new key needs no second list: nothing else names one."""
    keys = {status.key for dimension in v.DIMENSIONS for status in dimension.statuses}
    keys -= {"detained"}  # also the name of a sentence field (detained=…, detained_on)
    for file in _code_files():
        assert not keys & _string_literals(file), f"{file.relative_to(ROOT)} names a status"


@pytest.fixture
def hospitalized(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the ``Status("hospitalized", N_("in hospital"), held=True)`` line gives."""
    custody = v.STATUS_KEYS["custody"]
    monkeypatch.setitem(v.STATUS_KEYS, "custody", (*custody, "hospitalized"))
    monkeypatch.setitem(v.STATUS_LABELS["custody"], "hospitalized", "in hospital")
    monkeypatch.setitem(v.KEY_TO_DIMENSION, "hospitalized", "custody")


@pytest.mark.usefixtures("hospitalized")
def test_a_new_custody_key_is_parsed_changed_and_shown(engine: Engine) -> None:
    args = parse_setstatus("alimuly hospitalized Taken to hospital")
    assert (args.dimension, args.key) == ("custody", "hospitalized")
    with session_scope(engine) as session:
        case = Case(slug="alimuly", custody="imprisoned")
        session.add(case)
        session.flush()
        assert case.id is not None
        result = change_status(
            session, case_id=case.id, dimension="custody", key="hospitalized", now=FIXED_NOW
        )
    assert result is not None and isinstance(result.payload, StatusAlert)
    t = translator("en")
    assert status_label(t, "custody", "hospitalized") == "in hospital"
    text = render_change_alert(t, "status", "Alimuly", result.payload, today=FIXED_NOW.date())
    assert "to “in hospital”" in text


@dataclass(frozen=True)
class VisitDay:
    """storage/payloads.py: the payload of a visit-day reminder."""

    VERSION: ClassVar[int] = 1
    day: date
    offset: int


@pytest.fixture
def visit_day() -> Iterator[str]:
    """The kind defined as storage/vocabulary.py and storage/payloads.py would define it."""
    kind = "visit_day"
    alertkinds.define(kind, VisitDay, "planner")
    yield kind
    alertkinds._SPECS.pop(kind)
    ALERT_PAYLOADS.pop(kind)


def test_an_alert_kind_visit_day_is_planned_rendered_and_complete(
    engine: Engine, visit_day: str
) -> None:
    assert sorted(alertkinds.missing()) == [f"{visit_day}: {hook}" for hook in
                                            ("correction", "plan", "render")]  # fmt: skip

    # messages/alerts.py: its text, and what a correction withdrawing one says.
    @alertkinds.registers("render", visit_day)
    def render(ctx: AlertContext, payload: VisitDay) -> str:
        return f"<b>{ctx.name}</b>: visit day on {ctx.t.format_date(payload.day)}"

    alertkinds.registers("correction", visit_day)(lambda ctx, payload: "")

    # jobs/planner.py: which rows to write on each run.
    @alertkinds.registers("plan", visit_day)
    def plan_visits(session: Any, plan_input: PlanInput) -> list[dict[str, Any]]:
        day = plan_input.now.date() + timedelta(days=1)
        key = dedupe_prefix(visit_day, 1, f"{day}:86400")
        row = {"chat_id": 7001, "case_id": 1, "kind": visit_day, "due_at": plan_input.now}
        return [{**row, "dedupe_key": f"{key}7001", "payload": VisitDay(day, 86400)}]

    assert alertkinds.missing() == []
    with session_scope(engine) as session:
        session.add(Case(slug="alimuly"))
        session.add(Subscriber(chat_id=7001, chat_type="private", lang="en"))
        session.flush()
        session.add(CaseName(case_id=1, lang="en", text="Murager Alimuly", is_primary=True,
                             key="murager alimuly"))  # fmt: skip
        session.add(Subscription(chat_id=7001, case_id=1))
    with session_scope(engine) as session:
        plan(session, now=FIXED_NOW, reminders=(), release_reminders=(), zone="Asia/Almaty")
    with session_scope(engine) as session:
        work = claim_due(session, now=FIXED_NOW, limit=10, worker="test")
        assert [item.kind for item in work] == [visit_day]
        out = AlertRenderer("Asia/Almaty").prepare(session, work, FIXED_NOW)
    rendered = out[work[0].id]
    assert isinstance(rendered, Rendered)
    assert rendered.text == "<b>Murager Alimuly</b>: visit day on June 20, 2026"


def test_a_fourth_language_is_one_line_in_the_vocabulary() -> None:
    """Every table kept per language is derived from ``INTERFACE``, and nothing else in
    the code lists the interface languages."""
    uzbek = v.Language("uz", "Oʻzbekcha", v.N_("in Uzbek"), 2, ("uz", "ru", "en"))
    names = (*(language.code for language in (*v.INTERFACE, uzbek)), "zh", "alias")
    order = tuple(dict.fromkeys((*uzbek.name_order, *names)))
    assert order == ("uz", "ru", "en", "kk", "zh", "alias")  # what NAME_ORDER would hold
    for table in (v.NAME_ORDER, v.TEXT_ORDER, v.LANGUAGE_MARKS, v.PLURAL_COUNTS, v.LANGUAGE_NAMES):
        assert tuple(table) == v.LANGUAGES
    languages = set(v.LANGUAGES)
    for file in _code_files():
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.Set | ast.List):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                assert not languages <= words, f"{file.relative_to(ROOT)}:{node.lineno} lists them"
