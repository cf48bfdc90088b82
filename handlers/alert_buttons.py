"""The buttons under the alerts the dispatcher sends, as (label, callback data) rows.

Jobs know nothing of buttons' data (it is built and parsed in ``handlers/callbacks.py``),
so ``bot.py`` hands these builders to the renderer as ``jobs.render.AlertButtons``, with
the hearing reminders' attendance row (``handlers.attendance_buttons``) and the stale
digest's rows (``handlers.stale``).
"""

from __future__ import annotations

from handlers import callbacks as cb
from messages import Translator
from messages.approval import labels

Row = list[tuple[str, str]]


def follower_rows(t: Translator, case_id: int) -> list[Row]:
    """Under a follower's alert: Open the case, Unsubscribe."""
    return [
        [
            (t.gettext("Open the case"), cb.Card(case_id).data),
            (t.gettext("Unsubscribe"), cb.Unsubscribe(case_id).data),
        ]
    ]


def organizer_rows(t: Translator, case_id: int) -> list[Row]:
    """Under a note to an organizer about a case: Open the case."""
    return [[(t.gettext("Open the case"), cb.Card(case_id).data)]]


def approval_rows(t: Translator, draft_id: int) -> list[Row]:
    """Under a request to approve a change: Approve, Reject."""
    approve, reject = labels(t)
    return [
        [
            (approve, cb.Approval("approve", draft_id).data),
            (reject, cb.Approval("reject", draft_id).data),
        ]
    ]


def undo_rows(t: Translator, draft_id: int, alerts: int) -> list[Row]:
    """Under the notice that another organizer approved the author's change: its Undo."""
    return [[(t.gettext("Undo"), cb.DraftAction("undo", draft_id, alerts).data)]]
