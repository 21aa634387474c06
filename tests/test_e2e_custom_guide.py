"""End-to-end: the real bot serving a guide that is not the shipped one, and is odd on purpose.

The guide has 30 languages (so the walkthrough's language menu pages), unicode and markdown in
names, a name ending in ".js", mass mentions inside descriptions, and one framework filled to
every limit the guide allows. Every answer must stay within Discord's limits (the `emulator`
fixture checks each body) and must ping nobody.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.guide import load_guide
from tests.emulator.emulator import DiscordEmulator
from tests.emulator.harness import bot_config, running_bot
from tests.emulator.messages import assert_pings_nobody, components, custom_ids
from tests.emulator.payloads import CHANNEL_MESSAGE, EPHEMERAL, UPDATE_MESSAGE

MENTIONS = "@everyone @here <@&123> <@456>"
LANGUAGES = (
    "Python",
    "JavaScript",
    "日本語スクリプト",
    "C#",
    "F#",
    "Go",
    "Rust",
    "Elixir",
    "Ruby",
    "PHP",
    "Java",
    "Kotlin",
    "Scala",
    "Clojure",
    "Haskell",
    "OCaml",
    "Erlang",
    "Crystal",
    "Nim",
    "Zig",
    "Dart",
    "Swift",
    "Lua",
    "Perl",
    "R",
    "Julia",
    "Gleam",
    "V",
    "Ünïcødé Lang",
    f"**Markdown** `Lang` {MENTIONS}",
)
MAXIMAL_NAME = ("Maximal " + "ñ" * 80)[:80]


def write_odd_guide(directory: Path) -> Path:
    """Write the odd guide described in the module docstring; return its path."""
    frameworks = [_framework(f"{language} Web", language) for language in LANGUAGES]
    frameworks[1] = _framework("Hapi.js", "JavaScript", aliases=["hapijs-server"])
    frameworks[2] = _framework("Ωmega 框架", LANGUAGES[2])
    frameworks[-1] = _maximal(LANGUAGES[-1])
    frameworks.append(_framework("__init__ *Web*", "Python"))
    guide = {
        "title": f"Ünïcode **Guide** {MENTIONS}",
        "intro": f"# Heading\n**Backend** is the server side. {MENTIONS}\n> quoted",
        "prerequisites": {
            "text": f"Know a language. ||spoiler|| {MENTIONS}",
            "languages": list(LANGUAGES),
            "concepts": ["HTTP", f"APIs {MENTIONS}"],
        },
        "frameworks": frameworks,
        "conclusion": f"Build something. {MENTIONS} " + "🚀" * 200,
    }
    path = directory / "odd-guide.yaml"
    path.write_text(yaml.safe_dump(guide, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _framework(name: str, language: str, **extra: Any) -> dict[str, Any]:
    slug = "".join(char for char in name.casefold() if char.isascii() and char.isalnum())
    slug = slug or str(len(name))
    return {
        "name": name,
        "language": language,
        "summary": f"*{name}* for {language}",
        "description": f"**{name}** ~~is~~ a framework. {MENTIONS} [link](https://evil.example)",
        "used_by": [f"{MENTIONS} Corp"],
        "features": ["`code`", "**bold**"],
        "resources": [
            {"title": f"{name} docs [x](y) {MENTIONS}", "url": f"https://{slug}.example/docs"},
            {"title": f"{name} (video)", "url": f"https://{slug}.example/v?a=(1)", "kind": "video"},
        ],
        **extra,
    }


def _maximal(language: str) -> dict[str, Any]:
    """A framework with every field at the guide's limit."""
    return {
        "name": MAXIMAL_NAME,
        "language": language,
        "summary": "S" * 100,
        "description": (f"**bold** _it_ {MENTIONS} " * 200)[:4096],
        "used_by": [f"{number:02d}" + "U" * 98 for number in range(30)],
        "features": [f"{number:02d}" + "F" * 98 for number in range(30)],
        "resources": [
            {
                "title": f"{number:02d} " + "T" * 197,
                "url": f"https://maximal.example/{number:02d}/" + "p" * 480,
                "kind": "docs",
            }
            for number in range(12)
        ],
    }


@pytest.mark.e2e
def test_odd_guide_answers_every_framework_within_limits_pinging_nobody(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    guide_path = write_odd_guide(tmp_path)
    guide = load_guide(guide_path)
    assert len(guide.languages()) == len(LANGUAGES)
    other = emulator.make_user("other")

    async def scenario() -> None:
        config = bot_config(emulator, guide_path)
        async with emulator, running_bot(emulator, workdir=tmp_path, config_text=config):
            for framework in guide.frameworks:
                for command, option in (("framework", "name"), ("resources", "framework")):
                    answer = await emulator.slash(command, {option: framework.name})
                    assert answer.type == CHANNEL_MESSAGE, (command, framework.name)
                    assert not answer.data.get("flags"), (command, framework.name)
                    assert framework.name in answer.data["embeds"][0]["title"]
                    assert_pings_nobody(answer.data)

            for typed in ("hapi", "HAPI JS", "hapi.js", "hapijs-server"):
                answer = await emulator.slash("framework", {"name": typed})
                assert answer.data["embeds"][0]["title"] == "Hapi.js", typed

            choices = (await emulator.autocomplete("framework", focused="name")).choices
            assert len(choices) == 25
            assert all(1 <= len(choice["name"]) <= 100 for choice in choices)
            maximal = await emulator.autocomplete(
                "resources", {"framework": "maximal"}, focused="framework"
            )
            assert maximal.choices[0]["value"] == MAXIMAL_NAME

            listing = await emulator.slash("framework")
            assert_pings_nobody(listing.data)
            seen = [field["name"] for field in listing.data["embeds"][0]["fields"]]
            next_page = next(c for c in components(listing.data) if c.get("label") == "Next ▶")
            turned = await emulator.click(listing.message["id"], next_page["custom_id"])
            assert turned.type == UPDATE_MESSAGE
            assert_pings_nobody(turned.data)
            seen += [field["name"] for field in turned.data["embeds"][0]["fields"]]
            assert len(seen) == len(LANGUAGES)
            assert seen[:3] == ["Python", "JavaScript", "日本語スクリプト"]

            before = emulator.message(listing.message["id"])
            previous = next(c for c in components(before) if c.get("label") == "◀ Previous")
            theirs = await emulator.click(before["id"], previous["custom_id"], user=other)
            assert theirs.type == CHANNEL_MESSAGE
            assert theirs.data["flags"] == EPHEMERAL
            assert theirs.data["embeds"][0]["fields"][0]["name"] == "Python"
            pager = [i.split(":")[3] for i in custom_ids(theirs.data) if i.startswith("gb:lp:")]
            assert pager
            assert set(pager) == {other["id"]}
            assert emulator.message(before["id"]) == before

    asyncio.run(scenario())


@pytest.mark.e2e
def test_odd_guide_walkthrough_pages_the_language_menu(
    emulator: DiscordEmulator, tmp_path: Path
) -> None:
    guide_path = write_odd_guide(tmp_path)

    async def scenario() -> None:
        config = bot_config(emulator, guide_path)
        async with emulator, running_bot(emulator, workdir=tmp_path, config_text=config):
            walk = await emulator.slash("getting-started")
            assert_pings_nobody(walk.data)
            message_id = walk.message["id"]

            async def act(label: str, *, option: str | None = None) -> dict[str, Any]:
                current = emulator.message(message_id)
                if option is None:
                    (found,) = [c for c in components(current) if c.get("label") == label]
                    result = await emulator.click(message_id, found["custom_id"])
                else:
                    (select,) = [c for c in components(current) if c["type"] == 3]
                    (value,) = [o["value"] for o in select["options"] if o["label"] == option]
                    result = await emulator.select(message_id, select["custom_id"], [value])
                assert result.type == UPDATE_MESSAGE
                assert_pings_nobody(result.data)
                return result.data

            await act("Next ▶")
            languages = await act("Next ▶")
            (select,) = [c for c in components(languages) if c["type"] == 3]
            labels = [o["label"] for o in select["options"]]
            assert labels == [*LANGUAGES[:23], "More choices ▶"]

            more = await act("", option="More choices ▶")
            (select,) = [c for c in components(more) if c["type"] == 3]
            labels = [o["label"] for o in select["options"]]
            assert labels == ["◀ Previous choices", *LANGUAGES[23:]]

            frameworks = await act("", option=LANGUAGES[-1])
            assert frameworks["embeds"][0]["footer"]["text"] == "Step 4 of 6"
            resources = await act("", option=MAXIMAL_NAME)
            assert resources["embeds"][0]["footer"]["text"] == "Step 5 of 6"
            links = [c for c in components(resources) if c.get("style") == 5]
            assert len(links) == 5
            assert all(len(link["label"]) <= 80 for link in links)
            conclusion = await act("Next ▶")
            assert conclusion["embeds"][0]["footer"]["text"] == "Step 6 of 6"

    asyncio.run(scenario())
