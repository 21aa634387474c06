"""Settings: a TOML file for what moderators choose, the environment for the token."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.guide import DEFAULT_GUIDE_PATH

TOKEN_ENV = "DISCORD_TOKEN"  # noqa: S105 - the variable's name, not a secret
"""Environment variable that holds the bot token; it wins over the file's token."""
API_BASE_ENV = "GUIDEBOT_API_BASE"
"""Environment variable that points the bot at another Discord API base (the test emulator)."""
WALKTHROUGH_TIMEOUT_MAX_SECONDS = 840
"""The walkthrough is disabled through its interaction token, which Discord honours for 15 min."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """The configuration cannot be used; `problems` says every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything the bot reads at start-up, validated."""

    token: str = field(default="", repr=False)
    """Never shown in a repr or a log line."""
    dev_guild_id: int | None = None
    """A server to sync commands to on every start, for testing; None syncs nowhere."""
    guide_path: Path = DEFAULT_GUIDE_PATH
    watch_guide: bool = False
    """Reload the guide when its file changes on disk."""
    watch_interval_seconds: float = 2.0
    cooldown_seconds: float = 30.0
    """How long the same public answer in one channel points back to the first one; 0 disables."""
    walkthrough_timeout_seconds: float = 600.0
    log_level: str = "INFO"
    token_in_file: bool = False
    """The token was read from the config file rather than the environment."""
    api_base: str | None = None
    source: Path | None = None
    """The file the settings came from, None when built from defaults."""


# (section, key) -> (Config field, accepted types, description for error messages)
_KEYS: dict[tuple[str, str], tuple[str, tuple[type, ...], str]] = {
    ("discord", "token"): ("token", (str,), "a string"),
    ("discord", "dev_guild_id"): ("dev_guild_id", (int,), "a server ID (a whole number)"),
    ("guide", "path"): ("guide_path", (str,), "a file path"),
    ("guide", "watch"): ("watch_guide", (bool,), "true or false"),
    ("guide", "watch_interval_seconds"): ("watch_interval_seconds", (int, float), "a number"),
    ("answers", "cooldown_seconds"): ("cooldown_seconds", (int, float), "a number"),
    ("answers", "walkthrough_timeout_seconds"): (
        "walkthrough_timeout_seconds",
        (int, float),
        "a number",
    ),
    ("logging", "level"): ("log_level", (str,), "a log level name"),
}
_SECTIONS = sorted({section for section, _ in _KEYS})


def load_config(path: Path | None, environ: Mapping[str, str]) -> Config:
    """Read settings from `path` (None: defaults only) and the environment.

    Raises:
        ConfigError: the file is missing, not TOML, or holds unknown keys or wrong types.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([f"{path}: no such config file"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([f"{path}: cannot read it: {exc}"]) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    return parse_config(raw, environ, source=path)


def parse_config(
    raw: Mapping[str, Any], environ: Mapping[str, str], *, source: Path | None
) -> Config:
    """Validate settings already read from TOML, then apply the environment.

    Raises:
        ConfigError: with every problem found, one line each.
    """
    where = f"{source}: " if source else ""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for section, table in raw.items():
        if section not in _SECTIONS:
            problems.append(
                f"{where}unknown section [{section}]{_did_you_mean(section, _SECTIONS)}"
            )
            continue
        if not isinstance(table, dict):
            problems.append(f"{where}[{section}] must be a table")
            continue
        known = [key for sec, key in _KEYS if sec == section]
        for key, value in table.items():
            spec = _KEYS.get((section, key))
            if spec is None:
                hint = _did_you_mean(key, known)
                problems.append(f"{where}[{section}] unknown key '{key}'{hint}")
                continue
            name, types, wanted = spec
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                problems.append(f"{where}[{section}] {key} must be {wanted}")
                continue
            values[name] = value
    problems.extend(_check_values(values, where))
    if problems:
        raise ConfigError(problems)

    if "guide_path" in values:
        guide_path = Path(values["guide_path"]).expanduser()
        if not guide_path.is_absolute() and source is not None:
            guide_path = source.parent / guide_path
        values["guide_path"] = guide_path
    if "dev_guild_id" in values and values["dev_guild_id"] == 0:
        values["dev_guild_id"] = None
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    env_token = environ.get(TOKEN_ENV, "").strip()
    file_token = values.pop("token", "").strip()
    return Config(
        **values,
        token=env_token or file_token,
        token_in_file=bool(file_token) and not env_token,
        api_base=environ.get(API_BASE_ENV) or None,
        source=source,
    )


def _check_values(values: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    if values.get("dev_guild_id", 0) < 0:
        problems.append(f"{where}[discord] dev_guild_id must not be negative")
    for name in ("watch_interval_seconds", "cooldown_seconds"):
        if values.get(name, 0) < 0:
            problems.append(f"{where}{name} must not be negative")
    timeout = values.get("walkthrough_timeout_seconds", 1)
    if not 0 < timeout <= WALKTHROUGH_TIMEOUT_MAX_SECONDS:
        problems.append(
            f"{where}walkthrough_timeout_seconds must be more than 0 and at most "
            f"{WALKTHROUGH_TIMEOUT_MAX_SECONDS} (Discord lets a bot edit a reply for 15 minutes)"
        )
    if values.get("watch_interval_seconds", 1) == 0:
        problems.append(f"{where}watch_interval_seconds must be more than 0")
    level = values.get("log_level", "INFO")
    if level.upper() not in LOG_LEVELS:
        problems.append(f"{where}[logging] level must be one of {', '.join(LOG_LEVELS)}")
    return problems


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return (
        f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(options)})"
    )
