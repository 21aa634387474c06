"""End-to-end: clicks on the bot's buttons and menus, answered by the real bot process.

Each test starts the bot once against the Discord emulator, posts an answer with a slash
command, then clicks through it as its asker, as someone else and as a moderator. The assertions
are on the recorded callbacks and webhook requests, and on the messages as Discord stores them.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.guide import load_guide
from tests.conftest import SHIPPED_GUIDE
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import BotProcess, bot_config, running_bot
from tests.emulator.messages import (
    LINK_STYLE,
    button,
    choose_in_place,
    click_in_place,
    components,
    footer,
    link_urls,
    menu,
    option_value,
    updated_in_place,
)
from tests.emulator.payloads import (
    CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    MANAGE_MESSAGES,
    MEMBER_PERMISSIONS,
)
from tests.emulator.plugin import RunBot

EDIT_ORIGINAL = "PATCH /webhooks/*/*/messages/@original"


def owners(message: dict[str, Any], prefix: str, position: int) -> set[str]:
    """Return the user IDs at `position` (split on ':') in the custom_ids starting with `prefix`."""
    return {
        c["custom_id"].split(":")[position]
        for c in components(message)
        if c.get("custom_id", "").startswith(prefix)
    }


@pytest.mark.e2e
def test_walkthrough_steps_through_in_place_for_its_owner(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    flask = load_guide(SHIPPED_GUIDE).framework("flask")
    assert flask is not None

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        walk = await emu.slash("getting-started")
        message_id = walk.message["id"]

        step = await click_in_place(emu, message_id, "Next ▶")
        assert footer(step) == "Step 2 of 6"
        assert step["embeds"][0]["title"] == "Prerequisites"

        step = await click_in_place(emu, message_id, "Next ▶")
        assert footer(step) == "Step 3 of 6"
        assert button(step, "Next ▶")["disabled"] is True
        assert [o["label"] for o in menu(step)["options"]][:2] == ["Python", "Java"]

        step = await choose_in_place(emu, message_id, "Python")
        assert footer(step) == "Step 4 of 6"
        assert "Flask" in [o["label"] for o in menu(step)["options"]]

        step = await choose_in_place(emu, message_id, "Flask")
        assert footer(step) == "Step 5 of 6"
        assert step["embeds"][0]["title"] == "Study Flask"
        assert link_urls(step) == [r.url for r in flask.resources][:5]

        step = await click_in_place(emu, message_id, "Next ▶")
        assert footer(step) == "Step 6 of 6"
        assert button(step, "Next ▶")["disabled"] is True
        assert button(step, "Start over")["disabled"] is False

        step = await click_in_place(emu, message_id, "◀ Back")
        assert footer(step) == "Step 5 of 6"
        assert step["embeds"][0]["title"] == "Study Flask"

        await click_in_place(emu, message_id, "Next ▶")
        step = await click_in_place(emu, message_id, "Start over")
        assert footer(step) == "Step 1 of 6"
        assert button(step, "◀ Back")["disabled"] is True

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_walkthrough_click_by_someone_else_gets_them_a_private_copy(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    other = emulator.make_user("other")
    owner_id, other_id = emulator.user["id"], other["id"]

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        walk = await emu.slash("getting-started")
        message_id = walk.message["id"]
        for label in ("Next ▶", "Next ▶"):
            current = emu.message(message_id)
            await emu.click(message_id, button(current, label)["custom_id"])
        before = copy.deepcopy(emu.message(message_id))
        assert footer(before) == "Step 3 of 6"

        theirs = await emu.select(
            message_id,
            menu(before)["custom_id"],
            [option_value(before, "Ruby")],
            user=other,
        )
        assert theirs.type == CHANNEL_MESSAGE
        assert theirs.data["flags"] == EPHEMERAL
        assert f"<@{owner_id}>" in theirs.data["content"]
        assert theirs.data["allowed_mentions"] == {"parse": []}
        assert footer(theirs.data) == "Step 4 of 6"
        assert owners(theirs.data, "gb:wk:", 3) == {other_id}
        assert emu.message(message_id) == before

        # The copy is theirs: it moves in place for them.
        copy_id = theirs.message["id"]
        rails = option_value(theirs.message, "Ruby on Rails")
        moved = await emu.select(copy_id, menu(theirs.message)["custom_id"], [rails], user=other)
        assert footer(updated_in_place(moved, copy_id)) == "Step 5 of 6"

        went_back = await emu.click(message_id, button(before, "◀ Back")["custom_id"], user=other)
        assert went_back.type == CHANNEL_MESSAGE
        assert went_back.data["flags"] == EPHEMERAL
        assert owners(went_back.data, "gb:wk:", 3) == {other_id}
        assert emu.message(message_id) == before

    run_bot(scenario, config_text=bot_config(emulator))


@pytest.mark.e2e
def test_walkthrough_is_disabled_when_left_alone_past_the_timeout(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    config = bot_config(emulator, answers={"walkthrough_timeout_seconds": 1})

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        untouched = await emu.slash("getting-started", {"hide": True})
        assert untouched.ephemeral
        walk = await emu.slash("getting-started")
        message_id = walk.message["id"]
        last = walk
        for label in ("Next ▶", "Next ▶"):
            current = emu.message(message_id)
            last = await emu.click(message_id, button(current, label)["custom_id"])
        for choice in ("Python", "Django"):
            current = emu.message(message_id)
            last = await emu.select(
                message_id, menu(current)["custom_id"], [option_value(current, choice)]
            )
        clicked_at = len(emu.requests)
        assert link_urls(emu.message(message_id))

        expired = await last.wait_webhook("PATCH */@original")
        assert expired.index >= clicked_at
        _assert_disabled_but_links(expired.json)
        _assert_disabled_but_links(emu.message(message_id))
        with pytest.raises(ValueError, match="disabled"):
            await emu.click(message_id, button(emu.message(message_id), "◀ Back")["custom_id"])

        first = await untouched.wait_webhook("PATCH */@original")
        _assert_disabled_but_links(first.json)
        assert untouched.ephemeral
        _assert_disabled_but_links(untouched.message)
        # Each click replaced the timer of the one before, so each message is disabled once.
        assert len([r for r in emu.requests if r.matches(EDIT_ORIGINAL)]) == 2

    run_bot(scenario, config_text=config)


def _assert_disabled_but_links(message: dict[str, Any]) -> None:
    """Assert every component is off but links and Delete, which keep working."""
    found = components(message)
    assert found
    for component in found:
        if component.get("style") == LINK_STYLE or component.get("label") == "Delete":
            assert not component.get("disabled"), component
        else:
            assert component.get("disabled") is True, component


@pytest.mark.e2e
def test_delete_button_deletes_for_the_asker_and_moderators_only(
    run_bot: RunBot, emulator: DiscordEmulator
) -> None:
    other = emulator.make_user("other")
    moderator = emulator.make_user("moderator")
    delete_id = f"gb:del:{emulator.user['id']}"

    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        mine = await emu.slash("framework", {"name": "django"})
        deleted = await emu.click(mine.message["id"], delete_id)
        assert deleted.type == DEFERRED_UPDATE
        await deleted.wait_webhook("DELETE */@original")
        assert mine.state.original_message_id in emu.deleted_messages
        assert mine.message is None

        kept = await emu.slash("framework", {"name": "flask"})
        refused = await emu.click(kept.message["id"], delete_id, user=other)
        assert refused.type == CHANNEL_MESSAGE
        assert refused.data["flags"] == EPHEMERAL
        assert refused.data["embeds"][0]["title"] == "Not yours"
        assert kept.message is not None
        assert not [r for r in refused.webhook_requests if r.method == "DELETE"]

        payload = emu.build_component(
            kept.message, {"custom_id": delete_id, "component_type": 2}, user=moderator
        )
        payload["member"]["permissions"] = str(MEMBER_PERMISSIONS | MANAGE_MESSAGES)
        moderated = await emu.interact(payload)
        assert moderated.type == DEFERRED_UPDATE
        await moderated.wait_webhook("DELETE */@original")
        assert kept.message is None

    run_bot(scenario, config_text=bot_config(emulator))


PAGEY_LEGEND = "📘 docs · 🧭 tutorial · 🎬 video · 🎓 course · 📗 book"
"""The footer's icon legend on every page of Pagey's resources, each with every kind."""


def write_paged_guide(directory: Path, resources: int = 25) -> Path:
    """Write a guide whose framework "Pagey" has `resources` resources; return its path."""
    kinds = ("docs", "tutorial", "video", "course", "book")
    guide = {
        "title": "Paged guide",
        "intro": "Backend is the server side.",
        "prerequisites": {"text": "Know a language.", "languages": ["Python"]},
        "frameworks": [
            {
                "name": "Pagey",
                "language": "Python",
                "description": "A framework with a great many resources.",
                "resources": [
                    {
                        "title": f"Pagey resource {number:02d}",
                        "url": f"https://pagey.example/{number:02d}",
                        "kind": kinds[number % len(kinds)],
                    }
                    for number in range(1, resources + 1)
                ],
            },
            {
                "name": "Tiny",
                "language": "Python",
                "description": "A framework with one resource.",
                "resources": [{"title": "Tiny docs", "url": "https://tiny.example/"}],
            },
        ],
        "conclusion": "Build something.",
    }
    path = directory / "paged-guide.yaml"
    path.write_text(yaml.safe_dump(guide, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.e2e
def test_resource_pages_turn_in_place_for_the_asker_and_privately_for_others(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    guide_path = write_paged_guide(tmp_path)
    other = emulator.make_user("other")
    urls = [f"https://pagey.example/{number:02d}" for number in range(1, 26)]

    async def scenario() -> None:
        config = bot_config(emulator, guide_path=guide_path)
        async with emulator, running_bot(emulator, workdir=tmp_path, config_text=config):
            first = await emulator.slash("resources", {"framework": "pagey"})
            message_id = first.message["id"]
            assert footer(first.data) == f"{PAGEY_LEGEND} · Page 1 of 3"
            assert first.data["embeds"][0]["description"].count("pagey.example") == 10
            assert link_urls(first.data) == urls[:5]
            assert button(first.data, "◀ Previous")["disabled"] is True
            assert button(first.data, "Page 1/3")["disabled"] is True

            page = await click_in_place(emulator, message_id, "Next ▶")
            assert footer(page) == f"{PAGEY_LEGEND} · Page 2 of 3"
            assert link_urls(page) == urls[10:15]
            assert "pagey.example/20" in page["embeds"][0]["description"]
            assert "pagey.example/21" not in page["embeds"][0]["description"]
            assert button(page, "Delete")["custom_id"] == f"gb:del:{emulator.user['id']}"

            page = await click_in_place(emulator, message_id, "Next ▶")
            assert footer(page) == f"{PAGEY_LEGEND} · Page 3 of 3"
            assert link_urls(page) == urls[20:25]
            assert button(page, "Next ▶")["disabled"] is True

            page = await click_in_place(emulator, message_id, "◀ Previous")
            assert footer(page) == f"{PAGEY_LEGEND} · Page 2 of 3"

            before = copy.deepcopy(emulator.message(message_id))
            theirs = await emulator.click(
                message_id, button(before, "Next ▶")["custom_id"], user=other
            )
            assert theirs.type == CHANNEL_MESSAGE
            assert theirs.data["flags"] == EPHEMERAL
            assert footer(theirs.data) == f"{PAGEY_LEGEND} · Page 3 of 3"
            assert owners(theirs.data, "gb:rp:", 5) == {other["id"]}
            assert not owners(theirs.data, "gb:del:", 2)
            assert emulator.message(message_id) == before

            copy_id = theirs.message["id"]
            back = await emulator.click(
                copy_id, button(theirs.message, "◀ Previous")["custom_id"], user=other
            )
            assert footer(updated_in_place(back, copy_id)) == f"{PAGEY_LEGEND} · Page 2 of 3"

            videos = await emulator.slash("resources", {"framework": "pagey", "kind": "video"})
            assert "Page" not in videos.data["embeds"][0].get("footer", {}).get("text", "")
            assert videos.data["embeds"][0]["description"].count("pagey.example") == 5

    asyncio.run(scenario())


@pytest.mark.e2e
@pytest.mark.parametrize("http", [False, True], ids=["gateway", "http"])
def test_a_button_no_handler_reads_is_still_answered(
    run_bot: RunBot, emulator: DiscordEmulator, http: bool
) -> None:
    # A message posted by an older version of the bot keeps its old custom_ids; a click on one
    # must be told so, not left for Discord to call "This interaction failed".
    async def scenario(emu: DiscordEmulator, bot: BotProcess) -> None:
        card = await emu.slash("framework", {"name": "flask"})
        assert card.message is not None
        stored = emu.message(card.message["id"])
        delete = next(c for c in components(stored) if c.get("label") == "Delete")
        delete["custom_id"] = "gb:gone:1"

        answer = await emu.click(stored["id"], "gb:gone:1")

        assert answer.type == CHANNEL_MESSAGE
        assert answer.data["flags"] == EPHEMERAL
        assert answer.data["embeds"][0]["title"] == "Out of date"
        assert emu.message(stored["id"]) == stored

    bot = run_bot(scenario, http=http)
    assert "Traceback" not in bot.log()
