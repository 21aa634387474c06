"""The HTTP endpoint's gate: Discord's signature, its clock, the body size, and PING.

These run the endpoint's aiohttp application in the test process (on 127.0.0.1, port 0); the
end-to-end tests in test_e2e_http.py run the real `guidebot serve` process.
"""

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from nacl.signing import SigningKey

from bot import bot as bot_module
from bot import endpoint
from bot.bot import EXTENSIONS, GuideBot
from bot.config import Config
from bot.endpoint import PublicKeyError, build_app, is_signed, verify_key
from bot.store import GuideStore
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.endpoint import signature_headers
from tests.interactions import interaction_json

KEY = SigningKey(bytes(range(32)))
PUBLIC_KEY = KEY.verify_key.encode().hex()
NOW = 1_800_000_000
PING = json.dumps({"type": 1, "id": "1", "application_id": "2", "version": 1}).encode()
MIB = 1024 * 1024
STATUS = {"name": "status", "type": 1}
"""/guide status: an admin command, which discord.py answers."""


def post(body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """POST to /interactions of a fresh endpoint whose clock says NOW."""

    async def scenario():
        bot = GuideBot(Config(guide_path=SHIPPED_GUIDE), GuideStore.open(SHIPPED_GUIDE))
        app = build_app(bot, verify_key(PUBLIC_KEY), clock=lambda: NOW)
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            response = await client.post("/interactions", data=body, headers=headers)
            return response.status, await response.read(), response.content_type

    return asyncio.run(scenario())


def signed(body: bytes, *, at: int = NOW, key: SigningKey = KEY) -> dict[str, str]:
    return signature_headers(key, body, str(at))


def test_a_signed_ping_gets_type_1():
    status, body, content_type = post(PING, signed(PING))
    assert status == 200
    assert content_type == "application/json"
    assert json.loads(body) == {"type": 1}


def test_an_unsigned_ping_gets_401():
    status, _, _ = post(PING, {"Content-Type": "application/json"})
    assert status == 401


@pytest.mark.parametrize("missing", ["X-Signature-Ed25519", "X-Signature-Timestamp"])
def test_a_missing_signature_header_gets_401(missing):
    headers = signed(PING)
    del headers[missing]
    assert post(PING, headers)[0] == 401


def test_a_tampered_body_gets_401():
    headers = signed(PING)
    tampered = PING.replace(b'"id": "1"', b'"id": "9"')
    assert tampered != PING
    assert post(tampered, headers)[0] == 401


def test_a_signature_by_another_key_gets_401():
    assert post(PING, signed(PING, key=SigningKey.generate()))[0] == 401


@pytest.mark.parametrize("signature", ["", "zz" * 64, "ab" * 63, "ab" * 65, "é" * 128])
def test_a_malformed_signature_gets_401(signature):
    headers = signed(PING)
    headers["X-Signature-Ed25519"] = signature
    assert post(PING, headers)[0] == 401


@pytest.mark.parametrize("offset", [-301, 301, -3600, 86_400])
def test_a_timestamp_more_than_5_minutes_from_now_gets_401(offset):
    assert post(PING, signed(PING, at=NOW + offset))[0] == 401


@pytest.mark.parametrize("offset", [-300, -5, 0, 5, 300])
def test_a_timestamp_within_5_minutes_is_accepted(offset):
    assert post(PING, signed(PING, at=NOW + offset))[0] == 200


def test_a_timestamp_that_is_not_a_number_gets_401():
    headers = signature_headers(KEY, PING, "yesterday")
    assert post(PING, headers)[0] == 401


def test_a_body_over_1_mib_gets_413_even_when_signed():
    body = b" " * (MIB + 1)
    assert post(body, signed(body))[0] == 413


def test_a_body_of_exactly_1_mib_is_read():
    body = PING + b" " * (MIB - len(PING))
    assert len(body) == MIB
    status, answer, _ = post(body, signed(body))
    assert (status, json.loads(answer)) == (200, {"type": 1})


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"type": "1"}', b"{}"])
def test_a_signed_body_that_is_not_an_interaction_gets_400(body):
    assert post(body, signed(body))[0] == 400


def test_a_signed_body_with_a_lone_surrogate_escape_is_read_as_json_allows_it():
    # JSON allows "\ud800" (a JavaScript string may hold one); a stricter parser would refuse
    # the interaction, and over the gateway the same parser would drop the whole connection.
    body = json.dumps({"type": 1, "id": "1", "application_id": "2", "data": {"name": "\ud800"}})
    assert "\\ud800" in body
    status, answer, _ = post(body.encode(), signed(body.encode()))
    assert (status, json.loads(answer)) == (200, {"type": 1})


def test_is_signed_checks_signature_then_clock():
    body = b'{"type": 1}'
    good = signed(body)
    signature, stamp = good["X-Signature-Ed25519"], good["X-Signature-Timestamp"]
    key = verify_key(PUBLIC_KEY)
    assert is_signed(key, signature, stamp, body, now=NOW)
    assert not is_signed(key, signature, stamp, body + b" ", now=NOW)
    assert not is_signed(key, signature, stamp, body, now=NOW + 301)
    assert not is_signed(key, None, stamp, body, now=NOW)
    assert not is_signed(key, signature, None, body, now=NOW)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "it is empty"),
        ("abc", "got 3 characters"),
        (PUBLIC_KEY + "0", "got 65 characters"),
        ("g" * 64, "it has characters that are not hexadecimal"),
    ],
)
def test_a_public_key_that_is_not_64_hex_characters_is_refused_in_one_line(text, why):
    with pytest.raises(PublicKeyError) as raised:
        verify_key(text)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("the public key must be 64 hexadecimal characters")
    assert message.endswith(why)


def test_a_public_key_in_either_case_with_spaces_around_is_accepted():
    assert verify_key(f"  {PUBLIC_KEY.upper()}\n").encode().hex() == PUBLIC_KEY


# --- What is answered from the JSON, and what goes through discord.py ----------------------


def interaction(kind: int, data: dict[str, Any], *, dm: bool = False) -> bytes:
    """Return an interaction from user 30 in server 10's channel 20 (or a DM), as Discord sends."""
    return json.dumps(interaction_json(kind, {"id": "50", "type": 1, **data}, dm=dm)).encode()


def answers(monkeypatch: pytest.MonkeyPatch, body: bytes) -> tuple[int, Any, int]:
    """POST `body`, signed, to a bot with its cogs loaded; return the status, the JSON answer,
    and how many interactions went to discord.py's parser (which, here, answers none)."""
    parsed: list[Any] = []

    async def scenario() -> tuple[int, Any]:
        bot = GuideBot(
            Config(guide_path=SHIPPED_GUIDE, insight_url=""), GuideStore.open(SHIPPED_GUIDE)
        )
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        monkeypatch.setattr(bot._connection, "parse_interaction_create", parsed.append)
        monkeypatch.setattr(endpoint, "ANSWER_DEADLINE_SECONDS", 0.2)
        app = build_app(bot, verify_key(PUBLIC_KEY), clock=lambda: NOW)
        async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
            response = await client.post("/interactions", data=body, headers=signed(body))
            text = await response.text()
            return response.status, json.loads(text) if response.status == 200 else text

    status, answer = asyncio.run(scenario())
    return status, answer, len(parsed)


def test_a_learners_command_is_answered_from_its_json_without_discord_py(monkeypatch):
    body = interaction(
        2, {"name": "framework", "options": [{"name": "name", "type": 3, "value": "djagno"}]}
    )

    status, answer, parsed = answers(monkeypatch, body)

    assert (status, parsed) == (200, 0)
    assert answer["type"] == 4
    assert answer["data"]["embeds"][0]["title"] == "Django"


def test_a_learners_command_in_a_dm_is_answered_from_its_json_too(monkeypatch):
    options = [{"name": "framework", "type": 3, "value": "flask"}]
    body = interaction(2, {"name": "resources", "options": options}, dm=True)

    status, answer, parsed = answers(monkeypatch, body)

    assert (status, parsed) == (200, 0)
    assert answer["data"]["embeds"][0]["title"] == "Resources for Flask"
    assert answer["data"]["components"][-1]["components"][-1]["custom_id"] == "gb:del:30"


def test_an_autocomplete_is_answered_from_its_json_without_discord_py(monkeypatch):
    typed = {"name": "framework", "type": 3, "value": "dj", "focused": True}
    body = interaction(4, {"name": "resources", "options": [{**typed, "name": "framework"}]})

    status, answer, parsed = answers(monkeypatch, body)

    assert (status, parsed) == (200, 0)
    assert answer["type"] == 8
    assert answer["data"]["choices"][0]["value"] == "Django"


def test_a_hidden_answer_pointed_at_someone_says_privately_why_nobody_was_pinged(monkeypatch):
    options = [
        {"name": "name", "type": 3, "value": "flask"},
        {"name": "hide", "type": 5, "value": True},
        {"name": "mention", "type": 6, "value": "31"},
    ]
    robot = {"id": "31", "username": "robot", "discriminator": "0", "avatar": None, "bot": True}
    body = interaction(
        2, {"name": "framework", "options": options, "resolved": {"users": {"31": robot}}}
    )

    status, answer, parsed = answers(monkeypatch, body)

    assert (status, parsed) == (200, 0)
    assert answer["data"]["flags"] == 64
    assert (
        answer["data"]["content"]
        == "<@31> was not mentioned: a hidden answer is shown to you alone."
    )


@pytest.mark.parametrize(
    "data",
    [
        {"name": "guide", "options": [STATUS]},
        {"name": "resources", "options": [{"name": "kind", "type": 3, "value": "videos"}]},
        {"name": "framework", "options": [{"name": "name", "type": 4, "value": 3}]},
        {"name": "framework", "options": [{"name": "name", "type": 3, "value": 3}]},
        {"name": "framework", "options": [{"name": "colour", "type": 3, "value": "red"}]},
        {"name": "framework", "options": [{"name": "mention", "type": 6, "value": "me"}]},
        {"name": "framework", "type": 2},
        {"name": "pizza"},
    ],
    ids=[
        "an admin command",
        "not one of the choices",
        "an option of another type",
        "a value of another type",
        "an option the command does not have",
        "a user that is not an id",
        "a user command",
        "a command the bot does not have",
    ],
)
def test_anything_else_goes_through_discord_py_which_tells_the_user(monkeypatch, data):
    status, _, parsed = answers(monkeypatch, interaction(2, data))

    assert parsed == 1
    assert status == 500  # here discord.py's parser answers nothing: past the deadline


def test_over_the_gateway_learners_interactions_are_answered_from_their_json_and_no_other(
    monkeypatch,
):
    sent: list[dict[str, Any]] = []
    parsed: list[dict[str, Any]] = []

    async def send_response(_exchange: Any, body: dict[str, Any], *, locate: bool) -> int:
        sent.append(body)
        return 1234  # the message posted, as the callback's answer names it

    async def scenario() -> None:
        bot = GuideBot(
            Config(guide_path=SHIPPED_GUIDE, insight_url=""), GuideStore.open(SHIPPED_GUIDE)
        )
        for extension in EXTENSIONS:
            await bot.load_extension(extension)
        monkeypatch.setattr(bot, "_parse_interaction", parsed.append)
        monkeypatch.setattr(bot_module._Callback, "_send_response", send_response)
        gateway_event = bot._connection.parsers["INTERACTION_CREATE"]
        typed = {"name": "name", "type": 3, "value": "fla", "focused": True}
        gateway_event(json.loads(interaction(4, {"name": "framework", "options": [typed]})))
        gateway_event(json.loads(interaction(2, {"name": "framework"})))
        click = {"custom_id": "gb:del:999", "component_type": 2}
        gateway_event(interaction_json(3, click, message={"id": "555"}))
        gateway_event(json.loads(interaction(2, {"name": "guide", "options": [STATUS]})))
        await asyncio.sleep(0.1)

    asyncio.run(scenario())

    assert [body["type"] for body in sent] == [8, 4, 4]
    assert sent[0]["data"]["choices"][0]["value"] == "Flask"
    assert sent[1]["data"]["embeds"][0]["title"].startswith("Frameworks in ")
    assert sent[2]["data"]["embeds"][0]["title"] == "Not yours"
    assert [payload["data"]["name"] for payload in parsed] == ["guide"]
