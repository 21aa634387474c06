"""The gateway's click handler: a button or menu click goes to `bot.clicks`, its answer back.

Every component's state is in its custom_id, so a click is routed by its custom_id alone
(`bot.custom_ids`): no view is kept in memory per message, and clicks keep working across
restarts. Nor is one rebuilt per click: discord.py's `DynamicItem` routing rebuilds a whole
`View` from the clicked message to find the item, a tenth of a click's CPU (bench/e2e.py), for
nothing a handler reads. What a click does is decided in `bot.clicks`, the same for every adapter.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import discord

from bot import clicks, custom_ids, replies
from bot.custom_ids import ComponentId
from bot.respond import Responder
from bot.store import GuideStore

OUT_OF_DATE = (
    "This button is from an older version of the bot and does nothing now; "
    "run the command again for a fresh answer."
)


def answer_click(interaction: discord.Interaction) -> Coroutine[Any, Any, None] | None:
    """Return the answering of a component interaction.

    A click on a message Discord did not include is ignored, as discord.py's own routing does.
    One whose custom_id no codec reads (a message from an older version of the bot) is told so
    privately, rather than left for Discord to call failed.
    """
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    click = custom_ids.decode(custom_id) if isinstance(custom_id, str) else None
    if interaction.message is None:
        return None
    return _answer(interaction, click, [str(value) for value in data.get("values") or ()])


async def _answer(
    interaction: discord.Interaction, click: ComponentId | None, values: list[str]
) -> None:
    """Answer a click through the client's responder; a failure is reported, never left hanging."""
    client: Any = interaction.client
    responder = getattr(client, "responder", None)
    if not isinstance(responder, Responder):
        raise TypeError(f"{type(client).__name__} cannot answer clicks")

    async def act() -> None:
        store: GuideStore = client.store
        clicker = clicks.Clicker(interaction.user.id, interaction.permissions.manage_messages)
        action = (
            clicks.Send(replies.notice_reply("Out of date", OUT_OF_DATE), refused=True)
            if click is None
            else clicks.handle(click, values, clicker, store.current)
        )
        await responder.act(interaction, action)

    await responder.guarded(interaction, act())
