"""Replies and commands as a terminal shows them: the offline CLI's reading of Discord input."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.replies import Button, LinkButton, Mention, Menu, Reply

WIDTH = 78
_MARKDOWN_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")
_USER_MENTION = re.compile(r"^(?:<@!?(\d{1,20})>|@?(\d{1,20}))$")
TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


class UsageError(ValueError):
    """The typed command cannot be understood; the message says why."""


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a slash command, as the CLI needs to read it."""

    name: str
    kind: discord.AppCommandOptionType
    required: bool
    choices: tuple[str, ...] = ()
    autocomplete: bool = False


@dataclass(frozen=True, slots=True)
class Invocation:
    """A typed command split into its name and option values (as text)."""

    command: str
    values: dict[str, str]
    last: str | None
    """The option typed last, which is the focused one for autocomplete."""


def parse_invocation(text: str, commands: Mapping[str, Sequence[OptionSpec]]) -> Invocation:
    """Split "/resources flask kind:video" as Discord's input box would.

    The first option may be written bare. A value runs up to the next `option:` of the same
    command, so values may hold spaces, colons and anything else a learner can type.

    Raises:
        UsageError: unknown command or option, an option given twice, or a missing value.
    """
    stripped = text.strip()
    name, _, rest = stripped.removeprefix("/").partition(" ")
    name = name.casefold()
    if name not in commands:
        known = ", ".join(f"/{command}" for command in commands)
        raise UsageError(f"unknown command '/{name}'; try one of: {known}")
    options = commands[name]
    names = [option.name for option in options]
    pattern = (
        re.compile(r"(?:^|(?<=\s))(" + "|".join(map(re.escape, names)) + r"):") if names else None
    )
    matches = list(pattern.finditer(rest)) if pattern else []
    values: dict[str, str] = {}
    last: str | None = None
    bare = rest[: matches[0].start()] if matches else rest
    if bare.strip():
        if not options:
            raise UsageError(f"/{name} takes no options")
        values[options[0].name] = bare.strip()
        last = options[0].name
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(rest)
        option = match.group(1)
        if option in values:
            raise UsageError(f"option '{option}' is given twice")
        values[option] = rest[match.end() : end].strip()
        last = option
    return Invocation(command=name, values=values, last=last)


def convert_options(invocation: Invocation, options: Sequence[OptionSpec]) -> dict[str, Any]:
    """Turn the typed option texts into the values the command takes.

    Raises:
        UsageError: a required option is missing or a value has the wrong form.
    """
    converted: dict[str, Any] = {}
    for option in options:
        text = invocation.values.get(option.name)
        if text is None or text == "":
            if option.required:
                raise UsageError(f"/{invocation.command} needs {option.name}:<value>")
            continue
        converted[option.name] = _convert(option, text)
    return converted


def _convert(option: OptionSpec, text: str) -> Any:
    if option.kind is discord.AppCommandOptionType.boolean:
        if text.casefold() in TRUE_WORDS:
            return True
        if text.casefold() in FALSE_WORDS:
            return False
        raise UsageError(f"{option.name} takes true or false, not {text!r}")
    if option.kind is discord.AppCommandOptionType.user:
        match = _USER_MENTION.match(text)
        if match is None:
            raise UsageError(f"{option.name} takes a user ID or <@ID>, not {text!r}")
        return Mention(int(match.group(1) or match.group(2)))
    if option.choices:
        for choice in option.choices:
            if choice.casefold() == text.casefold():
                return choice
        raise UsageError(f"{option.name} takes one of: {', '.join(option.choices)}")
    return text


def render_reply(reply: Reply) -> str:
    """Return `reply` as plain text: what a person would read in Discord."""
    lines: list[str] = []
    if reply.ephemeral:
        lines.append("(only you can see this)")
    if reply.content:
        lines.extend(_wrap(_plain(reply.content)))
    for embed in reply.embeds:
        lines.extend(_embed_lines(embed))
    for row in reply.rows:
        lines.extend(_component(component) for component in row)
    if reply.note:
        lines.append("(then, only to you)")
        lines.extend(_wrap(_plain(reply.note)))
    return "\n".join(lines)


def render_choices(choices: Sequence[discord.app_commands.Choice[str]]) -> str:
    """Return autocomplete choices one a line, as the menu above the input box shows them."""
    if not choices:
        return "(no suggestions)"
    return "\n".join(f"{choice.name}  ->  {choice.value}" for choice in choices)


def _embed_lines(embed: discord.Embed) -> list[str]:
    body: list[str] = []
    if embed.author.name:
        body.append(embed.author.name)
    if embed.title:
        body.append(f"== {embed.title} ==")
    if embed.description:
        body.extend(_wrap(_plain(embed.description)))
    if embed.fields:
        body.append("")
    for field in embed.fields:
        value = _plain(field.value or "")
        if field.inline and "\n" not in value:
            body.extend(_wrap(f"{field.name}: {value}"))
            continue
        body.append(f"{field.name}:")
        body.extend(_wrap(value, indent="  "))
    if embed.footer.text:
        body.append("")
        body.append(f"-- {embed.footer.text}")
    return ["| " + line if line else "|" for line in body]


def _component(component: LinkButton | Button | Menu) -> str:
    if isinstance(component, LinkButton):
        return f"[{component.label} -> {component.url}]"
    if isinstance(component, Button):
        return f"[{component.label}]" + (" (disabled)" if component.disabled else "")
    options = " | ".join(option.label for option in component.options)
    return f"[{component.placeholder} v: {options}]"


def _plain(markdown: str) -> str:
    text = _MARKDOWN_LINK.sub(lambda m: f"{_unescape(m.group(1))} <{m.group(2)}>", markdown)
    return text.replace("**", "")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                paragraph,
                WIDTH,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return lines
