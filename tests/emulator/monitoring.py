"""Reading the bot's own HTTP endpoints in end-to-end tests: /healthz and Prometheus metrics."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.emulator.emulator import DiscordEmulator

HEALTH_TIMEOUT = 30.0
"""Seconds /healthz may take to reach a state: reconnecting waits out discord.py's backoff."""


def free_port() -> int:
    """Return a port nothing listens on now: the bot's, since port 0 turns metrics off."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def get(url: str) -> tuple[int, str]:
    """GET `url`; return the status and the body."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def health(base: str) -> tuple[int, dict[str, Any]]:
    """Return /healthz's status and JSON body."""
    status, body = await get(f"{base}/healthz")
    return status, json.loads(body)


async def wait_health(emu: DiscordEmulator, base: str, status: int) -> dict[str, Any]:
    """Wait until /healthz answers `status`; return its body.

    Reconnecting after the gateway comes back waits out discord.py's backoff (seconds).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEALTH_TIMEOUT
    while True:
        seen = await health(base)
        if seen[0] == status:
            return seen[1]
        if loop.time() > deadline:
            raise AssertionError(
                f"/healthz never answered {status}: {seen}\n{emu.describe_recent()}"
            )
        await asyncio.sleep(0.05)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse Prometheus text into {(sample name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
