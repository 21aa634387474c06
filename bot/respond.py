"""Sending replies: one response per interaction, inside Discord's deadline, errors told kindly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

import discord
from discord import app_commands

from bot import replies
from bot.clicks import Action, Choose, Delete, Edit, Send
from bot.cooldown import AnswerCooldown, Recent
from bot.metrics import Metrics
from bot.payload import build_view, message_kwargs, reply_of
from bot.recorder import Recorder
from bot.replies import Reply

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

    async def answer(
        self, interaction: discord.Interaction, build: Callable[[], Reply], *, hidden: bool
    ) -> None:
        """Build a reply and send it; off the event loop for a large guide, deferring if slow."""
        if self.guide_size is not None and self.guide_size() <= INLINE_BUILD_MAX_FRAMEWORKS:
            reply = build()
        else:
            reply = await self._build_in_thread(interaction, build, hidden=hidden)
        if reply.lookup is not None and self.recorder is not None:
            self.recorder.add(reply.lookup, guild_id=interaction.guild_id)
        await self.send(interaction, reply)

    async def _build_in_thread(
        self, interaction: discord.Interaction, build: Callable[[], Reply], *, hidden: bool
    ) -> Reply:
        """Build a reply in a worker thread; defer the interaction if it takes long."""
        work = asyncio.ensure_future(asyncio.to_thread(build))
        try:
            return await asyncio.wait_for(asyncio.shield(work), DEFER_AFTER_SECONDS)
        except TimeoutError:
            await interaction.response.defer(ephemeral=hidden, thinking=True)
            reply = await work
            if reply.ephemeral and not hidden:
                # The first followup takes the place of the public "thinking" message and stays
                # public; a private reply (a "did you mean") must not, so that message goes.
                await interaction.delete_original_response()
            return reply

    async def send(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Send `reply` as a new message, or point to the same answer posted moments ago.

        An answer pointed at someone always reaches them: within the cooldown, as a public
        pointer to the earlier answer that pings them alone.
        """
        channel = interaction.channel_id
        # With no cooldown there is nothing to claim, and no need to read back where the answer
        # went (over HTTP that is a request to Discord for every answer).
        cooling = self.cooldown.seconds > 0 and channel is not None
        topic = reply.topic if cooling and not reply.ephemeral else None
        if topic is not None and channel is not None:
            recent = await self.cooldown.claim(channel, topic)
            if recent is not None:
                mark(interaction, "cooldown")
                await self._post(interaction, _instead_of_repeating(reply, recent, interaction))
                await self._tell_note(interaction, reply)
                return
        if reply.not_found:
            mark(interaction, "not_found")
        try:
            message = await self._post(interaction, reply)
        except BaseException:
            if topic is not None and channel is not None:
                await self.cooldown.release(channel, topic)
            raise
        if topic is not None and channel is not None:
            if message is None:  # answered over HTTP, where Discord's callback names no message
                message = await _original_response(interaction)
            if message is not None:
                await self.cooldown.posted(channel, topic, message.jump_url, message.id)
            else:
                await self.cooldown.posted(channel, topic, None, None)
        if reply.expires and message is not None:
            self._expire_later(message.id, interaction, reply)
        await self._tell_note(interaction, reply)

    async def act(self, interaction: discord.Interaction, action: Action) -> None:
        """Carry out what a click handler decided."""
        match action:
            case Send(reply=reply, refused=refused):
                if refused:
                    mark(interaction, "refused")
                await self.send(interaction, reply)
            case Edit(reply=reply):
                await self.edit(interaction, reply)
            case Delete():
                await self.delete(interaction)
            case Choose(reply=reply, chosen=chosen):
                if interaction.message is not None:
                    shown = reply_of(interaction.message)
                    await self.edit(interaction, replies.chosen_reply(shown, chosen))
                await self.send(interaction, reply)

    async def edit(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Replace the message a component sits on with `reply`."""
        kwargs = message_kwargs(reply, edit=True)
        if interaction.response.is_done():
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.edit_message(**kwargs)
        if reply.expires and interaction.message is not None:
            self._expire_later(interaction.message.id, interaction, reply)

    async def delete(self, interaction: discord.Interaction) -> None:
        """Delete the message a component sits on."""
        await interaction.response.defer()
        await interaction.delete_original_response()
        if interaction.message is not None:
            expiry = self._expiries.pop(interaction.message.id, None)
            if expiry is not None:  # a walkthrough: nothing left to switch off
                expiry.cancel()
        if interaction.message is not None and interaction.channel_id is not None:
            await self.cooldown.deleted(interaction.channel_id, interaction.message.id)

    async def guarded(self, interaction: discord.Interaction, work: Awaitable[None]) -> None:
        """Run a click handler; any failure is logged and reported to the clicker."""
        async with observed(interaction, self.metrics):
            try:
                await work
            except Exception as error:  # the boundary where every failure is reported
                await report_error(interaction, error)

    def close(self) -> None:
        """Stop the pending walkthrough timeouts."""
        for handle in self._expiries.values():
            handle.cancel()
        self._expiries.clear()

    async def _tell_note(self, interaction: discord.Interaction, reply: Reply) -> None:
        if reply.note is not None and not reply.ephemeral:
            await self._post(interaction, replies.note_reply(reply.note))

    async def _post(
        self, interaction: discord.Interaction, reply: Reply
    ) -> discord.Message | _Posted | None:
        kwargs = message_kwargs(reply)
        if interaction.response.is_done():
            return await interaction.followup.send(**kwargs, ephemeral=reply.ephemeral, wait=True)
        response = await interaction.response.send_message(**kwargs, ephemeral=reply.ephemeral)
        if response is None or response.message_id is None:
            return None
        return _posted(interaction, response.message_id)

    def _expire_later(
        self, message_id: int, interaction: discord.Interaction, reply: Reply
    ) -> None:
        """Disable the message's components once the walkthrough timeout passes untouched."""
        if not self.expire_walkthroughs:
            return
        previous = self._expiries.pop(message_id, None)
        if previous is not None:
            previous.cancel()

        def expire() -> None:
            self._expiries.pop(message_id, None)
            task = asyncio.create_task(self._disable(interaction, reply))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop = asyncio.get_running_loop()
        self._expiries[message_id] = loop.call_later(self.walkthrough_timeout, expire)

    async def _disable(self, interaction: discord.Interaction, reply: Reply) -> None:
        disabled = replace(reply.disabled(), content=None)
        try:
            await interaction.edit_original_response(view=build_view(disabled))
        except discord.HTTPException as error:
            log.info("could not disable an expired walkthrough: %s", error)


@dataclass(frozen=True, slots=True)
class _Posted:
    """Where an answer went: all that the cooldown and a walkthrough's expiry need of it."""

    id: int
    jump_url: str


def _posted(interaction: discord.Interaction, message_id: int) -> _Posted | None:
    """Return where the answer `message_id` went, without discord.py parsing all of it.

    The link is the one `discord.Message.jump_url` gives: the channel's guild is the
    interaction's, and a DM's link says `@me`.
    """
    if interaction.channel_id is None:
        return None
    guild = interaction.guild_id or "@me"
    link = f"https://discord.com/channels/{guild}/{interaction.channel_id}/{message_id}"
    return _Posted(message_id, link)


async def _original_response(interaction: discord.Interaction) -> discord.Message | None:
    """Return the message the interaction's answer posted, read back from Discord, if it can be.

    The cooldown needs it to link to the answer, and to end when that message is deleted.
    """
    try:
        return await interaction.original_response()
    except discord.HTTPException as error:
        log.info("could not read back the answer to interaction %s: %s", interaction.id, error)
        return None


def _instead_of_repeating(reply: Reply, recent: Recent, interaction: discord.Interaction) -> Reply:
    """Return what to send instead of an answer posted in the channel moments ago."""
    if reply.mention is not None:
        if recent.jump_url is None:  # the first answer is still on its way: repeat it
            return reply
        return replies.pointer_reply(reply.mention, recent.jump_url, asker=interaction.user.id)
    where = f"[just above]({recent.jump_url})" if recent.jump_url else "just now"
    text = f"That answer was posted in this channel {where}."
    return replies.notice_reply("Already answered", text)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user, ephemerally, that their command failed; log the cause once.

    An interaction Discord no longer knows, or one already answered, cannot take a reply: that
    is logged as a warning with no retry, so a failure cannot snowball into a request storm.
    Nor is a reply sent after a 429 or a 5xx that discord.py already retried: it would take the
    same route that just failed, and Discord bans the IP of a bot that keeps collecting 429s.
    """
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    mark(interaction, "refused" if isinstance(error, app_commands.CheckFailure) else "error")
    if isinstance(error, discord.HTTPException) and error.code in (
        UNKNOWN_INTERACTION,
        ALREADY_ACKNOWLEDGED,
    ):
        log.warning("interaction %s could not be answered: %s", interaction.id, error.text)
        return
    if isinstance(error, discord.HTTPException) and (
        error.status == HTTPStatus.TOO_MANY_REQUESTS
        or error.status >= HTTPStatus.INTERNAL_SERVER_ERROR
    ):
        log.warning(
            "gave up on interaction %s: Discord answered %d %s",
            interaction.id,
            error.status,
            error.text or error.response.reason,
        )
        return
    message = user_message(error)
    if message == GENERIC_ERROR:
        log.error("command failed: %s", _describe(interaction), exc_info=error)
    await send_ephemeral(interaction, message)


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


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Send `text` to the user alone, through whichever channel the interaction still has."""
    embed = replies.notice_reply("Sorry", text).embeds[0]
    try:
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)
    except discord.HTTPException as error:
        log.warning("could not tell the user about an error: %s", error)


def mark(interaction: discord.Interaction, outcome: str) -> None:
    """Say how `interaction` went (one of `metrics.OUTCOMES`), if not `answered`; the last says."""
    interaction.extras[OUTCOME] = outcome


@contextlib.asynccontextmanager
async def observed(interaction: discord.Interaction, metrics: Metrics) -> AsyncIterator[None]:
    """Record the interaction handled inside: its outcome, response time and log line, once."""
    try:
        yield
    except BaseException:
        mark(interaction, "error")
        raise
    finally:
        command, query = _what_was_asked(interaction)
        outcome = interaction.extras.get(OUTCOME, "answered")
        metrics.record(interaction.id, command, outcome, query)


def _what_was_asked(interaction: discord.Interaction) -> tuple[str, str]:
    """Return the metric's command label and the normalized query, if any."""
    data: Any = interaction.data or {}
    if interaction.type is discord.InteractionType.component:
        return "component", ""
    options = {o.get("name"): o for o in data.get("options", []) if isinstance(o, dict)}
    if interaction.type is discord.InteractionType.autocomplete:
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


def _describe(interaction: discord.Interaction) -> str:
    data: Any = interaction.data or {}
    what = data.get("name") or data.get("custom_id") or interaction.type
    return f"{what} (interaction {interaction.id})"
