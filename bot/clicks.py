"""What a click on a button or menu does, whichever adapter received it.

Both adapters read a click from its JSON (`bot.json_answers`), decode its custom_id with
`bot.custom_ids`, call `handle`, and carry out the `Action` it returns; so a click is answered by
the same code however it reaches the bot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot import replies
from bot.custom_ids import (
    ComponentId,
    DeleteId,
    ListPageId,
    PickId,
    ResourcePageId,
    WalkAction,
    WalkId,
)
from bot.guide import Framework
from bot.replies import Reply
from bot.store import Snapshot
from bot.walkthrough import Walkthrough

NOT_YOURS = "Only the person who asked, or someone with Manage Messages, can delete it."
GONE = "That framework is no longer in the guide. Try the command again."


@dataclass(frozen=True, slots=True)
class Clicker:
    """Who clicked, as far as a click's answer depends on it."""

    id: int
    manage_messages: bool = False
    """Whether they may manage messages in the channel (and so delete anyone's answer)."""


@dataclass(frozen=True, slots=True)
class Send:
    """Answer with a new message."""

    reply: Reply
    refused: bool = False
    """The message says no to what the click asked (counted as `refused` in the metrics)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the message the component sits on."""

    reply: Reply


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the message the component sits on."""


@dataclass(frozen=True, slots=True)
class Choose:
    """Close the "did you mean" the clicked suggestion sits on, marking it chosen; post `reply`."""

    reply: Reply
    chosen: str
    """The custom_id of the suggestion clicked."""


Action = Send | Edit | Delete | Choose


def handle(
    click: ComponentId, values: Sequence[str], clicker: Clicker, snapshot: Snapshot
) -> Action:
    """Return what to do about a click on the component whose custom_id decodes to `click`.

    Args:
        click: The clicked component's decoded custom_id.
        values: What was chosen in a select menu; empty for a button.
        clicker: Who clicked.
        snapshot: The guide served now.
    """
    match click:
        case DeleteId(owner=owner):
            if clicker.id == owner or clicker.manage_messages:
                return Delete()
            return Send(replies.notice_reply("Not yours", NOT_YOURS), refused=True)
        case PickId():
            return _pick(click, clicker, snapshot)
        case ResourcePageId():
            framework = snapshot.by_ref(click.ref)
            if framework is None:
                return _gone()
            mine = clicker.id == click.owner
            reply = replies.resource_page_reply(
                framework, asker=clicker.id, kind=click.kind, page=click.page, hide=not mine
            )
            return Edit(reply) if mine else Send(reply)
        case ListPageId():
            return _list_page(click, clicker, snapshot)
        case WalkId():
            return _walk(click, values, clicker, snapshot)


def _list_page(click: ListPageId, clicker: Clicker, snapshot: Snapshot) -> Action:
    """Turn a page of every framework, or of one language's (of every one, if it is gone)."""
    mine = clicker.id == click.owner
    languages = snapshot.guide.languages()
    found = None
    if click.language is not None and click.language < len(languages):
        found = snapshot.matcher.lookup(languages[click.language])
    if found is not None and found.language is not None:
        reply = replies.language_list_reply(
            snapshot, found, asker=clicker.id, hide=not mine, page=click.page
        )
    else:
        reply = replies.framework_list_reply(snapshot, click.page, asker=clicker.id, hide=not mine)
    return Edit(reply) if mine else Send(reply)


def _pick(click: PickId, clicker: Clicker, snapshot: Snapshot) -> Action:
    framework: Framework | None = snapshot.by_ref(click.ref)
    if framework is None:
        return _gone()
    if click.what == "fw":
        reply = replies.card_reply(
            framework, asker=clicker.id, hide=click.hide, mention=click.mention
        )
    else:
        reply = replies.resource_page_reply(
            framework, asker=clicker.id, kind=click.kind, hide=click.hide, mention=click.mention
        )
    # A hidden answer takes the place of the private "did you mean"; a public one is posted,
    # and the "did you mean" shows which suggestion was used, its buttons switched off.
    return Edit(reply) if click.hide else Choose(reply, click.encode())


def _walk(click: WalkId, values: Sequence[str], clicker: Clicker, snapshot: Snapshot) -> Action:
    walk = replies.decode_walk(snapshot, click.state)
    match click.action:
        case WalkAction.BACK:
            walk = walk.back()
        case WalkAction.NEXT:
            walk = walk.next()
        case WalkAction.RESTART:
            walk = Walkthrough(snapshot.guide)
        case WalkAction.CHOOSE:
            walk = walk.choose(values[0] if values else "")
    if clicker.id == click.owner:
        return Edit(replies.walkthrough_reply(walk, owner=click.owner, ephemeral=False))
    # Someone else's click gets a private copy of their own.
    own = replies.walkthrough_reply(walk, owner=clicker.id, ephemeral=True)
    note = f"This walkthrough is <@{click.owner}>'s, so here is a copy of your own."
    return Send(replace(own, content=note))


def _gone() -> Send:
    return Send(replies.notice_reply("Gone", GONE))
