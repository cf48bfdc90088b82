"""Migration 0008: deliveries and drafts stored in the old dictionary shape (revision 0007)
are converted to versioned payloads, and then load, render, send and undo as new ones.

A database is built at revision 0007, given pending deliveries of every alert kind and
drafts of every kind (open, asking, and one sent whose undo window is still open) in the
shape the code before the payload types wrote them, then upgraded to head. Runs on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, inspect
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlmodel import Session, SQLModel, col, select

from botsim.server import BotApiServer
from jobs.render import AlertRenderer
from storage.database.engine import current_revision, downgrade, make_engine, upgrade
from storage.database.models import (
    Case,
    CaseName,
    Court,
    Delivery,
    Draft,
    Hearing,
    Subscriber,
    Subscription,
)
from storage.payloads import (
    ALERT_PAYLOADS,
    DRAFT_PAYLOADS,
    EventQuestion,
    HearingMoved,
    NewCaseQuestion,
    SentenceDraft,
    load_alert,
    load_draft,
    load_result,
)
from storage.usecases.drafts import send_draft, undo_draft
from storage.usecases.questions import answer_question
from storage.vocabulary import AlertKind
from tests.conftest import FIXED_NOW, Clock, private_pg_schema
from tests.e2e.dispatcher_support import run_dispatcher

NOW = FIXED_NOW
HEARING_AT = NOW + timedelta(days=3)
RELEASE = date(2026, 9, 1)
ACTOR = 900
CHATS = list(range(5001, 5009))
ISO = "%Y-%m-%dT%H:%M:%S+00:00"

OLD_HEARING = {
    "hearing_id": 1,
    "version": 0,
    "starts_at": HEARING_AT.strftime(ISO),
    "tz": "Asia/Almaty",
    "time_known": True,
    "court_id": 1,
    "court": {"en": "Almaty City Court"},
    "city": {"en": "Almaty"},
}
EARLIER = (HEARING_AT - timedelta(days=1)).strftime(ISO)
OLD_DELIVERIES: dict[str, tuple[dict[str, Any], str]] = {
    # kind: (payload as the code before 0008 wrote it, what its text must say)
    "status": (
        {
            "dimension": "custody",
            "old": "detained",
            "new": "imprisoned",
            "note": {"en": "Moved to a colony"},
            "note_lang": "en",
        },
        "from “in pre-trial detention” to “in prison”",
    ),
    "hearing_set": (OLD_HEARING, "a hearing is set"),
    "hearing_moved": (
        {
            **OLD_HEARING,
            "old_starts_at": EARLIER,
            "old_tz": "Asia/Almaty",
            "old_time_known": True,
            "old_court": {"en": "Almaty City Court"},
            "old_city": {"en": "Almaty"},
        },
        "Was: June 21, 2026, 11:00 (UTC+5) — Almaty City Court, Almaty",
    ),
    "hearing_cancelled": (OLD_HEARING, "It was set for: June 22, 2026, 11:00 (UTC+5)"),
    "release_changed": (
        {"old_release": "2027-01-15", "release": RELEASE.isoformat(), "stated": True},
        "New date: September 1, 2026 (stated by the court)",
    ),
    "correction": ({"of": "status", "dimension": "custody"}, "Custody is still: in prison"),
    "hearing_reminder": (
        {"hearing_id": 1, "version": 0, "offset": 259200},
        "has a hearing in 3 days",
    ),
    "release_reminder": (
        {"release_on": RELEASE.isoformat(), "stated": True, "offset": 86400},
        "may be released on September 1, 2026",
    ),
}
LATER_KINDS = {
    AlertKind.ATTEND_NOTE,
    AlertKind.STALE_DIGEST,
    AlertKind.TIMELINE_EVENT,
    AlertKind.APPROVAL_NOTICE,
    AlertKind.APPROVAL_REQUEST,
}
"""Kinds added after 0008: their payloads were versioned from the start."""
OLD_DRAFTS: dict[str, tuple[str, dict[str, Any]]] = {
    # kind: (state, params as the code before 0008 wrote them)
    "status": (
        "open",
        {"dimension": "custody", "key": "released", "note": {"en": "Freed"}, "note_lang": "en"},
    ),
    "hearing": (
        "open",
        {
            "starts_at": (NOW + timedelta(days=5)).strftime(ISO),
            "tz": "Asia/Almaty",
            "time_known": True,
            "court": "Almaty Regional Court",
            "city": "Almaty",
            "court_lang": "en",
        },
    ),
    "sentence": ("open", {"values": {"release_on": "2026-10-01"}}),
    "cancel_hearing": ("open", {}),
    "ask_new_case": ("ask", {"name": "Aigerim Nurlanqyzy", "lang": "en"}),
    "ask_event": (
        "ask",
        {
            "day": "2026-07-01",
            "precision": "day",
            "text": "A visit",
            "lang": "en",
            "source_url": None,
        },
    ),
    "ask_sentence": ("ask", {"values": {"detained_on": "2026-07-01"}}),
}
SENT_PREFIX = "status:1:v7:"
SENT_RESULT = {
    "kind": "status",
    "prefix": SENT_PREFIX,
    "before": {"custody": "detained"},
    "hearing_id": None,
    "audit_id": None,
    "alerts": 1,
}


@pytest.fixture(params=["sqlite", "postgres"])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at revision 0007 (SQLite file, or PostgreSQL with TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        upgrade(engine, "0007")
        yield engine
        engine.dispose()
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set (no PostgreSQL server to test against)")
    with private_pg_schema(base) as url:
        engine = make_engine(url)
        upgrade(engine, "0007")
        yield engine
        engine.dispose()


def _add_old(session: Session, row: SQLModel) -> None:
    """Insert a row with only the columns its table had at revision 0007 (later migrations
    add columns the model knows of and the old table has not)."""
    table = type(row).__table__  # type: ignore[attr-defined]
    have = {column["name"] for column in inspect(session.connection()).get_columns(table.name)}
    values = {
        column.name: getattr(row, column.name)
        for column in table.columns
        if column.name in have and getattr(row, column.name) is not None
    }
    old = sa_table(table.name, *(sa_column(name, table.c[name].type) for name in values))
    session.execute(insert(old).values(values))  # no defaults of the columns added later


def _store_old_case(session: Session) -> None:
    """The case, its court, name and hearing, and the followers, as at revision 0007."""
    case = Case(slug="alimuly", custody="imprisoned", release_on=RELEASE, version=7)
    _add_old(session, case)
    _add_old(
        session,
        Court(
            slug="almaty-city",
            tz="Asia/Almaty",
            name={"en": "Almaty City Court"},
            city={"en": "Almaty"},
        ),
    )
    session.flush()
    session.add(
        CaseName(
            case_id=1, lang="en", text="Murager Alimuly", is_primary=True, key="murager alimuly"
        )
    )
    session.add(Hearing(case_id=1, court_id=1, starts_at=HEARING_AT, tz="Asia/Almaty"))
    for chat in CHATS:
        _add_old(session, Subscriber(chat_id=chat, chat_type="private", lang="en"))
        session.flush()
        session.add(Subscription(chat_id=chat, case_id=1))


def _store_old_deliveries(session: Session) -> None:
    """One pending delivery of every old kind per follower, and one sent (the undo's)."""
    for chat, (kind, (payload, _)) in zip(CHATS, OLD_DELIVERIES.items(), strict=True):
        session.add(
            Delivery(
                dedupe_key=f"{kind}:1:old:{chat}",
                chat_id=chat,
                case_id=1,
                kind=kind,
                payload=payload,
                due_at=NOW - timedelta(minutes=1),
            )
        )
    session.add(
        Delivery(
            dedupe_key=f"{SENT_PREFIX}{CHATS[0]}",
            chat_id=CHATS[0],
            case_id=1,
            kind="status",
            payload={"dimension": "custody"},
            status="sent",
            due_at=NOW - timedelta(minutes=2),
        )
    )


def _store_old_drafts(session: Session) -> None:
    """A draft of every kind in its state, and a sent one whose undo window is open."""
    for kind, (state, params) in OLD_DRAFTS.items():
        session.add(
            Draft(
                actor_id=ACTOR,
                case_id=1,
                kind=kind,
                params=params,
                state=state,
                created_at=NOW,
                expires_at=NOW + timedelta(minutes=10),
            )
        )
    session.add(
        Draft(
            actor_id=ACTOR,
            case_id=1,
            kind="status",
            state="sent",
            params=OLD_DRAFTS["status"][1],
            result=SENT_RESULT,
            created_at=NOW,
            expires_at=NOW,
            sent_at=NOW - timedelta(minutes=2),
        )
    )


def _store_old_rows(engine: Engine) -> None:
    """The rows of a database at revision 0007, in the shapes the code then wrote."""
    with Session(engine) as session:
        _store_old_case(session)
        _store_old_deliveries(session)
        _store_old_drafts(session)
        session.commit()


def _drafts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(Draft).where(col(Draft.state) != "sent")).all()
        return {draft.kind: draft.id or 0 for draft in rows}


def _check_every_row_loads_as_a_payload(engine: Engine) -> None:
    """After the upgrade every pending delivery, draft and sent result loads as its type."""
    with Session(engine) as session:
        for delivery in session.exec(select(Delivery)).all():
            if delivery.status == "pending":
                assert isinstance(
                    load_alert(delivery.kind, delivery.payload), ALERT_PAYLOADS[delivery.kind]
                )
        moved = session.exec(select(Delivery).where(Delivery.kind == "hearing_moved")).one()
        was = load_alert("hearing_moved", moved.payload)
        assert isinstance(was, HearingMoved) and was.was.starts_at == HEARING_AT - timedelta(days=1)
        for draft in session.exec(select(Draft)).all():
            assert isinstance(load_draft(draft.kind, draft.params), DRAFT_PAYLOADS[draft.kind])
        sent = session.exec(select(Draft).where(Draft.state == "sent")).one()
        assert load_result(sent.result) is not None


def _check_every_old_delivery_is_sent(engine: Engine, botapi: BotApiServer, clock: Clock) -> None:
    """Every old delivery is rendered from its converted payload and sent."""
    run_dispatcher(engine, botapi, renderer=AlertRenderer("Asia/Almaty"), clock=clock)
    texts = {message.chat_id: message.text for message in botapi.outbox()}
    for chat, (kind, (_, expected)) in zip(CHATS, OLD_DELIVERIES.items(), strict=True):
        assert expected in texts.get(chat, ""), f"{kind}: {texts.get(chat)!r}"


def _send_answer_and_undo_the_old_drafts(engine: Engine) -> None:
    """Every open draft is sent, every question answered, the sent draft undone."""
    ids = _drafts(engine)
    with Session(engine) as session:
        sent_id = session.exec(select(Draft.id).where(Draft.state == "sent")).one()
    made = {}
    with Session(engine) as session:
        for kind in ("status", "hearing", "sentence", "cancel_hearing"):
            outcome = send_draft(session, draft_id=ids[kind], actor_id=ACTOR, now=NOW)
            assert outcome.state == "sent" and outcome.result is not None, kind
            made[kind] = (outcome.result.kind, outcome.result.alerts)
        answers = {
            kind: answer_question(session, question_id=ids[kind], actor_id=ACTOR, yes=True, now=NOW)
            for kind in ("ask_new_case", "ask_event", "ask_sentence")
        }
        assert sent_id is not None
        undone = undo_draft(session, draft_id=sent_id, actor_id=ACTOR, now=NOW)
        session.commit()
    assert made == {
        "status": ("status", 8),
        "hearing": ("hearing_moved", 8),
        "sentence": ("release_changed", 8),
        "cancel_hearing": ("hearing_cancelled", 8),
    }
    assert answers["ask_new_case"].params == NewCaseQuestion("Aigerim Nurlanqyzy", "en")
    assert answers["ask_event"].params == EventQuestion(date(2026, 7, 1), "day", "A visit", "en")
    assert answers["ask_sentence"].params == SentenceDraft({"detained_on": "2026-07-01"})
    assert (undone.state, undone.corrections) == ("undone", 1)


def _check_the_drafts_alerts_are_sent(engine: Engine, botapi: BotApiServer, clock: Clock) -> None:
    """The alerts the old drafts made, and the correction, are sent too."""
    before = len(botapi.outbox())
    clock.now = NOW + timedelta(minutes=1)
    run_dispatcher(engine, botapi, renderer=AlertRenderer("Asia/Almaty"), clock=clock)
    new = [message.text for message in botapi.outbox()[before:]]
    assert len(new) == 4 * 8 + 1
    assert sum("the hearing is moved" in text for text in new) == 8
    assert sum("Correction about Murager Alimuly" in text for text in new) == 1


def test_old_rows_load_render_and_send_after_the_upgrade(
    old_engine: Engine, botapi: BotApiServer
) -> None:
    assert set(OLD_DELIVERIES) | LATER_KINDS == set(AlertKind) == set(ALERT_PAYLOADS)
    assert set(OLD_DRAFTS) == set(DRAFT_PAYLOADS)
    _store_old_rows(old_engine)
    upgrade(old_engine)
    assert (current_revision(old_engine) or "") >= "0008"  # 0008 and any later migration
    _check_every_row_loads_as_a_payload(old_engine)
    clock = Clock(NOW)
    _check_every_old_delivery_is_sent(old_engine, botapi, clock)
    _send_answer_and_undo_the_old_drafts(old_engine)
    _check_the_drafts_alerts_are_sent(old_engine, botapi, clock)


def test_the_downgrade_gives_the_old_shape_back(old_engine: Engine) -> None:
    _store_old_rows(old_engine)
    upgrade(old_engine)
    downgrade(old_engine, "0007")
    with Session(old_engine) as session:
        pending = session.exec(select(Delivery).where(Delivery.status == "pending")).all()
        assert {row.kind: row.payload for row in pending} == {
            kind: {**payload, **({"note": payload["note"]} if "note" in payload else {})}
            for kind, (payload, _) in OLD_DELIVERIES.items()
        }
        drafts = session.exec(select(Draft).where(col(Draft.state) != "sent")).all()
        assert {row.kind: row.params for row in drafts} == {
            kind: params for kind, (_, params) in OLD_DRAFTS.items()
        }
