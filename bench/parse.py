"""Time parsing a guide with the garbage collector running, against it paused for the parse.

Run with `.venv/bin/python -m bench.parse`. Parsing used to switch the cyclic garbage collector
off for the whole process while it ran, which is a side effect on every thread of the bot. This
bench measures what that bought: each guide is parsed with the collector as the process has it
(the way `parse_guide` runs now) and with it disabled around the call (the old way, the baseline
measured in the same run). The bot's heap is there too: discord.py is imported and the previous
guide stays alive, as during `/guide reload`. Sizes: the shipped guide, 1,000 and 4,000
frameworks, and the most that fits the 8 MiB the loader reads. Compare the ratio column.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/parse.py`: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord  # noqa: F401, TID251 - the bot's heap: the collector scans it as well
import yaml

from bench.synth import synthetic_guide
from bot.guide import DEFAULT_GUIDE_PATH, GUIDE_MAX_BYTES, parse_guide

REPEATS = 5
SIZES = (1_000, 4_000)


def guide_text(size: int) -> str:
    """Return a guide of `size` synthetic frameworks around the shipped guide's texts."""
    shipped = yaml.safe_load(DEFAULT_GUIDE_PATH.read_text(encoding="utf-8"))
    model = shipped["frameworks"][1]
    frameworks = [
        {
            "name": fw.name,
            **({"aliases": list(fw.aliases)} if fw.aliases else {}),
            "language": fw.language,
            "summary": model["summary"],
            "description": model["description"],
            "used_by": list(model["used_by"]),
            "features": list(model["features"]),
            "resources": [
                {"title": r.title, "url": r.url, **({"kind": str(r.kind)} if r.kind else {})}
                for r in fw.resources
            ],
        }
        for fw in synthetic_guide(size)
    ]
    data = {**shipped, "frameworks": frameworks}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000)


def largest_text() -> tuple[int, str]:
    """Return the most frameworks whose guide fits `GUIDE_MAX_BYTES`, and that guide."""
    per_framework = len(guide_text(1_000).encode()) / 1_000
    size = int(GUIDE_MAX_BYTES / per_framework)
    while len(text := guide_text(size).encode()) > GUIDE_MAX_BYTES:
        size -= size // 50
    return size, text.decode()


def best_times(text: str) -> tuple[float, float]:
    """Return the best of `REPEATS` parses of `text`, collector paused and running, interleaved."""
    paused, running = [], []
    for _ in range(REPEATS):
        gc.disable()
        try:
            started = time.perf_counter()
            parse_guide(text)
            paused.append(time.perf_counter() - started)
        finally:
            gc.enable()
        started = time.perf_counter()
        parse_guide(text)
        running.append(time.perf_counter() - started)
    return min(paused), min(running)


def main() -> None:
    """Print the table."""
    shipped = DEFAULT_GUIDE_PATH.read_text(encoding="utf-8")
    cases = [("shipped", shipped)] + [(f"{size:,}", guide_text(size)) for size in SIZES]
    size, text = largest_text()
    cases.append((f"{size:,} (8 MiB)", text))
    print(f"{'frameworks':>16} {'MiB':>5} {'gc paused':>10} {'gc running':>11} {'ratio':>6}")
    for name, text in cases:
        previous = parse_guide(text)  # alive while the next one parses, as in a reload
        baseline, running = best_times(text)
        mib = len(text.encode()) / 2**20
        print(
            f"{name:>16} {mib:5.2f} {baseline * 1000:8.0f}ms {running * 1000:9.0f}ms "
            f"{running / baseline:6.2f}"
        )
        del previous


if __name__ == "__main__":
    main()
