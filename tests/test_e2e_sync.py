"""`guidebot sync` registers the commands where it is told to, and nowhere else."""

import asyncio

import pytest

from tests.conftest import REPO_ROOT
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import run_to_exit

COMMANDS = ["framework", "resources", "getting-started", "guide"]


async def sync(emu: DiscordEmulator, *args: str, token: str | None = None) -> tuple[int, str, str]:
    config = str(REPO_ROOT / "config.example.toml")
    return await run_to_exit(emu, "--config", config, "sync", *args, token=token)


@pytest.mark.e2e
def test_sync_registers_globally_by_default(emulator):
    async def scenario():
        async with emulator:
            return await sync(emulator)

    code, out, err = asyncio.run(scenario())
    assert code == 0, err
    assert out.strip() == f"registered 4 commands globally: {', '.join(COMMANDS)}"
    assert emulator.command_syncs == [(None, COMMANDS)]
    assert emulator.gateway.identify_count == 0, "sync registers commands; it does not connect"
    assert emulator.token not in out + err


@pytest.mark.e2e
def test_sync_with_guild_registers_in_that_server_only(emulator):
    async def scenario():
        async with emulator:
            return await sync(emulator, "--guild", emulator.guild_id)

    code, out, err = asyncio.run(scenario())
    assert code == 0, err
    assert out.strip().startswith(f"registered 4 commands in server {emulator.guild_id}")
    assert emulator.command_syncs == [(emulator.guild_id, COMMANDS)]
    guide = emulator.command("guide", guild_id=emulator.guild_id)
    assert guide["default_member_permissions"] == "32"


@pytest.mark.e2e
def test_sync_with_a_rejected_token_is_one_line(emulator):
    wrong = "not-" + emulator.token

    async def scenario():
        async with emulator:
            return await sync(emulator, token=wrong)

    code, out, err = asyncio.run(scenario())
    assert code == 1
    assert out == ""
    assert err.strip().splitlines()[-1] == (
        "guidebot: Discord rejected the token: check DISCORD_TOKEN (it may have been reset)"
    )
    assert wrong not in out + err
    assert emulator.command_syncs == []
    assert "Traceback" not in err
    violations = emulator.take_violations()
    assert violations
    assert all("Authorization header is wrong" in v for v in violations), violations
