import re
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, keys, load_config, parse_config, url_scheme
from bot.guide import DEFAULT_GUIDE_PATH

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_config_example_parses():
    config = load_config(REPO_ROOT / "config.example.toml", {})
    assert config.token == ""
    assert config.dev_guild_id is None
    assert config.guide_path == DEFAULT_GUIDE_PATH


def test_config_env_token_overrides_the_file():
    config = parse_config(
        {"discord": {"token": "file-token"}}, {"DISCORD_TOKEN": "env"}, source=None
    )
    assert config.token == "env"
    assert not config.token_in_file


def test_config_token_from_file_is_flagged():
    config = parse_config({"discord": {"token": "file-token"}}, {}, source=None)
    assert config.token == "file-token"
    assert config.token_in_file


def test_config_token_never_shows_in_repr():
    config = parse_config({"discord": {"token": "s3cret-token"}}, {}, source=None)
    assert "s3cret-token" not in repr(config)


def test_config_reports_every_problem_with_suggestions():
    raw = {
        "discord": {"tokne": "x", "dev_guild_id": "123"},
        "guid": {},
        "logging": {"level": "LOUD"},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {}, source=Path("c.toml"))
    assert caught.value.problems == (
        "c.toml: [discord] unknown key 'tokne' (did you mean 'token'?)",
        "c.toml: unknown section [guid] (did you mean 'guide'?)",
        "c.toml: [discord] dev_guild_id must be a whole number",
        "c.toml: [logging] level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    )


def test_config_rejects_a_bool_where_a_number_is_wanted():
    with pytest.raises(ConfigError, match="cooldown_seconds must be a number"):
        parse_config({"answers": {"cooldown_seconds": True}}, {}, source=None)


def test_config_guide_path_is_relative_to_the_config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[guide]\npath = "my/guide.yaml"\n')
    assert load_config(path, {}).guide_path == tmp_path / "my" / "guide.yaml"


def test_config_empty_guide_path_is_the_bundled_guide(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[guide]\npath = ""\n')
    assert load_config(path, {}).guide_path == DEFAULT_GUIDE_PATH


@pytest.mark.parametrize(
    ("guide", "shown"),
    [
        ("my/guide.yaml", "my/guide.yaml"),
        ("/srv/elsewhere/guide.yaml", "guide.yaml"),
        ("../outside/guide.yaml", "../outside/guide.yaml"),
    ],
)
def test_config_shows_the_guide_relative_to_the_config_file_or_by_name(tmp_path, guide, shown):
    path = tmp_path / "config.toml"
    path.write_text(f'[guide]\npath = "{guide}"\n')
    assert load_config(path, {}).guide_shown_as == shown


def test_config_without_a_file_shows_the_guide_by_its_name():
    assert Config().guide_shown_as == "guide.yaml"


def test_config_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml", {})


def test_config_broken_toml_is_a_clear_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[discord\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, {})


def test_config_walkthrough_timeout_must_fit_the_interaction_token_lifetime():
    with pytest.raises(ConfigError, match="walkthrough_timeout_seconds"):
        parse_config({"answers": {"walkthrough_timeout_seconds": 3600}}, {}, source=None)


def test_config_example_documents_every_key():
    documented = tomllib.loads((REPO_ROOT / "config.example.toml").read_text())
    assert {(s, k) for s, table in documented.items() for k in table} == {
        (key.section, key.name) for key in keys()
    }


def test_config_example_holds_the_defaults():
    assert load_config(REPO_ROOT / "config.example.toml", {}) == Config(
        source=REPO_ROOT / "config.example.toml",
        # The default insight file, beside the config file as every relative path is.
        insight_url=f"sqlite:///{REPO_ROOT}/var/insight.sqlite3",
    )


def test_config_metrics_port_from_the_environment():
    config = parse_config({}, {"GUIDEBOT_METRICS_PORT": "9108"}, source=None)
    assert config.metrics_port == 9108


def test_config_environment_wins_over_the_file():
    raw = {"metrics": {"port": 9000, "host": "0.0.0.0"}}  # noqa: S104 - a config value
    config = parse_config(raw, {"GUIDEBOT_METRICS_PORT": "9108"}, source=None)
    assert (config.metrics_port, config.metrics_host) == (9108, "0.0.0.0")  # noqa: S104


@pytest.mark.parametrize(
    ("variable", "text", "field", "value"),
    [
        ("GUIDEBOT_GUIDE_WATCH", "true", "watch_guide", True),
        ("GUIDEBOT_GUIDE_WATCH", "0", "watch_guide", False),
        ("GUIDEBOT_ANSWERS_COOLDOWN_SECONDS", "2.5", "cooldown_seconds", 2.5),
        ("GUIDEBOT_DISCORD_DEV_GUILD_ID", "123", "dev_guild_id", 123),
        ("GUIDEBOT_DISCORD_DEV_GUILD_ID", "0", "dev_guild_id", None),
        ("GUIDEBOT_LOGGING_LEVEL", "debug", "log_level", "DEBUG"),
        ("GUIDEBOT_LOGGING_FORMAT", "json", "log_format", "json"),
        ("GUIDEBOT_METRICS_HOST", "0.0.0.0", "metrics_host", "0.0.0.0"),  # noqa: S104
    ],
)
def test_config_every_key_reads_its_environment_variable(variable, text, field, value):
    assert getattr(parse_config({}, {variable: text}, source=None), field) == value


def test_config_every_key_has_an_environment_variable_named_after_it():
    names = {key.env for key in keys()}
    assert {"GUIDEBOT_METRICS_PORT", "GUIDEBOT_DISCORD_TOKEN", "GUIDEBOT_GUIDE_PATH"} <= names
    assert len(names) == len(keys())


def test_config_a_port_that_is_not_a_number_names_the_variable():
    with pytest.raises(ConfigError) as caught:
        parse_config({}, {"GUIDEBOT_METRICS_PORT": "http"}, source=Path("c.toml"))
    assert caught.value.problems == (
        "GUIDEBOT_METRICS_PORT: [metrics] port must be a whole number",
    )


def test_config_a_port_that_is_not_a_number_names_the_file():
    with pytest.raises(ConfigError) as caught:
        parse_config({"metrics": {"port": "9108x"}}, {}, source=Path("c.toml"))
    assert caught.value.problems == ("c.toml: [metrics] port must be a whole number",)


def test_config_a_port_out_of_range_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_config({}, {"GUIDEBOT_METRICS_PORT": "70000"}, source=None)
    assert caught.value.problems == (
        "GUIDEBOT_METRICS_PORT: [metrics] port must be a port number from 0 to 65535 "
        "(0 turns it off)",
    )


def test_config_a_wrong_file_value_is_not_reported_when_the_environment_replaces_it():
    config = parse_config(
        {"metrics": {"port": "x"}}, {"GUIDEBOT_METRICS_PORT": "9108"}, source=None
    )
    assert config.metrics_port == 9108


def test_config_a_misspelt_variable_of_a_known_section_is_named():
    with pytest.raises(ConfigError) as caught:
        parse_config({}, {"GUIDEBOT_METRICS_PROT": "9108"}, source=None)
    assert caught.value.problems == (
        "GUIDEBOT_METRICS_PROT: no such key in [metrics] (did you mean 'GUIDEBOT_METRICS_PORT'?)",
    )


def test_config_other_guidebot_variables_are_not_keys():
    config = parse_config({}, {"GUIDEBOT_API_BASE": "http://127.0.0.1:1/api"}, source=None)
    assert config.api_base == "http://127.0.0.1:1/api"


def test_config_environment_guide_path_is_relative_to_the_working_directory(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[guide]\npath = "my/guide.yaml"\n')
    config = load_config(path, {"GUIDEBOT_GUIDE_PATH": "other.yaml"})
    assert config.guide_path == Path("other.yaml")


def test_config_token_from_guidebot_variable_is_not_flagged_as_in_a_file():
    config = parse_config({}, {"GUIDEBOT_DISCORD_TOKEN": "env"}, source=None)
    assert (config.token, config.token_in_file) == ("env", False)


def test_config_discord_token_wins_over_guidebot_discord_token():
    env = {"GUIDEBOT_DISCORD_TOKEN": "second", "DISCORD_TOKEN": "first"}
    assert parse_config({}, env, source=None).token == "first"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("sqlite:///var/insight.sqlite3", True),
        ("postgresql://postgres@127.0.0.1:5432/test", True),
        ("", True),
        ("mysql://root@localhost/db", False),
        ("var/insight.sqlite3", False),
    ],
)
def test_url_scheme_check_accepts_only_the_given_schemes(url, ok):
    check = url_scheme("sqlite", "postgresql", empty=True)
    if ok:
        assert check(url) == url
    else:
        with pytest.raises(ValueError, match=r"must be a URL starting with sqlite://\.\.\."):
            check(url)


def test_config_insight_defaults_to_a_sqlite_file_under_var_kept_for_90_days(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("")
    config = load_config(path, {})
    assert config.insight_url == f"sqlite:///{tmp_path}/var/insight.sqlite3"
    assert config.insight_retention_days == 90
    assert parse_config({}, {}, source=None).insight_url == "sqlite:///var/insight.sqlite3"


def test_config_insight_sqlite_path_is_relative_to_the_config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[insight]\nurl = "sqlite:///data/lookups.db"\nretention_days = 7\n')
    config = load_config(path, {})
    assert config.insight_url == f"sqlite:///{tmp_path}/data/lookups.db"
    assert config.insight_retention_days == 7


def test_config_insight_absolute_sqlite_path_stays(tmp_path):
    raw = {"insight": {"url": "sqlite:////srv/guidebot/insight.db"}}
    config = parse_config(raw, {}, source=tmp_path / "config.toml")
    assert config.insight_url == "sqlite:////srv/guidebot/insight.db"


@pytest.mark.parametrize(
    "url", ["postgresql://guidebot:secret@db.example:5432/guidebot", "postgres://db/guidebot", ""]
)
def test_config_insight_url_takes_postgresql_or_empty(url, tmp_path):
    config = parse_config({"insight": {"url": url}}, {}, source=tmp_path / "config.toml")
    assert config.insight_url == url


def test_config_insight_from_the_environment():
    environ = {"GUIDEBOT_INSIGHT_URL": "postgresql://...", "GUIDEBOT_INSIGHT_RETENTION_DAYS": "30"}
    config = parse_config({"insight": {"url": "sqlite:///x.db"}}, environ, source=Path("c.toml"))
    assert (config.insight_url, config.insight_retention_days) == ("postgresql://...", 30)
    assert parse_config({}, {"GUIDEBOT_INSIGHT_URL": ""}, source=None).insight_url == ""


@pytest.mark.parametrize(
    ("raw", "environ", "problem"),
    [
        (
            {"insight": {"url": "mysql://root:pw@db/guidebot"}},
            {},
            "c.toml: [insight] url must be a URL starting with sqlite://..., postgresql://..., "
            "postgres://..., or empty to turn it off; got scheme 'mysql'",
        ),
        (
            {},
            {"GUIDEBOT_INSIGHT_URL": "sqlite://insight.db"},
            "GUIDEBOT_INSIGHT_URL: [insight] url must be sqlite:///PATH (relative to the config "
            "file; sqlite:////PATH for an absolute one)",
        ),
        (
            {"insight": {"retention_days": -1}},
            {},
            "c.toml: [insight] retention_days must not be negative",
        ),
        (
            {},
            {"GUIDEBOT_INSIGHT_RETENTION_DAYS": "ninety"},
            "GUIDEBOT_INSIGHT_RETENTION_DAYS: [insight] retention_days must be a whole number",
        ),
    ],
)
def test_config_a_wrong_insight_setting_is_one_line_naming_key_and_origin(raw, environ, problem):
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, environ, source=Path("c.toml"))
    assert caught.value.problems == (problem,)


HEX_KEY = "ab" * 32


def test_config_http_defaults_listen_on_this_machine_with_no_key():
    config = parse_config({}, {}, source=None)
    assert (config.http_public_key, config.http_host, config.http_port) == ("", "127.0.0.1", 8080)


def test_config_http_section_sets_the_public_key_host_and_port():
    raw = {"http": {"public_key": HEX_KEY, "host": "0.0.0.0", "port": 0}}  # noqa: S104
    config = parse_config(raw, {}, source=None)
    assert (config.http_public_key, config.http_host, config.http_port) == (
        HEX_KEY,
        "0.0.0.0",  # noqa: S104 - a config value
        0,
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DISCORD_PUBLIC_KEY": "cd" * 32}, "cd" * 32),
        ({"GUIDEBOT_HTTP_PUBLIC_KEY": "ef" * 32}, "ef" * 32),
        ({"DISCORD_PUBLIC_KEY": "cd" * 32, "GUIDEBOT_HTTP_PUBLIC_KEY": "ef" * 32}, "cd" * 32),
        ({"DISCORD_PUBLIC_KEY": ""}, HEX_KEY),
    ],
)
def test_config_discord_public_key_wins_over_the_http_section(environ, expected):
    config = parse_config({"http": {"public_key": HEX_KEY}}, environ, source=None)
    assert config.http_public_key == expected


def test_config_http_port_and_host_from_the_environment():
    environ = {"GUIDEBOT_HTTP_PORT": "9000", "GUIDEBOT_HTTP_HOST": "::1"}
    config = parse_config({"http": {"port": 8000}}, environ, source=None)
    assert (config.http_host, config.http_port) == ("::1", 9000)


def test_config_http_port_out_of_range_is_one_line():
    with pytest.raises(ConfigError) as caught:
        parse_config({"http": {"port": 70000}}, {}, source=Path("c.toml"))
    assert caught.value.problems == (
        "c.toml: [http] port must be a port number from 0 to 65535 (0: any free port)",
    )


def test_config_metrics_are_off_by_default_and_local_when_on():
    config = parse_config({}, {}, source=None)
    assert (config.metrics_port, config.metrics_host) == (0, "127.0.0.1")


def test_config_logging_format_json_as_the_issue_writes_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[logging]\nformat = "json"\n')
    assert load_config(path, {}).log_format == "json"


# Each config example of the issues and the README, as a file written exactly so.
CONTRACT_EXAMPLES = {
    "[metrics] port": (
        "[metrics]\nport = 9108\n",
        {"metrics_port": 9108, "metrics_host": "127.0.0.1"},
    ),
    "[insight] url sqlite": (
        '[insight]\nurl = "sqlite:///var/insight.sqlite3"\nretention_days = 90\n',
        {"insight_url": "sqlite:///{dir}/var/insight.sqlite3", "insight_retention_days": 90},
    ),
    "[insight] url postgresql": (
        '[insight]\nurl = "postgresql://user:password@host/db"\n',
        {"insight_url": "postgresql://user:password@host/db"},
    ),
    "[insight] url empty": ('[insight]\nurl = ""\n', {"insight_url": ""}),
    "[logging] format json": ('[logging]\nformat = "json"\n', {"log_format": "json"}),
    "[sharding]": (
        "[sharding]\nshard_count = 4\nshard_ids = [2, 3]\n",
        {"shard_count": 4, "shard_ids": (2, 3)},
    ),
    "[cooldown] redis_url": (
        '[cooldown]\nredis_url = "redis://127.0.0.1:6379/0"\n',
        {"redis_url": "redis://127.0.0.1:6379/0"},
    ),
    "[http] public_key": (f'[http]\npublic_key = "{"ab" * 32}"\n', {"http_public_key": "ab" * 32}),
}


@pytest.mark.parametrize(("text", "expected"), CONTRACT_EXAMPLES.values(), ids=CONTRACT_EXAMPLES)
def test_config_each_documented_example_loads_as_written(tmp_path, text, expected):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, {})
    expected = {
        field: value.format(dir=tmp_path) if isinstance(value, str) else value
        for field, value in expected.items()
    }
    assert {field: getattr(config, field) for field in expected} == expected


FILE_THE_VARIABLES_OVERRIDE = f"""
[metrics]
port = 9000
[insight]
url = "sqlite:///other.sqlite3"
[sharding]
shard_count = 8
shard_ids = [1]
[cooldown]
redis_url = "redis://other.example:6379/1"
[http]
public_key = "{"ab" * 32}"
"""


@pytest.mark.parametrize(
    ("variable", "text", "field", "value"),
    [
        ("GUIDEBOT_METRICS_PORT", "9108", "metrics_port", 9108),
        ("GUIDEBOT_INSIGHT_URL", "postgresql://user:password@host/db", "insight_url", None),
        ("GUIDEBOT_SHARDING_SHARD_COUNT", "4", "shard_count", 4),
        ("GUIDEBOT_SHARDING_SHARD_IDS", "2,3", "shard_ids", (2, 3)),
        ("GUIDEBOT_COOLDOWN_REDIS_URL", "redis://redis.internal:6379/0", "redis_url", None),
        ("DISCORD_PUBLIC_KEY", "cd" * 32, "http_public_key", None),
    ],
)
def test_config_each_documented_variable_wins_over_the_file(tmp_path, variable, text, field, value):
    path = tmp_path / "config.toml"
    path.write_text(FILE_THE_VARIABLES_OVERRIDE, encoding="utf-8")
    config = load_config(path, {variable: text})
    assert getattr(config, field) == (text if value is None else value)


def test_config_the_readmes_cooldown_example_loads_as_written(tmp_path):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"^```toml\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    path = tmp_path / "config.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, {})
    assert (config.redis_url, config.redis_key_prefix) == (
        "redis://redis.internal:6379/0",
        "guidebot:cooldown:",
    )


def test_config_toml_and_the_default_insight_file_under_var_are_ignored_by_git():
    ignored = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"config.toml", "var/"} <= set(ignored)
    assert parse_config({}, {}, source=None).insight_url.startswith("sqlite:///var/")
