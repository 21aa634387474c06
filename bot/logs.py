"""Logging set-up, and the guarantee that the bot token never reaches a log handler.

The token is redacted where log records are made, not where they are written. A handler's
filter (the obvious place) protects only the handlers it was added to, and only the rendered
message: a handler added later, or a formatter that renders the traceback itself, would still
see the token. So `redact_token` installs a log-record factory (`logging.setLogRecordFactory`),
which every logger in the process calls to create each record, before any filter or handler
sees it. The factory rewrites the record in place:

- the message, with its `%`-style arguments merged in, when either holds the token;
- the stack trace (`stack_info`);
- the exception (`exc_info`): when its traceback would show the token, the exception is
  replaced by a stand-in chain with the same type names, messages (redacted), notes, causes and
  traceback frames, so whatever renders it (`Formatter.formatException`, the `traceback` module,
  `str(exc)`) prints what the original would have, with the token replaced.

- what a caller passes with `extra=` (such as the JSON format's `fields`): `Logger.makeRecord`
  sets those after the factory returns, by item assignment on the record's `__dict__`, so the
  factory gives the record a `__dict__` that redacts the strings (also inside dicts, lists and
  tuples) assigned to it that way. Attributes set as attributes bypass it (CPython stores them
  directly): those are logging's own, rendered from what was already redacted.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.config import Config

REDACTED = "[token]"
"""What a log line shows in the place of the token."""
MIN_SECRET_LENGTH = 20
"""A token's last part (its HMAC) is secret on its own; shorter ones are not worth hunting."""
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(config: Config) -> None:
    """Log to stderr at the configured level, with the bot token redacted from every record.

    Neither format shows where a line was logged from, nor the thread or process, so records
    skip gathering them (the logging HOWTO's "Optimization"): a sixth of the per-interaction
    line's cost.
    """
    logging._srcfile = None  # private, yet the HOWTO documents it for this
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    redact_token(config.token)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if config.log_format == "json" else TextFormatter(FORMAT))
    logging.basicConfig(level=config.log_level, handlers=[handler], force=True)


class TextFormatter(logging.Formatter):
    """logging's own text format, with the time's seconds formatted once a second.

    `Formatter.formatTime` converts and formats the time of every record; one second's records
    share all but the milliseconds, so this keeps the last second's text and adds those.
    """

    _second: tuple[int, str] = (-1, "")
    """The last second formatted, and its text (one tuple, so threads see the pair whole)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        """Return the record's time as `Formatter.formatTime` does."""
        if datefmt is not None or self.default_msec_format is None:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if second != int(record.created):
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the record's `fields`.

    A record's `fields` (passed as `extra={"fields": {...}}`) become top-level keys, so a log
    collector can filter the per-interaction line by command or outcome. The token is already
    gone from the record (see `redact_token`), so it cannot reach the JSON either.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def redact_token(token: str) -> None:
    """Make every log record created from now on, by any logger, free of `token`.

    Args:
        token: The secret to redact; an empty one changes nothing.
    """
    secrets = _secrets(token)
    if not secrets:
        return
    make_record = logging.getLogRecordFactory()
    redact = _redactor(secrets)

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _redact_record(record, redact)
        extras = _RedactingAttributes(record.__dict__)
        extras.redact = redact
        record.__dict__ = extras
        return record

    logging.setLogRecordFactory(redacting_factory)


def _secrets(token: str) -> tuple[str, ...]:
    """Return the strings to redact: the token, then its secret last part if long enough."""
    token = token.strip()
    if not token:
        return ()
    secret = token.rsplit(".", 1)[-1]
    return (token, secret) if secret != token and len(secret) >= MIN_SECRET_LENGTH else (token,)


def _redact_record(record: logging.LogRecord, redact: Callable[[str], str]) -> None:
    try:
        message = record.getMessage()
        arguments = repr(record.args) if record.args else ""
    except Exception as error:  # a log call must never raise into the code that logs
        # logging would report the bad record later with its raw arguments: drop them now.
        record.msg, record.args = redact(f"unformattable log message {record.msg!r}: {error}"), ()
    else:
        if redact(message) is not message or redact(arguments) is not arguments:
            record.msg, record.args = redact(message), ()
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    if record.exc_info and record.exc_info[1] is not None:
        raised = record.exc_info[1]
        text = "".join(traceback.format_exception(raised))
        if redact(text) != text:
            stand_in = _stand_in(raised, redact, {})
            record.exc_info = (type(stand_in), stand_in, stand_in.__traceback__)


class _RedactingAttributes(dict[str, Any]):
    """A log record's `__dict__` that redacts what `extra=` puts in it."""

    redact: Callable[[str], str]

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, _scrub(value, self.redact))


def _scrub(value: Any, redact: Callable[[str], str]) -> Any:
    """Return `value` with `redact` applied to its strings, in dicts, lists and tuples too."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _scrub(item, redact) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_scrub(item, redact) for item in value)
    return value


def _redactor(secrets: tuple[str, ...]) -> Callable[[str], str]:
    """Return a function that redacts `secrets`, and returns a text without them as it is.

    Every secret holds the last one (the token ends with its secret part), so a text without
    the last one holds none: the one test most log lines need.
    """
    shortest = secrets[-1]

    def redact(text: str) -> str:
        if shortest not in text:
            return text
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return text

    return redact


def _stand_in(
    error: BaseException, redact: Callable[[str], str], done: dict[int, BaseException]
) -> BaseException:
    """Return an exception that renders as `error` does, with the token redacted.

    The stand-in's class carries the original's name and module (so a traceback names the
    original type), and it keeps the original's traceback frames, causes and notes.
    """
    if id(error) in done:  # an exception chain may loop back on itself
        return done[id(error)]
    kind = type(error)
    base: type[BaseException] = (
        BaseExceptionGroup if isinstance(error, BaseExceptionGroup) else Exception
    )
    names = {"__module__": kind.__module__, "__qualname__": kind.__qualname__}
    stand_in_type: type[BaseException] = type(kind.__name__, (base,), names)
    if isinstance(error, BaseExceptionGroup):
        inner = [_stand_in(sub, redact, done) for sub in error.exceptions]
        stand_in = stand_in_type(redact(error.message), inner)
    else:
        stand_in = stand_in_type(redact(_text(error)))
    done[id(error)] = stand_in
    stand_in.__traceback__ = error.__traceback__
    if error.__cause__ is not None:
        stand_in.__cause__ = _stand_in(error.__cause__, redact, done)
    if error.__context__ is not None:
        stand_in.__context__ = _stand_in(error.__context__, redact, done)
    stand_in.__suppress_context__ = error.__suppress_context__
    notes = getattr(error, "__notes__", None)
    if notes:
        stand_in.__notes__ = [redact(_text(note)) for note in notes]
    return stand_in


def _text(value: object) -> str:
    """Return `str(value)`, or what the traceback module prints when that fails."""
    try:
        return str(value)
    except Exception:  # a broken __str__ must not break the log call
        return "<exception str() failed>"
