"""An open-loop HTTP load generator, light enough not to be the bottleneck on a 2-core machine.

Requests are sent at a fixed rate whatever the server does, over keep-alive connections, from
pre-built bytes (signed once, ahead of time); each latency counts from when the request was due,
so a server that falls behind shows it (no coordinated omission). `max_rate` searches for the
highest rate whose p99 stays under a bound, in a bounded number of steps.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
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


async def max_rate(
    url: str, requests: Sequence[bytes], *, p99_ms: float, start: float, bisections: int = 4
) -> tuple[Step, list[Step]]:
    """Return the highest sustained step, and every step tried.

    Rates grow by half until one is not sustained (at most 12 times), then the gap between the
    last good and the first bad rate is halved `bisections` times.
    """
    steps: list[Step] = []
    good: Step | None = None
    rate = start
    bad: float | None = None
    for _ in range(12):
        step = await run_rate(url, requests, rate)
        steps.append(step)
        if not step.sustained(p99_ms):
            bad = rate
            break
        good = step
        rate *= 1.5
    low = good.rate if good else 0.0
    for _ in range(bisections if bad is not None else 0):
        middle = (low + bad) / 2 if bad is not None else low
        step = await run_rate(url, requests, middle)
        steps.append(step)
        if step.sustained(p99_ms):
            good, low = step, middle
        else:
            bad = middle
    if good is None:
        raise RuntimeError(f"not even {start:g}/s was sustained: {steps[0]}")
    return good, steps
