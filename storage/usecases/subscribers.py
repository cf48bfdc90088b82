"""Subscribers: the chats casebot talks to, and the language each one chose; and the
Telegram names organizers last used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.database.models import Organizer, OrganizerName, Subscriber, utcnow


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


@dataclass(frozen=True)
class KnownName:
    """How an organizer appears on Telegram: their username (without @) and first name."""

    username: str | None
    first_name: str | None


def remember_name(
    session: Session,
    *,
    user_id: int,
    username: str | None,
    first_name: str | None,
    now: datetime,
) -> None:
    """Keep the username and first name an organizer uses now (written only when changed)."""
    username = (username or "")[:64] or None
    first_name = " ".join((first_name or "").split())[:128] or None
    row = session.get(OrganizerName, user_id)
    if row is None:
        session.add(
            OrganizerName(user_id=user_id, username=username, first_name=first_name, updated_at=now)
        )
    elif (row.username, row.first_name) != (username, first_name):
        row.username, row.first_name, row.updated_at = username, first_name, now
    session.flush()


def known_names(session: Session, user_ids: Iterable[int]) -> dict[int, KnownName]:
    """The remembered names of these users (those never seen are left out)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(select(OrganizerName).where(col(OrganizerName.user_id).in_(ids))).all()
    return {row.user_id: KnownName(row.username, row.first_name) for row in rows}
