"""The gateway baseline: a bare discord.py bot answering one slash command with a fixed embed.

It is what anyone would write first with discord.py's documented idioms, and starts and connects
exactly as guidebot does against the emulator (the API base from `GUIDEBOT_API_BASE`, the gateway
URL from `GET /gateway/bot`, no intents, commands synced to `BENCH_GUILD_ID`). `bench.e2e` runs it
as `python -m bench.bare_bot` and measures it beside guidebot in the same run.
"""

from __future__ import annotations

import asyncio
import os
import signal

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

EMBED = discord.Embed(
    title="Django",
    description="A high-level Python web framework that encourages rapid development.",
)


class BareBot(discord.Client):
    """One slash command, one fixed embed."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        self.tree = app_commands.CommandTree(self)

        @self.tree.command(name="framework", description="Show a framework's card.")
        async def framework(interaction: discord.Interaction, name: str | None = None) -> None:
            await interaction.response.send_message(embed=EMBED)

    async def setup_hook(self) -> None:
        _shards, url, _limits = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        guild = discord.Object(int(os.environ["BENCH_GUILD_ID"]))
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


async def main() -> None:
    discord.http.Route.BASE = os.environ["GUIDEBOT_API_BASE"]
    bot = BareBot()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.create_task(bot.close()))
    async with bot:
        await bot.start(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    asyncio.run(main())
