"""End-to-end: the real bot records what learners look up, and reports it, against the emulator.

Lookups go through the real bot process; the reports are `/guide gaps` through the emulator and
`guidebot gaps` run as a user runs it. The PostgreSQL tests use a fresh database of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.insight import Gaps, Outcome, Record
from bot.insight_store import open_store
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import REPO_ROOT, bot_config, running_bot
from tests.emulator.monitoring import free_port, get, samples
from tests.emulator.payloads import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
)
from tests.helpers import VERSION_1, run_sql
from tests.postgres import CuttableProxy, fresh_database

ADMIN = MEMBER_PERMISSIONS | MANAGE_GUILD
MISSING = "cobol on cogs"
"""Names no framework, and nothing close: not found."""
SUGGESTING = "flsk djngo"
"""Names no framework for sure, but the matcher suggests Django and Flask."""


async def recorded(url: str, *, lookups: int, timeout: float = 10.0) -> Gaps:
    """Wait until the database at `url` holds `lookups` lookups of today; return the report."""
    store = open_store(url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                gaps = await store.report(days=1, guild_id=None, limit=50)
                if gaps.lookups >= lookups:
                    return gaps
                await asyncio.sleep(0.1)
    finally:
        await store.close()


def guidebot_gaps(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `guidebot ARGS --json` in a process of its own, as a user would; return the report."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args, "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def guide_gaps(emu: DiscordEmulator, **options: Any) -> dict[str, Any]:
    """Run `/guide gaps` as an admin; return the embed the admin sees once it is answered."""
    result = await emu.slash("guide", options, subcommand="gaps", permissions=ADMIN)
    if result.type == DEFERRED_CHANNEL_MESSAGE:
        await result.wait_webhook("POST *")
    assert result.ephemeral
    assert result.message is not None
    (embed,) = result.message["embeds"]
    return embed  # type: ignore[no-any-return]


async def look_up(emu: DiscordEmulator, command: str, query: str) -> None:
    option = "name" if command == "framework" else "framework"
    answer = await emu.slash(command, {option: query})
    assert answer.type == CHANNEL_MESSAGE, answer


@pytest.mark.e2e
def test_lookups_through_the_bot_show_in_guide_gaps_and_guidebot_gaps(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    # The default [insight] url: a SQLite file under var/, beside the config file.
    database = f"sqlite:///{tmp_path}/var/insight.sqlite3"
    other_server = Record(
        command="framework",
        query="another server's miss",
        outcome=Outcome.NOT_FOUND,
        framework=None,
        guild_id=1,
        at=datetime.now(UTC),
    )

    async def scenario() -> dict[str, Any]:
        async with (
            emulator,
            running_bot(emulator, workdir=tmp_path, config_text=bot_config(emulator)),
        ):
            for command, query in [
                ("framework", "Django"),
                ("framework", "djagno"),
                ("resources", "django"),
                ("resources", "Flask"),
                ("framework", MISSING),
                ("framework", "  COBOL  on cogs "),
                ("resources", MISSING),
                ("framework", SUGGESTING),
            ]:
                await look_up(emulator, command, query)
            await emulator.slash("framework", {})  # the list of every framework: no lookup
            store = open_store(database)
            await store.write([other_server])
            await store.close()
            await recorded(database, lookups=9)

            refused = await emulator.slash("guide", subcommand="gaps")
            assert refused.data["embeds"][0]["description"] == (
                "You need the Manage Server permission for that."
            )
            default = await guide_gaps(emulator)
            assert default["description"].startswith("In the last 30 days, learners here made ")
            return await guide_gaps(emulator, days=7)

    embed = asyncio.run(scenario())
    assert embed["title"] == "What learners looked for"
    assert embed["description"] == (
        "In the last 7 days, learners here made **8** lookups; **50%** found a framework at once."
    )
    assert [field["value"] for field in embed["fields"]] == [
        "**3** `cobol on cogs`\n**1** `flsk djngo`",  # not another server's
        "**3** Django\n**1** Flask",
    ]

    # After the bot has stopped, from the command line, across every server.
    report = guidebot_gaps("--config", str(tmp_path / "config.toml"), "gaps")
    assert report == {
        "misses": [
            {"query": "cobol on cogs", "count": 3},
            {"query": "flsk djngo", "count": 1},  # a tie: the most recently asked first
            {"query": "another server's miss", "count": 1},
        ],
        "answered": [{"framework": "django", "count": 3}, {"framework": "flask", "count": 1}],
        "lookups": 9,
    }


@pytest.mark.e2e
def test_two_bots_share_one_postgresql_database_upgraded_from_version_1(tmp_path: Path) -> None:
    with fresh_database() as url:
        run_sql(url, VERSION_1["postgresql"])  # one "fastapi" miss, recorded by version 1

        async def one_bot(emu: DiscordEmulator, workdir: Path, queries: list[str]) -> str:
            async with (
                emu,
                running_bot(
                    emu, workdir=workdir, config_text=bot_config(emu, insight={"url": url})
                ),
            ):
                for query in queries:
                    await look_up(emu, "framework", query)
            return emu.guild_id

        async def scenario() -> tuple[str, str]:
            first, second = DiscordEmulator(), DiscordEmulator()
            # Both start together on the old schema: one upgrades it, the other waits.
            ids = await asyncio.gather(
                one_bot(first, tmp_path / "a", ["django", MISSING, MISSING]),
                one_bot(second, tmp_path / "b", ["flask", MISSING, SUGGESTING]),
            )
            for emu in (first, second):
                assert not emu.violations(), emu.violations()
            return ids[0], ids[1]

        first_guild, second_guild = asyncio.run(scenario())
        config = tmp_path / "config.toml"
        config.write_text(f"[insight]\nurl = {json.dumps(url)}\n", encoding="utf-8")
        # All days: the version-1 row has a fixed date.
        everyone = guidebot_gaps("--config", str(config), "gaps", "--days", "36500")
        # The bots ran at once, so which of the two tied frameworks came last is up to chance.
        everyone["answered"].sort(key=lambda hit: hit["framework"])
        assert everyone == {
            "misses": [
                {"query": MISSING, "count": 3},
                {"query": SUGGESTING, "count": 1},
                {"query": "fastapi", "count": 1},
            ],
            "answered": [{"framework": "django", "count": 1}, {"framework": "flask", "count": 1}],
            "lookups": 7,
        }
        # Each server's own, with the url from the environment this time.
        env = {"GUIDEBOT_INSIGHT_URL": url}
        empty = _empty(tmp_path)
        first = guidebot_gaps("--config", str(empty), "gaps", "--guild", first_guild, env=env)
        second = guidebot_gaps("--config", str(empty), "gaps", "--guild", second_guild, env=env)
        assert first["misses"] == [{"query": MISSING, "count": 2}]
        assert second["misses"] == [
            {"query": SUGGESTING, "count": 1},
            {"query": MISSING, "count": 1},
        ]


def _empty(folder: Path) -> Path:
    path = folder / "empty.toml"
    path.write_text("", encoding="utf-8")
    return path


async def dropped_total(port: int) -> float:
    """Return `guidebot_insight_dropped_total` from the bot's /metrics."""
    _status, text = await get(f"http://127.0.0.1:{port}/metrics")
    return samples(text)[("guidebot_insight_dropped_total", ())]


@pytest.mark.e2e
def test_answers_go_on_when_the_database_goes_away_mid_run(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    port = free_port()
    cut_off = ("flask", MISSING, "rails", SUGGESTING, "laravel")
    with fresh_database() as url:

        async def scenario() -> tuple[str, Gaps]:
            async with CuttableProxy.to(url) as proxy, emulator:
                config = bot_config(
                    emulator, insight={"url": proxy.url(url)}, metrics={"port": port}
                )
                async with running_bot(emulator, workdir=tmp_path, config_text=config) as bot:
                    await look_up(emulator, "framework", "django")
                    await recorded(url, lookups=1)
                    assert await dropped_total(port) == 0

                    proxy.sever()
                    for query in cut_off:
                        answer = await emulator.slash("framework", {"name": query})
                        assert answer.accepted
                        assert answer.type == CHANNEL_MESSAGE  # answered at once, not deferred
                    async with asyncio.timeout(20):  # each one dropped, and counted
                        while await dropped_total(port) < len(cut_off):
                            await asyncio.sleep(0.1)
                    unavailable = await guide_gaps(emulator)
                    assert unavailable["title"] == "Insight unavailable"

                    proxy.restore()
                    await look_up(emulator, "resources", "rails")
                    gaps = await recorded(url, lookups=2, timeout=15)
                    assert await dropped_total(port) == len(cut_off)
                    return bot.log(), gaps

        log, gaps = asyncio.run(scenario())

    assert [hit.name for hit in gaps.answered] == ["rubyonrails", "django"]  # nothing else
    warnings = [line for line in log.splitlines() if "lookups not recorded" in line]
    assert len(warnings) == 1, "at most one warning a minute"
    assert "answers go on" in warnings[0]
    assert "lookups are recorded again" in log


@pytest.mark.e2e
def test_guidebot_serve_records_lookups_as_the_gateway_bot_does(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        config = bot_config(emulator)
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path, config_text=config):
            for command, query in [("framework", "djagno"), ("resources", MISSING)]:
                await look_up(emulator, command, query)

    asyncio.run(scenario())  # stopping the server writes what is still queued
    assert guidebot_gaps("--config", str(tmp_path / "config.toml"), "gaps") == {
        "misses": [{"query": MISSING, "count": 1}],
        "answered": [{"framework": "django", "count": 1}],
        "lookups": 2,
    }
