"""Telegram handlers, one module per command family; each module's `register` adds its own."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    attendance,
    cases,
    errors,
    flood,
    guided,
    inline,
    letters,
    organizers,
    review,
    stale,
    start,
    subscriptions,
)


def register_all(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Register every handler, then the unknown-command fallback and the error handler.

    All command handlers share group 0, where the first match wins, so the
    fallback must stay last.
    """
    flood.register(app)  # group -1: per-user flood control before every other handler
    commands = (
        start.register(app)
        | cases.register(app)
        | subscriptions.register(app)
        | organizers.register(app)
        | guided.register(app)
        | review.register(app)
        | attendance.register(app)
        | letters.register(app)
        | stale.register(app)
        | inline.register(app)
    )
    start.register_fallback(app)
    app.add_error_handler(errors.on_error)
    return commands
