"""The answer cooldown shared through a real Redis: two instances stand for two bot processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import pytest

from bot.redis_cooldown import RedisCooldown
from tests.conftest import (
    DEFAULT_TEST_REDIS_URL,
    REDIS_URL_ENV,
    REPO_ROOT,
    REQUIRE_REDIS_ENV,
    answering_redis,
)
from tests.helpers import closed_port_url


class Failures:
    """Counts `on_failure` calls."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@contextlib.asynccontextmanager
async def cooldowns(
    url: str, prefix: str, seconds: float = 30, count: int = 2
) -> AsyncIterator[list[RedisCooldown]]:
    made = [RedisCooldown.connect(url, seconds, prefix=prefix) for _ in range(count)]
    try:
        yield made
    finally:
        for cooldown in made:
            await cooldown.close()


def test_a_claim_in_one_process_points_the_other_to_its_answer(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix) as (first, second):
            assert await first.claim(1, "fw:django") is None
            waiting = await second.claim(1, "fw:django")
            assert waiting is not None
            assert waiting.jump_url is None  # the first answer is still on its way
            await first.posted(1, "fw:django", "https://discord.com/channels/1/1/5", 5)
            recent = await second.claim(1, "fw:django")
            assert recent is not None
            assert (recent.jump_url, recent.message_id) == ("https://discord.com/channels/1/1/5", 5)

    asyncio.run(scenario())


def test_the_claim_is_set_nx_with_the_cooldown_as_its_expiry(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix, seconds=30, count=1) as (cooldown,):
            await cooldown.claim(7, "fw:flask")
            ttl = await cooldown.client.pttl(f"{redis_prefix}7:fw:flask")
            assert 29_000 < ttl <= 30_000
            await cooldown.posted(7, "fw:flask", "https://discord.com/channels/1/7/9", 9)
            assert 0 < await cooldown.client.pttl(f"{redis_prefix}7:fw:flask") <= ttl

    asyncio.run(scenario())


def test_the_shared_cooldown_is_per_channel_and_per_topic(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix) as (first, second):
            assert await first.claim(1, "fw:django") is None
            assert await second.claim(2, "fw:django") is None
            assert await second.claim(1, "fw:flask") is None

    asyncio.run(scenario())


def test_the_shared_cooldown_expires(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix, seconds=0.1) as (first, second):
            assert await first.claim(1, "t") is None
            await asyncio.sleep(0.2)
            assert await second.claim(1, "t") is None

    asyncio.run(scenario())


def test_release_frees_the_topic_for_every_process(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix) as (first, second):
            await first.claim(1, "t")
            await second.release(1, "t")  # not its claim: nothing happens
            assert await second.claim(1, "t") is not None
            await first.release(1, "t")
            assert await second.claim(1, "t") is None

    asyncio.run(scenario())


MESSAGE = 1445123456789012345
"""A message ID as Discord makes them: past 2**53, where a float (or Lua number) loses digits."""


def test_deleting_the_answer_ends_the_cooldown_in_every_process(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix) as (first, second):
            await first.claim(1, "t")
            await first.posted(1, "t", f"https://discord.com/channels/1/1/{MESSAGE}", MESSAGE)
            assert (await second.claim(1, "t")).message_id == MESSAGE
            await second.deleted(1, MESSAGE + 1)  # another message: nothing happens
            assert await second.claim(1, "t") is not None
            await second.deleted(1, MESSAGE)
            assert await second.claim(1, "t") is None
            assert await first.claim(1, "t") is not None

    asyncio.run(scenario())


def test_a_cooldown_of_zero_never_points_nor_touches_redis(redis_url, redis_prefix):
    async def scenario():
        async with cooldowns(redis_url, redis_prefix, seconds=0) as (first, second):
            assert await first.claim(1, "t") is None
            assert await second.claim(1, "t") is None
            assert await first.client.keys(f"{redis_prefix}*") == []

    asyncio.run(scenario())


async def every_step(cooldown: RedisCooldown) -> None:
    """Use the cooldown as the responder does; none of it may raise."""
    assert await cooldown.claim(1, "t") is None  # fails open: the answer is sent
    await cooldown.posted(1, "t", "https://discord.com/channels/1/1/5", 5)
    await cooldown.deleted(1, 5)
    assert await cooldown.claim(2, "t") is None
    await cooldown.release(2, "t")


def test_a_redis_that_is_not_there_fails_open_and_is_counted(caplog):
    async def scenario():
        failures = Failures()
        cooldown = RedisCooldown.connect(closed_port_url(), 30, prefix="t:", on_failure=failures)
        try:
            await every_step(cooldown)
        finally:
            await cooldown.close()
        # claim, deleted, claim: posted and release have no claim of theirs to act on.
        assert failures.count == 3

    asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.redis_cooldown"]
    assert len(warnings) == 1, "a Redis that is down warns once a minute, not on every answer"
    assert warnings[0].startswith("the shared cooldown's Redis failed (claim), answering anyway: ")


def test_after_a_quiet_minute_the_warning_says_how_many_failed_meanwhile(caplog, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("bot.redis_cooldown.time.monotonic", lambda: clock[0])

    async def scenario():
        cooldown = RedisCooldown.connect(closed_port_url(), 30, prefix="t:")
        try:
            for _ in range(4):
                await cooldown.claim(1, "t")
            clock[0] += 61
            await cooldown.claim(1, "t")
        finally:
            await cooldown.close()

    asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.redis_cooldown"]
    assert len(warnings) == 2
    assert warnings[1].endswith(" (3 more since the last warning)")


class TcpProxy:
    """A loopback TCP proxy to `target` that a test can cut, or make hang, mid-run."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.hang = False
        """Accept connections but never answer: a Redis that is stuck rather than gone."""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.cut()

    def url(self, db: int = 0) -> str:
        assert self._server is not None
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/{db}"

    def cut(self) -> None:
        """Stop accepting and drop every connection, as a Redis that went down."""
        if self._server is not None:
            self._server.close()
        self._drop()

    def stall(self) -> None:
        """Drop every connection, then accept new ones but never answer: a Redis that hangs."""
        self.hang = True
        self._drop()

    def _drop(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.hang:
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers.add(upstream_writer)
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


@pytest.mark.parametrize("outage", [TcpProxy.cut, TcpProxy.stall], ids=["cut", "stalled"])
def test_a_redis_that_goes_down_mid_run_fails_open_and_is_counted(
    redis_url, redis_prefix, outage: Callable[[TcpProxy], None]
):
    async def scenario():
        failures = Failures()
        async with TcpProxy(*_host_port(redis_url)) as proxy:
            cooldown = RedisCooldown.connect(
                proxy.url(), 30, prefix=redis_prefix, on_failure=failures
            )
            try:
                assert await cooldown.claim(9, "t") is None
                assert await cooldown.claim(9, "t") is not None
                outage(proxy)
                await every_step(cooldown)
                assert failures.count == 3
            finally:
                await cooldown.close()

    asyncio.run(scenario())


def test_without_redis_a_test_skips_in_one_line_and_fails_where_it_is_required(monkeypatch):
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    monkeypatch.delenv(REQUIRE_REDIS_ENV, raising=False)
    assert DEFAULT_TEST_REDIS_URL == "redis://127.0.0.1:6379/0"
    url = closed_port_url()
    monkeypatch.setenv(REDIS_URL_ENV, url)
    with pytest.raises(pytest.skip.Exception) as skipped:
        answering_redis()
    assert skipped.value.msg.startswith(f"no Redis at {url} (GUIDEBOT_TEST_REDIS_URL): ")
    assert "\n" not in skipped.value.msg

    monkeypatch.setenv(REQUIRE_REDIS_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="GUIDEBOT_REQUIRE_REDIS=1 but no Redis at"):
        answering_redis()


def test_ci_requires_redis():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci.index("export GUIDEBOT_REQUIRE_REDIS=1") < next(
        number for number, line in enumerate(ci) if line.startswith("exec ")
    )
