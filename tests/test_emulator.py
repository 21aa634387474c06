"""The Discord emulator, proven against real discord.py traffic before the bot exists."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from tests.emulator.validation import (
    CALLBACK,
    Problem,
    SpecValidator,
    invalid_form_body,
    json_path,
    limit_problems,
)

# --- Validation of what a bot sends --------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> SpecValidator:
    return SpecValidator()


def callback_problems(spec: SpecValidator, body: dict[str, Any]) -> list[str]:
    found = spec.match("POST", "/interactions/1/token/callback")
    assert found is not None
    operation, _ = found
    problems = spec.check_request(operation, body) + limit_problems("POST", CALLBACK, body)
    return [f"{p.kind} {json_path(p.path)}: {p.message}" for p in problems]


def test_validator_catches_an_embed_title_over_256_characters(spec: SpecValidator) -> None:
    body = {
        "type": 4,
        "data": {"embeds": [{"title": "x" * 300}], "allowed_mentions": {"parse": []}},
    }

    assert callback_problems(spec, body) == [
        "spec $.data.embeds[0].title: 300 characters, more than the 256 allowed",
        "limit $.data.embeds[0].title: 300 characters, more than the 256 allowed",
    ]


def test_validator_catches_26_autocomplete_choices(spec: SpecValidator) -> None:
    choices = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]

    problems = callback_problems(spec, {"type": 8, "data": {"choices": choices}})

    assert "spec $.data.choices: 26 items, more than the 25 allowed" in problems
    assert "limit $.data.choices: 26 choices, more than the 25 allowed" in problems


def test_validator_names_the_accepted_callback_types(spec: SpecValidator) -> None:
    problems = callback_problems(spec, {"type": 3, "data": {}})

    assert problems == ["spec $.type: type 3 is not one of [1, 12, 13, 4, 5, 6, 7, 8, 9]"]


def test_validator_accepts_what_discord_py_sends_for_a_view(spec: SpecValidator) -> None:
    class View(discord.ui.View):
        @discord.ui.button(label="Next", custom_id="next")
        async def next_(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            raise NotImplementedError

    async def build() -> dict[str, Any]:
        view = View()
        view.add_item(discord.ui.Button(label="Docs", url="https://example.com"))
        embed = discord.Embed(title="T", description="D").add_field(name="n", value="v")
        data = {
            "embeds": [embed.to_dict()],
            "components": view.to_components(),
            "allowed_mentions": discord.AllowedMentions.none().to_dict(),
        }
        return {"type": 4, "data": data}

    assert callback_problems(spec, asyncio.run(build())) == []


def message(**data: Any) -> dict[str, Any]:
    return {"type": 4, "data": {"allowed_mentions": {"parse": []}, **data}}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def button(label: str = "Go", custom_id: str | None = "go", **extra: Any) -> dict[str, Any]:
    result = {"type": 2, "style": 1, "label": label, **extra}
    if custom_id is not None:
        result["custom_id"] = custom_id
    return result


def select(options: int = 3, **extra: Any) -> dict[str, Any]:
    entries = [{"label": f"L{i}", "value": f"v{i}"} for i in range(options)]
    return {"type": 3, "custom_id": "pick", "options": entries, **extra}


def embed(**fields: Any) -> dict[str, Any]:
    return {"title": "t", **fields}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (message(content="x" * 2001), "$.data.content: 2001 characters"),
        (message(embeds=[embed()] * 11), "$.data.embeds: 11 embeds"),
        (
            message(embeds=[embed(fields=[{"name": "n", "value": "v"}] * 26)]),
            "$.data.embeds[0].fields: 26 fields",
        ),
        (
            message(embeds=[embed(fields=[{"name": "n", "value": "v" * 1025}])]),
            "$.data.embeds[0].fields[0].value: 1025 characters",
        ),
        (message(embeds=[embed(footer={"text": "f" * 2049})]), "$.data.embeds[0].footer.text"),
        (message(embeds=[embed(author={"name": "a" * 257})]), "$.data.embeds[0].author.name"),
        (
            message(embeds=[embed(description="d" * 4000), embed(description="d" * 2001)]),
            "$.data.embeds: 6003 characters across the embeds",
        ),
        (message(components=[row(button())] * 6), "$.data.components: 6 action rows"),
        (
            message(components=[row(*[button(custom_id=f"b{i}") for i in range(6)])]),
            "$.data.components[0].components: 6 buttons",
        ),
        (
            message(components=[row(button(label="x" * 81))]),
            "$.data.components[0].components[0].label: 81 characters",
        ),
        (
            message(components=[row(button(custom_id="c" * 101))]),
            "$.data.components[0].components[0].custom_id: needs 1-100 characters",
        ),
        (
            message(components=[row(button(style=5, url="https://example.com"))]),
            "a link button must not have a custom_id",
        ),
        (
            message(components=[row(button(style=5, custom_id=None))]),
            "a link button needs a url",
        ),
        (
            message(components=[row(button(custom_id="same"), button(custom_id="same"))]),
            "'same' is used twice in one message",
        ),
        (message(components=[row(select(26))]), "26 options, allowed 1-25"),
        (
            message(components=[row(select(placeholder="p" * 151))]),
            "placeholder: 151 characters",
        ),
        (
            message(
                components=[row({**select(), "options": [{"label": "l" * 101, "value": "v"}]})]
            ),
            "options[0].label: 101 characters",
        ),
        (message(components=[row(select(), button())]), "a select menu must be alone in its row"),
        ({"type": 4, "data": {"content": "hi"}}, "$.data.allowed_mentions: missing"),
        (
            {"type": 8, "data": {"choices": [{"name": "n", "value": "v" * 101}]}},
            "$.data.choices[0].value: 101 characters",
        ),
        ({"type": 8, "data": {"choices": [{"name": "", "value": "v"}]}}, "choices[0].name"),
    ],
)
def test_limits_missing_from_the_spec_are_checked(body: dict[str, Any], expected: str) -> None:
    problems = [str(problem) for problem in limit_problems("POST", CALLBACK, body)]

    assert any(expected in problem for problem in problems), problems


def command(**fields: Any) -> dict[str, Any]:
    return {"name": "ping", "description": "Ping it", "type": 1, **fields}


CHOICES = [{"name": f"choice {i:02d}", "value": f"value {i:02d}"} for i in range(10)]


def option(name: str = "text", **fields: Any) -> dict[str, Any]:
    return {"name": name, "description": "Some text", "type": 3, **fields}


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        ([command(name="Ping")], "$[0].name: 'Ping' must be lowercase"),
        ([command(name="two words")], "may hold only letters, digits, '-' and '_'"),
        ([command(name="x" * 33)], "needs 1-32 characters"),
        ([command(description="")], "$[0].description: needs 1-100 characters, has 0"),
        ([command(description="d" * 101)], "$[0].description: needs 1-100 characters, has 101"),
        (
            [command(options=[option(f"o{i}") for i in range(26)])],
            "$[0].options: 26 options",
        ),
        ([command(options=[option(description="")])], "$[0].options[0].description"),
        (
            [command(options=[option("a"), option("b", required=True)])],
            "required options must come before optional ones",
        ),
        (
            [command(options=[option(choices=[{"name": "n", "value": "v" * 101}])])],
            "$[0].options[0].choices[0].value: 101 characters",
        ),
        ([command(), command()], "$[1].name: 'ping' is registered twice"),
        (
            [
                command(
                    options=[
                        option(f"o{i}", description="d" * 100, choices=CHOICES) for i in range(25)
                    ]
                )
            ],
            "characters in names, descriptions and choices, more than the 4000 allowed",
        ),
    ],
)
def test_command_registration_limits_are_checked(
    commands: list[dict[str, Any]], expected: str
) -> None:
    problems = [
        str(p) for p in limit_problems("PUT", "/applications/{application_id}/commands", commands)
    ]

    assert any(expected in problem for problem in problems), problems


def test_invalid_form_body_nests_errors_by_path() -> None:
    body = invalid_form_body([Problem("limit", ("data", "embeds", 0, "title"), "too long")])

    assert body == {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            "data": {
                "embeds": {
                    "0": {"title": {"_errors": [{"code": "EMULATOR_LIMIT", "message": "too long"}]}}
                }
            }
        },
    }
