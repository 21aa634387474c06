"""Shared fixtures: a small guide built in code, the shipped guide's path, the test Redis,
and logging as it was before each test."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.guide import Framework, Guide, Prerequisites, Resource, ResourceKind, name_key

pytest_plugins = ("tests.emulator.plugin", "tests.postgres")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_GUIDE = REPO_ROOT / "data" / "guide.yaml"
KIND_CHOICES = ["docs", "tutorial", "video", "course", "book", "article", "website", "repository"]
"""The `kind` choices of /resources, in the order Discord shows them."""


def make_framework(name: str, language: str = "Python", **fields: object) -> Framework:
    """Return a framework with sensible defaults for whatever a test does not care about."""
    defaults: dict[str, object] = {
        "description": f"{name} is a framework.",
        "resources": (
            Resource(
                title=f"{name} docs",
                url=f"https://{name_key(name)}.example/docs",
                kind=ResourceKind.DOCS,
            ),
        ),
    }
    defaults.update(fields)
    return Framework(key=name_key(name), name=name, language=language, **defaults)  # type: ignore[arg-type]


def make_guide(
    *frameworks: Framework, languages: tuple[str, ...] = ("Python", "JavaScript")
) -> Guide:
    """Return a guide holding `frameworks` (a small default set when none are given)."""
    if not frameworks:
        frameworks = (
            make_framework("Django", aliases=("dj",), summary="Batteries included"),
            make_framework("Flask"),
            make_framework("Node.js", "JavaScript"),
            make_framework("Express", "JavaScript"),
            make_framework("Ruby on Rails", "Ruby", aliases=("rails", "ror")),
        )
    return Guide(
        title="Test guide",
        intro="Backend is the server side.",
        prerequisites=Prerequisites(
            text="Know a language.", languages=languages, concepts=("HTTP",)
        ),
        frameworks=frameworks,
        conclusion="Go build something.",
    )


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo what a test did to process-wide logging (the CLI sets it up as it runs)."""
    factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    logging.setLogRecordFactory(factory)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def guide() -> Guide:
    return make_guide()


REDIS_URL_ENV = "GUIDEBOT_TEST_REDIS_URL"
REQUIRE_REDIS_ENV = "GUIDEBOT_REQUIRE_REDIS"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"


def answering_redis() -> str:
    """Return the test Redis's URL; skip (fail under GUIDEBOT_REQUIRE_REDIS=1) when none answers."""
    url = os.environ.get(REDIS_URL_ENV) or DEFAULT_TEST_REDIS_URL
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.ping()
    except (redis.RedisError, OSError) as error:
        reason = f"no Redis at {url} ({REDIS_URL_ENV}): {error}"
        if os.environ.get(REQUIRE_REDIS_ENV) == "1":
            pytest.fail(f"{REQUIRE_REDIS_ENV}=1 but {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis's URL (see `answering_redis`)."""
    return answering_redis()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test (or engineer) uses; its keys are deleted after the test."""
    prefix = f"guidebot-test:{uuid.uuid4().hex}:"
    yield prefix
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
