"""Finding a man by name: the caseload search (page and API) matches the start of either name, in scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desist.services.casework import register_person
from tests.web.seed import SEEDER, USK, WHATTON, staff, uow_as

REFERRER = staff("rita", "referrer")


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def named(desist_app, world):  # type: ignore[no-untyped-def]
    """Three named men at Whatton, one at Usk (besides the world's unnamed A1111AA and B2222BB)."""
    men = [
        ("N0001AA", "John", "Smith", WHATTON),
        ("N0002AA", "Johnny", "Smithers", WHATTON),
        ("N0003AA", "Amir", "O'Neill-Khan", WHATTON),
        ("N0004AA", "John", "Smith", USK),
    ]
    ids = {}
    for number, given, family, prison in men:
        v = register_person(
            uow_as(desist_app, SEEDER),
            prison_number=number,
            given_name=f"  {given} ",
            family_name=family,
            date_of_birth=dt.date(1979, 1, 2),
            sex="M",
            establishment=prison,
        )
        ids[number] = v.id
    return ids


def test_one_word_finds_family_or_given_names_in_my_prison_only(client, named, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get("/people", params={"q": "smi"})
    assert r.status_code == 200
    text = _text(r.text)
    assert "2 people found" in text
    assert f'href="/people/{named["N0001AA"]}">John Smith</a>' in r.text  # stored trimmed
    assert "Johnny Smithers" in text and "N0004AA" not in r.text  # Usk's John Smith is out of scope
    assert text.index("John Smith") < text.index("Johnny Smithers")  # name order
    assert "2 people found" in _text(client.get("/people", params={"q": "JOHN"}).text)  # given name, any case
    assert "1 person found" in _text(client.get("/people", params={"q": "o'neill"}).text)


def test_several_words_must_all_start_a_name(client, named, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    text = _text(client.get("/people", params={"q": "  john   smithe "}).text)
    assert "1 person found" in text and "Johnny Smithers" in text
    assert "0 people found" in _text(client.get("/people", params={"q": "amir smith"}).text)


def test_wildcards_are_letters_not_patterns(client, named, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    for q in ("%%", "__", "s%", "j_hn"):
        assert "0 people found" in _text(client.get("/people", params={"q": q}).text), q


def test_person_page_shows_the_name_with_the_prison_number(client, named, login) -> None:  # type: ignore[no-untyped-def]
    login(REFERRER)
    r = client.get(f"/people/{named['N0003AA']}")
    assert '<h1 class="govuk-heading-l">Amir O&#39;Neill-Khan</h1>' in r.text
    assert "N0003AA" in _text(r.text)


def test_api_search_by_name_is_scoped_and_carries_the_names(client, named, bearer) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(REFERRER)
    r = client.get("/api/v1/people", params={"q": "john smith"}, headers=headers)
    assert r.status_code == 200
    people = r.json()["people"]
    assert [(p["prison_number"], p["given_name"], p["family_name"]) for p in people] == [
        ("N0001AA", "John", "Smith"),
        ("N0002AA", "Johnny", "Smithers"),
    ]
    assert client.get("/api/v1/people", params={"q": "x" * 101}, headers=headers).status_code == 422


def test_pseudonymised_exports_never_carry_names(desist_app, named) -> None:  # type: ignore[no-untyped-def]
    from desist.services.analyst_exports import EXPORTS, pseudonymised_csv

    analyst = staff("ann", "analyst", org=None, national=True)
    for name in EXPORTS:
        out = pseudonymised_csv(uow_as(desist_app, analyst), name, key=lambda: b"k" * 16)
        for word in ("Smith", "John", "Neill", "N0001AA"):
            assert word not in out, (name, word)
    people = pseudonymised_csv(uow_as(desist_app, analyst), "people", key=lambda: b"k" * 16)
    assert len(people.splitlines()) == 1 + 2 + 4  # header, the world's two men, the four named men
