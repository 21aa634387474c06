"""Replies as discord.py objects: views to send, callback bodies, and the click handlers.

Every component's state is in its custom_id, so the handlers are `DynamicItem`s matched by
pattern: no view is kept in memory per message, and clicks keep working across restarts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any, ClassVar, Protocol, Self

import discord
from discord.webhook.async_ import interaction_message_response_params

from bot import replies
from bot.guide import Framework
from bot.replies import Button, LinkButton, Menu, Reply
from bot.store import GuideStore
from bot.walkthrough import Walkthrough

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
"""The client-wide default: a message pings nobody unless it names its one target."""

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def build_view(reply: Reply) -> discord.ui.View | None:
    """Return the components of `reply` as a view, or None when it has none."""
    if not reply.rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(reply.rows):
        for component in row:
            view.add_item(_item(component, number))
    # Stopped, so discord.py keeps no reference to it: clicks are routed by custom_id instead.
    view.stop()
    return view


def _item(component: LinkButton | Button | Menu, row: int) -> discord.ui.Item[Any]:
    if isinstance(component, LinkButton):
        return discord.ui.Button(label=component.label, url=component.url, row=row)
    if isinstance(component, Button):
        return discord.ui.Button(
            label=component.label,
            custom_id=component.custom_id,
            style=_STYLES[component.style],
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


def allowed_mentions(reply: Reply) -> discord.AllowedMentions:
    """Return who `reply` may ping: its one mention target, or nobody."""
    if reply.mention is None:
        return NO_PINGS
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(reply.mention)]
    )


def message_kwargs(reply: Reply) -> dict[str, Any]:
    """Return the keyword arguments that send `reply` with discord.py."""
    kwargs: dict[str, Any] = {
        "embeds": list(reply.embeds),
        "allowed_mentions": allowed_mentions(reply),
    }
    if reply.content is not None:
        kwargs["content"] = reply.content
    view = build_view(reply)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def callback_body(reply: Reply, *, edit: bool = False) -> dict[str, Any]:
    """Return the JSON body discord.py posts to the interaction callback for `reply`: type and data.

    Built by discord.py's own function with the same arguments `send_message` passes, so the
    CLI's `--json` output is byte for byte what the bot sends.
    """
    kind = (
        discord.InteractionResponseType.message_update
        if edit
        else discord.InteractionResponseType.channel_message
    )
    flags = discord.MessageFlags._from_value(0) if reply.ephemeral and not edit else None
    if flags is not None:
        flags.ephemeral = True
    kwargs = message_kwargs(reply)
    params = interaction_message_response_params(
        type=kind.value,
        # send_message and edit_message both send `content` (null when there is none).
        content=kwargs.get("content"),
        embeds=kwargs["embeds"],
        view=kwargs.get("view", discord.utils.MISSING),
        flags=flags or discord.utils.MISSING,
        allowed_mentions=kwargs["allowed_mentions"],
        previous_allowed_mentions=NO_PINGS,
    )
    return params.payload or {}


class HasGuide(Protocol):
    """What a click handler needs from the client: the guide and the responder."""

    store: GuideStore
    responder: Any


class _Action(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"gb:x"):
    """A clickable component answered from its custom_id alone."""

    component: ClassVar[type[discord.ui.Item[Any]]] = discord.ui.Button

    def __init__(self, custom_id: str, match: re.Match[str] | None = None) -> None:
        super().__init__(self.component(custom_id=custom_id))
        self.fields = match.groupdict() if match else {}

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the handler from the clicked component's custom_id."""
        return cls(getattr(item, "custom_id", ""), match)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the click; a failure is logged and the clicker told, never left hanging."""
        client: HasGuide = interaction.client  # type: ignore[assignment]
        await client.responder.guarded(interaction, self.answer(interaction, client))

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Answer the click."""
        raise NotImplementedError


class DeleteButton(_Action, template=replies.DELETE_PATTERN):
    """Deletes a public answer, for the asker or a member with Manage Messages."""

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Delete the message, or tell the clicker why they cannot."""
        allowed = interaction.user.id == int(self.fields["owner"]) or (
            interaction.permissions.manage_messages
        )
        if not allowed:
            text = "Only the person who asked, or someone with Manage Messages, can delete it."
            await client.responder.send(interaction, replies.notice_reply("Not yours", text))
            return
        await client.responder.delete(interaction)


class PickButton(_Action, template=replies.PICK_PATTERN):
    """A "did you mean" suggestion: clicking it gives the answer that was meant."""

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Send the card or resources of the suggested framework."""
        framework = await _framework_or_say_gone(client, interaction, self.fields["ref"])
        if framework is None:
            return
        hide = self.fields["hide"] == "1"
        mention = int(self.fields["mention"]) or None
        kind = _kind(self.fields["kind"])
        asker = interaction.user.id
        if self.fields["what"] == "fw":
            reply = replies.card_reply(framework, asker=asker, hide=hide, mention=mention)
        else:
            reply = replies.resource_page_reply(
                framework, asker=asker, kind=kind, hide=hide, mention=mention
            )
        # A hidden answer takes the place of the private "did you mean"; a public one is posted.
        await _show(client, interaction, reply, in_place=hide)


class ResourcePageButton(_Action, template=replies.RESOURCE_PAGE_PATTERN):
    """Turns the page of a resource list."""

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Show the page, in place for the asker and as a private copy for anyone else."""
        framework = await _framework_or_say_gone(client, interaction, self.fields["ref"])
        if framework is None:
            return
        kind = _kind(self.fields["kind"])
        owner = int(self.fields["owner"])
        mine = interaction.user.id == owner
        reply = replies.resource_page_reply(
            framework,
            asker=interaction.user.id,
            kind=kind,
            page=int(self.fields["page"]),
            hide=not mine,
        )
        await _show(client, interaction, reply, in_place=mine)


class ListPageButton(_Action, template=replies.LIST_PAGE_PATTERN):
    """Turns the page of the framework list."""

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Show the page, in place for the asker and as a private copy for anyone else."""
        mine = interaction.user.id == int(self.fields["owner"])
        reply = replies.framework_list_reply(
            client.store.current, int(self.fields["page"]), asker=interaction.user.id, hide=not mine
        )
        await _show(client, interaction, reply, in_place=mine)


class WalkthroughButton(_Action, template=replies.WALK_BUTTON_PATTERN):
    """Back, Next, Start over and the menus of the walkthrough."""

    async def answer(self, interaction: discord.Interaction, client: HasGuide) -> None:
        """Move the walkthrough; someone else's click gets a private copy of their own."""
        snapshot = client.store.current
        walk = replies.decode_walk(snapshot, self.fields["state"])
        action = self.fields["action"]
        if action == "b":
            walk = walk.back()
        elif action == "n":
            walk = walk.next()
        elif action == "s":
            walk = Walkthrough(snapshot.guide)
        else:
            values = (interaction.data or {}).get("values") or [""]
            walk = walk.choose(str(values[0]))
        owner = int(self.fields["owner"])
        if interaction.user.id == owner:
            reply = replies.walkthrough_reply(walk, owner=owner, ephemeral=False)
            await client.responder.edit(interaction, reply)
            return
        own = replies.walkthrough_reply(walk, owner=interaction.user.id, ephemeral=True)
        note = f"This walkthrough is <@{owner}>'s, so here is a copy of your own."
        await client.responder.send(interaction, replace(own, content=note))


class WalkthroughMenu(WalkthroughButton, template=replies.WALK_MENU_PATTERN):
    """The walkthrough's select menus, answered by the buttons' handler."""

    component = discord.ui.Select


DYNAMIC_ITEMS = (
    DeleteButton,
    PickButton,
    ResourcePageButton,
    ListPageButton,
    WalkthroughButton,
    WalkthroughMenu,
)


async def _framework_or_say_gone(
    client: HasGuide, interaction: discord.Interaction, ref: str
) -> Framework | None:
    """Return the framework a custom_id refers to, or tell the clicker it left the guide."""
    framework = client.store.current.by_ref(ref)
    if framework is None:
        text = "That framework is no longer in the guide. Try the command again."
        await client.responder.send(interaction, replies.notice_reply("Gone", text))
    return framework


def _kind(field: str) -> str | None:
    return None if field == replies.NO_KIND else field


async def _show(
    client: HasGuide, interaction: discord.Interaction, reply: Reply, *, in_place: bool
) -> None:
    if in_place:
        await client.responder.edit(interaction, reply)
    else:
        await client.responder.send(interaction, reply)
