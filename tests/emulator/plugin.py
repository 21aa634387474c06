"""Pytest fixtures for end-to-end tests against the Discord emulator.

Load with `pytest_plugins = ("tests.emulator.plugin",)` in the root conftest.py (or in a test
module). Tests stay synchronous and run their scenario with `asyncio.run` (STYLE.md 4.15).
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
