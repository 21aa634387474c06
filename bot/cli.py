"""`guidebot`: run the bot, sync its commands, check the guide, or ask it offline."""

from __future__ import annotations

import gc

# What the imports below make (about 55,000 objects the collector tracks: discord.py's classes,
# functions and enums, ours) lives as long as the process, so the collector's frequent passes
# during them free next to little. Run 30 times less often there, it takes 10-15 ms less of
# start-up's CPU (bench/README.md); switched off instead, 15-25 ms, but then the imports'
# garbage piles up and the bot keeps 0.25 MiB more. Its usual thresholds are back once the
# imports are done, for every command.
_thresholds = gc.get_threshold()
gc.set_threshold(20_000, 50, 50)
try:
    import argparse
    import asyncio
    import contextlib
    import dataclasses
    import json
    import logging
    import os
    import signal
    import stat
    import sys
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path
    from typing import TYPE_CHECKING

    import discord
    from discord import app_commands

    from bot import insight, replies
    from bot.apart import load_snapshot_apart
    from bot.bot import EXTENSIONS, GuideBot
    from bot.config import (
        PUBLIC_KEY_ENV,
        TOKEN_ENV,
        Config,
        ConfigError,
        check_shard_ids,
        load_config,
        port,
        sharding_problem,
    )
    from bot.guide import GuideError, load_guide
    from bot.insight_store import InsightError, InsightStore, open_store
    from bot.logs import setup_logging
    from bot.metrics import serving
    from bot.store import GuideStore, Snapshot
finally:
    gc.set_threshold(*_thresholds)

if TYPE_CHECKING:
    from aiohttp import web

    from bot.console import Invocation, OptionSpec

log = logging.getLogger(__name__)

# Exit codes, each with one meaning (the README lists them).
EXIT_OK = 0
EXIT_FAILURE = 1
"""A problem in the config or the guide, a rejected token, or a guide `check` refuses."""
EXIT_USAGE = 2
"""A command line or a typed command that cannot be read (argparse's own code too)."""
EXIT_NOT_FOUND = 3
"""`ask` answered "not in the guide", as a script may want to tell apart from a failure."""
DEFAULT_CONFIG = Path("config.toml")
OFFLINE_USER_ID = 0
"""Who "asks" offline; it only shows in custom_ids, which nobody clicks."""
DEMO_COMMAND = "/framework djagno"
TOKEN_REJECTED = f"Discord rejected the token: check {TOKEN_ENV} (it may have been reset)"
GATEWAY_AUTHENTICATION_FAILED = 4004


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", _default)
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except ConfigError as error:
        for problem in error.problems:
            _fail(f"config problem: {problem}")
        return EXIT_FAILURE
    except GuideError as error:
        _fail(f"the guide has problems:\n{error}")
        return EXIT_FAILURE


class _Version(argparse.Action):
    """`--version`: looks the version up only when asked, not on every start."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        from importlib.metadata import version  # 30 ms at every start when imported above

        print(f"guidebot {version('guidebot')}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guidebot",
        description="A Discord bot that answers learners from a YAML guide. With no command: "
        "run the bot when a token is configured, otherwise answer commands offline.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml if any)")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(metavar="command")

    run = sub.add_parser("run", help="connect to Discord and answer commands")
    run.add_argument(
        "--metrics-port",
        type=_port,
        metavar="N",
        help="serve /metrics and /healthz on port N (0: off); wins over [metrics] port",
    )
    run.add_argument(
        "--shard-count",
        type=_shard_count,
        metavar="N",
        help="the application has N gateway shards in all; wins over [sharding] shard_count",
    )
    run.add_argument(
        "--shard-ids",
        type=_shard_ids,
        metavar="0,1",
        help="serve only these shards (needs the count); wins over [sharding] shard_ids",
    )
    run.set_defaults(handler=_run)

    serve = sub.add_parser(
        "serve", help="answer Discord's interactions as an HTTP endpoint, with no gateway"
    )
    serve.add_argument("--host", help="address to listen on; wins over [http] host")
    serve.add_argument("--port", type=_port, help="port (0: any free one); wins over [http] port")
    serve.set_defaults(handler=_serve_http)

    sync = sub.add_parser("sync", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="register in this server only (instant, for tests)")
    sync.set_defaults(handler=_sync)

    check = sub.add_parser("check", help="validate a guide file and report every problem")
    check.add_argument("path", nargs="?", type=Path, help="guide file (default: the configured)")
    check.add_argument("--guide", type=Path, help="guide file, as ask and complete take it")
    check.add_argument(
        "--strict", action="store_true", help="treat warnings (harmless untidiness) as errors"
    )
    check.set_defaults(handler=_check)

    for name, what in (("ask", "answer"), ("complete", "autocomplete choices")):
        command = sub.add_parser(name, help=f"print the bot's {what} for a command, offline")
        command.add_argument("text", help='the command as typed in Discord, e.g. "/framework dj"')
        command.add_argument("--guide", type=Path, help="guide file (default: the configured)")
        command.add_argument(
            "--json", action="store_true", help="print the interaction callback body Discord gets"
        )
        command.set_defaults(handler=_ask if name == "ask" else _complete)

    gaps = sub.add_parser("gaps", help="show what learners looked for and the guide did not answer")
    gaps.add_argument(
        "--days",
        type=_whole(1, insight.MAX_DAYS),
        default=insight.DEFAULT_DAYS,
        help=f"look back this many days (default: {insight.DEFAULT_DAYS})",
    )
    gaps.add_argument("--guild", type=int, help="only this server (default: every server)")
    gaps.add_argument(
        "--limit",
        type=_whole(1, None),
        default=insight.DEFAULT_LIMIT,
        help=f"rows in each list (default: {insight.DEFAULT_LIMIT})",
    )
    gaps.add_argument("--json", action="store_true", help="print the report as JSON")
    gaps.set_defaults(handler=_gaps)
    return parser


def _config(args: argparse.Namespace) -> Config:
    path = args.config
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    config = load_config(path, os.environ)
    flags = {
        name: getattr(args, name)
        for name in ("metrics_port", "shard_count", "shard_ids")
        if getattr(args, name, None) is not None
    }
    if not flags:
        return config
    config = dataclasses.replace(config, **flags)
    names = (
        "--shard-count" if "shard_count" in flags else "[sharding] shard_count",
        "--shard-ids" if "shard_ids" in flags else "[sharding] shard_ids",
    )
    problem = sharding_problem(config.shard_count, config.shard_ids, names=names)
    if problem:
        raise ConfigError([problem])
    return config


def _shard_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shard count (1 or more)")
    return count


def _shard_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not shard IDs such as 0,1") from None
    try:
        return check_shard_ids(ids)
    except ValueError as reason:
        raise argparse.ArgumentTypeError(f"{text!r} {reason}") from None


def _port(text: str) -> int:
    try:
        return port(int(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from error


def _whole(low: int, high: int | None) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if number < low or (high is not None and number > high):
            upto = f" to {high}" if high is not None else " or more"
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low}{upto}")
        return number

    return parse


def _gaps(args: argparse.Namespace) -> int:
    config = _config(args)
    if not config.insight_url:
        _fail("lookups are not recorded: [insight] url is empty (see config.example.toml)")
        return EXIT_FAILURE
    try:
        gaps = asyncio.run(_report(open_store(config.insight_url), args))
    except InsightError as error:
        _fail(f"cannot read the recorded lookups: {error}")
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(gaps.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    with contextlib.suppress(GuideError):  # a broken guide: the frameworks show by their keys
        gaps = gaps.named(load_guide(config.guide_path))
    print(insight.format_gaps(gaps, days=args.days, guild_id=args.guild))
    return EXIT_OK


async def _report(store: InsightStore, args: argparse.Namespace) -> insight.Gaps:
    try:
        return await store.report(days=args.days, guild_id=args.guild, limit=args.limit)
    finally:
        await store.close()


def _guide_path(args: argparse.Namespace) -> Path:
    return getattr(args, "guide", None) or getattr(args, "path", None) or _config(args).guide_path


def _check(args: argparse.Namespace) -> int:
    path = _guide_path(args)
    try:
        guide = load_guide(path)
    except GuideError as error:
        print(error)
        print(f"{path}: {_count(len(error.problems), 'problem')}", file=sys.stderr)
        return EXIT_FAILURE
    for warning in guide.warnings:
        print(warning)
    if args.strict and guide.warnings:
        print(f"{path}: {_count(len(guide.warnings), 'warning')} (--strict)", file=sys.stderr)
        return EXIT_FAILURE
    resources = sum(len(fw.resources) for fw in guide.frameworks)
    warned = f", {_count(len(guide.warnings), 'warning')}" if guide.warnings else ""
    frameworks = _count(len(guide.frameworks), "framework")
    languages = _count(len(guide.languages()), "language")
    print(f"{path}: ok: {frameworks} in {languages}, {_count(resources, 'resource')}{warned}")
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _ask(args: argparse.Namespace) -> int:
    return asyncio.run(_offline(args, complete=False))


def _complete(args: argparse.Namespace) -> int:
    return asyncio.run(_offline(args, complete=True))


async def _offline(args: argparse.Namespace, *, complete: bool) -> int:
    # Only `ask` and `complete` read typed commands: the bot itself never loads the console.
    from bot.console import UsageError, convert_options, parse_invocation, render_reply
    from bot.payload import callback_body

    store = GuideStore.open(_guide_path(args))
    specs = await command_specs(store)
    try:
        invocation = parse_invocation(args.text, specs)
        options = convert_options(invocation, specs[invocation.command]) if not complete else {}
    except UsageError as error:
        _fail(str(error))
        return EXIT_USAGE
    if complete:
        return _print_choices(store.current, invocation, specs, as_json=args.json)
    reply = replies.command_reply(store.current, invocation.command, options, asker=OFFLINE_USER_ID)
    body = json.dumps(callback_body(reply), ensure_ascii=False, indent=2)
    print(body if args.json else render_reply(reply))
    return EXIT_NOT_FOUND if reply.not_found else EXIT_OK


def _print_choices(
    snapshot: Snapshot,
    invocation: Invocation,
    specs: Mapping[str, Sequence[OptionSpec]],
    *,
    as_json: bool,
) -> int:
    options = specs[invocation.command]
    focused = invocation.last or (options[0].name if options else None)
    spec = next((option for option in options if option.name == focused), None)
    if spec is None or not spec.autocomplete:
        _fail(f"/{invocation.command} has no autocomplete for {focused or 'any option'}")
        return EXIT_USAGE
    choices = replies.choices(snapshot, invocation.values.get(spec.name, ""))
    if as_json:
        kind = discord.InteractionResponseType.autocomplete_result.value
        body = {"type": kind, "data": {"choices": [choice.to_dict() for choice in choices]}}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        from bot.console import render_choices  # see _offline

        print(render_choices(choices))
    return EXIT_OK


async def command_specs(store: GuideStore) -> dict[str, list[OptionSpec]]:
    """Return the options of each offline command, read from the bot's own command tree."""
    from bot.console import OptionSpec  # see _offline

    async with GuideBot(Config(guide_path=store.path), store) as bot:
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        commands = [c for c in bot.tree.get_commands() if isinstance(c, app_commands.Command)]
        return {
            command.name: [
                OptionSpec(
                    name=parameter.name,
                    kind=parameter.type,
                    required=parameter.required,
                    choices=tuple(str(choice.value) for choice in parameter.choices),
                    autocomplete=parameter.autocomplete,
                )
                for parameter in command.parameters
            ]
            for command in commands
            if command.name in replies.COMMANDS
        }


def _online(args: argparse.Namespace) -> tuple[Config, GuideStore] | None:
    """Read the config and the guide for a command that talks to Discord; None: no token."""
    config = _config(args)
    setup_logging(config)
    if not config.token:
        _fail(f"no Discord token: set {TOKEN_ENV} or [discord] token in config.toml (see README)")
        return None
    _warn_if_token_file_is_shared(config)
    # The imports' 55,000 objects live as long as the process. Frozen, they are skipped by the
    # collector's passes until the bot is ready, when `_freeze_startup_objects` collects them
    # once with the rest: its first pass over them otherwise fell inside start-up (30 ms).
    gc.freeze()
    store = GuideStore.open(
        config.guide_path, shown_as=config.guide_shown_as, loader=load_snapshot_apart
    )
    return config, store


def _run(args: argparse.Namespace) -> int:
    online = _online(args)
    return EXIT_FAILURE if online is None else asyncio.run(_serve(*online))


async def _serve(config: Config, store: GuideStore) -> int:
    _point_at_api(config)
    bot = GuideBot(config, store)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, lambda: asyncio.create_task(bot.close()))
    async with bot, contextlib.AsyncExitStack() as stack:
        where = f"{config.metrics_host}:{config.metrics_port}"
        try:
            await stack.enter_async_context(
                serving(bot.metrics, bot.health, host=config.metrics_host, port=config.metrics_port)
            )
        except OSError as error:
            _fail(f"cannot serve metrics on {where}: {error.strerror or error}")
            return EXIT_FAILURE
        try:
            await bot.login(config.token)
            stack.callback(asyncio.create_task(_freeze_once_ready(bot)).cancel)
            await bot.connect()
        except discord.LoginFailure:
            _fail(TOKEN_REJECTED)
            return EXIT_FAILURE
        except discord.PrivilegedIntentsRequired:
            _fail("Discord refused the gateway intents; guidebot asks for none, so this is odd")
            return EXIT_FAILURE
        except discord.ConnectionClosed as error:
            # discord.py resumes or reconnects after every close it can recover from; one that
            # reaches here is final, and 4004 is the gateway rejecting the token.
            if error.code == GATEWAY_AUTHENTICATION_FAILED:
                _fail(TOKEN_REJECTED)
            else:
                _fail(f"Discord closed the gateway for good: code {error.code} {error.reason}")
            return EXIT_FAILURE
    return EXIT_OK


def _serve_http(args: argparse.Namespace) -> int:
    prepared = _http_app(args)
    if prepared is None:
        return EXIT_FAILURE
    app, config = prepared
    host = args.host or config.http_host
    port = config.http_port if args.port is None else args.port
    return asyncio.run(_listen(app, host, port))


async def http_app(argv: Sequence[str] | None = None) -> web.Application:
    """Return the HTTP endpoint as an aiohttp application, for a process manager of your own.

    `python -m aiohttp.web -H HOST -P PORT bot.cli:http_app --config PATH` runs it, and so does
    gunicorn's `aiohttp.GunicornWebWorker`. The settings come from the config file (default:
    ./config.toml if any) and the environment, as for `guidebot serve`.

    Raises:
        SystemExit: the settings cannot serve (the reason is printed on one line).
    """
    prepared = _http_app(_parser().parse_args(list(argv or [])))
    if prepared is None:
        raise SystemExit(EXIT_FAILURE)
    return prepared[0]


def _http_app(args: argparse.Namespace) -> tuple[web.Application, Config] | None:
    """Check the public key, read the config and the guide; None: cannot serve."""
    from bot import endpoint  # the gateway mode never loads the HTTP server (2 MiB, 40 ms)

    try:
        key = endpoint.verify_key(_config(args).http_public_key)
    except endpoint.PublicKeyError as error:
        _fail(f"{error}; set {PUBLIC_KEY_ENV} or [http] public_key")
        return None
    online = _online(args)
    if online is None:
        return None
    config, store = online
    _point_at_api(config)
    # The warning that an endpoint URL keeps interactions off the gateway is moot here.
    logging.getLogger("discord.client").addFilter(_not_about_the_endpoint_url)
    app = endpoint.build_app(GuideBot(config, store), key, token=config.token)

    async def logged_in(_app: web.Application) -> None:
        _freeze_startup_objects()

    app.on_startup.append(logged_in)  # after the bot's login, which is a cleanup context
    return app, config


async def _freeze_once_ready(bot: GuideBot) -> None:
    """Freeze start-up's objects once the commands are answered: not on start-up's clock."""
    await bot.wait_until_ready()
    _freeze_startup_objects()


def _freeze_startup_objects() -> None:
    """Keep what start-up made (the guide, discord.py, the command tree) out of the collector.

    It all lives as long as the process. Frozen, the full collections that interactions set off
    no longer walk it, which otherwise shows as pauses of tens of milliseconds in the slowest
    answers (bench/e2e.py). Once per process, here and never in code tests run in-process.
    """
    gc.unfreeze()  # the imports' objects, frozen in `_online`, are collected with the rest
    gc.collect()
    gc.freeze()


async def _listen(app: web.Application, host: str, port: int) -> int:
    from aiohttp import web  # see _http_app

    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        await runner.setup()
    except discord.LoginFailure:
        _fail(TOKEN_REJECTED)
        return EXIT_FAILURE
    try:
        # Several workers may listen on one port; the kernel spreads connections over them.
        site = web.TCPSite(runner, host, port, reuse_port=True)
        try:
            await site.start()
        except OSError as error:
            _fail(f"cannot listen on {host}:{port}: {error.strerror}")
            return EXIT_FAILURE
        bound_host, bound_port = runner.addresses[0][:2]
        log.info("answering interactions at http://%s:%d/interactions", bound_host, bound_port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
    return EXIT_OK


def _not_about_the_endpoint_url(record: logging.LogRecord) -> bool:
    return "interaction endpoint URL set" not in record.getMessage()


def _sync(args: argparse.Namespace) -> int:
    online = _online(args)
    return EXIT_FAILURE if online is None else asyncio.run(_sync_commands(*online, args.guild))


async def _sync_commands(config: Config, store: GuideStore, guild_id: int | None) -> int:
    _point_at_api(config)
    async with GuideBot(config, store) as bot:
        try:
            await bot.login(config.token)
        except discord.LoginFailure:
            _fail(TOKEN_REJECTED)
            return EXIT_FAILURE
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    where = f"in server {guild_id}" if guild_id else "globally"
    print(f"registered {len(synced)} commands {where}: {', '.join(c.name for c in synced)}")
    return EXIT_OK


def _default(args: argparse.Namespace) -> int:
    config = _config(args)
    if config.token:
        return _run(args)
    print(
        f"No Discord token ({TOKEN_ENV} is unset), so guidebot answers offline from "
        f"{config.guide_path}.\nType a command such as {DEMO_COMMAND}; Ctrl-D to quit. "
        "See README.md to connect it to Discord.",
        file=sys.stderr,
    )
    lines: Iterable[str] = sys.stdin if not sys.stdin.isatty() else _prompt()
    answered = False
    for line in lines:
        if line.strip():
            main(["ask", line.strip(), "--guide", str(config.guide_path)])
            answered = True
    if not answered:
        return main(["ask", DEMO_COMMAND, "--guide", str(config.guide_path)])
    return EXIT_OK


def _prompt() -> Iterable[str]:
    while True:
        try:
            yield input("> ")
        except EOFError:
            return


def _point_at_api(config: Config) -> None:
    if config.api_base:
        # The end-to-end tests point the bot at their Discord emulator this way.
        discord.http.Route.BASE = config.api_base.rstrip("/")
        log.info("using the Discord API at %s", discord.http.Route.BASE)


def _warn_if_token_file_is_shared(config: Config) -> None:
    if config.token_in_file and config.source is not None:
        mode = config.source.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning(
                "%s holds the bot token and other users can read it: run chmod 600 %s",
                config.source,
                config.source,
            )


def _fail(message: str) -> None:
    print(f"guidebot: {message}", file=sys.stderr)
