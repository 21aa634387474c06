"""Start the real bot as a subprocess against a running `DiscordEmulator`, and stop it after."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import discord.http
import yarl
from discord.gateway import DiscordWebSocket

from tests.emulator.emulator import DiscordEmulator, EmulatorTimeoutError

REPO_ROOT = Path(__file__).resolve().parents[2]
BOT_COMMAND = (sys.executable, "-m", "bot", "--config", "{config}", "run")
"""The bot's command line; `{config}` becomes the path of the written config file."""
SERVE_COMMAND = (*BOT_COMMAND[:-1], "serve", "--host", "127.0.0.1", "--port", "0")
"""The HTTP endpoint's command line (`running_bot(..., http=True)`), on a free port."""
ENDPOINT_LINE = re.compile(
    r"answering interactions at (http://\S+)/interactions|======== Running on (http://\S+) ="
)
"""The log line that tells where `guidebot serve`, or `python -m aiohttp.web`, listens."""
STUB_COMMAND = (sys.executable, "-m", "tests.emulator.stub_bot", "--config", "{config}")
"""The stand-in bot of `tests/emulator/stub_bot.py`, which honours the same contract."""
_OUR_ENV = ("DISCORD_TOKEN", "GUIDEBOT_API_BASE", "DISCORD_PUBLIC_KEY")


class BotExitedError(AssertionError):
    """The bot process ended while a test expected it to run."""


@dataclass(slots=True)
class BotProcess:
    """A running bot: its process, its config and its combined stdout/stderr log."""

    process: asyncio.subprocess.Process
    config_path: Path
    log_path: Path

    @property
    def returncode(self) -> int | None:
        """The exit status, once it has exited (negative: killed by that signal)."""
        return self.process.returncode

    def log(self) -> str:
        """Return everything the bot has printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


NO_COOLDOWN = {"cooldown_seconds": 0}
"""`[answers]` settings under which the same answer can be asked for again at once."""


def default_config(
    emu: DiscordEmulator,
    *,
    guide_path: Path | None = None,
    level: str = "INFO",
    **sections: Mapping[str, object],
) -> str:
    """Return a config.toml for the bot: the emulator's guild as dev guild, logging at `level`.

    Args:
        emu: the emulator the bot talks to.
        guide_path: the guide to serve (`[guide] path`); default: the bundled one.
        level: the log level.
        **sections: more settings by table, e.g. `answers=NO_COOLDOWN`, `guide={"watch": True}`.
    """
    tables: dict[str, dict[str, object]] = {
        "discord": {"dev_guild_id": int(emu.guild_id)},
        "guide": {} if guide_path is None else {"path": str(guide_path)},
        "logging": {"level": level},
    }
    for table, settings in sections.items():
        tables.setdefault(table, {}).update(settings)
    lines: list[str] = []
    for table, settings in tables.items():
        if settings:
            lines += [f"[{table}]", *(f"{key} = {_toml(value)}" for key, value in settings.items())]
            lines.append("")
    return "\n".join(lines)


def bot_config(
    emu: DiscordEmulator,
    guide_path: Path | None = None,
    *,
    answers: Mapping[str, object] | None = None,
    **sections: Mapping[str, object],
) -> str:
    """Return `default_config` with the answer cooldown off, so a test may ask the same twice.

    Args:
        emu: the emulator the bot talks to.
        guide_path: the guide to serve; default: the bundled one.
        answers: more `[answers]` settings (they win over the cooldown's).
        **sections: more settings by table, as for `default_config`.
    """
    answers = {**NO_COOLDOWN, **(answers or {})}
    return default_config(emu, guide_path=guide_path, answers=answers, **sections)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    return str(value)


@contextlib.asynccontextmanager
async def running_bot(
    emu: DiscordEmulator,
    *,
    guide_path: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    config_text: str | None = None,
    command: Sequence[str] | None = None,
    http: bool = False,
    workdir: Path | None = None,
    synced: bool = True,
    shards: Sequence[int] = (),
    ready_timeout: float = 30.0,
    stop_timeout: float = 10.0,
) -> AsyncIterator[BotProcess]:
    """Start the bot against `emu`, wait until it is READY, and stop it on exit.

    The bot gets `DISCORD_TOKEN` (the emulator's fake token), `GUIDEBOT_API_BASE`,
    `DISCORD_PUBLIC_KEY` (the emulator's) and `PYTHONUNBUFFERED=1`; its stdout and stderr go to
    `bot.log` in `workdir`. On exit it gets SIGTERM, then SIGKILL after `stop_timeout`. If its
    log holds the token, that is recorded as a violation.

    With `http`, it runs `guidebot serve` instead, and is ready once its endpoint answers a
    signed PING; the emulator then delivers interactions to it (`emu.use_endpoint`).

    Args:
        emu: a started emulator.
        guide_path: the guide file for `[guide] path` (default: the bot's own default).
        extra_env: more environment variables (override the above).
        config_text: the whole config.toml instead of `default_config(emu, guide_path=...)`.
        command: the command line; `{config}` is replaced by the config file's path
            (default: `SERVE_COMMAND` with `http`, otherwise `BOT_COMMAND`).
        http: run the HTTP interactions endpoint rather than the gateway bot.
        workdir: where to write config.toml and bot.log (default: a temporary directory).
        synced: also wait for the bot to sync its commands.
        shards: wait for a READY on each of these shards (default: one READY).
        ready_timeout: seconds to wait for READY (and the sync).
        stop_timeout: seconds between SIGTERM and SIGKILL.

    Raises:
        BotExitedError: the bot exited before it was ready.
        EmulatorTimeoutError: it did not become ready in time.
    """
    with _workdir(workdir) as directory:
        config_path = directory / "config.toml"
        config_path.write_text(
            config_text if config_text is not None else default_config(emu, guide_path=guide_path),
            encoding="utf-8",
        )
        log_path = directory / "bot.log"
        env = {key: value for key, value in os.environ.items() if key not in _OUR_ENV}
        env.update(
            DISCORD_TOKEN=emu.token,
            GUIDEBOT_API_BASE=emu.api_base,
            DISCORD_PUBLIC_KEY=emu.public_key,
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env or {})
        command = command or (SERVE_COMMAND if http else BOT_COMMAND)
        argv = [part.replace("{config}", str(config_path)) for part in command]
        mark = emu.ready_mark()
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=REPO_ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
            )
        bot = BotProcess(process=process, config_path=config_path, log_path=log_path)
        try:
            ready = (
                _endpoint_ready(emu, bot, ready_timeout, synced=synced, since=mark)
                if http
                else emu.wait_ready(ready_timeout, synced=synced, shards=shards, since=mark)
            )
            await _wait_ready(bot, ready)
            yield bot
        finally:
            await stop_bot(bot, timeout=stop_timeout)
            if emu.token in bot.log():
                emu.violate("policy", f"the bot's log contains its token ({log_path})")


Scenario = Callable[[DiscordEmulator, BotProcess], Awaitable[None]]
"""What an end-to-end test does with the started emulator and the running bot."""


def run_scenario(emu: DiscordEmulator, scenario: Scenario, **options: Any) -> BotProcess:
    """Start `emu` and the bot, run `scenario(emu, bot)`, then stop both; return the bot.

    Args:
        emu: an emulator, not yet started.
        scenario: the test's steps and assertions while both run.
        **options: for `running_bot` (config_text, guide_path, workdir, http...).
    """

    async def main() -> BotProcess:
        async with emu, running_bot(emu, **options) as bot:
            await scenario(emu, bot)
        return bot

    return asyncio.run(main())


async def _endpoint_ready(
    emu: DiscordEmulator,
    bot: BotProcess,
    timeout: float,
    *,
    synced: bool,
    since: tuple[int, int],
) -> None:
    """Wait until `guidebot serve` says where it listens and PING it as Discord would."""
    found = await emu.wait_until(
        lambda: ENDPOINT_LINE.search(bot.log()), timeout=timeout, what="the endpoint's address"
    )
    answer = await emu.use_endpoint(f"{found.group(1) or found.group(2)}/interactions").ping()
    assert (answer.status, answer.json()) == (200, {"type": 1}), answer
    if synced:
        syncs = since[1]
        await emu.wait_until(
            lambda: len(emu.command_syncs) > syncs, timeout=timeout, what="a command sync"
        )


async def _wait_ready(bot: BotProcess, wait: Awaitable[None]) -> None:
    ready = asyncio.ensure_future(wait)
    exited = asyncio.ensure_future(bot.process.wait())
    try:
        await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (ready, exited):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    if ready.done() and not ready.cancelled() and ready.exception() is None:
        return
    if exited.done() and not exited.cancelled():
        raise BotExitedError(
            f"the bot exited with {bot.returncode} before it was ready; its log:\n{bot.log()}"
        )
    error = ready.exception()
    if isinstance(error, EmulatorTimeoutError):
        raise EmulatorTimeoutError(f"{error}\nthe bot's log:\n{bot.log()}") from None
    raise error  # type: ignore[misc]


async def stop_bot(bot: BotProcess, *, timeout: float = 10.0) -> int:
    """Send SIGTERM, wait up to `timeout`, then SIGKILL; return the exit status."""
    process = bot.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


@contextlib.contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="guidebot-e2e-") as directory:
        yield Path(directory)


async def run_to_exit(
    emu: DiscordEmulator,
    *args: str,
    token: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` against `emu` until it exits; return status, stdout, stderr.

    For commands that end by themselves (`sync`, or `run` refusing to start). The token is the
    emulator's unless `token` gives another; `extra_env` adds or overrides variables.
    """
    env = {key: value for key, value in os.environ.items() if key not in _OUR_ENV}
    env.update(DISCORD_TOKEN=token or emu.token, GUIDEBOT_API_BASE=emu.api_base)
    env.update(extra_env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=REPO_ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(timeout):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@contextlib.asynccontextmanager
async def client_in_process(emu: DiscordEmulator, client: discord.Client) -> AsyncIterator[None]:
    """Run a discord.py `client` in the test process against a started `emu` until READY.

    The client is closed when the block ends.
    """
    with discord_py_pointed_at(emu):
        running = asyncio.create_task(client.start(emu.token))
        ready = asyncio.create_task(emu.wait_ready(10, synced=True))
        await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
        if running.done():
            ready.cancel()
            running.result()
            raise BotExitedError("the client stopped before it was ready")
        ready.result()
        try:
            yield
        finally:
            await client.close()
            with contextlib.suppress(discord.ConnectionClosed):
                await running


@contextlib.contextmanager
def discord_py_pointed_at(emu: DiscordEmulator) -> Iterator[None]:
    """Point an in-process discord.py at `emu` (REST base and gateway) and restore it after.

    For tests that run a `discord.Client` in the test process instead of the bot subprocess.
    """
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = emu.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
