"""Settings: a TOML file for what moderators choose, the environment for what containers set.

Every setting is a field of `Config` declared with `setting(section, key, ...)`; the TOML keys, the
`GUIDEBOT_<SECTION>_<KEY>` environment variables, their types and their checks all derive from those
fields, so a new key is one line here (and one entry in config.example.toml).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.guide import DEFAULT_GUIDE_PATH
from bot.insight import DEFAULT_INSIGHT_URL, SQLITE_PREFIX
from bot.validation import closest

TOKEN_ENV = "DISCORD_TOKEN"  # noqa: S105 - the variable's name, not a secret
"""Environment variable that holds the bot token; it wins over the file's token."""
PUBLIC_KEY_ENV = "DISCORD_PUBLIC_KEY"
"""Environment variable that holds the application's public key; it wins over `[http]`."""
API_BASE_ENV = "GUIDEBOT_API_BASE"
"""Environment variable that points the bot at another Discord API base (the test emulator)."""
ENV_PREFIX = "GUIDEBOT_"
"""Every key can also be set as GUIDEBOT_<SECTION>_<KEY>, which wins over the file."""
WALKTHROUGH_TIMEOUT_MAX_SECONDS = 840
"""The walkthrough is disabled through its interaction token, which Discord honours for 15 min."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
PORT_MAX = 65535
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")

Check = Callable[[Any], Any]
"""Takes a value of the key's type; returns it (perhaps normalized) or raises ValueError(reason)."""


class ConfigError(ValueError):
    """The configuration cannot be used; `problems` says every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def setting(section: str, key: str, default: Any, *, check: Check | None = None, **kw: Any) -> Any:
    """Declare a `Config` field that is the key `[section] key` in the file.

    Args:
        section: the TOML table, lowercase without underscores.
        key: the key in that table.
        default: the value when neither the file nor the environment sets it.
        check: validates and normalizes a value of the right type (see `Check`).
        **kw: passed on to `dataclasses.field` (e.g. `repr=False`).
    """
    return field(default=default, metadata={"key": (section, key), "check": check}, **kw)


def at_least(low: float) -> Check:
    """A check that refuses numbers below `low`."""

    def check(value: float) -> float:
        if value < low:
            raise ValueError(f"must be at least {low}" if low else "must not be negative")
        return value

    return check


def port(value: int) -> int:
    """A TCP port number; 0 means off."""
    if not 0 <= value <= PORT_MAX:
        raise ValueError(f"must be a port number from 0 to {PORT_MAX} (0 turns it off)")
    return value


def _listen_port(value: int) -> int:
    if not 0 <= value <= PORT_MAX:
        raise ValueError(f"must be a port number from 0 to {PORT_MAX} (0: any free port)")
    return value


def one_of(*choices: str) -> Check:
    """A check that accepts the given words, in any case, and returns the one in `choices`."""

    def check(value: str) -> str:
        for choice in choices:
            if value.casefold() == choice.casefold():
                return choice
        raise ValueError(f"must be one of {', '.join(choices)}")

    return check


def url_scheme(*schemes: str, empty: bool = False) -> Check:
    """A check for a URL whose scheme is one of `schemes` (and "" when `empty` allows it)."""

    def check(value: str) -> str:
        if not value and empty:
            return value
        scheme = urlsplit(value).scheme if "://" in value else ""
        if scheme not in schemes:
            off = ", or empty to turn it off" if empty else ""
            wanted = ", ".join(f"{s}://..." for s in schemes)
            raise ValueError(f"must be a URL starting with {wanted}{off}; got scheme {scheme!r}")
        return value

    return check


def _insight_url(value: str) -> str:
    value = url_scheme("sqlite", "postgresql", "postgres", empty=True)(value)
    if value.startswith("sqlite:") and (
        not value.startswith(SQLITE_PREFIX) or value == SQLITE_PREFIX
    ):
        raise ValueError(
            "must be sqlite:///PATH (relative to the config file; sqlite:////PATH for an absolute "
            "one)"
        )
    return value


def _walkthrough_timeout(value: float) -> float:
    if not 0 < value <= WALKTHROUGH_TIMEOUT_MAX_SECONDS:
        raise ValueError(
            f"must be more than 0 and at most {WALKTHROUGH_TIMEOUT_MAX_SECONDS} "
            "(Discord lets a bot edit a reply for 15 minutes)"
        )
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be more than 0")
    return value


def _shard_count(value: int) -> int | None:
    if value < 0:
        raise ValueError("must not be negative (0: as many as Discord recommends)")
    return value or None


def check_shard_ids(value: tuple[int, ...]) -> tuple[int, ...]:
    """Return shard IDs sorted; raises ValueError(reason) for a negative or repeated one."""
    if any(shard < 0 for shard in value):
        raise ValueError("must not be negative: shards are numbered from 0")
    repeated = sorted({shard for shard in value if value.count(shard) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(map(str, repeated))} more than once")
    return tuple(sorted(value))


def sharding_problem(
    shard_count: int | None,
    shard_ids: tuple[int, ...],
    *,
    names: tuple[str, str] = ("[sharding] shard_count", "[sharding] shard_ids"),
) -> str | None:
    """Say what is wrong with serving `shard_ids` of `shard_count` shards; None when it works.

    No ids means every shard; ids need the count (Discord's `[id, count]`), and each id must be
    below it. `names` says where the count and the ids came from, for the message.
    """
    count_name, ids_name = names
    if not shard_ids:
        return None
    if shard_count is None:
        return (
            f"{ids_name} needs {count_name}: how many shards the application has in all, "
            "across every process"
        )
    too_big = [shard for shard in shard_ids if shard >= shard_count]
    if too_big:
        return (
            f"{ids_name} {', '.join(map(str, too_big))} not below {count_name} {shard_count}: "
            f"the shards are numbered 0 to {shard_count - 1}"
        )
    return None


def _server_id(value: int) -> int | None:
    if value < 0:
        raise ValueError("must not be negative")
    return value or None


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything the bot reads at start-up, validated."""

    token: str = setting("discord", "token", "", repr=False)
    """Never shown in a repr or a log line."""
    dev_guild_id: int | None = setting("discord", "dev_guild_id", None, check=_server_id)
    """A server to sync commands to on every start, for testing; None (0) syncs nowhere."""
    guide_path: Path = setting("guide", "path", DEFAULT_GUIDE_PATH)
    watch_guide: bool = setting("guide", "watch", False)
    """Reload the guide when its file changes on disk."""
    watch_interval_seconds: float = setting("guide", "watch_interval_seconds", 2.0, check=_positive)
    cooldown_seconds: float = setting("answers", "cooldown_seconds", 30.0, check=at_least(0))
    """How long the same public answer in one channel points back to the first one; 0 disables."""
    walkthrough_timeout_seconds: float = setting(
        "answers", "walkthrough_timeout_seconds", 600.0, check=_walkthrough_timeout
    )
    shard_count: int | None = setting("sharding", "shard_count", None, check=_shard_count)
    """How many shards the application has in all; None (0): as many as Discord recommends."""
    shard_ids: tuple[int, ...] = setting("sharding", "shard_ids", (), check=check_shard_ids)
    """The shards this process serves, sorted; empty: all of them."""
    redis_url: str = setting(
        "cooldown", "redis_url", "", check=url_scheme("redis", "rediss", "unix", empty=True)
    )
    """Share the answer cooldown between processes through this Redis; empty: per process."""
    redis_key_prefix: str = setting("cooldown", "key_prefix", "guidebot:cooldown:")
    """The start of the cooldown's Redis keys: bots sharing one Redis each take their own."""
    metrics_port: int = setting("metrics", "port", 0, check=port)
    """Serve /metrics and /healthz on this port; 0 serves nothing."""
    metrics_host: str = setting("metrics", "host", "127.0.0.1")
    http_public_key: str = setting("http", "public_key", "")
    """The application's public key, for `guidebot serve`; DISCORD_PUBLIC_KEY wins over it."""
    http_host: str = setting("http", "host", "127.0.0.1")
    http_port: int = setting("http", "port", 8080, check=_listen_port)
    """Where `guidebot serve` listens; 0 takes any free port (the log says which)."""
    insight_url: str = setting("insight", "url", DEFAULT_INSIGHT_URL, check=_insight_url)
    """Where lookups are recorded: sqlite:///PATH, postgresql://...; "" records nothing."""
    insight_retention_days: int = setting("insight", "retention_days", 90, check=at_least(0))
    """Recorded lookups older than this are deleted; 0 keeps them all."""
    log_level: str = setting("logging", "level", "INFO", check=one_of(*LOG_LEVELS))
    log_format: str = setting("logging", "format", "text", check=one_of(*LOG_FORMATS))
    """"text" for people, "json" for one JSON object per line."""
    token_in_file: bool = False
    """The token was read from the config file rather than the environment."""
    api_base: str | None = None
    source: Path | None = None
    """The file the settings came from, None when built from defaults."""

    @property
    def guide_shown_as(self) -> str:
        """Return the guide's path as replies show it: relative to the config file, or its name.

        A reply never shows the server's own directories.
        """
        if self.source is not None:
            try:
                shown = self.guide_path.absolute().relative_to(self.source.absolute().parent)
            except ValueError:
                pass
            else:
                return shown.as_posix()
        return self.guide_path.name


@dataclass(frozen=True, slots=True)
class Key:
    """One config key, derived from its `Config` field."""

    section: str
    name: str
    field: str
    kind: type
    """bool, int, float, str or tuple (of ints): what the file must hold, and what the environment
    is parsed as (a tuple from comma-separated numbers)."""
    check: Check | None

    @property
    def env(self) -> str:
        """The environment variable that sets this key, e.g. GUIDEBOT_METRICS_PORT."""
        return f"{ENV_PREFIX}{self.section}_{self.name}".upper()

    @property
    def wanted(self) -> str:
        """What a value must look like, for error messages."""
        return _WANTED[self.kind]


_WANTED = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "a string",
    tuple: "a list of whole numbers",
}


@cache
def keys() -> tuple[Key, ...]:
    """Every config key, in the order `Config` declares them."""
    hints = typing.get_type_hints(Config)
    return tuple(
        Key(
            f.metadata["key"][0],
            f.metadata["key"][1],
            f.name,
            _kind(hints[f.name]),
            f.metadata["check"],
        )
        for f in dataclasses.fields(Config)
        if "key" in f.metadata
    )


def _kind(hint: Any) -> type:
    if isinstance(hint, types.UnionType):  # `int | None`: the file holds the int
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is tuple:  # `tuple[int, ...]`: a TOML array of whole numbers
        return tuple
    return str if hint is Path else typing.cast(type, hint)


def sections() -> list[str]:
    """Every config section name, sorted."""
    return sorted({key.section for key in keys()})


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
    """Validate settings already read from TOML, then let the environment override them.

    Each problem is one line that names the key and where its value came from: the file, or
    the environment variable.

    Raises:
        ConfigError: with every problem found, one line each.
    """
    where = f"{source}: " if source else ""
    problems: list[str] = []
    from_file: dict[Key, Any] = {}
    by_section = {s: {k.name: k for k in keys() if k.section == s} for s in sections()}
    for section, table in raw.items():
        if section not in by_section:
            problems.append(
                f"{where}unknown section [{section}]{_did_you_mean(section, sections())}"
            )
        elif not isinstance(table, dict):
            problems.append(f"{where}[{section}] must be a table")
        else:
            for name, value in table.items():
                key = by_section[section].get(name)
                if key is None:
                    hint = _did_you_mean(name, list(by_section[section]))
                    problems.append(f"{where}[{section}] unknown key '{name}'{hint}")
                else:
                    from_file[key] = value
    from_env = {key: _from_env(key, environ[key.env]) for key in keys() if key.env in environ}
    problems.extend(_unknown_env(environ))

    values: dict[str, Any] = {}
    for key, value in (from_file | from_env).items():
        try:
            values[key.field] = _validate(key, value)
        except ValueError as reason:
            origin = f"{key.env}: " if key in from_env else where
            problems.append(f"{origin}[{key.section}] {key.name} {reason}")
    if not problems:
        sharding = sharding_problem(values.get("shard_count"), values.get("shard_ids", ()))
        problems += [f"{where}{sharding}"] if sharding else []
    if problems:
        raise ConfigError(problems)

    from_env_fields = {key.field for key in from_env}
    if values.get("guide_path") == "":
        values["guide_path"] = DEFAULT_GUIDE_PATH  # an empty path is the bundled guide
    elif "guide_path" in values:
        guide_path = Path(values["guide_path"]).expanduser()
        if not guide_path.is_absolute() and source and "guide_path" not in from_env_fields:
            guide_path = source.parent / guide_path  # the file's paths are relative to it
        values["guide_path"] = guide_path
    if source and "insight_url" not in from_env_fields:
        values["insight_url"] = _beside(source, values.get("insight_url", DEFAULT_INSIGHT_URL))
    public_key = environ.get(PUBLIC_KEY_ENV, "").strip() or values.get("http_public_key", "")
    values["http_public_key"] = public_key
    env_token = environ.get(TOKEN_ENV, "").strip()
    setting_token = values.pop("token", "").strip()
    token = env_token or setting_token
    return Config(
        **values,
        token=token,
        token_in_file=bool(token) and not env_token and "token" not in from_env_fields,
        api_base=environ.get(API_BASE_ENV) or None,
        source=source,
    )


def _beside(source: Path, url: str) -> str:
    """Return a SQLite URL with a relative path made relative to the config file `source`."""
    if not url.startswith(SQLITE_PREFIX):
        return url
    path = Path(url.removeprefix(SQLITE_PREFIX)).expanduser()
    return url if path.is_absolute() else SQLITE_PREFIX + str(source.parent / path)


def _unknown_env(environ: Mapping[str, str]) -> list[str]:
    """Name the GUIDEBOT_<SECTION>_* variables of a known section that set no key: typos."""
    problems = []
    known = {key.env for key in keys()}
    for section in sections():
        prefix = f"{ENV_PREFIX}{section.upper()}_"
        names = [key.env for key in keys() if key.section == section]
        for variable in sorted(environ):
            if variable.startswith(prefix) and variable not in known:
                hint = _did_you_mean(variable, names)
                problems.append(f"{variable}: no such key in [{section}]{hint}")
    return problems


def _from_env(key: Key, text: str) -> Any:
    """Parse an environment variable's text as the key's type; leave it as text if it is not."""
    try:
        if key.kind is bool:
            word = text.strip().casefold()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
        elif key.kind is int:
            return int(text.strip())
        elif key.kind is float:
            number = float(text.strip())
            if math.isfinite(number):
                return number
        elif key.kind is tuple:
            return tuple(int(part) for part in text.split(",") if part.strip())
        else:
            return text
    except ValueError:
        pass
    return text  # _validate reports a str where a bool or number is wanted


def _validate(key: Key, value: Any) -> Any:
    if key.kind is tuple:
        value = tuple(value) if isinstance(value, list | tuple) else None
        wrong = value is None or not all(_is_a(int, item) for item in value)
    else:
        wrong = not _is_a(key.kind, value)
    if wrong:
        raise ValueError(f"must be {key.wanted}")
    return key.check(value) if key.check else value


def _is_a(kind: type, value: Any) -> bool:
    # A float key takes whole numbers too; only a bool key takes a bool.
    wanted_types: tuple[type, ...] = (int, float) if kind is float else (kind,)
    return isinstance(value, wanted_types) and (kind is bool or not isinstance(value, bool))


def _did_you_mean(word: str, options: list[str]) -> str:
    close = closest(word, options)
    return f" (did you mean '{close}'?)" if close else f" (expected one of: {', '.join(options)})"
