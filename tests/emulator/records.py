"""What the emulator remembers: requests, gateway frames, violations, faults and answers."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.emulator.validation import CALLBACK, Problem

if TYPE_CHECKING:
    from tests.emulator.emulator import DiscordEmulator

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 524})
"""Statuses after which discord.py tries the same request again (http.py, webhook/async_.py)."""


@dataclass(slots=True, kw_only=True)
class RecordedRequest:
    """One HTTP request the bot made, and the emulator's answer."""

    index: int
    method: str
    path: str
    """Relative to the API base, e.g. `/users/@me`."""
    query: dict[str, str]
    headers: dict[str, str]
    """Every header except Authorization."""
    authorization: str
    """`bot token`, `absent` or `wrong`: what the Authorization header held, never its value."""
    received_at: float
    """`time.monotonic()` when the request arrived."""
    json: Any = None
    """The JSON body, or the `payload_json` part of a multipart body."""
    files: list[dict[str, Any]] = field(default_factory=list)
    """Multipart file parts: name, filename, content_type, size."""
    route: str | None = None
    """The OpenAPI path template, e.g. `/webhooks/{webhook_id}/{webhook_token}`."""
    params: dict[str, str] = field(default_factory=dict)
    handled: bool = True
    """False when the emulator does not implement the route (answered 404)."""
    problems: list[Problem] = field(default_factory=list)
    fault: str | None = None
    """The injected fault that answered (or delayed) this request, if any."""
    status: int | None = None
    response: Any = None
    responded_at: float | None = None

    @property
    def done(self) -> bool:
        """Whether the emulator has answered."""
        return self.status is not None

    @property
    def ok(self) -> bool:
        """Whether the answer was a 2xx."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def endpoint(self) -> str:
        """`METHOD template` (or the concrete path when no template matched)."""
        return f"{self.method} {self.route or self.path}"

    def matches(self, pattern: str | Callable[[RecordedRequest], bool]) -> bool:
        """Whether `pattern` matches: a predicate, or `METHOD PATH` with shell wildcards.

        The path part is compared with both the concrete path and the route template, so
        `POST /interactions/*/callback` and `PATCH /webhooks/{webhook_id}/{webhook_token}/*`
        both work; the method may be `*`.
        """
        if callable(pattern):
            return pattern(self)
        method, _, path = pattern.partition(" ")
        if not fnmatch.fnmatchcase(self.method, method.upper()):
            return False
        return fnmatch.fnmatchcase(self.path, path) or (
            self.route is not None and fnmatch.fnmatchcase(self.route, path)
        )

    def __str__(self) -> str:
        status = self.status if self.status is not None else "..."
        fault = f" [fault: {self.fault}]" if self.fault else ""
        return f"#{self.index} {self.endpoint} -> {status}{fault}"


@dataclass(frozen=True, slots=True)
class Violation:
    """Something the bot did that Discord would reject, or our policy forbids."""

    kind: str
    """`spec`, `limit`, `policy` or `protocol`."""
    message: str
    request: int | None = None
    """Index of the request in `DiscordEmulator.requests`, if one caused it."""

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


@dataclass(frozen=True, slots=True)
class GatewayFrame:
    """One gateway payload sent or received (the token is redacted), or a connection event."""

    direction: str
    """`recv` (from the bot), `send` (to the bot), `open` or `close`."""
    connection: int
    at: float
    op: int | None = None
    t: str | None = None
    s: int | None = None
    d: Any = None


@dataclass(slots=True, kw_only=True)
class Fault:
    """An injected failure: answer matching requests with an error status, or delay them."""

    pattern: str | Callable[[RecordedRequest], bool]
    status: int | None = None
    """None: only delay, then answer normally."""
    times: int | None = 1
    """How many matching requests to hit; None for all of them."""
    delay: float = 0.0
    retry_after: float = 0.2
    is_global: bool = False
    via: bool = True
    """Send `Via: 1.1 google` with a 429, as Discord does; without it discord.py takes the 429
    for a Cloudflare ban and raises at once instead of retrying."""
    processed: bool = False
    """Carry the request out, then answer with the error (Discord acted; the answer got lost)."""
    body: Any = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether the fault has hit as many requests as it should."""
        return self.times is not None and self.hits >= self.times

    def describe(self) -> str:
        """Return a short description for request records."""
        parts = []
        if self.delay:
            parts.append(f"delay {self.delay:g}s")
        if self.status is not None:
            parts.append(str(self.status) + (" after processing" if self.processed else ""))
        return ", ".join(parts) or "no-op"


@dataclass(slots=True)
class InteractionState:
    """The emulator's view of one interaction it sent."""

    payload: dict[str, Any]
    sent_at: float
    """`time.monotonic()` when INTERACTION_CREATE was dispatched."""
    acknowledged: int | None = None
    """The callback type that answered it, once one was accepted."""
    original_message_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    reported: bool = False
    """Its being unanswered was already handed out by `take_violations`."""
    http_answered: asyncio.Event | None = None
    """Sent to an HTTP endpoint: set once its answer to the POST has been taken."""

    @property
    def id(self) -> str:
        """The interaction ID."""
        return self.payload["id"]

    @property
    def token(self) -> str:
        """The interaction token (for callback and webhook routes)."""
        return self.payload["token"]

    @property
    def user(self) -> dict[str, Any]:
        """The user who interacted."""
        if "member" in self.payload:
            return self.payload["member"]["user"]
        return self.payload["user"]


class InteractionResult:
    """How the bot answered one interaction; the lists are live views of the emulator's records."""

    def __init__(self, emulator: DiscordEmulator, state: InteractionState) -> None:
        self._emulator = emulator
        self.state = state

    def __repr__(self) -> str:
        return f"<InteractionResult {self.name!r} type={self.type} latency={self.latency}>"

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data that was sent to the bot."""
        return self.state.payload

    @property
    def id(self) -> str:
        """The interaction ID."""
        return self.state.id

    @property
    def token(self) -> str:
        """The interaction token."""
        return self.state.token

    @property
    def name(self) -> str:
        """The command name, or the component's custom_id."""
        data = self.payload.get("data", {})
        return data.get("name") or data.get("custom_id", "")

    @property
    def callbacks(self) -> list[RecordedRequest]:
        """Every callback request for this interaction, including rejected and retried ones."""
        return [
            request
            for request in self._emulator.requests
            if request.route == CALLBACK and request.params.get("interaction_id") == self.id
        ]

    @property
    def callback(self) -> RecordedRequest | None:
        """The callback attempt that settled the answer: accepted, or rejected for good."""
        for request in self.callbacks:
            if request.done and request.status not in RETRYABLE_STATUSES:
                return request
        return None

    @property
    def accepted(self) -> bool:
        """Whether a callback was accepted (2xx)."""
        return self.callback is not None and self.callback.ok

    @property
    def type(self) -> int | None:
        """The callback type of the settled answer (4 message, 5 defer, 7 update, 8 choices...)."""
        callback = self.callback
        return None if callback is None else (callback.json or {}).get("type")

    @property
    def data(self) -> dict[str, Any]:
        """The `data` of the settled callback (empty if none)."""
        callback = self.callback
        return {} if callback is None else (callback.json or {}).get("data") or {}

    @property
    def latency(self) -> float | None:
        """Seconds from sending the interaction to receiving the settling callback."""
        callback = self.callback
        return None if callback is None else callback.received_at - self.state.sent_at

    @property
    def first_attempt_latency(self) -> float | None:
        """Seconds from sending the interaction to the first callback attempt."""
        callbacks = self.callbacks
        return callbacks[0].received_at - self.state.sent_at if callbacks else None

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete choices (type-8 answers)."""
        return list(self.data.get("choices") or [])

    @property
    def message(self) -> dict[str, Any] | None:
        """The current state of the interaction's original message (None if none or deleted)."""
        message_id = self.state.original_message_id
        return None if message_id is None else self._emulator.messages.get(message_id)

    @property
    def ephemeral(self) -> bool:
        """Whether the original message is ephemeral."""
        message = self.message
        return bool(message and message["flags"] & 64)

    @property
    def webhook_requests(self) -> list[RecordedRequest]:
        """Every request on this interaction's webhook (followups, @original edits, deletes)."""
        return [
            request
            for request in self._emulator.requests
            if request.params.get("webhook_token") == self.token and request.route != CALLBACK
        ]

    @property
    def followups(self) -> list[RecordedRequest]:
        """The followup messages sent (POST to the interaction webhook)."""
        return [request for request in self.webhook_requests if request.method == "POST"]

    async def wait_webhook(
        self,
        pattern: str | Callable[[RecordedRequest], bool] = "* *",
        *,
        nth: int = 1,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Wait for the `nth` answered request on this interaction's webhook matching `pattern`.

        Counting starts at the interaction, so a request that came before this call still
        counts: `wait_webhook("POST *")` is the first followup, `nth=2` the second;
        `wait_webhook("PATCH */@original", nth=2)` the second edit of the original message.
        """

        def found() -> RecordedRequest | None:
            matching = [
                request
                for request in self.webhook_requests
                if request.done and request.matches(pattern)
            ]
            return matching[nth - 1] if len(matching) >= nth else None

        return await self._emulator.wait_until(
            found, timeout=timeout, what=f"request {nth} matching {pattern!r} on {self.name!r}"
        )


def redact_token(data: Any, token: str) -> Any:
    """Return `data` with every occurrence of `token` replaced, for records and logs."""
    if isinstance(data, str):
        return data.replace(token, "<token>") if token else data
    if isinstance(data, Mapping):
        return {key: redact_token(value, token) for key, value in data.items()}
    if isinstance(data, list):
        return [redact_token(value, token) for value in data]
    return data
