"""The real bot under Discord's faults: rate limits, 5xx, lost interactions, gateway drops.

Each test starts the bot process against the loopback emulator, injects one fault, asserts on
what the bot sent (attempts, their spacing, the log), and then checks that the bot still answers
the next interaction: a fault may cost one answer, never the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import replies, respond
from bot.bot import GuideBot
from bot.config import Config
from bot.guide import load_guide
from bot.store import GuideStore, guide_version
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import (
    BotProcess,
    client_in_process,
    default_config,
)
from tests.emulator.payloads import EPHEMERAL, LOADING, MANAGE_GUILD, MEMBER_PERMISSIONS
from tests.emulator.plugin import RunBot
from tests.emulator.records import InteractionResult, RecordedRequest

pytestmark = pytest.mark.e2e

CALLBACKS = "POST /interactions/*/callback"
FOLLOWUPS = "POST /webhooks/*"
EDIT_ORIGINAL = "PATCH /webhooks/*/messages/@original"
LOST_INTERACTION_LOG = "could not be answered"
"""What bot/respond.py logs, once, for an interaction Discord no longer takes a reply for."""


async def assert_still_serving(emu: DiscordEmulator, name: str = "django") -> InteractionResult:
    """Ask once more, as someone new: one callback, accepted, well inside the deadline."""
    result = await emu.slash("framework", {"name": name}, user=emu.make_user("next-learner"))
    assert result.accepted, emu.describe_recent()
    assert len(result.callbacks) == 1
    assert result.latency is not None
    assert result.latency < 1.0
    return result


async def reload_guide(emu: DiscordEmulator) -> InteractionResult:
    """Run `/guide reload` as a member with Manage Server."""
    return await emu.slash(
        "guide", subcommand="reload", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
    )


def spacing(requests: list[RecordedRequest]) -> list[float]:
    """Return the seconds between the answer to each request and the next attempt."""
    gaps = []
    for before, after in itertools.pairwise(requests):
        assert before.responded_at is not None
        gaps.append(after.received_at - before.responded_at)
    return gaps


def log_count(bot: BotProcess, text: str) -> int:
    """Return how many lines of the bot's log contain `text`."""
    return sum(text in line for line in bot.log().splitlines())


async def wait_for_log(emu: DiscordEmulator, bot: BotProcess, text: str) -> None:
    """Wait until the bot has logged a line containing `text`."""
    await emu.wait_until(lambda: text in bot.log(), what=f"the bot to log {text!r}")


def without_unanswered(violations: list[str], *results: InteractionResult) -> list[str]:
    """Return `violations` minus the "never answered" lines of `results` (provoked on purpose)."""
    expected = {f"({result.id}) was never answered" for result in results}
    return [v for v in violations if not any(e in v for e in expected)]


# --- Rate limits ----------------------------------------------------------------------------


def test_callback_rate_limited_is_retried_after_retry_after(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        fault = emu.rate_limit(CALLBACKS, retry_after=0.6)

        result = await emu.slash("framework", {"name": "flask"})

        assert fault.hits == 1
        assert [c.status for c in result.callbacks] == [429, 200]
        assert spacing(result.callbacks)[0] >= 0.6
        assert result.data["embeds"][0]["title"] == "Flask"
        assert "rate limited. Retrying in 0.60 seconds" in bot.log()
        await assert_still_serving(emu)

    run_bot(scenario)


def test_callback_rate_limited_every_time_is_given_up_after_five_attempts(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    lost: list[InteractionResult] = []

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        fault = emu.rate_limit(CALLBACKS, retry_after=0.3, times=None)

        result = await emu.send_interaction(emu.build_slash("framework", {"name": "flask"}))
        await wait_for_log(emu, bot, "gave up on interaction")
        fault.times = fault.hits  # Discord lifts the limit
        await assert_still_serving(emu)

        # discord.py's five attempts, each after the retry_after it was given, and no more:
        # an error reply through the same rate-limited route would only add 429s, which
        # Discord counts towards banning the bot's IP.
        assert [c.status for c in result.callbacks] == [429] * 5
        assert min(spacing(result.callbacks)) >= 0.3
        assert result.webhook_requests == []
        assert log_count(bot, "gave up on interaction") == 1
        assert "Traceback" not in bot.log()
        lost.append(result)

    run_bot(scenario)
    assert without_unanswered(emulator.take_violations(), *lost) == []


def test_followup_rate_limited_is_retried_after_retry_after(
    run_bot: RunBot, tmp_path: Path
) -> None:
    guide = tmp_path / "guide.yaml"
    guide.write_text(SHIPPED_GUIDE.read_text(encoding="utf-8"), encoding="utf-8")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.rate_limit(FOLLOWUPS, retry_after=0.6)

        result = await reload_guide(emu)
        followup = await result.wait_webhook("POST *", nth=2)

        attempts = result.followups
        assert [r.status for r in attempts] == [429, 200]
        assert followup is attempts[-1]
        assert spacing(attempts)[0] >= 0.6
        assert result.message is not None
        assert result.message["embeds"][0]["title"] == "Guide reloaded"
        await assert_still_serving(emu)

    run_bot(scenario, guide_path=guide)


def test_edit_of_original_rate_limited_is_retried_after_retry_after(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    config = default_config(emulator, answers={"walkthrough_timeout_seconds": 0.5})

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.rate_limit(EDIT_ORIGINAL, retry_after=0.6)

        result = await emu.slash("getting-started")
        await result.wait_webhook("PATCH *", nth=2, timeout=10)

        edits = [r for r in result.webhook_requests if r.method == "PATCH"]
        assert [r.status for r in edits] == [429, 200]
        assert spacing(edits)[0] >= 0.6
        assert result.message is not None
        buttons = [c for row in result.message["components"] for c in row["components"]]
        assert buttons
        # Every button is switched off but Delete, which works on an expired walkthrough too.
        assert [b["label"] for b in buttons if not b.get("disabled")] == ["Delete"]
        await assert_still_serving(emu)

    run_bot(scenario, config_text=config)


# --- Server errors and slow answers ---------------------------------------------------------


def test_callback_server_error_is_retried_a_second_later(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.server_error(CALLBACKS, status=500)

        result = await emu.slash("framework", {"name": "flask"})

        assert [c.status for c in result.callbacks] == [500, 200]
        assert spacing(result.callbacks)[0] >= 1.0
        assert result.latency is not None
        assert result.latency < 3.0
        assert result.data["embeds"][0]["title"] == "Flask"
        await assert_still_serving(emu)

    run_bot(scenario)


def test_callback_server_errors_past_the_deadline_are_given_up(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    lost: list[InteractionResult] = []

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.server_error(CALLBACKS, status=502, times=2)

        result = await emu.slash("framework", {"name": "flask"}, timeout=10)

        # Backoff of 1 s then 3 s puts the third attempt past Discord's 3 s deadline: Discord
        # answers 10062, which the bot logs once and does not retry.
        assert [c.status for c in result.callbacks] == [502, 502, 404]
        gaps = spacing(result.callbacks)
        assert gaps[0] >= 1.0
        assert gaps[1] >= 3.0
        await wait_for_log(emu, bot, LOST_INTERACTION_LOG)
        assert log_count(bot, LOST_INTERACTION_LOG) == 1
        await assert_still_serving(emu)
        lost.append(result)

    run_bot(scenario)
    violations = without_unanswered(emulator.take_violations(), *lost)
    assert len(violations) == 1
    assert "past the 3s deadline" in violations[0]


def test_followup_server_errors_are_retried_with_backoff(run_bot: RunBot, tmp_path: Path) -> None:
    guide = tmp_path / "guide.yaml"
    guide.write_text(SHIPPED_GUIDE.read_text(encoding="utf-8"), encoding="utf-8")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.server_error(FOLLOWUPS, status=502, times=2)

        result = await reload_guide(emu)
        await result.wait_webhook("POST *", nth=3, timeout=10)

        attempts = result.followups
        assert [r.status for r in attempts] == [502, 502, 200]
        gaps = spacing(attempts)
        assert gaps[0] >= 1.0
        assert gaps[1] >= 3.0
        assert result.message is not None
        assert result.message["embeds"][0]["title"] == "Guide reloaded"
        await assert_still_serving(emu)

    run_bot(scenario, guide_path=guide)


def test_delete_server_error_is_retried(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        card = await emu.slash("framework", {"name": "flask"})
        assert card.message is not None
        emu.server_error("DELETE /webhooks/*", status=503)

        click = await emu.click(card.message, f"gb:del:{emu.user['id']}")
        await click.wait_webhook("DELETE *", nth=2, timeout=10)

        deletes = [r for r in click.webhook_requests if r.method == "DELETE"]
        assert [r.status for r in deletes] == [503, 204]
        assert spacing(deletes)[0] >= 1.0
        assert card.message is None
        await assert_still_serving(emu)

    run_bot(scenario)


def test_stalled_callback_does_not_hold_up_other_interactions(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        stall = 4.0
        emu.delay(CALLBACKS, stall)

        stalled = await emu.send_interaction(emu.build_slash("framework", {"name": "flask"}))
        await emu.wait_until(lambda: stalled.callbacks, what="the stalled callback to arrive")
        # While Discord sits on that answer, everyone else is still answered at once.
        for name in ("django", "express", "rails"):
            await assert_still_serving(emu, name)
        assert stalled.callback is None
        await emu.wait_answer(stalled, timeout=stall + 5)

        assert stalled.accepted
        assert len(stalled.callbacks) == 1
        assert stalled.callback is not None
        assert stalled.callback.responded_at is not None
        assert stalled.callback.responded_at - stalled.callback.received_at >= stall
        assert "Traceback" not in bot.log()

    run_bot(scenario)


# --- Work that would miss the 3 second deadline --------------------------------------------


def test_guide_reload_defers_then_follows_up(run_bot: RunBot, tmp_path: Path) -> None:
    guide = tmp_path / "guide.yaml"
    text = SHIPPED_GUIDE.read_text(encoding="utf-8")
    guide.write_text(text, encoding="utf-8")

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        guide.write_text(text.replace("title: ", "title: Renamed ", 1), encoding="utf-8")

        result = await reload_guide(emu)
        followup = await result.wait_webhook("POST *")

        assert result.type == 5
        assert result.data["flags"] & EPHEMERAL
        assert result.latency is not None
        assert result.latency < 1.0
        assert followup.status == 200
        assert result.message is not None
        assert not result.message["flags"] & LOADING, "the followup replaced the thinking message"
        assert result.ephemeral
        assert result.message["embeds"][0]["title"] == "Guide reloaded"
        renamed = guide_version(load_guide(guide))
        assert result.message["embeds"][0]["description"] == f"Version `{renamed}`: other changes."
        await assert_still_serving(emu)

    run_bot(scenario, guide_path=guide)


@contextlib.asynccontextmanager
async def bot_in_process(emu: DiscordEmulator) -> AsyncIterator[GuideBot]:
    """Run guidebot's client inside the test process against a started `emu`."""
    config = Config(token=emu.token, dev_guild_id=int(emu.guild_id), api_base=emu.api_base)
    bot = GuideBot(config, GuideStore.open(SHIPPED_GUIDE))
    async with client_in_process(emu, bot):
        yield bot


@pytest.mark.parametrize("hide", [True, False])
def test_responder_answer_defers_a_slow_build_then_follows_up(
    emulator: DiscordEmulator, monkeypatch: pytest.MonkeyPatch, hide: bool
) -> None:
    """No guide makes a real build take 2 s, so this one is slowed down in the bot's process.

    Everything else is real: discord.py, the cog, the Responder and the emulator's deadline.
    """
    build_seconds = respond.DEFER_AFTER_SECONDS + 0.6
    real_reply = replies.framework_reply

    def slow_framework_reply(*args: Any, **kwargs: Any) -> replies.Reply:
        time.sleep(build_seconds)  # runs in the Responder's worker thread, like a slow build
        return real_reply(*args, **kwargs)

    monkeypatch.setattr(replies, "framework_reply", slow_framework_reply)
    monkeypatch.setattr(respond, "INLINE_BUILD_MAX_FRAMEWORKS", 0)  # as for a large guide

    async def main() -> None:
        async with emulator, bot_in_process(emulator):
            result = await emulator.slash("framework", {"name": "flask", "hide": hide})
            followup = await result.wait_webhook("POST *", timeout=build_seconds + 3)

            assert result.type == 5
            assert bool(result.data.get("flags", 0) & EPHEMERAL) is hide
            assert result.latency is not None
            assert respond.DEFER_AFTER_SECONDS <= result.latency < 3.0
            assert followup.received_at - result.state.sent_at >= build_seconds
            assert result.message is not None
            assert not result.message["flags"] & LOADING
            assert result.ephemeral is hide
            assert result.message["embeds"][0]["title"] == "Flask"
            assert len(result.callbacks) == 1
            assert len(result.followups) == 1

    asyncio.run(main())


def test_responder_answer_keeps_a_slow_not_found_private_after_a_public_defer(
    emulator: DiscordEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public defer's first followup would stay public: a "did you mean" must not."""
    build_seconds = respond.DEFER_AFTER_SECONDS + 0.6
    real_reply = replies.framework_reply

    def slow_framework_reply(*args: Any, **kwargs: Any) -> replies.Reply:
        time.sleep(build_seconds)
        return real_reply(*args, **kwargs)

    monkeypatch.setattr(replies, "framework_reply", slow_framework_reply)
    monkeypatch.setattr(respond, "INLINE_BUILD_MAX_FRAMEWORKS", 0)  # as for a large guide

    async def main() -> None:
        async with emulator, bot_in_process(emulator):
            result = await emulator.slash("framework", {"name": "pizza"})
            followup = await result.wait_webhook("POST *", timeout=build_seconds + 3)

            assert result.type == 5
            assert not result.data.get("flags", 0) & EPHEMERAL
            deleted = [r for r in result.webhook_requests if r.method == "DELETE"]
            assert len(deleted) == 1
            assert deleted[0].received_at <= followup.received_at
            assert result.message is None, "the public thinking message is gone"
            assert followup.json["flags"] & EPHEMERAL
            assert "pizza" in followup.json["embeds"][0]["description"]

    asyncio.run(main())


# --- Interactions Discord no longer takes an answer for --------------------------------------

UNKNOWN_INTERACTION = (404, {"message": "Unknown interaction", "code": 10062})
ALREADY_ACKNOWLEDGED = (
    400,
    {"message": "Interaction has already been acknowledged.", "code": 40060},
)


@pytest.mark.parametrize(
    ("status", "body"), [UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED], ids=["10062", "40060"]
)
def test_lost_command_interaction_is_logged_once_and_not_retried(
    run_bot: RunBot, emulator: DiscordEmulator, status: int, body: dict[str, Any]
) -> None:
    lost: list[InteractionResult] = []

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.fault(CALLBACKS, status=status, body=body)

        result = await emu.slash("framework", {"name": "flask"})
        await wait_for_log(emu, bot, LOST_INTERACTION_LOG)
        await assert_still_serving(emu)

        assert [c.status for c in result.callbacks] == [status]
        assert result.webhook_requests == []
        assert log_count(bot, LOST_INTERACTION_LOG) == 1
        assert f"interaction {result.id} could not be answered: {body['message']}" in bot.log()
        assert "Traceback" not in bot.log()
        lost.append(result)

    run_bot(scenario)
    # Once the emulator has stopped, the lost interaction counts as unanswered, and only it.
    assert without_unanswered(emulator.take_violations(), *lost) == []


@pytest.mark.parametrize(
    ("status", "body"), [UNKNOWN_INTERACTION, ALREADY_ACKNOWLEDGED], ids=["10062", "40060"]
)
def test_lost_click_interaction_is_logged_once_and_not_retried(
    run_bot: RunBot, emulator: DiscordEmulator, status: int, body: dict[str, Any]
) -> None:
    lost: list[InteractionResult] = []

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        walk = await emu.slash("getting-started")
        assert walk.message is not None
        next_button = walk.message["components"][-1]["components"][1]["custom_id"]
        emu.fault(CALLBACKS, status=status, body=body)

        click = await emu.click(walk.message, next_button)
        await wait_for_log(emu, bot, LOST_INTERACTION_LOG)
        await assert_still_serving(emu)

        assert [c.status for c in click.callbacks] == [status]
        assert click.webhook_requests == []
        assert log_count(bot, LOST_INTERACTION_LOG) == 1
        assert "Traceback" not in bot.log()
        lost.append(click)

    run_bot(scenario)
    assert without_unanswered(emulator.take_violations(), *lost) == []


def test_answer_lost_in_a_502_is_retried_once_then_logged_as_acknowledged(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        # Discord posted the answer, but its reply to the bot was lost in a 502.
        emu.server_error(CALLBACKS, status=502, processed=True)

        result = await emu.slash("framework", {"name": "flask"})
        await wait_for_log(emu, bot, LOST_INTERACTION_LOG)
        await assert_still_serving(emu)

        assert [c.status for c in result.callbacks] == [502, 400]
        assert result.message is not None
        assert result.message["embeds"][0]["title"] == "Flask"
        assert result.webhook_requests == []
        assert log_count(bot, LOST_INTERACTION_LOG) == 1
        assert "Interaction has already been acknowledged" in bot.log()
        assert [v.split(": ", 1)[1] for v in emu.take_violations()] == [
            f"interaction {result.id} was acknowledged twice"
        ]

    run_bot(scenario)


# --- The gateway ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        "close 1000",
        "close 1001",
        "close 4000",
        "drop",
        "reconnect",
        "invalid session resumable",
    ],
)
def test_gateway_drop_is_resumed_and_the_next_interaction_answered(
    run_bot: RunBot, fault: str
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        await assert_still_serving(emu, "flask")
        session = emu.gateway.session
        assert session is not None
        seq = session.seq

        await emu.gateway.inject(fault)
        await assert_still_serving(emu)

        assert emu.gateway.identify_count == 1
        assert emu.gateway.resume_count == 1
        assert emu.gateway.resumes[0]["session_id"] == session.id
        assert emu.gateway.resumes[0]["seq"] == seq
        assert emu.gateway.resumed_sent == 1
        assert bot.returncode is None
        # The README's Operations section quotes this line.
        assert f"Shard ID 0 has successfully RESUMED session {session.id}." in bot.log()

    run_bot(scenario)


@pytest.mark.parametrize(
    "fault", ["close 4007", "close 4009", "invalid session", "close 4000 refuse resume"]
)
def test_gateway_session_lost_is_identified_again_and_the_next_interaction_answered(
    run_bot: RunBot, fault: str
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        first = emu.gateway.session

        await emu.gateway.inject(fault)
        await assert_still_serving(emu)

        assert emu.gateway.identify_count == 2
        assert emu.gateway.ready_sent == 2
        assert emu.gateway.session is not first
        assert bot.returncode is None
        assert bot.log().count("Shard ID 0 has connected to Gateway") == 2  # README: Operations

    run_bot(scenario)


def test_gateway_missed_interaction_is_answered_after_the_resume(run_bot: RunBot) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        emu.gateway.drop()
        # Sent while the bot is away: Discord keeps it in the session and replays it.
        result = await emu.send_interaction(
            emu.build_slash("framework", {"name": "flask"}), wait_connected=None
        )
        await emu.wait_answer(result)

        assert result.accepted
        assert result.latency is not None
        assert result.latency < 3.0
        assert emu.gateway.resume_count == 1
        await assert_still_serving(emu)

    run_bot(scenario)


def only_line(log: str, prefix: str) -> str:
    """Return the one line of `log` starting with `prefix`, failing if there is not exactly one."""
    lines = [line for line in log.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, log
    return lines[0]


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (4004, "guidebot: Discord rejected the token: check DISCORD_TOKEN"),
        (4011, "guidebot: Discord closed the gateway for good: code 4011"),
    ],
    ids=["authentication failed", "sharding required"],
)
def test_gateway_final_close_exits_with_one_clear_line(
    run_bot: RunBot, code: int, line: str
) -> None:
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        await emu.gateway.close(code, "Emulated.")
        async with asyncio.timeout(15):
            status = await bot.process.wait()

        log = bot.log()
        assert status == 1, log
        assert only_line(log, "guidebot: ").startswith(line)
        assert "Traceback" not in log
        assert emu.gateway.identify_count == 1, "the close is final: no new IDENTIFY"

    run_bot(scenario)
