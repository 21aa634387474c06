"""Replies as Discord receives them: the callback JSON, and the discord.py objects for the gateway.

`replies` describes buttons and menus plainly; each translation of that description is here,
once. `callback_body` gives the interaction callback JSON, for adapters that send raw JSON (the
CLI's `--json`, an HTTP interactions endpoint); `message_kwargs` gives what discord.py's send and
edit calls take. The tests check that discord.py turns the latter into exactly the former.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def reply_of(message: Mapping[str, Any]) -> Reply:
    """Return a message's JSON as a `Reply` (content, embeds, buttons), to send it back changed.

    Only buttons are kept: the messages read back this way (a "did you mean") have no others.
    """
    rows = tuple(
        tuple(button for button in map(_button_of, row.get("components") or ()) if button)
        for row in message.get("components") or ()
        if row.get("type") == ACTION_ROW
    )
    return Reply(
        embeds=tuple(discord.Embed.from_dict(embed) for embed in message.get("embeds") or ()),
        rows=tuple(row for row in rows if row),
        content=message.get("content") or None,
        ephemeral=bool(int(message.get("flags") or 0) & EPHEMERAL_FLAG),
    )


def _button_of(item: Mapping[str, Any]) -> Button | LinkButton | None:
    if item.get("type") != BUTTON:
        return None
    label = str(item.get("label") or "")
    if item.get("url"):
        return LinkButton(label, str(item["url"]))
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str):
        return None
    style: ButtonStyle = _STYLE_NAMES.get(int(item.get("style") or 0), "secondary")
    return Button(label, custom_id, style, bool(item.get("disabled")))


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """Return who `reply` may ping: its one mention target, or nobody."""
    if reply.mention is None:
        return NO_PINGS
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(reply.mention)]
    )


class ComponentRows(discord.ui.View):
    """A reply's components in the form discord.py's send and edit calls take: a stopped view.

    discord.py reads nothing from a view it will not dispatch but `to_components()`, and clicks
    are routed by custom_id, never through a view. So this one holds the components' JSON, made
    by `components_json` like the callback body's, instead of an object per button and menu
    (which cost a tenth of an interaction's CPU, bench/e2e.py).
    """

    def __init__(self, rows: tuple[tuple[Component, ...], ...]) -> None:
        # No View.__init__: no items, no timeout task, no future; there is nothing to dispatch.
        self._json = components_json(rows)

    def __repr__(self) -> str:
        return f"<ComponentRows {self._json!r}>"

    @property
    def timeout(self) -> float | None:
        """Never times out: nothing waits on it."""
        return None

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        """Ignored, for the same reason."""

    def to_components(self) -> list[dict[str, Any]]:
        """Return the action rows, as Discord receives them."""
        return self._json

    def is_finished(self) -> bool:
        """Always: discord.py keeps no reference to it."""
        return True

    def is_dispatchable(self) -> bool:
        """Never: clicks are routed by custom_id (`bot.json_answers`), not through views."""
        return False

    def has_components_v2(self) -> bool:
        """No: classic action rows."""
        return False


def build_view(reply: Reply) -> discord.ui.View | None:
    """Return the components of `reply` for discord.py, or None when it has none."""
    return ComponentRows(reply.rows) if reply.rows else None


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
