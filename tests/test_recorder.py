"""The recorder: lookups written in the background, and dropped, not waited for, when it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.insight import Count, Gaps, Lookup, Outcome, Record
from bot.insight_store import InsightError, InsightStore, PostgresStore, open_store
from bot.recorder import BATCH_SIZE, WARN_EVERY_SECONDS, Recorder
from tests.postgres import CuttableProxy

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GUILD = 111
MISS = Lookup(command="framework", query="fastapi", outcome=Outcome.NOT_FOUND, framework=None)
HIT = Lookup(command="resources", query="dj", outcome=Outcome.ANSWERED, framework="django")


class FakeClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'insight.sqlite3'}"


async def report(url: str, guild_id: int | None = GUILD) -> Gaps:
    store = open_store(url)
    try:
        return await store.gaps(since=NOW - timedelta(days=365), guild_id=guild_id, limit=10)
    finally:
        await store.close()


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


def test_lookups_are_written_in_the_background_and_on_close(sqlite_url: str) -> None:
    async def scenario() -> tuple[Gaps, Gaps]:
        recorder = Recorder(
            open_store(sqlite_url), retention_days=90, now=lambda: NOW, flush_seconds=0.01
        )
        recorder.start()
        recorder.add(MISS, guild_id=GUILD)
        recorder.add(HIT, guild_id=GUILD)

        async def both_written() -> bool:
            return (await report(sqlite_url)).lookups == 2

        await wait_for(both_written)
        written = await report(sqlite_url)
        for _ in range(3):
            recorder.add(MISS, guild_id=GUILD)
        await recorder.close()  # what is still queued is written before it closes
        return written, await report(sqlite_url)

    written, closed = asyncio.run(scenario())
    assert written.misses == (Count("fastapi", 1),)
    assert written.answered == (Count("django", 1),)
    assert closed.misses == (Count("fastapi", 4),)


def test_under_load_full_batches_are_written_back_to_back_not_one_a_pause(
    sqlite_url: str,
) -> None:
    queued = 4 * BATCH_SIZE + 1

    async def scenario() -> Gaps:
        recorder = Recorder(
            open_store(sqlite_url), retention_days=90, now=lambda: NOW, flush_seconds=3600
        )
        for _ in range(queued):
            recorder.add(MISS, guild_id=GUILD)
        recorder.start()

        async def full_batches_written() -> bool:
            return (await report(sqlite_url)).lookups == 4 * BATCH_SIZE

        await wait_for(full_batches_written)  # not an hour's pause after each batch
        gaps = await report(sqlite_url)
        await recorder.close()
        return gaps

    assert asyncio.run(scenario()).misses == (Count("fastapi", 4 * BATCH_SIZE),)


def test_a_full_queue_drops_and_counts_instead_of_growing(sqlite_url: str) -> None:
    counted: list[int] = []

    async def scenario() -> Recorder:
        recorder = Recorder(
            open_store(sqlite_url), retention_days=90, max_pending=3, on_dropped=counted.append
        )
        for _ in range(5):  # not started: nothing takes records off the queue
            recorder.add(MISS, guild_id=GUILD)
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.dropped == 2
    assert counted == [1, 1]


def test_retention_deletes_old_rows_when_recording_starts(sqlite_url: str) -> None:
    old = Record.of(MISS, guild_id=GUILD, at=NOW - timedelta(days=8))
    recent = Record.of(HIT, guild_id=GUILD, at=NOW - timedelta(days=6))

    async def scenario() -> Gaps:
        store = open_store(sqlite_url)
        await store.write([old, recent])
        await store.close()
        recorder = Recorder(open_store(sqlite_url), retention_days=7, now=lambda: NOW)
        recorder.start()

        async def pruned() -> bool:
            return (await report(sqlite_url)).lookups == 1

        await wait_for(pruned)
        await recorder.close()
        return await report(sqlite_url)

    gaps = asyncio.run(scenario())
    assert gaps.misses == ()
    assert gaps.answered == (Count("django", 1),)


def test_retention_0_keeps_every_row(sqlite_url: str) -> None:
    ancient = Record.of(MISS, guild_id=GUILD, at=NOW - timedelta(days=200))

    async def scenario() -> Gaps:
        store = open_store(sqlite_url)
        await store.write([ancient])
        await store.close()
        recorder = Recorder(open_store(sqlite_url), retention_days=0, now=lambda: NOW)
        recorder.start()
        await asyncio.sleep(0.2)
        await recorder.close()
        return await report(sqlite_url)

    assert asyncio.run(scenario()).lookups == 1


def test_the_database_going_away_drops_and_counts_records_and_warns_once_a_minute(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    counted: list[int] = []

    async def scenario() -> Recorder:
        async with CuttableProxy.to(postgres_url) as proxy:
            recorder = Recorder(
                open_store(proxy.url(postgres_url)),
                retention_days=90,
                on_dropped=counted.append,
                flush_seconds=0.01,
                clock=clock,
                now=lambda: NOW,
            )
            recorder.start()
            recorder.add(MISS, guild_id=GUILD)

            async def written(count: int) -> bool:
                return (await report(postgres_url)).lookups == count

            await wait_for(lambda: written(1))

            proxy.sever()
            for _ in range(3):
                recorder.add(MISS, guild_id=GUILD)
            await wait_for(lambda: _true(recorder.dropped == 3))
            clock.seconds += WARN_EVERY_SECONDS - 1  # within the minute: no second warning
            recorder.add(MISS, guild_id=GUILD)
            await wait_for(lambda: _true(recorder.dropped == 4))
            clock.seconds += 1  # a minute after the first warning: one more
            recorder.add(MISS, guild_id=GUILD)
            await wait_for(lambda: _true(recorder.dropped == 5))

            proxy.restore()  # the database is back: records are written again
            recorder.add(HIT, guild_id=GUILD)
            await wait_for(lambda: written(2))
            await recorder.close()
            return recorder

    with caplog.at_level(logging.INFO, logger="bot.recorder"):
        recorder = asyncio.run(scenario())
    assert recorder.dropped == sum(counted) == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert "answers go on" in warnings[0]
    assert "dropped since start-up" in warnings[1]
    assert any("lookups are recorded again" in r.getMessage() for r in caplog.records)


async def _true(value: bool) -> bool:
    return value


def test_a_database_that_goes_silent_times_out_and_drops_instead_of_hanging(
    postgres_url: str,
) -> None:
    async def scenario() -> tuple[Recorder, str]:
        async with CuttableProxy.to(postgres_url) as proxy:
            store = PostgresStore(proxy.url(postgres_url), timeout=0.5)
            recorder = Recorder(store, retention_days=90, flush_seconds=0.01, now=lambda: NOW)
            recorder.start()
            recorder.add(MISS, guild_id=GUILD)
            await wait_for(lambda: _written(postgres_url, 1))

            proxy.stall()  # packets go nowhere; nothing is refused or closed
            recorder.add(MISS, guild_id=GUILD)
            recorder.add(HIT, guild_id=GUILD)
            await wait_for(lambda: _true(recorder.dropped == 2), timeout=5)
            with pytest.raises(InsightError) as silent:
                await store.report(days=1, guild_id=None, limit=1)

            proxy.restore()
            recorder.add(HIT, guild_id=GUILD)
            await wait_for(lambda: _written(postgres_url, 2))
            await recorder.close()
            return recorder, str(silent.value)

    recorder, message = asyncio.run(scenario())
    assert recorder.dropped == 2
    assert message.endswith(": no answer within 0.5 s")


async def _written(url: str, count: int) -> bool:
    return (await report(url)).lookups == count


class BrokenStore(InsightStore):
    """A store with a bug: every write raises something no store is meant to raise."""

    def __init__(self, real: InsightStore) -> None:
        self.real = real
        self.broken = True

    async def write(self, records: Sequence[Record]) -> None:
        if self.broken:
            raise TypeError("a bug")
        await self.real.write(records)

    async def prune(self, before: datetime) -> int:
        return await self.real.prune(before)

    async def gaps(self, *, since: datetime, guild_id: int | None, limit: int) -> Gaps:
        return await self.real.gaps(since=since, guild_id=guild_id, limit=limit)

    async def schema_version(self) -> int:
        return await self.real.schema_version()

    async def close(self) -> None:
        await self.real.close()


def test_a_bug_in_writing_is_logged_and_the_writer_lives_on(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> Recorder:
        store = BrokenStore(open_store(sqlite_url))
        recorder = Recorder(store, retention_days=90, flush_seconds=0.01, now=lambda: NOW)
        recorder.start()
        recorder.add(MISS, guild_id=GUILD)
        await wait_for(lambda: _true(recorder.dropped == 1))
        store.broken = False
        recorder.add(HIT, guild_id=GUILD)
        await wait_for(lambda: _written(sqlite_url, 1))
        await recorder.close()
        return recorder

    with caplog.at_level(logging.ERROR, logger="bot.recorder"):
        assert asyncio.run(scenario()).dropped == 1
    assert "writing 1 lookups failed unexpectedly" in caplog.text
    assert "TypeError: a bug" in caplog.text
