"""A minimal discord.py bot that talks to the emulator the way guidebot must.

It proves the emulator against real discord.py traffic before guidebot exists, and shows the
contract the real bot meets:
- `GUIDEBOT_API_BASE` replaces `discord.http.Route.BASE` before anything is requested;
- the gateway URL comes from `GET /gateway/bot`, because discord.py's plain `Client` never asks
  for it and connects to `DiscordWebSocket.DEFAULT_GATEWAY` (and goes back there after an
  INVALID_SESSION), so that class attribute is what has to change;
- `allowed_mentions=AllowedMentions.none()` on the client, so every message carries it;
- SIGTERM closes the client (the gateway sees a clean 1000 close).

Run as `python -m tests.emulator.stub_bot --config PATH` (reads `[discord] dev_guild_id`), or build
`StubBot` in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import signal
import tomllib
from pathlib import Path
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

API_BASE_ENV = "GUIDEBOT_API_BASE"
TOKEN_ENV = "DISCORD_TOKEN"
WORDS = tuple(f"word{number:02d}" for number in range(40))

log = logging.getLogger(__name__)


def use_api_base(api_base: str) -> None:
    """Point discord.py's REST client at `api_base` (must run before the client is used)."""
    discord.http.Route.BASE = api_base.rstrip("/")


async def use_gateway_of(client: discord.Client) -> None:
    """Point discord.py's gateway at the URL `GET /gateway/bot` gives (call in setup_hook)."""
    _shards, url, _limits = await client.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


class PingView(discord.ui.View):
    """A button that edits the message, a link button, and a select."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.add_item(discord.ui.Button(label="Docs", url="https://example.com/docs"))

    @discord.ui.button(label="Again", custom_id="stub:again", style=discord.ButtonStyle.primary)
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Edit the message in place and drop the view."""
        await interaction.response.edit_message(embed=discord.Embed(title="Pong again"), view=None)

    @discord.ui.select(
        custom_id="stub:pick",
        options=[discord.SelectOption(label=f"Option {n}", value=str(n)) for n in range(3)],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        """Say what was picked."""
        await interaction.response.edit_message(content=f"picked {select.values[0]}")


class ExpiringView(discord.ui.View):
    """A button that nobody clicks: on timeout the message is edited to say so."""

    def __init__(self, interaction: discord.Interaction, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.interaction = interaction

    @discord.ui.button(label="Wait", custom_id="stub:wait")
    async def wait_(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Nothing to do."""
        await interaction.response.defer()

    async def on_timeout(self) -> None:
        """Drop the button from the original response."""
        await self.interaction.edit_original_response(content="expired", view=None)


class AskModal(discord.ui.Modal, title="Ask"):
    """One text input; the answer quotes it."""

    question = discord.ui.TextInput(label="Question", custom_id="stub:question")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Quote the question back."""
        await interaction.response.send_message(f"you asked: {self.question.value}")


class StubBot(discord.Client):
    """Commands that exercise each route the emulator serves, one or two each."""

    def __init__(
        self, *, guild_id: int | None, use_emulated_gateway: bool = True, **options: Any
    ) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.guild_id = guild_id
        self.use_emulated_gateway = use_emulated_gateway
        self.tree = app_commands.CommandTree(self)
        self.errors: list[BaseException] = []
        self._add_commands()

    async def setup_hook(self) -> None:
        """Find the gateway, then sync the commands to the dev guild."""
        if self.use_emulated_gateway:
            await use_gateway_of(self)
        if self.guild_id is not None:
            guild = discord.Object(self.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify again at once: discord.py waits 5 s, for a limit the emulator does not have."""

    def _add_commands(self) -> None:
        tree = self.tree

        @tree.command()
        async def ping(interaction: discord.Interaction) -> None:
            """Answer with an embed and buttons."""
            embed = discord.Embed(title="Pong", description="The emulator answers.")
            await interaction.response.send_message(embed=embed, view=PingView())

        @tree.command()
        @app_commands.describe(text="What to say back")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            """Say the text back, privately."""
            await interaction.response.send_message(text, ephemeral=True)

        @echo.autocomplete("text")
        async def echo_autocomplete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=word, value=word)
                for word in WORDS
                if word.startswith(current)
            ][:25]

        @tree.command()
        async def whois(interaction: discord.Interaction, user: discord.User) -> None:
            """Name a user."""
            await interaction.response.send_message(f"{user.name} ({user.id})")

        @tree.command()
        async def later(interaction: discord.Interaction) -> None:
            """Think first, then answer with a followup."""
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done thinking")

        @tree.command()
        async def slow(interaction: discord.Interaction, seconds: float) -> None:
            """Answer after a delay (to miss the deadline on purpose)."""
            await asyncio.sleep(seconds)
            await interaction.response.send_message("finally")

        @tree.command()
        async def file(interaction: discord.Interaction) -> None:
            """Answer with an attached file (a multipart callback)."""
            upload = discord.File(io.BytesIO(b"hello"), filename="hello.txt", description="Hi")
            await interaction.response.send_message("see file", file=upload)

        @tree.command()
        async def edit(interaction: discord.Interaction) -> None:
            """Edit the answer, then send and delete a followup."""
            await interaction.response.send_message("first")
            await interaction.edit_original_response(content="second")
            extra = await interaction.followup.send("extra", wait=True)
            await extra.delete()

        @tree.command()
        async def post(interaction: discord.Interaction) -> None:
            """Post in the channel, then edit and delete that message."""
            await interaction.response.send_message("posting", ephemeral=True)
            assert isinstance(interaction.channel, discord.TextChannel)
            posted = await interaction.channel.send("hello")
            await posted.edit(content="hello!")
            await posted.delete()

        @tree.command()
        async def expire(interaction: discord.Interaction, seconds: float) -> None:
            """Send a button that times out."""
            await interaction.response.send_message(
                "wait", view=ExpiringView(interaction, timeout=seconds)
            )

        @tree.command()
        async def ask(interaction: discord.Interaction) -> None:
            """Open a modal."""
            await interaction.response.send_modal(AskModal())

        @tree.error
        async def on_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            self.errors.append(getattr(error, "original", error))
            log.warning("command failed: %r", error)


def main() -> None:
    """Run the stub bot against `GUIDEBOT_API_BASE` until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args()
    config = tomllib.loads(args.config.read_text(encoding="utf-8"))
    guild_id = config.get("discord", {}).get("dev_guild_id")
    api_base = os.environ.get(API_BASE_ENV)
    if api_base:
        use_api_base(api_base)
    discord.utils.setup_logging(level=logging.INFO)
    asyncio.run(_run(StubBot(guild_id=guild_id, use_emulated_gateway=bool(api_base))))


async def _run(client: StubBot) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(client.close()))
    async with client:
        await client.start(os.environ[TOKEN_ENV])


if __name__ == "__main__":
    main()
