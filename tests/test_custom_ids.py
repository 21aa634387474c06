"""The custom_id codecs: each id decodes to what was encoded, fits Discord, reaches its handler."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import custom_ids, replies
from bot.custom_ids import (
    NUMBER_MAX,
    SNOWFLAKE_MAX,
    DeleteId,
    ListPageId,
    PickId,
    ResourcePageId,
    WalkAction,
    WalkId,
    WalkState,
    framework_ref,
)
from bot.guide import ResourceKind
from bot.store import Snapshot
from bot.walkthrough import STEPS, Walkthrough
from tests.conftest import make_guide
from tests.emulator.validation import CUSTOM_ID_LIMIT

snowflakes = st.integers(0, SNOWFLAKE_MAX)
numbers = st.integers(0, NUMBER_MAX)
refs = st.builds(framework_ref, st.text())
kinds = st.none() | st.sampled_from([kind.value for kind in ResourceKind])
states = st.builds(WalkState, numbers, st.none() | numbers, st.none() | refs, numbers)

IDS = {
    DeleteId: st.builds(DeleteId, snowflakes),
    PickId: st.builds(
        PickId,
        st.sampled_from(["fw", "rs"]),
        refs,
        kinds,
        st.booleans(),
        st.none() | st.integers(1, SNOWFLAKE_MAX),
    ),
    ResourcePageId: st.builds(ResourcePageId, refs, kinds, numbers, snowflakes),
    ListPageId: st.builds(ListPageId, numbers, snowflakes, st.none() | numbers),
    WalkId: st.builds(WalkId, st.sampled_from(WalkAction), snowflakes, st.none() | states),
}
any_id = st.one_of(*IDS.values())

LONGEST_KIND = max((kind.value for kind in ResourceKind), key=len)
LONGEST = {
    DeleteId: DeleteId(SNOWFLAKE_MAX),
    PickId: PickId("rs", "f" * 12, LONGEST_KIND, True, SNOWFLAKE_MAX),
    ResourcePageId: ResourcePageId("f" * 12, LONGEST_KIND, NUMBER_MAX, SNOWFLAKE_MAX),
    ListPageId: ListPageId(NUMBER_MAX, SNOWFLAKE_MAX, NUMBER_MAX),
    WalkId: WalkId(
        WalkAction.CHOOSE,
        SNOWFLAKE_MAX,
        WalkState(NUMBER_MAX, NUMBER_MAX, "f" * 12, NUMBER_MAX),
    ),
}


@pytest.mark.parametrize("kind", IDS, ids=lambda kind: kind.__name__)
def test_custom_ids_round_trip_each_kind(kind):
    @given(IDS[kind])
    def round_trip(value):
        encoded = value.encode()
        assert len(encoded) <= CUSTOM_ID_LIMIT
        assert kind.decode(encoded) == value
        assert custom_ids.decode(encoded) == value

    round_trip()


@pytest.mark.parametrize("kind", LONGEST, ids=lambda kind: kind.__name__)
def test_custom_ids_longest_of_each_kind_fits_discord(kind):
    encoded = LONGEST[kind].encode()
    assert len(encoded) <= CUSTOM_ID_LIMIT
    assert kind.decode(encoded) == LONGEST[kind]


@given(any_id)
def test_custom_ids_a_label_beside_an_id_reaches_no_handler(value):
    label = custom_ids.label_id(value)
    assert custom_ids.decode(label) is None
    assert custom_ids.decode(label) is None


@pytest.mark.parametrize(
    "value",
    [
        DeleteId(-1),
        DeleteId(SNOWFLAKE_MAX + 1),
        ListPageId(-1, 7),
        ListPageId(NUMBER_MAX + 1, 7),
        ResourcePageId("f" * 11, None, 0, 7),
        ResourcePageId("F" * 12, None, 0, 7),
        ResourcePageId("f" * 12, "podcast", 0, 7),
        ResourcePageId("f" * 12, "-", 0, 7),
        PickId("xx", "f" * 12, None, False, None),  # type: ignore[arg-type]
        WalkId(WalkAction.NEXT, 7, WalkState(0, -1, None, 0)),
    ],
)
def test_custom_ids_refuse_to_encode_what_their_handler_cannot_read(value):
    with pytest.raises(ValueError, match=r"is not|unknown"):
        value.encode()


@pytest.mark.parametrize(
    "custom_id",
    [
        "",
        "gb:del:",
        "gb:del:1a",
        "gb:lp:1",
        "gb:lp:1:2:3:4",
        "xx:del:1",
        "gb:wk:q:1:",
        "gb:del:1:x",
    ],
)
def test_custom_ids_other_shapes_decode_to_none(custom_id):
    assert custom_ids.decode(custom_id) is None


@pytest.mark.parametrize(
    ("custom_id", "decoded"),
    [
        ("gb:del:7", DeleteId(7)),
        ("gb:lp:2:7", ListPageId(2, 7)),
        ("gb:rp:0123456789ab:-:3:7", ResourcePageId("0123456789ab", None, 3, 7)),
        ("gb:pick:fw:0123456789ab:video:1:0", PickId("fw", "0123456789ab", "video", True, None)),
        ("gb:wk:s:7:", WalkId(WalkAction.RESTART, 7, None)),
        (
            "gb:wk:m:7:3.1.0123456789ab.a",
            WalkId(WalkAction.CHOOSE, 7, WalkState(3, 1, "0123456789ab", 10)),
        ),
        ("gb:wk:n:7:2...0", WalkId(WalkAction.NEXT, 7, WalkState(2, None, None, 0))),
    ],
)
def test_custom_ids_read_the_ids_already_sent_to_discord(custom_id, decoded):
    # Messages posted before this version keep their buttons: the wire format must not change.
    assert custom_ids.decode(custom_id) == decoded
    assert decoded.encode() == custom_id


def all_reply_ids(reply):
    for row in reply.rows:
        for component in row:
            if isinstance(component, replies.Button | replies.Menu):
                yield component, component.custom_id


def test_custom_ids_every_clickable_component_in_every_reply_decodes():
    snapshot = Snapshot.of(make_guide())
    built = [
        replies.framework_reply(snapshot, "", asker=SNOWFLAKE_MAX),
        replies.framework_reply(snapshot, "djnago", asker=7, hide=True, mention=9),
        replies.resources_reply(snapshot, "nope", asker=7, kind="video"),
        replies.resources_reply(snapshot, "django", asker=7),
    ]
    walks = [Walkthrough(snapshot.guide, step=step, language="Python") for step in STEPS]
    built += [replies.walkthrough_reply(walk, owner=7) for walk in walks]
    seen = 0
    for reply in built:
        for component, custom_id in all_reply_ids(reply):
            if component.disabled and custom_id.endswith(custom_ids.LABEL_SUFFIX):
                continue
            assert custom_ids.decode(custom_id) is not None, custom_id
            assert re.fullmatch(r"[\x21-\x7e]+", custom_id)
            seen += 1
    assert seen > 10
