"""The Discord client: start-up, shards, extensions, command sync, the app-command error handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.config import Config
from bot.cooldown import Cooldown, LocalCooldown
from bot.insight_store import open_store
from bot.json_answers import JsonExchange, learner_answer
from bot.metrics import Health, Metrics
from bot.payload import NO_PINGS
from bot.recorder import Recorder
from bot.respond import Responder, observed, report_error
from bot.store import GuideStore

if TYPE_CHECKING:
    from bot.redis_cooldown import RedisCooldown

log = logging.getLogger(__name__)

CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
WITH_RESPONSE = {"with_response": "1"}
"""The callback's query that has Discord answer with the message posted, as discord.py asks."""
EXTENSIONS = (
    "bot.cogs.frameworks",
    "bot.cogs.resources",
    "bot.cogs.getting_started",
    "bot.cogs.admin",
)


class GuideTree(app_commands.CommandTree["GuideBot"]):
    """Command tree whose errors reach the user as a short ephemeral message."""

    async def _call(self, interaction: discord.Interaction[GuideBot]) -> None:
        """Run a command or autocomplete, errors included, as one observed interaction."""
        async with observed(interaction, self.client.metrics):
            try:
                await super()._call(interaction)
            except app_commands.AppCommandError as error:
                await self.on_error(interaction, error)

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Log the failure and tell the user, without a traceback."""
        await report_error(interaction, error)


class GuideBot(commands.AutoShardedBot):
    """guidebot: answers slash commands from the guide it was started with.

    It serves the gateway shards `config.shard_ids` of `config.shard_count`: by default all of
    as many as Discord recommends, so one process serves the whole application.
    """

    user: discord.ClientUser

    def __init__(self, config: Config, store: GuideStore) -> None:
        _quiet_irrelevant_warnings()
        self.metrics = Metrics()
        sharding: dict[str, Any] = {"shard_count": config.shard_count}
        if config.shard_ids:  # none means all; discord.py's stubs take only a list
            sharding["shard_ids"] = list(config.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            # Slash commands need no gateway intents at all: no privileged ones, no member
            # list, no message cache.
            intents=discord.Intents.none(),
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
            chunk_guilds_at_startup=False,
            allowed_mentions=NO_PINGS,
            tree_cls=GuideTree,
            **sharding,
        )
        self.config = config
        self.store = store
        self.recorder = (
            Recorder(
                open_store(config.insight_url),
                retention_days=config.insight_retention_days,
                on_dropped=self.metrics.insight_dropped.inc,
            )
            if config.insight_url
            else None
        )
        """Records lookups for guide insight; None when [insight] url is empty."""
        self.shared_cooldown = (
            _redis_cooldown().connect(
                config.redis_url,
                config.cooldown_seconds,
                prefix=config.redis_key_prefix,
                on_failure=self.metrics.redis_failures.inc,
            )
            if config.redis_url
            else None
        )
        """The answer cooldown shared through Redis; None keeps it in this process."""
        self.responder = Responder(
            self.shared_cooldown or LocalCooldown(Cooldown(config.cooldown_seconds)),
            walkthrough_timeout=config.walkthrough_timeout_seconds,
            recorder=self.recorder,
            metrics=self.metrics,
            guide_size=lambda: len(store.current.guide.frameworks),
        )
        self.reload_lock = asyncio.Lock()
        self._answering: set[asyncio.Task[None]] = set()
        """Learners' interactions being answered (the event loop keeps only weak references to
        tasks)."""
        parsers = self._connection.parsers  # the gateway's handler of each event, by name
        self._parse_interaction = parsers["INTERACTION_CREATE"]
        parsers["INTERACTION_CREATE"] = self._interaction_create
        self.shards_ready: set[int] = set()
        """The shards whose gateway session is up: READY or RESUMED, and no disconnect since."""
        self.metrics.guide_frameworks.set_function(lambda: len(store.current.guide.frameworks))
        self.metrics.gateway_latency.set_function(lambda: self.latency)

    async def setup_hook(self) -> None:
        """Load the cogs; sync to the dev server when one is configured."""
        if self.recorder is not None:
            self.recorder.start()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        guild_id = self.config.dev_guild_id
        if guild_id is not None:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the dev server %s", len(synced), guild_id)

    @property
    def shards_served(self) -> tuple[int, ...]:
        """The shards this process serves; empty until the count is known (at connect)."""
        return tuple(self.shard_ids or range(self.shard_count or 0))

    async def connect(self, *, reconnect: bool = True) -> None:
        """Ask Discord for the gateway and the shard count it recommends, then open the shards.

        The HTTP endpoint logs in without ever calling this: it has no gateway connection.
        """
        async_context.set(_TimedAdapter(self.metrics))  # inherited by the shards' tasks
        recommended, url, _limits = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        if self.shard_count is None:
            self.shard_count = recommended
        log.info(
            "serving shard%s %s of %d (Discord recommends %d)%s",
            "s" if len(self.shards_served) != 1 else "",
            ", ".join(map(str, self.shards_served)),
            self.shard_count,
            recommended,
            _cooldown_note(self.config),
        )
        await super().connect(reconnect=reconnect)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Note the arrival of each interaction discord.py parsed, before any handler runs."""
        if event_name == "interaction":
            interaction: discord.Interaction = args[0]
            self.metrics.received(interaction.id)
        super().dispatch(event_name, *args, **kwargs)

    def _interaction_create(self, data: dict[str, Any]) -> None:
        """Answer a learner's command, autocomplete or click from its JSON; else, discord.py.

        discord.py's parsing of the whole interaction (and of a click's message) and of the
        answer would cost more than the answer itself (`bot.json_answers`).
        """
        answering = learner_answer(self, data, _Callback)
        if answering is None:
            self._parse_interaction(data)
            return
        self.metrics.received(int(data["id"]))
        self._answer_in_background(answering)

    def _answer_in_background(self, answering: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(answering)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    def health(self) -> Health:
        """Return what /healthz reports."""
        snapshot = self.store.current
        served = self.shards_served
        ready = [shard for shard in served if shard in self.shards_ready]
        return Health(
            connected=bool(served) and len(ready) == len(served),
            shards_ready=len(ready),
            shard_count=len(served),
            shards={str(shard): shard in self.shards_ready for shard in served},
            guide_version=snapshot.version,
            frameworks=len(snapshot.guide.frameworks),
        )

    async def on_shard_ready(self, shard_id: int) -> None:
        """Count the shard as up."""
        self.shards_ready.add(shard_id)
        log.info("shard %d is ready", shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """Count the shard as up again after a drop."""
        self.shards_ready.add(shard_id)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """Count the shard as down; discord.py reconnects it on its own."""
        self.shards_ready.discard(shard_id)

    async def on_ready(self) -> None:
        """Log who we are once every shard is connected."""
        log.info(
            "connected as %s (%s), serving guide version %s with %d frameworks",
            self.user,
            self.user.id,
            self.store.current.version,
            len(self.store.current.guide.frameworks),
        )

    async def close(self) -> None:
        """Stop pending timers, write the lookups still queued, then disconnect."""
        self.responder.close()
        if self.recorder is not None:
            await self.recorder.close()
        await super().close()
        if self.shared_cooldown is not None:
            await self.shared_cooldown.close()


class _Callback(JsonExchange):
    """An interaction from the gateway answered from its JSON: its response is the callback."""

    async def _send_response(self, body: dict[str, Any], *, locate: bool) -> int | None:
        """POST the callback.

        Discord answers a callback with the message it posted only when asked (`with_response`),
        as discord.py always does: that answer, a card's 2-3 KB of embed and components, is read
        and parsed only when the message's id is wanted (`locate`), a sixth of an answer's CPU
        otherwise (bench/e2e.py).
        """
        route = Route("POST", CALLBACK_ROUTE, webhook_id=self.id, webhook_token=self.token)
        response = await async_context.get().request(
            route, payload=body, params=WITH_RESPONSE if locate else None, **self.session()
        )
        answered = response.get("interaction") if isinstance(response, dict) else None
        message_id = answered.get("response_message_id") if isinstance(answered, dict) else None
        return int(message_id) if message_id is not None else None


class _TimedAdapter(AsyncWebhookAdapter):
    """discord.py's interaction webhook adapter, noting its callbacks as first responses.

    An interaction discord.py answers (an admin command, an option the command tree refused) gets
    exactly one callback (answer or defer), always its first response, so it is where the
    response time ends; one answered from its JSON notes its own (`JsonExchange.respond`). (An
    aiohttp trace on the client's session would see them too, but costs every request a dozen
    signal calls.)
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # discord.py leaves it unannotated
        self._metrics = metrics

    async def create_interaction_response(
        self, interaction_id: int, token: str, **kwargs: Any
    ) -> Any:
        """Send the callback as discord.py does; once Discord took it, note the time.

        The message the callback posted or edited is dropped from Discord's reply before
        discord.py would parse it whole into a `Message` (an answer's card is 2-3 KB of embed
        and components): guidebot needs only its id, which the reply also names.
        """
        response = await super().create_interaction_response(interaction_id, token, **kwargs)
        self._metrics.responded(int(interaction_id))
        resource = response.get("resource") if isinstance(response, dict) else None
        if isinstance(resource, dict):
            resource.pop("message", None)
        return response


def _cooldown_note(config: Config) -> str:
    """Say where the answer cooldown lives, naming the Redis without its password."""
    if not config.redis_url:
        return ""
    where = urlsplit(config.redis_url)
    host = f"{where.hostname}:{where.port or 6379}" if where.hostname else where.path
    return f"; the answer cooldown is shared through Redis at {host}"


def _quiet_irrelevant_warnings() -> None:
    """Silence start-up warnings about features guidebot does without on purpose.

    It never joins voice, and it keeps no guild state (interactions carry all it needs), so
    discord.py's warnings about voice libraries and the guilds intent would only worry moderators.
    """
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    logging.getLogger("discord.state").addFilter(_not_about_guilds_intent)


def _not_about_guilds_intent(record: logging.LogRecord) -> bool:
    return "Guilds intent seems to be disabled" not in record.getMessage()


def _redis_cooldown() -> type[RedisCooldown]:
    """Return the Redis-shared cooldown, imported only by a bot configured to use one.

    redis-py costs a bot without it 6.5 MiB of memory and 40 ms of start-up (bench/e2e.py).
    """
    from bot.redis_cooldown import RedisCooldown

    return RedisCooldown
