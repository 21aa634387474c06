"""GuideBot's connection state: a click's message is parsed only when read, and reads the same."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot import replies
from bot.bot import GuideBot
from bot.config import Config
from bot.payload import callback_body
from bot.store import GuideStore
from bot.walkthrough import Walkthrough
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.payloads import message as message_payload


@contextlib.asynccontextmanager
async def logged_in_as(emu: DiscordEmulator) -> AsyncIterator[GuideBot]:
    """Yield a bot on the shipped guide that knows itself as the emulator's bot user."""
    async with GuideBot(Config(), GuideStore.open(SHIPPED_GUIDE)) as bot:
        bot._connection.user = discord.ClientUser(state=bot._connection, data=emu.bot_user)
        yield bot


def clicked(bot: GuideBot, payload: dict[str, Any]) -> discord.Interaction:
    """Return the interaction the bot's connection state dispatches for `payload`."""
    seen: list[discord.Interaction] = []
    state: Any = bot._connection
    state.dispatch = lambda event, *args: seen.extend(args if event == "interaction" else ())
    bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    assert len(seen) == 1
    return seen[0]


def walkthrough_click(emu: DiscordEmulator) -> dict[str, Any]:
    """A click on Next of a posted walkthrough: a message of an embed and rows of components."""
    store = GuideStore.open(SHIPPED_GUIDE)
    reply = replies.walkthrough_reply(Walkthrough(store.current.guide), owner=1, ephemeral=False)
    posted = message_payload(
        message_id=emu.snowflake(),
        channel_id=emu.channel_id,
        author=emu.bot_user,
        body=callback_body(reply)["data"],
    )
    custom_id = posted["components"][0]["components"][0]["custom_id"]
    return emu.build_component(posted, {"custom_id": custom_id, "component_type": 2})


def slots(message: discord.Message) -> dict[str, str]:
    names = {name for cls in type(message).__mro__ for name in getattr(cls, "__slots__", ())}
    names -= {"_unparsed", "_state", "channel", "guild", "author", "embeds"}  # compared apart
    return {name: repr(getattr(message, name, None)) for name in sorted(names)}


def test_a_clicked_message_reads_as_discord_py_parses_it_once_read():
    emu = DiscordEmulator()
    payload = walkthrough_click(emu)

    async def scenario() -> None:
        async with logged_in_as(emu) as bot:
            interaction = clicked(bot, payload)
            whole = discord.Interaction(data=payload, state=bot._connection).message
            message = interaction.message
            assert isinstance(message, discord.Message)
            assert whole is not None
            assert message.id == whole.id == int(payload["message"]["id"])
            assert message._unparsed is not None  # type: ignore[attr-defined]  # id alone parses nothing
            assert slots(message) == slots(whole)
            assert message._unparsed is None  # type: ignore[attr-defined]
            assert message.guild is not None
            assert message.guild.id == whole.guild.id == interaction.guild_id  # type: ignore[union-attr]
            assert [row.to_dict() for row in message.components] == [
                row.to_dict() for row in whole.components
            ]
            assert [embed.to_dict() for embed in message.embeds] == [
                embed.to_dict() for embed in whole.embeds
            ]
            assert message.author.id == whole.author.id

    asyncio.run(scenario())


def test_a_clicked_message_unread_when_answered_keeps_only_its_id_channel_and_guild():
    emu = DiscordEmulator()
    payload = walkthrough_click(emu)

    async def scenario() -> None:
        async with logged_in_as(emu) as bot:
            message: Any = clicked(bot, payload).message
            message.release()
            assert message.id == int(payload["message"]["id"])
            assert message.guild is not None
            assert message.channel is not None
            with pytest.raises(AttributeError, match="only until answered"):
                _ = message.embeds

            read: Any = clicked(bot, payload).message
            assert read.embeds  # read while answering: parsed, and kept
            read.release()
            assert read.embeds

    asyncio.run(scenario())
