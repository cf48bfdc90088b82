"""casebot's logs: plain lines on stderr, per-request chatter quieted, secrets redacted.

Secrets — the bot token, the webhook's secret token — are registered once
(:func:`configure_logging`, :func:`add_secret`) and replaced by ``[token]`` in
everything a log record can carry: the message and its arguments, the
exception's text and traceback, the stack. Two layers, on every handler of the
root logger:

* :class:`RedactSecrets`, a filter, rewrites the record in place before any
  handler formats it, so a handler with some other formatter also gets it clean;
* :class:`RedactingFormatter` formats the record, then redacts the final text,
  whatever it was built from.

An uncaught exception does not go through logging: :func:`install_excepthooks`
redacts the traceback Python prints for it (in the main thread and in others).

A lost connection to Telegram is an expected condition, not a bug: when
python-telegram-bot logs one with its traceback (its last ``getUpdates`` at
stop, for instance), :class:`BriefNetworkErrors` makes it one line.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable, Sequence
from types import TracebackType

from telegram.error import NetworkError

REDACTED = "[token]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram.ext.Application")
NETWORK_LOGGERS = ("telegram.ext", "telegram.ext.Updater", "telegram.ext.Application")
"""python-telegram-bot's loggers that log network errors with their traceback."""
MIN_SECRET_PART = 8
"""The shortest part of a secret redacted on its own (shorter ones would hit ordinary text)."""


def secret_forms(secret: str) -> list[str]:
    """What to look for to hide `secret`: itself and, for a bot token ``123:ABC…``, the part
    after the colon (so a URL-encoded ``123%3AABC…`` is hidden too); longest first."""
    if not secret:
        return []
    forms = {secret}
    _bot_id, colon, rest = secret.partition(":")
    if colon and len(rest) >= MIN_SECRET_PART:
        forms.add(rest)
    return sorted(forms, key=len, reverse=True)


class Redactor:
    """A set of secrets and the one function that hides them in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Hide `secret` from now on (None and empty strings are ignored)."""
        if not secret:
            return
        forms = set(self._forms) | set(secret_forms(secret))
        self._forms = sorted(forms, key=len, reverse=True)

    def clear(self) -> None:
        """Forget every secret (for tests)."""
        self._forms = []

    @property
    def active(self) -> bool:
        """Whether there is anything to hide."""
        return bool(self._forms)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by ``[token]``."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


REDACTOR = Redactor()
"""The secrets of this process; every handler configured here uses it."""


def add_secret(secret: str | None) -> None:
    """Register a secret (a webhook secret token made at start) with the process's redactor."""
    REDACTOR.add(secret)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by ``[token]``."""
    return REDACTOR.redact(text)


class RedactSecrets(logging.Filter):
    """Rewrites a record in place so that no secret is left in it.

    The message is merged with its arguments (``record.args`` becomes None) when that
    hides something; the exception is formatted into ``record.exc_text`` (which
    :class:`logging.Formatter` then uses instead of formatting it again) and
    redacted; ``stack_info`` is redacted. Records without a secret are left as they
    are. Never rejects a record.
    """

    def __init__(self, secrets: Sequence[str] = (), *, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor if redactor is not None else Redactor()
        for secret in secrets:
            self.redactor.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record`; always True."""
        redactor = self.redactor
        if not redactor.active:
            return True
        try:
            message = record.getMessage()
        except Exception:  # bad arguments: logging reports that itself when formatting
            message = None
        if message is not None:
            clean = redactor.redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A :class:`logging.Formatter` whose final text, exception and stack included, is
    redacted."""

    def __init__(self, fmt: str | None = LOG_FORMAT, *, redactor: Redactor | None = None) -> None:
        super().__init__(fmt)
        self.redactor = redactor if redactor is not None else REDACTOR

    def format(self, record: logging.LogRecord) -> str:
        """Format `record` as usual, then hide every secret in the result."""
        return self.redactor.redact(super().format(record))


def protect_handler(handler: logging.Handler, redactor: Redactor | None = None) -> None:
    """Give `handler` the redacting filter and formatter (once)."""
    redactor = redactor if redactor is not None else REDACTOR
    if not any(isinstance(f, RedactSecrets) and f.redactor is redactor for f in handler.filters):
        handler.addFilter(RedactSecrets(redactor=redactor))
    current = handler.formatter
    if not (isinstance(current, RedactingFormatter) and current.redactor is redactor):
        fmt = current._fmt if current is not None else LOG_FORMAT
        handler.setFormatter(RedactingFormatter(fmt, redactor=redactor))


class BriefNetworkErrors(logging.Filter):
    """Turns a record carrying a Telegram ``NetworkError`` (time-outs included) into one line:
    the message and the error's own short text, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten `record` when it carries a network error; always True."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError):
            try:
                message = record.getMessage()
            except Exception:
                message = str(record.msg)
            record.msg = f"{message} ({type(error).__name__}: {error})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


def brief_network_errors() -> None:
    """One line, not a traceback, for network errors logged by python-telegram-bot."""
    for name in NETWORK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, BriefNetworkErrors) for f in logger.filters):
            logger.addFilter(BriefNetworkErrors())


def quiet_noisy_loggers() -> None:
    """Silence per-request logs: httpx logs every URL, and Bot API URLs hold the token."""
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _print_redacted(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(redact(text))
    sys.stderr.flush()


def _sys_hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    _print_redacted(kind, value, tb)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    sys.stderr.write(f"Exception in thread {name}:\n")
    _print_redacted(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthooks() -> None:
    """Print uncaught exceptions (main thread and others) with every secret redacted."""
    sys.excepthook = _sys_hook
    threading.excepthook = _thread_hook


def configure_logging(token: str | None, *, level: int = logging.INFO) -> None:
    """Plain logs on stderr, per-request chatter quieted, the token redacted everywhere."""
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
    quiet_noisy_loggers()
    brief_network_errors()
    add_secret(token)
    for handler in logging.getLogger().handlers:
        protect_handler(handler)
    install_excepthooks()
