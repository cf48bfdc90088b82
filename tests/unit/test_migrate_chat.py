"""A group that becomes a supergroup keeps what it follows and its queued alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import select

from storage.database.engine import session_scope
from storage.database.models import Case, Delivery, Subscriber, Subscription
from storage.usecases.changes import change_status
from storage.usecases.subscriptions import list_followed, migrate_chat, subscribe

OLD, NEW = -4_000_001, -1_004_000_001


def test_migrated_group_keeps_subscriptions_and_queue(engine: Engine) -> None:
    with session_scope(engine) as session:
        first, second = Case(slug="first"), Case(slug="second")
        session.add_all([first, second])
        session.flush()
        assert first.id is not None and second.id is not None
        subscribe(session, chat_id=OLD, case_id=first.id, chat_type="group", telegram_lang="ru")
        subscribe(session, chat_id=OLD, case_id=second.id, chat_type="group")
        subscribe(session, chat_id=NEW, case_id=second.id, chat_type="supergroup")
        change_status(
            session, case_id=first.id, dimension="custody", key="released", now=datetime.now(UTC)
        )
        case_ids = (first.id, second.id)
    with session_scope(engine) as session:
        assert migrate_chat(session, old_chat_id=OLD, new_chat_id=NEW)
        assert not migrate_chat(session, old_chat_id=OLD, new_chat_id=NEW)
    with session_scope(engine) as session:
        assert session.get(Subscriber, OLD) is None
        assert sorted(list_followed(session, chat_id=NEW)) == sorted(case_ids)
        assert session.exec(select(Subscription).where(Subscription.chat_id == OLD)).all() == []
        [queued] = session.exec(select(Delivery)).all()
        assert queued.chat_id == NEW and queued.status == "pending"
