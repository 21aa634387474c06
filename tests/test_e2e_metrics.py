"""End-to-end: the real bot's /metrics, /healthz and per-interaction log line."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.custom_ids import DeleteId
from bot.guide import DEFAULT_GUIDE_PATH, load_guide
from bot.store import guide_version
from tests.emulator.emulator import DiscordEmulator, InteractionResult
from tests.emulator.harness import BOT_COMMAND, BotProcess, default_config, running_bot
from tests.emulator.monitoring import free_port, get, samples, wait_health
from tests.emulator.payloads import MANAGE_GUILD
from tests.helpers import INTERACTION_LINE_KEYS

pytestmark = pytest.mark.e2e

SHIPPED_GUIDE = load_guide(DEFAULT_GUIDE_PATH)
SHIPPED_FRAMEWORKS = len(SHIPPED_GUIDE.frameworks)
SHIPPED_VERSION = guide_version(SHIPPED_GUIDE)
MEMBER_PERMISSIONS = 0x400 | 0x800 | 0x4000  # View Channel, Send Messages, Embed Links
CALLBACKS = "POST /interactions/*/callback"
HEARTBEAT_MS = 200
"""Short, so the bot has measured its gateway latency by the time the test scrapes it."""


def interactions(parsed: dict[Any, float]) -> dict[tuple[str, str], float]:
    """Return the non-zero guidebot_interactions_total counts by (command, outcome)."""
    counts = {}
    for (name, labels), value in parsed.items():
        if name == "guidebot_interactions_total" and value:
            label = dict(labels)
            counts[label["command"], label["outcome"]] = value
    return counts


def interaction_lines(bot: BotProcess) -> list[str]:
    """Return the bot's per-interaction log lines."""
    return [line for line in bot.log().splitlines() if "bot.metrics: interaction " in line]


async def rate_limited_for_good(emu: DiscordEmulator, bot: BotProcess) -> InteractionResult:
    """Ask /framework django while every callback gets 429, until the bot gives up."""
    fault = emu.rate_limit(CALLBACKS, retry_after=0.05, times=None)
    result = await emu.send_interaction(emu.build_slash("framework", {"name": "django"}))
    await emu.wait_until(lambda: "gave up on interaction" in bot.log(), what="the bot to give up")
    fault.times = fault.hits  # Discord lifts the limit
    return result


def test_metrics_count_every_outcome_and_healthz_follows_the_gateway(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    emulator.gateway.heartbeat_interval_ms = HEARTBEAT_MS
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = default_config(emulator, metrics={"port": port})

    async def scenario() -> None:
        async with (
            emulator,
            running_bot(emulator, workdir=tmp_path, config_text=config) as bot,
        ):
            emu = emulator
            # discord.py calls itself ready about 2 s after READY, when no guild data came.
            assert await wait_health(emu, base, 200) == {
                "connected": True,
                "shards_ready": 1,
                "shard_count": 1,
                "shards": {"0": True},
                "guide_version": SHIPPED_VERSION,
                "frameworks": SHIPPED_FRAMEWORKS,
            }
            card = await emu.slash("framework", {"name": "flask"})
            await emu.slash("framework", {"name": "Flask"})  # the same answer, again: cooldown
            delete = DeleteId(int(emu.user["id"])).encode()
            await emu.click(card.message["id"], delete, user=emu.make_user("someone-else"))
            await emu.slash("framework", {"name": "pizza"})
            await emu.autocomplete("framework", {"name": "dj"}, focused="name")
            walk = await emu.slash("getting-started")
            first = next(
                c
                for row in walk.message["components"]
                for c in row["components"]
                if "custom_id" in c and not c.get("disabled") and c["type"] == 2
            )
            await emu.click(walk.message["id"], first["custom_id"])
            await emu.slash("guide", subcommand="reload", permissions=MEMBER_PERMISSIONS)
            admin = MEMBER_PERMISSIONS | MANAGE_GUILD
            await emu.slash("guide", subcommand="reload", permissions=admin)
            lost = await rate_limited_for_good(emu, bot)

            status, text = await get(f"{base}/metrics")
            assert status == 200
            parsed = samples(text)
            assert interactions(parsed) == {
                ("framework", "answered"): 1,
                ("framework", "cooldown"): 1,
                ("framework", "not_found"): 1,
                ("framework", "error"): 1,
                ("autocomplete", "answered"): 1,
                ("getting-started", "answered"): 1,
                ("component", "answered"): 1,
                ("component", "refused"): 1,
                ("guide", "refused"): 1,
                ("guide", "answered"): 1,
            }
            # Every interaction but the lost one got a first response.
            assert parsed["guidebot_response_seconds_count", ()] == 9
            assert parsed["guidebot_response_seconds_bucket", (("le", "+Inf"),)] == 9
            assert parsed["guidebot_response_seconds_bucket", (("le", "1.0"),)] == 9
            assert parsed["guidebot_guide_reloads_total", (("result", "ok"),)] == 1
            assert parsed["guidebot_guide_reloads_total", (("result", "failed"),)] == 0
            assert parsed["guidebot_guide_frameworks", ()] == SHIPPED_FRAMEWORKS
            latency = parsed["guidebot_gateway_latency_seconds", ()]
            assert not math.isnan(latency)
            assert 0 <= latency < 1
            assert parsed["guidebot_insight_dropped_total", ()] == 0
            assert parsed["guidebot_cooldown_redis_failures_total", ()] == 0

            lines = interaction_lines(bot)
            assert len(lines) == 10
            assert any("interaction framework not_found in " in line for line in lines)
            assert any("query='pizza'" in line for line in lines)
            assert not any(emu.user["id"] in line for line in lines), "no user ids"
            (error_line,) = [line for line in lines if " error in " in line]
            assert "interaction framework error in - ms query='django'" in error_line

            # The gateway goes down: /healthz says so with the same body; then it comes back.
            emu.gateway.refusing = True
            await emu.gateway.close(4000)
            down = await wait_health(emu, base, 503)
            assert down == {
                "connected": False,
                "shards_ready": 0,
                "shard_count": 1,
                "shards": {"0": False},
                "guide_version": SHIPPED_VERSION,  # reloaded above, unchanged
                "frameworks": SHIPPED_FRAMEWORKS,
            }
            emu.gateway.refusing = False
            up = await wait_health(emu, base, 200)
            assert up["connected"] is True
        assert [v for v in emulator.take_violations() if lost.id not in v] == []

    asyncio.run(scenario())


def test_json_logs_and_the_metrics_port_flag(emulator: DiscordEmulator, tmp_path: Path) -> None:
    port = free_port()
    command = (*BOT_COMMAND, "--metrics-port", str(port))
    env = {"GUIDEBOT_LOGGING_FORMAT": "json"}

    async def scenario() -> None:
        async with (
            emulator,
            running_bot(emulator, workdir=tmp_path, command=command, extra_env=env) as bot,
        ):
            await emulator.slash("framework", {"name": "  DJANGO  "})
            status, text = await get(f"http://127.0.0.1:{port}/metrics")
            assert status == 200
            assert ("framework", "answered") in interactions(samples(text))
            entries = [json.loads(line) for line in bot.log().splitlines()]
        (line,) = [e for e in entries if e.get("command")]
        assert line["level"] == "INFO"
        assert line["logger"] == "bot.metrics"
        assert (line["command"], line["outcome"], line["query"]) == (
            "framework",
            "answered",
            "django",
        )
        assert isinstance(line["latency_ms"], int)
        assert set(line) == INTERACTION_LINE_KEYS
        assert emulator.token not in bot.log()

    asyncio.run(scenario())


def test_a_taken_metrics_port_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def start() -> tuple[int, bytes]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--metrics-port",
                str(port),
                cwd=tmp_path,
                env={"DISCORD_TOKEN": "x", "PATH": "", "GUIDEBOT_API_BASE": "http://127.0.0.1:9"},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode is not None
            return process.returncode, err

        code, err = asyncio.run(start())
    assert code == 1
    assert (
        err.decode()
        .splitlines()[-1]
        .startswith(f"guidebot: cannot serve metrics on 127.0.0.1:{port}: ")
    )
