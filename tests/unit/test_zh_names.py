"""Names in Chinese characters (lang zh): in case files, exports, /addname, the card and search."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from handlers.syntax import parse_addname
from messages.common import best_name
from messages.i18n import Translator
from storage.database.engine import make_engine, session_scope
from storage.database.models import Case, CaseName
from storage.domain.search import IndexedCase, SearchIndex
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.exporter import export_cases
from storage.files.importer import SAMPLE_FILE, import_file
from storage.reads.lookup import LiveIndex
from storage.usecases.editing import detect_language, detect_name_language
from tests.people import PEOPLE, add_people

CHINESE = {
    "murager-alimuly": "木拉格尔·阿里木",
    "qaster-musakhanuly": "哈斯铁尔·木沙汗",
    "tilek-tabarikuly": "特列克·塔巴拉克",
    "sayragul-sauytbay": "萨拉古·萨吾提拜",
}
ZH_FILE = """\
format: casebot-cases/1
cases:
  - slug: murager-alimuly
    names:
      - {lang: en, text: "Murager Alimuly", primary: true}
      - {lang: zh, text: "木拉格尔·阿里木"}
"""


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
    [case] = parse_case_file(ZH_FILE).cases
    assert ("zh", "木拉格尔·阿里木", False) in case.names
    text = ZH_FILE.replace("{lang: zh,", "{lang: cn,", 1)
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
def people_db(engine: Engine) -> Engine:
    """The five people of tests/people.py, four of them with a name in Chinese."""
    assert {
        slug: text for slug, names in PEOPLE.items() for lang, text, _ in names if lang == "zh"
    } == CHINESE
    with session_scope(engine) as session:
        add_people(session)
    return engine


def test_export_writes_and_import_stores_zh_names(
    people_db: Engine, migrated_template: Path, tmp_path: Path
) -> None:
    with session_scope(people_db) as session:
        exported = export_cases(session)
    again = parse_case_file(exported)
    names = {spec.slug: {(lang, text) for lang, text, _ in spec.names} for spec in again.cases}
    for slug, text in CHINESE.items():
        assert ("zh", text) in names[slug]
    (tmp_path / "cases.yaml").write_text(exported, encoding="utf-8")
    shutil.copyfile(migrated_template, tmp_path / "copy.db")
    copy = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    with session_scope(copy) as session:
        import_file(session, tmp_path / "cases.yaml", default_tz="Asia/Almaty")
        stored = {
            name.text for name in session.exec(select(CaseName).where(CaseName.lang == "zh")).all()
        }
    copy.dispose()
    assert stored == set(CHINESE.values())


def test_the_live_index_finds_chinese_names_and_takes_new_ones(people_db: Engine) -> None:
    live = LiveIndex()
    with session_scope(people_db) as session:
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
