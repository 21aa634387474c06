"""The Discord emulator, proven against real discord.py traffic before the bot exists.

A minimal `discord.Client` (tests/emulator/stub_bot.py) runs in-process against it, and as a
subprocess through the same harness the bot's end-to-end tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import payloads
from tests.emulator.emulator import DiscordEmulator, EmulatorTimeoutError
from tests.emulator.harness import (
    STUB_COMMAND,
    BotExitedError,
    BotProcess,
    client_in_process,
    discord_py_pointed_at,
    running_bot,
)
from tests.emulator.stub_bot import StubBot
from tests.emulator.validation import (
    CALLBACK,
    SPEC_PATH,
    Problem,
    SpecValidator,
    invalid_form_body,
    json_path,
    limit_problems,
)

# --- Validation of what a bot sends --------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> SpecValidator:
    return SpecValidator()


def callback_problems(spec: SpecValidator, body: dict[str, Any]) -> list[str]:
    found = spec.match("POST", "/interactions/1/token/callback")
    assert found is not None
    operation, _ = found
    problems = spec.check_request(operation, body) + limit_problems("POST", CALLBACK, body)
    return [f"{p.kind} {json_path(p.path)}: {p.message}" for p in problems]


def test_validator_catches_an_embed_title_over_256_characters(spec: SpecValidator) -> None:
    body = {
        "type": 4,
        "data": {"embeds": [{"title": "x" * 300}], "allowed_mentions": {"parse": []}},
    }

    assert callback_problems(spec, body) == [
        "spec $.data.embeds[0].title: 300 characters, more than the 256 allowed",
        "limit $.data.embeds[0].title: 300 characters, more than the 256 allowed",
    ]


def test_validator_finds_the_same_problems_in_a_body_sent_again(spec: SpecValidator) -> None:
    bad = {"type": 4, "data": {"embeds": [{"title": "x" * 300}]}}
    good = {"type": 4, "data": {"content": "fine", "allowed_mentions": {"parse": []}}}

    first = callback_problems(spec, bad)

    assert first
    assert callback_problems(spec, good) == []
    assert callback_problems(spec, bad) == first
    assert callback_problems(spec, {**bad, "type": 3}) != first  # another body, checked anew


def test_validator_catches_26_autocomplete_choices(spec: SpecValidator) -> None:
    choices = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]

    problems = callback_problems(spec, {"type": 8, "data": {"choices": choices}})

    assert "spec $.data.choices: 26 items, more than the 25 allowed" in problems
    assert "limit $.data.choices: 26 choices, more than the 25 allowed" in problems


def test_validator_names_the_accepted_callback_types(spec: SpecValidator) -> None:
    problems = callback_problems(spec, {"type": 3, "data": {}})

    assert problems == ["spec $.type: type 3 is not one of [1, 12, 13, 4, 5, 6, 7, 8, 9]"]


def test_validator_allows_only_the_leniencies_discord_documents(spec: SpecValidator) -> None:
    found = spec.match("POST", "/channels/1/messages")
    assert found is not None
    operation, _ = found

    def problems(body: dict[str, Any]) -> list[str]:
        return [str(problem) for problem in spec.check_request(operation, body)]

    assert problems({"content": "x", "nonce": "13524802724765644710"}) == []
    assert problems({"content": "x", "allowed_mentions": {"users": [123, "456"]}}) == []
    assert problems({"content": "x", "flags": "4"}) == [
        "spec: $.flags: '4' is not of type ['integer', 'null']"
    ]
    found = spec.match("PUT", "/applications/1/commands")
    assert found is not None
    bulk = [{"name": "a", "description": "b", "default_member_permissions": "8"}]
    assert spec.check_request(found[0], bulk) == []
    bulk[0]["default_member_permissions"] = "eight"
    assert spec.check_request(found[0], bulk) != []


def test_validator_accepts_what_discord_py_sends_for_a_view(spec: SpecValidator) -> None:
    class View(discord.ui.View):
        @discord.ui.button(label="Next", custom_id="next")
        async def next_(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            raise NotImplementedError

    async def build() -> dict[str, Any]:
        view = View()
        view.add_item(discord.ui.Button(label="Docs", url="https://example.com"))
        embed = discord.Embed(title="T", description="D").add_field(name="n", value="v")
        data = {
            "embeds": [embed.to_dict()],
            "components": view.to_components(),
            "allowed_mentions": discord.AllowedMentions.none().to_dict(),
        }
        return {"type": 4, "data": data}

    assert callback_problems(spec, asyncio.run(build())) == []


def message(**data: Any) -> dict[str, Any]:
    return {"type": 4, "data": {"allowed_mentions": {"parse": []}, **data}}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def button(label: str = "Go", custom_id: str | None = "go", **extra: Any) -> dict[str, Any]:
    result = {"type": 2, "style": 1, "label": label, **extra}
    if custom_id is not None:
        result["custom_id"] = custom_id
    return result


def select(options: int = 3, **extra: Any) -> dict[str, Any]:
    entries = [{"label": f"L{i}", "value": f"v{i}"} for i in range(options)]
    return {"type": 3, "custom_id": "pick", "options": entries, **extra}


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "t", **fields}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (message(content="x" * 2001), "$.data.content: 2001 characters"),
        (message(embeds=[embed()] * 11), "$.data.embeds: 11 embeds"),
        (
            message(embeds=[embed(fields=[{"name": "n", "value": "v"}] * 26)]),
            "$.data.embeds[0].fields: 26 fields",
        ),
        (
            message(embeds=[embed(fields=[{"name": "n", "value": "v" * 1025}])]),
            "$.data.embeds[0].fields[0].value: 1025 characters",
        ),
        (message(embeds=[embed(footer={"text": "f" * 2049})]), "$.data.embeds[0].footer.text"),
        (message(embeds=[embed(author={"name": "a" * 257})]), "$.data.embeds[0].author.name"),
        (
            message(embeds=[embed(description="d" * 4000), embed(description="d" * 2001)]),
            "$.data.embeds: 6003 characters across the embeds",
        ),
        (message(components=[row(button())] * 6), "$.data.components: 6 action rows"),
        (
            message(components=[row(*[button(custom_id=f"b{i}") for i in range(6)])]),
            "$.data.components[0].components: 6 buttons",
        ),
        (
            message(components=[row(button(label="x" * 81))]),
            "$.data.components[0].components[0].label: 81 characters",
        ),
        (
            message(components=[row(button(custom_id="c" * 101))]),
            "$.data.components[0].components[0].custom_id: needs 1-100 characters",
        ),
        (
            message(components=[row(button(style=5, url="https://example.com"))]),
            "a link button must not have a custom_id",
        ),
        (
            message(components=[row(button(style=5, custom_id=None))]),
            "a link button needs a url",
        ),
        (
            message(components=[row(button(custom_id="same"), button(custom_id="same"))]),
            "'same' is used twice in one message",
        ),
        (message(components=[row(select(26))]), "26 options, allowed 1-25"),
        (
            message(components=[row(select(placeholder="p" * 151))]),
            "placeholder: 151 characters",
        ),
        (
            message(
                components=[row({**select(), "options": [{"label": "l" * 101, "value": "v"}]})]
            ),
            "options[0].label: 101 characters",
        ),
        (message(components=[row(select(), button())]), "a select menu must be alone in its row"),
        ({"type": 4, "data": {"content": "hi"}}, "$.data.allowed_mentions: missing"),
        (
            {"type": 8, "data": {"choices": [{"name": "n", "value": "v" * 101}]}},
            "$.data.choices[0].value: 101 characters",
        ),
        ({"type": 8, "data": {"choices": [{"name": "", "value": "v"}]}}, "choices[0].name"),
    ],
)
def test_limits_missing_from_the_spec_are_checked(body: dict[str, Any], expected: str) -> None:
    problems = [str(problem) for problem in limit_problems("POST", CALLBACK, body)]

    assert any(expected in problem for problem in problems), problems


def command(**fields: Any) -> dict[str, Any]:
    return {"name": "ping", "description": "Ping it", "type": 1, **fields}


CHOICES = [{"name": f"choice {i:02d}", "value": f"value {i:02d}"} for i in range(10)]


def option(name: str = "text", **fields: Any) -> dict[str, Any]:
    return {"name": name, "description": "Some text", "type": 3, **fields}


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ([command(name="Ping")], "$[0].name: 'Ping' must be lowercase"),
        ([command(name="two words")], "may hold only letters, digits, '-' and '_'"),
        ([command(name="x" * 33)], "needs 1-32 characters"),
        ([command(description="")], "$[0].description: needs 1-100 characters, has 0"),
        ([command(description="d" * 101)], "$[0].description: needs 1-100 characters, has 101"),
        (
            [command(options=[option(f"o{i}") for i in range(26)])],
            "$[0].options: 26 options",
        ),
        ([command(options=[option(description="")])], "$[0].options[0].description"),
        (
            [command(options=[option("a"), option("b", required=True)])],
            "required options must come before optional ones",
        ),
        (
            [command(options=[option(choices=[{"name": "n", "value": "v" * 101}])])],
            "$[0].options[0].choices[0].value: 101 characters",
        ),
        ([command(), command()], "$[1].name: 'ping' is registered twice"),
        (
            [
                command(
                    options=[
                        option(f"o{i}", description="d" * 100, choices=CHOICES) for i in range(25)
                    ]
                )
            ],
            "characters in names, descriptions and choices, more than the 4000 allowed",
        ),
    ],
)
def test_command_registration_limits_are_checked(
    commands: list[dict[str, Any]], expected: str
) -> None:
    problems = [
        str(p) for p in limit_problems("PUT", "/applications/{application_id}/commands", commands)
    ]

    assert any(expected in problem for problem in problems), problems


def test_a_command_patch_is_checked_only_for_what_it_changes() -> None:
    template = "/applications/{application_id}/commands/{command_id}"

    assert limit_problems("PATCH", template, {"options": [option()]}) == []
    assert [str(p) for p in limit_problems("PATCH", template, {"name": "Ping"})] == [
        "limit: $.name: 'Ping' must be lowercase"
    ]
    assert [str(p) for p in limit_problems("POST", template.rsplit("/", 1)[0], {})] == [
        "limit: $.name: a name must be a string",
        "limit: $.description: needs 1-100 characters, has 0",
    ]


def test_invalid_form_body_nests_errors_by_path() -> None:
    body = invalid_form_body([Problem("limit", ("data", "embeds", 0, "title"), "too long")])

    assert body == {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            "data": {
                "embeds": {
                    "0": {"title": {"_errors": [{"code": "EMULATOR_LIMIT", "message": "too long"}]}}
                }
            }
        },
    }


# --- A real discord.py client against the emulator ----------------------------------------

CALLBACKS = "POST /interactions/*/callback"
STUB_COMMANDS = [
    *("ping", "echo", "whois", "later", "slow", "file", "edit", "post", "expire", "ask"),
]


@contextlib.asynccontextmanager
async def stub_bot(emu: DiscordEmulator, **options: Any) -> AsyncIterator[StubBot]:
    """Run the stub client in-process against a started `emu` until the block ends."""
    bot = StubBot(guild_id=int(emu.guild_id), **options)
    async with client_in_process(emu, bot):
        yield bot


def run_with_stub(
    emu: DiscordEmulator,
    scenario: Callable[[DiscordEmulator, StubBot], Awaitable[None]],
    **options: Any,
) -> None:
    async def main() -> None:
        async with emu, stub_bot(emu, **options) as bot:
            await scenario(emu, bot)

    asyncio.run(main())


def test_login_connect_and_sync_go_through_the_emulator(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        assert [request.endpoint for request in emu.requests] == [
            "GET /users/@me",
            "GET /oauth2/applications/@me",
            "GET /gateway/bot",
            "PUT /applications/{application_id}/guilds/{guild_id}/commands",
        ]
        assert all(request.authorization == "bot token" for request in emu.requests)
        assert all("Authorization" not in request.headers for request in emu.requests)
        assert emu.gateway.identifies[0]["token_ok"]
        assert emu.gateway.intents == discord.Intents.default().value
        assert emu.gateway.connections[0].query == {
            "v": "10",
            "encoding": "json",
            "compress": "zlib-stream",
        }
        registered = emu.commands(emu.guild_id)
        assert [command["name"] for command in registered] == STUB_COMMANDS
        assert {
            str(command.id) for command in await bot.tree.fetch_commands(guild=bot_guild(emu))
        } == {command["id"] for command in registered}
        assert bot.user is not None
        assert str(bot.user.id) == emu.application_id

    run_with_stub(emulator, scenario)


def bot_guild(emu: DiscordEmulator) -> discord.Object:
    return discord.Object(int(emu.guild_id))


def test_slash_command_answer_is_stored_with_its_interaction(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("ping")

        assert result.type == 4
        assert result.latency is not None
        assert result.latency < 1
        assert result.data["embeds"][0]["title"] == "Pong"
        message = result.message
        assert message is not None
        assert message["author"]["id"] == emu.application_id
        assert message["interaction_metadata"]["id"] == result.id
        assert message["interaction_metadata"]["user"]["id"] == emu.user["id"]
        labels = [c.get("label") for row in message["components"] for c in row["components"]]
        assert labels == ["Again", "Docs", None]
        assert not result.ephemeral

    run_with_stub(emulator, scenario)


def test_autocomplete_answers_with_choices(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.autocomplete("echo", {"text": "word1"}, focused="text")

        assert result.type == 8
        assert [choice["value"] for choice in result.choices] == [f"word1{n}" for n in range(10)]
        assert result.payload["data"]["options"] == [
            {"name": "text", "type": 3, "value": "word1", "focused": True}
        ]

    run_with_stub(emulator, scenario)


def test_button_click_edits_the_message_in_place(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        ping = await emu.slash("ping")
        assert ping.message is not None

        click = await emu.click(ping.message, "stub:again")

        assert click.type == 7
        assert click.payload["message"]["id"] == ping.message["id"]
        assert ping.message["embeds"][0]["title"] == "Pong again"
        assert ping.message["components"] == []
        assert ping.message["edited_timestamp"] is not None

    run_with_stub(emulator, scenario)


def test_select_sends_the_picked_values(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        ping = await emu.slash("ping")
        assert ping.message is not None

        picked = await emu.select(ping.message, "stub:pick", ["2"])

        assert picked.type == 7
        assert ping.message["content"] == "picked 2"

    run_with_stub(emulator, scenario)


def test_clicking_what_a_user_cannot_click_is_refused(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        ping = await emu.slash("ping")
        echo = await emu.slash("echo", {"text": "hi"})
        assert ping.message is not None
        assert echo.message is not None

        with pytest.raises(LookupError, match="no component 'nope'"):
            await emu.click(ping.message, "nope")
        with pytest.raises(ValueError, match="is not a string select"):
            await emu.select(ping.message, "stub:again", ["1"])
        with pytest.raises(ValueError, match="are not options"):
            await emu.select(ping.message, "stub:pick", ["9"])
        with pytest.raises(ValueError, match="sees ephemeral message"):
            await emu.click(echo.message, "x", user=emu.make_user("other"))

    run_with_stub(emulator, scenario)


def test_user_option_is_resolved_like_discord_does(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        alice = emu.make_user("alice")

        result = await emu.slash("whois", {"user": alice})

        assert result.data["content"] == f"alice ({alice['id']})"
        assert result.payload["data"]["resolved"]["users"] == {alice["id"]: alice}
        assert alice["id"] in result.payload["data"]["resolved"]["members"]

    run_with_stub(emulator, scenario)


def test_options_are_checked_against_the_registered_command(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        with pytest.raises(LookupError, match="no registered command 'nope'"):
            await emu.slash("nope")
        with pytest.raises(LookupError, match="has no option"):
            await emu.slash("echo", {"txt": "hi"})
        with pytest.raises(ValueError, match="needs"):
            await emu.slash("echo")
        with pytest.raises(TypeError, match="is a string option"):
            await emu.slash("echo", {"text": 3})

    run_with_stub(emulator, scenario)


def test_ephemeral_answer_is_marked_ephemeral(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("echo", {"text": "hi"})

        assert result.ephemeral
        assert result.callback is not None
        assert result.callback.response["interaction"]["response_message_ephemeral"] is True

    run_with_stub(emulator, scenario)


def test_first_followup_replaces_the_thinking_message(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("later")
        assert result.type == 5

        followup = await result.wait_webhook("POST *")

        assert followup.query["wait"] == "1"
        assert followup.response["id"] == result.state.original_message_id
        assert result.message is not None
        assert result.message["content"] == "done thinking"
        assert not result.message["flags"] & payloads.LOADING

    run_with_stub(emulator, scenario)


def test_rate_limited_callback_is_retried_after_retry_after(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        fault = emu.rate_limit(CALLBACKS, retry_after=0.3)

        result = await emu.slash("ping")

        assert fault.hits == 1
        assert [callback.status for callback in result.callbacks] == [429, 200]
        assert result.latency is not None
        assert result.first_attempt_latency is not None
        assert result.latency - result.first_attempt_latency >= 0.3
        assert result.accepted

    run_with_stub(emulator, scenario)


def test_429_without_via_header_is_not_retried(emulator: DiscordEmulator) -> None:
    """discord.py takes a 429 without `Via` for a Cloudflare ban and raises at once."""

    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        emu.rate_limit(CALLBACKS, via=False)

        result = await emu.send_interaction(emu.build_slash("ping"))
        await emu.wait_until(lambda: bot.errors, what="the command to fail")

        assert [callback.status for callback in result.callbacks] == [429]
        assert isinstance(bot.errors[0], discord.HTTPException)
        assert bot.errors[0].status == 429
        emu.response_deadline = 0
        assert emu.take_violations() == [
            f"[protocol] interaction 'ping' ({result.id}) was never answered"
        ]

    run_with_stub(emulator, scenario)


def test_server_error_on_callback_is_retried_a_second_later(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        emu.server_error(CALLBACKS, status=500)

        result = await emu.slash("ping")

        assert [callback.status for callback in result.callbacks] == [500, 200]
        assert result.latency is not None
        assert 1.0 <= result.latency < 2.0

    run_with_stub(emulator, scenario)


def test_delayed_requests_are_answered_late_but_normally(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        fault = emu.delay("POST /webhooks/*", 0.3)

        result = await emu.slash("later")
        followup = await result.wait_webhook("POST *")

        assert fault.hits == 1
        assert followup.fault == "delay 0.3s"
        assert followup.status == 200
        assert followup.responded_at is not None
        assert followup.responded_at - followup.received_at >= 0.3

    run_with_stub(emulator, scenario)


def test_lost_answer_then_retry_is_already_acknowledged(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        emu.server_error(CALLBACKS, status=502, processed=True)

        result = await emu.slash("ping")
        await emu.wait_until(lambda: bot.errors, what="the command to fail")

        assert [callback.status for callback in result.callbacks] == [502, 400]
        assert result.callback is not None
        assert result.callback.response == {
            "message": "Interaction has already been acknowledged.",
            "code": 40060,
        }
        assert isinstance(bot.errors[0], discord.HTTPException)
        assert bot.errors[0].code == 40060
        assert result.message is not None, "the first attempt did create the message"
        assert [v.split(": ", 1)[1] for v in emu.take_violations()] == [
            f"interaction {result.id} was acknowledged twice"
        ]

    run_with_stub(emulator, scenario)


def test_late_first_answer_is_an_unknown_interaction(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        emu.response_deadline = 0.2

        result = await emu.slash("slow", {"seconds": 0.4})

        assert result.callback is not None
        assert result.callback.status == 404
        assert result.callback.response == {"message": "Unknown interaction", "code": 10062}
        violations = emu.take_violations()
        assert len(violations) == 2
        assert "past the 0.2s deadline" in violations[0]
        assert violations[1].endswith("was never answered")

    run_with_stub(emulator, scenario)


@pytest.mark.parametrize(
    "fault",
    ["close 4000", "close 1000", "close 1001", "drop", "reconnect", "invalid session resumable"],
)
def test_bot_resumes_after_a_resumable_disconnect(emulator: DiscordEmulator, fault: str) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        await emu.slash("ping")
        seq_before = emu.gateway.session.seq if emu.gateway.session else 0

        await emu.gateway.inject(fault)
        result = await emu.slash("ping")

        assert result.accepted
        assert emu.gateway.identify_count == 1
        assert emu.gateway.resume_count == 1
        assert emu.gateway.resumes[0]["seq"] >= seq_before
        assert emu.gateway.resumed_sent == 1

    run_with_stub(emulator, scenario)


@pytest.mark.parametrize(
    "fault", ["invalid session", "close 4009", "close 4007", "close 4000 refuse resume"]
)
def test_bot_identifies_again_when_the_session_is_gone(
    emulator: DiscordEmulator, fault: str
) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        first = emu.gateway.session

        await emu.gateway.inject(fault)
        result = await emu.slash("ping")

        assert result.accepted
        assert emu.gateway.identify_count == 2
        assert emu.gateway.session is not first
        assert emu.gateway.ready_sent == 2

    run_with_stub(emulator, scenario)


def test_bot_reconnects_when_the_gateway_goes_silent() -> None:
    emu = DiscordEmulator(heartbeat_interval_ms=100)
    emu.gateway.ack_heartbeats = False

    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        await emu.wait_until(lambda: emu.gateway.resume_count, what="a RESUME")

        assert emu.gateway.connections[0].close_code == 4000
        assert emu.gateway.heartbeats >= 3
        assert emu.gateway.frames_where(lambda frame: frame.op == 11) == []

    run_with_stub(emu, scenario, heartbeat_timeout=0.5)
    assert emu.violations() == []


def test_events_missed_while_disconnected_are_replayed_on_resume(
    emulator: DiscordEmulator,
) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        emu.gateway.drop()

        result = await emu.send_interaction(emu.build_slash("ping"), wait_connected=None)
        await emu.wait_answer(result)

        assert result.accepted
        assert emu.gateway.resume_count == 1
        replayed = emu.gateway.frames_where(
            lambda frame: frame.t == "INTERACTION_CREATE" and frame.connection == 2
        )
        assert [frame.d["id"] for frame in replayed] == [result.id]

    run_with_stub(emulator, scenario)


def test_authentication_failure_stops_the_client(emulator: DiscordEmulator) -> None:
    async def main() -> None:
        async with emulator:
            with discord_py_pointed_at(emulator):
                bot = StubBot(guild_id=int(emulator.guild_id))
                running = asyncio.create_task(bot.start(emulator.token))
                await emulator.wait_ready(10)

                await emulator.gateway.close(4004, "Authentication failed.")

                with pytest.raises(discord.ConnectionClosed) as closed:
                    await asyncio.wait_for(running, 10)
                assert closed.value.code == 4004
                assert emulator.gateway.identify_count == 1

    asyncio.run(main())


def test_wrong_token_fails_login_and_is_a_violation(emulator: DiscordEmulator) -> None:
    async def main() -> None:
        async with emulator:
            with discord_py_pointed_at(emulator):
                bot = StubBot(guild_id=None)
                with pytest.raises(discord.LoginFailure):
                    await bot.start("not-the-token")
                await bot.close()

    asyncio.run(main())

    assert emulator.take_violations() == [
        "[protocol] GET /users/@me (#0): Authorization header is wrong"
    ]


def test_emulator_answers_like_the_spec_says(emulator: DiscordEmulator) -> None:
    """Self-check: every response the emulator gave matches the spec's response schema."""

    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        ping = await emu.slash("ping")
        assert ping.message is not None
        await emu.click(ping.message, "stub:again")
        await emu.autocomplete("echo", {"text": ""}, focused="text")
        await emu.select((await emu.slash("ping")).message or {}, "stub:pick", ["0"])
        await (await emu.slash("later")).wait_webhook("POST *")
        await emu.slash("echo", {"text": "hi"})
        await emu.slash("file")
        await (await emu.slash("edit")).wait_webhook("DELETE *")
        await emu.slash("post")
        await emu.wait_for_request("DELETE /channels/*", since=0)

    run_with_stub(emulator, scenario)

    checked = 0
    for request in emulator.requests:
        matched = emulator.validator.match(request.method, request.path)
        assert matched is not None
        assert request.status is not None
        problems = emulator.validator.check_response(matched[0], request.status, request.response)
        assert problems == [], request
        checked += request.response is not None
    assert checked >= 10


def test_rejected_bodies_get_discords_400_and_unknown_routes_404(emulator: DiscordEmulator) -> None:
    async def main() -> None:
        async with emulator, aiohttp.ClientSession() as http:
            auth = {"Authorization": f"Bot {emulator.token}"}
            url = f"{emulator.api_base}/channels/{emulator.channel_id}/messages"
            body = {"content": "x" * 2001, "allowed_mentions": {"parse": []}}
            async with http.post(url, json=body, headers=auth) as response:
                assert response.status == 400
                assert response.headers["Content-Type"] == "application/json"
                error = await response.json()
            async with http.get(f"{emulator.api_base}/nothing/here", headers=auth) as response:
                assert response.status == 404
                assert await response.json() == {"message": "404: Not Found", "code": 0}
            async with http.get(f"{emulator.api_base}/users/@me") as response:
                assert response.status == 401

        assert error["code"] == 50035
        assert error["errors"]["content"]["_errors"][0]["message"].startswith("2001 characters")

    asyncio.run(main())

    violations = emulator.take_violations()
    assert any("$.content: 2001 characters" in v for v in violations), violations
    assert any("GET /nothing/here" in v and "not an operation" in v for v in violations)
    assert any("Authorization header is absent" in v for v in violations)
    assert [request.handled for request in emulator.requests] == [True, False, True]


# --- The subprocess harness ---------------------------------------------------------------


@pytest.mark.e2e
def test_harness_runs_a_bot_process_and_stops_it(emulator: DiscordEmulator, tmp_path: Path) -> None:
    async def main() -> BotProcess:
        async with emulator, running_bot(emulator, command=STUB_COMMAND, workdir=tmp_path) as bot:
            assert bot.returncode is None
            result = await emulator.slash("ping")
            assert result.data["embeds"][0]["title"] == "Pong"
        return bot

    bot = asyncio.run(main())

    assert bot.returncode == 0, bot.log()
    assert f"dev_guild_id = {emulator.guild_id}" in bot.config_path.read_text()
    assert emulator.command_syncs == [(emulator.guild_id, STUB_COMMANDS)]
    assert "has connected to Gateway" in bot.log()
    assert emulator.token not in bot.log()


def test_harness_reports_a_bot_that_exits_before_ready(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    command = [sys.executable, "-c", "print('no config'); raise SystemExit(3)"]

    async def main() -> None:
        async with emulator, running_bot(emulator, command=command, workdir=tmp_path):
            pytest.fail("the bot cannot be ready")

    with pytest.raises(BotExitedError, match=r"exited with 3 before it was ready(.|\n)*no config"):
        asyncio.run(main())


def test_harness_flags_a_token_in_the_bots_log(emulator: DiscordEmulator, tmp_path: Path) -> None:
    leak = "import os; print('token is', os.environ['DISCORD_TOKEN'])"

    async def main() -> None:
        command = [sys.executable, "-c", leak]
        async with emulator, running_bot(emulator, command=command, workdir=tmp_path):
            pass

    with pytest.raises(BotExitedError):
        asyncio.run(main())

    assert emulator.take_violations() == [
        f"[policy] the bot's log contains its token ({tmp_path / 'bot.log'})"
    ]


def test_harness_gives_up_on_a_bot_that_never_gets_ready(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    command = [sys.executable, "-c", "import time; print('stuck', flush=True); time.sleep(60)"]

    async def run() -> None:
        async with emulator:
            with pytest.raises(EmulatorTimeoutError, match="stuck"):
                async with running_bot(
                    emulator, command=command, workdir=tmp_path, ready_timeout=0.5
                ):
                    pass

    asyncio.run(run())


def test_file_upload_is_recorded_from_the_multipart_body(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("file")

        assert result.callback is not None
        assert result.callback.headers["Content-Type"].startswith("multipart/form-data")
        assert result.callback.files == [
            {
                "name": "files[0]",
                "filename": "hello.txt",
                "content_type": "application/octet-stream",
                "size": 5,
            }
        ]
        assert result.data["content"] == "see file"
        assert result.message is not None
        [attachment] = result.message["attachments"]
        assert (attachment["filename"], attachment["size"]) == ("hello.txt", 5)
        assert attachment["description"] == "Hi"

    run_with_stub(emulator, scenario)


def test_original_and_followup_messages_are_edited_and_deleted(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("edit")

        deleted = await result.wait_webhook("DELETE *")

        assert [request.endpoint for request in result.webhook_requests] == [
            "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
            "POST /webhooks/{webhook_id}/{webhook_token}",
            "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        ]
        assert result.message is not None
        assert result.message["content"] == "second"
        assert deleted.params["message_id"] in emu.deleted_messages
        assert deleted.params["message_id"] not in emu.messages
        followup = emu.deleted_messages[deleted.params["message_id"]]
        assert (
            followup["interaction_metadata"]["original_response_message_id"] == result.message["id"]
        )

    run_with_stub(emulator, scenario)


def test_channel_messages_are_posted_edited_and_deleted(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        start = len(emu.requests)

        await emu.slash("post")
        deleted = await emu.wait_for_request("DELETE /channels/*", since=start)

        assert [request.endpoint for request in emu.requests[start + 1 :]] == [
            "POST /channels/{channel_id}/messages",
            "PATCH /channels/{channel_id}/messages/{message_id}",
            "DELETE /channels/{channel_id}/messages/{message_id}",
        ]
        posted = emu.deleted_messages[deleted.params["message_id"]]
        assert posted["content"] == "hello!"
        assert posted["channel_id"] == emu.channel_id

    run_with_stub(emulator, scenario)


def test_view_timeout_edit_is_awaited_without_sleeping(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        result = await emu.slash("expire", {"seconds": 0.3})

        edit = await result.wait_webhook("PATCH */@original")

        assert edit.json["components"] == []
        assert result.message is not None
        assert result.message["content"] == "expired"
        assert edit.received_at - result.state.sent_at >= 0.3

    run_with_stub(emulator, scenario)


def test_modal_is_shown_and_submitted(emulator: DiscordEmulator) -> None:
    async def scenario(emu: DiscordEmulator, bot: StubBot) -> None:
        asked = await emu.slash("ask")
        assert asked.type == 9
        assert asked.data["title"] == "Ask"
        with pytest.raises(LookupError, match="no text input"):
            await emu.submit_modal(asked, {"stub:nope": "why?"})

        submitted = await emu.submit_modal(asked, {"stub:question": "why?"})

        assert submitted.payload["type"] == 5
        assert submitted.type == 4
        assert submitted.data["content"] == "you asked: why?"

    run_with_stub(emulator, scenario)


def test_a_missing_spec_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"set DISCORD_API_SPEC to an openapi\.json"):
        SpecValidator(tmp_path / "openapi.json")


def test_the_spec_kept_in_the_repository_is_the_one_its_source_names() -> None:
    spec_dir = Path(__file__).parent / "emulator" / "discord-api-spec"
    digest = hashlib.sha256((spec_dir / "openapi.json").read_bytes()).hexdigest()
    assert digest in (spec_dir / "SOURCE.md").read_text()
    assert "MIT" in (spec_dir / "LICENSE").read_text()


def test_discord_api_spec_names_another_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "newer.json"
    other.write_bytes(SPEC_PATH.read_bytes())
    monkeypatch.setenv("DISCORD_API_SPEC", str(other))
    assert SpecValidator().spec_path == other


def test_every_emulator_shares_the_validator_of_its_spec(tmp_path: Path) -> None:
    other = tmp_path / "openapi.json"
    other.write_bytes(SPEC_PATH.read_bytes())

    assert DiscordEmulator().validator is DiscordEmulator().validator
    assert DiscordEmulator(spec_path=other).validator is not DiscordEmulator().validator


def test_two_emulators_made_at_once_name_different_servers_and_channels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(payloads.time, "time", lambda: 1_800_000_000.0)  # the same millisecond

    first, second = DiscordEmulator(), DiscordEmulator()

    assert first.guild_id != second.guild_id
    assert first.channel_id != second.channel_id
