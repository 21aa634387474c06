"""Sharding end to end: real bot processes splitting one application's servers between them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BOT_COMMAND, BotProcess, run_to_exit, running_bot
from tests.emulator.messages import public_messages, title
from tests.emulator.monitoring import free_port, get, samples, wait_health
from tests.emulator.payloads import EPHEMERAL
from tests.emulator.records import InteractionResult
from tests.helpers import closed_port_url

pytestmark = pytest.mark.e2e

CONFIG = '[logging]\nlevel = "INFO"\n'
"""No dev server: the commands are registered globally once, as in production."""


def run_command(*flags: str) -> tuple[str, ...]:
    return (*BOT_COMMAND, *flags)


def serving_shards(
    emu: DiscordEmulator,
    workdir: Path,
    ids: str,
    *flags: str,
    count: int = 2,
    config_text: str = CONFIG,
) -> AbstractAsyncContextManager[BotProcess]:
    """Run a bot process with `--shard-count COUNT --shard-ids IDS` until its shards are READY."""
    return running_bot(
        emu,
        config_text=config_text,
        command=run_command("--shard-count", str(count), "--shard-ids", ids, *flags),
        synced=False,
        shards=[int(shard) for shard in ids.split(",")],
        workdir=workdir,
    )


async def sync_globally(emu: DiscordEmulator) -> None:
    code, _out, err = await run_to_exit(
        emu, "--config", str(REPO_ROOT / "config.example.toml"), "sync"
    )
    assert code == 0, err


def place_servers(emu: DiscordEmulator, shard_count: int, per_shard: int = 2) -> dict[str, int]:
    """Return new servers, `per_shard` on each shard, with the shard each belongs to."""
    return {
        emu.make_guild(shard=shard, shard_count=shard_count): shard
        for shard in range(shard_count)
        for _ in range(per_shard)
    }


async def ask_everywhere(
    emu: DiscordEmulator, guilds: Sequence[str], name: str = "flask"
) -> list[InteractionResult]:
    """Run /framework and an autocomplete in a channel of its own in each server."""
    results = []
    for guild in guilds:
        channel = emu.snowflake()
        results.append(
            await emu.slash("framework", {"name": name}, guild_id=guild, channel_id=channel)
        )
        results.append(
            await emu.autocomplete(
                "framework", {"name": "fla"}, focused="name", guild_id=guild, channel_id=channel
            )
        )
    return results


def assert_answered_once(emu: DiscordEmulator, results: Sequence[InteractionResult]) -> None:
    for result in results:
        assert result.type in {4, 8}, result
    callbacks = Counter(
        request.path.split("/")[-3] for request in emu.requests if request.path.endswith("callback")
    )
    assert {result.id: callbacks[result.id] for result in results} == {
        result.id: 1 for result in results
    }


def identified_shards(emu: DiscordEmulator) -> list[list[int] | None]:
    return [identify.get("shard") for identify in emu.gateway.identifies]


def test_two_processes_each_serve_their_own_shard_and_one_restarts_alone(emulator, tmp_path):
    async def scenario():
        async with emulator:
            await sync_globally(emulator)
            guilds = place_servers(emulator, 2)
            on = {shard: [g for g, s in guilds.items() if s == shard] for shard in (0, 1)}
            ports = free_port(), free_port()
            health = [f"http://127.0.0.1:{port}" for port in ports]
            first_flags = ("--metrics-port", str(ports[0]))
            second_flags = ("--metrics-port", str(ports[1]))
            async with serving_shards(emulator, tmp_path / "first", "0", *first_flags) as first:
                async with serving_shards(
                    emulator, tmp_path / "second", "1", *second_flags
                ) as second:
                    assert identified_shards(emulator) == [[0, 2], [1, 2]]
                    assert "serving shard 0 of 2 (Discord recommends 1)" in first.log()
                    assert "serving shard 1 of 2 (Discord recommends 1)" in second.log()
                    for base, shard in zip(health, ("0", "1"), strict=True):
                        body = await wait_health(emulator, base, 200)
                        assert body["shards"] == {shard: True}
                        assert (body["shards_ready"], body["shard_count"]) == (1, 1)
                    assert_answered_once(emulator, await ask_everywhere(emulator, list(guilds)))
                first_session = emulator.gateway.shard_sessions[0]

                # The second process is gone: its servers wait, the first one's carry on.
                assert not emulator.gateway.serving(on[1][0])
                assert_answered_once(emulator, await ask_everywhere(emulator, on[0]))

                async with serving_shards(emulator, tmp_path / "second-again", "1", *second_flags):
                    assert_answered_once(emulator, await ask_everywhere(emulator, list(guilds)))
                    # The first process never noticed: the same session, no new IDENTIFY or RESUME.
                    assert emulator.gateway.shard_sessions[0] is first_session
                    assert first_session.connection is not None
                    assert first_session.connection.live
                    assert identified_shards(emulator) == [[0, 2], [1, 2], [1, 2]]
                    assert emulator.gateway.resume_count == 0
                    assert (await wait_health(emulator, health[0], 200))["shards"] == {"0": True}
                    assert (await wait_health(emulator, health[1], 200))["shards"] == {"1": True}

    asyncio.run(scenario())


def test_one_process_serves_every_shard_discord_recommends(emulator, tmp_path):
    async def scenario():
        emulator.gateway.recommended_shards = 2
        async with emulator:
            await sync_globally(emulator)
            guilds = place_servers(emulator, 2)
            async with running_bot(
                emulator, config_text=CONFIG, synced=False, shards=[0, 1], workdir=tmp_path
            ) as bot:
                assert sorted(identified_shards(emulator)) == [[0, 2], [1, 2]]
                assert "serving shards 0, 1 of 2 (Discord recommends 2)" in bot.log()
                assert_answered_once(emulator, await ask_everywhere(emulator, list(guilds)))

    asyncio.run(scenario())


def test_shard_ids_0_1_of_a_larger_count_serve_those_two_only(emulator, tmp_path):
    async def scenario():
        async with emulator:
            await sync_globally(emulator)
            guilds = place_servers(emulator, 3)
            served = [guild for guild, shard in guilds.items() if shard in {0, 1}]
            async with serving_shards(emulator, tmp_path, "0,1", count=3) as bot:
                assert sorted(identified_shards(emulator)) == [[0, 3], [1, 3]]
                assert "serving shards 0, 1 of 3 (Discord recommends 1)" in bot.log()
                assert_answered_once(emulator, await ask_everywhere(emulator, served))
                assert not any(emulator.gateway.serving(g) for g, s in guilds.items() if s == 2)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("config", "flags", "line"),
    [
        (
            "",
            ["--shard-ids", "0,1"],
            "guidebot: config problem: --shard-ids needs [sharding] shard_count: how many shards "
            "the application has in all, across every process",
        ),
        (
            "",
            ["--shard-count", "2", "--shard-ids", "0,2"],
            "guidebot: config problem: --shard-ids 2 not below --shard-count 2: the shards are "
            "numbered 0 to 1",
        ),
        (
            "[sharding]\nshard_count = 2\n",
            ["--shard-ids", "1,2"],
            "guidebot: config problem: --shard-ids 2 not below [sharding] shard_count 2: the "
            "shards are numbered 0 to 1",
        ),
        (
            "[sharding]\nshard_ids = [0, 1]\n",
            [],
            "guidebot: config problem: {config}: [sharding] shard_ids needs [sharding] "
            "shard_count: how many shards the application has in all, across every process",
        ),
    ],
)
def test_a_bad_shard_combination_stops_start_up_with_one_line(
    emulator: DiscordEmulator, tmp_path: Path, config: str, flags: list[str], line: str
):
    path = tmp_path / "config.toml"
    path.write_text(config)

    async def scenario():
        async with emulator:
            return await run_to_exit(emulator, "--config", str(path), "run", *flags)

    code, out, err = asyncio.run(scenario())
    assert (code, out) == (1, "")
    assert err.splitlines() == [line.format(config=path)]
    assert emulator.gateway.identify_count == 0


# --- The answer cooldown shared through Redis ---------------------------------------------


def redis_config(url: str, prefix: str) -> str:
    return f'{CONFIG}\n[cooldown]\nredis_url = "{url}"\nkey_prefix = "{prefix}"\n'


async def ask_through_both_shards(emu: DiscordEmulator, guild: str) -> list[InteractionResult]:
    """Ask for the same answer in one channel through shard 0, then through shard 1.

    Discord sends a server's events to one shard; while the shard count changes, old and new
    processes run side by side and the same channel is served by both. That is played here.
    """
    channel = emu.snowflake()
    results = []
    for shard in (0, 1):
        payload = emu.build_slash(
            "framework", {"name": "flask"}, guild_id=guild, channel_id=channel
        )
        results.append(await emu.interact(payload, shard=shard))
    return results


async def run_two_processes(emu, tmp_path, config_text, scenario, first_flags=()):
    async with emu:
        await sync_globally(emu)
        guild = emu.make_guild(shard=0, shard_count=2)
        async with (
            serving_shards(
                emu, tmp_path / "first", "0", *first_flags, config_text=config_text
            ) as first,
            serving_shards(emu, tmp_path / "second", "1", config_text=config_text) as second,
        ):
            await scenario(guild, first, second)


def test_two_processes_sharing_the_redis_cooldown_post_one_card(
    emulator, tmp_path, redis_url, redis_prefix
):
    async def scenario(guild, first, second):
        card, pointer = await ask_through_both_shards(emulator, guild)
        assert title(card) == "Flask"
        assert not card.ephemeral
        assert title(pointer) == "Already answered"
        assert pointer.data["flags"] == EPHEMERAL
        message = card.message
        link = f"https://discord.com/channels/{guild}/{message['channel_id']}/{message['id']}"
        assert link in pointer.data["embeds"][0]["description"]
        assert public_messages(emulator, message["channel_id"]) == [message]
        assert "the answer cooldown is shared through Redis at 127.0.0.1:" in first.log()

    config = redis_config(redis_url, redis_prefix)
    asyncio.run(run_two_processes(emulator, tmp_path, config, scenario))


def test_without_redis_each_process_keeps_its_own_cooldown(emulator, tmp_path):
    async def scenario(guild, first, second):
        answers = await ask_through_both_shards(emulator, guild)
        assert [title(answer) for answer in answers] == ["Flask", "Flask"]

    asyncio.run(run_two_processes(emulator, tmp_path, CONFIG, scenario))


def test_a_redis_that_is_down_lets_every_answer_through_and_is_counted(emulator, tmp_path):
    port = free_port()

    async def scenario(guild, first, second):
        answers = await ask_through_both_shards(emulator, guild)
        assert [title(answer) for answer in answers] == ["Flask", "Flask"]
        assert all(not answer.ephemeral for answer in answers)
        for bot in (first, second):
            assert "the shared cooldown's Redis failed (claim), answering anyway" in bot.log()
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert samples(text)["guidebot_cooldown_redis_failures_total", ()] == 1

    config = redis_config(closed_port_url(), "unused:")
    flags = ("--metrics-port", str(port))
    asyncio.run(run_two_processes(emulator, tmp_path, config, scenario, flags))
