"""End-to-end: bad input, repeated answers, admin commands and the token, on the real bot.

The bot process runs against the loopback Discord emulator, whose validator fails a test if
anything the bot sends would be rejected by Discord.
"""

from __future__ import annotations

import asyncio
import re
import stat
import sys
from pathlib import Path

import pytest

from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config, default_config, run_to_exit, running_bot
from tests.emulator.messages import NO_PINGS, jump_url, public_messages, title
from tests.emulator.payloads import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    EPHEMERAL,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MEMBER_PERMISSIONS,
)
from tests.emulator.plugin import RunBot

pytestmark = pytest.mark.e2e

ANSWER_SECONDS = 1.5
"""Well inside Discord's 3 s, with room for a loaded CI machine."""
ECHO = re.compile(r"There is no framework called (`[^`\n]+`|\(nothing\)) in the guide\.\n")
"""How a not-found answer starts: the query, if anything is left of it, as one code span."""


# --- Bad input ----------------------------------------------------------------------------

NASTY_INPUTS = [
    " ",
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u202edjango",
    "\u200fdjango\u200e",
    "dj\u00adango",
    "\x00\x01\x1b[31m",
    "\t\n\r",
    "\ud800",
    "😀" * 50,
    "👩‍💻🏳️‍🌈🇫🇷",
    "\uff44\uff4a\uff41\uff4e\uff47\uff4f",  # fullwidth "django"
    "DJANGO",
    "d" * 6000,
    "🙂" * 6000,
    "x`" * 3000,
    "`" * 100,
    "```\n@everyone\n```",
    "**bold** __under__ ~~strike~~ ||spoiler||",
    "> quote\n# Heading\n-# small",
    "[click me](https://evil.example/phish)",
    "<https://evil.example>",
    "@everyone",
    "@here please",
    "<@&2> <@1> <@!1> <#3>",
    "</framework:1> <:emoji:5> <t:0:R>",
    "djagno @everyone",
    "flsk djngo",
    "مرحبا django שלום",
    "\\",
    "'; DROP TABLE guides; --",
    "{{ 7*7 }} ${jndi:ldap://x}",
]


def test_nasty_text_in_every_text_option_is_answered_within_discords_rules(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    friend = emulator.make_user("friend")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        for text in NASTY_INPUTS:
            answers = [
                await emu.slash("framework", {"name": text}),
                await emu.slash("framework", {"name": text, "mention": friend}),
                await emu.slash("resources", {"framework": text}),
                await emu.slash("resources", {"framework": text, "kind": "docs", "hide": True}),
            ]
            for answer in answers:
                assert answer.accepted, (text, emu.describe_recent())
                assert answer.type == CHANNEL_MESSAGE
                assert answer.latency is not None
                assert answer.latency < ANSWER_SECONDS, text
                pinged = answer.data["allowed_mentions"].get("users", [])
                assert pinged in ([], [friend["id"]], [int(friend["id"])]), text
                assert answer.data["allowed_mentions"]["parse"] == []
                if answer.data.get("flags", 0) & EPHEMERAL:
                    assert answer.data["allowed_mentions"] == NO_PINGS
                description = answer.data["embeds"][0].get("description", "")
                if title(answer) == "Not in the guide":
                    assert ECHO.match(description), (text, description)

            for command, option in (("framework", "name"), ("resources", "framework")):
                offered = await emu.autocomplete(command, {option: text}, focused=option)
                assert offered.type == AUTOCOMPLETE_RESULT, text
                assert offered.latency is not None
                assert offered.latency < ANSWER_SECONDS, text
                assert len(offered.choices) <= 25

        assert bot.returncode is None
        assert "Traceback" not in bot.log()

    run_bot(scenario, config_text=bot_config(emulator))


# --- The per-channel cooldown -------------------------------------------------------------


def test_cooldown_five_askers_in_one_channel_get_one_card_and_a_link_to_it(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    askers = [emulator.make_user(f"helper{number}") for number in range(5)]
    other_channel = emulator.snowflake()

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        first, *later = [
            await emu.slash("framework", {"name": "django"}, user=asker) for asker in askers
        ]

        assert first.message is not None
        assert title(first) == "Django"
        assert not first.ephemeral
        for answer in later:
            assert answer.type == CHANNEL_MESSAGE
            assert answer.data["flags"] == EPHEMERAL
            assert answer.data["allowed_mentions"] == NO_PINGS
            assert title(answer) == "Already answered"
            assert answer.data["embeds"][0]["description"] == (
                "That answer was posted in this channel "
                f"[just above]({jump_url(emu, first.message)})."
            )
        assert public_messages(emu, emu.channel_id) == [first.message]
        assert first.webhook_requests == [], "the callback's answer named the card: no read-back"

        elsewhere = await emu.slash("framework", {"name": "django"}, channel_id=other_channel)
        assert title(elsewhere) == "Django"
        assert not elsewhere.ephemeral

        hidden = [
            await emu.slash("framework", {"name": "django", "hide": True}, user=asker)
            for asker in askers
        ]
        for answer in hidden:
            assert title(answer) == "Django", "a hidden answer is never cooled down"
            assert answer.data["flags"] == EPHEMERAL

        other_topic = await emu.slash("resources", {"framework": "django"}, user=askers[1])
        assert title(other_topic) == "Resources for Django"
        assert not other_topic.ephemeral
        assert len(public_messages(emu, emu.channel_id)) == 2

    run_bot(scenario)


def test_cooldown_askers_at_the_same_moment_still_get_one_card(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    askers = [emulator.make_user(f"helper{number}") for number in range(5)]

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        sent = [
            await emu.send_interaction(emu.build_slash("framework", {"name": "flask"}, user=asker))
            for asker in askers
        ]
        for result in sent:
            await emu.wait_answer(result)

        titles = sorted(title(result) for result in sent)
        assert titles == ["Already answered"] * 4 + ["Flask"]
        assert len(public_messages(emu, emu.channel_id)) == 1
        assert all(result.ephemeral for result in sent if title(result) != "Flask")

    run_bot(scenario)


@pytest.mark.parametrize("http", [False, True], ids=["gateway", "http"])
@pytest.mark.parametrize("deleter", ["asker", "moderator"])
def test_cooldown_after_the_card_is_deleted_the_next_asker_gets_a_new_card(
    run_bot: RunBot, emulator: DiscordEmulator, deleter: str, http: bool
) -> None:
    moderator = emulator.make_user("moderator")
    later = emulator.make_user("later")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        first = await emu.slash("framework", {"name": "django"})
        assert first.message is not None
        payload = emu.build_component(
            first.message,
            {"custom_id": f"gb:del:{emu.user['id']}", "component_type": 2},
            user=emu.user if deleter == "asker" else moderator,
        )
        if deleter == "moderator":
            payload["member"]["permissions"] = str(MEMBER_PERMISSIONS | MANAGE_MESSAGES)
        deleted = await emu.interact(payload)
        await deleted.wait_webhook("DELETE */@original")
        assert public_messages(emu, emu.channel_id) == []

        again = await emu.slash("framework", {"name": "django"}, user=later)

        # Pointing to a deleted message would leave the channel with no answer at all.
        assert title(again) == "Django"
        assert not again.ephemeral
        assert len(public_messages(emu, emu.channel_id)) == 1

    run_bot(scenario, http=http)


# --- Admin commands -----------------------------------------------------------------------


def test_admin_commands_are_hidden_by_default_and_refused_without_manage_guild(
    run_bot: RunBot,
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        guide = emu.command("guide")
        assert guide["default_member_permissions"] == str(MANAGE_GUILD)
        assert guide["contexts"] == [0], "guild only"
        for name in ("framework", "resources", "getting-started"):
            assert emu.command(name).get("default_member_permissions") is None, name

        for permissions in (MEMBER_PERMISSIONS, MEMBER_PERMISSIONS | MANAGE_MESSAGES):
            for subcommand in ("status", "reload"):
                refused = await emu.slash("guide", subcommand=subcommand, permissions=permissions)
                assert refused.type == CHANNEL_MESSAGE
                assert refused.data["flags"] == EPHEMERAL
                assert refused.data["embeds"][0]["description"] == (
                    "You need the Manage Server permission for that."
                )
        allowed = await emu.slash(
            "guide", subcommand="status", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
        )
        assert title(allowed) == "Guide status"
        assert "guide reloaded" not in bot.log()

    run_bot(scenario)


# --- The token ----------------------------------------------------------------------------


def secret_parts(token: str) -> list[str]:
    """Return the token and its secret (HMAC) part, either of which must never be logged."""
    return [token, token.rsplit(".", 1)[-1]]


def test_token_is_never_logged_at_debug_through_a_busy_session(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        await emu.autocomplete("framework", {"name": "dj"}, focused="name")
        card = await emu.slash("framework", {"name": "django"})
        missed = await emu.slash("framework", {"name": "flsk djngo"})
        pick = next(
            c for row in missed.data["components"] for c in row["components"] if "custom_id" in c
        )
        await emu.click(missed.message["id"], pick["custom_id"])
        await emu.slash("guide", subcommand="reload", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD)
        await emu.slash("guide", subcommand="reload", permissions=MEMBER_PERMISSIONS)
        await emu.gateway.close(4000)  # the bot resumes, sending its token again
        await emu.slash("framework", {"name": "rails"})
        assert card.accepted
        assert emu.gateway.resume_count == 1
        assert "DEBUG" in bot.log()

    bot = run_bot(scenario, config_text=default_config(emulator, level="DEBUG"))

    log = bot.log()
    assert "WebSocket Event" in log, "DEBUG logging was on"
    for secret in secret_parts(emulator.token):
        assert secret not in log


def test_token_echoed_back_by_discord_is_redacted_from_every_log_line(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    # Discord (here the emulator) sends the token back: once in an error that the bot logs with
    # its traceback, once in a gateway event that discord.py logs at DEBUG as a %-argument.
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        echo = f"Invalid Form Body: Authorization Bot {emu.token}"
        emu.fault("POST /interactions/*/callback", status=400, body={"message": echo, "code": 0})
        failed = await emu.slash("framework", {"name": "django"})
        await emu.dispatch("GUIDEBOT_ECHO", {"authorization": f"Bot {emu.token}"})
        await emu.wait_until(lambda: "command failed" in bot.log(), what="the failure logged")
        assert failed.callbacks[0].status == 400
        assert (await emu.slash("framework", {"name": "flask"})).accepted

    bot = run_bot(scenario, config_text=default_config(emulator, level="DEBUG"))

    log = bot.log()
    assert "Traceback (most recent call last)" in log
    assert "400 Bad Request (error code: 0): Invalid Form Body: Authorization Bot [token]" in log
    assert "'authorization': 'Bot [token]'" in log
    for secret in secret_parts(emulator.token):
        assert secret not in log


def test_token_rejected_at_login_exits_with_one_clear_line_and_is_not_logged_at_debug(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    wrong = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GuIdEb.d1st1nct1v3-f4k3-t0k3n-s3cr3t-p4rt"

    async def main() -> tuple[int, str]:
        async with emulator:
            config = tmp_path / "config.toml"
            config.write_text(default_config(emulator, level="DEBUG"), encoding="utf-8")
            code, out, err = await run_to_exit(
                emulator, "--config", str(config), "run", token=wrong
            )
            return code, out + err

    code, log = asyncio.run(main())

    assert code == 1, log
    assert "DEBUG" in log
    guidebot_lines = [line for line in log.splitlines() if line.startswith("guidebot: ")]
    assert guidebot_lines == [
        "guidebot: Discord rejected the token: check DISCORD_TOKEN (it may have been reset)"
    ]
    assert "Traceback" not in log
    for secret in [*secret_parts(wrong), *secret_parts(emulator.token)]:
        assert secret not in log
    assert [str(r) for r in emulator.requests] == ["#0 GET /users/@me -> 401"]
    assert emulator.gateway.connections == []
    assert emulator.take_violations() == [
        "[protocol] GET /users/@me (#0): Authorization header is wrong"
    ]


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_token_in_a_config_file_others_can_read_is_warned_about(
    emulator: DiscordEmulator, tmp_path: Path, mode: int, warned: bool
) -> None:
    config_path = tmp_path / "config.toml"
    # The harness writes the config just before starting the bot: set its mode in between, and
    # drop the harness's DISCORD_TOKEN so that the token comes from the file.
    command = (
        "sh",
        "-c",
        f'chmod {mode:o} "$1" && exec env -u DISCORD_TOKEN "$2" -m bot --config "$1" run',
        "sh",
        "{config}",
        sys.executable,
    )

    async def main() -> BotProcess:
        async with emulator:
            config = default_config(emulator, level="DEBUG", discord={"token": emulator.token})
            async with running_bot(
                emulator,
                workdir=tmp_path,
                config_text=config,
                command=command,
            ) as bot:
                await emulator.slash("framework", {"name": "django"})
                assert stat.S_IMODE(config_path.stat().st_mode) == mode
            return bot

    bot = asyncio.run(main())

    log = bot.log()
    warning = (
        f"{config_path} holds the bot token and other users can read it: "
        f"run chmod 600 {config_path}"
    )
    assert (warning in log) is warned, log[:2000]
    assert ("WARNING" in log and "holds the bot token" in log) is warned
    for secret in secret_parts(emulator.token):
        assert secret not in log
