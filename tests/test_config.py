from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_config_example_parses():
    config = load_config(REPO_ROOT / "config.example.toml", {})
    assert config.token == ""
    assert config.dev_guild_id is None
    assert config.guide_path == REPO_ROOT / "data" / "guide.yaml"


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
        "c.toml: [discord] dev_guild_id must be a server ID (a whole number)",
        "c.toml: unknown section [guid] (did you mean 'guide'?)",
        "c.toml: [logging] level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    )


def test_config_rejects_a_bool_where_a_number_is_wanted():
    with pytest.raises(ConfigError, match="cooldown_seconds must be a number"):
        parse_config({"answers": {"cooldown_seconds": True}}, {}, source=None)


def test_config_guide_path_is_relative_to_the_config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[guide]\npath = "my/guide.yaml"\n')
    assert load_config(path, {}).guide_path == tmp_path / "my" / "guide.yaml"


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
