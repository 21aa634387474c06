import asyncio

import pytest

from bot import replies
from bot.custom_ids import WalkState, decode
from bot.guide import Resource
from bot.payload import allowed_mentions, callback_body
from bot.replies import Button, LinkButton, Menu
from bot.store import Snapshot
from bot.walkthrough import STEPS, Step, Walkthrough
from tests.conftest import make_framework, make_guide
from tests.emulator.validation import message_problems

BIG_ID = 2**64 - 1  # the largest snowflake, to test custom_id lengths at their worst


@pytest.fixture
def snapshot(guide):
    return Snapshot.of(guide)


def custom_ids(reply):
    for row in reply.rows:
        for component in row:
            if isinstance(component, Button | Menu):
                yield component.custom_id


def test_replies_card_is_public_with_links_and_a_delete_button(snapshot):
    reply = replies.framework_reply(snapshot, "djagno", asker=7)
    assert not reply.ephemeral
    assert reply.embeds[0].title == "Django"
    assert isinstance(reply.rows[0][0], LinkButton)
    assert reply.rows[-1] == (Button("Delete", "gb:del:7", "danger"),)
    assert reply.mention is None


def test_replies_hide_makes_it_ephemeral_without_delete_or_mention(snapshot):
    reply = replies.framework_reply(snapshot, "flask", asker=7, hide=True, mention=9)
    assert reply.ephemeral
    assert reply.mention is None
    assert reply.content is None
    assert "gb:del:7" not in list(custom_ids(reply))


def test_replies_mention_pings_only_its_target(snapshot):
    reply = replies.framework_reply(snapshot, "flask", asker=7, mention=9)
    assert reply.content is not None
    assert reply.content.startswith("<@9>")
    mentions = allowed_mentions(reply).to_dict()
    assert mentions == {"parse": [], "users": [9]}


def test_replies_without_mention_allow_no_pings(snapshot):
    reply = replies.framework_reply(snapshot, "flask", asker=7)
    assert allowed_mentions(reply).to_dict() == {"parse": []}


def test_replies_not_found_is_ephemeral_and_quotes_the_query_safely(snapshot):
    reply = replies.framework_reply(snapshot, "pizza @everyone", asker=7)
    assert reply.not_found
    assert reply.ephemeral
    assert "`pizza @everyone`" in (reply.embeds[0].description or "")
    assert allowed_mentions(reply).to_dict() == {"parse": []}


def test_replies_not_found_buttons_encode_hide_and_mention(snapshot):
    suggestion = snapshot.matcher.suggest("django")[0]
    reply = replies.not_found_reply(
        snapshot, "x", [suggestion], what="rs", kind="video", hide=True, mention=BIG_ID
    )
    (button,) = reply.rows[0]
    assert isinstance(button, Button)
    assert button.label == "Django"
    assert button.custom_id.startswith("gb:pick:rs:")
    assert button.custom_id.endswith(f":video:1:{BIG_ID}")


def test_replies_empty_query_lists_every_framework(snapshot):
    reply = replies.framework_reply(snapshot, "  ", asker=7)
    names = " ".join(field.value for field in reply.embeds[0].fields)
    for framework in snapshot.guide.frameworks:
        assert framework.name in names


def test_replies_resources_filter_by_kind_and_say_when_none(snapshot):
    reply = replies.resources_reply(snapshot, "django", asker=7, kind="docs")
    assert "Django docs" in (reply.embeds[0].description or "")
    empty = replies.resources_reply(snapshot, "django", asker=7, kind="video")
    assert empty.ephemeral
    assert empty.not_found
    assert "docs" in (empty.embeds[0].description or "")


def test_replies_resources_page_with_buttons():
    many = make_framework(
        "Many", resources=tuple(Resource(title=f"R{n}", url=f"https://e.x/{n}") for n in range(25))
    )
    snapshot = Snapshot.of(make_guide(many))
    first = replies.resources_reply(snapshot, "many", asker=BIG_ID)
    pager = first.rows[1]
    assert [c.label for c in pager] == ["◀ Previous", "Page 1/3", "Next ▶"]
    assert pager[0].disabled
    assert not pager[2].disabled
    last = replies.resource_page_reply(many, asker=BIG_ID, page=99)
    assert last.embeds[0].footer.text == "🔗 link · Page 3 of 3"


@pytest.mark.parametrize("step", STEPS)
def test_replies_walkthrough_custom_ids_fit_at_the_largest_ids(guide, step):
    walk = Walkthrough(guide, step=step, language="Python", framework_key="django", page=999)
    reply = replies.walkthrough_reply(walk, owner=BIG_ID)
    ids = list(custom_ids(reply))
    assert ids
    assert all(len(i) <= 100 for i in ids)
    assert len(set(ids)) == len(ids)
    assert len(reply.rows) <= 5


def test_replies_walkthrough_state_round_trips(snapshot):
    walk = Walkthrough(
        snapshot.guide, step=Step.RESOURCES, language="Python", framework_key="flask"
    )
    assert replies.decode_walk(snapshot, replies.encode_walk(walk)) == walk


@pytest.mark.parametrize(
    "state", ["", "zz", "5.99.ffffffffffff.0", "1.2.3", "9.0..0", "5...0", "...", "3..."]
)
def test_replies_walkthrough_decode_survives_stale_or_mangled_state(snapshot, state):
    walk = replies.decode_walk(snapshot, WalkState.decode(state))
    # Whatever comes in, the state is consistent: a step past a choice has that choice.
    if STEPS.index(walk.step) > STEPS.index(Step.LANGUAGE):
        assert walk.language is not None
    if STEPS.index(walk.step) > STEPS.index(Step.FRAMEWORK):
        assert walk.framework is not None


def test_replies_disabled_keeps_links_and_delete_and_disables_the_rest(guide):
    reply = replies.walkthrough_reply(Walkthrough(guide, step=Step.LANGUAGE), owner=1).disabled()
    working = [
        component.label
        for row in reply.rows
        for component in row
        if isinstance(component, LinkButton) or not component.disabled
    ]
    assert working == ["Delete"]


def test_replies_public_walkthrough_has_delete_for_its_owner_and_a_private_one_none(guide):
    for step in STEPS:
        walk = Walkthrough(guide, step=step, language="Python", framework_key="django")
        public = replies.walkthrough_reply(walk, owner=7)
        private = replies.walkthrough_reply(walk, owner=7, ephemeral=True)
        assert "gb:del:7" in list(custom_ids(public)), step
        assert not [i for i in custom_ids(private) if i.startswith("gb:del:")], step


def test_replies_callback_body_is_discord_shaped(snapshot):
    async def build():
        return callback_body(replies.framework_reply(snapshot, "django", asker=7, hide=True))

    body = asyncio.run(build())
    assert body["type"] == 4
    assert body["data"]["flags"] == 64
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert body["data"]["embeds"][0]["title"] == "Django"


def test_replies_not_found_with_an_unknown_kind_still_suggests(snapshot):
    reply = replies.resources_reply(snapshot, "fla", asker=7, kind="podcast")
    (button,) = reply.rows[0]
    assert button.label == "Flask"
    assert decode(button.custom_id).kind is None


@pytest.mark.parametrize(
    ("command", "options", "note"),
    [
        ("framework", {"name": "flask", "hide": True}, "a hidden answer is shown to you alone"),
        ("framework", {}, "only a framework's card or resources can be pointed at someone"),
        (
            "resources",
            {"framework": "flask", "hide": True},
            "a hidden answer is shown to you alone",
        ),
    ],
)
def test_replies_say_why_a_mention_was_not_honoured(snapshot, command, options, note):
    reply = replies.command_reply(
        snapshot, command, {**options, "mention": replies.Mention(9)}, asker=7
    )
    assert reply.mention is None
    told = reply.content if reply.ephemeral else reply.note
    assert told == f"<@9> was not mentioned: {note}."


@pytest.mark.parametrize(
    ("target", "note"),
    [
        (replies.Mention(7), "<@7> was not mentioned: that is you."),
        (replies.Mention(9, bot=True), "<@9> was not mentioned: bots are not pinged."),
        (replies.Mention(9), None),
    ],
)
def test_replies_point_a_public_answer_only_at_someone_else(snapshot, target, note):
    reply = replies.command_reply(
        snapshot, "resources", {"framework": "flask", "mention": target}, asker=7
    )
    assert not reply.ephemeral
    assert reply.note == note
    assert reply.mention == (None if note else 9)


def test_replies_pointer_pings_its_target_alone_and_can_be_deleted(snapshot):
    pointer = replies.pointer_reply(9, "https://discord.com/channels/1/2/3", asker=7)
    assert not pointer.ephemeral
    assert pointer.content == "<@9>, this one is for you: https://discord.com/channels/1/2/3"
    assert allowed_mentions(pointer).to_dict() == {"parse": [], "users": [9]}
    assert list(custom_ids(pointer)) == ["gb:del:7"]
    assert pointer.topic is None


def test_resources_of_a_language_with_many_frameworks_lists_what_fits_and_counts_the_rest():
    names = [(f"Framework {n:03} " + "x" * 80)[:80] for n in range(120)]
    snapshot = Snapshot.of(
        make_guide(*(make_framework(name) for name in names), languages=("Python",))
    )

    reply = replies.resources_reply(snapshot, "python", asker=1)

    (embed,) = reply.embeds
    assert embed.title == "Python: choose a framework"
    assert message_problems(callback_body(reply)["data"]) == []
    shown = [name for name in names if f"**{name}**" in embed.description]
    assert shown == names[: len(shown)]
    assert f", … and {len(names) - len(shown)} more. Pick one below" in embed.description
