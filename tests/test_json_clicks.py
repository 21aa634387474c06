"""Clicks answered from their JSON (bot/json_answers.py), as both adapters answer them.

A click is routed by its custom_id (on a message whose components are the reply's own JSON) and
answered through the gateway's exchange, with a recording webhook adapter (tests/interactions.py)
in place of Discord. What each click decides is tested in test_clicks, and that each custom_id
decodes to what it encodes in test_custom_ids.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
from discord.webhook.async_ import async_context

from bot import clicks, replies
from bot.bot import _Callback
from bot.cooldown import Cooldown, LocalCooldown
from bot.guide import Resource
from bot.json_answers import OUT_OF_DATE, learner_answer
from bot.metrics import Metrics
from bot.payload import BUTTON, STRING_SELECT, callback_body, reply_of
from bot.replies import Reply
from bot.respond import GENERIC_ERROR, Responder
from bot.store import GuideStore, Snapshot
from bot.walkthrough import Step, Walkthrough
from tests.conftest import make_framework, make_guide
from tests.interactions import CLIENT_HTTP, RecordingWebhooks, http_error, interaction_json

ASKER, OTHER = 7, 8
MANAGE_MESSAGES = 1 << 13
MANY = make_framework(
    "Many", resources=tuple(Resource(title=f"R{n}", url=f"https://e.x/{n}") for n in range(25))
)
SNAPSHOT = Snapshot.of(make_guide(MANY, make_framework("Django", aliases=("dj",))))
CARD = replies.framework_reply(SNAPSHOT, "django", asker=ASKER)
PAGES = replies.resources_reply(SNAPSHOT, "many", asker=ASKER)
CLICK = 3
UPDATE_MESSAGE = 7


class BrokenStore:
    """A store whose guide cannot be read: every click handler fails."""

    @property
    def current(self) -> Snapshot:
        raise RuntimeError("the guide went away")


def make_client(store: Any = None) -> Any:
    """What answering a click needs of the client: the guide, the responder, metrics, HTTP."""
    return SimpleNamespace(
        store=store or GuideStore(Path("guide.yaml"), SNAPSHOT),
        responder=Responder(LocalCooldown(Cooldown(60)), walkthrough_timeout=900),
        metrics=Metrics(),
        http=CLIENT_HTTP,
    )


def posted(reply: Reply) -> dict[str, Any]:
    """The message Discord shows for `reply`, as a click carries it."""
    return {"id": "555", "channel_id": "20", **callback_body(reply)["data"]}


def find(message: dict[str, Any], label: str) -> tuple[dict[str, Any], list[str] | None]:
    """The button labelled `label`, or the menu offering `label` and the value choosing it."""
    for row in message["components"]:
        for component in row["components"]:
            if component.get("label") == label:
                return component, None
            for option in component.get("options", []):
                if option["label"] == label:
                    return component, [option["value"]]
    raise LookupError(label)


def click(
    message: dict[str, Any],
    label: str,
    *,
    user: int = ASKER,
    client: Any = None,
    permissions: int = 0,
    custom_id: str | None = None,
    fail: tuple[str, BaseException] | None = None,
) -> RecordingWebhooks:
    """Click button `label` (or choose it in a menu) as Discord would send it; return the calls."""
    component, values = find(message, label)
    kind = STRING_SELECT if values is not None else BUTTON
    data = {
        "custom_id": custom_id or component["custom_id"],
        "component_type": kind,
        "values": values or [],
    }
    payload = interaction_json(CLICK, data, user=user, permissions=permissions, message=message)
    webhooks = RecordingWebhooks()
    if fail is not None:
        webhooks.fail(*fail)

    async def answer() -> None:
        async_context.set(webhooks)  # type: ignore[arg-type]
        answering = learner_answer(client or make_client(), payload, _Callback)
        assert answering is not None, f"no handler reads {data['custom_id']!r}"
        await answering

    asyncio.run(answer())
    return webhooks


def responses(webhooks: RecordingWebhooks) -> list[dict[str, Any]]:
    """The callbacks sent, in order."""
    return [sent for name, sent in webhooks.calls if name == "callback"]


@pytest.mark.parametrize(
    ("user", "permissions", "deleted"),
    [(ASKER, 0, True), (OTHER, MANAGE_MESSAGES, True), (OTHER, 1 << 3, True), (OTHER, 0, False)],
    ids=["asker", "moderator", "administrator", "someone else"],
)
def test_delete_reads_who_clicked_and_their_permissions_from_the_interaction(
    user: int, permissions: int, deleted: bool
) -> None:
    clicked = click(posted(CARD), "Delete", user=user, permissions=permissions)

    if deleted:
        assert clicked.names() == [
            "callback",
            "delete original",
        ]
        assert clicked.only("callback") == {"type": 6}
    else:
        (sent,) = responses(clicked)
        assert sent["data"]["flags"] == 64
        assert sent["data"]["embeds"][0]["description"] == clicks.NOT_YOURS


def test_a_suggestion_clicked_posts_the_card_that_was_meant() -> None:
    clicked = click(
        posted(replies.framework_reply(SNAPSHOT, "djangoo manyy", asker=ASKER)), "Django"
    )

    # The "did you mean" is closed in place, then the card is posted for all to see.
    assert clicked.names() == ["callback", "followup"]
    closed = clicked.only("callback")
    assert closed["type"] == UPDATE_MESSAGE
    assert closed["data"]["content"] == "You chose **Django**."
    rows = closed["data"]["components"]
    assert all(component["disabled"] for row in rows for component in row["components"])
    card = clicked.only("followup")
    assert card["embeds"][0]["title"] == "Django"
    assert "flags" not in card


def test_a_page_turned_by_the_asker_is_edited_in_place() -> None:
    clicked = click(posted(PAGES), "Next ▶")

    (edit,) = responses(clicked)
    assert edit["type"] == UPDATE_MESSAGE
    assert edit["data"]["embeds"][0]["footer"]["text"].endswith("Page 2 of 3")


def test_a_menu_choice_is_read_from_the_interaction() -> None:
    walk = replies.walkthrough_reply(Walkthrough(SNAPSHOT.guide, step=Step.LANGUAGE), owner=ASKER)

    clicked = click(posted(walk), "Python")

    (edit,) = responses(clicked)
    assert edit["data"]["embeds"][0]["title"] == "Choose a framework"
    assert edit["data"]["embeds"][0]["description"].startswith("Frameworks for **Python**")
    rows = edit["data"]["components"]
    (menu,) = [c for row in rows for c in row["components"] if c["type"] == STRING_SELECT]
    assert [option["label"] for option in menu["options"]] == ["Many", "Django"]


def test_a_button_from_an_older_version_is_told_privately_it_does_nothing_now() -> None:
    clicked = click(posted(CARD), "Delete", custom_id="delete:7")

    (sent,) = responses(clicked)
    assert sent["data"]["flags"] == 64
    assert sent["data"]["embeds"][0]["description"] == OUT_OF_DATE


def test_a_click_on_a_message_discord_did_not_include_is_left_to_discord_py() -> None:
    data = {"custom_id": "gb:del:7", "component_type": BUTTON}

    assert learner_answer(make_client(), interaction_json(CLICK, data), _Callback) is None


def problems_logged(caplog: pytest.LogCaptureFixture) -> list[int]:
    """Return the levels of the warnings and errors logged (each click also logs an INFO line)."""
    return [r.levelno for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_click_that_fails_is_reported_to_the_clicker_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clicked = click(posted(CARD), "Delete", client=make_client(BrokenStore()))

    (told,) = responses(clicked)
    assert told["data"]["flags"] == 64
    assert told["data"]["embeds"][0]["description"] == GENERIC_ERROR
    assert problems_logged(caplog) == [logging.ERROR]


@pytest.mark.parametrize(
    "error",
    [http_error(404, 10062, "Unknown interaction"), http_error(429, 0, "slow down")],
    ids=["lost", "rate limited"],
)
def test_a_click_discord_refuses_is_not_answered_again(
    error: discord.HTTPException, caplog: pytest.LogCaptureFixture
) -> None:
    clicked = click(posted(PAGES), "Next ▶", fail=("callback", error))

    assert clicked.names() == ["callback"]
    assert problems_logged(caplog) == [logging.WARNING]


def test_a_message_read_back_from_its_json_is_the_reply_that_was_sent() -> None:
    did_you_mean = replies.framework_reply(SNAPSHOT, "djangoo manyy", asker=ASKER)
    shown = reply_of(posted(did_you_mean))

    assert callback_body(shown) == callback_body(did_you_mean)
