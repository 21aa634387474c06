"""Replies as Discord receives them: the callback JSON, and the discord.py objects for the gateway.

`replies` describes buttons and menus plainly; each translation of that description is here,
once. `callback_body` gives the interaction callback JSON, for adapters that send raw JSON (the
CLI's `--json`, an HTTP interactions endpoint); `message_kwargs` gives what discord.py's send and
edit calls take. The tests check that discord.py turns the latter into exactly the former.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.replies import Button, ButtonStyle, Component, LinkButton, Reply

NO_PINGS = discord.AllowedMentions.none()
"""The client-wide default: a message pings nobody unless it names its one target."""

# Discord's numbers for what the JSON holds (https://discord.com/developers/docs/interactions).
CHANNEL_MESSAGE_WITH_SOURCE = 4
UPDATE_MESSAGE = 7
EPHEMERAL_FLAG = 1 << 6
ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
LINK_STYLE = 5
BUTTON_STYLES: dict[ButtonStyle, int] = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
_STYLE_NAMES = {number: name for name, number in BUTTON_STYLES.items()}


def callback_body(reply: Reply, *, edit: bool = False) -> dict[str, Any]:
    """Return the interaction callback JSON that sends `reply`, or puts it in place of a message.

    Args:
        reply: What to send.
        edit: Replace the message the clicked component sits on (its components too).
    """
    data: dict[str, Any] = {
        "tts": False,
        "embeds": [embed.to_dict() for embed in reply.embeds],
        "content": reply.content,
    }
    if reply.rows or edit:
        data["components"] = components_json(reply.rows)
    if reply.ephemeral and not edit:
        data["flags"] = EPHEMERAL_FLAG
    data["allowed_mentions"] = allowed_mentions(reply).to_dict()
    return {"type": UPDATE_MESSAGE if edit else CHANNEL_MESSAGE_WITH_SOURCE, "data": data}


def components_json(rows: tuple[tuple[Component, ...], ...]) -> list[dict[str, Any]]:
    """Return a reply's rows of components as Discord's action rows."""
    return [
        {"type": ACTION_ROW, "components": [_component_json(item) for item in row]} for row in rows
    ]


def _component_json(component: Component) -> dict[str, Any]:
    if isinstance(component, LinkButton):
        return {
            "type": BUTTON,
            "style": LINK_STYLE,
            "disabled": False,
            "label": component.label,
            "url": component.url,
        }
    if isinstance(component, Button):
        return {
            "type": BUTTON,
            "style": BUTTON_STYLES[component.style],
            "disabled": component.disabled,
            "label": component.label,
            "custom_id": component.custom_id,
        }
    options = []
    for option in component.options:
        entry: dict[str, Any] = {
            "label": option.label,
            "value": option.value,
            "default": option.default,
        }
        if option.description:
            entry["description"] = option.description
        options.append(entry)
    return {
        "type": STRING_SELECT,
        "custom_id": component.custom_id,
        "min_values": 1,
        "max_values": 1,
        "disabled": component.disabled,
        "required": True,
        "placeholder": component.placeholder,
        "options": options,
    }


def reply_of(message: discord.Message) -> Reply:
    """Return a message as a `Reply`: its content, embeds and buttons, to send it back changed.

    Only buttons are kept: the messages read back this way (a "did you mean") have no others.
    """
    rows = tuple(
        tuple(button for button in map(_button_of, row.children) if button is not None)
        for row in message.components
        if isinstance(row, discord.ActionRow)
    )
    return Reply(
        embeds=tuple(message.embeds),
        rows=tuple(row for row in rows if row),
        content=message.content or None,
        ephemeral=message.flags.ephemeral,
    )


def _button_of(item: discord.Component) -> Button | LinkButton | None:
    if not isinstance(item, discord.Button):
        return None
    if item.url:
        return LinkButton(item.label or "", item.url)
    if item.custom_id is None:
        return None
    style = _STYLE_NAMES.get(item.style.value, "secondary")
    return Button(item.label or "", item.custom_id, style, item.disabled)


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """Return who `reply` may ping: its one mention target, or nobody."""
    if reply.mention is None:
        return NO_PINGS
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(reply.mention)]
    )


def build_view(reply: Reply) -> discord.ui.View | None:
    """Return the components of `reply` as a discord.py view, or None when it has none."""
    if not reply.rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(reply.rows):
        for component in row:
            view.add_item(_item(component, number))
    # Stopped, so discord.py keeps no reference to it: clicks are routed by custom_id instead.
    view.stop()
    return view


def _item(component: Component, row: int) -> discord.ui.Item[discord.ui.View]:
    if isinstance(component, LinkButton):
        return discord.ui.Button(label=component.label, url=component.url, row=row)
    if isinstance(component, Button):
        return discord.ui.Button(
            label=component.label,
            custom_id=component.custom_id,
            style=discord.ButtonStyle(BUTTON_STYLES[component.style]),
            disabled=component.disabled,
            row=row,
        )
    options = [
        discord.SelectOption(
            label=o.label, value=o.value, description=o.description, default=o.default
        )
        for o in component.options
    ]
    return discord.ui.Select(
        custom_id=component.custom_id,
        placeholder=component.placeholder,
        options=options,
        disabled=component.disabled,
        row=row,
    )


def message_kwargs(reply: Reply, *, edit: bool = False) -> dict[str, Any]:
    """Return the keyword arguments that send `reply` with discord.py, or edit a message into it.

    The same message as `callback_body`: an edit also clears the content and components
    that `reply` does not have.
    """
    kwargs: dict[str, Any] = {
        "embeds": list(reply.embeds),
        "allowed_mentions": allowed_mentions(reply),
    }
    if reply.content is not None or edit:
        kwargs["content"] = reply.content
    view = build_view(reply)
    if view is not None or edit:
        kwargs["view"] = view
    return kwargs
