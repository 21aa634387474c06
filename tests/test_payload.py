"""The two translations of a reply agree: raw callback JSON, and what discord.py sends for it."""

import asyncio
from dataclasses import replace

import discord
import pytest
from discord.webhook.async_ import interaction_message_response_params

from bot import replies
from bot.payload import NO_PINGS, callback_body, message_kwargs
from bot.store import GuideStore
from bot.walkthrough import STEPS, Walkthrough
from tests.conftest import SHIPPED_GUIDE

SNAPSHOT = GuideStore.open(SHIPPED_GUIDE).current


def sample_replies():
    snapshot = SNAPSHOT
    yield "list", replies.framework_reply(snapshot, "", asker=7)
    yield "card", replies.framework_reply(snapshot, "django", asker=7)
    yield "mention", replies.framework_reply(snapshot, "flask", asker=7, mention=9)
    yield "hidden", replies.framework_reply(snapshot, "flask", asker=7, hide=True)
    yield "not found", replies.resources_reply(snapshot, "djnago", asker=7, kind="video")
    yield "no kind", replies.resources_reply(snapshot, "django", asker=7, kind="book")
    yield "resources", replies.resources_reply(snapshot, "django", asker=7)
    yield "notice", replies.notice_reply("Gone", "It went.")
    for step in STEPS:
        walk = Walkthrough(snapshot.guide, step=step, language="Python", framework_key="django")
        reply = replies.walkthrough_reply(walk, owner=7)
        yield f"walk {step}", reply
        yield f"walk {step} disabled", reply.disabled()
    walk = Walkthrough(snapshot.guide, step=STEPS[2])
    yield "walk note", replace(replies.walkthrough_reply(walk, owner=7), content="<@7>'s")


SAMPLES = dict(sample_replies())


def discord_py_body(reply, *, edit):
    """Return what discord.py posts for `reply`: send_message's or edit_message's arguments."""

    async def build():
        kwargs = message_kwargs(reply, edit=edit)
        kind = discord.InteractionResponseType
        flags = discord.MessageFlags(ephemeral=True) if reply.ephemeral and not edit else None
        params = interaction_message_response_params(
            type=(kind.message_update if edit else kind.channel_message).value,
            content=kwargs.get("content"),
            embeds=kwargs["embeds"],
            view=kwargs.get("view", discord.utils.MISSING),
            flags=flags or discord.utils.MISSING,
            allowed_mentions=kwargs["allowed_mentions"],
            previous_allowed_mentions=NO_PINGS,
        )
        return params.payload

    return asyncio.run(build())


@pytest.mark.parametrize("edit", [False, True], ids=["send", "edit"])
@pytest.mark.parametrize("name", SAMPLES)
def test_payload_callback_json_is_what_discord_py_sends_for_the_view(name, edit):
    reply = SAMPLES[name]
    assert callback_body(reply, edit=edit) == discord_py_body(reply, edit=edit)


def test_payload_edit_clears_what_the_new_reply_lacks():
    reply = replies.notice_reply("Gone", "It went.")
    body = callback_body(reply, edit=True)
    assert body["type"] == 7
    assert body["data"]["components"] == []
    assert body["data"]["content"] is None
    assert "flags" not in body["data"]


def test_payload_menu_and_buttons_are_discord_components():
    walk = Walkthrough(SNAPSHOT.guide, step=STEPS[2])
    body = callback_body(replies.walkthrough_reply(walk, owner=7, ephemeral=True))
    assert body["data"]["flags"] == 64
    menu_row, buttons = body["data"]["components"]
    (menu,) = menu_row["components"]
    assert menu["type"] == 3
    assert menu["custom_id"].startswith("gb:wk:m:7:")
    assert menu["options"][0] == {"label": "Python", "value": "language:0", "default": False}
    assert [b["style"] for b in buttons["components"]] == [2, 1]
