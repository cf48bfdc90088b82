"""The texts of the alerts that follow a case beyond its changes: the evening-before note
to those attending, the organizers' weekly stale digest, a new timeline event, the
request to approve a change and the author's approval notice, registered as their kinds'
``render`` and ``correction`` hooks (``storage.alertkinds``). What each reads at send
time comes from its ``present`` hook (``jobs.render``), as ``ctx.present``."""

from __future__ import annotations

from messages.alerts import AlertContext, render_alert
from messages.approval import notice_text, request_text
from messages.attendance import render_attend_note
from messages.audit import person
from messages.organizer import undo_offer
from messages.stale import render_stale
from messages.timeline import render_timeline_alert
from storage.alertkinds import registers
from storage.payloads import (
    ApprovalNotice,
    ApprovalRequest,
    AttendNote,
    CorrectionAlert,
    StaleDigest,
    TimelineAlert,
)
from storage.usecases.drafts import UNDO_WINDOW
from storage.vocabulary import AlertKind


@registers("render", AlertKind.ATTEND_NOTE)
def _attend_note(ctx: AlertContext, payload: AttendNote) -> str:
    at, court = ctx.present
    return render_attend_note(ctx.t, ctx.name, at, court)


@registers("render", AlertKind.STALE_DIGEST)
def _stale_digest(ctx: AlertContext, payload: StaleDigest) -> str:
    return render_stale(ctx.t, ctx.present or [], digest=True)


@registers("render", AlertKind.TIMELINE_EVENT)
def _timeline_event(ctx: AlertContext, payload: TimelineAlert) -> str:
    return render_timeline_alert(ctx.t, ctx.name, ctx.present)


@registers("render", AlertKind.APPROVAL_NOTICE)
def _approval_notice(ctx: AlertContext, payload: ApprovalNotice) -> str:
    text = notice_text(ctx.t, payload.outcome, ctx.name)
    if payload.outcome == "approved":  # the author may undo it, as after their own Send
        text += "\n" + undo_offer(ctx.t, int(UNDO_WINDOW.total_seconds()) // 60)
    return text


@registers("render", AlertKind.APPROVAL_REQUEST)
def _approval_request(ctx: AlertContext, payload: ApprovalRequest) -> str:
    author, alert = ctx.present  # the author's name and the alert, read when sent
    shown = render_alert(AlertContext(ctx.t, ctx.name, ctx.today), payload.alert_kind, alert)
    who = person(ctx.t, payload.author_id, author)
    return request_text(ctx.t, who, payload.audience, shown)


@registers(
    "correction",
    AlertKind.ATTEND_NOTE,
    AlertKind.STALE_DIGEST,
    AlertKind.TIMELINE_EVENT,
    AlertKind.APPROVAL_NOTICE,
    AlertKind.APPROVAL_REQUEST,
)
def _never_withdrawn(ctx: AlertContext, payload: CorrectionAlert) -> str:
    return ""  # no draft sends these, so no undo withdraws them: nothing more to say
