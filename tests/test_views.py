"""bot/views.py on its own: the click handler that the client routes each click to.

A click is routed by its custom_id (on a message whose components are the reply's own JSON),
with a recording interaction (tests/interactions.py) in place of Discord. What each click
decides is tested in test_clicks, and that each custom_id decodes to what it encodes in
test_custom_ids.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot import clicks, replies
from bot.cooldown import Cooldown, LocalCooldown
from bot.guide import Resource
from bot.payload import BUTTON, STRING_SELECT, callback_body
from bot.replies import Reply
from bot.respond import GENERIC_ERROR, Responder
from bot.store import GuideStore, Snapshot
from bot.views import answer_click
from bot.walkthrough import Step, Walkthrough
from tests.conftest import make_framework, make_guide
from tests.interactions import FakeInteraction, http_error, make_message

ASKER, OTHER = 7, 8
MANY = make_framework(
    "Many", resources=tuple(Resource(title=f"R{n}", url=f"https://e.x/{n}") for n in range(25))
)
SNAPSHOT = Snapshot.of(make_guide(MANY, make_framework("Django", aliases=("dj",))))
CARD = replies.framework_reply(SNAPSHOT, "django", asker=ASKER)
PAGES = replies.resources_reply(SNAPSHOT, "many", asker=ASKER)


class BrokenStore:
    """A store whose guide cannot be read: every click handler fails."""

    @property
    def current(self) -> Snapshot:
        raise RuntimeError("the guide went away")


def make_client(store: Any = None) -> SimpleNamespace:
    """What a click handler needs from discord.py's client: the guide and the responder."""
    return SimpleNamespace(
        store=store or GuideStore(Path("guide.yaml"), SNAPSHOT),
        responder=Responder(LocalCooldown(Cooldown(60)), walkthrough_timeout=900),
    )


def posted(reply: Reply) -> discord.Message:
    """The message Discord shows for `reply`, with its components."""
    return make_message(components=callback_body(reply)["data"].get("components"))


def components(message: discord.Message) -> list[Any]:
    return [child for row in message.components for child in getattr(row, "children", [])]


def find(message: discord.Message, label: str) -> tuple[Any, list[str] | None]:
    """The button labelled `label`, or the menu offering `label` and the value choosing it."""
    for component in components(message):
        if getattr(component, "label", None) == label:
            return component, None
        for option in getattr(component, "options", []):
            if option.label == label:
                return component, [option.value]
    raise LookupError(label)


def click(
    message: discord.Message,
    label: str,
    *,
    user: int = ASKER,
    client: SimpleNamespace | None = None,
    permissions: discord.Permissions | None = None,
    fail: tuple[str, BaseException] | None = None,
) -> FakeInteraction:
    """Click button `label` (or choose it in a menu) as discord.py would dispatch it; return it."""
    component, values = find(message, label)
    clicked = component.custom_id
    kind = STRING_SELECT if values is not None else BUTTON
    data = {"custom_id": clicked, "component_type": kind, "values": values or []}
    interaction = FakeInteraction(
        message=message,
        data=data,
        type=discord.InteractionType.component,
        client=client or make_client(),
        user=SimpleNamespace(id=user),
        permissions=permissions or discord.Permissions.none(),
    )
    if fail is not None:
        interaction.fail(*fail)

    answering = answer_click(interaction)  # type: ignore[arg-type]
    assert answering is not None, f"no handler reads {clicked!r}"
    asyncio.run(answering)
    return interaction


@pytest.mark.parametrize(
    ("user", "permissions", "deleted"),
    [
        (ASKER, discord.Permissions.none(), True),
        (OTHER, discord.Permissions(manage_messages=True), True),
        (OTHER, discord.Permissions.none(), False),
    ],
    ids=["asker", "moderator", "someone else"],
)
def test_delete_reads_who_clicked_and_their_permissions_from_the_interaction(
    user: int, permissions: discord.Permissions, deleted: bool
) -> None:
    clicked = click(posted(CARD), "Delete", user=user, permissions=permissions)

    if deleted:
        assert clicked.names() == ["response.defer", "delete_original_response"]
    else:
        assert clicked.names() == ["response.send_message"]
        sent = clicked.only("response.send_message")
        assert sent.kwargs["ephemeral"] is True
        assert sent.embeds[0].description == clicks.NOT_YOURS


def test_a_suggestion_clicked_posts_the_card_that_was_meant() -> None:
    clicked = click(
        posted(replies.framework_reply(SNAPSHOT, "djangoo manyy", asker=ASKER)), "Django"
    )

    # The "did you mean" is closed in place, then the card is posted for all to see.
    assert clicked.names() == ["response.edit_message", "followup.send"]
    closed = clicked.only("response.edit_message").kwargs
    assert closed["content"] == "You chose **Django**."
    rows = closed["view"].to_components()
    assert all(component["disabled"] for row in rows for component in row["components"])
    assert clicked.only("followup.send").embeds[0].title == "Django"
    assert clicked.only("followup.send").kwargs["ephemeral"] is False


def test_a_page_turned_by_the_asker_is_edited_in_place() -> None:
    clicked = click(posted(PAGES), "Next ▶")

    assert clicked.names() == ["response.edit_message"]
    edit = clicked.only("response.edit_message").kwargs
    assert (edit["embeds"][0].footer.text or "").endswith("Page 2 of 3")


def test_a_menu_choice_is_read_from_the_interaction() -> None:
    walk = replies.walkthrough_reply(Walkthrough(SNAPSHOT.guide, step=Step.LANGUAGE), owner=ASKER)

    clicked = click(posted(walk), "Python")

    edit = clicked.only("response.edit_message")
    assert edit.embeds[0].title == "Choose a framework"
    assert (edit.embeds[0].description or "").startswith("Frameworks for **Python**")
    rows = edit.kwargs["view"].to_components()
    (menu,) = [c for row in rows for c in row["components"] if c["type"] == 3]
    assert [option["label"] for option in menu["options"]] == ["Many", "Django"]


def problems_logged(caplog: pytest.LogCaptureFixture) -> list[int]:
    """Return the levels of the warnings and errors logged (each click also logs an INFO line)."""
    return [r.levelno for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_click_that_fails_is_reported_to_the_clicker_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clicked = click(posted(CARD), "Delete", client=make_client(BrokenStore()))

    told = clicked.only("response.send_message")
    assert told.kwargs["ephemeral"] is True
    assert told.embeds[0].description == GENERIC_ERROR
    assert problems_logged(caplog) == [logging.ERROR]


@pytest.mark.parametrize(
    "error",
    [http_error(404, 10062, "Unknown interaction"), http_error(429, 0, "slow down")],
    ids=["lost", "rate limited"],
)
def test_a_click_discord_refuses_is_not_answered_again(
    error: discord.HTTPException, caplog: pytest.LogCaptureFixture
) -> None:
    clicked = click(posted(PAGES), "Next ▶", fail=("response.edit_message", error))

    assert clicked.names() == ["response.edit_message"]
    assert problems_logged(caplog) == [logging.WARNING]
