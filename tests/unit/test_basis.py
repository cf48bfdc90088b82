"""How a fact is known, without Telegram: parsing basis= and the source link, and the words
of the alert (an unconfirmed urgent one says so first)."""

from __future__ import annotations

import pytest

from handlers.syntax import UsageError, parse_addevent, parse_setstatus
from messages import translator
from messages.alerts import render_status_alert
from storage.payloads import StatusAlert
from storage.vocabulary import BASIS_LABELS, Basis


def test_setstatus_takes_basis_and_source_out_of_the_note() -> None:
    args = parse_setstatus("Alimuly released basis=lawyer Out this morning https://x.org/a")
    assert (args.key, args.note, args.basis, args.source_url) == (
        "released", "Out this morning", "lawyer", "https://x.org/a",
    )  # fmt: skip
    plain = parse_setstatus("Alimuly released")
    assert (plain.basis, plain.source_url, plain.note) == (None, None, None)
    event = parse_addevent("Alimuly 2020-05 Met BASIS=Family the lawyer")
    assert (event.text, event.basis) == ("Met the lawyer", "family")


@pytest.mark.parametrize(
    "text", ["Alimuly released basis=rumour", "A released basis=media basis=court"]
)
def test_a_wrong_basis_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_setstatus(text)
    assert caught.value.problem == "bad_basis"


def test_every_basis_has_words() -> None:
    assert set(BASIS_LABELS) == set(Basis)


@pytest.mark.parametrize(
    ("basis", "urgent", "top"),
    [("media", True, True), ("unconfirmed", True, True), ("court", True, False),
     ("media", False, False), (None, True, False)],
)  # fmt: skip
def test_unconfirmed_urgent_alerts_say_so_first(basis: str | None, urgent: bool, top: bool) -> None:
    t = translator("en")
    new = "deportation_ordered" if urgent else "deportation_blocked"
    payload = StatusAlert(dimension="risk", old=None, new=new, basis=basis)
    assert payload.urgent is urgent
    text = render_status_alert(t, "A", payload)
    assert text.splitlines()[0].startswith("⚠️ <b>NOT YET CONFIRMED") is top
    assert ("How it is known:" in text) is (basis is not None)
