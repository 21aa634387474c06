"""The bot token never reaches a log handler: not in a message, its arguments, or a traceback."""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Callable

import pytest

from bot.config import Config
from bot.logs import REDACTED, JsonFormatter, redact_token, setup_logging
from bot.metrics import Metrics
from tests.helpers import INTERACTION_LINE_KEYS

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GuIdEb.s3cr3t-hmac-part-of-the-t0k3n-xyz"
SECRET = TOKEN.rsplit(".", 1)[-1]
"""What the per-interaction log line holds as JSON: the usual, then its own fields."""


class RecordDumper(logging.Formatter):
    """A formatter that renders the record itself: arguments, traceback and stack as fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "msg": str(record.msg),
                "args": repr(record.args),
                "exc": self.formatException(record.exc_info) if record.exc_info else None,
                "exc_str": str(record.exc_info[1]) if record.exc_info else None,
                "stack": record.stack_info,
                "extra": repr(getattr(record, "note", None)),
            }
        )


class Capture:
    """A library logger with its own handler, as discord.py's loggers can have."""

    def __init__(self, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        handler = logging.StreamHandler(self.stream)
        handler.setFormatter(formatter)
        self.log = logging.getLogger(f"library.{id(self)}")
        self.log.propagate = False
        self.log.setLevel(logging.DEBUG)
        self.log.addHandler(handler)

    def text(self) -> str:
        return self.stream.getvalue()


FORMATTERS = {
    "plain": lambda: logging.Formatter("%(levelname)s %(name)s: %(message)s"),
    "record dump": RecordDumper,
    "guidebot json": JsonFormatter,
}


@pytest.fixture(params=sorted(FORMATTERS))
def capture(request: pytest.FixtureRequest) -> Capture:
    """A logger whose handler exists before the redaction is installed."""
    captured = Capture(FORMATTERS[request.param]())
    redact_token(TOKEN)
    return captured


def fail_with_token() -> None:
    """Raise as a library would after Discord echoed the token back."""
    try:
        raise KeyError(f"header Authorization: Bot {TOKEN}")
    except KeyError as cause:
        error = RuntimeError(f"request failed for Bot {TOKEN}")
        error.add_note(f"token was {TOKEN}")
        raise error from cause


def assert_redacted(text: str) -> None:
    assert TOKEN not in text
    assert SECRET not in text


Emit = Callable[[logging.Logger], None]


def log_exception(log: logging.Logger) -> None:
    try:
        fail_with_token()
    except RuntimeError:
        log.exception("while talking to Discord")


def log_exc_info(log: logging.Logger) -> None:
    try:
        fail_with_token()
    except RuntimeError as error:
        log.warning("gave up", exc_info=error)


def log_stack_info(log: logging.Logger) -> None:
    # A real stack shows source lines, which never hold the token: make the record by hand.
    stack = f"Stack (most recent call last):\n  connect(token={TOKEN!r})"
    make_record = logging.getLogRecordFactory()
    log.handle(make_record(log.name, logging.INFO, __file__, 1, "where", (), None, None, stack))


CASES: dict[str, tuple[Emit, str]] = {
    "message": (
        lambda log: log.info(f"sending Authorization: Bot {TOKEN}"),
        f"sending Authorization: Bot {REDACTED}",
    ),
    "secret part": (lambda log: log.info("hmac %s", SECRET), f"hmac {REDACTED}"),
    "%-args": (
        lambda log: log.debug("%s %s with %s", "GET", "/users/@me", {"token": TOKEN}),
        f"GET /users/@me with {{'token': '{REDACTED}'}}",
    ),
    "unused args": (lambda log: log.debug("payload", {"token": TOKEN}), "payload"),
    "bad format": (
        lambda log: log.info("%d tokens", TOKEN),
        "unformattable log message '%d tokens'",
    ),
    "log.exception": (log_exception, f"request failed for Bot {REDACTED}"),
    "exc_info": (log_exc_info, f"request failed for Bot {REDACTED}"),
    "stack_info": (log_stack_info, f"connect(token='{REDACTED}')"),
    "extra": (
        lambda log: log.info("noted", extra={"note": (f"Bot {TOKEN}", {"header": TOKEN})}),
        "noted",
    ),
}


@pytest.mark.parametrize(("emit", "shown"), CASES.values(), ids=CASES.keys())
def test_the_token_reaches_no_handler(capture: Capture, emit: Emit, shown: str) -> None:
    emit(capture.log)

    assert_redacted(capture.text())
    assert shown in capture.text()


def test_a_redacted_traceback_still_shows_what_failed(capture: Capture) -> None:
    log_exception(capture.log)

    text = capture.text().replace("\\n", "\n")  # the JSON formatter escapes newlines
    assert "Traceback (most recent call last)" in text
    assert f"RuntimeError: request failed for Bot {REDACTED}" in text
    assert f"KeyError: 'header Authorization: Bot {REDACTED}'" in text
    assert "The above exception was the direct cause" in text
    assert f"token was {REDACTED}" in text
    assert "in fail_with_token" in text
    assert_redacted(text)


def test_a_handler_added_after_the_redaction_is_covered_too() -> None:
    redact_token(TOKEN)
    late = Capture(RecordDumper())

    log_exc_info(late.log)
    late.log.info("token %s", TOKEN)

    assert_redacted(late.text())


def test_a_record_without_the_token_is_left_as_it_was(capture: Capture) -> None:
    error = ValueError("no secret here")
    records: list[logging.LogRecord] = []
    capture.log.addFilter(lambda record: records.append(record) or True)

    capture.log.info("%s of %d", "one", 2, exc_info=error)

    (record,) = records
    assert (record.msg, record.args) == ("%s of %d", ("one", 2))
    assert record.exc_info is not None
    assert record.exc_info[1] is error


def test_the_exception_itself_is_not_changed(capture: Capture) -> None:
    with pytest.raises(RuntimeError) as caught:
        fail_with_token()

    capture.log.error("failed", exc_info=caught.value)

    assert TOKEN in str(caught.value)
    assert TOKEN in "".join(traceback.format_exception(caught.value))


def test_setup_logging_redacts_what_reaches_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(Config(token=TOKEN, log_level="DEBUG"))

    log_exc_info(logging.getLogger("discord.http"))
    logging.getLogger("discord.gateway").debug("WebSocket Event: %s", {"d": {"token": TOKEN}})

    err = capsys.readouterr().err
    assert "discord.http: gave up" in err
    assert "discord.gateway: WebSocket Event: {'d': {'token': '[token]'}}" in err
    assert_redacted(err)


def test_no_token_means_no_redaction() -> None:
    factory = logging.getLogRecordFactory()

    redact_token("  ")

    assert logging.getLogRecordFactory() is factory


# --- [logging] format = "json": one JSON object per line, and still no token ---------


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_every_line_is_one_json_object_with_the_interaction_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(Config(log_format="json"))
    Metrics().record(1, "framework", "answered", "django")
    logging.getLogger("discord.gateway").warning("line one\nline two")

    first, second = json_lines(capsys)
    assert set(first) == INTERACTION_LINE_KEYS
    assert (first["logger"], first["level"], first["command"], first["outcome"]) == (
        "bot.metrics",
        "INFO",
        "framework",
        "answered",
    )
    assert (first["latency_ms"], first["query"]) == (None, "django")
    assert str(first["time"]).endswith("+00:00")
    assert second["message"] == "line one\nline two"


def test_json_lines_carry_no_token_in_messages_arguments_or_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(Config(token=TOKEN, log_format="json"))
    log_exc_info(logging.getLogger("discord.http"))
    logging.getLogger("discord.gateway").warning("identify: %s", {"token": TOKEN})

    failed, identify = json_lines(capsys)
    assert "Traceback" in str(failed["exception"])
    assert identify["message"] == f"identify: {{'token': '{REDACTED}'}}"
    for entry in (failed, identify):
        assert TOKEN not in json.dumps(entry)
        assert SECRET not in json.dumps(entry)


def test_extra_fields_reach_the_json_log_redacted() -> None:
    capture = Capture(JsonFormatter())
    redact_token(TOKEN)
    fields = {"command": "framework", "query": f"bot {TOKEN}", "seen": [TOKEN, 3]}

    capture.log.info("looked up", extra={"fields": fields})

    entry = json.loads(capture.text())
    assert (entry["command"], entry["query"], entry["seen"]) == (
        "framework",
        f"bot {REDACTED}",
        [REDACTED, 3],
    )
