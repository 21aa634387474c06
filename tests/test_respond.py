"""bot/respond.py on its own: deferring, the one response, the cooldown, and errors told kindly.

The end-to-end tests drive the same code through the emulator; these reach each branch directly,
with a recording interaction (tests/interactions.py) in place of discord.py's.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.webhook.async_ import async_context

from bot import replies, respond
from bot.bot import _Callback
from bot.cooldown import Cooldown, LocalCooldown
from bot.json_answers import JsonExchange
from bot.metrics import Metrics
from bot.replies import Reply
from bot.respond import GENERIC_ERROR, Responder, report_error
from bot.store import Snapshot
from bot.walkthrough import Walkthrough
from tests.conftest import make_guide
from tests.interactions import (
    CLIENT_HTTP,
    Call,
    FakeInteraction,
    RecordingWebhooks,
    http_error,
    interaction_json,
)

SNAPSHOT = Snapshot.of(make_guide())
CARD = replies.framework_reply(SNAPSHOT, "django", asker=1)
NOT_FOUND = replies.framework_reply(SNAPSHOT, "pizza", asker=1)
"""Not in the guide: an answer for the asker alone."""
LOST = [(404, respond.UNKNOWN_INTERACTION), (400, respond.ALREADY_ACKNOWLEDGED)]
GAVE_UP = [429, 500, 503]


def responder(*, timeout: float = 900.0) -> Responder:
    return Responder(LocalCooldown(Cooldown(60)), walkthrough_timeout=timeout)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def description(call: Call) -> str:
    """The text of the first embed a call sent."""
    return call.embeds[0].description or ""


# --- Deferring ------------------------------------------------------------------------------


def test_a_quick_answer_is_the_first_response_with_no_defer() -> None:
    interaction = FakeInteraction()

    run(responder().answer(interaction, lambda: CARD, hidden=False))

    assert interaction.names() == ["response.send_message"]
    assert interaction.only("response.send_message").kwargs["ephemeral"] is False


@pytest.mark.parametrize(
    ("frameworks", "in_thread"),
    [
        (1, False),
        (respond.INLINE_BUILD_MAX_FRAMEWORKS, False),
        (respond.INLINE_BUILD_MAX_FRAMEWORKS + 1, True),
    ],
)
def test_a_small_guide_builds_on_the_event_loop_a_large_one_in_a_thread(frameworks, in_thread):
    built_in: list[int] = []

    def build() -> Reply:
        built_in.append(threading.get_ident())
        return CARD

    interaction = FakeInteraction()
    sized = Responder(
        LocalCooldown(Cooldown(60)), walkthrough_timeout=900, guide_size=lambda: frameworks
    )
    run(sized.answer(interaction, build, hidden=False))

    assert (built_in != [threading.get_ident()]) is in_thread
    assert interaction.names() == ["response.send_message"]


def answer_slowly(
    monkeypatch: pytest.MonkeyPatch, interaction: FakeInteraction, reply: Reply, *, hidden: bool
) -> None:
    """Answer with a build that finishes only once the bot has deferred: past the deadline."""
    monkeypatch.setattr(respond, "DEFER_AFTER_SECONDS", 0.01)
    deferred = threading.Event()
    interaction.on_call = lambda call: deferred.set() if call.name == "response.defer" else None

    def build() -> Reply:
        assert deferred.wait(timeout=10), "the bot never deferred"
        return reply

    run(responder().answer(interaction, build, hidden=hidden))


@pytest.mark.parametrize(
    ("reply", "hidden", "calls", "private"),
    [
        (CARD, False, ["response.defer", "followup.send"], False),
        # The first followup takes the place of the public "thinking…" and would be public too.
        (
            NOT_FOUND,
            False,
            ["response.defer", "delete_original_response", "followup.send"],
            True,
        ),
        (NOT_FOUND, True, ["response.defer", "followup.send"], True),
    ],
    ids=["public", "private after a public defer", "hidden"],
)
def test_a_slow_answer_defers_then_follows_up(
    monkeypatch: pytest.MonkeyPatch, reply: Reply, hidden: bool, calls: list[str], private: bool
) -> None:
    interaction = FakeInteraction()

    answer_slowly(monkeypatch, interaction, reply, hidden=hidden)

    assert interaction.names() == calls
    assert interaction.only("response.defer").kwargs == {"ephemeral": hidden, "thinking": True}
    assert interaction.only("followup.send").kwargs["ephemeral"] is private


# --- The cooldown -------------------------------------------------------------------------


def test_the_same_public_answer_twice_in_a_channel_points_to_the_first() -> None:
    bot = responder()
    first, second, elsewhere = FakeInteraction(), FakeInteraction(), FakeInteraction(channel_id=21)

    async def ask() -> None:
        for interaction in (first, second, elsewhere):
            await bot.send(interaction, CARD)

    run(ask())

    sent = first.only("response.send_message")
    pointer = second.only("response.send_message")
    assert sent.embeds[0].title == "Django"
    assert pointer.kwargs["ephemeral"] is True
    link = first.posted[0].jump_url
    assert description(pointer) == f"That answer was posted in this channel [just above]({link})."
    assert elsewhere.only("response.send_message").embeds[0].title == "Django"


def card_then_the_card_for_a_friend(*, first_posted: bool) -> tuple[Call, str | None]:
    """Post the Django card, then ask for it again for user 9 in the same channel.

    Return the second answer's call, and the first card's link.
    """
    bot = responder()
    first, second = FakeInteraction(), FakeInteraction()
    if not first_posted:  # Discord named no message, nor can it be read back yet
        first.callback_names_message = False
        first.fail("original_response", http_error(404, 10008, "Unknown Message"))
    for_friend = replies.framework_reply(SNAPSHOT, "django", asker=1, mention=9)

    async def ask() -> None:
        await bot.send(first, CARD)
        await bot.send(second, for_friend)

    run(ask())
    return second.only("response.send_message"), first.posted[0].jump_url


def test_a_repeated_answer_for_someone_still_reaches_them() -> None:
    pointer, link = card_then_the_card_for_a_friend(first_posted=True)

    assert pointer.kwargs["ephemeral"] is False
    assert pointer.kwargs["content"] == f"<@9>, this one is for you: {link}"
    assert pointer.kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": [9]}


def test_a_repeated_answer_for_someone_while_the_first_is_on_its_way_is_sent_again() -> None:
    again, _ = card_then_the_card_for_a_friend(first_posted=False)

    assert again.embeds[0].title == "Django"
    assert again.kwargs["content"].startswith("<@9>")


def test_a_note_for_the_asker_follows_a_public_answer_privately() -> None:
    interaction = FakeInteraction()
    noted = replace(CARD, note="Nobody was pinged: mentions are off in this channel.")

    run(responder().send(interaction, noted))

    assert interaction.names() == ["response.send_message", "followup.send"]
    note = interaction.only("followup.send").kwargs
    assert note["ephemeral"] is True
    assert note["content"] == "Nobody was pinged: mentions are off in this channel."


def test_an_answer_whose_callback_names_no_message_is_read_back_for_the_pointer() -> None:
    bot = responder()
    over_http, second = FakeInteraction(callback_names_message=False), FakeInteraction()

    async def ask() -> None:
        await bot.send(over_http, CARD)
        await bot.send(second, CARD)

    run(ask())

    assert over_http.names() == ["response.send_message", "original_response"]
    link = over_http.posted[0].jump_url
    pointer = second.only("response.send_message")
    assert description(pointer) == f"That answer was posted in this channel [just above]({link})."


def test_with_the_cooldown_off_an_answer_is_not_read_back() -> None:
    bot = Responder(LocalCooldown(Cooldown(0)), walkthrough_timeout=900)
    over_http, again = FakeInteraction(callback_names_message=False), FakeInteraction()

    async def ask() -> None:
        await bot.send(over_http, CARD)
        await bot.send(again, CARD)

    run(ask())

    assert over_http.names() == ["response.send_message"]
    assert description(again.only("response.send_message")) == description(
        over_http.only("response.send_message")
    )


def test_an_answer_that_failed_to_post_lets_the_next_asker_have_it() -> None:
    bot = responder()
    failed, next_asker = FakeInteraction(), FakeInteraction()
    failed.fail("response.send_message", http_error(500))

    async def ask() -> None:
        with pytest.raises(discord.HTTPException):
            await bot.send(failed, CARD)
        await bot.send(next_asker, CARD)

    run(ask())

    assert next_asker.only("response.send_message").embeds[0].title == "Django"


def clicked(message_id: int) -> tuple[JsonExchange, RecordingWebhooks]:
    """A click on a component of message `message_id`, as the gateway answers it from its JSON;
    and the webhook adapter that records its answer (to be set as the adapter of the moment)."""
    data = {"custom_id": "gb:del:1", "component_type": 2}
    payload = interaction_json(3, data, message={"id": str(message_id)})
    client = SimpleNamespace(http=CLIENT_HTTP, metrics=Metrics())
    return _Callback(client, payload), RecordingWebhooks()  # type: ignore[arg-type]


@pytest.mark.parametrize(("cooldown", "located"), [(60, True), (0, False)], ids=["on", "off"])
def test_a_gateway_callback_asks_discord_for_the_message_only_when_the_cooldown_needs_it(
    cooldown: int, located: bool
) -> None:
    payload = interaction_json(2, {"id": "5", "type": 1, "name": "framework"})
    exchange = _Callback(SimpleNamespace(http=CLIENT_HTTP, metrics=Metrics()), payload)  # type: ignore[arg-type]
    webhooks = RecordingWebhooks()

    async def answer() -> None:
        async_context.set(webhooks)  # type: ignore[arg-type]
        await Responder(LocalCooldown(Cooldown(cooldown)), walkthrough_timeout=900).send(
            exchange, CARD
        )

    run(answer())

    assert webhooks.names() == ["callback"]
    assert webhooks.located == [located]


def test_a_deleted_answer_lets_the_next_asker_have_it_again() -> None:
    bot = responder()
    first = FakeInteraction()

    async def ask_delete_ask() -> FakeInteraction:
        await bot.send(first, CARD)
        click, webhooks = clicked(first.posted[0].id)
        async_context.set(webhooks)  # type: ignore[arg-type]
        await bot.delete(click)
        assert webhooks.names() == [
            "callback",
            "delete original",
        ]
        again = FakeInteraction()
        await bot.send(again, CARD)
        return again

    again = run(ask_delete_ask())

    assert again.only("response.send_message").embeds[0].title == "Django"


# --- Editing and expiry -------------------------------------------------------------------


@pytest.mark.parametrize("acknowledged", [False, True])
def test_an_edit_replaces_the_message_through_whichever_response_is_left(
    acknowledged: bool,
) -> None:
    click, webhooks = clicked(555)

    async def edit() -> None:
        async_context.set(webhooks)  # type: ignore[arg-type]
        if acknowledged:
            await click.acknowledge()
        await responder().edit(click, CARD)

    run(edit())

    name, sent = webhooks.calls[-1]
    if acknowledged:
        assert name == "edit original"
        assert "tts" not in sent
    else:
        assert (name, sent["type"]) == ("callback", 7)
        sent = sent["data"]
    assert sent["embeds"][0]["title"] == "Django"
    assert sent["components"][-1]["components"][-1]["label"] == "Delete"


def test_a_walkthrough_left_alone_is_disabled_once_its_timeout_passes() -> None:
    walk = replies.walkthrough_reply(Walkthrough(SNAPSHOT.guide), owner=1)
    interaction = FakeInteraction()

    async def start_and_wait() -> None:
        bot = responder(timeout=0.01)
        disabled = asyncio.Event()
        interaction.on_call = lambda call: (
            disabled.set() if call.name == "edit_original_response" else None
        )
        await bot.send(interaction, walk)
        await asyncio.wait_for(disabled.wait(), timeout=10)
        bot.close()

    run(start_and_wait())

    view = interaction.only("edit_original_response").kwargs["view"]
    buttons = [c for row in view.to_components() for c in row["components"] if c["type"] == 2]
    assert buttons
    assert [b["label"] for b in buttons if "url" not in b and not b["disabled"]] == ["Delete"]


# --- Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), LOST, ids=["10062", "40060"])
def test_a_lost_interaction_is_logged_once_and_not_answered(
    status: int, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction()
    error = http_error(status, code, "Unknown interaction")

    run(report_error(interaction, app_commands.CommandInvokeError(command_stub(), error)))

    assert interaction.calls == []
    assert [r.getMessage() for r in caplog.records] == [
        f"interaction {interaction.id} could not be answered: Unknown interaction"
    ]
    assert caplog.records[0].levelno == logging.WARNING


@pytest.mark.parametrize("status", GAVE_UP)
def test_after_a_rate_limit_or_server_error_no_reply_takes_the_same_route(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction()

    run(report_error(interaction, http_error(status, 0, "slow down")))

    assert interaction.calls == []
    assert [r.getMessage() for r in caplog.records] == [
        f"gave up on interaction {interaction.id}: Discord answered {status} slow down"
    ]


@pytest.mark.parametrize("deferred", [False, True])
def test_an_unexpected_error_is_logged_with_its_traceback_and_told_privately(
    deferred: bool, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction()

    async def fail() -> None:
        if deferred:
            await interaction.response.defer(thinking=True)
        await report_error(interaction, RuntimeError("boom"))

    run(fail())

    told = interaction.only("followup.send" if deferred else "response.send_message")
    assert told.kwargs["ephemeral"] is True
    assert description(told) == GENERIC_ERROR
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"command failed: framework (interaction {interaction.id})"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "boom"


@pytest.mark.parametrize(
    ("error", "told"),
    [
        (
            app_commands.MissingPermissions(["manage_guild"]),
            "You need the Manage Server permission for that.",
        ),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 5), 4.2), "try again in 4 s"),
        (app_commands.CheckFailure(), "You can't use that command here."),
    ],
)
def test_a_user_error_is_told_plainly_and_not_logged_as_a_failure(
    error: app_commands.AppCommandError, told: str, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = FakeInteraction()

    run(report_error(interaction, error))

    call = interaction.only("response.send_message")
    assert call.kwargs["ephemeral"] is True
    assert told in description(call)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_error_reply_that_fails_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    interaction = FakeInteraction()
    interaction.fail("response.send_message", http_error(500))

    run(report_error(interaction, RuntimeError("boom")))

    assert "could not tell the user about an error: 500 Server Error" in caplog.text


def command_stub() -> Any:
    """A command for CommandInvokeError, which only keeps it for its name."""

    async def framework(interaction: discord.Interaction) -> None:
        """Answer."""

    return app_commands.Command(name="framework", description="Answer.", callback=framework)
