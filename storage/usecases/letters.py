"""Letters to people in detention: where they go, whether they reach, in which languages;
the organizers' guide to writing one (per interface language); and the cases that few
people follow (``/whohelps``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.database.models import AuditEntry, Case, LetterGuide, Subscriber, Subscription

LANG_CODE = re.compile(r"[a-z]{2,3}")
"""A language letters may be written in: an ISO 639 code (``ru``, ``kk``, ``ug``, ``zh``)."""

MAX_ADDRESS = 500
MAX_GUIDE = 2000


@dataclass(frozen=True)
class LetterView:
    """What "Write a letter" shows for a case."""

    case_id: int
    address: str
    reach: bool | None
    langs: tuple[str, ...]
    guides: dict[str, str]
    """The organizers' guide, by interface language (those written so far)."""


def get_letter_view(session: Session, *, case_id: int) -> LetterView | None:
    """The letter details of a case, or None when it has no address for letters."""
    case = session.get(Case, case_id)
    if case is None or case.id is None or not case.letter_address:
        return None
    guides = {row.lang: row.text for row in session.exec(select(LetterGuide)).all()}
    return LetterView(
        case.id, case.letter_address, case.letters_reach, tuple(case.letter_langs), guides
    )


def _letter_state(case: Case) -> dict[str, object]:
    return {
        "letter_address": case.letter_address,
        "letters_reach": case.letters_reach,
        "letter_langs": list(case.letter_langs),
    }


def set_letters(
    session: Session,
    *,
    case_id: int,
    address: str | None,
    reach: bool | None,
    langs: list[str] | None,
    clear: bool = False,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Set a case's address for letters, whether letters reach, and their languages (each
    only when given; ``reach`` always, None meaning not known); ``clear`` removes them all.
    Audited; False when nothing changed."""
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"no case {case_id}")
    before = _letter_state(case)
    if clear:
        case.letter_address, case.letters_reach, case.letter_langs = None, None, []
    else:
        if address is not None:
            case.letter_address = address[:MAX_ADDRESS]
        case.letters_reach = reach
        if langs is not None:
            case.letter_langs = list(dict.fromkeys(langs))
    after = _letter_state(case)
    if after == before:
        return False
    case.updated_at = now
    session.add(
        AuditEntry(
            at=now, actor_id=actor_id, case_id=case_id, action="letters", before=before,
            after=after,
        )
    )  # fmt: skip
    session.flush()
    return True


def set_letter_guide(
    session: Session, *, lang: str, text: str, actor_id: int | None, now: datetime
) -> bool:
    """Write (or replace) the guide in one interface language; audited. False when the same."""
    row = session.get(LetterGuide, lang)
    before = {"lang": lang, "text": row.text if row else None}
    if row is not None and row.text == text:
        return False
    if row is None:
        row = LetterGuide(lang=lang, text=text[:MAX_GUIDE])
        session.add(row)
    row.text, row.updated_by, row.updated_at = text[:MAX_GUIDE], actor_id, now
    after = {"lang": lang, "text": row.text}
    session.add(
        AuditEntry(at=now, actor_id=actor_id, action="letter_guide", before=before, after=after)
    )
    session.flush()
    return True


def list_fewest_followers(session: Session, *, limit: int) -> list[tuple[int, int]]:
    """(case id, followers) of the cases with the fewest followers (blocked and gone chats
    not counted), fewest first, then by number."""
    followers = (
        select(Subscription.case_id, func.count().label("n"))
        .join(Subscriber, col(Subscriber.chat_id) == col(Subscription.chat_id))
        .where(col(Subscriber.blocked).is_(False), col(Subscriber.gone).is_(False))
        .group_by(col(Subscription.case_id))
        .subquery()
    )
    count = func.coalesce(followers.c.n, 0)
    rows = session.exec(
        select(Case.id, count)
        .join(followers, followers.c.case_id == col(Case.id), isouter=True)
        .order_by(count, col(Case.id))
        .limit(limit)
    ).all()
    return [(int(case_id), int(n)) for case_id, n in rows if case_id is not None]
