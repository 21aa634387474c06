"""Time what the answer cooldown costs per public answer: in this process, and shared via Redis.

Run with `.venv/bin/python -m bench.cooldown`. The baseline, measured in the same run, is what
every answer costs anyway: building the `/framework flask` card (`replies.framework_reply` on the
shipped guide). Against it, per answer:

- the in-process cooldown: `claim` then `posted`, as the responder calls them;
- the Redis cooldown at `GUIDEBOT_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/0`), keys under
  a prefix of the bench's own, deleted after: a first answer (`SET NX PX`, then the `posted`
  script) and a repeat in the same channel (`SET NX PX` refused, then `GET`);
- a Redis that is down (a closed port): the claim failing open.

All run on one asyncio loop, one call after another, as one bot process does. Read the ratio
column (time over baseline): the machines are shared and noisy.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/cooldown.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from bot import replies
from bot.cooldown import AnswerCooldown, Cooldown, LocalCooldown
from bot.guide import DEFAULT_GUIDE_PATH
from bot.redis_cooldown import RedisCooldown
from bot.store import GuideStore

REDIS_URL = os.environ.get("GUIDEBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROUNDS = 2_000
URL = "https://discord.com/channels/1/2/3"


async def per_call(step: Callable[[int], Awaitable[object]], rounds: int = ROUNDS) -> float:
    """Return the best seconds per call of `step(i)` over three runs of `rounds` calls."""
    best = float("inf")
    for run in range(3):
        started = time.perf_counter()
        for i in range(rounds):
            await step(run * rounds + i)
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


def first_answer(cooldown: AnswerCooldown) -> Callable[[int], Awaitable[None]]:
    """A new channel each time: the claim succeeds and the answer is posted."""

    async def step(channel: int) -> None:
        if await cooldown.claim(channel, "fw:flask") is not None:
            raise RuntimeError(f"channel {channel} was claimed already")
        await cooldown.posted(channel, "fw:flask", URL, channel)

    return step


def repeat(cooldown: AnswerCooldown) -> Callable[[int], Awaitable[None]]:
    """The same channel each time: the claim is refused and points to the first answer."""

    async def step(_: int) -> None:
        if await cooldown.claim(-1, "fw:flask") is None:
            raise RuntimeError("the repeat was not pointed to the first answer")

    return step


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def redis_rows(prefix: str) -> list[tuple[str, float]]:
    shared = RedisCooldown.connect(REDIS_URL, 30, prefix=prefix)
    down = RedisCooldown.connect(closed_port_url(), 30, prefix=prefix)
    try:
        await shared.client.ping()
        rows = [("Redis: first answer (SET NX PX + posted)", await per_call(first_answer(shared)))]
        await first_answer(shared)(-1)
        rows.append(("Redis: repeat (SET NX PX refused + GET)", await per_call(repeat(shared))))
        rows.append(("Redis down: claim fails open", await per_call(first_answer(down), 200)))
        return rows
    finally:
        await shared.close()
        await down.close()


async def measure() -> tuple[float, list[tuple[str, float]]]:
    snapshot = GuideStore.open(DEFAULT_GUIDE_PATH).current

    async def build(_: int) -> None:
        replies.framework_reply(snapshot, "flask", asker=1)

    baseline = await per_call(build)
    local = LocalCooldown(Cooldown(30))
    rows = [("in-process: first answer (claim + posted)", await per_call(first_answer(local)))]
    await first_answer(local)(-1)
    rows.append(("in-process: repeat (claim refused)", await per_call(repeat(local))))
    prefix = f"guidebot-bench:{uuid.uuid4().hex}:"
    try:
        rows += await redis_rows(prefix)
    except (redis.RedisError, OSError) as error:
        print(f"(no Redis at {REDIS_URL}: {error}; its rows are skipped)")
    finally:
        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
    return baseline, rows


def main() -> None:
    baseline, rows = asyncio.run(measure())
    print(f"{'per public answer':<44} {'us':>9} {'x baseline':>11}")
    print(f"{'baseline: build the /framework flask card':<44} {baseline * 1e6:>9.1f} {1:>11.2f}")
    for name, seconds in rows:
        print(f"{name:<44} {seconds * 1e6:>9.1f} {seconds / baseline:>11.2f}")


if __name__ == "__main__":
    main()
