"""Pytest fixtures for end-to-end tests against the Discord emulator.

Load with `pytest_plugins = ("tests.emulator.plugin",)` in the root conftest.py (or in a test
module). Tests stay synchronous; most run their steps with the `run_bot` fixture:

    @pytest.mark.e2e
    def test_framework_answers_with_an_embed(run_bot):
        async def scenario(emu, bot):
            result = await emu.slash("framework", {"name": "flask"})
            assert result.type == 4
            assert result.data["embeds"][0]["title"] == "Flask"

        run_bot(scenario)

A test that needs the emulator without the bot, or two bots, writes `async with emulator:` and
`running_bot(...)` itself and runs that with `asyncio.run` (STYLE.md 4.15).

The `emulator` fixture then fails the test if the bot sent anything Discord would reject.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, Scenario, run_scenario


class RunBot(Protocol):
    """The `run_bot` fixture: `run_bot(scenario, **running_bot_options) -> BotProcess`."""

    def __call__(self, scenario: Scenario, **options: Any) -> BotProcess: ...


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


@pytest.fixture
def run_bot(emulator: DiscordEmulator, tmp_path: Path) -> RunBot:
    """Run a scenario against the `emulator` fixture and the real bot, in `tmp_path`.

    `run_bot(scenario, config_text=...)` starts both, awaits `scenario(emulator, bot)`, stops
    both and returns the bot (its log stays readable); options go to `running_bot`.
    """
    return functools.partial(run_scenario, emulator, workdir=tmp_path)
