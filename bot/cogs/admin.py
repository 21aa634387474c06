"""/guide reload and /guide status for admins, and the optional reload on file change."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render, replies
from bot.store import GuideStore, Reload

log = logging.getLogger(__name__)

PROBLEMS_SHOWN = 15
"""Problems listed in a failed reload's reply; the log has them all."""


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Admin(commands.GroupCog, group_name="guide"):
    """Manage the guide the bot serves."""

    def __init__(
        self, store: GuideStore, lock: asyncio.Lock, *, watch_seconds: float | None
    ) -> None:
        self.store = store
        self.lock = lock
        self.watch_seconds = watch_seconds
        super().__init__()

    async def cog_load(self) -> None:
        """Start watching the guide file, when configured."""
        if self.watch_seconds:
            self.watch.change_interval(seconds=self.watch_seconds)
            self.watch.start()

    async def cog_unload(self) -> None:
        """Stop watching the guide file."""
        self.watch.cancel()

    @app_commands.command(name="reload")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reload(self, interaction: discord.Interaction) -> None:
        """Reload the guide file; a broken file keeps the current guide serving."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self._reload()
        await interaction.followup.send(embed=_report(result, self.store).embeds[0], ephemeral=True)

    @app_commands.command(name="status")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        """Show which guide is being served."""
        snapshot = self.store.current
        text = (
            f"**{snapshot.guide.title}**, version {snapshot.version} since start-up\n"
            f"{len(snapshot.guide.frameworks)} frameworks from `{self.store.path.name}`"
        )
        reply = replies.notice_reply("Guide status", text)
        await interaction.response.send_message(embeds=list(reply.embeds), ephemeral=True)

    @tasks.loop(seconds=2)
    async def watch(self) -> None:
        """Reload the guide when its file changes on disk."""
        if self.store.changed_on_disk():
            await self._reload()

    async def _reload(self) -> Reload:
        # Parsing a large guide takes a while: off the event loop, one reload at a time.
        async with self.lock:
            return await asyncio.to_thread(self.store.reload)


def _report(result: Reload, store: GuideStore) -> replies.Reply:
    if result.error is None:
        assert result.diff is not None  # noqa: S101 - a successful reload always has a diff
        version = store.current.version
        return replies.notice_reply(
            "Guide reloaded", f"Version {version}: {result.diff.summary()}."
        )
    problems = [str(p) for p in result.error.problems]
    version = store.current.version
    head = f"Still serving version {version}. Fix these and reload:\n```\n"
    # Whole problems only, as many as fit with the count of the rest and the closing fence.
    budget = render.EMBED_DESCRIPTION_LIMIT - len(head + _more(len(problems)) + "\n```")
    shown: list[str] = []
    for problem in problems[:PROBLEMS_SHOWN]:
        line = problem if shown else render.truncate(problem, budget)
        if len("\n".join([*shown, line])) > budget:
            break
        shown.append(line)
    tail = _more(len(problems) - len(shown)) if len(shown) < len(problems) else ""
    text = head + "\n".join(shown) + tail + "\n```"
    return replies.notice_reply("Reload failed", text)


def _more(count: int) -> str:
    return f"\n… and {count} more (see the log)"


async def setup(bot: commands.Bot) -> None:
    """Load the Admin cog."""
    config = bot.config  # type: ignore[attr-defined]
    watch = config.watch_interval_seconds if config.watch_guide else None
    await bot.add_cog(Admin(bot.store, bot.reload_lock, watch_seconds=watch))  # type: ignore[attr-defined]
