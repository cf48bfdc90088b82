"""Two-person approval without Telegram: which alerts need it, its settings, and the
requests queued to the other organizers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, delete, select

from bot import ALERT_BUTTONS
from handlers import callbacks as cb
from jobs.dispatcher import Closed, Rendered
from jobs.render import AlertRenderer
from settings import SettingsError
from storage.database.engine import session_scope
from storage.database.models import Delivery, Organizer, Subscriber
from storage.outbox import SKIPPED, claim_due
from storage.payloads import StatusAlert, StatusDraft
from storage.usecases.approval import ask_approval, is_urgent, needs_approval, reject
from storage.usecases.drafts import create_draft
from storage.vocabulary import AlertKind, DraftKind
from tests.conftest import FIXED_NOW, make_settings
from tests.factories import add_case, add_follower

AUTHOR, SECOND, THIRD = 900, 901, 902
ALERT = StatusAlert("risk", "deportation_threat", "deportation_ordered")


@pytest.mark.parametrize(
    ("mode", "urgent", "audience", "needed"),
    [
        ("urgent", True, 1, True), ("urgent", False, 1000, False), ("urgent", False, 1001, True),
        ("all", False, 0, True), ("off", True, 5000, False), ("single", True, 5000, False),
    ],
)  # fmt: skip
def test_which_alerts_need_approval(mode: str, urgent: bool, audience: int, needed: bool) -> None:
    assert needs_approval(mode, urgent=urgent, audience=audience, over=1000) is needed


def test_urgent_is_a_rising_deportation_risk() -> None:
    ordered = StatusAlert("risk", "deportation_threat", "deportation_ordered")
    assert is_urgent("status", ordered)
    assert not is_urgent("status", StatusAlert("risk", None, "deportation_blocked"))
    assert not is_urgent("hearing_set", ordered)
    assert not is_urgent("status", {"dimension": "risk", "new": "deportation_ordered"})


def test_approval_settings(tmp_path: Path) -> None:
    default = make_settings(tmp_path)
    assert (default.approval, default.approval_over) == ("urgent", 1000)
    chosen = make_settings(tmp_path, CASEBOT_APPROVAL="ALL", CASEBOT_APPROVAL_OVER="50")
    assert (chosen.approval, chosen.approval_over) == ("all", 50)
    with pytest.raises(SettingsError, match="CASEBOT_APPROVAL must be"):
        make_settings(tmp_path, CASEBOT_APPROVAL="sometimes")
    with pytest.raises(SettingsError, match="CASEBOT_APPROVAL_OVER"):
        make_settings(tmp_path, CASEBOT_APPROVAL_OVER="many")


def _ask(engine: Engine) -> tuple[int, int | None]:
    """A case followed by two readers, three organizers, and the author's Send of an
    urgent status change that needs approval: (draft id, organizers asked)."""
    with session_scope(engine) as session:
        case = add_case(session)
        assert case.id is not None
        for reader in (7001, 7002):
            add_follower(session, case, chat_id=reader)
        session.add_all([Organizer(user_id=SECOND), Organizer(user_id=THIRD)])
        draft_id = create_draft(
            session, actor_id=AUTHOR, case_id=case.id, kind=DraftKind.STATUS,
            params=StatusDraft("risk", "deportation_ordered"), now=FIXED_NOW,
        )  # fmt: skip
    with session_scope(engine) as session:
        asked = ask_approval(
            session, draft_id=draft_id, actor_id=AUTHOR, now=FIXED_NOW, admins=[AUTHOR],
            alert_kind=AlertKind.STATUS, alert=ALERT, audience=2,
        )  # fmt: skip
    return draft_id, asked


def _render(engine: Engine) -> dict[int, Rendered | Closed]:
    with session_scope(engine) as session:
        work = claim_due(session, now=FIXED_NOW, limit=10, worker="test")
        assert {item.kind for item in work} == {AlertKind.APPROVAL_REQUEST}
        rendered = AlertRenderer("Asia/Almaty", buttons=ALERT_BUTTONS)
        return {item.chat_id: rendered.prepare(session, work, FIXED_NOW)[item.id] for item in work}


def test_requests_are_queued_in_the_send_transaction_and_rendered_when_sent(
    engine: Engine,
) -> None:
    draft_id, asked = _ask(engine)
    assert asked == 2
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).order_by(col(Delivery.chat_id))).all()
        assert [(row.chat_id, row.kind, row.urgent) for row in rows] == [
            (SECOND, "approval_request", True), (THIRD, "approval_request", True),
        ]  # fmt: skip
        assert session.get(Subscriber, SECOND) is not None  # the outbox sends to subscribers
    # Send pressed twice: the draft is no longer open, nothing more is queued.
    with session_scope(engine) as session:
        again = ask_approval(
            session, draft_id=draft_id, actor_id=AUTHOR, now=FIXED_NOW, admins=[AUTHOR],
            alert_kind=AlertKind.STATUS, alert=ALERT, audience=2,
        )  # fmt: skip
        assert again is None
        assert len(session.exec(select(Delivery)).all()) == 2
    out = _render(engine)
    request = out[SECOND]
    assert isinstance(request, Rendered) and out[THIRD] == request
    assert "user 900 asks you to approve this alert to 2 subscribers" in request.text
    assert "deportation ordered" in request.text
    assert request.buttons == [[
        ("Approve", cb.Approval("approve", draft_id).data),
        ("Reject", cb.Approval("reject", draft_id).data),
    ]]  # fmt: skip


def test_a_request_still_queued_when_the_change_was_decided_is_not_sent(engine: Engine) -> None:
    draft_id, _ = _ask(engine)
    with session_scope(engine) as session:
        outcome = reject(session, draft_id=draft_id, approver_id=SECOND, now=FIXED_NOW)
        assert outcome.state == "rejected"
        session.exec(delete(Delivery).where(col(Delivery.kind) == AlertKind.APPROVAL_NOTICE))
    out = _render(engine)
    assert all(isinstance(result, Closed) and result.status == SKIPPED for result in out.values())
