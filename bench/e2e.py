"""What guidebot sustains end to end, in both modes, against baselines measured in the same run.

Run with `.venv/bin/python -m bench.e2e` (about three minutes; `gateway` or `http` runs one half).
Everything is on 127.0.0.1: the Discord emulator of `tests/emulator` plays Discord, and the bots
run as real processes.

Gateway mode, guidebot (`guidebot run`) against a bare discord.py bot answering one slash command
with a fixed embed (`bench/bare_bot.py`):
- CPU time per interaction, read from /proc for the bot's process, and p50/p99 from the event
  (INTERACTION_CREATE sent) to the callback, one interaction at a time, for `/framework`, an
  autocomplete and a walkthrough click; the bare bot's figures are for its one command.
- resident memory after READY with 1, 100 and 1,000 servers in READY;
- start-up time from the process's start to READY with the commands synced (median of five).
Both bots run side by side and the interactions go in turns, so the machine's other load falls
on both alike.

HTTP mode, `guidebot serve` against the floor (`bench/floor_endpoint.py`: an aiohttp endpoint that
checks the signature and answers a fixed body): the highest rate of signed `/framework`
interactions one worker, then two workers on one port, answer with p99 under 100 ms.

Targets (issue 10): CPU <= 1.3x the bare bot's, memory <= 1.2x, start-up <= 1.5x; HTTP rate >= 0.5x
the floor's. Machines are noisy: read the ratios, each of two runs made in the same minutes.
"""

from __future__ import annotations

import asyncio
import compileall
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/e2e.py`: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.endpoint import signature_headers
from tests.emulator.harness import (
    BOT_COMMAND,
    REPO_ROOT,
    BotProcess,
    default_config,
    run_to_exit,
    running_bot,
)

BARE_COMMAND = (sys.executable, "-m", "bench.bare_bot")
FLOOR_COMMAND = (sys.executable, "-m", "bench.floor_endpoint", "--port", "{port}")
SERVE_COMMAND = (*BOT_COMMAND[:-1], "serve", "--host", "127.0.0.1", "--port", "{port}")
SERVERS = (1, 100, 1_000)
STARTS = 5
WARM_UP = 40
MEASURED = 1_000
TURNS = 10
P99_BOUND_MS = 100.0
SETTLE_SECONDS = 2.0
"""Waited after the memory is read and before the interactions: discord.py calls a client ready
(`on_ready`) only 2 s after READY (its `guild_ready_timeout`), and guidebot then collects and
freezes start-up's objects once (about 30 ms of CPU), start-up work that would otherwise land in
the first turns and count as CPU per interaction."""
FRAMEWORKS = ("django", "flask", "rails", "express", "laravel", "spring", "fastapi", "nest")
TYPED = ("d", "dj", "fla", "ra", "ex", "spr", "no", "lar", "fast", "go")
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """The user plus system CPU time process `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def rss_mib(pid: int) -> float:
    """The resident memory of process `pid`, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


def guidebot_config(emu: DiscordEmulator) -> str:
    """The default config, with the answer cooldown off so every answer is a full one."""
    return default_config(emu) + "[answers]\ncooldown_seconds = 0\n"


@dataclass(slots=True)
class Interactions:
    """CPU per interaction and latencies for one kind of interaction, over several turns."""

    cpu_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def cpu_ms(self) -> float:
        """CPU time per interaction, in ms."""
        return self.cpu_seconds / len(self.latencies) * 1000

    @property
    def p50_ms(self) -> float:
        """Median time from the event to the callback, in ms."""
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        """99th percentile of the time from the event to the callback, in ms."""
        return sorted(self.latencies)[int(len(self.latencies) * 0.99)] * 1000


@dataclass(slots=True)
class GatewayFigures:
    """What one bot measured in gateway mode."""

    starts: list[float] = field(default_factory=list)
    rss: dict[int, float] = field(default_factory=dict)
    interactions: dict[str, Interactions] = field(default_factory=dict)

    @property
    def start_s(self) -> float:
        """The median start-up time, in seconds."""
        return statistics.median(self.starts)


Payloads = Callable[[DiscordEmulator, int], Awaitable[dict[str, Any]]]


async def send(
    emu: DiscordEmulator, bot: BotProcess, make: Payloads, count: int, into: Interactions | None
) -> None:
    """Send `count` interactions one at a time; add their CPU and latencies to `into`."""
    cpu = cpu_seconds(bot.process.pid)
    for number in range(count):
        result = await emu.interact(await make(emu, number), timeout=10)
        if not result.accepted:
            raise RuntimeError(f"the bot did not answer {result.name!r}: {result.callback}")
        if into is not None:
            into.latencies.append(result.latency or 0.0)
    if into is not None:
        into.cpu_seconds += cpu_seconds(bot.process.pid) - cpu


async def framework(emu: DiscordEmulator, number: int) -> dict[str, Any]:
    return emu.build_slash("framework", {"name": FRAMEWORKS[number % len(FRAMEWORKS)]})


async def autocomplete(emu: DiscordEmulator, number: int) -> dict[str, Any]:
    return emu.build_slash("framework", {"name": TYPED[number % len(TYPED)]}, focused="name")


def walkthrough_click() -> Payloads:
    """Clicks on Next of one walkthrough message, as it was first posted."""
    posted: dict[str, Any] = {}

    async def make(emu: DiscordEmulator, number: int) -> dict[str, Any]:
        if not posted:
            walk = await emu.slash("getting-started")
            posted.update(json.loads(json.dumps(walk.message or {})))
        next_id = next(
            c["custom_id"]
            for row in posted["components"]
            for c in row["components"]
            if c.get("label") == "Next ▶"
        )
        return emu.build_component(posted, {"custom_id": next_id, "component_type": 2})

    return make


BOTS = {"bare": (BARE_COMMAND, False), "guidebot": (BOT_COMMAND, True)}


async def gateway_figures(kinds: dict[str, dict[str, Payloads]]) -> dict[str, GatewayFigures]:
    """Measure the bare bot and guidebot side by side, taking turns.

    Both are started `STARTS` times with one server, then once with each larger count, each
    against an emulator of its own; the first time, their interactions are sent in `TURNS`
    turns, one bot then the other, so that the rest of the machine's load falls on both alike.
    """
    figures = {name: GatewayFigures() for name in BOTS}
    for round_number, servers in enumerate((1,) * STARTS + SERVERS[1:]):
        order = list(BOTS) if round_number % 2 == 0 else list(reversed(BOTS))
        emulators = {}
        async with AsyncExitStack() as stack:
            running = {}
            for name in order:
                command, guidebot = BOTS[name]
                emu = emulators[name] = DiscordEmulator()
                emu.servers += [emu.snowflake() for _ in range(servers - 1)]
                await stack.enter_async_context(emu)
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                began = time.perf_counter()
                running[name] = await stack.enter_async_context(
                    running_bot(
                        emu,
                        command=command,
                        config_text=guidebot_config(emu) if guidebot else None,
                        extra_env={"BENCH_GUILD_ID": emu.guild_id},
                        workdir=directory,
                    )
                )
                if servers == 1:
                    figures[name].starts.append(time.perf_counter() - began)
            await asyncio.sleep(1.0)  # let start-up work (timers, a first write) finish
            for name, bot in running.items():
                figures[name].rss.setdefault(servers, rss_mib(bot.process.pid))
            if round_number == 0:
                await asyncio.sleep(SETTLE_SECONDS)
                await take_turns(emulators, running, kinds, figures)
        for name, emu in emulators.items():
            problems = emu.violations()
            if problems:
                raise RuntimeError(f"{name} did what Discord would reject:\n" + "\n".join(problems))
    return figures


async def take_turns(
    emulators: dict[str, DiscordEmulator],
    running: dict[str, BotProcess],
    kinds: dict[str, dict[str, Payloads]],
    figures: dict[str, GatewayFigures],
) -> None:
    """Warm each bot up, then send each kind of interaction in `TURNS` turns, bot after bot."""
    for name, bot in running.items():
        for make in kinds[name].values():
            await send(emulators[name], bot, make, WARM_UP, None)
    for _turn in range(TURNS):
        for name, bot in running.items():
            for kind, make in kinds[name].items():
                into = figures[name].interactions.setdefault(kind, Interactions())
                await send(emulators[name], bot, make, MEASURED // TURNS, into)


async def http_rates() -> dict[int, dict[str, loadgen.Step]]:
    """Return the rate the floor and guidebot sustain at p99 under the bound, by worker count.

    Both run at once, one worker each and then two each on one port, and the load generator
    takes turns between them, so the rest of the machine's load falls on both alike. The
    commands are registered first with `guidebot sync`, so both get the very same requests.
    """
    rates = {}
    emu = DiscordEmulator()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(emu)
        config = str(REPO_ROOT / "config.example.toml")
        code, _, err = await run_to_exit(emu, "--config", config, "sync", "--guild", emu.guild_id)
        if code:
            raise RuntimeError(f"guidebot sync failed: {err}")
        ports = {"floor": "0", "guidebot": "0"}
        commands = {"floor": FLOOR_COMMAND, "guidebot": SERVE_COMMAND}
        for workers in (1, 2):
            targets = {}
            for name, command in commands.items():
                directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                await stack.enter_async_context(
                    running_bot(
                        emu,
                        http=True,
                        command=[part.replace("{port}", ports[name]) for part in command],
                        config_text=guidebot_config(emu),
                        workdir=directory,
                        synced=False,
                    )
                )
                url = emu.endpoint.url if emu.endpoint else ""
                ports[name] = url.rsplit(":", 1)[1].split("/")[0]
                targets[name] = (url, signed_requests(emu, url))
            rates[workers] = await loadgen.max_rates(targets, p99_ms=P99_BOUND_MS, start=200.0)
    return rates


def signed_requests(emu: DiscordEmulator, url: str, count: int = 512) -> list[bytes]:
    """Return `count` signed `/framework` interactions from different users and channels."""
    users = [emu.make_user(f"learner{n}") for n in range(32)]
    channels = [emu.snowflake() for _ in range(16)]
    stamp = str(int(time.time()))
    requests = []
    for number in range(count):
        payload = emu.build_slash(
            "framework",
            {"name": FRAMEWORKS[number % len(FRAMEWORKS)]},
            user=users[number % len(users)],
            channel_id=channels[number % len(channels)],
        )
        body = json.dumps(payload).encode()
        headers = signature_headers(emu.signing_key, body, stamp)
        requests.append(loadgen.http_request(url, body, headers))
    return requests


def ratio_row(name: str, base: float, ours: float, unit: str, target: float) -> str:
    """A table row: both figures, their ratio, and whether the target is met.

    A target below 1 is a floor for the ratio (a rate), above 1 a ceiling (a cost).
    """
    ratio = ours / base if base else float("inf")
    met = ratio >= target if target < 1 else ratio <= target
    bound = f"{'>=' if target < 1 else '<='} {target}x {'ok' if met else 'MISSED'}"
    digits = {"ms": 2, "s": 2, "MiB": 1}.get(unit, 0)
    return (
        f"| {name} | {base:.{digits}f} {unit} | {ours:.{digits}f} {unit} | {ratio:.2f}x | {bound} |"
    )


def pair_row(name: str, base: tuple[float, float], ours: tuple[float, float]) -> str:
    """A table row of two p50 / p99 pairs, in ms."""
    return f"| {name} | {base[0]:.1f} / {base[1]:.1f} ms | {ours[0]:.1f} / {ours[1]:.1f} ms | | |"


def compile_as_installed() -> None:
    """Byte-compile guidebot's modules and the baselines', as `pip install` does for a wheel.

    discord.py and the rest of site-packages were compiled when installed; the working tree
    was not, and with PYTHONDONTWRITEBYTECODE set (as on this machine and in the image) each
    start would compile guidebot's own modules again, some 40 ms that no installed bot spends.
    """
    for package in ("bot", "bench"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


async def main(parts: Sequence[str]) -> None:
    compile_as_installed()
    if "gateway" in parts:
        await gateway_table()
    if "http" in parts:
        await http_table()


async def gateway_table() -> None:
    print("gateway mode: the bare discord.py bot and guidebot, in turns ...", file=sys.stderr)
    kinds = {
        "bare": {"/framework": framework},
        "guidebot": {
            "/framework": framework,
            "autocomplete": autocomplete,
            "walkthrough click": walkthrough_click(),
        },
    }
    figures = await gateway_figures(kinds)
    bare, ours = figures["bare"], figures["guidebot"]
    base = bare.interactions["/framework"]
    print("\n| Gateway mode | bare discord.py bot | guidebot | ratio | target |")
    print("|---|---|---|---|---|")
    for name, got in ours.interactions.items():
        print(ratio_row(f"CPU per interaction, {name}", base.cpu_ms, got.cpu_ms, "ms", 1.3))
    for name, got in ours.interactions.items():
        print(
            pair_row(
                f"event to callback p50 / p99, {name}",
                (base.p50_ms, base.p99_ms),
                (got.p50_ms, got.p99_ms),
            )
        )
    for servers in SERVERS:
        name = f"RSS after READY, {servers:,} servers"
        print(ratio_row(name, bare.rss[servers], ours.rss[servers], "MiB", 1.2))
    print(ratio_row("start-up to commands ready", bare.start_s, ours.start_s, "s", 1.5))


async def http_table() -> None:
    print("HTTP mode: the floor endpoint and guidebot serve, in turns ...", file=sys.stderr)
    rates = await http_rates()
    print("\n| HTTP mode, /framework | floor endpoint | guidebot serve | ratio | target |")
    print("|---|---|---|---|---|")
    for workers, found in rates.items():
        what = f"{workers} worker{'s' if workers > 1 else ''}"
        low, high = found["floor"], found["guidebot"]
        print(ratio_row(f"interactions/s at p99 < 100 ms, {what}", low.rate, high.rate, "/s", 0.5))
        print(
            pair_row(
                f"p50 / p99 at that rate, {what}",
                (low.p50_ms, low.p99_ms),
                (high.p50_ms, high.p99_ms),
            )
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ("gateway", "http")))
