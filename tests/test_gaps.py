"""The gaps report: `/guide gaps`'s reply and `guidebot gaps`, from recorded lookups."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import replies
from bot.cli import main
from bot.guide import load_guide
from bot.insight import Count, Gaps, Lookup, Outcome, Record, format_gaps
from bot.insight_store import open_store
from bot.payload import callback_body
from bot.store import Snapshot
from tests.conftest import SHIPPED_GUIDE, make_guide
from tests.emulator.validation import message_problems
from tests.helpers import assert_within_limits
from tests.postgres import fresh_database

SNAPSHOT = Snapshot.of(make_guide())
GUILD = 111
OTHER_GUILD = 222


def gaps_of(misses: list[tuple[str, int]], answered: list[tuple[str, int]]) -> Gaps:
    lookups = sum(n for _, n in misses) + sum(n for _, n in answered)
    return Gaps(
        misses=tuple(Count(q, n) for q, n in misses),
        answered=tuple(Count(f, n) for f, n in answered),
        lookups=lookups,
        answered_at_once=sum(n for _, n in answered),
    )


def test_the_reply_lists_misses_then_frameworks_by_their_guide_names() -> None:
    gaps = gaps_of([("fastapi", 5), ("flsk djngo", 2)], [("django", 9), ("gone", 1)])
    reply = replies.gaps_reply(SNAPSHOT, gaps, days=7)
    assert reply.ephemeral
    (embed,) = reply.embeds
    assert embed.description == (
        "In the last 7 days, learners here made **17** lookups; **59%** found a framework at once."
    )
    assert [(field.name, field.value) for field in embed.fields] == [
        ("Most asked, found nothing", "**5** `fastapi`\n**2** `flsk djngo`"),
        # A framework since removed from the guide shows by its key.
        ("Most asked frameworks", "**9** Django\n**1** gone"),
    ]


def test_the_reply_of_an_empty_window_says_so() -> None:
    (embed,) = replies.gaps_reply(SNAPSHOT, gaps_of([], []), days=1).embeds
    assert embed.description == "No lookups were recorded here in the last day."
    assert [field.value for field in embed.fields] == ["\u200b", "\u200b"]


def test_the_reply_never_pings_and_shows_queries_as_inert_text() -> None:
    gaps = gaps_of([("@everyone", 3), ("<@123> **bold** [x](https://e.x) `code`", 1)], [])
    reply = replies.gaps_reply(SNAPSHOT, gaps, days=30)
    body = callback_body(reply)["data"]
    assert body["allowed_mentions"] == {"parse": []}
    assert body["flags"] == 64  # ephemeral
    misses = body["embeds"][0]["fields"][0]["value"].splitlines()
    assert misses == [
        "**3** `@everyone`",
        "**1** `<@123> **bold** [x](https://e.x) \u02cbcode\u02cb`",
    ]


queries = st.text(min_size=1, max_size=100)
frameworks = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=100)


@settings(max_examples=60, deadline=None)
@given(
    misses=st.lists(st.tuples(queries, st.integers(1, 10**12)), max_size=40),
    answered=st.lists(st.tuples(frameworks, st.integers(1, 10**12)), max_size=40),
    days=st.integers(1, 36_500),
)
def test_the_reply_fits_discord_whatever_the_records_hold(misses, answered, days) -> None:
    reply = replies.gaps_reply(SNAPSHOT, gaps_of(misses, answered), days=days)
    for embed in reply.embeds:
        assert_within_limits(embed)
    assert message_problems(callback_body(reply)["data"], creates=True) == []


# --- guidebot gaps -------------------------------------------------------------------------------

NOW = datetime.now(UTC)


def made(lookup: Lookup, guild_id: int, ago: timedelta, times: int = 1) -> list[Record]:
    return [Record.of(lookup, guild_id=guild_id, at=NOW - ago)] * times


FASTAPI = Lookup(command="framework", query="fastapi", outcome=Outcome.NOT_FOUND, framework=None)
TYPO = Lookup(command="resources", query="flsk djngo", outcome=Outcome.SUGGESTED, framework=None)
PHOENIX = Lookup(command="framework", query="phoenix", outcome=Outcome.NOT_FOUND, framework=None)
DJ = Lookup(command="framework", query="dj", outcome=Outcome.ANSWERED, framework="django")
RECORDS = [
    *made(FASTAPI, GUILD, timedelta(hours=1), times=3),
    *made(TYPO, OTHER_GUILD, timedelta(hours=2), times=4),
    *made(PHOENIX, GUILD, timedelta(days=40)),  # outside the default 30 days
    *made(DJ, GUILD, timedelta(minutes=5), times=2),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def recorded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A config file and the URL of its insight database, which holds `RECORDS`."""
    if request.param == "sqlite":
        config = '[insight]\nurl = "sqlite:///var/insight.sqlite3"\n'
        url = f"sqlite:///{tmp_path}/var/insight.sqlite3"
        yield write(tmp_path, config, url)
    else:
        with fresh_database() as url:
            yield write(tmp_path, f"[insight]\nurl = {json.dumps(url)}\n", url)


def write(folder: Path, config: str, url: str) -> tuple[Path, str]:
    path = folder / "config.toml"
    path.write_text(config, encoding="utf-8")

    async def fill() -> None:
        store = open_store(url)
        await store.write(RECORDS)
        await store.close()

    asyncio.run(fill())
    return path, url


def gaps_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_gaps_json_prints_exactly_the_documented_shape(recorded, capsys) -> None:
    config, _url = recorded
    code, out, _ = gaps_cli(capsys, "--config", str(config), "gaps", "--json")
    assert code == 0
    assert json.loads(out) == {
        "misses": [{"query": "flsk djngo", "count": 4}, {"query": "fastapi", "count": 3}],
        "answered": [{"framework": "django", "count": 2}],
        "lookups": 9,
    }


@pytest.mark.parametrize(
    ("flags", "misses", "lookups"),
    [
        (["--guild", str(GUILD)], [{"query": "fastapi", "count": 3}], 5),
        (["--days", "60"], ["flsk djngo", "fastapi", "phoenix"], 10),
        (["--days", "60", "--limit", "1"], ["flsk djngo"], 10),
        (["--days", "60", "--guild", str(OTHER_GUILD), "--limit", "5"], ["flsk djngo"], 4),
    ],
)
def test_gaps_flags_narrow_the_report(recorded, capsys, flags, misses, lookups) -> None:
    config, _url = recorded
    code, out, _ = gaps_cli(capsys, "--config", str(config), "gaps", *flags, "--json")
    assert code == 0
    report = json.loads(out)
    names = [m if isinstance(m, str) else m["query"] for m in misses]
    assert [miss["query"] for miss in report["misses"]] == names
    if not all(isinstance(m, str) for m in misses):
        assert report["misses"] == misses
    assert report["lookups"] == lookups


def test_gaps_prints_a_table_for_people(recorded, capsys) -> None:
    config, _url = recorded
    code, out, _ = gaps_cli(
        capsys, "--config", str(config), "gaps", "--days", "60", "--guild", str(GUILD)
    )
    assert code == 0
    assert out.splitlines() == [
        f"Lookups in the last 60 days, server {GUILD}: 6, 2 answered at once (33%)",
        "",
        "Most asked, found nothing:",
        "  3  fastapi",
        "  1  phoenix",
        "",
        "Most asked frameworks:",
        "  2  Django",  # the guide's name; --json gives the key
    ]


def test_gaps_shows_keys_when_the_guide_cannot_be_read(recorded, capsys, tmp_path) -> None:
    config, _url = recorded
    (tmp_path / "broken.yaml").write_text("frameworks: [", encoding="utf-8")
    with config.open("a", encoding="utf-8") as file:
        file.write('[guide]\npath = "broken.yaml"\n')
    code, out, _ = gaps_cli(capsys, "--config", str(config), "gaps")
    assert code == 0
    assert out.splitlines()[-1] == "  2  django"


def test_gaps_reads_the_url_from_the_environment(recorded, capsys, monkeypatch, tmp_path) -> None:
    _config, url = recorded
    empty = tmp_path / "other.toml"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("GUIDEBOT_INSIGHT_URL", url)
    code, out, _ = gaps_cli(capsys, "--config", str(empty), "gaps", "--json")
    assert code == 0
    assert json.loads(out)["lookups"] == 9


def test_gaps_with_recording_off_says_so(tmp_path, capsys) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[insight]\nurl = ""\n', encoding="utf-8")
    code, out, err = gaps_cli(capsys, "--config", str(config), "gaps")
    assert (code, out) == (1, "")
    assert err == (
        "guidebot: lookups are not recorded: [insight] url is empty (see config.example.toml)\n"
    )


def test_gaps_with_the_database_down_is_one_clear_line(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GUIDEBOT_INSIGHT_URL", "postgresql://guidebot:hunter2@127.0.0.1:1/x")
    code, out, err = gaps_cli(capsys, "--config", str(_empty_config(tmp_path)), "gaps")
    assert (code, out) == (1, "")
    assert err.startswith(
        "guidebot: cannot read the recorded lookups: postgresql://guidebot:***@127.0.0.1:1/x: "
    )
    assert "hunter2" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--days", "0"], "argument --days: '0' is not a whole number from 1 to 36500"),
        (["--days", "week"], "argument --days: 'week' is not a whole number from 1 to 36500"),
        (["--limit", "0"], "argument --limit: '0' is not a whole number from 1 or more"),
        (["--guild", "ours"], "argument --guild: invalid int value: 'ours'"),
    ],
)
def test_gaps_bad_flags_are_usage_errors(tmp_path, capsys, flags, message) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(_empty_config(tmp_path)), "gaps", *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def _empty_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text("", encoding="utf-8")
    return path


def test_the_reply_counts_one_lookup_in_the_singular() -> None:
    (embed,) = replies.gaps_reply(SNAPSHOT, gaps_of([("x", 1)], []), days=2).embeds
    assert embed.description == (
        "In the last 2 days, learners here made **1** lookup; **0%** found a framework at once."
    )


def test_the_readmes_sample_output_is_what_guidebot_gaps_prints() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    sample = readme.split("$ guidebot --config config.toml gaps\n", 1)[1].split("```", 1)[0]
    text, json_command = sample.split("$ guidebot --config config.toml gaps --limit 3 --json", 1)
    gaps = gaps_of(
        [("cobol on cogs", 3), ("htmx", 2), ("flsk djngo", 1)],
        [("Django", 3), ("Ruby on Rails", 1), ("NestJS", 1), ("FastAPI", 1), ("Flask", 1)],
    )

    assert format_gaps(gaps, days=30, guild_id=None) == text.rstrip("\n")
    # The README prints the JSON on wrapped lines; the shape and values are the CLI's, with
    # the frameworks by their keys in the shipped guide.
    printed = json.loads(" ".join(json_command.splitlines()[1:]))
    keys = {framework.name: framework.key for framework in load_guide(SHIPPED_GUIDE).frameworks}
    limited = replace(
        gaps,
        misses=gaps.misses[:3],
        answered=tuple(Count(keys[hit.name], hit.count) for hit in gaps.answered[:3]),
    )
    assert printed == limited.to_json()
