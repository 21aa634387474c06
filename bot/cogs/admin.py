"""/guide reload, status and gaps for admins, and the optional reload on file change."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import insight, replies
from bot.bot import GuideBot
from bot.insight_store import InsightError, InsightStore
from bot.metrics import Metrics
from bot.store import GuideStore, Reload, ReloadCause

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Admin(commands.GroupCog, group_name="guide"):
    """Manage the guide the bot serves."""

    def __init__(
        self,
        store: GuideStore,
        lock: asyncio.Lock,
        *,
        watch_seconds: float | None,
        lookups: InsightStore | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.lock = lock
        self.metrics = metrics or Metrics()
        self.watch_seconds = watch_seconds
        self.lookups = lookups
        """The recorded lookups that /guide gaps reports on; None when recording is off."""
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
        result = await self._reload("command")
        reply = replies.reload_reply(result, self.store)
        await interaction.followup.send(embeds=list(reply.embeds), ephemeral=True)

    @app_commands.command(name="status")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        """Show which guide is being served, and the last failed reload if any."""
        reply = replies.status_reply(self.store)
        await interaction.response.send_message(embeds=list(reply.embeds), ephemeral=True)

    @app_commands.command(name="gaps")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def gaps(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, insight.MAX_DAYS] = insight.DEFAULT_DAYS,
    ) -> None:
        """Show what learners here looked for and did not find, and what they asked most.

        Args:
            days: How many days back to look (30 if not given).
        """
        guild_id = interaction.guild_id
        if self.lookups is None or guild_id is None:  # guild_only: a server's, never everyone's
            text = "Lookups are not recorded: `[insight] url` is empty in the bot's config."
            reply = replies.notice_reply("Insight is off", text)
            await interaction.response.send_message(embeds=list(reply.embeds), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            gaps = await self.lookups.report(
                days=days, guild_id=guild_id, limit=insight.DEFAULT_LIMIT
            )
        except InsightError as error:
            log.warning("/guide gaps: %s", error)
            text = "The database of recorded lookups did not answer; the bot's log says why."
            reply = replies.notice_reply("Insight unavailable", text)
        else:
            reply = replies.gaps_reply(self.store.current, gaps, days=days)
        await interaction.followup.send(embeds=list(reply.embeds), ephemeral=True)

    @tasks.loop()  # every watch_seconds: cog_load sets the interval before it starts
    async def watch(self) -> None:
        """Reload the guide when its file changes on disk."""
        if self.store.changed_on_disk():
            await self._reload("file watcher")

    async def _reload(self, by: ReloadCause) -> Reload:
        # Parsing a large guide takes a while: off the event loop, one reload at a time.
        async with self.lock:
            result = await asyncio.to_thread(self.store.reload, by)
        self.metrics.reloaded(ok=result.error is None)
        return result


async def setup(bot: GuideBot) -> None:
    """Load the Admin cog."""
    config = bot.config
    watch = config.watch_interval_seconds if config.watch_guide else None
    recorder = bot.recorder
    lookups = recorder.store if recorder is not None else None
    store, lock, metrics = bot.store, bot.reload_lock, bot.metrics
    await bot.add_cog(Admin(store, lock, watch_seconds=watch, lookups=lookups, metrics=metrics))
