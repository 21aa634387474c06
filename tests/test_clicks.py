"""What a click does, decided without Discord: the same for the gateway and an HTTP endpoint."""

import pytest

from bot import clicks, custom_ids, replies
from bot.clicks import Choose, Clicker, Delete, Edit, Send
from bot.custom_ids import DeleteId, ListPageId, PickId, ResourcePageId, WalkAction, WalkId
from bot.guide import Resource
from bot.payload import callback_body
from bot.replies import encode_walk
from bot.store import Snapshot
from bot.walkthrough import Step, Walkthrough
from tests.conftest import make_framework, make_guide
from tests.emulator.validation import message_problems

OWNER, OTHER = 7, 8
MANY = make_framework(
    "Many", resources=tuple(Resource(title=f"R{n}", url=f"https://e.x/{n}") for n in range(25))
)


@pytest.fixture
def snapshot():
    return Snapshot.of(make_guide(MANY, make_framework("Flask")))


def ref(key):
    return custom_ids.framework_ref(key)


def title(action):
    return action.reply.embeds[0].title


@pytest.mark.parametrize(
    ("clicker", "expected"),
    [
        (Clicker(OWNER), Delete),
        (Clicker(OTHER, manage_messages=True), Delete),
        (Clicker(OTHER), Send),
    ],
)
def test_clicks_delete_is_for_the_asker_or_a_moderator(snapshot, clicker, expected):
    action = clicks.handle(DeleteId(OWNER), [], clicker, snapshot)
    assert type(action) is expected
    if expected is Send:
        assert action.reply.ephemeral
        assert title(action) == "Not yours"


@pytest.mark.parametrize(("hide", "expected"), [(True, Edit), (False, Choose)])
def test_clicks_pick_answers_as_the_command_would(snapshot, hide, expected):
    pick = PickId("rs", ref("many"), None, hide, 9)
    action = clicks.handle(pick, [], Clicker(OTHER), snapshot)
    assert type(action) is expected
    if isinstance(action, Choose):
        assert action.chosen == pick.encode()
    assert title(action) == "Resources for Many"
    assert action.reply.ephemeral == hide
    assert action.reply.mention == (None if hide else 9)


@pytest.mark.parametrize(
    "click",
    [PickId("fw", ref("gone"), None, False, None), ResourcePageId(ref("gone"), None, 1, OWNER)],
)
def test_clicks_on_a_framework_since_removed_say_so_privately(snapshot, click):
    action = clicks.handle(click, [], Clicker(OWNER), snapshot)
    assert isinstance(action, Send)
    assert action.reply.ephemeral
    assert title(action) == "Gone"


def test_clicks_pages_turn_in_place_for_the_asker_and_privately_for_others(snapshot):
    click = ResourcePageId(ref("many"), None, 1, OWNER)
    mine = clicks.handle(click, [], Clicker(OWNER), snapshot)
    theirs = clicks.handle(click, [], Clicker(OTHER), snapshot)
    assert isinstance(mine, Edit)
    assert isinstance(theirs, Send)
    assert theirs.reply.ephemeral
    assert mine.reply.embeds[0].footer.text == "🔗 link · Page 2 of 3"
    listed = clicks.handle(ListPageId(0, OWNER), [], Clicker(OTHER), snapshot)
    assert isinstance(listed, Send)
    assert listed.reply.ephemeral


def test_clicks_walkthrough_menu_choice_moves_on(snapshot):
    walk = Walkthrough(snapshot.guide, step=Step.LANGUAGE)
    click = WalkId(WalkAction.CHOOSE, OWNER, encode_walk(walk))
    action = clicks.handle(click, ["language:0"], Clicker(OWNER), snapshot)
    assert isinstance(action, Edit)
    assert title(action) == "Choose a framework"
    unchanged = clicks.handle(click, [], Clicker(OWNER), snapshot)
    assert title(unchanged) == "Choose your language"


def test_clicks_someone_elses_walkthrough_gives_them_their_own(snapshot):
    walk = Walkthrough(snapshot.guide, step=Step.LANGUAGE, language="Python")
    action = clicks.handle(
        WalkId(WalkAction.NEXT, OWNER, encode_walk(walk)), [], Clicker(OTHER), snapshot
    )
    assert isinstance(action, Send)
    assert action.reply.ephemeral
    note = f"This walkthrough is <@{OWNER}>'s, so here is a copy of your own."
    assert action.reply.content == note
    assert title(action) == "Choose a framework"
    restart = clicks.handle(WalkId(WalkAction.RESTART, OWNER, None), [], Clicker(OWNER), snapshot)
    assert isinstance(restart, Edit)
    assert restart.reply.embeds[0].footer.text == "Step 1 of 6"


def test_a_language_with_more_frameworks_than_a_page_pages_through_all_of_them():
    names = [(f"Framework {n:03} " + "x" * 80)[:80] for n in range(120)]
    others = [make_framework(name) for name in names] + [make_framework("Gin", "Go")]
    snapshot = Snapshot.of(make_guide(*others, languages=("Python",)))

    reply = replies.framework_reply(snapshot, "python", asker=OWNER)
    listed = [field.value for field in reply.embeds[0].fields]
    turns = 0
    while next_id := _enabled(reply, "Next ▶"):
        action = clicks.handle(custom_ids.decode(next_id), [], Clicker(OWNER), snapshot)
        assert isinstance(action, Edit)
        reply = action.reply
        assert reply.embeds[0].title.startswith("Python frameworks")
        listed += [field.value for field in reply.embeds[0].fields]
        turns += 1

    assert turns >= 1
    assert ", ".join(listed) == ", ".join(names)  # every one, in order, Gin (Go) in none
    assert message_problems(callback_body(reply, edit=True)["data"]) == []
    back = clicks.handle(
        custom_ids.decode(_enabled(reply, "◀ Previous")), [], Clicker(OTHER), snapshot
    )
    assert isinstance(back, Send)
    assert back.reply.ephemeral
    assert back.reply.embeds[0].title.startswith("Python frameworks")


def _enabled(reply, label):
    """Return the custom_id of the enabled button labelled `label` on `reply`, if any."""
    return next(
        (
            c.custom_id
            for row in reply.rows
            for c in row
            if getattr(c, "label", None) == label and not c.disabled
        ),
        None,
    )
