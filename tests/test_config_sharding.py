"""The [sharding] and [cooldown] config keys, from the file and the environment."""

from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config, sharding_problem


def test_sharding_keys_from_the_file():
    config = parse_config({"sharding": {"shard_count": 2, "shard_ids": [0, 1]}}, {}, source=None)
    assert (config.shard_count, config.shard_ids) == (2, (0, 1))


def test_sharding_defaults_to_every_shard_discord_recommends():
    config = parse_config({"sharding": {"shard_count": 0, "shard_ids": []}}, {}, source=None)
    assert (config.shard_count, config.shard_ids) == (None, ())


def test_sharding_keys_from_the_environment():
    env = {"GUIDEBOT_SHARDING_SHARD_COUNT": "2", "GUIDEBOT_SHARDING_SHARD_IDS": "0,1"}
    config = parse_config({}, env, source=None)
    assert (config.shard_count, config.shard_ids) == (2, (0, 1))


def test_shard_ids_from_the_environment_win_and_may_be_empty():
    raw = {"sharding": {"shard_count": 4, "shard_ids": [3]}}
    config = parse_config(raw, {"GUIDEBOT_SHARDING_SHARD_IDS": ""}, source=None)
    assert config.shard_ids == ()


def test_shard_ids_are_kept_sorted():
    raw = {"sharding": {"shard_count": 4, "shard_ids": [3, 1]}}
    assert parse_config(raw, {}, source=None).shard_ids == (1, 3)


@pytest.mark.parametrize(
    ("raw", "env", "problem"),
    [
        (
            {"shard_ids": [0, 1]},
            {},
            "c.toml: [sharding] shard_ids needs [sharding] shard_count: how many shards the "
            "application has in all, across every process",
        ),
        (
            {"shard_count": 2, "shard_ids": [1, 2, 3]},
            {},
            "c.toml: [sharding] shard_ids 2, 3 not below [sharding] shard_count 2: the shards are "
            "numbered 0 to 1",
        ),
        (
            {},
            {"GUIDEBOT_SHARDING_SHARD_COUNT": "2", "GUIDEBOT_SHARDING_SHARD_IDS": "0,2"},
            "c.toml: [sharding] shard_ids 2 not below [sharding] shard_count 2: the shards are "
            "numbered 0 to 1",
        ),
        (
            {"shard_count": 2, "shard_ids": [1, 1]},
            {},
            "c.toml: [sharding] shard_ids lists 1 more than once",
        ),
        (
            {"shard_count": 2, "shard_ids": [-1]},
            {},
            "c.toml: [sharding] shard_ids must not be negative: shards are numbered from 0",
        ),
        (
            {"shard_count": 2, "shard_ids": "0,1"},
            {},
            "c.toml: [sharding] shard_ids must be a list of whole numbers",
        ),
        (
            {"shard_count": 2, "shard_ids": [True]},
            {},
            "c.toml: [sharding] shard_ids must be a list of whole numbers",
        ),
        (
            {},
            {"GUIDEBOT_SHARDING_SHARD_IDS": "zero"},
            "GUIDEBOT_SHARDING_SHARD_IDS: [sharding] shard_ids must be a list of whole numbers",
        ),
        (
            {"shard_count": -1},
            {},
            "c.toml: [sharding] shard_count must not be negative (0: as many as Discord "
            "recommends)",
        ),
    ],
)
def test_a_bad_sharding_is_one_clear_line(raw, env, problem):
    with pytest.raises(ConfigError) as caught:
        parse_config({"sharding": raw}, env, source=Path("c.toml"))
    assert caught.value.problems == (problem,)


def test_sharding_problem_names_where_each_value_came_from():
    names = ("--shard-count", "--shard-ids")
    assert sharding_problem(2, (0, 1), names=names) is None
    assert sharding_problem(None, (), names=names) is None
    assert sharding_problem(2, (2,), names=names) == (
        "--shard-ids 2 not below --shard-count 2: the shards are numbered 0 to 1"
    )


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1", "unix:///run/redis.sock"]
)
def test_cooldown_redis_url_from_the_file_and_the_environment(url):
    assert parse_config({"cooldown": {"redis_url": url}}, {}, source=None).redis_url == url
    env = {"GUIDEBOT_COOLDOWN_REDIS_URL": url}
    assert parse_config({}, env, source=None).redis_url == url


def test_cooldown_redis_url_is_empty_by_default_and_must_be_redis():
    assert parse_config({}, {}, source=None).redis_url == ""
    with pytest.raises(ConfigError, match=r"\[cooldown\] redis_url must be a URL starting with"):
        parse_config({"cooldown": {"redis_url": "http://127.0.0.1:6379"}}, {}, source=None)


def test_cooldown_key_prefix_from_the_environment():
    env = {"GUIDEBOT_COOLDOWN_KEY_PREFIX": "bot-two:"}
    assert parse_config({}, env, source=None).redis_key_prefix == "bot-two:"
