"""Where lookup records live: SQLite (one file) or PostgreSQL (shared by several bots).

The adapter half of guide insight (`bot.insight` is the pure half). Each store connects on first
use and again after a failure, creates and upgrades its schema itself (ordered migrations and a
`schema_version` table, under a lock, so two bots starting at once upgrade it once), and turns
every database failure into `InsightError`, so callers catch one thing.
"""

from __future__ import annotations

import abc
import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.insight import SQLITE_PREFIX, Count, Gaps, Outcome, Record

if TYPE_CHECKING:
    # Imported where it is used: psycopg costs a bot that records in SQLite (the default)
    # 11 MiB of memory and a sixth of a second of start-up (bench/e2e.py).
    import psycopg

POSTGRES_SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_SECONDS = 5
"""How long to wait for a database to accept a connection; recording waits, never an answer."""
WAL_RETRY_SECONDS = 0.01
"""Pause between two tries to switch a file another connection holds to write-ahead logging."""
OPERATION_TIMEOUT_SECONDS = 10.0
"""How long one PostgreSQL call (connecting included) may take: a server that went silent (a
network that drops packets) would otherwise hold the recorder until TCP gives up, hours later."""
MIGRATION_LOCK = 0x67756964  # "guid": the advisory lock PostgreSQL migrations hold
T = TypeVar("T")


class InsightError(Exception):
    """The insight database cannot be reached or used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema; once released, a step never changes (add a new one)."""

    version: int
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_INDEXES = (
    "CREATE INDEX lookups_guild_at ON lookups (guild_id, at)",
    "CREATE INDEX lookups_at ON lookups (at)",
)
MIGRATIONS = (
    Migration(
        1,
        sqlite=(
            "CREATE TABLE lookups (id INTEGER PRIMARY KEY, at REAL NOT NULL, guild_id INTEGER, "
            "command TEXT NOT NULL, query TEXT NOT NULL, outcome TEXT NOT NULL, framework TEXT)",
        ),
        postgres=(
            "CREATE TABLE lookups (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL, "
            "guild_id BIGINT, command TEXT NOT NULL, query TEXT NOT NULL, "
            "outcome TEXT NOT NULL, framework TEXT)",
        ),
    ),
    # Version 2: the report reads one server's recent rows; retention deletes the oldest.
    Migration(2, sqlite=_INDEXES, postgres=_INDEXES),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema this guidebot writes."""
_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)"

# Queries in SQLite's `:name` style; PostgreSQL's `%(name)s` is derived (`_postgres_sql`).
_INSERT_INTO = "INSERT INTO lookups (at, guild_id, command, query, outcome, framework) VALUES "
_INSERT = _INSERT_INTO + "(:at, :guild_id, :command, :query, :outcome, :framework)"
_COLUMNS = ("at", "guild_id", "command", "query", "outcome", "framework")
"""The columns `_INSERT_INTO` names, in its order."""
_ROW_OF_PLACEHOLDERS = "(?, ?, ?, ?, ?, ?)"
_PRUNE = "DELETE FROM lookups WHERE at < :before"
# One server's records, or every server's when :guild_id is NULL (CAST gives PostgreSQL its type).
_MISSES = (
    "SELECT query, COUNT(*) AS n FROM lookups WHERE at >= :since "
    "AND (CAST(:guild_id AS BIGINT) IS NULL OR guild_id = :guild_id) AND outcome <> :answered "
    "GROUP BY query ORDER BY n DESC, MAX(at) DESC, query LIMIT :limit"
)
_ANSWERED = (
    "SELECT framework, COUNT(*) AS n FROM lookups WHERE at >= :since "
    "AND (CAST(:guild_id AS BIGINT) IS NULL OR guild_id = :guild_id) AND outcome = :answered "
    "GROUP BY framework ORDER BY n DESC, MAX(at) DESC, framework LIMIT :limit"
)
_TOTALS = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN outcome = :answered THEN 1 ELSE 0 END), 0) "
    "FROM lookups WHERE at >= :since "
    "AND (CAST(:guild_id AS BIGINT) IS NULL OR guild_id = :guild_id)"
)
_GAPS_QUERIES = (_MISSES, _ANSWERED, _TOTALS)


def _gaps_params(since: object, guild_id: int | None, limit: int) -> dict[str, object]:
    return {
        "since": since,
        "guild_id": guild_id,
        "limit": limit,
        "answered": Outcome.ANSWERED.value,
    }


def _gaps(misses: Sequence[Any], answered: Sequence[Any], totals: Sequence[Any]) -> Gaps:
    return Gaps(
        misses=tuple(Count(str(name), int(n)) for name, n in misses),
        answered=tuple(Count(str(name), int(n)) for name, n in answered),
        lookups=int(totals[0]),
        answered_at_once=int(totals[1]),
    )


def _pending(current: int, where: str) -> tuple[Migration, ...]:
    """Return the migrations a schema at version `current` still needs."""
    if current > SCHEMA_VERSION:
        raise InsightError(
            f"{where}: the schema is version {current}, newer than this guidebot knows "
            f"({SCHEMA_VERSION}): upgrade guidebot, or point [insight] url elsewhere"
        )
    return tuple(m for m in MIGRATIONS if m.version > current)


def _row(record: Record, at: object) -> dict[str, object]:
    return {
        "at": at,
        "guild_id": record.guild_id,
        "command": record.command,
        "query": record.query,
        "outcome": str(record.outcome),
        "framework": record.framework,
    }


class InsightStore(abc.ABC):
    """Lookup records in a database: written in batches, pruned, and summed up as `Gaps`."""

    @abc.abstractmethod
    async def write(self, records: Sequence[Record]) -> None:
        """Store `records` in one transaction."""

    @abc.abstractmethod
    async def prune(self, before: datetime) -> int:
        """Delete the records made before `before`; return how many went."""

    @abc.abstractmethod
    async def gaps(self, *, since: datetime, guild_id: int | None, limit: int) -> Gaps:
        """Return the report of the records made since `since`, in one server or in all."""

    async def report(self, *, days: int, guild_id: int | None, limit: int) -> Gaps:
        """Return the report of the last `days` days, in one server or (None) in all."""
        since = datetime.now(UTC) - timedelta(days=days)
        return await self.gaps(since=since, guild_id=guild_id, limit=limit)

    @abc.abstractmethod
    async def schema_version(self) -> int:
        """Return the version of the schema, upgrading it first if it is older."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection; the next call opens a new one."""


def open_store(url: str) -> InsightStore:
    """Return the store `url` names; it connects on first use.

    Args:
        url: `sqlite:///PATH` (a relative PATH is relative to the current directory; the config
            makes it relative to the config file) or `postgresql://...`.

    Raises:
        InsightError: the URL names no store guidebot knows.
    """
    if url.startswith(SQLITE_PREFIX):
        return SqliteStore(Path(url.removeprefix(SQLITE_PREFIX)))
    if url.partition("://")[0] in POSTGRES_SCHEMES:
        return PostgresStore(url)
    raise InsightError(f"{url!r}: expected sqlite:///PATH or postgresql://...")


class SqliteStore(InsightStore):
    """Records in one SQLite file, used from a worker thread so the event loop never waits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def write(self, records: Sequence[Record]) -> None:
        """Store `records` in one transaction."""
        rows = [_row(record, record.at.timestamp()) for record in records]
        await self._run(lambda db: _insert_rows(db, rows))

    async def prune(self, before: datetime) -> int:
        """Delete the records made before `before`; return how many went."""
        return await self._run(lambda db: db.execute(_PRUNE, {"before": before.timestamp()}))

    async def gaps(self, *, since: datetime, guild_id: int | None, limit: int) -> Gaps:
        """Return the report of the records made since `since`, in one server or in all."""
        params = _gaps_params(since.timestamp(), guild_id, limit)
        misses, answered, totals = _GAPS_QUERIES

        def read(db: sqlite3.Connection) -> Gaps:
            with db:  # one read transaction: the three queries see the same rows
                db.execute("BEGIN")
                return _gaps(
                    db.execute(misses, params).fetchall(),
                    db.execute(answered, params).fetchall(),
                    db.execute(totals, params).fetchone(),
                )

        return await self._call(read)

    async def schema_version(self) -> int:
        """Return the version of the schema, upgrading it first if it is older."""
        return await self._call(_sqlite_version)

    async def close(self) -> None:
        """Close the file; the next call opens it again."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    async def _run(self, change: Callable[[sqlite3.Connection], sqlite3.Cursor]) -> int:
        """Run `change` in a transaction; return the rows it touched."""

        def run(db: sqlite3.Connection) -> int:
            with db:  # a transaction: commits, or rolls back on error
                db.execute("BEGIN IMMEDIATE")
                return change(db).rowcount

        return await self._call(run)

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._locked, work)

    def _locked(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                if self._db is None:
                    self._db = self._connect()
                return work(self._db)
            except (sqlite3.Error, OSError) as error:
                raise InsightError(f"{self.path}: {error}") from error

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path,
            timeout=CONNECT_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            _write_ahead_logging(db)
            with db:
                db.execute("BEGIN IMMEDIATE")  # one process upgrades; the others wait
                db.execute(_VERSION_TABLE)
                for migration in _pending(_sqlite_version(db), str(self.path)):
                    for statement in migration.sqlite:
                        db.execute(statement)
                    db.execute("INSERT INTO schema_version VALUES (?)", (migration.version,))
        except BaseException:
            db.close()
            raise
        return db


def _insert_rows(db: sqlite3.Connection, rows: Sequence[dict[str, object]]) -> sqlite3.Cursor:
    """Insert `rows`, as many to a statement as SQLite takes parameters for.

    `executemany` steps once per row, and the sqlite3 module lets go of the GIL at each step and
    takes it back: while the event loop is busy (a worker answering thousands of interactions a
    second) each of those waits, and makes the loop stop for it, 500 times a batch. A statement
    of many rows steps once.
    """
    per_statement = max(1, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(_COLUMNS))
    cursor = db.cursor()
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(
            _INSERT_INTO + ", ".join([_ROW_OF_PLACEHOLDERS] * len(chunk)),
            [row[column] for row in chunk for column in _COLUMNS],
        )
    return cursor


def _write_ahead_logging(db: sqlite3.Connection) -> None:
    """Put the file in write-ahead logging, which lets `guidebot gaps` read while the bot writes.

    Two connections opening a new file at once (the bot's writer and a report) may both switch
    it, and SQLite refuses the second at once, without waiting as it waits for other locks:
    that one tries again, for as long as a connection may take.
    """
    deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_SECONDS)


def _sqlite_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


class PostgresStore(InsightStore):
    """Records in a PostgreSQL database, which several bots can share."""

    def __init__(self, url: str, *, timeout: float = OPERATION_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def write(self, records: Sequence[Record]) -> None:
        """Store `records` in one transaction."""
        rows = [_row(record, record.at) for record in records]

        async def write(conn: psycopg.AsyncConnection[Any]) -> None:
            async with conn.transaction(), conn.cursor() as cursor:
                await cursor.executemany(_postgres_sql(_INSERT), rows)

        await self._with(write)

    async def prune(self, before: datetime) -> int:
        """Delete the records made before `before`; return how many went."""

        async def prune(conn: psycopg.AsyncConnection[Any]) -> int:
            cursor = await conn.execute(_postgres_sql(_PRUNE), {"before": before})
            return cursor.rowcount

        return await self._with(prune)

    async def gaps(self, *, since: datetime, guild_id: int | None, limit: int) -> Gaps:
        """Return the report of the records made since `since`, in one server or in all."""
        params = _gaps_params(since, guild_id, limit)
        queries = [_postgres_sql(query) for query in _GAPS_QUERIES]

        async def read(conn: psycopg.AsyncConnection[Any]) -> Gaps:
            async with conn.transaction():
                # One snapshot for the three queries, so the numbers agree with each other.
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                misses, answered, totals = [
                    await (await conn.execute(query, params)).fetchall() for query in queries
                ]
            return _gaps(misses, answered, totals[0])

        return await self._with(read)

    async def schema_version(self) -> int:
        """Return the version of the schema, upgrading it first if it is older."""
        return await self._with(_postgres_version)

    async def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        async with self._lock:
            await self._drop()

    async def _with(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        import psycopg  # see the TYPE_CHECKING import

        async with self._lock:
            try:
                return await self._within_timeout(work)
            except (psycopg.Error, OSError, TimeoutError) as error:
                await self._drop()
                why = (
                    f"no answer within {self.timeout:g} s"
                    if isinstance(error, TimeoutError)
                    else _one_line(error)
                )
                raise InsightError(f"{_safe_url(self.url)}: {why}") from error

    async def _within_timeout(
        self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]
    ) -> T:
        async def connected() -> T:
            if self._conn is None or self._conn.closed:
                self._conn = await self._connect()
            return await work(self._conn)

        task = asyncio.ensure_future(connected())
        try:
            await asyncio.wait({task}, timeout=self.timeout)
        finally:
            # Cancelled once, psycopg asks the server to cancel the query and waits up to 10 s
            # for it, through the same silent network; cancelled again, it closes the
            # connection at once. The same when the caller itself is cancelled (shutdown).
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.05)
        if task.cancelled():
            raise TimeoutError
        return task.result()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        import psycopg  # see the TYPE_CHECKING import

        conn = await psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        )
        try:
            async with conn.transaction():
                # Bots starting together take turns: the first upgrades, the rest find it done.
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                await conn.execute(_VERSION_TABLE)
                where = _safe_url(self.url)
                for migration in _pending(await _postgres_version(conn), where):
                    for statement in migration.postgres:
                        await conn.execute(statement)
                    await conn.execute(
                        "INSERT INTO schema_version VALUES (%s)", (migration.version,)
                    )
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


async def _postgres_version(conn: psycopg.AsyncConnection[Any]) -> int:
    cursor = await conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _postgres_sql(query: str) -> str:
    """Return a `:name` query in psycopg's `%(name)s` style."""
    return re.sub(r":(\w+)", r"%(\1)s", query)


def _safe_url(url: str) -> str:
    """Return `url` without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
