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
from discord.state import AutoShardedConnectionState
from discord.webhook.async_ import (
    AsyncWebhookAdapter,
    async_context,
    interaction_response_params,
)

from bot.config import Config
from bot.cooldown import Cooldown, LocalCooldown
from bot.insight_store import open_store
from bot.json_answers import JsonExchange, learner_answer
from bot.metrics import Health, Metrics
from bot.payload import NO_PINGS
from bot.recorder import Recorder
from bot.respond import Responder, observed, report_error
from bot.store import GuideStore
from bot.views import answer_click

if TYPE_CHECKING:
    from bot.redis_cooldown import RedisCooldown

log = logging.getLogger(__name__)

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
        """Clicks and autocompletes being answered (the event loop keeps only weak references
        to tasks)."""
        parsers = self._connection.parsers  # the gateway's handler of each event, by name
        self._parse_interaction = parsers["INTERACTION_CREATE"]
        parsers["INTERACTION_CREATE"] = self._interaction_create
        self.shards_ready: set[int] = set()
        """The shards whose gateway session is up: READY or RESUMED, and no disconnect since."""
        self.metrics.guide_frameworks.set_function(lambda: len(store.current.guide.frameworks))
        self.metrics.gateway_latency.set_function(lambda: self.latency)

    def _get_state(self, **options: Any) -> AutoShardedConnectionState[GuideBot]:
        """discord.py's connection state, with clicked messages parsed only when read."""
        return _GuideState(
            dispatch=self.dispatch,
            handlers=self._handlers,
            hooks=self._hooks,
            http=self.http,
            **options,
        )

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
        """Note each interaction's arrival before any handler runs; answer clicks.

        A click is routed by its custom_id (`bot.views`), not by discord.py's view store.
        """
        if event_name == "interaction":
            interaction: discord.Interaction = args[0]
            self.metrics.received(interaction.id)
            if interaction.type is discord.InteractionType.component:
                answering = answer_click(interaction)
                if answering is not None:
                    task = self._answer_in_background(answering)
                    message = interaction.message
                    if isinstance(message, _ClickedMessage):
                        task.add_done_callback(lambda _task: message.release())
        super().dispatch(event_name, *args, **kwargs)

    def _interaction_create(self, data: dict[str, Any]) -> None:
        """Answer a learner's autocomplete from its JSON; give anything else to discord.py.

        Each keystroke is an autocomplete, and discord.py's parsing of the whole interaction
        and of its choices would cost more than the answer (`bot.json_answers`).
        """
        answering = learner_answer(self, data, _Callback, commands=False)
        if answering is None:
            self._parse_interaction(data)
            return
        self.metrics.received(int(data["id"]))
        self._answer_in_background(answering)

    def _answer_in_background(self, answering: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(answering)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)
        return task

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


class _GuideState(AutoShardedConnectionState["GuideBot"]):
    """discord.py's connection state, but a click's message is parsed only if read beyond its id.

    A component interaction carries the whole message the component sits on (a walkthrough's
    is about 3 KB: an embed and five rows of components), which discord.py parses into a
    `Message` before any handler runs, a tenth of a click's CPU (bench/e2e.py). Answering a
    click needs only its id, except for the rare one that reads the message back
    (`payload.reply_of`), so the message is kept as JSON until then.
    """

    def parse_interaction_create(self, data: Any) -> None:
        """Dispatch an interaction as discord.py does; a click's message stays unparsed."""
        raw = data.get("message")
        if data["type"] != discord.InteractionType.component.value or raw is None:
            super().parse_interaction_create(data)
            return
        rest: Any = {key: value for key, value in data.items() if key != "message"}
        interaction: discord.Interaction[GuideBot] = discord.Interaction(data=rest, state=self)
        interaction.message = _ClickedMessage(
            state=self, channel=interaction.channel, data=raw, guild=interaction.guild
        )
        inner = data["data"]
        self._view_store.dispatch_view(inner["component_type"], inner["custom_id"], interaction)
        self.dispatch("interaction", interaction)


class _ClickedMessage(discord.Message):
    """A `discord.Message` whose id is read at once and the rest only when first asked for.

    Reading any other attribute parses the JSON as `discord.Message` does, once; until then the
    unset slots raise AttributeError, which lands in `__getattr__`. The guild is the
    interaction's when the channel names none, as discord.py's `Interaction` sets it.

    Once its click is answered, the message is released: the JSON, if still unparsed, is let go,
    and only the id, channel and guild remain. Nothing reads more of a clicked message after its
    answer (a walkthrough's expiry keeps the interaction for minutes, only to edit its response),
    and the JSON takes twice the memory of the parsed message; read afterwards, the rest raises
    AttributeError saying so.
    """

    __slots__ = ("_unparsed",)

    def __init__(
        self,
        *,
        state: Any,
        channel: Any,
        data: Any,
        guild: discord.Guild | None,
    ) -> None:
        # No Message.__init__ yet: that is the parse this class puts off.
        self._state = state
        self.channel = channel
        self.id = int(data["id"])
        self.guild = guild
        self._unparsed: Any = data
        """The message's JSON until parsed; None once parsed; `_RELEASED` once let go unread."""

    def release(self) -> None:
        """Let the JSON go if it was never parsed: the click has been answered."""
        if self._unparsed is not None:
            self._unparsed = _RELEASED

    def __getattr__(self, name: str) -> Any:
        data = self._unparsed if name != "_unparsed" else None
        if data is None:  # parsed already: an attribute Message never set
            raise AttributeError(name)
        if data is _RELEASED:
            raise AttributeError(f"{name}: a clicked message is kept whole only until answered")
        self._unparsed = None
        guild = self.guild
        discord.Message.__init__(self, state=self._state, channel=self.channel, data=data)
        if guild is not None and self.guild is None:
            self.guild = guild
        return getattr(self, name)


_RELEASED: Any = object()
"""What a `_ClickedMessage` holds in the place of JSON it let go unparsed."""


class _Callback(JsonExchange):
    """An interaction from the gateway answered from its JSON: its response is the callback."""

    async def _send_response(self, body: dict[str, Any]) -> None:
        params = interaction_response_params(body["type"], body.get("data"))
        await async_context.get().create_interaction_response(
            self.id, self.token, params=params, **self.session()
        )


class _TimedAdapter(AsyncWebhookAdapter):
    """discord.py's interaction webhook adapter, noting each callback as the first response.

    Every interaction gets exactly one callback (answer, defer or autocomplete choices), and it
    is always its first response, so it is where the response time ends. (An aiohttp trace on
    the client's session would see it too, but costs every request a dozen signal calls.)
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
