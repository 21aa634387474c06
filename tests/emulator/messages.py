"""Reading a message, or a message body the bot sent, as a Discord user sees it, and using it.

For the end-to-end tests: its components, buttons, menus and links, whom it may ping, and
clicking its buttons or choosing in its menu by label.
"""

from __future__ import annotations

from typing import Any

from tests.emulator.emulator import DiscordEmulator
from tests.emulator.payloads import EPHEMERAL, UPDATE_MESSAGE, walk_components
from tests.emulator.records import InteractionResult

ACTION_ROW = 1
STRING_SELECT = 3
LINK_STYLE = 5
NO_PINGS = {"parse": []}
"""The allowed_mentions of a message that may ping no one."""


def title(result: InteractionResult) -> str:
    """Return the title of the answer's first embed."""
    return result.data["embeds"][0]["title"]


def public_messages(emu: DiscordEmulator, channel_id: str) -> list[dict[str, Any]]:
    """Return the messages everyone in `channel_id` sees, as Discord stores them now."""
    return [
        message
        for message in emu.messages.values()
        if message["channel_id"] == channel_id and not message["flags"] & EPHEMERAL
    ]


def jump_url(emu: DiscordEmulator, message: dict[str, Any]) -> str:
    """Return the link to `message`, as Discord's "Jump to message" gives it."""
    return f"https://discord.com/channels/{emu.guild_id}/{message['channel_id']}/{message['id']}"


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every component of a message or body, rows excluded."""
    found = walk_components(message.get("components") or [])
    return [c for c in found if c.get("type") != ACTION_ROW]


def custom_ids(message: dict[str, Any]) -> list[str]:
    """Return the custom_ids of a message's components, in order."""
    return [c["custom_id"] for c in components(message) if "custom_id" in c]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    """Return the button labelled `label`."""
    found = [c for c in components(message) if c.get("label") == label]
    assert found, f"no {label!r} button in {[c.get('label') for c in components(message)]}"
    return found[0]


def menu(message: dict[str, Any]) -> dict[str, Any]:
    """Return the message's one select menu."""
    (found,) = [c for c in components(message) if c["type"] == STRING_SELECT]
    return found


def option_value(message: dict[str, Any], label: str) -> str:
    """Return the value of the menu option labelled `label`."""
    options = menu(message)["options"]
    found = [o["value"] for o in options if o["label"] == label]
    assert found, f"no {label!r} in {[o['label'] for o in options]}"
    return found[0]


def link_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the message's link buttons."""
    return [c for c in components(message) if c.get("style") == LINK_STYLE]


def link_urls(message: dict[str, Any]) -> list[str]:
    """Return the URLs of the message's link buttons."""
    return [c["url"] for c in link_buttons(message)]


def footer(message: dict[str, Any]) -> str:
    """Return the footer text of the message's embed."""
    return message["embeds"][0]["footer"]["text"]


def assert_pings_nobody(data: dict[str, Any], *, except_user: str | None = None) -> None:
    """Assert the body's allowed_mentions can ping no one, or only `except_user`."""
    mentions = data["allowed_mentions"]
    assert mentions["parse"] == []
    assert not mentions.get("roles")
    assert not mentions.get("replied_user")
    assert [str(user) for user in mentions.get("users", [])] == (
        [except_user] if except_user else []
    )


def updated_in_place(result: InteractionResult, message_id: str) -> dict[str, Any]:
    """Assert `result` edited `message_id` in place, pinging nobody; return the message now."""
    assert result.type == UPDATE_MESSAGE, result
    assert result.message is not None
    assert result.message["id"] == message_id
    assert result.data["allowed_mentions"] == {"parse": []}
    return result.message


async def click_in_place(emu: DiscordEmulator, message_id: str, label: str) -> dict[str, Any]:
    """Click the button `label` on the bot's message; assert it changed in place; return it."""
    current = emu.message(message_id)
    clicked = await emu.click(message_id, button(current, label)["custom_id"])
    return updated_in_place(clicked, message_id)


async def choose_in_place(emu: DiscordEmulator, message_id: str, label: str) -> dict[str, Any]:
    """Choose `label` in the message's menu; assert it changed in place; return it."""
    current = emu.message(message_id)
    chosen = await emu.select(
        message_id, menu(current)["custom_id"], [option_value(current, label)]
    )
    return updated_in_place(chosen, message_id)
