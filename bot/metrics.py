"""Every Prometheus metric guidebot exports, the per-interaction log line, and /metrics + /healthz.

`Metrics` holds each count of its own, so several bots (or tests) in one process never share
one. `Metrics.record` is the one place an interaction's outcome is counted, its response time
observed and its log line written. `routes` serves `GET /metrics` and `GET /healthz`; the HTTP
interactions endpoint mounts them on its own app, `guidebot run` on `serving(...)`.

The counts are plain numbers, handed to prometheus_client in its own shapes when they are read
(`Metrics.registry`). Its package imports its HTTP servers and process collectors with it: 1.4 MiB
of memory and 8 ms of start-up that a bot with no metrics port would keep for nothing
(bench/e2e.py), where the counts cost next to nothing.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Imported where used: a bot with no metrics port loads no HTTP server (2 MiB, 40 ms).
    from aiohttp import web
    from prometheus_client import CollectorRegistry
    from prometheus_client.metrics_core import Metric

log = logging.getLogger(__name__)

COMMANDS = ("framework", "resources", "getting-started", "guide", "component", "autocomplete")
"""The `command` label: each slash command, any component click, any autocomplete request."""
OTHER_COMMAND = "other"
"""The `command` label of an interaction for a command guidebot does not have (a stale one)."""
OUTCOMES = ("answered", "not_found", "error", "refused", "cooldown")
RELOAD_RESULTS = ("ok", "failed")
RESPONSE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0)
"""Seconds; dense around Discord's 3 s deadline for a first response, and the 2 s defer."""
_BUCKET_LABELS = (*map(repr, RESPONSE_BUCKETS), "+Inf")
"""Each bucket's `le` label, as prometheus_client writes it."""
MAX_PENDING = 10_000
"""Interactions whose start is remembered; older ones are forgotten if they never finish."""


class Count:
    """A number that only grows, exported as a Prometheus counter."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()
        """When counting began (Unix time), exported as the counter's `_created`."""

    def inc(self, amount: float = 1) -> None:
        """Add `amount` to the count."""
        self.value += amount


class Reading:
    """A value read each time the metrics are (0 until told how), exported as a Prometheus gauge."""

    __slots__ = ("get",)

    def __init__(self) -> None:
        self.get: Callable[[], float] = float

    def set_function(self, read: Callable[[], float]) -> None:
        """Read the value by calling `read` from now on."""
        self.get = read


class Timings:
    """Durations counted in `RESPONSE_BUCKETS`, exported as a Prometheus histogram."""

    __slots__ = ("counts", "created", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(RESPONSE_BUCKETS) + 1)
        """How many durations fell in each bucket, not cumulated; the last, above them all."""
        self.total = 0.0
        self.created = time.time()

    def observe(self, seconds: float) -> None:
        """Count one duration, in the first bucket whose bound it does not exceed."""
        self.counts[bisect.bisect_left(RESPONSE_BUCKETS, seconds)] += 1
        self.total += seconds


class Metrics:
    """guidebot's metrics, with a registry of their own."""

    def __init__(self) -> None:
        # Every series exists from the start, at 0, so rates and alerts work before the first.
        self.interactions: dict[tuple[str, ...], Count] = {
            (command, outcome): Count() for command in COMMANDS for outcome in OUTCOMES
        }
        """Interactions handled, by command and outcome."""
        self.response_seconds = Timings()
        self.guide_reloads: dict[tuple[str, ...], Count] = {
            (result,): Count() for result in RELOAD_RESULTS
        }
        self.guide_frameworks = Reading()
        self.gateway_latency = Reading()
        self.insight_dropped = Count()
        self.redis_failures = Count()
        self._started: dict[int, float] = {}
        self._responded: dict[int, float] = {}

    @cached_property
    def registry(self) -> CollectorRegistry:
        """The Prometheus registry that reads these metrics: made, with the import, on first use."""
        from prometheus_client import CollectorRegistry

        registry = CollectorRegistry()
        registry.register(_Exported(self))
        return registry

    def received(self, interaction_id: int) -> None:
        """Note that an interaction arrived, now."""
        if len(self._started) >= MAX_PENDING:
            oldest = next(iter(self._started))
            self._started.pop(oldest)
            self._responded.pop(oldest, None)
        self._started.setdefault(interaction_id, time.monotonic())

    def responded(self, interaction_id: int) -> None:
        """Note that an interaction got its first response, now."""
        if interaction_id in self._started:
            self._responded.setdefault(interaction_id, time.monotonic())

    def record(self, interaction_id: int, command: str, outcome: str, query: str = "") -> None:
        """Count how an interaction ended, observe its response time, and log one line.

        Args:
            interaction_id: the interaction, as given to `received`.
            command: one of `COMMANDS` (anything else counts as `OTHER_COMMAND`).
            outcome: one of `OUTCOMES`.
            query: the normalized query, if the interaction had one; nothing else from the user.
        """
        started = self._started.pop(interaction_id, None)
        responded = self._responded.pop(interaction_id, None)
        seconds = responded - started if started is not None and responded is not None else None
        command = command if command in COMMANDS else OTHER_COMMAND
        count = self.interactions.get((command, outcome))
        if count is None:
            count = self.interactions[command, outcome] = Count()
        count.inc()
        if seconds is not None:
            self.response_seconds.observe(seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        latency_ms = round(seconds * 1000) if seconds is not None else None
        fields: dict[str, Any] = {"command": command, "outcome": outcome, "latency_ms": latency_ms}
        if query:
            fields["query"] = query
        log.info(
            "interaction %s %s in %s ms%s",
            command,
            outcome,
            "-" if latency_ms is None else latency_ms,
            f" query={query!r}" if query else "",
            extra={"fields": fields},
        )

    def reloaded(self, *, ok: bool) -> None:
        """Count a guide reload."""
        self.guide_reloads[RELOAD_RESULTS[0] if ok else RELOAD_RESULTS[1],].inc()


class _Exported:
    """A prometheus_client collector: `Metrics`' counts, in the metrics it would have kept."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        """Yield each metric, as prometheus_client's Counter, Histogram or Gauge would."""
        from prometheus_client.metrics_core import GaugeMetricFamily

        metrics = self._metrics
        yield _counter(
            "guidebot_interactions",
            "Interactions handled, by command and outcome.",
            metrics.interactions,
            ("command", "outcome"),
        )
        yield _histogram(
            "guidebot_response_seconds",
            "Time from receiving an interaction to its first response.",
            metrics.response_seconds,
        )
        yield _counter(
            "guidebot_guide_reloads",
            "Guide reloads, by result: ok, or failed (the previous guide stays).",
            metrics.guide_reloads,
            ("result",),
        )
        yield GaugeMetricFamily(
            "guidebot_guide_frameworks",
            "Frameworks in the guide being served.",
            metrics.guide_frameworks.get(),
        )
        yield GaugeMetricFamily(
            "guidebot_gateway_latency_seconds",
            "Time between a gateway heartbeat and Discord's acknowledgement (NaN before one).",
            metrics.gateway_latency.get(),
        )
        yield _counter(
            "guidebot_insight_dropped",
            "Lookup records dropped because the insight database could not take them.",
            {(): metrics.insight_dropped},
        )
        yield _counter(
            "guidebot_cooldown_redis_failures",
            "Calls to the shared cooldown's Redis that failed or timed out (the answer was sent).",
            {(): metrics.redis_failures},
        )


def _counter(
    name: str,
    documentation: str,
    counts: Mapping[tuple[str, ...], Count],
    labels: tuple[str, ...] = (),
) -> Metric:
    from prometheus_client.metrics_core import CounterMetricFamily

    family = CounterMetricFamily(name, documentation, labels=labels)
    for values, count in counts.items():
        family.add_metric(values, count.value, created=count.created)
    return family


def _histogram(name: str, documentation: str, timings: Timings) -> Metric:
    from prometheus_client.metrics_core import Metric

    family = Metric(name, documentation, "histogram")
    below = 0.0
    for bound, count in zip(_BUCKET_LABELS, timings.counts, strict=True):
        below += count
        family.add_sample(f"{name}_bucket", {"le": bound}, below)
    family.add_sample(f"{name}_count", {}, below)
    family.add_sample(f"{name}_sum", {}, timings.total)
    family.add_sample(f"{name}_created", {}, timings.created)
    return family


@dataclass(frozen=True, slots=True, kw_only=True)
class Health:
    """What /healthz reports."""

    connected: bool
    """The gateway session is up (READY or RESUMED, not since disconnected)."""
    shards_ready: int
    """How many of this process's shards are up."""
    shard_count: int
    """How many shards this process serves."""
    shards: dict[str, bool] = field(default_factory=dict)
    """Each shard this process serves, by ID, and whether it is up."""
    guide_version: str
    """The version of the guide served (a short hash of its content); empty when none is."""
    frameworks: int

    @property
    def ok(self) -> bool:
        """Connected on every shard, and serving a guide."""
        return self.connected and self.shards_ready == self.shard_count and bool(self.guide_version)


def routes(metrics: Metrics, health: Callable[[], Health]) -> list[web.RouteDef]:
    """Return the `GET /metrics` and `GET /healthz` routes, for any aiohttp app.

    Args:
        metrics: whose registry /metrics exposes.
        health: called on each /healthz request; 200 when `ok`, else 503, the same body.
    """
    from aiohttp import web  # see the TYPE_CHECKING import
    from prometheus_client.exposition import choose_encoder

    async def get_metrics(request: web.Request) -> web.Response:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(metrics.registry), headers={"Content-Type": content_type})

    async def get_healthz(_request: web.Request) -> web.Response:
        state = health()
        return web.json_response(asdict(state), status=200 if state.ok else 503)

    return [web.get("/metrics", get_metrics), web.get("/healthz", get_healthz)]


@contextlib.asynccontextmanager
async def serving(
    metrics: Metrics, health: Callable[[], Health], *, host: str, port: int
) -> AsyncIterator[None]:
    """Serve /metrics and /healthz on `host`:`port` for the duration; port 0 serves nothing.

    Raises:
        OSError: the address cannot be listened on (in use, or not this machine's).
    """
    if not port:
        yield
        return
    from aiohttp import web  # see the TYPE_CHECKING import

    app = web.Application()
    app.add_routes(routes(metrics, health))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("serving /metrics and /healthz on http://%s:%d", host, port)
        yield
    finally:
        await runner.cleanup()
