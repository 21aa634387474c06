"""Measure the real bot's CPU per answer and its memory, with the shipped guide and a large one.

Run with `.venv/bin/python -m bench.bot`. For the shipped guide and a guide of 10,000 synthetic
frameworks (`--size` to change it), it starts the real bot process against the Discord emulator
of the end-to-end tests, as `tests/test_e2e_*.py` do, and then:

- reads the bot's resident memory once it is ready and has answered a few warm-up requests;
- `ROUNDS` times, sends `QUERIES` autocompletes (beginnings of the shipped guide's names, one to
  six letters, some misspelt), then `QUERIES` misspelt `/framework` commands, one at a time, and
  divides the CPU time the bot process spent (every thread's time on a CPU, in nanoseconds,
  from /proc) by their number. Both bots run at once and take turns every `CHUNK` requests, so
  that both see the machine as busy as it is, and both are asked the same: the large guide
  holds the shipped guide's frameworks too.

The ratio column is the large guide's figure over the shipped guide's in the same round, the
median of the rounds (their least and greatest beside it); the CPU columns are each bot's
median. The CPU of one answer is mostly discord.py's and the emulator round trip's, the same at
any guide size; what grows with the guide is the matcher's share, the longer choice lists, and
the memory the guide and its index take. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/bot.py`: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bench.synth import SEED_TYPOS, synthetic_guide
from bot.guide import DEFAULT_GUIDE_PATH, load_guide, name_key
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config, running_bot

QUERIES = 600
"""Requests of each kind timed per round."""
ROUNDS = 5
"""Rounds of both kinds; the median of each is reported, the rest being the machine's noise."""
CHUNK = 50
"""Requests one bot answers before the other takes its turn."""
WARM_UP = 40
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Figures:
    """What one bot did: memory after start-up, and CPU seconds per request of each kind.

    The CPU figures hold one value per round.
    """

    rss_mib: float
    autocomplete_ms: list[float]
    misspelt_ms: list[float]


def write_guide(size: int, directory: Path) -> Path:
    """Write a guide of `size` synthetic frameworks, each with a summary, text and two links."""
    shipped = yaml.safe_load(DEFAULT_GUIDE_PATH.read_text(encoding="utf-8"))
    frameworks = [
        {
            "name": fw.name,
            **({"aliases": list(fw.aliases)} if fw.aliases else {}),
            "language": fw.language,
            "summary": f"A {fw.language} web framework.",
            "description": f"{fw.name} is a backend framework for {fw.language}.",
            "resources": [
                {"title": f"{fw.name} docs", "url": f"https://{name_key(fw.name)}.example/docs"},
                {"title": f"Learn {fw.name}", "url": f"https://{name_key(fw.name)}.example/learn"},
            ],
        }
        for fw in synthetic_guide(size)
    ]
    path = directory / f"guide-{size}.yaml"
    text = yaml.safe_dump({**shipped, "frameworks": frameworks}, sort_keys=False, width=10**6)
    path.write_text(text, encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """Return the CPU time all the process's threads have used so far, in seconds.

    Read from each thread's schedstat, in nanoseconds: the clock ticks of /proc/PID/stat (10 ms)
    would be a few percent of a round.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def rss_mib(pid: int) -> float:
    """Return the process's resident memory, in MiB."""
    resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident * PAGE_BYTES / 2**20


def autocomplete_texts(names: list[str], rng: random.Random) -> list[str]:
    """Return what learners have typed so far: beginnings of names, some misspelt."""
    texts = []
    for _ in range(QUERIES):
        name = name_key(rng.choice(names))
        typed = name[: rng.randint(1, 6)]
        if len(typed) > 3 and rng.random() < 0.3:
            typed = typed[:2] + typed[3] + typed[2] + typed[4:]
        texts.append(typed)
    return texts


async def measure(guides: list[Path], typed: list[str]) -> list[Figures]:
    """Start a bot on each guide at once, and measure them in turns (see the module's docstring).

    Turns, so that both bots see the machine as busy as it is: on a shared machine the CPU an
    answer takes changes from minute to minute.
    """
    misspelt = [typo for typo, _ in SEED_TYPOS] * (QUERIES // len(SEED_TYPOS))
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for guide in guides:
            emu = await stack.enter_async_context(DiscordEmulator())
            config = bot_config(emu, guide, insight={"url": ""})  # recording is another bench
            bots.append(
                (emu, _pid(await stack.enter_async_context(running_bot(emu, config_text=config))))
            )
        memory = []
        for emu, pid in bots:
            for text in typed[:WARM_UP]:
                await _autocomplete(emu, text)
                await _framework(emu, text)
            memory.append(rss_mib(pid))
        kinds = {
            "autocomplete": (typed, _autocomplete),
            "misspelt": (misspelt, _framework),
        }
        spent = {kind: [[0.0] * len(bots) for _ in range(ROUNDS)] for kind in kinds}
        for round_ in range(ROUNDS):
            for kind, (texts, ask) in kinds.items():
                for start in range(0, len(texts), CHUNK):
                    for position, (emu, pid) in enumerate(bots):
                        started = cpu_seconds(pid)
                        for text in texts[start : start + CHUNK]:
                            await ask(emu, text)
                        spent[kind][round_][position] += cpu_seconds(pid) - started
    return [
        Figures(
            rss,
            [each[position] * 1000 / len(typed) for each in spent["autocomplete"]],
            [each[position] * 1000 / len(misspelt) for each in spent["misspelt"]],
        )
        for position, rss in enumerate(memory)
    ]


async def _autocomplete(emu: DiscordEmulator, text: str) -> None:
    await emu.autocomplete("framework", {"name": text}, focused="name")


async def _framework(emu: DiscordEmulator, text: str) -> None:
    await emu.slash("framework", {"name": text})


def _pid(bot: BotProcess) -> int:
    return bot.process.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="frameworks in the large guide")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        large = write_guide(args.size, Path(directory))
        names = [fw.name for fw in load_guide(DEFAULT_GUIDE_PATH).frameworks]
        typed = autocomplete_texts(names, random.Random(1))
        small_figures, large_figures = asyncio.run(measure([DEFAULT_GUIDE_PATH, large], typed))
    print(f"{'measure':<32} {'shipped':>9} {f'{args.size:,}':>9} {'ratio':>6}  rounds")
    print(
        f"{'memory after start-up, MiB':<32} {small_figures.rss_mib:9.2f} "
        f"{large_figures.rss_mib:9.2f} {large_figures.rss_mib / small_figures.rss_mib:6.2f}"
    )
    for label, field in (
        ("CPU per autocomplete, ms", "autocomplete_ms"),
        ("CPU per misspelt /framework, ms", "misspelt_ms"),
    ):
        small, big = getattr(small_figures, field), getattr(large_figures, field)
        ratios = [b / a for a, b in zip(small, big, strict=True)]
        print(
            f"{label:<32} {statistics.median(small):9.2f} {statistics.median(big):9.2f} "
            f"{statistics.median(ratios):6.2f}  {min(ratios):.2f}-{max(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
