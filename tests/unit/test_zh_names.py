"""Names in Chinese characters (lang zh): in case files, exports, /addname, the card and search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers.syntax import parse_addname
from messages.common import best_name
from messages.i18n import Translator
from storage.database.engine import make_engine, session_scope, upgrade
from storage.database.models import Case, CaseName
from storage.domain.search import IndexedCase, SearchIndex
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.exporter import export_cases
from storage.files.importer import SAMPLE_FILE, import_file
from storage.reads.lookup import LiveIndex
from storage.usecases.editing import detect_language, detect_name_language

CHINESE = {
    "murager-alimuly": "木拉格尔·阿里木",
    "qaster-musakhanuly": "哈斯铁尔·木沙汗",
    "tilek-tabarikuly": "特列克·塔巴拉克",
    "sayragul-sauytbay": "萨拉古·萨吾提拜",
}


def test_the_sample_file_has_the_sourced_chinese_names() -> None:
    data = parse_case_file(SAMPLE_FILE.read_text(encoding="utf-8"))
    found = {spec.slug: text for spec in data.cases for lang, text, _ in spec.names if lang == "zh"}
    assert found == CHINESE
    raw = SAMPLE_FILE.read_text(encoding="utf-8")
    for text in CHINESE.values():  # each with its source in a comment just above it
        before = raw[: raw.index(f'text: "{text}"')].rstrip().splitlines()
        assert before[-2].lstrip().startswith("#"), text
        assert "https://" in "\n".join(before[-6:]), text


def test_a_case_file_name_in_an_unknown_language_is_still_refused() -> None:
    text = SAMPLE_FILE.read_text(encoding="utf-8").replace("{lang: zh,", "{lang: cn,", 1)
    with pytest.raises(CaseFileError, match="name language"):
        parse_case_file(text)


def test_addname_takes_zh() -> None:
    args = parse_addname("murager-alimuly zh 木拉格尔·阿里木")
    assert (args.case, args.lang, args.name) == ("murager-alimuly", "zh", "木拉格尔·阿里木")
    args = parse_addname("Murager Alimuly ZH 木拉格尔 阿里木")
    assert (args.case, args.lang, args.name) == ("Murager Alimuly", "zh", "木拉格尔 阿里木")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_reader_sees_a_chinese_name_as_title_only_when_there_is_no_other(lang: str) -> None:
    t = Translator(lang)
    names = [("zh", "木拉格尔·阿里木", True), ("alias", "Murager", False)]
    assert best_name(t, names) == "Murager"
    assert best_name(t, [*names, ("kk", "Мұрагер Әлімұлы", True)]) != "木拉格尔·阿里木"
    assert best_name(t, [("zh", "木拉格尔·阿里木", True)]) == "木拉格尔·阿里木"


@pytest.fixture
def sample_db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/zh.db")
    upgrade(engine)
    with session_scope(engine) as session:
        import_file(session, SAMPLE_FILE, default_tz="Asia/Almaty")
    yield engine
    engine.dispose()


def test_import_stores_and_export_writes_zh_names(sample_db: Engine) -> None:
    with session_scope(sample_db) as session:
        stored = {
            name.text for name in session.exec(select(CaseName).where(CaseName.lang == "zh")).all()
        }
        exported = export_cases(session)
    assert stored == set(CHINESE.values())
    again = parse_case_file(exported)
    names = {spec.slug: {(lang, text) for lang, text, _ in spec.names} for spec in again.cases}
    for slug, text in CHINESE.items():
        assert ("zh", text) in names[slug]


def test_the_live_index_finds_chinese_names_and_takes_new_ones(sample_db: Engine) -> None:
    live = LiveIndex()
    with session_scope(sample_db) as session:
        ids = {case.slug: case.id for case in session.exec(select(Case)).all()}
        for slug, text in CHINESE.items():
            for query in (text, text.replace("·", ""), text.split("·")[1]):
                best = live.search(session, query).best
                assert best is not None and best.case_id == ids[slug], query
        qaisha = ids["qaisha-aqan"]
        assert qaisha is not None
        assert live.search(session, "卡依霞·阿汗").empty
        names = [
            row.text
            for row in session.exec(select(CaseName).where(CaseName.case_id == qaisha)).all()
        ]
        live.upsert(session, IndexedCase(qaisha, "qaisha-aqan", (*names, "卡依霞·阿汗")))
        best = live.search(session, "阿汗").best
        assert best is not None and best.case_id == qaisha


def test_a_chinese_query_is_compared_fuzzily_with_chinese_names_only() -> None:
    index = SearchIndex([IndexedCase(1, "a", ("Alima Bek",)), IndexedCase(2, "b", ("木沙",))])
    assert index.search("阿里木").empty  # alimu: one letter from alima, but not Chinese
    best = index.search("Alimu").best  # typed in Latin, it may be either
    assert best is not None and best.case_id == 1
    best = index.search("木莎").best  # musha: a Chinese name one letter off
    assert best is not None and best.case_id == 2


def test_the_pinyin_of_a_chinese_query_may_be_a_kazakh_name_exactly() -> None:
    # 凯莎·阿坎 reads kaisha akan: a document transcribing Qaisha Aqan's name
    index = SearchIndex([IndexedCase(4, "qaisha-aqan", ("Қайша Ақан",))])
    best = index.search("凯莎·阿坎").best
    assert best is not None and best.case_id == 4


@pytest.mark.parametrize(
    ("name", "lang"),
    [("哈依沙·阿肯", "zh"), ("Қайша Ақан", "kk"), ("Кайша Акан", "ru"), ("Qaisha Aqan", "en")],
)
def test_a_new_case_named_in_chinese_gets_a_zh_name(name: str, lang: str) -> None:
    assert detect_name_language(name, "ru") == lang
    assert detect_language("哈依沙", "ru") == "ru"  # texts: not an interface language
