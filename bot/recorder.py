"""Recording lookups off the response path: a bounded queue, written in batches in the background.

`Recorder.add` never waits: it puts a record in a bounded queue and returns, so an answer is
never slower for being recorded. A background task writes what has queued up, one batch at a
time; another deletes the rows older than the retention. When the database is unreachable,
answers go on: the records are dropped and counted, and a warning is logged at most once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.insight import Lookup, Record
from bot.insight_store import InsightError, InsightStore

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
"""Records waiting to be written, at most (about 2 MB); beyond that a record is dropped."""
BATCH_SIZE = 500
"""Records written in one transaction, at most."""
FLUSH_SECONDS = 1.0
"""Pause after a write that left less than a batch queued, so that records gather into batches;
with a batch or more waiting, the next write follows at once, so that no more than one batch a
second (500 lookups a second, which one HTTP worker exceeds) is not a ceiling."""
PRUNE_EVERY_SECONDS = 3600.0
WARN_EVERY_SECONDS = 60.0
"""A warning about lost records is logged at most this often."""
CLOSE_TIMEOUT_SECONDS = 5.0
"""On shutdown, how long the records still queued may take to be written."""


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Recorder:
    """Takes lookups from the response path and writes them to `store` in the background.

    Args:
        store: where the records go.
        retention_days: rows older than this are deleted (hourly); 0 keeps every row.
        on_dropped: called with the number of records lost each time some are (the metric).
        max_pending: records the queue holds before it drops new ones.
        flush_seconds: pause between two writes.
        clock: monotonic seconds, for the warning's rate limit.
        now: the current time, for the records' time stamps and the retention.
    """

    def __init__(
        self,
        store: InsightStore,
        *,
        retention_days: int,
        on_dropped: Callable[[int], None] | None = None,
        max_pending: int = MAX_PENDING,
        flush_seconds: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.retention_days = retention_days
        self.dropped = 0
        """Records lost since start-up."""
        self._on_dropped = on_dropped
        self._queue: asyncio.Queue[Record] = asyncio.Queue(max_pending)
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._now = now
        self._warned_at: float | None = None
        self._failing = False
        self._writer: asyncio.Task[None] | None = None
        self._pruner: asyncio.Task[None] | None = None
        self._in_flight: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start writing and pruning in the background."""
        self._writer = asyncio.create_task(self._write_forever(), name="insight-writer")
        self._pruner = asyncio.create_task(self._prune_forever(), name="insight-pruner")

    def add(self, lookup: Lookup, *, guild_id: int | None) -> None:
        """Queue `lookup`, made now in `guild_id`, for writing; never waits."""
        record = Record.of(lookup, guild_id=guild_id, at=self._now())
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self._drop(1, f"{self._queue.maxsize} lookups are already waiting to be written")

    async def close(self) -> None:
        """Stop the background tasks, write what is still queued (within a few seconds), close.

        Closing twice is closing once.
        """
        if self._closed:
            return
        self._closed = True
        for task in (self._pruner, self._writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                if self._in_flight is not None:
                    await self._in_flight
                while not self._queue.empty():
                    await self._write(self._take_batch([]))
        except TimeoutError:
            self._drop(self._queue.qsize(), "shutting down before the database answered")
        await self.store.close()

    async def _write_forever(self) -> None:
        while True:
            batch = self._take_batch([await self._queue.get()])
            # Shielded: close() waits for a write already under way instead of cutting it off.
            self._in_flight = asyncio.ensure_future(self._write(batch))
            await asyncio.shield(self._in_flight)
            self._in_flight = None
            if self._queue.qsize() < BATCH_SIZE:  # under load, the next full batch goes at once
                await asyncio.sleep(self._flush_seconds)

    def _take_batch(self, batch: list[Record]) -> list[Record]:
        """Add what is queued to `batch`, up to `BATCH_SIZE` records."""
        while len(batch) < BATCH_SIZE and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _write(self, batch: list[Record]) -> None:
        try:
            await self.store.write(batch)
        except InsightError as error:
            self._failing = True
            self._drop(len(batch), str(error))
            return
        except Exception:  # a bug: the writer must live on, and say so loudly
            log.exception("insight: writing %d lookups failed unexpectedly", len(batch))
            self._drop(len(batch), "an unexpected error, logged above")
            return
        if self._failing:
            self._failing = False
            log.info("insight: the database answers again; lookups are recorded again")

    async def _prune_forever(self) -> None:
        """Open the database at once (creating or upgrading its schema), then prune hourly."""
        try:
            version = await self.store.schema_version()
            log.info("insight: recording lookups, schema version %d", version)
        except InsightError as error:
            self._warn(f"insight: cannot open the database (tried again with each batch): {error}")
        while True:
            if self.retention_days:
                before = self._now() - timedelta(days=self.retention_days)
                try:
                    deleted = await self.store.prune(before)
                except InsightError as error:
                    self._warn(f"insight: cannot delete old lookups: {error}")
                else:
                    if deleted:
                        log.info("insight: deleted %d lookups older than %s", deleted, before)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    def _drop(self, count: int, reason: str) -> None:
        if count <= 0:
            return
        self.dropped += count
        if self._on_dropped is not None:
            self._on_dropped(count)
        self._warn(
            f"insight: {count} lookups not recorded ({reason}); answers go on; "
            f"{self.dropped} dropped since start-up"
        )

    def _warn(self, message: str) -> None:
        now = self._clock()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("%s", message)
