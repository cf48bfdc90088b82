"""Finding and reading cases through the real bot: /case, /timeline, /calendar,
deep links, groups and bad input, in the three languages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from botsim.server import BotApiServer
from storage.database.engine import session_scope
from storage.database.models import Case, Court, Hearing
from storage.files.casefile import parse_case_file
from storage.files.importer import SAMPLE_FILE, apply_case_file, import_file
from tests.conftest import FIXED_NOW, RunningBot

TWINS = """\
format: casebot-cases/1
cases:
  - slug: aidos-serikuly
    names: [{lang: en, text: Aidos Serikuly, primary: true}]
  - slug: aidar-serikuly
    names: [{lang: en, text: Aidar Serikuly, primary: true}]
"""


@pytest.fixture
def bot(running_bot: RunningBot, engine: Engine) -> Iterator[RunningBot]:
    """The running bot with the sample cases loaded, on a fixed day (never today's date)."""
    running_bot.clock.now = FIXED_NOW
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield running_bot


def no_bad_requests(server: BotApiServer) -> bool:
    return all(call.status < 400 for call in server.calls())


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("Sauytbay", "en", ["Sayragul Sauytbay", "abroad", "Case No 5"]),
        ("Сауытбай", "kk", ["Сайрагүл Сауытбай", "шетелде"]),
        ("sautbay", "ru", ["Сайрагуль Сауытбай", "за рубежом"]),
        ("Кастер Мусаханулы", "ru", ["Кастер Мусаханулы", "в заключении"]),
        ("2", "en", ["Qaster Musakhanuly"]),
        ("qaisha-aqan", "en", ["Qaisha Aqan"]),
    ],
)
def test_case_card_in_the_readers_language(
    bot: RunningBot, query: str, lang: str, expected: list[str]
) -> None:
    [card] = bot.ask(f"/case {query}", language_code=lang)
    for fragment in expected:
        assert fragment in card.text
    labels = [text for text, _data, _url in card.buttons()]
    assert len(labels) >= 2  # Timeline and Calendar at least
    assert no_bad_requests(bot.server)


def test_card_shows_sentence_credit_and_estimated_release(bot: RunningBot) -> None:
    [card] = bot.ask("/case Alimuly", language_code="ru")
    assert "Мурагер Алимулы" in card.text
    assert "1 год" in card.text
    assert "каждый день в СИЗО засчитывается за 2 дня" in card.text
    # The estimate lies in the past while the card still says "in prison": not counted
    # as days ago, but said to be unconfirmed.
    text = card.text.replace("\u202f", " ")
    assert "Ожидаемая дата освобождения — 15 июля 2020 г.; освобождение пока не" in text
    assert "дней назад" not in card.text
    assert "суд не допустил депортацию" in card.text
    assert "https://t.me/casebot_test_bot?start=case_murager-alimuly" in card.text


@pytest.mark.parametrize(
    ("lang", "released", "facts"),
    [
        ("en", "release was July 15, 2020 — not yet confirmed", "facts as of January 21, 2020"),
        ("kk", "2020 ж. 15 шілде еді; әлі расталған жоқ", "мәліметтер 2020 ж. 21 қаңтар бойынша"),
        ("ru", "освобождение пока не подтверждено", "сведения на 21 января 2020 г."),
    ],
)  # fmt: skip
def test_old_facts_do_not_look_current(
    bot: RunningBot, lang: str, released: str, facts: str
) -> None:
    """The card dates its facts by the latest dated fact, not by when they were imported."""
    [card] = bot.ask("/case Alimuly", language_code=lang)
    plain = card.plain_text.replace("\u202f", " ")
    assert released.replace("\u202f", " ") in plain
    assert facts.replace("\u202f", " ") in plain
    assert "2026" not in plain  # neither the import day nor "today"


def test_confirm_moves_facts_as_of_to_today(bot: RunningBot) -> None:
    [refused] = bot.ask("/confirm Alimuly", user_id=1001)
    assert "organizers" in refused.text
    [done] = bot.ask("/confirm Alimuly", user_id=900)
    assert "June 19, 2026" in done.text  # the bot's fixed "today"
    [again] = bot.ask("/confirm Alimuly", user_id=900)
    assert "already confirmed today" in again.text
    [card] = bot.ask("/case Alimuly")
    assert "facts as of June 19, 2026" in card.text


def test_a_suspension_the_sources_do_not_state_is_shown_as_unknown(bot: RunningBot) -> None:
    [card] = bot.ask("/case Aqan", language_code="ru")
    assert "6 месяцев (условный ли срок — неизвестно)" in card.text
    [card] = bot.ask("/case Aqan", language_code="en")
    assert "whether it is suspended is not known" in card.text


def test_an_event_known_only_to_its_year_opens_that_year(bot: RunningBot) -> None:
    [page] = bot.ask("/timeline Sauytbay")
    text = page.plain_text
    assert text.index("crossed the border") < text.index("arrested")


def test_case_without_argument_lists_cases_with_buttons(bot: RunningBot) -> None:
    [listing] = bot.ask("/case", language_code="kk")
    assert "5 іс" in listing.text
    assert [data for _t, data, _u in listing.buttons()] == [f"card:{n}" for n in range(1, 6)]
    [card] = bot.press(listing, "card:3", language_code="kk")
    assert "Тілек Табарикұлы" in card.text


def test_list_pages(bot: RunningBot, engine: Engine) -> None:
    many = "format: casebot-cases/1\ncases:\n" + "".join(
        f"  - slug: extra-{n}\n    names: [{{lang: en, text: Extra Person {n}, primary: true}}]\n"
        for n in range(10)
    )
    with session_scope(engine) as session:
        apply_case_file(session, parse_case_file(many), default_tz="Asia/Almaty")
    [listing] = bot.ask("/case", language_code="en")
    assert "15 cases" in listing.text and "page 1 of 2" in listing.text
    datas = [data for _t, data, _u in listing.buttons()]
    assert "list:card:1" in datas
    bot.server.press_button(
        user_id=1001, chat_id=1001, message_id=listing.message_id, data="list:card:1"
    )
    edited = bot.wait_for_edit(1001, listing.message_id)
    assert "page 2 of 2" in edited.text


def test_unknown_name_says_so_and_offers_the_list(bot: RunningBot) -> None:
    [reply] = bot.ask("/case Smith", language_code="en")
    assert "No case matches “Smith”" in reply.text
    assert len(reply.buttons()) == 5


def test_equal_matches_are_listed_not_guessed(bot: RunningBot, engine: Engine) -> None:
    with session_scope(engine) as session:
        apply_case_file(session, parse_case_file(TWINS), default_tz="Asia/Almaty")
    [reply] = bot.ask("/case Serikuly", language_code="ru")
    assert "найдено несколько дел" in reply.text
    labels = sorted(text for text, _d, _u in reply.buttons())
    assert labels == ["6. Aidos Serikuly", "7. Aidar Serikuly"]


def test_timeline_pages_and_sources(bot: RunningBot) -> None:
    [page] = bot.ask("/timeline Musakhanuly", language_code="en")
    assert page.text.startswith("<b>Timeline: Qaster Musakhanuly</b> (page 1 of")
    assert 'href="https://' in page.text
    assert "October 2019" in page.text or "October 1, 2019" in page.text
    datas = [data for _t, data, _u in page.buttons()]
    assert "tlp:2:1" in datas
    bot.server.press_button(user_id=1001, chat_id=1001, message_id=page.message_id, data="tlp:2:1")
    turned = bot.wait_for_edit(1001, page.message_id)
    assert "(page 2 of" in turned.text
    for text in (page.text, turned.text):
        assert len(text) <= 4096
    assert no_bad_requests(bot.server)


def test_timeline_dates_at_their_precision_in_three_languages(bot: RunningBot) -> None:
    [en] = bot.ask("/timeline Sauytbay", language_code="en")
    [ru] = bot.ask("/timeline Sauytbay", language_code="ru")
    [kk] = bot.ask("/timeline Sauytbay", language_code="kk")
    assert "<b>2019</b>" in en.text  # asylum in Sweden: only the year is known
    assert "May 2018" in en.text
    assert "май 2018" in ru.text
    assert "2018\u202fж. мамыр" in kk.text


def test_timeline_button_from_the_card(bot: RunningBot) -> None:
    [card] = bot.ask("/case Tabarikuly", language_code="ru")
    [page] = bot.press(card, "tl:3:0", language_code="ru")
    assert "Хронология: Тилек Табарикулы" in page.text


def test_calendar_of_upcoming_hearings(bot: RunningBot, engine: Engine) -> None:
    with session_scope(engine) as session:
        case = session.exec(select(Case).where(Case.slug == "murager-alimuly")).one()
        court = session.exec(select(Court).where(Court.slug == "zaysan-court")).one()
        assert case.id is not None
        session.add(
            Hearing(
                case_id=case.id,
                court_id=court.id,
                tz="Asia/Almaty",
                starts_at=datetime(2030, 3, 4, 5, 0, tzinfo=UTC),
            )
        )
    [card] = bot.ask("/case Alimuly", language_code="en")
    assert "March 4, 2030, 10:00 (UTC+5)" in card.text
    [document] = bot.ask("/calendar Alimuly", language_code="en")
    assert document.document is not None
    assert document.document.filename == "murager-alimuly-hearings.ics"
    ics = document.document.content.decode()
    assert "DTSTART;TZID=Asia/Almaty:20300304T100000" in ics
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Asia/Almaty" in ics
    uid = next(line for line in ics.splitlines() if line.startswith("UID:"))
    [again] = bot.ask("/calendar 1", language_code="kk")
    assert again.document is not None
    assert uid in again.document.content.decode()
    assert "Сот отырысы" in again.document.content.decode()


def test_calendar_without_hearings_says_so(bot: RunningBot) -> None:
    [reply] = bot.ask("/calendar Aqan", language_code="ru")
    assert "о предстоящих заседаниях пока ничего не известно" in reply.text


def test_deep_link_opens_the_card(bot: RunningBot) -> None:
    [card] = bot.ask("/start case_sayragul-sauytbay", language_code="kk")
    assert "Сайрагүл Сауытбай" in card.text
    [missing] = bot.ask("/start case_nobody", language_code="en")
    assert "No case matches" in missing.text


def test_group_commands_addressed_to_the_bot(bot: RunningBot) -> None:
    [card] = bot.ask(
        "/case@casebot_test_bot Aqan",
        user_id=1003,
        chat_id=-100777,
        chat_type="supergroup",
        chat_title="Supporters",
        language_code="ru",
    )
    assert card.chat_id == -100777
    assert "Кайша Акан" in card.text


@pytest.mark.parametrize(
    "argument",
    [
        "x" * 4000,
        "<b>&amp;</script>",
        "🙂🙂🙂",
        "مرحبا بالعالم",
        "   ",
        "'; DROP TABLE cases; --",
        "\u202eevil",
        "#",
        "0",
        "99999999999999999999",
    ],
)
@pytest.mark.parametrize("command", ["case", "timeline", "calendar"])
def test_bad_input_gets_a_clear_answer(bot: RunningBot, command: str, argument: str) -> None:
    [reply] = bot.ask(f"/{command} {argument}", language_code="en")
    assert "Sorry" not in reply.text
    assert len(reply.text) <= 4096
    assert no_bad_requests(bot.server)


def test_a_case_deleted_while_its_button_is_pressed(bot: RunningBot, engine: Engine) -> None:
    [card] = bot.ask("/case Aqan", language_code="ru")
    with session_scope(engine) as session:
        session.delete(session.exec(select(Case).where(Case.slug == "qaisha-aqan")).one())
    for data in ("tl:4:0", "cal:4", "card:4"):
        [reply] = bot.press(card, data, language_code="ru", check=False)
        assert "Этого дела больше нет" in reply.text
    [reply] = bot.ask("/case Aqan", language_code="ru")
    assert "Кайша Акан" not in reply.text


@pytest.mark.parametrize(
    "data",
    [
        "card:",
        "tl:1",
        "tl:x:y",
        "cal:-1",
        "list:zz:1",
        "list:card:99999",
        "card:99999999999",
        "tlp:1:500",
    ],
)
def test_malformed_or_stale_buttons(bot: RunningBot, data: str, tmp_path: Path) -> None:
    [card] = bot.ask("/case 1", language_code="en")
    bot.server.press_button(
        user_id=1001, chat_id=1001, message_id=card.message_id, data=data, check=False
    )
    bot.ask("/help", language_code="en")  # the bot is still answering
    assert no_bad_requests(bot.server)
