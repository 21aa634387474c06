"""Answering a learner's interaction straight from its JSON, for either adapter.

discord.py turns every interaction into objects (a Guild, a Member, a channel, the command
tree's namespace, the clicked message) before a handler sees it, and every answer back into
JSON: for a learner's command, autocomplete or click, that costs more than the answer itself.
Here they are read from their JSON (a command's options checked against the command tree's own
declarations, a click routed by its custom_id alone, `bot.custom_ids`) and answered by the same
responder and replies through a `JsonExchange`, which sends callback JSON (`bot.payload`). The
HTTP endpoint's first response is the HTTP answer (`bot.endpoint`); the gateway's, the callback
request (`bot.bot`). Anything else, and anything the command tree would refuse, goes through
discord.py, which tells the user.

Every component's state is in its custom_id, so no view is kept in memory per message, clicks
keep working across restarts, and nothing of the clicked message is read but its id, except by
the rare click that sends it back changed (`payload.reply_of`).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord.webhook.async_ import async_context

from bot import clicks, custom_ids, replies
from bot.payload import EPHEMERAL_FLAG, callback_body, components_json
from bot.replies import CommandOptions, Mention, Reply
from bot.respond import QUERY_OPTIONS, Exchange, Posted, jump_url, observed, report_error

if TYPE_CHECKING:
    from bot.bot import GuideBot

log = logging.getLogger(__name__)

APPLICATION_COMMAND = 2
COMPONENT = 3
AUTOCOMPLETE = 4
CHAT_INPUT = 1
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
AUTOCOMPLETE_RESULT = 8
ADMINISTRATOR = 1 << 3
MANAGE_MESSAGES = 1 << 13
OUT_OF_DATE = (
    "This button is from an older version of the bot and does nothing now; "
    "run the command again for a fresh answer."
)


class JsonExchange(Exchange):
    """An interaction answered from its own JSON with callback JSON.

    How the first response goes is the adapter's (`respond`); followups, read-backs and edits
    go to the interaction's webhook, through discord.py's webhook adapter of the moment. A
    click's exchange can also change the message clicked (`update`, `acknowledge`).
    """

    def __init__(self, bot: GuideBot, payload: dict[str, Any]) -> None:
        self.id = int(payload["id"])
        self.type = int(payload["type"])
        self.data = payload.get("data") or {}
        channel = payload.get("channel") or {}
        self.channel_id = _snowflake(payload.get("channel_id") or channel.get("id"))
        self.guild_id = _snowflake(payload.get("guild_id"))
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        self.user_id = int(user["id"])
        message = payload.get("message")
        self.message_id = int(message["id"]) if isinstance(message, dict) else None
        """The message whose component was clicked; None unless a click."""
        permissions = (payload.get("member") or {}).get("permissions")
        self.manage_messages = bool(int(permissions or 0) & (MANAGE_MESSAGES | ADMINISTRATOR))
        """Whether the user may manage messages in the channel (an administrator may; nobody may
        in a DM)."""
        self.token = str(payload["token"])
        self._application_id = int(payload["application_id"])
        self._http = bot.http
        self._metrics = bot.metrics
        self._outcome = "answered"
        self._responded = False

    async def respond(self, body: dict[str, Any], *, locate: bool = False) -> int | None:
        """Send `body`, callback JSON, as the interaction's one response.

        Once Discord has taken it, and only then, the interaction is done (as discord.py's
        `InteractionResponse.is_done` says), so a failed response can still be answered; and
        that is when its response time ends. With `locate`, returns the id of the message it
        posted, when Discord names it.
        """
        message_id = await self._send_response(body, locate=locate)
        self._responded = True
        self._metrics.responded(self.id)
        return message_id

    @abc.abstractmethod
    async def _send_response(self, body: dict[str, Any], *, locate: bool) -> int | None:
        """Send the response as this adapter does; with `locate`, return the message's id.

        None when Discord's answer names no message.
        """

    @property
    def outcome(self) -> str:
        """How the interaction went."""
        return self._outcome

    def mark(self, outcome: str) -> None:
        """Say how the interaction went."""
        self._outcome = outcome

    def is_done(self) -> bool:
        """Whether the interaction has had its response."""
        return self._responded

    async def post(self, reply: Reply, *, locate: bool = False) -> Posted | None:
        """Send `reply` as the response, or to the webhook as a followup."""
        body = callback_body(reply)
        if not self._responded:
            return self._posted({"id": await self.respond(body, locate=locate)})
        message = await async_context.get().execute_webhook(
            self._application_id, self.token, payload=body["data"], wait=True, **self.session()
        )
        return self._posted(message)

    async def update(self, reply: Reply) -> None:
        """Put `reply` in place of the clicked message: as the response, or an edit after it."""
        body = callback_body(reply, edit=True)
        if not self._responded:
            await self.respond(body)
            return
        del body["data"]["tts"]  # a message's edit takes no text-to-speech
        await async_context.get().edit_original_interaction_response(
            self._application_id, self.token, payload=body["data"], **self.session()
        )

    async def acknowledge(self) -> None:
        """Respond to a click with nothing to show: the clicked message changes afterwards."""
        await self.respond({"type": DEFERRED_UPDATE_MESSAGE})

    async def defer(self, *, hidden: bool) -> None:
        """Respond with "thinking"; the answer follows up."""
        body: dict[str, Any] = {"type": DEFERRED_CHANNEL_MESSAGE}
        if hidden:
            body["data"] = {"flags": EPHEMERAL_FLAG}
        await self.respond(body)

    async def delete_original(self) -> None:
        """Delete the response's message."""
        await async_context.get().delete_original_interaction_response(
            self._application_id, self.token, **self.session()
        )

    async def original(self) -> Posted | None:
        """Read the response's message back from Discord."""
        try:
            message = await async_context.get().get_original_interaction_response(
                self._application_id, self.token, **self.session()
            )
        except discord.HTTPException as error:
            log.info("could not read back the answer to interaction %s: %s", self.id, error)
            return None
        return self._posted(message)

    async def show_components(self, reply: Reply) -> None:
        """Replace the response's message's components."""
        await async_context.get().edit_original_interaction_response(
            self._application_id,
            self.token,
            payload={"components": components_json(reply.rows)},
            **self.session(),
        )

    def session(self) -> dict[str, Any]:
        """The session arguments of discord.py's webhook adapter, as an Interaction gives them."""
        http: Any = self._http
        return {
            "session": http._HTTPClient__session,
            "proxy": http.proxy,
            "proxy_auth": http.proxy_auth,
        }

    def _posted(self, message: Any) -> Posted | None:
        if not isinstance(message, dict) or message.get("id") is None or self.channel_id is None:
            return None
        message_id = int(message["id"])
        return Posted(message_id, jump_url(self.guild_id, self.channel_id, message_id))


def _snowflake(value: object) -> int | None:
    return int(value) if isinstance(value, str | int) else None


def learner_answer(
    bot: GuideBot,
    payload: dict[str, Any],
    exchange: Callable[[GuideBot, dict[str, Any]], JsonExchange],
) -> Coroutine[Any, Any, None] | None:
    """Return the answering of a learner's command, autocomplete or click from its JSON.

    None for anything else, for options the command tree would not take as they are (those go
    through discord.py, whose errors the user is told), and for a click on a message Discord did
    not include (ignored, as discord.py's own routing does).

    Args:
        bot: the client whose responder, store and command tree answer.
        payload: the interaction, as Discord sent it.
        exchange: makes the exchange that sends the answer.
    """
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    kind = payload.get("type")
    if kind == COMPONENT:
        message = payload.get("message")
        if not isinstance(message, dict):
            return None
        clicked = exchange(bot, payload)
        return _observed(bot, clicked, _click(bot, clicked, data, message))
    if kind == APPLICATION_COMMAND:
        options = _command_options(bot, data)
        if options is None:
            return None
        asked = exchange(bot, payload)
        snapshot = bot.store.current
        work = bot.responder.command(asked, snapshot, data["name"], options)
        return _observed(bot, asked, work)
    if kind == AUTOCOMPLETE:
        typed = _typed_query(data)
        if typed is None:
            return None
        asked = exchange(bot, payload)
        return _observed(bot, asked, _complete(bot, asked, typed))
    return None


async def _observed(bot: GuideBot, exchange: JsonExchange, work: Awaitable[None]) -> None:
    """Run `work` as the gateway's command tree runs a command: observed, errors reported."""
    async with observed(exchange, bot.metrics):
        try:
            await work
        except Exception as error:  # the boundary where every failure is reported
            await report_error(exchange, error)


async def _click(
    bot: GuideBot, exchange: JsonExchange, data: dict[str, Any], message: dict[str, Any]
) -> None:
    """Answer a click on `message` by what its custom_id says (`bot.clicks`).

    One whose custom_id no codec reads (a message from an older version of the bot) is told so
    privately, rather than left for Discord to call failed.
    """
    custom_id = data.get("custom_id")
    click = custom_ids.decode(custom_id) if isinstance(custom_id, str) else None
    if click is None:
        action: clicks.Action = clicks.Send(
            replies.notice_reply("Out of date", OUT_OF_DATE), refused=True
        )
    else:
        values = [str(value) for value in data.get("values") or ()]
        clicker = clicks.Clicker(exchange.user_id, exchange.manage_messages)
        action = clicks.handle(click, values, clicker, bot.store.current)
    await bot.responder.act(exchange, action, message)


async def _complete(bot: GuideBot, exchange: JsonExchange, typed: str) -> None:
    choices = replies.choices(bot.store.current, typed)
    data = {"choices": [choice.to_dict() for choice in choices]}
    await exchange.respond({"type": AUTOCOMPLETE_RESULT, "data": data})


def _typed_query(data: dict[str, Any]) -> str | None:
    """Return what a learner is typing into a command's query option, if that is what this is."""
    option = QUERY_OPTIONS.get(data.get("name"))  # type: ignore[arg-type]
    for given in data.get("options") or ():
        if isinstance(given, dict) and given.get("focused"):
            value = given.get("value")
            if given.get("name") == option and isinstance(value, str):
                return value
            return None
    return None


_OPTION_TYPES: dict[discord.AppCommandOptionType, type] = {
    discord.AppCommandOptionType.string: str,
    discord.AppCommandOptionType.boolean: bool,
    discord.AppCommandOptionType.user: str,
}
"""The option types a learner's command has, and the JSON type of each one's value."""


def _command_options(bot: GuideBot, data: dict[str, Any]) -> CommandOptions | None:
    """Return a learner's command's options as the command tree would pass them, or None.

    Each option must be one the command declares, of its type, and one of its choices if it
    has any; a user option becomes a `Mention`, whether a bot read from `resolved`.
    """
    name = data.get("name")
    if not isinstance(name, str) or name not in replies.COMMANDS:
        return None
    if data.get("type", CHAT_INPUT) != CHAT_INPUT:
        return None
    command = bot.tree.get_command(name)
    if not isinstance(command, discord.app_commands.Command):
        return None
    resolved = (data.get("resolved") or {}).get("users") or {}
    options: dict[str, Any] = {}
    for given in data.get("options") or ():
        if not isinstance(given, dict):
            return None
        parameter = command.get_parameter(str(given.get("name")))
        value: Any = given.get("value")
        if (
            parameter is None
            or given.get("type") != parameter.type.value
            or not isinstance(value, _OPTION_TYPES.get(parameter.type, type(None)))
            or (parameter.choices and value not in {c.value for c in parameter.choices})
        ):
            return None
        if parameter.type is discord.AppCommandOptionType.user:
            if not (isinstance(value, str) and value.isdigit()):
                return None
            user = resolved.get(value) or {}
            value = Mention(int(value), bot=bool(user.get("bot")))
        options[parameter.name] = value
    return options
