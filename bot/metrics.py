"""Every Prometheus metric guidebot exports, the per-interaction log line, and /metrics + /healthz.

`Metrics` holds each metric in its own registry, so several bots (or tests) in one process never
share a count. `Metrics.record` is the one place an interaction's outcome is counted, its response
time observed and its log line written. `routes` serves `GET /metrics` and `GET /healthz`; the
HTTP interactions endpoint mounts them on its own app, `guidebot run` on `serving(...)`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    # Imported where used: a bot with no metrics port loads no HTTP server (2 MiB, 40 ms).
    from aiohttp import web

log = logging.getLogger(__name__)

COMMANDS = ("framework", "resources", "getting-started", "guide", "component", "autocomplete")
"""The `command` label: each slash command, any component click, any autocomplete request."""
OTHER_COMMAND = "other"
"""The `command` label of an interaction for a command guidebot does not have (a stale one)."""
OUTCOMES = ("answered", "not_found", "error", "refused", "cooldown")
RELOAD_RESULTS = ("ok", "failed")
RESPONSE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0)
"""Seconds; dense around Discord's 3 s deadline for a first response, and the 2 s defer."""
MAX_PENDING = 10_000
"""Interactions whose start is remembered; older ones are forgotten if they never finish."""


class Metrics:
    """guidebot's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.interactions = Counter(
            "guidebot_interactions",
            "Interactions handled, by command and outcome.",
            ("command", "outcome"),
            registry=registry,
        )
        self.response_seconds = Histogram(
            "guidebot_response_seconds",
            "Time from receiving an interaction to its first response.",
            buckets=RESPONSE_BUCKETS,
            registry=registry,
        )
        self.guide_reloads = Counter(
            "guidebot_guide_reloads",
            "Guide reloads, by result: ok, or failed (the previous guide stays).",
            ("result",),
            registry=registry,
        )
        self.guide_frameworks = Gauge(
            "guidebot_guide_frameworks", "Frameworks in the guide being served.", registry=registry
        )
        self.gateway_latency = Gauge(
            "guidebot_gateway_latency_seconds",
            "Time between a gateway heartbeat and Discord's acknowledgement (NaN before one).",
            registry=registry,
        )
        self.insight_dropped = Counter(
            "guidebot_insight_dropped",
            "Lookup records dropped because the insight database could not take them.",
            registry=registry,
        )
        self.redis_failures = Counter(
            "guidebot_cooldown_redis_failures",
            "Calls to the shared cooldown's Redis that failed or timed out (the answer was sent).",
            registry=registry,
        )
        # Every series exists from the start, at 0, so rates and alerts work before the first;
        # each is kept, as looking a series up by its labels costs more than counting in it.
        self._counts = {
            (command, outcome): self.interactions.labels(command, outcome)
            for command in COMMANDS
            for outcome in OUTCOMES
        }
        for result in RELOAD_RESULTS:
            self.guide_reloads.labels(result)
        self._started: dict[int, float] = {}
        self._responded: dict[int, float] = {}

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
        count = self._counts.get((command, outcome))
        if count is None:
            count = self._counts[command, outcome] = self.interactions.labels(command, outcome)
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
        self.guide_reloads.labels(RELOAD_RESULTS[0] if ok else RELOAD_RESULTS[1]).inc()


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
