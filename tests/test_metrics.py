"""bot/metrics.py: the metrics, the per-interaction log line, /metrics and /healthz."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import COMMANDS, MAX_PENDING, OUTCOMES, Health, Metrics, routes, serving

HEALTHY = Health(
    connected=True,
    shards_ready=1,
    shard_count=1,
    shards={"0": True},
    guide_version="7f9f899d",
    frameworks=14,
)


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_every_command_and_outcome_is_exported_at_zero_from_the_start() -> None:
    metrics = Metrics()
    for command in COMMANDS:
        for outcome in OUTCOMES:
            assert (
                value(metrics, "guidebot_interactions_total", command=command, outcome=outcome) == 0
            )
    assert value(metrics, "guidebot_insight_dropped_total") == 0
    assert value(metrics, "guidebot_guide_reloads_total", result="failed") == 0


@pytest.mark.parametrize(
    "command", ["framework", "resources", "getting-started", "guide", "component", "autocomplete"]
)
@pytest.mark.parametrize("outcome", ["answered", "not_found", "error", "refused", "cooldown"])
def test_the_issues_labels_are_exported_as_written(command: str, outcome: str) -> None:
    metrics = Metrics()
    metrics.record(1, command, outcome)
    scraped = generate_latest(metrics.registry).decode()
    assert f'guidebot_interactions_total{{command="{command}",outcome="{outcome}"}} 1.0' in scraped
    for name in (
        "guidebot_response_seconds_bucket",
        'guidebot_guide_reloads_total{result="ok"}',
        'guidebot_guide_reloads_total{result="failed"}',
        "guidebot_guide_frameworks",
        "guidebot_gateway_latency_seconds",
        "guidebot_insight_dropped_total",
    ):
        assert f"\n{name}" in scraped, name


def test_two_bots_in_one_process_count_apart() -> None:
    first, second = Metrics(), Metrics()
    first.record(1, "framework", "answered")
    assert value(first, "guidebot_interactions_total", command="framework", outcome="answered") == 1
    assert (
        value(second, "guidebot_interactions_total", command="framework", outcome="answered") == 0
    )


def test_record_observes_the_time_to_the_first_response_and_logs_one_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([10.0, 10.25, 10.9])
    monkeypatch.setattr("bot.metrics.time.monotonic", lambda: next(clock))
    metrics = Metrics()
    metrics.received(7)
    metrics.responded(7)
    metrics.responded(7)  # a followup later is not the first response
    with caplog.at_level(logging.INFO, "bot.metrics"):
        metrics.record(7, "resources", "not_found", "djagno")

    assert value(metrics, "guidebot_response_seconds_sum") == 0.25
    assert value(metrics, "guidebot_response_seconds_bucket", le="0.25") == 1
    assert value(metrics, "guidebot_response_seconds_bucket", le="0.1") == 0
    (record,) = caplog.records
    assert record.getMessage() == "interaction resources not_found in 250 ms query='djagno'"
    assert record.fields == {  # type: ignore[attr-defined]
        "command": "resources",
        "outcome": "not_found",
        "latency_ms": 250,
        "query": "djagno",
    }


def test_an_interaction_never_answered_counts_but_has_no_response_time() -> None:
    metrics = Metrics()
    metrics.received(8)
    metrics.record(8, "framework", "error")
    assert value(metrics, "guidebot_interactions_total", command="framework", outcome="error") == 1
    assert value(metrics, "guidebot_response_seconds_count") == 0


def test_an_unknown_command_counts_as_other() -> None:
    metrics = Metrics()
    metrics.record(9, "retired-command", "error")
    assert value(metrics, "guidebot_interactions_total", command="other", outcome="error") == 1


def test_pending_interactions_are_bounded() -> None:
    metrics = Metrics()
    for interaction_id in range(MAX_PENDING + 1):
        metrics.received(interaction_id)
    for interaction_id in (0, MAX_PENDING):  # the oldest was forgotten, the newest not
        metrics.responded(interaction_id)
        metrics.record(interaction_id, "framework", "answered")
    assert value(metrics, "guidebot_response_seconds_count") == 1


@pytest.mark.parametrize(
    ("state", "ok"),
    [
        (HEALTHY, True),
        (
            Health(
                connected=False,
                shards_ready=0,
                shard_count=1,
                guide_version="7f9f899d",
                frameworks=14,
            ),
            False,
        ),
        (
            Health(
                connected=True,
                shards_ready=1,
                shard_count=2,
                guide_version="7f9f899d",
                frameworks=14,
            ),
            False,
        ),
        (
            Health(connected=True, shards_ready=1, shard_count=1, guide_version="", frameworks=0),
            False,
        ),
    ],
)
def test_health_is_ok_when_connected_on_every_shard_and_serving_a_guide(
    state: Health, ok: bool
) -> None:
    assert state.ok is ok


def serve(metrics: Metrics, state: Health) -> tuple[int, str, str, int, dict[str, object]]:
    async def scenario() -> tuple[int, str, str, int, dict[str, object]]:
        app = web.Application()
        app.add_routes(routes(metrics, lambda: state))
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            scraped = await client.get("/metrics")
            health = await client.get("/healthz")
            return (
                scraped.status,
                scraped.headers["Content-Type"],
                await scraped.text(),
                health.status,
                json.loads(await health.text()),
            )

    return asyncio.run(scenario())


def test_routes_serve_prometheus_text_and_health_json() -> None:
    metrics = Metrics()
    metrics.reloaded(ok=False)
    status, content_type, text, health_status, body = serve(metrics, HEALTHY)
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {
        "guidebot_interactions",
        "guidebot_response_seconds",
        "guidebot_guide_reloads",
        "guidebot_guide_frameworks",
        "guidebot_gateway_latency_seconds",
        "guidebot_insight_dropped",
        "guidebot_cooldown_redis_failures",
    } <= set(families)
    assert 'guidebot_guide_reloads_total{result="failed"} 1.0' in text
    assert (health_status, body) == (
        200,
        {
            "connected": True,
            "shards_ready": 1,
            "shard_count": 1,
            "shards": {"0": True},
            "guide_version": "7f9f899d",
            "frameworks": 14,
        },
    )


def test_healthz_is_503_with_the_same_body_when_unhealthy() -> None:
    down = Health(
        connected=False, shards_ready=0, shard_count=1, guide_version="7f9f899d", frameworks=14
    )
    *_, status, body = serve(Metrics(), down)
    assert (status, body["connected"], body["guide_version"]) == (503, False, "7f9f899d")


def test_port_0_serves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_site(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("port 0 must not listen")

    monkeypatch.setattr("aiohttp.web.TCPSite", no_site)  # bot.metrics imports it when serving

    async def scenario() -> None:
        async with serving(Metrics(), lambda: HEALTHY, host="127.0.0.1", port=0):
            pass

    asyncio.run(scenario())
