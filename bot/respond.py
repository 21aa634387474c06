"""Sending replies: one response per interaction, inside Discord's deadline, errors told kindly."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot import replies
from bot.clicks import Action, Choose, Delete, Edit, Send
from bot.cooldown import AnswerCooldown, Recent
from bot.metrics import Metrics
from bot.payload import build_view, message_kwargs, reply_of
from bot.recorder import Recorder
from bot.replies import CommandOptions, Reply
from bot.store import Snapshot

if TYPE_CHECKING:
    from bot.json_answers import JsonExchange

log = logging.getLogger(__name__)

DEFER_AFTER_SECONDS = 2.0
"""Discord drops an interaction not answered within 3 s; past 2 s of work, defer first."""
INLINE_BUILD_MAX_FRAMEWORKS = 10_000
"""Up to this many frameworks answers are built on the event loop: a hop to a worker thread
costs more CPU than the build itself (0.25 ms an answer, bench/e2e.py and bench/bot.py). At
10,000 an answer builds in about 0.1 ms, a fuzzy miss in well under a millisecond, and the
slowest, a whole language's list of 1,700 frameworks, in about 5 ms. A larger guide's answers
are built in a thread, so a slow one can be deferred."""
UNKNOWN_INTERACTION = 10062
ALREADY_ACKNOWLEDGED = 40060
GENERIC_ERROR = "Something went wrong on our side; it has been logged."
PERMISSION_NAMES = {"manage_guild": "Manage Server", "view_channel": "View Channels"}
"""Permissions whose name in Discord's own interface is not their API name in title case."""
OUTCOME = "guidebot.outcome"
"""The key in `Interaction.extras` where the code that answers says how it went."""
QUERY_OPTIONS = {"framework": "name", "resources": "framework"}
"""The option of each command whose value is the learner's query, for the log line."""
MAX_LOGGED_QUERY = 100
COMPONENT = discord.InteractionType.component.value
AUTOCOMPLETE = discord.InteractionType.autocomplete.value


@dataclass(frozen=True, slots=True)
class Posted:
    """Where an answer went: all that the cooldown and a walkthrough's expiry need of it."""

    id: int
    jump_url: str


class Exchange(abc.ABC):
    """One interaction as the responder answers it, whichever adapter received it.

    The responder decides what to send; an exchange knows how to send it. Learners'
    interactions, clicks included, are answered from their own JSON with callback JSON, in
    either adapter (`bot.json_answers`); the rest, which discord.py parses, through a
    `discord.Interaction` (`GatewayExchange`).
    """

    id: int
    type: int
    """Discord's interaction type: 2 a command, 3 a component, 4 an autocomplete."""
    data: Mapping[str, Any]
    """The interaction's `data`, as Discord sent it."""
    channel_id: int | None
    guild_id: int | None
    user_id: int

    @property
    @abc.abstractmethod
    def outcome(self) -> str:
        """How the interaction went, one of `metrics.OUTCOMES`: `answered` unless marked."""

    @abc.abstractmethod
    def mark(self, outcome: str) -> None:
        """Say how the interaction went, if not `answered`; the last mark says."""

    @abc.abstractmethod
    def is_done(self) -> bool:
        """Whether the interaction has had its one response (an answer or a defer)."""

    @abc.abstractmethod
    async def post(self, reply: Reply, *, locate: bool = False) -> Posted | None:
        """Send `reply`: as the response, or as a followup once there is one.

        Returns where it went, when Discord says so: with `locate`, ask it to, where that costs
        more (a gateway callback's answer then carries the whole message).
        """

    @abc.abstractmethod
    async def defer(self, *, hidden: bool) -> None:
        """Respond with "thinking", publicly or to the asker alone; the answer follows up."""

    @abc.abstractmethod
    async def delete_original(self) -> None:
        """Delete the response's message."""

    @abc.abstractmethod
    async def original(self) -> Posted | None:
        """Return where the response's message is, read back from Discord."""

    @abc.abstractmethod
    async def show_components(self, reply: Reply) -> None:
        """Give the response's message `reply`'s components, nothing else changed."""


class GatewayExchange(Exchange):
    """An interaction as discord.py parsed it from the gateway, answered through discord.py."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.id = interaction.id
        self.type = interaction.type.value
        self.data = interaction.data or {}
        self.channel_id = interaction.channel_id
        self.guild_id = interaction.guild_id
        self.user_id = interaction.user.id

    @property
    def outcome(self) -> str:
        """How the interaction went, kept in `Interaction.extras` for every handler to see."""
        outcome: str = self.interaction.extras.get(OUTCOME, "answered")
        return outcome

    def mark(self, outcome: str) -> None:
        """Say how the interaction went, in `Interaction.extras` where every handler sees it."""
        self.interaction.extras[OUTCOME] = outcome

    def is_done(self) -> bool:
        """Whether discord.py has sent the interaction's response."""
        return self.interaction.response.is_done()

    async def post(self, reply: Reply, *, locate: bool = False) -> Posted | None:
        """Send `reply` as the response, or as a followup (discord.py always locates it)."""
        interaction = self.interaction
        kwargs = message_kwargs(reply)
        if interaction.response.is_done():
            message = await interaction.followup.send(
                **kwargs, ephemeral=reply.ephemeral, wait=True
            )
            return Posted(message.id, message.jump_url)
        response = await interaction.response.send_message(**kwargs, ephemeral=reply.ephemeral)
        if response is None or response.message_id is None:
            return None
        return _posted(interaction, response.message_id)

    async def defer(self, *, hidden: bool) -> None:
        """Respond with "thinking"."""
        await self.interaction.response.defer(ephemeral=hidden, thinking=True)

    async def delete_original(self) -> None:
        """Delete the response's message."""
        await self.interaction.delete_original_response()

    async def original(self) -> Posted | None:
        """Read the response's message back, if Discord still has it."""
        interaction = self.interaction
        try:
            message = await interaction.original_response()
        except discord.HTTPException as error:
            log.info("could not read back the answer to interaction %s: %s", self.id, error)
            return None
        return Posted(message.id, message.jump_url)

    async def show_components(self, reply: Reply) -> None:
        """Replace the response's message's components."""
        await self.interaction.edit_original_response(view=build_view(reply))


def exchange_of(interaction: discord.Interaction | Exchange) -> Exchange:
    """Return `interaction` as an exchange: the gateway's, unless it is one already."""
    if isinstance(interaction, Exchange):
        return interaction
    return GatewayExchange(interaction)


class Responder:
    """Sends replies for cogs and click handlers, with the cooldown and walkthrough timeouts."""

    def __init__(
        self,
        cooldown: AnswerCooldown,
        *,
        walkthrough_timeout: float,
        recorder: Recorder | None = None,
        metrics: Metrics | None = None,
        guide_size: Callable[[], int] | None = None,
    ) -> None:
        self.cooldown = cooldown
        self.guide_size = guide_size
        """How many frameworks the guide served now has; None builds every answer in a thread."""
        self.metrics = metrics or Metrics()
        self.walkthrough_timeout = walkthrough_timeout
        self.recorder = recorder
        """Where lookups are recorded for guide insight; None records nothing."""
        self.expire_walkthroughs = True
        """Off in the HTTP endpoint: with several workers, none sees every click of a message,
        so none can tell when it went untouched; a walkthrough stays usable instead."""
        self._expiries: dict[int, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def command(
        self,
        interaction: discord.Interaction | Exchange,
        snapshot: Snapshot,
        command: str,
        options: CommandOptions,
    ) -> None:
        """Answer a learner's slash command from its parsed options, as every adapter does."""
        exchange = exchange_of(interaction)
        await self.answer(
            exchange,
            lambda: replies.command_reply(snapshot, command, options, asker=exchange.user_id),
            hidden=bool(options.get("hide")),
        )

    async def answer(
        self,
        interaction: discord.Interaction | Exchange,
        build: Callable[[], Reply],
        *,
        hidden: bool,
    ) -> None:
        """Build a reply and send it; off the event loop for a large guide, deferring if slow."""
        exchange = exchange_of(interaction)
        if self.guide_size is not None and self.guide_size() <= INLINE_BUILD_MAX_FRAMEWORKS:
            reply = build()
        else:
            reply = await self._build_in_thread(exchange, build, hidden=hidden)
        if reply.lookup is not None and self.recorder is not None:
            self.recorder.add(reply.lookup, guild_id=exchange.guild_id)
        await self.send(exchange, reply)

    async def _build_in_thread(
        self, exchange: Exchange, build: Callable[[], Reply], *, hidden: bool
    ) -> Reply:
        """Build a reply in a worker thread; defer the interaction if it takes long."""
        work = asyncio.ensure_future(asyncio.to_thread(build))
        try:
            return await asyncio.wait_for(asyncio.shield(work), DEFER_AFTER_SECONDS)
        except TimeoutError:
            await exchange.defer(hidden=hidden)
            reply = await work
            if reply.ephemeral and not hidden:
                # The first followup takes the place of the public "thinking" message and stays
                # public; a private reply (a "did you mean") must not, so that message goes.
                await exchange.delete_original()
            return reply

    async def send(self, interaction: discord.Interaction | Exchange, reply: Reply) -> None:
        """Send `reply` as a new message, or point to the same answer posted moments ago.

        An answer pointed at someone always reaches them: within the cooldown, as a public
        pointer to the earlier answer that pings them alone.
        """
        exchange = exchange_of(interaction)
        channel = exchange.channel_id
        # With no cooldown there is nothing to claim, and no need to read back where the answer
        # went (over HTTP that is a request to Discord for every answer).
        cooling = self.cooldown.seconds > 0 and channel is not None
        topic = reply.topic if cooling and not reply.ephemeral else None
        if topic is not None and channel is not None:
            recent = await self.cooldown.claim(channel, topic)
            if recent is not None:
                exchange.mark("cooldown")
                await exchange.post(_instead_of_repeating(reply, recent, exchange.user_id))
                await self._tell_note(exchange, reply)
                return
        if reply.not_found:
            exchange.mark("not_found")
        try:
            posted = await exchange.post(reply, locate=topic is not None or reply.expires)
        except BaseException:
            if topic is not None and channel is not None:
                await self.cooldown.release(channel, topic)
            raise
        if topic is not None and channel is not None:
            if posted is None:  # answered over HTTP, where Discord's callback names no message
                posted = await exchange.original()
            if posted is not None:
                await self.cooldown.posted(channel, topic, posted.jump_url, posted.id)
            else:
                await self.cooldown.posted(channel, topic, None, None)
        if reply.expires and posted is not None:
            self._expire_later(posted.id, exchange, reply)
        await self._tell_note(exchange, reply)

    async def act(self, exchange: JsonExchange, action: Action, message: Mapping[str, Any]) -> None:
        """Carry out what a click handler decided about a click on `message`, as Discord sent it."""
        match action:
            case Send(reply=reply, refused=refused):
                if refused:
                    exchange.mark("refused")
                await self.send(exchange, reply)
            case Edit(reply=reply):
                await self.edit(exchange, reply)
            case Delete():
                await self.delete(exchange)
            case Choose(reply=reply, chosen=chosen):
                await self.edit(exchange, replies.chosen_reply(reply_of(message), chosen))
                await self.send(exchange, reply)

    async def edit(self, exchange: JsonExchange, reply: Reply) -> None:
        """Replace the message a component sits on with `reply`."""
        await exchange.update(reply)
        if reply.expires and exchange.message_id is not None:
            self._expire_later(exchange.message_id, exchange, reply)

    async def delete(self, exchange: JsonExchange) -> None:
        """Delete the message a component sits on."""
        await exchange.acknowledge()
        await exchange.delete_original()
        message_id = exchange.message_id
        if message_id is None:
            return
        expiry = self._expiries.pop(message_id, None)
        if expiry is not None:  # a walkthrough: nothing left to switch off
            expiry.cancel()
        if exchange.channel_id is not None:
            await self.cooldown.deleted(exchange.channel_id, message_id)

    def close(self) -> None:
        """Stop the pending walkthrough timeouts."""
        for handle in self._expiries.values():
            handle.cancel()
        self._expiries.clear()

    async def _tell_note(self, exchange: Exchange, reply: Reply) -> None:
        if reply.note is not None and not reply.ephemeral:
            await exchange.post(replies.note_reply(reply.note))

    def _expire_later(self, message_id: int, exchange: Exchange, reply: Reply) -> None:
        """Disable the message's components once the walkthrough timeout passes untouched."""
        if not self.expire_walkthroughs:
            return
        previous = self._expiries.pop(message_id, None)
        if previous is not None:
            previous.cancel()

        def expire() -> None:
            self._expiries.pop(message_id, None)
            task = asyncio.create_task(self._disable(exchange, reply))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop = asyncio.get_running_loop()
        self._expiries[message_id] = loop.call_later(self.walkthrough_timeout, expire)

    async def _disable(self, exchange: Exchange, reply: Reply) -> None:
        try:
            await exchange.show_components(reply.disabled())
        except discord.HTTPException as error:
            log.info("could not disable an expired walkthrough: %s", error)


def _posted(interaction: discord.Interaction, message_id: int) -> Posted | None:
    """Return where the answer `message_id` went, without discord.py parsing all of it."""
    if interaction.channel_id is None:
        return None
    link = jump_url(interaction.guild_id, interaction.channel_id, message_id)
    return Posted(message_id, link)


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    """Return the link to a message, as `discord.Message.jump_url` gives it (`@me` in a DM)."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


def _instead_of_repeating(reply: Reply, recent: Recent, asker: int) -> Reply:
    """Return what to send instead of an answer posted in the channel moments ago."""
    if reply.mention is not None:
        if recent.jump_url is None:  # the first answer is still on its way: repeat it
            return reply
        return replies.pointer_reply(reply.mention, recent.jump_url, asker=asker)
    where = f"[just above]({recent.jump_url})" if recent.jump_url else "just now"
    text = f"That answer was posted in this channel {where}."
    return replies.notice_reply("Already answered", text)


async def report_error(interaction: discord.Interaction | Exchange, error: BaseException) -> None:
    """Tell the user, ephemerally, that their command failed; log the cause once.

    An interaction Discord no longer knows, or one already answered, cannot take a reply: that
    is logged as a warning with no retry, so a failure cannot snowball into a request storm.
    Nor is a reply sent after a 429 or a 5xx that discord.py already retried: it would take the
    same route that just failed, and Discord bans the IP of a bot that keeps collecting 429s.
    """
    exchange = exchange_of(interaction)
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    exchange.mark("refused" if isinstance(error, app_commands.CheckFailure) else "error")
    if isinstance(error, discord.HTTPException) and error.code in (
        UNKNOWN_INTERACTION,
        ALREADY_ACKNOWLEDGED,
    ):
        log.warning("interaction %s could not be answered: %s", exchange.id, error.text)
        return
    if isinstance(error, discord.HTTPException) and (
        error.status == HTTPStatus.TOO_MANY_REQUESTS
        or error.status >= HTTPStatus.INTERNAL_SERVER_ERROR
    ):
        log.warning(
            "gave up on interaction %s: Discord answered %d %s",
            exchange.id,
            error.status,
            error.text or error.response.reason,
        )
        return
    message = user_message(error)
    if message == GENERIC_ERROR:
        log.error("command failed: %s", _describe(exchange), exc_info=error)
    await send_ephemeral(exchange, message)


def user_message(error: BaseException) -> str:
    """Return the sentence a user sees for `error`; never a traceback."""
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(
            PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
        )
        return f"You need the {needed} permission for that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return "Discord sent an option value I could not read; please try the command again."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    return GENERIC_ERROR


async def send_ephemeral(interaction: discord.Interaction | Exchange, text: str) -> None:
    """Send `text` to the user alone, through whichever channel the interaction still has."""
    try:
        await exchange_of(interaction).post(replies.notice_reply("Sorry", text))
    except discord.HTTPException as error:
        log.warning("could not tell the user about an error: %s", error)


@contextlib.asynccontextmanager
async def observed(
    interaction: discord.Interaction | Exchange, metrics: Metrics
) -> AsyncIterator[None]:
    """Record the interaction handled inside: its outcome, response time and log line, once."""
    exchange = exchange_of(interaction)
    try:
        yield
    except BaseException:
        exchange.mark("error")
        raise
    finally:
        command, query = _what_was_asked(exchange)
        metrics.record(exchange.id, command, exchange.outcome, query)


def _what_was_asked(exchange: Exchange) -> tuple[str, str]:
    """Return the metric's command label and the normalized query, if any."""
    data = exchange.data
    if exchange.type == COMPONENT:
        return "component", ""
    options = {o.get("name"): o for o in data.get("options", []) if isinstance(o, dict)}
    if exchange.type == AUTOCOMPLETE:
        focused = next((o for o in options.values() if o.get("focused")), {})
        return "autocomplete", _normalized(focused.get("value"))
    name = str(data.get("name", ""))
    option = QUERY_OPTIONS.get(name)
    return name, _normalized(options.get(option, {}).get("value")) if option else ""


def _normalized(value: object) -> str:
    if not isinstance(value, str):
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.split())[:MAX_LOGGED_QUERY]


def _describe(exchange: Exchange) -> str:
    data = exchange.data
    what = data.get("name") or data.get("custom_id") or f"type {exchange.type}"
    return f"{what} (interaction {exchange.id})"
