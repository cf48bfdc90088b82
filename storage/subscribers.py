"""Subscribers: the chats casebot talks to, and the language each one chose."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import Organizer, Subscriber, utcnow


def get_subscriber(session: Session, *, chat_id: int) -> Subscriber | None:
    """The subscriber row of a chat, if the bot keeps one."""
    return session.get(Subscriber, chat_id)


def get_chosen_language(session: Session, *, chat_id: int) -> str | None:
    """The language a chat chose with /language, or None when it never chose."""
    return session.exec(select(Subscriber.lang).where(Subscriber.chat_id == chat_id)).first()


def upsert_subscriber(
    session: Session,
    *,
    chat_id: int,
    chat_type: str = "private",
    telegram_lang: str | None = None,
) -> Subscriber:
    """Create the chat's row, or refresh its type and Telegram language; unblock it."""
    subscriber = session.get(Subscriber, chat_id)
    if subscriber is None:
        subscriber = Subscriber(chat_id=chat_id, chat_type=chat_type, telegram_lang=telegram_lang)
        session.add(subscriber)
    else:
        subscriber.chat_type = chat_type
        if telegram_lang:
            subscriber.telegram_lang = telegram_lang
        subscriber.blocked = False
        subscriber.gone = False
        subscriber.updated_at = utcnow()
    session.flush()
    return subscriber


def set_language(session: Session, *, chat_id: int, lang: str, chat_type: str = "private") -> None:
    """Remember the language a chat chose."""
    subscriber = upsert_subscriber(session, chat_id=chat_id, chat_type=chat_type)
    subscriber.lang = lang


def is_organizer(session: Session, *, user_id: int, admins: frozenset[int]) -> bool:
    """True for admins (from the settings) and for organizers an admin added."""
    return user_id in admins or session.get(Organizer, user_id) is not None
