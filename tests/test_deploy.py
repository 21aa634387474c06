"""The deployment files, checked without a Docker daemon or systemd running.

The Dockerfile's COPY sources exist and get past .dockerignore, its wheel stage builds from what
tests/test_package.py proves a wheel needs, and its HEALTHCHECK command tells a healthy bot from
an unhealthy one; compose.yaml parses, mounts files that exist, and gives the bot settings it
accepts; Prometheus scrapes the bot where it listens; the systemd unit passes
`systemd-analyze verify`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.config import keys, parse_config
from bot.metrics import Health, Metrics, routes
from tests.helpers import BUILT_FROM

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO_ROOT / "Dockerfile"
UNIT = REPO_ROOT / "deploy" / "guidebot.service"


def instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def stages() -> list[list[tuple[str, str]]]:
    """Return the instructions of each build stage."""
    found: list[list[tuple[str, str]]] = []
    for instruction, arguments in instructions():
        if instruction == "FROM":
            found.append([])
        found[-1].append((instruction, arguments))
    return found


def copy_sources(stage: list[tuple[str, str]]) -> list[str]:
    """Return the build-context sources of a stage's COPY instructions."""
    sources = []
    for instruction, arguments in stage:
        if instruction == "COPY" and "--from=" not in arguments:
            *names, _destination = [a for a in arguments.split() if not a.startswith("--")]
            sources += names
    return sources


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last match wins)."""
    patterns = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            result = not negated
    return result


def test_every_copy_source_exists_and_is_in_the_build_context() -> None:
    sources = [source for stage in stages() for source in copy_sources(stage)]
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert not ignored(source), f"{source} is excluded by .dockerignore"


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    for path in ("config.toml", ".venv/bin/python", "var/insight.sqlite3", ".git/config"):
        assert ignored(path), path


def test_the_image_is_built_from_the_wheel_of_exactly_what_the_package_test_builds() -> None:
    wheel_stage, final = stages()
    assert {Path(s).name for s in copy_sources(wheel_stage)} == set(BUILT_FROM)
    runs = " ".join(arguments for instruction, arguments in wheel_stage if instruction == "RUN")
    assert "pip wheel --no-deps" in runs
    installs = [a for i, a in final if i == "RUN" and "pip install" in a]
    assert len(installs) == 1
    assert "--constraint /tmp/constraints.txt" in installs[0]
    assert "guidebot-*.whl" in installs[0]
    assert copy_sources(final) == ["constraints.txt"], "no working tree in the final image"


def test_the_image_is_slim_runs_as_a_user_and_holds_no_secret() -> None:
    *_, final = stages()
    for stage in stages():
        assert re.fullmatch(r"python:3\.\d+-slim( AS \w+)?", stage[0][1]), stage[0][1]
    (user,) = [arguments for instruction, arguments in final if instruction == "USER"]
    assert user not in {"root", "0"}
    assert [i for i, _ in final].index("USER") < [i for i, _ in final].index("ENTRYPOINT")
    for instruction, arguments in instructions():
        if instruction in {"ENV", "ARG", "LABEL"}:
            assert not re.search(r"TOKEN|PASSWORD|SECRET", arguments, re.IGNORECASE), arguments


def healthcheck_command() -> list[str]:
    (healthcheck,) = [a for i, a in instructions() if i == "HEALTHCHECK"]
    command: list[str] = json.loads(healthcheck.split("CMD", 1)[1])
    return command


def image_env() -> dict[str, str]:
    """Return the ENV settings of the final stage."""
    *_, final = stages()
    env = {}
    for instruction, arguments in final:
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in arguments.split())
    return env


@pytest.mark.parametrize(("connected", "status"), [(True, 0), (False, 1)])
def test_healthcheck_passes_only_when_healthz_says_200(connected: bool, status: int) -> None:
    state = Health(
        connected=connected,
        shards_ready=int(connected),
        shard_count=1,
        guide_version="1",
        frameworks=1,
    )

    async def check() -> int:
        app = web.Application()
        app.add_routes(routes(Metrics(), lambda: state))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        python, *arguments = healthcheck_command()
        assert python == "python"
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *arguments,
                env={**os.environ, "GUIDEBOT_METRICS_PORT": str(port)},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            return await asyncio.wait_for(process.wait(), 30)
        finally:
            await runner.cleanup()

    assert asyncio.run(check()) == status


def test_the_image_settings_are_ones_the_bot_accepts() -> None:
    env = image_env()
    config = parse_config({}, env, source=None)
    assert (config.metrics_host, config.metrics_port) == ("0.0.0.0", 9108)  # noqa: S104
    assert f"EXPOSE {config.metrics_port}" in DOCKERFILE.read_text()


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    return loaded


def interpolate(value: str) -> str:
    """Resolve ${VAR:-default} to its default and ${VAR:?error} to a stand-in, as compose would."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "set-by-the-operator", value)


def test_compose_has_the_bot_postgres_and_prometheus_in_a_profile() -> None:
    services = compose()["services"]
    assert set(services) == {"guidebot", "postgres", "prometheus"}
    assert services["guidebot"]["build"] == "."
    assert "profiles" not in services["guidebot"]
    assert "profiles" not in services["postgres"]
    assert services["prometheus"]["profiles"] == ["monitoring"]


def test_compose_mounts_only_files_that_exist() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (REPO_ROOT / source).exists(), f"{name}: {source}"


def test_compose_gives_the_bot_settings_it_accepts_and_a_guide_that_exists() -> None:
    bot = compose()["services"]["guidebot"]
    environment = {key: interpolate(str(value)) for key, value in bot["environment"].items()}
    known = {key.env for key in keys()} | {"DISCORD_TOKEN"}
    assert set(environment) <= known
    config = parse_config({}, {**image_env(), **environment}, source=None)
    assert config.insight_url.startswith("postgresql://guidebot:guidebot@postgres:5432/")
    (guide_mount,) = [v for v in bot["volumes"] if v.endswith(":ro")]
    host, container, _mode = guide_mount.split(":")
    inside = config.guide_path.relative_to(container)
    assert (REPO_ROOT / host / inside).is_file()
    assert f"127.0.0.1:{config.metrics_port}:{config.metrics_port}" in bot["ports"]


def test_prometheus_scrapes_the_bot_where_it_listens() -> None:
    scrape = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus.yml").read_text())
    (job,) = scrape["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (target,) = job["static_configs"][0]["targets"]
    assert target == f"guidebot:{image_env()['GUIDEBOT_METRICS_PORT']}"


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: CI must verify the unit")
        pytest.skip("systemd-analyze is not installed here")
    unit = UNIT.read_text()
    (exec_start,) = re.findall(r"(?m)^ExecStart=(\S+) (.*)$", unit)
    program, arguments = exec_start
    assert arguments == "--config /etc/guidebot/config.toml run"
    # verify checks that the program exists: point it at this checkout's guidebot instead.
    installed = Path(sys.executable).parent / "guidebot"
    copy = tmp_path / "guidebot.service"
    copy.write_text(unit.replace(f"ExecStart={program} ", f"ExecStart={installed} "))
    verified = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
