"""Recording stand-ins for `discord.Interaction` and for discord.py's interaction webhooks.

For unit tests of the Discord adapters. Every call is bound to discord.py's own signature of
the method it stands for, so a call that discord.py would refuse fails the test; it is then
recorded in order, and can be made to fail the way Discord fails it. The end-to-end tests check
the same code against the emulator.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import discord
from discord.state import ConnectionState
from discord.webhook.async_ import AsyncWebhookAdapter

GUILD_ID = 10
CHANNEL_ID = 20
REASONS = {400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Server Error"}
UNKNOWN_WEBHOOK = 10015
_STATE = ConnectionState(dispatch=lambda *_: None, handlers={}, hooks={}, http=None)  # type: ignore[arg-type]
# The server is known, as in the bot (where each interaction from it creates it): a posted
# message's jump URL names it, as Discord's real messages' do.
_STATE._add_guild(_STATE._get_or_create_unavailable_guild(GUILD_ID))
_IDS = itertools.count(1000)


def http_error(status: int, code: int = 0, message: str = "") -> discord.HTTPException:
    """Return the exception discord.py raises when Discord answers `status` with `code`."""
    response = SimpleNamespace(status=status, reason=REASONS.get(status, "Error"))
    return discord.HTTPException(response, {"code": code, "message": message})  # type: ignore[arg-type]


def make_message(channel_id: int = CHANNEL_ID) -> discord.Message:
    """Return a message as Discord hands back a posted one: an id and a jump URL."""
    data: Any = {
        "id": str(next(_IDS)),
        "channel_id": str(channel_id),
        "author": {"id": "1", "username": "guidebot", "discriminator": "0", "avatar": None},
        "content": "",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "components": [],
    }
    channel = discord.PartialMessageable(state=_STATE, id=channel_id, guild_id=GUILD_ID)
    return discord.Message(state=_STATE, channel=channel, data=data)


@dataclass
class Call:
    """One call the code under test made, by the name it has on an `Interaction`."""

    name: str
    kwargs: dict[str, Any]

    @property
    def embeds(self) -> list[discord.Embed]:
        """The embeds the call sent, given as `embed=` or `embeds=`."""
        if "embed" in self.kwargs:
            return [self.kwargs["embed"]]
        return list(self.kwargs.get("embeds", []))


@dataclass
class FakeInteraction:
    """An interaction whose responses are recorded in `calls` instead of sent."""

    channel_id: int | None = CHANNEL_ID
    data: dict[str, Any] = field(default_factory=lambda: {"name": "framework"})
    id: int = field(default_factory=lambda: next(_IDS))
    type: discord.InteractionType = discord.InteractionType.application_command
    guild_id: int | None = GUILD_ID
    extras: dict[str, Any] = field(default_factory=dict)
    """As discord.Interaction's: where the answering code notes the outcome for the metrics."""
    callback_names_message: bool = True
    """Whether the answer's callback returns the posted message (over HTTP it does not)."""
    user: Any = field(default_factory=lambda: SimpleNamespace(id=1))
    calls: list[Call] = field(default_factory=list)
    posted: list[discord.Message] = field(default_factory=list)
    """The messages Discord would have posted, in order."""
    failures: dict[str, list[BaseException]] = field(default_factory=dict)
    on_call: Callable[[Call], None] = lambda _call: None
    """Called after each call is recorded (and before it fails, if it is to fail)."""

    def __post_init__(self) -> None:
        self.response = FakeResponse(self)
        self.followup = FakeFollowup(self)

    def fail(self, name: str, *errors: BaseException) -> None:
        """Make the next calls of `name` (e.g. "response.send_message") raise `errors`."""
        self.failures.setdefault(name, []).extend(errors)

    def names(self) -> list[str]:
        """Return the names of the calls made, in order."""
        return [call.name for call in self.calls]

    def only(self, name: str) -> Call:
        """Return the one call of `name`; fail if there is not exactly one."""
        (call,) = [call for call in self.calls if call.name == name]
        return call

    def post(self) -> discord.Message:
        """Return a new message in this interaction's channel, as Discord posts one."""
        message = make_message(self.channel_id or CHANNEL_ID)
        self.posted.append(message)
        return message

    async def original_response(self) -> discord.InteractionMessage:
        """Stand in for `discord.Interaction.original_response`: the response's message."""
        self.record("original_response", discord.Interaction.original_response)
        return self.posted[0]  # type: ignore[return-value]

    async def delete_original_response(self) -> None:
        """Stand in for `discord.Interaction.delete_original_response`."""
        self.record("delete_original_response", discord.Interaction.delete_original_response)

    async def edit_original_response(self, **kwargs: Any) -> discord.InteractionMessage:
        """Stand in for `discord.Interaction.edit_original_response`."""
        self.record("edit_original_response", discord.Interaction.edit_original_response, kwargs)
        return self.posted[0]  # type: ignore[return-value]

    def record(
        self, name: str, real: Callable[..., Any], kwargs: dict[str, Any] | None = None
    ) -> None:
        """Check the call against `real`'s signature, record it, and raise a queued failure.

        Only the interaction's response can come first: Discord knows no followup or original
        message of an interaction before it is answered.
        """
        kwargs = kwargs or {}
        inspect.signature(real).bind(None, **kwargs)
        if not name.startswith("response.") and not self.response.is_done():
            raise http_error(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
        call = Call(name, kwargs)
        self.calls.append(call)
        self.on_call(call)
        queued = self.failures.get(name)
        if queued:
            raise queued.pop(0)


class FakeResponse:
    """Stands in for `discord.InteractionResponse`: done once a call has succeeded."""

    def __init__(self, interaction: FakeInteraction) -> None:
        self._interaction = interaction
        self._done = False

    def is_done(self) -> bool:
        """Whether the interaction has had its one response."""
        return self._done

    async def defer(self, **kwargs: Any) -> None:
        """Stand in for `discord.InteractionResponse.defer`."""
        self._respond("defer", discord.InteractionResponse.defer, kwargs)

    async def send_message(self, **kwargs: Any) -> SimpleNamespace:
        """Stand in for `discord.InteractionResponse.send_message`; the message is its resource."""
        self._respond("send_message", discord.InteractionResponse.send_message, kwargs)
        message = self._interaction.post()
        named = self._interaction.callback_names_message
        return SimpleNamespace(
            resource=message if named else None, message_id=message.id if named else None
        )

    def _respond(self, name: str, real: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        if self._done:
            raise discord.InteractionResponded(self._interaction)  # type: ignore[arg-type]
        self._interaction.record(f"response.{name}", real, kwargs)
        self._done = True


class FakeFollowup:
    """Stands in for the interaction's followup `discord.Webhook`."""

    def __init__(self, interaction: FakeInteraction) -> None:
        self._interaction = interaction

    async def send(self, **kwargs: Any) -> discord.Message:
        """Stand in for `discord.Webhook.send`; returns the message, as with `wait=True`."""
        self._interaction.record("followup.send", discord.Webhook.send, kwargs)
        return self._interaction.post()


CLIENT_HTTP = SimpleNamespace(_HTTPClient__session=None, proxy=None, proxy_auth=None)
"""What an interaction answered from its JSON reads of the client's HTTP client."""


def interaction_json(
    kind: int,
    data: dict[str, Any],
    *,
    user: int = 30,
    permissions: int = 0,
    message: dict[str, Any] | None = None,
    dm: bool = False,
) -> dict[str, Any]:
    """Return an interaction from `user` in server 10's channel 20 (or a DM), as Discord sends it.

    Args:
        kind: Discord's interaction type: 2 a command, 3 a click, 4 an autocomplete.
        data: Its `data`.
        user: Who sent it.
        permissions: Their permissions in the channel, as Discord's bit set.
        message: The message a clicked component sits on.
        dm: Sent in a direct message with the bot, where there is no member.
    """
    author = {"id": str(user), "username": "learner", "discriminator": "0", "avatar": None}
    member = {"user": author, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00"}
    payload: dict[str, Any] = {
        "id": str(next(_IDS)),
        "application_id": "2",
        "type": kind,
        "token": "interaction-token",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(CHANNEL_ID),
        "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "help"},
        "member": {**member, "permissions": str(permissions), "deaf": False, "mute": False},
        "app_permissions": "0",
        "locale": "en-US",
        "attachment_size_limit": 8 * 1024 * 1024,
        "data": data,
    }
    if message is not None:
        payload["message"] = message
    if dm:
        for key in ("guild_id", "member", "channel"):
            del payload[key]
        dm_channel = {"id": str(CHANNEL_ID), "type": 1, "recipients": [author]}
        payload.update(user=author, channel=dm_channel)
    return payload


class RecordingWebhooks(AsyncWebhookAdapter):
    """discord.py's interaction webhook adapter, recording each request instead of sending it.

    Set it as the adapter of the moment (`discord.webhook.async_.async_context`) and an
    interaction answered from its JSON (`bot.json_answers`) sends its callback and webhook calls
    here: discord.py's own methods build each request, and only the HTTP is left out. Requests are
    recorded in order by what they do (`ROUTES`), with the JSON they send, and can be made to
    fail as Discord fails them.
    """

    ROUTES: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/interactions/{webhook_id}/{webhook_token}/callback"): "callback",
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"): "followup",
        ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): "read original",
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): "edit original",
        ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): "delete original",
    }

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.located: list[bool] = []
        """For each callback, whether it asked Discord to answer with the message posted."""
        self.failures: dict[str, BaseException] = {}

    def fail(self, name: str, error: BaseException) -> None:
        """Make every request of `name` (e.g. "callback") raise `error`."""
        self.failures[name] = error

    def names(self) -> list[str]:
        """Return the names of the requests made, in order."""
        return [name for name, _ in self.calls]

    def only(self, name: str) -> dict[str, Any]:
        """Return the JSON of the one request of `name`; fail if there is not exactly one."""
        (sent,) = [sent for called, sent in self.calls if called == name]
        return sent

    async def request(self, route: Any, session: Any, **kwargs: Any) -> Any:
        """Record the request, as discord.py's methods make it; answer as Discord would."""
        inspect.signature(AsyncWebhookAdapter.request).bind(self, route, session, **kwargs)
        name = self.ROUTES[route.method, route.path]
        self.calls.append((name, kwargs.get("payload") or {}))
        if name in self.failures:
            raise self.failures[name]
        message = {"id": str(next(_IDS)), "channel_id": str(CHANNEL_ID)}
        if name == "callback":
            located = (kwargs.get("params") or {}).get("with_response") == "1"
            self.located.append(located)
            return {"interaction": {"response_message_id": message["id"]}} if located else None
        return None if name == "delete original" else message
