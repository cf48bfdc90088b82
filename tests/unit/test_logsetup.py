"""Secrets never reach a log line or a traceback: the message, its arguments, the
exception, the stack, an uncaught exception's traceback."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator

import pytest
from telegram.error import InvalidToken, NetworkError

from jobs import logsetup
from jobs.logsetup import (
    REDACTED,
    BriefNetworkErrors,
    RedactingFormatter,
    Redactor,
    RedactSecrets,
    protect_handler,
    secret_forms,
)

TOKEN = "987654321:AAHsecretPartOfTheToken_0123456789"
SECRET = TOKEN.partition(":")[2]


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([TOKEN])


@pytest.fixture
def logger_and_stream(redactor: Redactor) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose one handler is protected as `configure_logging` protects the root's."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    protect_handler(handler, redactor)
    logger = logging.getLogger("casebot.test.redaction")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def _raise_invalid_token() -> None:
    try:
        raise InvalidToken("Unauthorized")
    except InvalidToken as exc:
        raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.") from exc


def test_secret_forms_cover_the_part_after_the_colon() -> None:
    assert secret_forms(TOKEN) == [TOKEN, SECRET]
    assert secret_forms("") == []
    assert secret_forms("1:short") == ["1:short"]
    assert Redactor([TOKEN]).redact(f"/bot{TOKEN}/getMe and 987654321%3A{SECRET}") == (
        f"/bot{REDACTED}/getMe and 987654321%3A{REDACTED}"
    )


def test_the_message_and_its_arguments_are_redacted(
    logger_and_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logger_and_stream
    logger.info("url %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    logger.info(f"inline {TOKEN}")
    logger.info("a dict %(url)s", {"url": TOKEN})
    text = stream.getvalue()
    assert SECRET not in text
    assert text.count(REDACTED) == 3


def test_the_exception_and_the_stack_are_redacted(
    logger_and_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logger_and_stream
    try:
        _raise_invalid_token()
    except InvalidToken:
        logger.exception("start failed")
    logger.error("with an exception object", exc_info=InvalidToken(f"token {TOKEN}"))
    logger.warning("here, %s", TOKEN, stack_info=True)
    text = stream.getvalue()
    assert "InvalidToken" in text and "Traceback" in text and "Stack (most recent" in text
    assert SECRET not in text


def test_a_second_handler_with_its_own_formatter_sees_a_clean_record(redactor: Redactor) -> None:
    # The filter cleans the record in place, so a plain handler after ours gets it clean too.
    protected, plain = io.StringIO(), io.StringIO()
    first = logging.StreamHandler(protected)
    protect_handler(first, redactor)
    second = logging.StreamHandler(plain)
    second.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("casebot.test.two-handlers")
    logger.propagate = False
    logger.addHandler(first)
    logger.addHandler(second)
    try:
        try:
            _raise_invalid_token()
        except InvalidToken:
            logger.exception("failed with %s", TOKEN)
    finally:
        logger.removeHandler(first)
        logger.removeHandler(second)
    assert SECRET not in protected.getvalue()
    assert SECRET not in plain.getvalue()
    assert "was rejected by the server" in plain.getvalue()


def test_the_formatter_redacts_what_it_formats(redactor: Redactor) -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "msg %s", (TOKEN,), None)
    record.exc_text = f"Traceback …\nInvalidToken: {TOKEN}"
    formatted = RedactingFormatter("%(message)s", redactor=redactor).format(record)
    assert SECRET not in formatted and formatted.count(REDACTED) == 2


def test_records_without_secrets_are_left_alone(redactor: Redactor) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d sent", (3,), None)
    assert RedactSecrets(redactor=redactor).filter(record)
    assert record.msg == "%d sent" and record.args == (3,)


def test_uncaught_exceptions_are_printed_redacted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(logsetup, "REDACTOR", Redactor([TOKEN]))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logsetup.install_excepthooks()
    try:
        _raise_invalid_token()
    except InvalidToken:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=_raise_invalid_token, name="worker-thread")
    thread.start()
    thread.join()
    errors = capsys.readouterr().err
    assert errors.count(f"InvalidToken: The token `{REDACTED}` was rejected") == 2
    assert "Exception in thread worker-thread" in errors
    assert SECRET not in errors


def test_network_errors_logged_by_the_library_are_one_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("casebot.test.network")
    logger.propagate = False
    logger.addHandler(handler)
    logger.addFilter(BriefNetworkErrors())
    try:
        try:
            raise NetworkError("httpx.ConnectError: All connection attempts failed")
        except NetworkError:
            logger.exception("Error while calling `get_updates` one more time")
        try:
            raise ValueError("a bug")
        except ValueError:
            logger.exception("something else")
    finally:
        logger.removeHandler(handler)
    first, *rest = stream.getvalue().splitlines()
    assert first == (
        "Error while calling `get_updates` one more time "
        "(NetworkError: httpx.ConnectError: All connection attempts failed)"
    )
    assert rest[0] == "something else" and "Traceback" in rest[1]  # bugs keep theirs
