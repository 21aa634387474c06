"""The answer cooldown shared by every process of one application, through Redis.

A claim is `SET key NX PX`: the first process to set the key posts the card, the others point to
it. A Redis that is down or slow fails open: the answer is sent (a second card beats no answer),
the failure is logged and counted through `on_failure`.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.cooldown import Recent

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.25
"""How long one try of a Redis call may take: an answer has 3 s, and a slow Redis must not eat
them (a healthy one answers in a millisecond)."""

LOG_EVERY_SECONDS = 60.0
"""While Redis stays down, how often to say so in the log."""

# Record where the claimed answer went, if the claim is still ours; index it by message for
# `deleted`. KEYS: the topic key, the message key. ARGV: claim token, new value, message ID.
_POSTED = """
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current)['claim'] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
local ttl = redis.call('PTTL', KEYS[1])
if ARGV[3] ~= '' and ttl > 0 then redis.call('SET', KEYS[2], KEYS[1], 'PX', ttl) end
return 1
"""
# Delete the answer a message index points to, if it still is that message. KEYS: message key.
# ARGV: message ID.
_DELETED = """
local topic = redis.call('GET', KEYS[1])
if not topic then return 0 end
redis.call('DEL', KEYS[1])
local current = redis.call('GET', topic)
if current and cjson.decode(current)['message_id'] == ARGV[1] then
  redis.call('DEL', topic)
end
return 1
"""
# Delete a claim, if it is still ours. KEYS: the topic key. ARGV: claim token.
_RELEASE = """
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)['claim'] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisCooldown:
    """The `AnswerCooldown` interface over Redis, shared by all processes using `prefix`.

    Args:
        client: an asyncio Redis client (see `connect`).
        seconds: how long an answer holds its topic in its channel; 0 disables the cooldown.
        prefix: the start of every key, so several bots (or tests) share one Redis.
        on_failure: called once for each Redis call that failed or timed out.
    """

    def __init__(
        self,
        client: redis.Redis,
        seconds: float,
        *,
        prefix: str,
        on_failure: Callable[[], None] = lambda: None,
    ) -> None:
        self.client = client
        self.seconds = seconds
        self.prefix = prefix
        self.on_failure = on_failure
        self._claims: dict[tuple[int, str], str] = {}
        """The token of each claim this process holds, until its answer is posted or released."""
        self._logged_at: float | None = None
        self._unlogged = 0
        """Failures since the last warning: a Redis that is down warns once a minute, not per
        answer (the metric counts every one)."""
        self._posted = client.register_script(_POSTED)
        self._deleted = client.register_script(_DELETED)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def connect(
        cls,
        url: str,
        seconds: float,
        *,
        prefix: str,
        on_failure: Callable[[], None] = lambda: None,
    ) -> RedisCooldown:
        """Return a cooldown on the Redis at `url` (`redis://host:port/db`); connects lazily.

        A call is tried once more on a fresh connection (a restarted Redis leaves stale ones in
        the pool); each try waits at most `TIMEOUT_SECONDS`.
        """
        client = redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 1),
        )
        return cls(client, seconds, prefix=prefix, on_failure=on_failure)

    async def claim(self, channel: int, topic: str) -> Recent | None:
        """Return the recent answer on `topic` in `channel`, or claim it and return None.

        Fails open: when Redis cannot say, the caller answers.
        """
        if self.seconds <= 0:
            return None
        key = self._key(channel, topic)
        token = secrets.token_hex(8)
        value = json.dumps({"claim": token, "at": time.time()})
        try:
            if await self.client.set(key, value, nx=True, px=max(1, round(self.seconds * 1000))):
                self._claims[(channel, topic)] = token
                return None
            current = await self.client.get(key)
        except (RedisError, OSError) as error:
            self._failed("claim", error)
            return None
        if current is None:  # it expired between the two calls: the topic is free again
            return await self.claim(channel, topic)
        held = json.loads(current)
        return Recent(
            at=held["at"],
            jump_url=held.get("jump_url"),
            message_id=int(held["message_id"]) if held.get("message_id") else None,
        )

    async def posted(
        self, channel: int, topic: str, jump_url: str | None, message_id: int | None
    ) -> None:
        """Record where the answer that claimed `topic` ended up, for the next askers."""
        token = self._claims.pop((channel, topic), None)
        if token is None:
            return
        # Snowflakes pass 2**53, past what Lua's numbers hold exactly: the ID is kept as text.
        message = "" if message_id is None else str(message_id)
        value = json.dumps(
            {"claim": token, "at": time.time(), "jump_url": jump_url, "message_id": message}
        )
        keys = [self._key(channel, topic), self._message_key(channel, message_id or 0)]
        args = [token, value, message]
        try:
            await self._posted(keys=keys, args=args)
        except (RedisError, OSError) as error:
            self._failed("posted", error)

    async def deleted(self, channel: int, message_id: int) -> None:
        """Forget the answer posted as `message_id`, in every process."""
        try:
            keys = [self._message_key(channel, message_id)]
            await self._deleted(keys=keys, args=[str(message_id)])
        except (RedisError, OSError) as error:
            self._failed("deleted", error)

    async def release(self, channel: int, topic: str) -> None:
        """Forget a claim whose answer could not be sent, so the next asker gets one."""
        token = self._claims.pop((channel, topic), None)
        if token is None:
            return
        try:
            await self._release(keys=[self._key(channel, topic)], args=[token])
        except (RedisError, OSError) as error:
            self._failed("release", error)

    async def close(self) -> None:
        """Close the connections to Redis."""
        await self.client.aclose()

    def _key(self, channel: int, topic: str) -> str:
        return f"{self.prefix}{channel}:{topic}"

    def _message_key(self, channel: int, message_id: int) -> str:
        return f"{self.prefix}message:{channel}:{message_id}"

    def _failed(self, step: str, error: Exception) -> None:
        self.on_failure()
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY_SECONDS:
            self._unlogged += 1
            return
        since = f" ({self._unlogged} more since the last warning)" if self._unlogged else ""
        log.warning(
            "the shared cooldown's Redis failed (%s), answering anyway: %s%s", step, error, since
        )
        self._logged_at, self._unlogged = now, 0
