"""An open-loop HTTP load generator, light enough not to be the bottleneck on a 2-core machine.

Requests are sent at a fixed rate whatever the server does, over keep-alive connections, from
pre-built bytes (signed once, ahead of time); each latency counts from when the request was due,
so a server that falls behind shows it (no coordinated omission). `max_rates` searches for the
highest rate whose p99 stays under a bound, in a bounded number of steps, for several
servers in turn.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONNECTIONS = 64
TICK_SECONDS = 0.002
STEP_SECONDS = 2.5
"""How long each rate is held; the first half second is not counted (the server settles)."""
SETTLE_SECONDS = 0.5
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Step:
    """What one rate gave."""

    rate: float
    sent: int
    p50_ms: float
    p99_ms: float
    errors: int

    def sustained(self, p99_ms: float) -> bool:
        """Whether every request succeeded with p99 under `p99_ms`."""
        return self.errors == 0 and self.sent > 0 and self.p99_ms < p99_ms


def http_request(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    """Return a keep-alive HTTP/1.1 POST of `body` to `url`, as bytes."""
    parts = urlsplit(url)
    lines = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _connection(
    url: str,
    queue: asyncio.Queue[tuple[float, bytes]],
    latencies: list[tuple[float, float]],
    errors: list[str],
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while True:
            due, request = await queue.get()
            writer.write(request)
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    await reader.readexactly(length)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as error:
                errors.append(repr(error))
                return
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(head.split(b"\r\n", 1)[0].decode())
            latencies.append((due, time.perf_counter() - due))
    finally:
        writer.close()


async def run_rate(url: str, requests: Sequence[bytes], rate: float) -> Step:
    """Send `requests` (cycling) at `rate` per second for `STEP_SECONDS`; measure the latencies."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
    latencies: list[tuple[float, float]] = []
    errors: list[str] = []
    workers = [
        asyncio.create_task(_connection(url, queue, latencies, errors)) for _ in range(CONNECTIONS)
    ]
    start = time.perf_counter()
    sent = 0
    pool = itertools.cycle(requests)
    try:
        while (now := time.perf_counter()) - start < STEP_SECONDS:
            due_count = int((now - start) * rate) - sent
            for number in range(due_count):
                queue.put_nowait((start + (sent + number) / rate, next(pool)))
            sent += max(due_count, 0)
            await asyncio.sleep(TICK_SECONDS)
        async with asyncio.timeout(TIMEOUT_SECONDS + 1):
            while queue.qsize() and not errors:
                await asyncio.sleep(TICK_SECONDS)
            await asyncio.sleep(min(TIMEOUT_SECONDS, 0.2))
    except TimeoutError:
        errors.append("requests still queued at the end of the step")
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    counted = sorted(lat for due, lat in latencies if due - start >= SETTLE_SECONDS)
    missing = sent - len(latencies)
    if not counted:
        return Step(rate, sent, float("inf"), float("inf"), len(errors) + missing)
    p99 = counted[min(len(counted) - 1, int(len(counted) * 0.99))]
    return Step(
        rate, sent, statistics.median(counted) * 1000, p99 * 1000, len(errors) + max(missing, 0)
    )


class RateSearch:
    """The search for the highest rate whose p99 stays under a bound, one step at a time.

    Rates grow by half until one is not sustained (at most `GROWTH_STEPS` times), then the gap
    between the last good and the first bad rate is halved `bisections` times.
    """

    GROWTH_STEPS = 12

    def __init__(self, *, p99_ms: float, start: float, bisections: int = 4) -> None:
        self.p99_ms = p99_ms
        self.best: Step | None = None
        self.steps: list[Step] = []
        self._rate: float | None = start
        self._bad: float | None = None
        self._bisections_left = bisections

    @property
    def rate(self) -> float | None:
        """The rate to try next; None when the search is over."""
        return self._rate

    def record(self, step: Step) -> None:
        """Take the result of trying `rate`, and choose the next rate."""
        self.steps.append(step)
        if step.sustained(self.p99_ms):
            self.best = step
        else:
            self._bad = step.rate
        low = self.best.rate if self.best else 0.0
        if self._bad is None:
            growing = len(self.steps) < self.GROWTH_STEPS
            self._rate = step.rate * 1.5 if growing else None
        elif self._bisections_left > 0 and (self.best is not None or len(self.steps) == 1):
            self._bisections_left -= 1
            self._rate = (low + self._bad) / 2
        else:
            self._rate = None


async def max_rates(
    targets: dict[str, tuple[str, Sequence[bytes]]], **search: Any
) -> dict[str, Step]:
    """Search each target's highest sustained rate, taking turns step by step.

    Taking turns puts each target's steps next to the others' in time, so the load the rest
    of the machine adds falls on all of them alike.

    Args:
        targets: by name, the URL and the requests to send it.
        **search: `RateSearch`'s arguments.

    Raises:
        RuntimeError: a target sustained not even the starting rate.
    """
    searches = {name: RateSearch(**search) for name in targets}
    while any(s.rate is not None for s in searches.values()):
        for name, (url, requests) in targets.items():
            rate = searches[name].rate
            if rate is not None:
                searches[name].record(await run_rate(url, requests, rate))
    found = {}
    for name, found_search in searches.items():
        if found_search.best is None:
            raise RuntimeError(f"{name}: not even {found_search.steps[0]} was sustained")
        found[name] = found_search.best
    return found
