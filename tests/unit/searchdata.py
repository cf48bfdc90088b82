"""Data of the name search tests (test_search, test_search_changes, test_spellings): the
five people of tests/people.py as indexed cases, a deterministic generator of look-alike
people (also used by benchmarks/search_bench.py, through test_search), and the spelling
variants each of the five must be found by.
"""

from __future__ import annotations

import random

from storage.domain.search import IndexedCase
from tests.people import PEOPLE

# ---------------------------------------------- look-alikes and the five samples

# (Latin, Kazakh Cyrillic, Russian Cyrillic). None of the five sample people's
# first names or surnames is among them; some are deliberately close
# (Tileu ~ Tilek, Kaisar ~ Qaisha, Alimzhan ~ Alim, Musa ~ Musakhan, Aqan-ov ~ Aqan).
MALE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Aidos", "Айдос", "Айдос"), ("Aidar", "Айдар", "Айдар"), ("Nurlan", "Нұрлан", "Нурлан"),
    ("Erlan", "Ерлан", "Ерлан"), ("Bolat", "Болат", "Болат"), ("Daniyar", "Данияр", "Данияр"),
    ("Yerzhan", "Ержан", "Ержан"), ("Asqar", "Асқар", "Аскар"), ("Marat", "Марат", "Марат"),
    ("Murat", "Мұрат", "Мурат"), ("Talgat", "Талғат", "Талгат"), ("Arman", "Арман", "Арман"),
    ("Beibit", "Бейбіт", "Бейбит"), ("Dias", "Диас", "Диас"), ("Zhandos", "Жандос", "Жандос"),
    ("Kairat", "Қайрат", "Кайрат"), ("Qanat", "Қанат", "Канат"), ("Samat", "Самат", "Самат"),
    ("Timur", "Тимур", "Тимур"), ("Ruslan", "Руслан", "Руслан"), ("Azamat", "Азамат", "Азамат"),
    ("Olzhas", "Олжас", "Олжас"), ("Rustem", "Рустем", "Рустем"), ("Almas", "Алмас", "Алмас"),
    ("Galym", "Ғалым", "Галым"), ("Kaisar", "Қайсар", "Кайсар"), ("Tileu", "Тілеу", "Тлеу"),
    ("Erbol", "Ербол", "Ербол"), ("Nurbek", "Нұрбек", "Нурбек"), ("Serzhan", "Сержан", "Сержан"),
)  # fmt: skip
FEMALE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Aigul", "Айгүл", "Айгуль"), ("Gulnar", "Гүлнар", "Гульнар"), ("Aizhan", "Айжан", "Айжан"),
    ("Dinara", "Динара", "Динара"), ("Saule", "Сәуле", "Сауле"), ("Zhanar", "Жанар", "Жанар"),
    ("Ainur", "Айнұр", "Айнур"), ("Madina", "Мадина", "Мадина"), ("Aruzhan", "Аружан", "Аружан"),
    ("Saltanat", "Салтанат", "Салтанат"), ("Bakhyt", "Бақыт", "Бахыт"),
    ("Akmaral", "Ақмарал", "Акмарал"), ("Asel", "Әсел", "Асель"), ("Zhuldyz", "Жұлдыз", "Жулдыз"),
    ("Aliya", "Әлия", "Алия"), ("Kamila", "Камила", "Камила"), ("Meruert", "Меруерт", "Меруерт"),
    ("Sairan", "Сайран", "Сайран"), ("Gulzhan", "Гүлжан", "Гульжан"),
    ("Raushan", "Раушан", "Раушан"),
)  # fmt: skip
SURNAME_ROOTS: tuple[tuple[str, str, str], ...] = (
    ("Serik", "Серік", "Серик"), ("Bolat", "Болат", "Болат"), ("Kasym", "Қасым", "Касым"),
    ("Temir", "Темір", "Темир"), ("Tursyn", "Тұрсын", "Турсын"), ("Yesen", "Есен", "Есен"),
    ("Beisen", "Бейсен", "Бейсен"), ("Mukhtar", "Мұхтар", "Мухтар"),
    ("Sultan", "Сұлтан", "Султан"), ("Ermek", "Ермек", "Ермек"), ("Tokhtar", "Тоқтар", "Токтар"),
    ("Dauren", "Дәурен", "Даурен"), ("Zhomart", "Жомарт", "Жомарт"),
    ("Nurbol", "Нұрбол", "Нурбол"), ("Orazbek", "Оразбек", "Оразбек"),
    ("Amangeldi", "Амангелді", "Амангельды"), ("Baurzhan", "Бауыржан", "Бауржан"),
    ("Duisen", "Дүйсен", "Дуйсен"), ("Ospan", "Оспан", "Оспан"), ("Kenzhe", "Кенже", "Кенже"),
    ("Alimzhan", "Әлімжан", "Алимжан"), ("Musa", "Мұса", "Муса"), ("Aqan", "Ақан", "Акан"),
    ("Sauran", "Сауран", "Сауран"), ("Zhaksylyk", "Жақсылық", "Жаксылык"),
    ("Abdulla", "Абдолла", "Абдулла"), ("Ysqaq", "Ысқақ", "Ыскак"), ("Tabyl", "Табыл", "Табыл"),
    ("Sarsen", "Сәрсен", "Сарсен"), ("Omar", "Омар", "Омар"), ("Kali", "Қали", "Кали"),
    ("Seitkali", "Сейітқали", "Сеиткали"), ("Yerlan", "Ерлан", "Ерлан"),
)  # fmt: skip
# Patronymic and family-name endings: (Latin, Kazakh, Russian), by gender.
MALE_ENDINGS = (("uly", "ұлы", "улы"), ("ov", "ов", "ов"), ("bay", "бай", "бай"))
FEMALE_ENDINGS = (("kyzy", "қызы", "кызы"), ("ova", "ова", "ова"), ("bayeva", "баева", "баева"))


def lookalike_names(rng: random.Random) -> tuple[str, str, str]:
    """One generated person's name in Latin, Kazakh Cyrillic and Russian Cyrillic."""
    if rng.random() < 0.55:
        first, endings = rng.choice(MALE_NAMES), MALE_ENDINGS
    else:
        first, endings = rng.choice(FEMALE_NAMES), FEMALE_ENDINGS
    root = rng.choice(SURNAME_ROOTS)
    ending = rng.choice(endings)
    return (
        f"{first[0]} {root[0]}{ending[0]}",
        f"{first[1]} {root[1]}{ending[1]}",
        f"{first[2]} {root[2]}{ending[2]}",
    )


def lookalike_cases(count: int, *, seed: int = 2020, start_id: int = 1000) -> list[IndexedCase]:
    """`count` deterministic look-alike cases, three scripts of names each."""
    rng = random.Random(seed)
    cases = []
    for offset in range(count):
        case_id = start_id + offset
        cases.append(IndexedCase(case_id, f"person-{case_id}", lookalike_names(rng)))
    return cases


def sample_cases() -> list[IndexedCase]:
    """The five people of tests/people.py (those of the sample file), numbered 1..5."""
    return [
        IndexedCase(number, slug, tuple(text for _lang, text, _primary in names))
        for number, (slug, names) in enumerate(PEOPLE.items(), start=1)
    ]


SAMPLES = sample_cases()
ID = {case.slug: case.case_id for case in SAMPLES}

# ------------------------------------------------------------ spelling variants

VARIANTS: list[tuple[str, str]] = [
    # Sayragul Sauytbay
    ("Sayragul Sauytbay", "sayragul-sauytbay"),
    ("sayragul sauytbay", "sayragul-sauytbay"),
    ("SAUYTBAY", "sayragul-sauytbay"),
    ("Сайрагүл Сауытбай", "sayragul-sauytbay"),
    ("Сайрагуль Сауытбай", "sayragul-sauytbay"),
    ("Sauytbay", "sayragul-sauytbay"),
    ("Сауытбай", "sayragul-sauytbay"),
    ("Sautbay", "sayragul-sauytbay"),
    ("Sayragul", "sayragul-sauytbay"),
    ("Sairagul", "sayragul-sauytbay"),
    ("Сайрагүл", "sayragul-sauytbay"),
    ("Sauytbay Sayragul", "sayragul-sauytbay"),
    ("Sauytibay", "sayragul-sauytbay"),  # an extra letter
    ("Sayragl Sauytbay", "sayragul-sauytbay"),  # a missing letter
    ("SayragulSauytbay", "sayragul-sauytbay"),  # a missing space
    ("Sauyt", "sayragul-sauytbay"),  # the beginning of the surname
    # Qaster Musakhanuly
    ("Qaster Musakhanuly", "qaster-musakhanuly"),
    ("Қастер Мұсаханұлы", "qaster-musakhanuly"),
    ("Кастер Мусаханулы", "qaster-musakhanuly"),
    ("Kaster Musakhanuly", "qaster-musakhanuly"),
    ("Qaster", "qaster-musakhanuly"),
    ("Қастер", "qaster-musakhanuly"),
    ("Kaster", "qaster-musakhanuly"),
    ("Musakhanuly", "qaster-musakhanuly"),
    ("Мусаханулы", "qaster-musakhanuly"),
    ("Musakhauly", "qaster-musakhanuly"),
    ("Musakhanuly Qaster", "qaster-musakhanuly"),
    ("Kaster Musakanuly", "qaster-musakhanuly"),
    ("Qaster Musahanuli", "qaster-musakhanuly"),
    # Murager Alimuly
    ("Murager Alimuly", "murager-alimuly"),
    ("Мұрагер Әлімұлы", "murager-alimuly"),
    ("Мурагер Алимулы", "murager-alimuly"),
    ("Alimuly Murager", "murager-alimuly"),
    ("Alimuly", "murager-alimuly"),
    ("Alimuli", "murager-alimuly"),
    ("Әлімұлы", "murager-alimuly"),
    ("Murager", "murager-alimuly"),
    ("Muragr Alimuly", "murager-alimuly"),
    ("murager  alimuly!", "murager-alimuly"),
    # Tilek Tabarikuly
    ("Tilek Tabarikuly", "tilek-tabarikuly"),
    ("Тілек Табарикұлы", "tilek-tabarikuly"),
    ("Тилек Табарикулы", "tilek-tabarikuly"),
    ("Tabarikuly", "tilek-tabarikuly"),
    ("Tabarikul", "tilek-tabarikuly"),
    ("Tabrikuly", "tilek-tabarikuly"),
    ("Tilek", "tilek-tabarikuly"),
    ("Tabarikuly Tilek", "tilek-tabarikuly"),
    # Qaisha Aqan
    ("Qaisha Aqan", "qaisha-aqan"),
    ("Қайша Ақан", "qaisha-aqan"),
    ("Кайша Акан", "qaisha-aqan"),
    ("Kaisha Akan", "qaisha-aqan"),
    ("Aqan", "qaisha-aqan"),
    ("Akan", "qaisha-aqan"),
    ("Қайша", "qaisha-aqan"),
    ("Qaisha", "qaisha-aqan"),
    ("Kaysha", "qaisha-aqan"),
    ("Aqan Qaisha", "qaisha-aqan"),
]
