"""Pytest fixtures for end-to-end tests against the Discord emulator.

Load with `pytest_plugins = ("tests.emulator.plugin",)` in the root conftest.py (or in a test
module). Tests stay synchronous and run their scenario with `asyncio.run` (STYLE.md 4.15):

    @pytest.mark.e2e
    def test_framework_answers_with_an_embed(emulator, tmp_path):
        async def scenario():
            async with emulator, running_bot(emulator, workdir=tmp_path):
                result = await emulator.slash("framework", {"name": "flask"})
                assert result.type == 4
                assert result.data["embeds"][0]["title"] == "Flask"
                assert result.latency < 1

        asyncio.run(scenario())

The fixture then fails the test if the bot sent anything Discord would reject.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulator.emulator import DiscordEmulator


@pytest.fixture
def emulator() -> Iterator[DiscordEmulator]:
    """An emulator, not yet started; at teardown, the bot must have broken no rule.

    Start it inside the test's event loop with `async with emulator:`. Tests that provoke
    violations on purpose collect them with `emulator.take_violations()`.
    """
    emu = DiscordEmulator()
    yield emu
    problems = emu.violations()
    assert not problems, "the bot did what Discord would reject:\n" + "\n".join(problems)
