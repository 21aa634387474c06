"""Broken guides and hot reload, through the real bot process and the real command line.

A broken guide at start-up stops the bot before it talks to Discord, saying what is wrong and
where. Once running, `/guide reload` (or the file watcher) swaps in an edited guide, and a
broken edit keeps the last good guide serving while the admin is told exactly what to fix.
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.guide import parse_guide
from bot.store import guide_version
from tests.conftest import REPO_ROOT
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config, run_to_exit
from tests.emulator.payloads import (
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    EPHEMERAL,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
)
from tests.emulator.plugin import RunBot
from tests.emulator.records import InteractionResult
from tests.helpers import DJANGO_LANGUAGE_LINE, billion_laughs, guide_text, write_guide

ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
WATCH = {"watch": True, "watch_interval_seconds": 0.2}
"""`[guide]` settings that turn the file watcher on, polling every 0.2 s."""
WATCH_TIMEOUT = 10.0
"""Seconds to wait for the watcher (polling every 0.2 s) to act on an edit."""
BROKEN_LANGUAGE = (
    f"{DJANGO_LANGUAGE_LINE}:15: frameworks[0].language: expected a string, got a list"
)


def version(text: str) -> str:
    """Return the version the bot gives the guide `text`: a hash of its content."""
    return guide_version(parse_guide(text))


def version_of(text: str) -> str:
    """Return the version of the guide `text` as replies quote it."""
    return f"`{version(text)}`"


V1 = version_of(guide_text(1))
"""What replies call the guide every test starts with."""


def broken_guide_text(version: int) -> str:
    """Return `guide_text(version)` with Django's language turned into a list."""
    return guide_text(version).replace("language: Python", "language: [Python]", 1)


async def reload_guide(
    emu: DiscordEmulator, *, permissions: int = ADMIN_PERMISSIONS
) -> InteractionResult:
    """Run `/guide reload`; when the bot defers, wait for its followup too."""
    result = await emu.slash("guide", subcommand="reload", permissions=permissions)
    if result.type == DEFERRED_CHANNEL_MESSAGE:
        await result.wait_webhook("POST *")
    return result


def report(result: InteractionResult) -> dict[str, Any]:
    """Return the embed of the reload's answer, as Discord shows it now."""
    assert result.message is not None
    (embed,) = result.message["embeds"]
    return embed


async def django_description(emu: DiscordEmulator) -> str:
    """Ask `/framework django` and return the card's description."""
    answer = await emu.slash("framework", {"name": "django"})
    assert answer.type == CHANNEL_MESSAGE
    return answer.data["embeds"][0]["description"]


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    path = tmp_path / "guide.yaml"
    write_guide(path, guide_text(1))
    return path


# --- /guide reload ------------------------------------------------------------------------


@pytest.mark.e2e
def test_guide_reload_defers_then_says_which_frameworks_changed(
    run_bot: RunBot, emulator: DiscordEmulator, guide: Path
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        edited = guide_text(2, extra="Gin", gone=True)
        write_guide(guide, edited)

        result = await reload_guide(emu)

        assert result.type == DEFERRED_CHANNEL_MESSAGE
        assert result.data["flags"] & EPHEMERAL
        assert result.ephemeral
        assert report(result) | {"color": None} == {
            "type": "rich",
            "flags": 0,
            "color": None,
            "title": "Guide reloaded",
            "description": (
                f"Version {version_of(edited)}: 1 added (Gin), 1 removed (Flask), "
                "1 changed (Django), other changes."
            ),
        }
        assert await django_description(emu) == "Django as of version 2."
        gin = await emu.slash("framework", {"name": "gin"})
        assert gin.data["embeds"][0]["title"] == "Gin"
        flask = await emu.slash("framework", {"name": "flask"})
        assert flask.data["flags"] == EPHEMERAL
        assert flask.data["embeds"][0]["title"] == "Not in the guide"

        # Only the layout changes: the same guide, the same version.
        write_guide(guide, "# A comment.\n" + edited.replace(": ", ":   "))
        again = await reload_guide(emu)
        assert report(again)["description"] == f"No changes: still version {version_of(edited)}."
        status = await emu.slash("guide", subcommand="status", permissions=ADMIN_PERMISSIONS)
        assert status.data["flags"] == EPHEMERAL
        assert status.data["embeds"][0]["description"] == (
            f"**Guide 2**, version {version_of(edited)}\n2 frameworks from `guide.yaml`"
        )

    run_bot(scenario, config_text=bot_config(emulator, guide))


@pytest.mark.e2e
def test_guide_reload_of_a_broken_file_keeps_serving_and_says_where_it_is_broken(
    run_bot: RunBot, emulator: DiscordEmulator, guide: Path
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        broken = broken_guide_text(2).replace("https://flask.example/", "ftp://flask.example/")
        write_guide(guide, broken)

        failed = await reload_guide(emu)

        assert failed.type == DEFERRED_CHANNEL_MESSAGE
        assert failed.ephemeral
        flask_url_line = broken.splitlines().index("        url: ftp://flask.example/") + 1
        assert report(failed)["title"] == "Reload failed"
        assert report(failed)["description"] == (
            f"Still serving version {V1}. Fix these and reload:\n```\n"
            f"guide.yaml:{BROKEN_LANGUAGE}\n"
            f"guide.yaml:{flask_url_line}:14: frameworks[1].resources[0].url: "
            "'ftp://flask.example/' is not an http(s) URL\n```"
        )
        assert await django_description(emu) == "Django as of version 1."

        guide.unlink()
        missing = await reload_guide(emu)
        assert report(missing)["description"] == (
            f"Still serving version {V1}. Fix these and reload:\n```\n"
            "guide.yaml:1:1: the file can't be read: No such file or directory\n```"
        )
        assert await django_description(emu) == "Django as of version 1."

        write_guide(guide, guide_text(2))
        fixed = await reload_guide(emu)
        assert report(fixed)["description"] == (
            f"Version {version_of(guide_text(2))}: 1 changed (Django), other changes."
        )
        assert await django_description(emu) == "Django as of version 2."
        assert f"guide reload failed, keeping version {version(guide_text(1))}" in bot.log()

    run_bot(scenario, config_text=bot_config(emulator, guide))


@pytest.mark.e2e
def test_guide_reload_with_many_problems_lists_the_first_whole_and_counts_the_rest(
    run_bot: RunBot, emulator: DiscordEmulator, tmp_path: Path
) -> None:
    # A path of a believable depth: every problem line starts with it.
    guide = tmp_path / "srv" / "guidebot-for-the-python-study-server" / "data" / "guide.yaml"
    guide.parent.mkdir(parents=True)
    write_guide(guide, guide_text(1))
    typo = "descriptoin_" + "x" * 48  # 60 characters, the longest key a problem names whole
    broken = guide_text(2).replace("    aliases: [dj]\n", "")
    broken = broken.replace("  - name: ", f"  - {typo}: 1\n    name: ")
    broken = broken.replace(
        "frameworks:\n",
        "frameworks:\n"
        + "".join(
            f"  - {typo}: 1\n    name: Extra{number}\n    language: Go\n"
            f"    description: Extra.\n    resources:\n      - title: Docs\n"
            f"        url: https://extra{number}.example/\n"
            for number in range(38)
        ),
    )

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        write_guide(guide, broken)

        failed = await reload_guide(emu)

        description = report(failed)["description"]
        lines = description.splitlines()
        assert lines[:2] == [f"Still serving version {V1}. Fix these and reload:", "```"]
        assert lines[-1] == "```", description[-300:]
        shown = lines[2:-2]
        assert lines[-2] == f"… and {40 - len(shown)} more (see the log)"
        assert 10 <= len(shown) <= 15
        # Relative to the config file, beside which the harness writes it: no server paths.
        shown_as = "srv/guidebot-for-the-python-study-server/data/guide.yaml"
        assert all(line.startswith(f"{shown_as}:") for line in shown)
        assert str(tmp_path) not in description
        assert all(f"unknown key '{typo}'" in line for line in shown)
        assert await django_description(emu) == "Django as of version 1."

    run_bot(scenario, config_text=bot_config(emulator, guide))


@pytest.mark.e2e
def test_guide_reload_by_a_member_without_manage_server_is_refused_and_reloads_nothing(
    run_bot: RunBot, emulator: DiscordEmulator, guide: Path
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        write_guide(guide, guide_text(2))
        # Discord's default permissions hide /guide from such a member, but a stale client, a
        # server that overrode them or a forged interaction can still send it.
        for permissions in (MEMBER_PERMISSIONS, MEMBER_PERMISSIONS | (1 << 13), 0):
            refused = await reload_guide(emu, permissions=permissions)

            assert refused.type == CHANNEL_MESSAGE, "refused at once, not deferred"
            assert refused.data["flags"] == EPHEMERAL
            assert refused.data["embeds"][0]["description"] == (
                "You need the Manage Server permission for that."
            )
            assert refused.data["allowed_mentions"] == {"parse": []}
            assert refused.followups == []

        assert await django_description(emu) == "Django as of version 1."
        status = await emu.slash("guide", subcommand="status", permissions=ADMIN_PERMISSIONS)
        assert f"version {V1}\n" in status.data["embeds"][0]["description"]
        assert "guide reloaded" not in bot.log()

    run_bot(scenario, config_text=bot_config(emulator, guide))


# --- The file watcher ---------------------------------------------------------------------


async def guide_status(emu: DiscordEmulator) -> str:
    """Run `/guide status` as an admin and return what it says."""
    status = await emu.slash("guide", subcommand="status", permissions=ADMIN_PERMISSIONS)
    assert status.data["flags"] == EPHEMERAL
    return str(status.data["embeds"][0]["description"])


async def served_when(emu: DiscordEmulator, description: str) -> None:
    """Ask `/framework django` again and again until its card reads `description`."""
    seen: list[str] = []
    try:
        async with asyncio.timeout(WATCH_TIMEOUT):
            while not seen or seen[-1] != description:
                # Each question waits for its answer, which paces the polling.
                seen.append(await django_description(emu))
    except TimeoutError:
        pytest.fail(f"still not serving {description!r} after {WATCH_TIMEOUT}s; saw {seen[-3:]}")


@pytest.mark.e2e
def test_guide_watcher_serves_an_edit_and_keeps_the_last_good_guide_on_a_broken_one(
    run_bot: RunBot, emulator: DiscordEmulator, guide: Path
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        assert await django_description(emu) == "Django as of version 1."

        write_guide(guide, guide_text(2))
        await served_when(emu, "Django as of version 2.")

        write_guide(guide, broken_guide_text(3))
        await emu.wait_until(
            lambda: f"guide reload failed, keeping version {version(guide_text(2))}" in bot.log(),
            timeout=WATCH_TIMEOUT,
            what="the watcher to try the broken edit",
        )
        assert await django_description(emu) == "Django as of version 2."
        assert f"{guide}:{BROKEN_LANGUAGE}" in bot.log()
        # Not only in the log: the admin's status says it, with when and who tried.
        status = await guide_status(emu)
        assert status.startswith(
            f"**Guide 2**, version {version_of(guide_text(2))}\n2 frameworks from `guide.yaml`"
            "\n\n**The last reload failed** <t:"
        )
        when = int(status.split("<t:")[1].split(":")[0])
        assert abs(when - time.time()) < 60
        assert status.endswith(
            f":R>), started by the file watcher; the version above is still served. "
            f"First problems:\n```\nguide.yaml:{BROKEN_LANGUAGE}\n```"
        )

        # The watcher survived the broken edit and picks up the fix.
        write_guide(guide, guide_text(4, extra="Gin"))
        await served_when(emu, "Django as of version 4.")
        assert "failed" not in await guide_status(emu)
        gin = await emu.slash("framework", {"name": "gin"})
        assert gin.data["embeds"][0]["title"] == "Gin"
        assert bot.log().count("guide reload failed") == 1, "a broken file is tried once"

    run_bot(scenario, config_text=bot_config(emulator, guide, guide=WATCH))


# --- Broken guides at start-up ------------------------------------------------------------

BROKEN_AT_START = {
    "wrong type": (broken_guide_text(1), [BROKEN_LANGUAGE]),
    "syntax error": (
        "title: [\n",
        [
            "1:9: YAML syntax error: did not find expected node content"
            " (while parsing a flow node at line 1, column 9)"
        ],
    ),
    "empty": ("", ["1:1: the file is empty"]),
    "missing": (None, ["1:1: the file can't be read: No such file or directory"]),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", BROKEN_AT_START, ids=BROKEN_AT_START)
def test_bot_refuses_to_start_on_a_broken_guide_and_says_why(
    emulator: DiscordEmulator, tmp_path: Path, case: str
) -> None:
    text, problems = BROKEN_AT_START[case]
    guide = tmp_path / "guide.yaml"
    if text is not None:
        guide.write_text(text, encoding="utf-8")
    config = tmp_path / "config.toml"

    async def main() -> tuple[int, str, str]:
        async with emulator:
            config.write_text(bot_config(emulator, guide), encoding="utf-8")
            return await run_to_exit(emulator, "--config", str(config), "run")

    code, out, err = asyncio.run(main())

    assert code == 1, err
    assert err.splitlines() == [
        "guidebot: the guide has problems:",
        *(f"{guide}:{problem}" for problem in problems),
    ]
    assert out == ""
    assert "Traceback" not in err
    assert emulator.requests == [], "no connection attempt"
    assert emulator.gateway.connections == []


CHECK_SECONDS = 15.0
"""Generous on a loaded CI machine; each case takes about a second."""
CHECK_MEMORY_BYTES = 1 << 30
"""Address space allowed to `check`: an expanded bomb or a read of the sparse file would not fit."""


def write_binary(path: Path) -> None:
    path.write_bytes((REPO_ROOT / "tests" / "fixtures" / "broken" / "binary.png").read_bytes())


def write_sparse(path: Path) -> None:
    with path.open("wb") as file:
        file.truncate(4 << 30)  # 4 GiB of holes: nothing on disk, a lot to read


CHECK_CASES = {
    "empty": (lambda path: path.write_bytes(b""), ["1:1: the file is empty"]),
    "binary": (
        write_binary,
        [
            "1:1: the file is not UTF-8 text: byte 0x89 can't be decoded"
            " (is it binary, or in another encoding?)"
        ],
    ),
    "yaml bomb": (
        lambda path: path.write_text(billion_laughs(), encoding="utf-8"),
        [
            "2:14: lol1[0]: YAML aliases (*lol0) are not supported; write the value out",
            "10:77: lol9[9]: YAML aliases (*lol8) are not supported; write the value out",
        ],
    ),
    "deep nesting": (
        lambda path: path.write_text("[" * 1_000_000, encoding="utf-8"),
        # libyaml stops at its own limit of 1000 levels before ours is reached
        ["1:1001: nested more than 50 levels deep"],
    ),
    "4 GiB": (
        write_sparse,
        ["1:1: the file is 4294967296 bytes; at most 8388608 (8 MiB) are read"],
    ),
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))


@pytest.mark.parametrize("case", CHECK_CASES, ids=CHECK_CASES)
def test_check_reports_a_hostile_file_precisely_in_bounded_time_and_memory(
    tmp_path: Path, case: str
) -> None:
    write, problems = CHECK_CASES[case]
    path = tmp_path / "guide.yaml"
    write(path)

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CHECK_SECONDS * 2,
        preexec_fn=_limit_memory,
        check=False,
    )
    elapsed = time.monotonic() - started

    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert {f"{path}:{problem}" for problem in problems} <= set(lines), lines[:5]
    assert done.stderr.endswith(" problem\n") or done.stderr.endswith(" problems\n")
    assert done.stderr.startswith(f"{path}: {len(lines)} problem")
    assert "Traceback" not in done.stderr
    assert elapsed < CHECK_SECONDS
