"""The gateway's click handlers: a button or menu click goes to `bot.clicks`, its answer back.

Every component's state is in its custom_id, so the handlers are `DynamicItem`s matched by the
patterns of `bot.custom_ids`: no view is kept in memory per message, and clicks keep working
across restarts. What a click does is decided in `bot.clicks`, the same for every adapter.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, runtime_checkable

import discord

from bot import clicks, custom_ids
from bot.custom_ids import DeleteId, ListPageId, PickId, ResourcePageId, WalkId
from bot.respond import Responder
from bot.store import GuideStore


@runtime_checkable
class Answers(Protocol):
    """What a click handler needs from the client: the guide and the responder."""

    store: GuideStore
    responder: Responder


async def _answer(interaction: discord.Interaction, custom_id: str, values: list[str]) -> None:
    """Answer a click through the client's responder; a failure is reported, never left hanging."""
    client = interaction.client
    if not isinstance(client, Answers):
        raise TypeError(f"{type(client).__name__} cannot answer clicks")

    async def act() -> None:
        click = custom_ids.decode(custom_id)
        if click is None:  # the patterns that route clicks here are the codecs' own
            raise ValueError(f"no codec reads the custom_id {custom_id!r}")
        clicker = clicks.Clicker(interaction.user.id, interaction.permissions.manage_messages)
        action = clicks.handle(click, values, clicker, client.store.current)
        await client.responder.act(interaction, action)

    await client.responder.guarded(interaction, act())


class _Button(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"(?!)"):
    """A button answered from its custom_id alone; each subclass routes one codec's ids.

    This base is never registered: its template, `(?!)`, matches no custom_id at all.
    """

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the handler from the clicked button's custom_id."""
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the click."""
        await _answer(interaction, self.custom_id, [])


class DeleteButton(_Button, template=DeleteId.PATTERN):
    """Deletes a public answer, for the asker or a member with Manage Messages."""


class PickButton(_Button, template=PickId.PATTERN):
    """A "did you mean" suggestion: clicking it gives the answer that was meant."""


class ResourcePageButton(_Button, template=ResourcePageId.PATTERN):
    """Turns the page of a resource list."""


class ListPageButton(_Button, template=ListPageId.PATTERN):
    """Turns the page of the framework list."""


class WalkthroughButton(_Button, template=WalkId.PATTERN):
    """Back, Next and Start over in the walkthrough."""


class WalkthroughMenu(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]], template=WalkId.MENU_PATTERN
):
    """The walkthrough's select menus."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Select(custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the handler from the chosen menu's custom_id."""
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the choice."""
        await _answer(interaction, self.custom_id, self.item.values)


DYNAMIC_ITEMS = (
    DeleteButton,
    PickButton,
    ResourcePageButton,
    ListPageButton,
    WalkthroughButton,
    WalkthroughMenu,
)
