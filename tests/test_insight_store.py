"""The insight stores, the same tests against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from bot.insight import Count, Gaps, Outcome, Record
from bot.insight_store import SCHEMA_VERSION, InsightError, InsightStore, SqliteStore, open_store
from tests.helpers import VERSION_1, run_sql
from tests.postgres import REQUIRE_ENV, URL_ENV, fresh_database, server_url

T = TypeVar("T")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
GUILD = 111
OTHER_GUILD = 222


def record(
    query: str,
    outcome: Outcome = Outcome.NOT_FOUND,
    *,
    framework: str | None = None,
    guild_id: int | None = GUILD,
    at: datetime = NOW,
) -> Record:
    return Record(
        command="framework",
        query=query,
        outcome=outcome,
        framework=framework,
        guild_id=guild_id,
        at=at,
    )


def hit(framework: str, *, guild_id: int | None = GUILD) -> Record:
    return record(framework, Outcome.ANSWERED, framework=framework, guild_id=guild_id)


@pytest.fixture(params=["sqlite", "postgresql"])
def insight_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty insight database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'insight.sqlite3'}"
    else:
        with fresh_database() as url:
            yield url


def kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


async def using(url: str, work: Callable[[InsightStore], Awaitable[T]]) -> T:
    store = open_store(url)
    try:
        return await work(store)
    finally:
        await store.close()


def test_a_new_database_gets_the_current_schema(insight_url: str) -> None:
    async def scenario(store: InsightStore) -> int:
        return await store.schema_version()

    assert asyncio.run(using(insight_url, scenario)) == SCHEMA_VERSION == 2


def test_the_report_counts_misses_and_answers_most_asked_first(insight_url: str) -> None:
    records = [
        *(record("fastapi", at=NOW - timedelta(minutes=i)) for i in range(3)),
        *(record("flsk djngo", Outcome.SUGGESTED) for _ in range(2)),
        record("pizza"),
        *(hit("django") for _ in range(4)),
        hit("flask"),
    ]

    async def scenario(store: InsightStore) -> Gaps:
        await store.write(records)
        return await store.gaps(since=NOW - timedelta(days=30), guild_id=None, limit=10)

    gaps = asyncio.run(using(insight_url, scenario))
    assert gaps.misses == (Count("fastapi", 3), Count("flsk djngo", 2), Count("pizza", 1))
    assert gaps.answered == (Count("django", 4), Count("flask", 1))
    assert (gaps.lookups, gaps.answered_at_once) == (11, 5)


def test_a_server_sees_only_its_own_records(insight_url: str) -> None:
    records = [
        record("ours", guild_id=GUILD),
        hit("django", guild_id=GUILD),
        record("theirs", guild_id=OTHER_GUILD),
        record("theirs", guild_id=OTHER_GUILD),
        hit("flask", guild_id=OTHER_GUILD),
        record("in a dm", guild_id=None),
    ]

    async def scenario(store: InsightStore) -> tuple[Gaps, Gaps]:
        await store.write(records)
        since = NOW - timedelta(days=1)
        return (
            await store.gaps(since=since, guild_id=GUILD, limit=10),
            await store.gaps(since=since, guild_id=None, limit=10),
        )

    ours, everyone = asyncio.run(using(insight_url, scenario))
    assert ours.misses == (Count("ours", 1),)
    assert ours.answered == (Count("django", 1),)
    assert ours.lookups == 2
    assert [miss.name for miss in everyone.misses] == ["theirs", "in a dm", "ours"]
    assert everyone.lookups == 6


def test_the_report_looks_back_only_so_many_days_and_lists_only_so_many(insight_url: str) -> None:
    records = [
        record("old", at=NOW - timedelta(days=8)),
        *(record(f"query {i}", at=NOW - timedelta(minutes=i)) for i in range(5)),
    ]

    async def scenario(store: InsightStore) -> Gaps:
        await store.write(records)
        return await store.gaps(since=NOW - timedelta(days=7), guild_id=None, limit=2)

    gaps = asyncio.run(using(insight_url, scenario))
    # Ties go to the most recently asked.
    assert gaps.misses == (Count("query 0", 1), Count("query 1", 1))
    assert gaps.lookups == 5


def test_queries_are_stored_as_text_whatever_they_hold(insight_url: str) -> None:
    nasty = ["'; DROP TABLE lookups; --", ":since", "%(limit)s", "名前 @everyone", "x" * 100]

    async def scenario(store: InsightStore) -> Gaps:
        await store.write([record(query) for query in nasty])
        return await store.gaps(since=NOW - timedelta(days=1), guild_id=None, limit=10)

    gaps = asyncio.run(using(insight_url, scenario))
    assert sorted(miss.name for miss in gaps.misses) == sorted(nasty)


def test_retention_deletes_only_older_rows(insight_url: str) -> None:
    records = [
        record("ancient", at=NOW - timedelta(days=91)),
        record("old", at=NOW - timedelta(days=90, seconds=1)),
        record("recent", at=NOW - timedelta(days=89)),
    ]

    async def scenario(store: InsightStore) -> tuple[int, Gaps]:
        await store.write(records)
        deleted = await store.prune(NOW - timedelta(days=90))
        gaps = await store.gaps(since=NOW - timedelta(days=365), guild_id=None, limit=10)
        return deleted, gaps

    deleted, gaps = asyncio.run(using(insight_url, scenario))
    assert deleted == 2
    assert gaps.misses == (Count("recent", 1),)


def test_a_version_1_database_is_upgraded_and_keeps_its_rows(insight_url: str) -> None:
    run_sql(insight_url, VERSION_1[kind(insight_url)])

    async def scenario(store: InsightStore) -> tuple[int, Gaps]:
        version = await store.schema_version()
        await store.write([record("fastapi"), hit("django")])
        gaps = await store.gaps(since=NOW - timedelta(days=1), guild_id=GUILD, limit=10)
        return version, gaps

    version, gaps = asyncio.run(using(insight_url, scenario))
    assert version == SCHEMA_VERSION
    assert gaps.misses == (Count("fastapi", 2),)  # the old row and the new one
    assert gaps.answered == (Count("django", 1),)
    index_query = (
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lookups'"
        if kind(insight_url) == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'lookups'"
    )
    assert {"lookups_guild_at", "lookups_at"} <= set(_column(insight_url, index_query))
    assert _column(insight_url, "SELECT version FROM schema_version ORDER BY version") == [1, 2]


def _column(url: str, query: str) -> list[object]:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            values = [row[0] for row in db.execute(query)]
        db.close()
        return values
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(query.encode())]


def test_a_schema_newer_than_this_guidebot_is_refused(insight_url: str) -> None:
    run_sql(
        insight_url,
        (
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY)",
            "INSERT INTO schema_version VALUES (3)",  # one more than SCHEMA_VERSION
        ),
    )

    async def scenario(store: InsightStore) -> int:
        return await store.schema_version()

    with pytest.raises(InsightError, match=r"schema is version 3, newer than this guidebot"):
        asyncio.run(using(insight_url, scenario))


def test_bots_starting_together_upgrade_the_schema_once(insight_url: str) -> None:
    async def scenario() -> list[int]:
        stores = [open_store(insight_url) for _ in range(4)]
        try:
            return list(await asyncio.gather(*(store.schema_version() for store in stores)))
        finally:
            for store in stores:
                await store.close()

    assert asyncio.run(scenario()) == [SCHEMA_VERSION] * 4
    assert _column(insight_url, "SELECT version FROM schema_version ORDER BY version") == [1, 2]


def test_an_unreachable_database_raises_insight_error_without_the_password(tmp_path: Path) -> None:
    async def scenario(store: InsightStore) -> int:
        return await store.schema_version()

    url = "postgresql://guidebot:hunter2@127.0.0.1:1/insight"
    with pytest.raises(InsightError) as error:
        asyncio.run(using(url, scenario))
    assert "hunter2" not in str(error.value)
    assert "postgresql://guidebot:***@127.0.0.1:1/insight" in str(error.value)

    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(InsightError, match="file"):
        asyncio.run(using(f"sqlite:///{tmp_path / 'file' / 'insight.sqlite3'}", scenario))


@pytest.mark.parametrize("url", ["mysql://localhost/x", "sqlite://relative.db", "insight.db"])
def test_an_unknown_url_is_refused(url: str) -> None:
    with pytest.raises(InsightError, match="expected sqlite:///PATH or postgresql://"):
        open_store(url)


def test_without_postgresql_a_test_skips_in_one_line_and_fails_where_it_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    assert server_url() == "postgresql://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv(URL_ENV, "postgresql://postgres@127.0.0.1:1/test")
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped, fresh_database():
        pass
    assert skipped.value.msg.startswith("no PostgreSQL at postgresql://postgres@127.0.0.1:1/test: ")
    assert "\n" not in skipped.value.msg

    monkeypatch.setenv(REQUIRE_ENV, "1")
    with (
        pytest.raises(pytest.fail.Exception, match="GUIDEBOT_REQUIRE_POSTGRES=1 but no"),
        fresh_database(),
    ):
        pass


def test_ci_requires_postgresql() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    lines = ci.splitlines()
    assert lines.index("export GUIDEBOT_REQUIRE_POSTGRES=1") < next(
        i for i, line in enumerate(lines) if line.startswith("exec ")
    )


def test_a_sqlite_file_locked_while_another_connection_opens_it_is_waited_for(
    tmp_path: Path,
) -> None:
    """A store opened while another connection writes the file, not yet in write-ahead logging,
    waits for it: SQLite refuses the switch at once rather than wait for that lock."""
    path = tmp_path / "insight.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other VALUES (1)")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        version = asyncio.run(open_store(f"sqlite:///{path}").schema_version())
    finally:
        release.join()
        holder.close()

    assert version == SCHEMA_VERSION


def test_a_batch_is_written_whole_however_few_parameters_sqlite_takes_a_statement(
    tmp_path: Path,
) -> None:
    """Rows go many to a statement, as many as SQLite's parameter limit allows: here two."""
    store = SqliteStore(tmp_path / "insight.sqlite3")
    records = [record(f"query {number}", at=NOW + timedelta(seconds=number)) for number in range(5)]

    async def scenario() -> Gaps:
        await store.schema_version()
        assert store._db is not None
        store._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 13)  # two rows of six
        await store.write(records)
        return await store.gaps(since=NOW, guild_id=GUILD, limit=10)

    try:
        gaps = asyncio.run(scenario())
    finally:
        asyncio.run(store.close())

    assert gaps.lookups == 5
    assert sorted(count.name for count in gaps.misses) == [f"query {n}" for n in range(5)]
