"""Attendance without Telegram: /setcourt's syntax, the evening-before instant in a court's
zone, the map link, and a court's place in case files (checked, kept by a re-import)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.attendance import CourtPlace, parse_setcourt
from messages.attendance import map_link
from storage.files.casefile import CaseFileError, parse_case_file
from storage.files.csvfile import parse_csv
from storage.usecases.attendance import evening_before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "zaysan-court address=12 Abay street, Zaysan 47.4667,84.8667 Entrance from the yard",
            CourtPlace("zaysan-court", "12 Abay street, Zaysan", (47.4667, 84.8667),
                       "Entrance from the yard", None),
        ),
        ("zaysan-court Bring your ID",
         CourtPlace("zaysan-court", None, None, "Bring your ID", None)),
        (
            "Zaysan district court address=Abay 12 note=bring ID",
            CourtPlace("Zaysan district court", "Abay 12", None, "bring ID", None),
        ),
        ("3 47.4,84.8", CourtPlace("3", None, (47.4, 84.8), None, None)),
        ("zaysan-court lang=ru address=ул. Абая, 12",
         CourtPlace("zaysan-court", "ул. Абая, 12", None, None, "ru")),
        ("zaysan-court address=Abay 12, 14 floor",
         CourtPlace("zaysan-court", "Abay 12, 14 floor", None, None, None)),
    ],
)  # fmt: skip
def test_setcourt_syntax(text: str, expected: CourtPlace) -> None:
    assert parse_setcourt(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "zaysan-court", "x 95.0,10.0 note", "x lang=de note", "address=Abay 12", "x address="],
)
def test_setcourt_refuses(text: str) -> None:
    assert parse_setcourt(text) is None


def test_evening_before_is_18_00_in_the_courts_zone() -> None:
    hearing = datetime(2030, 5, 10, 5, 0, tzinfo=UTC)  # 10:00 in Almaty (UTC+5)
    assert evening_before(hearing, "Asia/Almaty") == datetime(2030, 5, 9, 13, 0, tzinfo=UTC)
    assert evening_before(hearing, "Europe/Moscow") == datetime(2030, 5, 9, 15, 0, tzinfo=UTC)
    early = datetime(2030, 5, 9, 20, 0, tzinfo=UTC)  # 01:00 on 10 May in Almaty
    assert evening_before(early, "Asia/Almaty") == datetime(2030, 5, 9, 13, 0, tzinfo=UTC)


def test_map_link() -> None:
    assert map_link(47.4667, 84.8667) == (
        "https://www.openstreetmap.org/?mlat=47.466700&mlon=84.866700#map=17/47.466700/84.866700"
    )


COURT_YAML = """format: casebot-cases/1
courts:
  - slug: zaysan-court
    tz: Asia/Almaty
    name: {en: Zaysan court}
    address: {en: 12 Abay street}
    note: {ru: Вход со двора}
    lat: %s
    lon: 84.8667
"""


def test_a_courts_place_in_yaml() -> None:
    [court] = parse_case_file(COURT_YAML % "47.4667").courts
    assert (court.address, court.note, court.lat, court.lon) == (
        {"en": "12 Abay street"}, {"ru": "Вход со двора"}, 47.4667, 84.8667,
    )  # fmt: skip


@pytest.mark.parametrize("lat", ["91", "north", "true"])
def test_a_wrong_latitude_is_refused_with_its_line(lat: str) -> None:
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(COURT_YAML % lat)
    assert "line 8" in str(caught.value) and "lat" in str(caught.value)


def test_a_courts_place_in_csv() -> None:
    text = (
        "record,court,tz,name_en,address_en,note_kk,lat,lon\n"
        "court,zaysan-court,Asia/Almaty,Zaysan court,12 Abay street,Кіреберіс аулада,"
        "47.4667,84.8667\n"
    )
    [court] = parse_csv(text).courts
    assert (court.address, court.note, court.lat, court.lon) == (
        {"en": "12 Abay street"}, {"kk": "Кіреберіс аулада"}, 47.4667, 84.8667,
    )  # fmt: skip
    with pytest.raises(CaseFileError) as caught:
        parse_csv(text.replace(",84.8667", ","))
    assert "lat and lon go together" in str(caught.value)
