"""The gateway half of the emulator: HELLO, IDENTIFY/READY, heartbeats, RESUME, shards, faults.

Sharding follows Discord: IDENTIFY may carry `shard: [id, count]`; a server's events go to the
session of shard `(guild_id >> 22) % count`, and DMs to shard 0.

Frames go out as plain JSON text. discord.py asks for `compress=zlib-stream` but only inflates
binary frames; text frames are parsed as they are (`DiscordWebSocket.received_message`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.emulator.records import GatewayFrame, redact_token

if TYPE_CHECKING:
    import asyncio.transports

    from tests.emulator.emulator import DiscordEmulator

# Opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11
REQUEST_SOUNDBOARD_SOUNDS = 31

DEFAULT_HEARTBEAT_INTERVAL_MS = 41_250
NOT_RESUMABLE_CLOSE_CODES = frozenset({4007, 4009, 4004, 4010, 4011, 4012, 4013, 4014})
"""Close codes after which Discord no longer accepts a RESUME of the session."""
INVALID_SHARD = 4010
CLOSE_TIMEOUT_SECONDS = 5
"""How long a close handshake may take before the emulator drops the connection."""


def shard_for_guild(guild_id: str | int | None, shard_count: int) -> int:
    """Return the shard that gets a server's events (Discord's rule); DMs go to shard 0."""
    return 0 if guild_id is None else (int(guild_id) >> 22) % shard_count


@dataclass(slots=True, eq=False)
class GatewaySession:
    """A gateway session: what RESUME can pick up again."""

    id: str
    intents: int | None
    shard: tuple[int, int] = (0, 1)
    """`(shard_id, shard_count)` from IDENTIFY; `(0, 1)` when the bot did not shard."""
    seq: int = 0
    resumable: bool = True
    events: list[dict[str, Any]] = field(default_factory=list)
    """Every dispatch sent in the session, for replay on RESUME."""
    connection: Connection | None = None


@dataclass(slots=True, eq=False)
class Connection:
    """One websocket connection from the bot."""

    number: int
    ws: web.WebSocketResponse
    transport: asyncio.transports.BaseTransport | None
    query: dict[str, str]
    session: GatewaySession | None = None
    closed: bool = False
    close_code: int | None = None
    server_closed: bool = False
    """The emulator closed or cut it (a fault), rather than the bot."""
    retiring: bool = False
    """It got op 7 or op 9: Discord sends nothing more on it."""
    handler: asyncio.Task[Any] | None = None
    """The task that serves the connection (and reads from it)."""
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the connection's handler has finished."""

    @property
    def live(self) -> bool:
        """Whether dispatches can still be sent on it."""
        return not self.closed and not self.retiring and not self.ws.closed


class Gateway:
    """Serves `/gateway` for one emulator: sessions, sequence numbers, replay, injected faults."""

    def __init__(self, emulator: DiscordEmulator, heartbeat_interval_ms: int) -> None:
        self._emulator = emulator
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.ack_heartbeats = True
        """Set False to play a zombie connection: heartbeats are not acknowledged."""
        self.refusing = False
        """Set True to play the gateway being down: new connections get HTTP 503."""
        self.resume_policy = "accept"
        """`accept` RESUMEs of known sessions, or `invalidate` every RESUME with op 9."""
        self.connections: list[Connection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        """The latest session started by IDENTIFY."""
        self.shard_sessions: dict[int, GatewaySession] = {}
        """The latest session started by IDENTIFY for each shard ID."""
        self.recommended_shards = 1
        """The shard count `GET /gateway/bot` recommends."""
        self.frames: list[GatewayFrame] = []
        self.identifies: list[dict[str, Any]] = []
        """IDENTIFY payloads, with the token replaced by `token_ok`."""
        self.resumes: list[dict[str, Any]] = []
        """RESUME payloads, with the token replaced by `token_ok`."""
        self.heartbeats = 0
        self.ready_sent = 0
        self.ready_shards: list[int] = []
        """The shard ID of each READY sent, in order."""
        self.resumed_sent = 0
        self.invalid_sessions_sent = 0

    # --- State for tests --------------------------------------------------------------------

    @property
    def connection(self) -> Connection | None:
        """The live connection of the current session, if any."""
        session = self.session
        if session is not None and session.connection is not None and session.connection.live:
            return session.connection
        return None

    @property
    def connected(self) -> bool:
        """Whether a valid session is attached to a live connection (after READY or RESUMED)."""
        return self.connection is not None and self.session is not None and self.session.resumable

    @property
    def shard_count(self) -> int:
        """The shard count the bot identified with last (1 before any IDENTIFY)."""
        return self.session.shard[1] if self.session is not None else 1

    def session_for(
        self, guild_id: str | int | None, shard: int | None = None
    ) -> GatewaySession | None:
        """Return the session that gets the events of server `guild_id` (None: a DM).

        `shard` overrides Discord's rule, as when a server moves while the shard count changes.
        """
        if shard is None:
            shard = shard_for_guild(guild_id, self.shard_count)
        return self.shard_sessions.get(shard)

    def serving(self, guild_id: str | int | None, shard: int | None = None) -> bool:
        """Whether the session for `guild_id` (or `shard`) is valid and on a live connection."""
        session = self.session_for(guild_id, shard)
        return (
            session is not None
            and session.resumable
            and session.connection is not None
            and session.connection.live
        )

    @property
    def identify_count(self) -> int:
        """How many IDENTIFYs the bot sent (new sessions asked for)."""
        return len(self.identifies)

    @property
    def resume_count(self) -> int:
        """How many RESUMEs the bot sent (accepted or not)."""
        return len(self.resumes)

    @property
    def intents(self) -> int | None:
        """The intents of the latest IDENTIFY."""
        return self.identifies[-1].get("intents") if self.identifies else None

    # --- Serving ----------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one websocket connection until either side closes it."""
        if self.refusing:
            return web.Response(status=503, text="The gateway is down (emulated).")
        ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        connection = Connection(
            number=len(self.connections) + 1,
            ws=ws,
            transport=request.transport,
            query=dict(request.query),
            handler=asyncio.current_task(),
        )
        self.connections.append(connection)
        self._frame("open", connection, d=dict(request.query))
        await self._send(
            connection,
            {
                "op": HELLO,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["emulator"]},
                "s": None,
                "t": None,
            },
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._receive(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    self._emulator.violate("protocol", "gateway: the bot sent a binary frame")
                    await self._close(connection, 4002, "Error while decoding payload.")
        finally:
            connection.closed = True
            connection.ended.set()
            connection.close_code = ws.close_code
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
                # A client that closes with 1000 or 1001 ends its session for good.
                if ws.close_code in {1000, 1001} and not connection.server_closed:
                    session.resumable = False
            self._frame("close", connection, d={"code": ws.close_code})
            self._emulator.notify()
        return ws

    async def _receive(self, connection: Connection, text: str) -> None:
        try:
            payload = json.loads(text)
        except ValueError:
            self._emulator.violate("protocol", "gateway: the bot sent a frame that is not JSON")
            await self._close(connection, 4002, "Error while decoding payload.")
            return
        op = payload.get("op")
        data = payload.get("d")
        self._frame("recv", connection, op=op, d=redact_token(data, self._emulator.token))
        if op == HEARTBEAT:
            self.heartbeats += 1
            if self.ack_heartbeats:
                await self._send(connection, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            await self._resume(connection, data or {})
        elif op in {PRESENCE_UPDATE, VOICE_STATE_UPDATE, REQUEST_GUILD_MEMBERS}:
            if connection.session is None:
                await self._close(connection, 4003, "Not authenticated.")
        elif op == REQUEST_SOUNDBOARD_SOUNDS:
            pass
        else:
            self._emulator.violate("protocol", f"gateway: the bot sent unknown opcode {op!r}")
            await self._close(connection, 4001, "Unknown opcode.")
        self._emulator.notify()

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        token_ok = data.get("token") == self._emulator.token
        record = {key: value for key, value in data.items() if key != "token"}
        self.identifies.append({**record, "token_ok": token_ok})
        if connection.session is not None:
            await self._close(connection, 4005, "Already authenticated.")
            return
        if not token_ok:
            self._emulator.violate("protocol", "gateway: IDENTIFY carried the wrong token")
            await self._close(connection, 4004, "Authentication failed.")
            return
        if not isinstance(data.get("intents"), int):
            self._emulator.violate("protocol", "gateway: IDENTIFY without intents")
            await self._close(connection, 4013, "Invalid intent(s).")
            return
        shard = _shard(data.get("shard", [0, 1]))
        if shard is None:
            self._emulator.violate("protocol", f"gateway: IDENTIFY shard {data['shard']!r}")
            await self._close(connection, INVALID_SHARD, "Invalid shard.")
            return
        session = GatewaySession(id=secrets.token_hex(16), intents=data["intents"], shard=shard)
        self.sessions[session.id] = session
        self.session = session
        self.shard_sessions[shard[0]] = session
        session.connection = connection
        connection.session = session
        await self._dispatch(session, "READY", self._ready(session))
        self.ready_sent += 1
        self.ready_shards.append(shard[0])

    def _ready(self, session: GatewaySession) -> dict[str, Any]:
        emulator = self._emulator
        return {
            "v": 10,
            "user": emulator.bot_user,
            "user_settings": {},
            "guilds": [
                {"id": guild_id, "unavailable": True}
                for guild_id in emulator.servers
                if shard_for_guild(guild_id, session.shard[1]) == session.shard[0]
            ],
            "presences": [],
            "private_channels": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["emulator"],
            "session_type": "normal",
            "session_id": session.id,
            "resume_gateway_url": emulator.gateway_url,
            "shard": list(session.shard),
            "application": {"id": emulator.application_id, "flags": emulator.application_flags},
            "auth": {},
            "_trace": ["emulator"],
        }

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        token_ok = data.get("token") == self._emulator.token
        record = {key: value for key, value in data.items() if key != "token"}
        self.resumes.append({**record, "token_ok": token_ok})
        if not token_ok:
            self._emulator.violate("protocol", "gateway: RESUME carried the wrong token")
            await self._close(connection, 4004, "Authentication failed.")
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if (
            session is None
            or not session.resumable
            or self.resume_policy != "accept"
            or not isinstance(seq, int)
            or seq > session.seq
        ):
            await self._send(connection, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            self.invalid_sessions_sent += 1
            return
        previous = session.connection
        session.connection = connection
        connection.session = session
        if previous is not None and previous.live:
            previous.session = None
            await self._close(previous, 4000, "Session resumed elsewhere.")
        for frame in [frame for frame in session.events if frame["s"] > seq]:
            await self._send(connection, frame)
        await self._dispatch(session, "RESUMED", {"_trace": ["emulator"]})
        self.resumed_sent += 1

    # --- Sending ----------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> int:
        """Send a DISPATCH to the session of the shard that serves `data`'s server (or `shard`).

        A session that is disconnected keeps the event for replay on RESUME.

        Returns:
            The event's sequence number.

        Raises:
            RuntimeError: no session serves that shard (the bot has not identified for it).
        """
        session = self.session_for(data.get("guild_id"), shard)
        if session is None:
            if shard is None:
                shard = shard_for_guild(data.get("guild_id"), self.shard_count)
            raise RuntimeError(f"no gateway session for shard {shard}: wait for it to identify")
        return await self._dispatch(session, event, data)

    async def _dispatch(self, session: GatewaySession, event: str, data: dict[str, Any]) -> int:
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        connection = session.connection
        if connection is not None and connection.live:
            await self._send(connection, frame)
        return session.seq

    async def _send(self, connection: Connection, payload: dict[str, Any]) -> None:
        if connection.closed or connection.ws.closed:
            return
        self._frame(
            "send",
            connection,
            op=payload["op"],
            t=payload.get("t"),
            s=payload.get("s"),
            d=payload["d"],
        )
        with contextlib.suppress(ConnectionError, RuntimeError):
            await connection.ws.send_str(json.dumps(payload))

    async def _close(self, connection: Connection, code: int, reason: str) -> None:
        connection.server_closed = True
        if connection.session is not None and code in NOT_RESUMABLE_CLOSE_CODES:
            connection.session.resumable = False
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                if asyncio.current_task() is connection.handler:
                    await connection.ws.close(code=code, message=reason.encode())
                else:
                    await self._close_from_outside(connection, code, reason)
        if not connection.ws.closed and connection.transport is not None:
            connection.transport.abort()  # type: ignore[attr-defined]  # the bot never replied

    @staticmethod
    async def _close_from_outside(connection: Connection, code: int, reason: str) -> None:
        """Send the close frame and let the handler read the bot's reply, as Discord does.

        aiohttp's `ws.close()`, called while another task waits in `receive()`, drops the TCP
        connection right after the frame: the bot's reply then hits a dead socket, and it reads
        close code 1006 instead of ours (and would reconnect after a final 4004).
        """
        if connection.ws.closed:
            return
        await connection.ws._writer.close(code, reason.encode())  # type: ignore[union-attr]
        await connection.ended.wait()

    def _frame(self, direction: str, connection: Connection, **fields: Any) -> None:
        self.frames.append(
            GatewayFrame(
                direction=direction, connection=connection.number, at=time.monotonic(), **fields
            )
        )

    # --- Faults -----------------------------------------------------------------------------

    def _require_connection(self) -> Connection:
        connection = self.connection
        if connection is None:
            raise RuntimeError("the bot has no live gateway connection")
        return connection

    async def close(self, code: int = 4000, reason: str = "") -> None:
        """Close the live connection with `code`; 4007 and 4009 also end the session."""
        await self._close(self._require_connection(), code, reason)

    def drop(self) -> None:
        """Cut the live connection's TCP stream without a close frame."""
        connection = self._require_connection()
        connection.server_closed = True
        if connection.transport is not None:
            connection.transport.abort()  # type: ignore[attr-defined]

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot should reconnect and RESUME."""
        connection = self._require_connection()
        await self._send(connection, {"op": RECONNECT, "d": None, "s": None, "t": None})
        connection.retiring = True

    async def send_invalid_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless `resumable`, the session can no longer be resumed."""
        connection = self._require_connection()
        if not resumable and connection.session is not None:
            connection.session.resumable = False
        await self._send(connection, {"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})
        connection.retiring = True
        self.invalid_sessions_sent += 1

    async def inject(self, fault: str) -> None:
        """Break the live connection the way `fault` says, for fault tests.

        One of: "close CODE", "close CODE refuse resume" (the next RESUME is invalidated),
        "drop", "reconnect", "invalid session", "invalid session resumable".
        """
        match fault.split():
            case ["close", code]:
                await self.close(int(code))
            case ["close", code, "refuse", "resume"]:
                self.resume_policy = "invalidate"
                await self.close(int(code))
            case ["drop"]:
                self.drop()
            case ["reconnect"]:
                await self.send_reconnect()
            case ["invalid", "session", "resumable"]:
                await self.send_invalid_session(resumable=True)
            case ["invalid", "session"]:
                await self.send_invalid_session()
            case _:
                raise ValueError(f"no such gateway fault: {fault!r}")

    async def close_all(self) -> None:
        """Close every open connection with 1001 (going away), for shutdown."""
        for connection in self.connections:
            if not connection.closed and not connection.ws.closed:
                await self._close(connection, 1001, "Emulator shutting down.")

    def frames_where(self, predicate: Callable[[GatewayFrame], bool]) -> list[GatewayFrame]:
        """Return the recorded frames matching `predicate`."""
        return [frame for frame in self.frames if predicate(frame)]


def _shard(value: Any) -> tuple[int, int] | None:
    """Return IDENTIFY's `shard` as `(id, count)`, or None when Discord would refuse it."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    shard_id, count = value
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return None
    return (shard_id, count) if 0 <= shard_id < count else None
