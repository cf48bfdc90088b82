"""What a new supporter and a new organizer ran into, through the real bot: plain text in a
private chat is a search, and a preview shows what each language's subscribers read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.database.engine import session_scope
from storage.files.importer import SAMPLE_FILE, import_file
from tests.conftest import RunningBot

ADMIN = 900
FOLLOWERS = {2001: "kk", 2002: "ru", 2003: "en", 2004: "ru"}


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [("Сауытбай", "kk", "Сайрагүл Сауытбай"), ("musakhanuly", "en", "Qaster Musakhanuly")],
)
def test_a_name_typed_in_a_private_chat_opens_the_card(
    bot: RunningBot, text: str, lang: str, expected: str
) -> None:
    [card] = bot.ask(text, language_code=lang)
    assert expected in card.text
    assert any(str(data).startswith("tl:") for _t, data, _u in card.buttons())  # a card


def test_a_question_typed_in_a_private_chat_gets_the_list_and_a_hint(bot: RunningBot) -> None:
    [reply] = bot.ask("when is the next hearing?")
    assert "No case matches" in reply.text
    assert "in any spelling or script" in reply.text
    assert [data for _t, data, _u in reply.buttons()][:1] == ["card:1"]


def test_plain_text_in_a_group_stays_ignored(bot: RunningBot) -> None:
    bot.server.user_message("Сауытбай", user_id=1001, chat_id=-500, chat_type="group")
    bot.wait_idle()
    assert bot.server.outbox(-500) == []


def test_the_preview_shows_each_languages_text_and_count(bot: RunningBot) -> None:
    for chat, lang in FOLLOWERS.items():
        bot.ask("/subscribe Alimuly", user_id=chat, language_code=lang)
    [preview] = bot.ask(
        "/setstatus Alimuly deportation_ordered Announced by the court", user_id=ADMIN
    )
    text = preview.text
    assert "Preview: 4 subscribers will get this message." in text
    assert "Қазақша: 1 reader" in text and "Русский: 2 readers" in text
    assert "English: 1 reader" in text
    assert "вынесено решение о депортации" in text  # the Russian alert itself
    assert "Мұрагер Әлімұлы" in text  # the Kazakh readers see the name in their script
    # The note is in English only: the others will see it marked.
    assert text.count("They will see the note in English, marked so.") == 2
