"""An emulator of Discord's REST API and gateway on loopback, for end-to-end tests of the bot.

`DiscordEmulator` runs an aiohttp server on 127.0.0.1 inside the test's event loop. The bot is
pointed at it (`GUIDEBOT_API_BASE` for REST; the gateway URL from `GET /gateway/bot`) and the test
drives it as a user would: `await emu.slash("framework", {"name": "flask"})` sends an
INTERACTION_CREATE and returns once the bot has answered. Every request is recorded, checked
against Discord's OpenAPI description and documented limits (`emu.violations()`), and can be
failed on purpose (`emu.rate_limit(...)`, `emu.gateway.close(4009)`...).

Build the emulator anywhere, start it inside the loop (`async with emu:`); its records outlive
the loop, so a fixture can assert on them after `asyncio.run` returns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web
from nacl.signing import SigningKey

from tests.emulator import payloads
from tests.emulator.endpoint import Endpoint
from tests.emulator.gateway import DEFAULT_HEARTBEAT_INTERVAL_MS, Gateway
from tests.emulator.payloads import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    MEMBER_PERMISSIONS,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
)
from tests.emulator.records import (
    Fault,
    InteractionResult,
    InteractionState,
    RecordedRequest,
    Violation,
)
from tests.emulator.rest import API_PREFIX, RestApi
from tests.emulator.validation import SpecValidator

RESPONSE_DEADLINE_SECONDS = 3.0
"""Discord's time limit for the first response to an interaction."""
POLL_SECONDS = 0.05
"""How often `wait_until` re-checks a condition when the emulator itself saw no change."""
TOKEN_LIFETIME_SECONDS = 15 * 60.0
"""How long an interaction token stays valid for followups and edits."""

_OPTION_TYPES = {3: "string", 4: "integer", 5: "boolean", 6: "user", 7: "channel", 8: "role"}

Pattern = str | Callable[[RecordedRequest], bool]


class EmulatorTimeoutError(AssertionError):
    """The bot did not do what a test waited for in time."""


class DiscordEmulator:
    """Discord's REST API and gateway on 127.0.0.1, recording and checking what the bot does.

    Args:
        token: the bot token the emulator accepts; a fake one by default.
        response_deadline: seconds the bot has for the first response to an interaction.
        token_lifetime: seconds an interaction token stays valid for followups.
        heartbeat_interval_ms: the interval announced in HELLO.
        reject_invalid: answer bodies that break the spec or a limit with 400 (code 50035), as
            Discord would; they are listed in `violations()` either way.
        spec_path: another openapi.json (default: the copy in `tests/emulator/discord-api-spec/`).
        shards: the shard count `GET /gateway/bot` recommends.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        response_deadline: float = RESPONSE_DEADLINE_SECONDS,
        token_lifetime: float = TOKEN_LIFETIME_SECONDS,
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        reject_invalid: bool = True,
        spec_path: Path | None = None,
        shards: int = 1,
    ) -> None:
        self.snowflake = payloads.SnowflakeFactory()
        self.application_id = self.snowflake()
        self.token = token or _fake_token(self.application_id)
        self.application_flags = (1 << 19) | (1 << 23)
        """GATEWAY_MESSAGE_CONTENT_LIMITED and APPLICATION_COMMAND_BADGE, as a new bot has."""
        self.bot_user = payloads.user(self.application_id, "guidebot", bot=True)
        self.owner = payloads.user(self.snowflake(), "owner")
        self.guild_id = self.snowflake()
        self.servers = [self.guild_id]
        """Every server the bot is in: READY lists those of the session's shard, as Discord does."""
        self.channel_id = self.snowflake()
        self.user = self.make_user("learner")
        """The user who interacts when a helper is given no `user`."""
        self.response_deadline = response_deadline
        self.token_lifetime = token_lifetime
        self.reject_invalid = reject_invalid
        self.validator = SpecValidator.shared(spec_path)
        self.signing_key = SigningKey.generate()
        """The application's Ed25519 key: interactions sent to an endpoint are signed with it."""
        self.endpoint: Endpoint | None = None
        """The bot's HTTP interactions endpoint, once `use_endpoint` is called."""
        self._endpoints: list[Endpoint] = []
        self.gateway = Gateway(self, heartbeat_interval_ms)
        self.gateway.recommended_shards = shards
        self.rest = RestApi(self)

        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict[str, Any]] = {}
        """Stored messages by ID, as Discord would return them now."""
        self.deleted_messages: dict[str, dict[str, Any]] = {}
        self.interactions: dict[str, InteractionState] = {}
        self.faults: list[Fault] = []
        self.command_syncs: list[tuple[str | None, list[str]]] = []
        """Each successful bulk overwrite: (guild ID or None for global, command names)."""
        self.command_store: dict[str | None, dict[tuple[int, str], dict[str, Any]]] = {}
        """Registered commands by guild ID (None: global), then by (type, name)."""
        self.message_places: dict[str, tuple[str | None, str]] = {}
        """Where each stored message is: (guild ID or None for a DM, channel ID)."""
        self._violations: list[Violation] = []
        self._changed: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # --- Lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on 127.0.0.1 on a free port."""
        self._changed = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle_stray)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close the gateway connections and stop serving; the records stay."""
        if self._runner is None:
            return
        for endpoint in self._endpoints:
            await endpoint.close()
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        if self.port is None:
            raise RuntimeError("the emulator is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for `GUIDEBOT_API_BASE` (and `discord.http.Route.BASE`)."""
        return self.base_url + API_PREFIX

    @property
    def public_key(self) -> str:
        """The application's public key, as the developer portal shows it (64 hex characters)."""
        return self.signing_key.verify_key.encode().hex()

    def use_endpoint(self, url: str) -> Endpoint:
        """From now on, deliver interactions by POSTing them to `url`, not over the gateway."""
        if self.endpoint is None or self.endpoint.url != url:
            self.endpoint = Endpoint(self, url)
            self._endpoints.append(self.endpoint)
        return self.endpoint

    @property
    def gateway_url(self) -> str:
        """The websocket URL `GET /gateway/bot` returns."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- Waiting ----------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every waiter to re-check its condition (called on each recorded change)."""
        if self._changed is not None:
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    async def wait_until(
        self, predicate: Callable[[], Any], *, timeout: float = 5.0, what: str = "a condition"
    ) -> Any:
        """Wait until `predicate()` is truthy and return its value.

        Raises:
            EmulatorTimeoutError: not within `timeout` seconds; the message lists recent traffic.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    value = predicate()
                    if value:
                        return value
                    assert self._changed is not None, "the emulator is not started"
                    # Wake on the emulator's next change, or soon anyway: the predicate may
                    # also look at state outside the emulator (the bot's own records).
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(POLL_SECONDS):
                            await self._changed.wait()
        except TimeoutError:
            raise EmulatorTimeoutError(
                f"timed out after {timeout:g}s waiting for {what}\n{self.describe_recent()}"
            ) from None

    async def wait_ready(
        self,
        timeout: float = 10.0,
        *,
        synced: bool = False,
        shards: Sequence[int] = (),
        since: tuple[int, int] = (0, 0),
    ) -> None:
        """Wait until the bot has identified and been sent READY (and synced commands, if asked).

        Args:
            timeout: seconds to wait.
            synced: also wait for a command sync.
            shards: wait for a READY on each of these shards (default: any one READY).
            since: `ready_mark()` taken before the bot started: count only what came after.
        """
        readies, syncs = since

        def ready() -> bool:
            sent = self.gateway.ready_shards[readies:]
            shards_ready = set(shards) <= set(sent) if shards else bool(sent)
            return shards_ready and (not synced or len(self.command_syncs) > syncs)

        what = "READY" + (f" on shards {sorted(shards)}" if shards else "")
        what += " and a command sync" if synced else ""
        await self.wait_until(ready, timeout=timeout, what=what)

    def ready_mark(self) -> tuple[int, int]:
        """Return how many READYs and command syncs there were, for `wait_ready(since=...)`."""
        return len(self.gateway.ready_shards), len(self.command_syncs)

    async def wait_for_request(
        self, pattern: Pattern, *, timeout: float = 5.0, since: int | None = None
    ) -> RecordedRequest:
        """Wait for the next answered request matching `pattern` (see `RecordedRequest.matches`).

        Args:
            pattern: `"PATCH /webhooks/*/messages/@original"` or a predicate.
            timeout: seconds to wait.
            since: index in `requests` to search from. The default, only requests arriving
                after the call, misses one the bot made already: take `len(emu.requests)`
                before the action that causes it and pass that.
        """
        start = len(self.requests) if since is None else since

        def found() -> RecordedRequest | None:
            for request in self.requests[start:]:
                if request.done and request.matches(pattern):
                    return request
            return None

        return await self.wait_until(found, timeout=timeout, what=f"a request matching {pattern!r}")

    def describe_recent(self, count: int = 12) -> str:
        """Return the last requests and gateway events, for failure messages."""
        lines = ["recent requests:"]
        lines += [f"  {request}" for request in self.requests[-count:]] or ["  (none)"]
        gateway = self.gateway
        lines.append(
            f"gateway: {len(gateway.connections)} connection(s), {len(gateway.identifies)} "
            f"identify, {len(gateway.resumes)} resume, connected={gateway.connected}"
        )
        return "\n".join(lines)

    # --- Violations -------------------------------------------------------------------------

    def violate(self, kind: str, message: str, request: RecordedRequest | None = None) -> None:
        """Record a violation (used by the emulator's parts and by the harness)."""
        where = f"{request.endpoint} (#{request.index}): " if request is not None else ""
        self._violations.append(
            Violation(kind, where + message, None if request is None else request.index)
        )

    def violations(self) -> list[str]:
        """Return every distinct violation so far, in order; empty when the bot behaved.

        Besides what requests broke, this counts each interaction the bot never answered once
        its deadline has passed (or the emulator has stopped).
        """
        found = [str(violation) for violation in self._violations]
        found += [self._unanswered_message(state) for state in self._unanswered()]
        return list(dict.fromkeys(found))

    def take_violations(self) -> list[str]:
        """Return the violations and forget them (for tests that provoke some on purpose)."""
        found = self.violations()
        self._violations.clear()
        for state in self._unanswered():
            state.reported = True
        return found

    def _unanswered(self) -> list[InteractionState]:
        now = time.monotonic()
        return [
            state
            for state in self.interactions.values()
            if state.acknowledged is None
            and not state.reported
            and (self._runner is None or now - state.sent_at > self.response_deadline)
        ]

    @staticmethod
    def _unanswered_message(state: InteractionState) -> str:
        data = state.payload.get("data", {})
        name = data.get("name") or data.get("custom_id", "?")
        return f"[protocol] interaction {name!r} ({state.id}) was never answered"

    # --- Fault injection --------------------------------------------------------------------

    def fault(self, pattern: Pattern, **options: Any) -> Fault:
        """Add a `Fault` for requests matching `pattern`; faults apply in the order added."""
        fault = Fault(pattern=pattern, **options)
        self.faults.append(fault)
        return fault

    def rate_limit(
        self,
        pattern: Pattern,
        *,
        times: int | None = 1,
        retry_after: float = 0.2,
        is_global: bool = False,
        via: bool = True,
    ) -> Fault:
        """Answer the next `times` matching requests with 429, as Discord's rate limiter does."""
        return self.fault(
            pattern,
            status=429,
            times=times,
            retry_after=retry_after,
            is_global=is_global,
            via=via,
        )

    def server_error(
        self, pattern: Pattern, *, status: int = 500, times: int | None = 1, processed: bool = False
    ) -> Fault:
        """Answer the next `times` matching requests with `status` (500, 502, 503...).

        With `processed`, the request takes effect first and only the answer is an error.
        """
        return self.fault(pattern, status=status, times=times, processed=processed)

    def delay(self, pattern: Pattern, seconds: float, *, times: int | None = 1) -> Fault:
        """Hold the next `times` matching requests for `seconds` before answering normally."""
        return self.fault(pattern, delay=seconds, times=times)

    def take_fault(self, request: RecordedRequest) -> Fault | None:
        """Return the first live fault matching `request`, counting the hit (REST side)."""
        for fault in self.faults:
            if not fault.exhausted and request.matches(fault.pattern):
                fault.hits += 1
                return fault
        return None

    # --- Users, commands, messages ----------------------------------------------------------

    def make_guild(self, *, shard: int = 0, shard_count: int = 1) -> str:
        """Return a new server ID whose events go to `shard` of `shard_count` (Discord's rule)."""
        snowflake = int(self.snowflake())
        ms = snowflake >> 22
        ms += (shard - ms) % shard_count
        return str((ms << 22) | (snowflake & ((1 << 22) - 1)))

    def make_user(self, username: str) -> dict[str, Any]:
        """Return a new (non-bot) user, for `user=` and user options."""
        return payloads.user(self.snowflake(), username)

    def commands(self, guild_id: str | None = None) -> list[dict[str, Any]]:
        """Return the registered commands: global ones, or those of `guild_id`."""
        return list(self.command_store.get(guild_id, {}).values())

    def command(self, name: str, *, guild_id: str | None = None) -> dict[str, Any]:
        """Return the chat-input command `name` as the bot registered it.

        Looks in `guild_id`'s commands first (the emulator's guild by default), then globally.

        Raises:
            LookupError: the bot registered no such command.
        """
        for scope in (guild_id or self.guild_id, None):
            found = self.command_store.get(scope, {}).get((1, name))
            if found is not None:
                return found
        names = sorted(
            f"{entry['name']}" + (f" (guild {scope})" if scope else "")
            for scope, entries in self.command_store.items()
            for entry in entries.values()
        )
        raise LookupError(f"no registered command {name!r}; registered: {names or 'none'}")

    def message(self, message: Mapping[str, Any] | str) -> dict[str, Any]:
        """Return the stored message with that ID (or with the ID of the message given).

        Raises:
            LookupError: no such message (never created, or deleted).
        """
        message_id = message if isinstance(message, str) else str(message["id"])
        try:
            return self.messages[message_id]
        except KeyError:
            raise LookupError(f"no stored message {message_id}") from None

    # --- Driving the bot --------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> int:
        """Send a gateway DISPATCH event to the bot; returns its sequence number.

        It goes to the shard that serves `data`'s server, or to `shard` when given.
        """
        seq = await self.gateway.dispatch(event, data, shard=shard)
        self.notify()
        return seq

    async def send_interaction(
        self,
        payload: dict[str, Any],
        *,
        wait_connected: float | None = 10.0,
        shard: int | None = None,
    ) -> InteractionResult:
        """Dispatch INTERACTION_CREATE with `payload` and return without waiting for the answer.

        With an endpoint in use (`use_endpoint`), POST it there instead.

        Args:
            payload: the interaction (see `build_slash`, `build_component`).
            wait_connected: first wait up to this many seconds for the bot to hold a valid,
                connected session (a user cannot reach an offline bot). None sends at once;
                while disconnected the event then waits in the session for a RESUME to replay.
            shard: send it on this shard's session instead of the one that serves its server.
        """
        if self.endpoint is not None:
            state = InteractionState(payload=payload, sent_at=time.monotonic())
            self.interactions[state.id] = state
            self.endpoint.deliver(state)
            return InteractionResult(self, state)
        if wait_connected is not None:
            guild_id = payload.get("guild_id")
            await self.wait_until(
                lambda: self.gateway.serving(guild_id, shard),
                timeout=wait_connected,
                what=f"the bot to be connected to the gateway for server {guild_id}",
            )
        state = InteractionState(payload=payload, sent_at=time.monotonic())
        self.interactions[state.id] = state
        await self.dispatch("INTERACTION_CREATE", payload, shard=shard)
        return InteractionResult(self, state)

    async def interact(
        self, payload: dict[str, Any], *, timeout: float = 5.0, shard: int | None = None
    ) -> InteractionResult:
        """Dispatch INTERACTION_CREATE and wait until the bot's callback settles.

        Settles means: accepted, or rejected with a status discord.py does not retry. A 429 or
        5xx is retried by discord.py, so waiting goes on.

        Raises:
            EmulatorTimeoutError: no settled callback within `timeout`.
        """
        result = await self.send_interaction(payload, shard=shard)
        await self.wait_answer(result, timeout=timeout)
        return result

    async def wait_answer(self, result: InteractionResult, *, timeout: float = 5.0) -> None:
        """Wait until the callback of `result`'s interaction settles."""
        await self.wait_until(
            lambda: result.callback is not None,
            timeout=timeout,
            what=f"the bot to answer interaction {result.name!r} ({result.id})",
        )

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Mapping[str, Any] | None = None,
        guild_id: str | None = None,
        channel_id: str | None = None,
        dm: bool = False,
        subcommand: str | None = None,
        permissions: int = MEMBER_PERMISSIONS,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Run the slash command `name` as a user would, and wait for the bot's answer.

        Args:
            name: a command the bot registered (in the guild, or globally).
            options: option values by name; a user option takes a user from `make_user`.
            user: who runs it (default: `self.user`).
            guild_id: the guild (default: the emulator's guild); ignored when `dm`.
            channel_id: the channel (default: the emulator's channel).
            dm: run it in a DM with the bot instead (only global commands exist there).
            subcommand: `"sub"` or `"group sub"` to run a subcommand.
            permissions: the member's permissions in the channel.
            locale: the user's client locale.
            timeout: seconds to wait for the answer.
        """
        payload = self.build_slash(
            name,
            options,
            user=user,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            subcommand=subcommand,
            permissions=permissions,
            locale=locale,
        )
        return await self.interact(payload, timeout=timeout)

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        user: Mapping[str, Any] | None = None,
        guild_id: str | None = None,
        channel_id: str | None = None,
        dm: bool = False,
        subcommand: str | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Type into option `focused` of command `name` and wait for the bot's choices.

        `options` holds what is typed so far (the focused option's partial text included; it
        defaults to an empty string). The choices are in `result.choices`.
        """
        payload = self.build_slash(
            name,
            options,
            user=user,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=dm,
            subcommand=subcommand,
            locale=locale,
            focused=focused,
        )
        return await self.interact(payload, timeout=timeout)

    async def click(
        self,
        message: Mapping[str, Any] | str,
        custom_id: str,
        *,
        user: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Click the button `custom_id` on a message the bot sent, and wait for its answer.

        Raises:
            LookupError: the message has no component with that custom_id.
            ValueError: it is not a clickable button (a link button, disabled, or a select).
        """
        stored = self.message(message)
        self._check_can_see(stored, user)
        component = self._component(stored, custom_id)
        if component.get("type") != 2:
            raise ValueError(f"{custom_id!r} is a component of type {component.get('type')}")
        if component.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled")
        payload = self.build_component(
            stored, {"custom_id": custom_id, "component_type": 2}, user=user
        )
        return await self.interact(payload, timeout=timeout)

    async def select(
        self,
        message: Mapping[str, Any] | str,
        custom_id: str,
        values: Sequence[str],
        *,
        user: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Pick `values` in the string select `custom_id` of a message, and wait for the answer.

        Raises:
            LookupError: the message has no component with that custom_id.
            ValueError: not a string select, disabled, or values a user could not pick.
        """
        stored = self.message(message)
        self._check_can_see(stored, user)
        component = self._component(stored, custom_id)
        if component.get("type") != 3:
            raise ValueError(f"{custom_id!r} is not a string select")
        if component.get("disabled"):
            raise ValueError(f"select {custom_id!r} is disabled")
        offered = [option["value"] for option in component.get("options", [])]
        unknown = [value for value in values if value not in offered]
        if unknown:
            raise ValueError(f"{unknown} are not options of {custom_id!r}: {offered}")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"{custom_id!r} takes {low}-{high} values, not {len(values)}")
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        payload = self.build_component(stored, data, user=user)
        return await self.interact(payload, timeout=timeout)

    async def submit_modal(
        self,
        result: InteractionResult,
        values: Mapping[str, str],
        *,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Fill in and submit the modal the bot answered `result` with (type-9 callback).

        Args:
            result: the interaction whose answer was a modal.
            values: text-input values by custom_id.
            timeout: seconds to wait for the answer to the submission.
        """
        modal = result.state.modal
        if modal is None:
            raise ValueError(f"interaction {result.name!r} was not answered with a modal")
        unknown = set(values) - {
            component.get("custom_id")
            for component in payloads.walk_components(modal["components"])
        }
        if unknown:
            raise LookupError(f"the modal has no text input {sorted(unknown)}")
        # Discord answers in the modal's own layout: action rows hold `components`, labels
        # (type 18) hold one `component`.
        rows = []
        for row in modal.get("components", []):
            if row.get("type") == 18:
                rows.append({"type": 18, "component": _submitted(row["component"], values)})
            else:
                children = [_submitted(child, values) for child in row.get("components", [])]
                rows.append({"type": row.get("type", 1), "components": children})
        source = result.payload
        payload = self._interaction_base(
            MODAL_SUBMIT,
            user=result.state.user,
            guild_id=source.get("guild_id"),
            channel_id=source.get("channel_id"),
            dm="guild_id" not in source,
        )
        payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        if "message" in source:
            payload["message"] = copy.deepcopy(
                self.messages.get(source["message"]["id"], source["message"])
            )
        return await self.interact(payload, timeout=timeout)

    # --- Interaction payloads ---------------------------------------------------------------

    def build_slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: Mapping[str, Any] | None = None,
        guild_id: str | None = None,
        channel_id: str | None = None,
        dm: bool = False,
        subcommand: str | None = None,
        permissions: int = MEMBER_PERMISSIONS,
        locale: str = "en-US",
        focused: str | None = None,
    ) -> dict[str, Any]:
        """Return the INTERACTION_CREATE that `slash` (with `focused`: `autocomplete`) sends."""
        guild = None if dm else (guild_id or self.guild_id)
        command = self.command(name, guild_id=guild) if guild else self._global_command(name)
        itype = APPLICATION_COMMAND if focused is None else APPLICATION_COMMAND_AUTOCOMPLETE
        payload = self._interaction_base(
            itype,
            user=user,
            guild_id=guild,
            channel_id=channel_id,
            dm=dm,
            permissions=permissions,
            locale=locale,
        )
        resolved: dict[str, dict[str, Any]] = {}
        schema = command.get("options") or []
        wrappers: list[tuple[str, int]] = []
        for part in (subcommand or "").split():
            found = next(
                (opt for opt in schema if opt["name"] == part and opt["type"] in {1, 2}), None
            )
            if found is None:
                raise LookupError(f"/{name} has no subcommand or group {part!r}")
            wrappers.append((part, found["type"]))
            schema = found.get("options") or []
        values = dict(options or {})
        if focused is not None:
            values.setdefault(focused, "")
        built = self._options(name, schema, values, resolved, guild, focused)
        for part, kind in reversed(wrappers):
            built = [{"name": part, "type": kind, "options": built}]
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1}
        if built:
            data["options"] = built
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        payload["data"] = data
        return payload

    def build_component(
        self,
        message: Mapping[str, Any],
        data: dict[str, Any],
        *,
        user: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return a MESSAGE_COMPONENT interaction on `message` with `data`."""
        guild_id, channel_id = self.message_places.get(
            message["id"], (self.guild_id, message["channel_id"])
        )
        if user is None:
            metadata = message.get("interaction_metadata") or {}
            user = metadata.get("user") or self.user
        payload = self._interaction_base(
            MESSAGE_COMPONENT,
            user=user,
            guild_id=guild_id,
            channel_id=channel_id,
            dm=guild_id is None,
        )
        payload["message"] = copy.deepcopy(dict(message))
        payload["data"] = data
        return payload

    def _interaction_base(
        self,
        itype: int,
        *,
        user: Mapping[str, Any] | None,
        guild_id: str | None,
        channel_id: str | None,
        dm: bool,
        permissions: int = MEMBER_PERMISSIONS,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        who = dict(user or self.user)
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": self.application_id,
            "type": itype,
            "token": payloads.new_token(),
            "version": 1,
            "app_permissions": str(payloads.APP_PERMISSIONS),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": payloads.ATTACHMENT_SIZE_LIMIT,
        }
        if dm or guild_id is None:
            channel = payloads.dm_channel(channel_id or self.snowflake(), who)
            payload.update(
                channel_id=channel["id"],
                channel=channel,
                user=who,
                context=1,
                authorizing_integration_owners={"0": "0"},
            )
        else:
            channel = payloads.text_channel(channel_id or self.channel_id, guild_id)
            payload.update(
                guild_id=guild_id,
                guild=payloads.partial_guild(guild_id),
                guild_locale="en-US",
                channel_id=channel["id"],
                channel=channel,
                member=payloads.member(who, permissions=permissions),
                context=0,
                authorizing_integration_owners={"0": guild_id},
            )
        return payload

    def _global_command(self, name: str) -> dict[str, Any]:
        found = self.command_store.get(None, {}).get((1, name))
        if found is None:
            raise LookupError(f"no global command {name!r} (only global commands exist in DMs)")
        return found

    def _options(
        self,
        command: str,
        schema: Sequence[Mapping[str, Any]],
        values: Mapping[str, Any],
        resolved: dict[str, dict[str, Any]],
        guild_id: str | None,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {option["name"]: option for option in schema}
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            raise LookupError(f"/{command} has no option {unknown}; it has {sorted(by_name)}")
        if focused is None:
            missing = [
                opt["name"] for opt in schema if opt.get("required") and opt["name"] not in values
            ]
            if missing:
                raise ValueError(f"/{command} needs {missing}: Discord would not send it without")
        built = []
        for name, value in values.items():
            option = by_name[name]
            entry: dict[str, Any] = {"name": name, "type": option["type"]}
            if name == focused:
                entry.update(value=str(value), focused=True)
            else:
                entry["value"] = self._option_value(command, option, value, resolved, guild_id)
            built.append(entry)
        return built

    def _option_value(
        self,
        command: str,
        option: Mapping[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        guild_id: str | None,
    ) -> Any:
        kind = option["type"]
        name = f"/{command} {option['name']}"
        if kind == 3 and not isinstance(value, str):
            raise TypeError(f"{name} is a string option, got {value!r}")
        if kind == 4 and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name} is an integer option, got {value!r}")
        if kind == 10 and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TypeError(f"{name} is a number option, got {value!r}")
        if kind == 5 and not isinstance(value, bool):
            raise TypeError(f"{name} is a boolean option, got {value!r}")
        if kind in {6, 9} and isinstance(value, Mapping) and "username" in value:
            resolved.setdefault("users", {})[value["id"]] = dict(value)
            if guild_id is not None:
                member = payloads.member(value, permissions=MEMBER_PERMISSIONS)
                del member["user"]
                resolved.setdefault("members", {})[value["id"]] = member
            return value["id"]
        if kind in {7, 8, 9} and isinstance(value, Mapping):
            key = "channels" if kind == 7 else "roles"
            resolved.setdefault(key, {})[value["id"]] = dict(value)
            return value["id"]
        if kind in {6, 7, 8, 9, 11}:
            raise TypeError(f"{name}: pass the {_OPTION_TYPES.get(kind, 'object')} as a dict")
        choices = option.get("choices")
        if choices and value not in [choice["value"] for choice in choices]:
            raise ValueError(f"{name} must be one of its choices, not {value!r}")
        if kind == 3:
            low, high = option.get("min_length", 0), option.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ValueError(f"{name} takes {low}-{high} characters")
        if kind in {4, 10}:
            low, high = option.get("min_value"), option.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{name} must be within {low}..{high}")
        return value

    @staticmethod
    def _check_can_see(message: Mapping[str, Any], user: Mapping[str, Any] | None) -> None:
        owner = (message.get("interaction_metadata") or {}).get("user")
        hidden = message["flags"] & payloads.EPHEMERAL and owner is not None
        if hidden and user is not None and user["id"] != owner["id"]:
            raise ValueError(f"only {owner['username']} sees ephemeral message {message['id']}")

    @staticmethod
    def _component(message: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
        components = list(payloads.walk_components(message.get("components", [])))
        for component in components:
            if component.get("custom_id") == custom_id:
                return component
        have = [component["custom_id"] for component in components if "custom_id" in component]
        raise LookupError(f"message {message['id']} has no component {custom_id!r}; it has {have}")


def _submitted(component: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    submitted = {"type": component["type"], "custom_id": component.get("custom_id")}
    if component["type"] == 4:
        submitted["value"] = values.get(component["custom_id"], component.get("value", ""))
    return submitted


def _fake_token(application_id: str) -> str:
    # Shaped like a bot token (base64 user ID, timestamp, HMAC) so log scrubbing that keys on the
    # shape is exercised too; random, so it is never a real credential.
    head = base64.urlsafe_b64encode(application_id.encode()).decode().rstrip("=")
    return f"{head}.EmUlAt.{secrets.token_urlsafe(20)}"
