"""End-to-end: `guidebot serve`, the HTTP interactions endpoint, as Discord calls it.

Each test starts the real `guidebot serve` process against the emulator, which then POSTs every
interaction to the endpoint signed with the application's key, as Discord does, and checks the
HTTP answer as it checks a gateway bot's callback request (schema, limits, the 3 s deadline).
Deferred answers and followups go through the emulator's webhook routes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nacl.signing import SigningKey

from tests.emulator import payloads
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.endpoint import signature_headers
from tests.emulator.harness import (
    BOT_COMMAND,
    REPO_ROOT,
    bot_config,
    default_config,
    run_to_exit,
    running_bot,
)
from tests.emulator.messages import components, custom_ids
from tests.emulator.monitoring import free_port
from tests.emulator.payloads import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    MANAGE_GUILD,
    UPDATE_MESSAGE,
)
from tests.emulator.records import InteractionResult
from tests.helpers import SUGGESTING_QUERY

MIB = 1024 * 1024


def button(result: InteractionResult, label: str) -> str:
    """Return the custom_id of the button labelled `label` on the interaction's message."""
    assert result.message is not None
    labels = {c.get("label"): c.get("custom_id") for c in components(result.message)}
    assert labels.get(label), f"no button {label!r} on {result.name!r}: {list(labels)}"
    return labels[label]


def menu(result: InteractionResult) -> dict[str, Any]:
    """Return the select menu on the interaction's message."""
    assert result.message is not None
    return next(c for c in components(result.message) if c["type"] == 3)


@pytest.mark.e2e
def test_serve_answers_a_signed_ping_and_nothing_unsigned(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path) as bot:
            endpoint = emulator.endpoint
            assert endpoint is not None
            assert endpoint.url.startswith("http://127.0.0.1:")
            assert endpoint.url.endswith("/interactions")
            ping = await endpoint.ping()
            assert (ping.status, ping.json()) == (200, {"type": 1})

            # A real interaction, but unsigned, tampered, signed by someone else or replayed
            # from 6 minutes ago: 401, and the bot does nothing at all with it.
            payload = emulator.build_slash("framework", {"name": "flask"})
            body = json.dumps(payload).encode()
            before = len(emulator.requests)
            unsigned = await endpoint.post(body, headers={"Content-Type": "application/json"})
            tampered_body = body.replace(b"flask", b"rails")
            accepted = emulator.build_slash("framework", {"name": "django"})
            signed = await endpoint.post(json.dumps(accepted).encode())
            headers = {
                "X-Signature-Ed25519": "00" * 64,
                "X-Signature-Timestamp": str(int(time.time())),
                "Content-Type": "application/json",
            }
            forged = await endpoint.post(body, headers=headers)
            other_key = await endpoint.post(body, key=SigningKey.generate())
            stale = await endpoint.post(body, timestamp=str(int(time.time()) - 360))
            assert [a.status for a in (unsigned, forged, other_key, stale)] == [401] * 4
            assert signed.status == 200
            # Its answer was the HTTP answer; the one request it makes reads that card back,
            # for the cooldown to link to it and to end when it is deleted.
            await emulator.wait_for_request("GET */messages/@original", since=before)
            answered = len(emulator.requests)
            # Signed for `body`, sent with another one.
            now = str(int(time.time()))
            tampered = await endpoint.post(
                tampered_body, headers=signature_headers(emulator.signing_key, body, now)
            )
            assert tampered.status == 401
            oversized = await endpoint.post(b" " * (MIB + 1))
            assert oversized.status == 413
            await asyncio.sleep(0.5)
            # Only the one signed interaction reached the bot; the refused ones made no request.
            assert len(emulator.requests) == answered == before + 1
            # The one interaction line is the signed one's; the refused left no trace.
            assert bot.log().count("bot.metrics: interaction framework") == 1
            assert "django" in bot.log()
            assert "flask" not in bot.log().lower()
            assert "rails" not in bot.log().lower()

    asyncio.run(scenario())


@pytest.mark.e2e
def test_serve_answers_healthz_and_metrics_on_the_same_port(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path):
            assert emulator.endpoint is not None
            base = emulator.endpoint.url.removesuffix("/interactions")
            await emulator.slash("framework", {"name": "flask"})
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/healthz") as response:
                    assert response.status == 200
                    health = await response.json()
                async with session.get(f"{base}/metrics") as response:
                    assert response.status == 200
                    metrics = await response.text()
            assert health["connected"] is True
            assert (health["shards_ready"], health["shard_count"], health["shards"]) == (0, 0, {})
            assert health["frameworks"] > 0
            assert health["guide_version"]
            answered = 'guidebot_interactions_total{command="framework",outcome="answered"} 1.0'
            assert answered in metrics
            assert "guidebot_response_seconds_count 1.0" in metrics

    asyncio.run(scenario())


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "it is empty"),
        ("12ab", "got 4 characters"),
        ("x" * 64, "it has characters that are not hexadecimal"),
    ],
)
def test_serve_refuses_a_public_key_that_is_not_64_hex_characters_in_one_line(
    emulator: DiscordEmulator, key: str, why: str
) -> None:
    async def scenario() -> tuple[int, str, str]:
        async with emulator:
            config = str(REPO_ROOT / "config.example.toml")
            return await run_to_exit(
                emulator,
                "--config",
                config,
                "serve",
                "--port",
                "0",
                extra_env={"DISCORD_PUBLIC_KEY": key},
            )

    code, out, err = asyncio.run(scenario())
    assert code == 1
    assert out == ""
    assert err.strip() == (
        "guidebot: the public key must be 64 hexadecimal characters (the application's Public "
        f"Key in the developer portal): {why}; set DISCORD_PUBLIC_KEY or [http] public_key"
    )
    assert not emulator.requests, "a bad key stops start-up before anything else"


@pytest.mark.e2e
def test_serve_reads_the_key_host_and_port_from_the_http_section(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with emulator:
            http = {"public_key": emulator.public_key, "host": "127.0.0.1", "port": 0}
            config = default_config(emulator, http=http)
            async with running_bot(
                emulator,
                http=True,
                command=(*BOT_COMMAND[:-1], "serve"),
                config_text=config,
                extra_env={"DISCORD_PUBLIC_KEY": ""},
                workdir=tmp_path,
            ):
                card = await emulator.slash("framework", {"name": "flask"})
                assert card.data["embeds"][0]["title"] == "Flask"

    asyncio.run(scenario())


@pytest.mark.e2e
def test_serve_answers_each_command_like_the_gateway_bot(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        config = bot_config(emulator)
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path, config_text=config):
            assert emulator.gateway.identify_count == 0, "serve never opens the gateway"
            card = await emulator.slash("framework", {"name": "djagno"})
            assert card.type == CHANNEL_MESSAGE
            assert card.data["embeds"][0]["title"] == "Django"
            assert custom_ids(card.data) == [f"gb:del:{emulator.user['id']}"]
            assert card.latency is not None
            assert card.latency < 3

            hidden = await emulator.slash("framework", {"name": "flask", "hide": True})
            assert hidden.data["flags"] == EPHEMERAL
            assert hidden.ephemeral

            links = await emulator.slash("resources", {"framework": "flask", "kind": "tutorial"})
            assert links.data["embeds"][0]["title"] == "Resources for Flask (tutorial)"

            walk = await emulator.slash("getting-started")
            assert walk.data["embeds"][0]["footer"]["text"] == "Step 1 of 6"

            status = await emulator.slash("guide", subcommand="status", permissions=MANAGE_GUILD)
            assert status.type == CHANNEL_MESSAGE
            assert status.data["flags"] == EPHEMERAL
            assert status.data["embeds"][0]["title"] == "Guide status"

    asyncio.run(scenario())


@pytest.mark.e2e
def test_serve_takes_admin_permissions_from_the_interaction(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path):
            refused = await emulator.slash("guide", subcommand="status", permissions=0)
            assert refused.data["flags"] == EPHEMERAL
            assert refused.data["embeds"][0]["description"] == (
                "You need the Manage Server permission for that."
            )
            allowed = await emulator.slash("guide", subcommand="status", permissions=MANAGE_GUILD)
            assert allowed.data["embeds"][0]["title"] == "Guide status"

    asyncio.run(scenario())


@pytest.mark.e2e
def test_serve_defers_a_reload_and_follows_up_through_the_webhook(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path):
            reload = await emulator.slash("guide", subcommand="reload", permissions=MANAGE_GUILD)
            assert reload.type == DEFERRED_CHANNEL_MESSAGE
            assert reload.data == {"flags": EPHEMERAL}
            followup = await reload.wait_webhook("POST *")
            assert followup.ok
            assert followup.authorization == "absent", "a followup needs no bot token"
            assert followup.json["embeds"][0]["title"] == "Guide reloaded"
            assert followup.received_at > reload.callback.received_at
            message = reload.message
            assert message is not None
            assert message["embeds"][0]["title"] == "Guide reloaded"
            assert message["flags"] & EPHEMERAL

    asyncio.run(scenario())


@pytest.mark.e2e
def test_serve_answers_autocomplete_buttons_and_menus(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        config = bot_config(emulator)
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path, config_text=config):
            choices = await emulator.autocomplete("framework", {"name": "dj"}, focused="name")
            assert choices.type == AUTOCOMPLETE_RESULT
            assert choices.choices[0] == {"name": "Django (Python)", "value": "Django"}
            typed = await emulator.autocomplete(
                "resources", {"framework": "nod"}, focused="framework"
            )
            assert typed.choices[0]["value"] == "Node.js"

            walk = await emulator.slash("getting-started")
            step2 = await emulator.click(walk.message, button(walk, "Next ▶"))
            assert step2.type == UPDATE_MESSAGE
            assert step2.data["embeds"][0]["footer"]["text"] == "Step 2 of 6"
            step3 = await emulator.click(walk.message, button(walk, "Next ▶"))
            languages = menu(walk)
            python = next(o["value"] for o in languages["options"] if o["label"] == "Python")
            chosen = await emulator.select(walk.message, languages["custom_id"], [python])
            assert step3.data["embeds"][0]["footer"]["text"] == "Step 3 of 6"
            assert chosen.type == UPDATE_MESSAGE
            assert "Python" in json.dumps(chosen.data["embeds"])

            suggestions = await emulator.slash("framework", {"name": SUGGESTING_QUERY})
            assert suggestions.data["flags"] == EPHEMERAL
            picked = await emulator.click(suggestions.message, button(suggestions, "Django"))
            # The "did you mean" is closed in the HTTP answer; the card follows on the webhook.
            assert picked.type == UPDATE_MESSAGE
            assert picked.data["content"] == "You chose **Django**."
            posted = await picked.wait_webhook("POST *")
            assert posted.json["embeds"][0]["title"] == "Django"

            # Delete: a deferred update, then DELETE of the original message on the webhook.
            card = await emulator.slash("framework", {"name": "flask"})
            gone = await emulator.click(card.message, f"gb:del:{emulator.user['id']}")
            assert gone.type == DEFERRED_UPDATE
            delete = await gone.wait_webhook("DELETE */@original")
            assert delete.ok
            assert card.message is None

    asyncio.run(scenario())


async def conversation(
    emu: DiscordEmulator, friend: dict[str, Any], robot: dict[str, Any]
) -> list[tuple[str, Any]]:
    """Run one fixed series of interactions; return every callback and followup body, in order."""
    bodies: list[tuple[str, Any]] = []

    def keep(what: str, result: InteractionResult) -> InteractionResult:
        assert result.callback is not None, what
        bodies.append((what, result.callback.json))
        return result

    keep("card", await emu.slash("framework", {"name": "flask"}))
    keep("mention", await emu.slash("framework", {"name": "djagno", "mention": friend}))
    # Within the cooldown, so a pointer to the card, and a private note: bots are not pinged.
    noted = keep("mention a bot", await emu.slash("framework", {"name": "flask", "mention": robot}))
    bodies.append(("note followup", (await noted.wait_webhook("POST *")).json))
    keep("list", await emu.slash("framework"))
    suggestions = keep("did you mean", await emu.slash("framework", {"name": SUGGESTING_QUERY}))
    picked = keep("pick", await emu.click(suggestions.message, button(suggestions, "Django")))
    bodies.append(("pick followup", (await picked.wait_webhook("POST *")).json))
    keep("resources", await emu.slash("resources", {"framework": "flask", "kind": "tutorial"}))
    keep("autocomplete", await emu.autocomplete("framework", {"name": "dj"}, focused="name"))
    keep("autocomplete 2", await emu.autocomplete("resources", {}, focused="framework"))
    walk = keep("walkthrough", await emu.slash("getting-started"))
    keep("next", await emu.click(walk.message, button(walk, "Next ▶")))
    keep("next 2", await emu.click(walk.message, button(walk, "Next ▶")))
    languages = menu(walk)
    python = next(o["value"] for o in languages["options"] if o["label"] == "Python")
    keep("menu", await emu.select(walk.message, languages["custom_id"], [python]))
    keep("status", await emu.slash("guide", subcommand="status", permissions=MANAGE_GUILD))
    keep("refused", await emu.slash("guide", subcommand="status", permissions=0))
    reload = keep("reload", await emu.slash("guide", subcommand="reload", permissions=MANAGE_GUILD))
    bodies.append(("reload followup", (await reload.wait_webhook("POST *")).json))
    card = await emu.slash("framework", {"name": "rails"})
    gone = keep("delete", await emu.click(card.message, f"gb:del:{emu.user['id']}"))
    await gone.wait_webhook("DELETE */@original")
    return bodies


@pytest.mark.e2e
def test_serve_sends_the_same_bodies_as_the_gateway_bot(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    friend = emulator.make_user("friend")
    robot = payloads.user(emulator.snowflake(), "robot", bot=True)

    async def scenario() -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
        config = bot_config(emulator)
        async with emulator:
            async with running_bot(emulator, workdir=tmp_path / "gateway", config_text=config):
                gateway = await conversation(emulator, friend, robot)
            async with running_bot(
                emulator, http=True, workdir=tmp_path / "http", config_text=config
            ):
                http = await conversation(emulator, friend, robot)
        return gateway, http

    gateway, http = asyncio.run(scenario())
    assert [what for what, _ in http] == [what for what, _ in gateway]
    for (what, over_gateway), (_, over_http) in zip(gateway, http, strict=True):
        assert over_http == over_gateway, what


@pytest.mark.e2e
def test_serve_keeps_no_walkthrough_timer_so_any_worker_can_take_the_next_click(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    config = bot_config(emulator, answers={"walkthrough_timeout_seconds": 1})

    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path, config_text=config):
            walk = await emulator.slash("getting-started")
            step2 = await emulator.click(walk.message, button(walk, "Next ▶"))
            await asyncio.sleep(2.5)
            assert walk.webhook_requests == []
            assert step2.webhook_requests == []
            back = await emulator.click(walk.message, button(walk, "◀ Back"))
            assert back.type == UPDATE_MESSAGE

    asyncio.run(scenario())


@pytest.mark.e2e
def test_two_serve_workers_share_one_port_and_either_answers_any_interaction(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    async def scenario() -> None:
        config = bot_config(emulator)
        async with (
            emulator,
            running_bot(emulator, http=True, workdir=tmp_path / "one", config_text=config) as one,
        ):
            assert emulator.endpoint is not None
            url = emulator.endpoint.url
            port = url.rsplit(":", 1)[1].removesuffix("/interactions")
            second = (*BOT_COMMAND[:-1], "serve", "--host", "127.0.0.1", "--port", port)
            async with running_bot(
                emulator,
                http=True,
                command=second,
                workdir=tmp_path / "two",
                config_text=config,
                synced=False,
            ) as two:
                assert emulator.endpoint.url == url
                # Many at once, so the client opens many connections for the kernel to
                # spread; each worker answers what reaches it, clicks included.
                walks = await asyncio.gather(
                    *(emulator.slash("getting-started") for _ in range(24))
                )
                clicks = await asyncio.gather(
                    *(emulator.click(w.message, button(w, "Next ▶")) for w in walks)
                )
                assert {c.type for c in clicks} == {UPDATE_MESSAGE}
                line = "bot.metrics: interaction "
                assert one.log().count(line) + two.log().count(line) == 48
                assert one.log().count(line) > 0
                assert two.log().count(line) > 0

    asyncio.run(scenario())


@pytest.mark.e2e
def test_the_readmes_aiohttp_web_command_serves_the_same_endpoint(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    # As the README shows it for a process manager of your own, with a port free for this test.
    command = (
        *(sys.executable, "-m", "aiohttp.web", "-H", "127.0.0.1", "-P", str(free_port())),
        *("bot.cli:http_app", "--config", "{config}"),
    )

    async def scenario() -> None:
        async with emulator, running_bot(emulator, http=True, workdir=tmp_path, command=command):
            card = await emulator.slash("framework", {"name": "djagno"})
            assert card.data["embeds"][0]["title"] == "Django"

    asyncio.run(scenario())
