"""Following cases: subscribe, unsubscribe, list, and forgetting a chat entirely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from storage.database.models import Attendance, Delivery, Subscriber, Subscription, utcnow
from storage.outbox import PENDING
from storage.usecases.subscribers import upsert_subscriber

REMINDER_PRESETS: dict[str, str] = {
    "default": "",  # the operator's CASEBOT_REMINDERS
    "day": "1d",
    "day_hour": "1d,1h",
    "week_day_hour": "7d,1d,1h",
    "none": "none",
}


@dataclass(frozen=True)
class SubscribeOutcome:
    """What /subscribe did: `created` False when the chat already followed the case."""

    created: bool
    first: bool  # the chat's first subscription ever: the answer explains how to stop


def subscribe(
    session: Session,
    *,
    chat_id: int,
    case_id: int,
    chat_type: str = "private",
    telegram_lang: str | None = None,
    now: datetime | None = None,
) -> SubscribeOutcome:
    """Make a chat follow a case (creating its subscriber row); idempotent.

    `now` dates the subscription: reminders whose moment came before it are not sent.
    """
    had_any = (
        session.exec(select(Subscription.id).where(Subscription.chat_id == chat_id)).first()
        is not None
    )
    upsert_subscriber(session, chat_id=chat_id, chat_type=chat_type, telegram_lang=telegram_lang)
    existing = session.exec(
        select(Subscription).where(Subscription.chat_id == chat_id, Subscription.case_id == case_id)
    ).first()
    if existing is not None:
        return SubscribeOutcome(created=False, first=False)
    session.add(Subscription(chat_id=chat_id, case_id=case_id, created_at=now or utcnow()))
    session.flush()
    return SubscribeOutcome(created=True, first=not had_any)


def unsubscribe(session: Session, *, chat_id: int, case_id: int) -> bool:
    """Stop a chat following a case; its pending alerts about the case are dropped.

    Returns False when it was not following it.
    """
    subscription = session.exec(
        select(Subscription).where(Subscription.chat_id == chat_id, Subscription.case_id == case_id)
    ).first()
    if subscription is None:
        return False
    session.delete(subscription)
    session.execute(
        delete(Delivery).where(
            col(Delivery.chat_id) == chat_id,
            col(Delivery.case_id) == case_id,
            col(Delivery.status) == PENDING,
        )
    )
    return True


def list_followed(session: Session, *, chat_id: int) -> list[int]:
    """The ids of the cases a chat follows, in the order it subscribed."""
    return list(
        session.exec(
            select(Subscription.case_id)
            .where(Subscription.chat_id == chat_id)
            .order_by(col(Subscription.id))
        ).all()
    )


def forget_chat(session: Session, *, chat_id: int) -> bool:
    """Delete everything kept about a chat: subscriptions, pending alerts, language.

    Returns False when nothing was kept. Sent alerts' rows go too (they hold the
    chat id).
    """
    subscriber = session.get(Subscriber, chat_id)
    if subscriber is None:
        return False
    session.execute(delete(Delivery).where(col(Delivery.chat_id) == chat_id))
    session.execute(delete(Subscription).where(col(Subscription.chat_id) == chat_id))
    session.execute(delete(Attendance).where(col(Attendance.chat_id) == chat_id))
    session.delete(subscriber)
    return True


def set_timeline_follow(session: Session, *, chat_id: int, on: bool) -> None:
    """Whether this chat also gets new timeline events of the cases it follows."""
    subscriber = upsert_subscriber(session, chat_id=chat_id)
    subscriber.timeline = on


def set_reminder_preset(session: Session, *, chat_id: int, preset: str) -> None:
    """Choose when this chat is reminded of hearings (one of REMINDER_PRESETS)."""
    if preset not in REMINDER_PRESETS:
        raise ValueError(f"unknown preset {preset!r}")
    subscriber = upsert_subscriber(session, chat_id=chat_id)
    subscriber.reminders = REMINDER_PRESETS[preset] or None


def migrate_chat(session: Session, *, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup (a new chat id): move what it follows and its queue.

    Returns False when the bot kept nothing about the old chat.
    """
    old = session.get(Subscriber, old_chat_id)
    if old is None:
        return False
    new = session.get(Subscriber, new_chat_id)
    if new is None:
        new = Subscriber(
            chat_id=new_chat_id,
            chat_type="supergroup",
            lang=old.lang,
            telegram_lang=old.telegram_lang,
            reminders=old.reminders,
        )
        session.add(new)
        session.flush()
    followed = set(list_followed(session, chat_id=new_chat_id))
    for subscription in session.exec(
        select(Subscription).where(Subscription.chat_id == old_chat_id)
    ).all():
        if subscription.case_id in followed:
            session.delete(subscription)
        else:
            subscription.chat_id = new_chat_id
    session.execute(
        update(Delivery)
        .where(col(Delivery.chat_id) == old_chat_id, col(Delivery.status) == PENDING)
        .values(chat_id=new_chat_id)
    )
    session.flush()
    session.delete(old)
    session.flush()
    return True
