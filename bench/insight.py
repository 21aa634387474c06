"""Time what recording a lookup costs, on the response path and off it, against one answer.

Run with `.venv/bin/python -m bench.insight`. The baseline, measured in the same run, is what
every lookup already costs: building the `/framework` answer to a typo (`replies.framework_reply`
on the shipped guide). Against it:

- `lookup_of`: normalizing the query and naming the outcome, done while the answer is built;
- `Recorder.add`: putting the record on the queue, the only recording step on the response path;
- writing records to SQLite, and to PostgreSQL when one answers at `GUIDEBOT_TEST_POSTGRES_URL`
  (a database of the bench's own, dropped after), per record, in the recorder's batches. These
  run in the background, so they bound how many lookups a second one bot can record, not how
  fast it answers.

Read the ratio column (time over baseline): the machines are shared and noisy.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):  # run as `python bench/insight.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bot import replies
from bot.guide import DEFAULT_GUIDE_PATH
from bot.insight import Record, lookup_of
from bot.insight_store import open_store
from bot.recorder import BATCH_SIZE, Recorder
from bot.store import GuideStore

QUERY = "djagno"
BATCHES = 20
ADDS = 100_000
POSTGRES_URL = os.environ.get("GUIDEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")


def per_call(function: Callable[[], object]) -> float:
    """Return the best time of one call, in seconds, over five autoranged batches."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number


def write_per_record(url: str, record: Record) -> float:
    """Return the seconds per record of writing `BATCHES` batches of `BATCH_SIZE` to `url`."""

    async def run() -> float:
        store = open_store(url)
        try:
            await store.write([record])  # connect and create the schema before timing
            started = time.perf_counter()
            for _ in range(BATCHES):
                await store.write([record] * BATCH_SIZE)
            return (time.perf_counter() - started) / (BATCHES * BATCH_SIZE)
        finally:
            await store.close()

    return asyncio.run(run())


def postgres_per_record(record: Record) -> float | None:
    """Time writes to a fresh PostgreSQL database; None when no server answers."""
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    name = f"guidebot_bench_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
        try:
            url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
            return write_per_record(url, record)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def main() -> None:
    """Print each time per call and its ratio to building one answer."""
    snapshot = GuideStore.open(DEFAULT_GUIDE_PATH).current
    found = snapshot.matcher.lookup(QUERY)
    lookup = lookup_of("framework", QUERY, found)
    if lookup is None:
        raise SystemExit(f"{QUERY!r} should be a lookup")
    record = Record.of(lookup, guild_id=1, at=datetime.now(UTC))

    baseline = per_call(lambda: replies.framework_reply(snapshot, QUERY, asker=1))
    rows: list[tuple[str, float | None]] = [
        ("framework_reply (baseline)", baseline),
        ("lookup_of", per_call(lambda: lookup_of("framework", QUERY, found))),
    ]

    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite:///{folder}/insight.sqlite3"

        async def adds() -> float:
            # A recorder that is not started keeps every record: room for exactly ADDS of them.
            best = float("inf")
            for _ in range(5):
                recorder = Recorder(open_store(sqlite), retention_days=0, max_pending=ADDS)
                seconds = timeit.timeit(partial(recorder.add, lookup, guild_id=1), number=ADDS)
                if recorder.dropped:
                    raise SystemExit("the queue dropped records: the timing is of the wrong path")
                best = min(best, seconds / ADDS)
            return best

        rows.append(("Recorder.add (response path)", asyncio.run(adds())))
        rows.append(
            (f"SQLite write, per record, batches of {BATCH_SIZE}", write_per_record(sqlite, record))
        )
    rows.append(
        (f"PostgreSQL write, per record, batches of {BATCH_SIZE}", postgres_per_record(record))
    )

    print(f"{'':48} {'per call':>10} {'ratio':>8}")
    for label, seconds in rows:
        if seconds is None:
            print(f"{label:48} {'skipped: no PostgreSQL at ' + POSTGRES_URL}")
        else:
            print(f"{label:48} {seconds * 1e6:>8.2f}us {seconds / baseline:>8.3f}")


if __name__ == "__main__":
    main()
