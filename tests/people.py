"""Five people the name tests look for, under every name they are stored with.

They are the people of the shipped sample cases, written out here so that a test
says which names it depends on, and keeps testing the same thing when the sample
file changes. Each name is ``(lang, text, primary)``, as a case file gives it.
"""

from __future__ import annotations

from sqlmodel import Session

from tests.factories import add_case, add_name

Names = tuple[tuple[str, str, bool], ...]

PEOPLE: dict[str, Names] = {
    "murager-alimuly": (
        ("kk", "Мұрагер Әлімұлы", True),
        ("ru", "Мурагер Алимулы", True),
        ("en", "Murager Alimuly", True),
        ("zh", "木拉格尔·阿里木", False),
    ),
    "qaster-musakhanuly": (
        ("kk", "Қастер Мұсаханұлы", True),
        ("ru", "Кастер Мусаханулы", True),
        ("en", "Qaster Musakhanuly", True),
        ("alias", "Kaster Musakhanuly", False),
        ("alias", "Musakhauly", False),
        ("zh", "哈斯铁尔·木沙汗", False),
    ),
    "tilek-tabarikuly": (
        ("kk", "Тілек Табарикұлы", True),
        ("ru", "Тилек Табарикулы", True),
        ("en", "Tilek Tabarikuly", True),
        ("zh", "特列克·塔巴拉克", False),
    ),
    "qaisha-aqan": (
        ("kk", "Қайша Ақан", True),
        ("ru", "Кайша Акан", True),
        ("en", "Qaisha Aqan", True),
        ("alias", "Kaisha Akan", False),
    ),
    "sayragul-sauytbay": (
        ("kk", "Сайрагүл Сауытбай", True),
        ("ru", "Сайрагуль Сауытбай", True),
        ("en", "Sayragul Sauytbay", True),
        ("alias", "Sayragul Sautbay", False),
        ("alias", "Sairagul Sauytbay", False),
        ("zh", "萨拉古·萨吾提拜", False),
    ),
}


def add_people(session: Session) -> dict[str, int]:
    """The five people as cases with all their names; their ids by slug."""
    ids: dict[str, int] = {}
    for slug, names in PEOPLE.items():
        primary = {lang: text for lang, text, is_primary in names if is_primary}
        case = add_case(session, slug=slug, names=primary)
        for lang, text, is_primary in names:
            if not is_primary:
                add_name(session, case, text, lang=lang)
        assert case.id is not None
        ids[slug] = case.id
    return ids
