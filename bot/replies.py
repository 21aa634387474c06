"""What the bot answers to each command and click, as one `Reply` shared by cogs and CLI.

A reply holds embeds from `bot.render` and a plain description of its components; `bot.views`
turns that into discord.py objects. Every component carries its whole state in its custom_id, so
a click works the same after a restart or a reload, and nothing is kept in memory per message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import discord

from bot import render
from bot.guide import Framework, Resource
from bot.matching import Suggestion
from bot.store import Snapshot, framework_ref
from bot.walkthrough import MORE, PREVIOUS_PAGE, STEPS, Step, Walkthrough

LINK_BUTTONS_PER_ROW = 5
CARD_LINK_BUTTONS = 4
"""Link buttons on a card: the first resources; the card lists them all as links too."""
NOT_FOUND_SUGGESTIONS = 5

ButtonStyle = Literal["primary", "secondary", "success", "danger"]


@dataclass(frozen=True, slots=True)
class LinkButton:
    """A button that opens a URL."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Button:
    """A button whose click comes back to the bot with `custom_id`."""

    label: str
    custom_id: str
    style: ButtonStyle = "secondary"
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One entry of a select menu."""

    label: str
    value: str
    description: str | None = None
    default: bool = False


@dataclass(frozen=True, slots=True)
class Menu:
    """A select menu whose choice comes back to the bot with `custom_id`."""

    custom_id: str
    placeholder: str
    options: tuple[MenuOption, ...]
    disabled: bool = False


Component = LinkButton | Button | Menu


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One message the bot sends or edits."""

    embeds: tuple[discord.Embed, ...]
    rows: tuple[tuple[Component, ...], ...] = ()
    ephemeral: bool = False
    content: str | None = None
    mention: int | None = None
    """The only user this message may ping; nobody when None."""
    topic: str | None = None
    """What the answer is about, for the per-channel cooldown; None: no cooldown."""
    expires: bool = False
    """Disable the components once the walkthrough timeout passes."""
    not_found: bool = False

    def disabled(self) -> Reply:
        """Return this reply with every button and menu disabled (links still open)."""
        rows = tuple(
            tuple(c if isinstance(c, LinkButton) else replace(c, disabled=True) for c in row)
            for row in self.rows
        )
        return replace(self, rows=rows)


# Custom ids: "gb:" then what the click does. Each has a builder here and a pattern that
# bot.views matches; ids are digits, hex and short words, so every one stays far under 100.
DELETE_PATTERN = r"gb:del:(?P<owner>\d+)"
PICK_PATTERN = (
    r"gb:pick:(?P<what>fw|rs):(?P<ref>[0-9a-f]+):(?P<kind>[a-z-]+):(?P<hide>[01]):(?P<mention>\d+)"
)
RESOURCE_PAGE_PATTERN = r"gb:rp:(?P<ref>[0-9a-f]+):(?P<kind>[a-z-]+):(?P<page>\d+):(?P<owner>\d+)"
LIST_PAGE_PATTERN = r"gb:lp:(?P<page>\d+):(?P<owner>\d+)"
WALK_BUTTON_PATTERN = r"gb:wk:(?P<action>[bns]):(?P<owner>\d+):(?P<state>[0-9a-f.]*)"
WALK_MENU_PATTERN = r"gb:wk:(?P<action>m):(?P<owner>\d+):(?P<state>[0-9a-f.]*)"
NO_KIND = "-"


def _delete_button(owner: int) -> Button:
    return Button(label="Delete", custom_id=f"gb:del:{owner}", style="danger")


def choices(snapshot: Snapshot, current: str) -> list[discord.app_commands.Choice[str]]:
    """Return the autocomplete choices for what a learner has typed so far."""
    result = []
    for suggestion in snapshot.matcher.suggest(current):
        framework = snapshot.guide.framework(suggestion.key)
        if framework is not None:
            label = render.choice_label(framework)
            result.append(discord.app_commands.Choice(name=label, value=framework.name))
    return result


def framework_reply(
    snapshot: Snapshot, query: str, *, asker: int, hide: bool = False, mention: int | None = None
) -> Reply:
    """Answer `/framework`: the card, the list when nothing was typed, or a "did you mean"."""
    if not query.strip():
        return framework_list_reply(snapshot, 0, asker=asker, hide=hide)
    found = snapshot.matcher.lookup(query)
    if found.framework is None:
        return not_found_reply(
            snapshot, query, found.suggestions, what="fw", hide=hide, mention=mention
        )
    return card_reply(found.framework, asker=asker, hide=hide, mention=mention)


def card_reply(
    framework: Framework, *, asker: int, hide: bool = False, mention: int | None = None
) -> Reply:
    """Return a framework's card with link buttons for its first resources."""
    links = _link_buttons(framework.resources[:CARD_LINK_BUTTONS])
    embed = render.framework_embed(
        framework, footer=f"/resources {framework.name} lists every study link"
    )
    return _public(
        embeds=(embed,),
        rows=(links,),
        asker=asker,
        hide=hide,
        mention=mention,
        topic=f"fw:{framework.key}",
    )


def resources_reply(
    snapshot: Snapshot,
    query: str,
    *,
    asker: int,
    kind: str | None = None,
    page: int = 0,
    hide: bool = False,
    mention: int | None = None,
) -> Reply:
    """Answer `/resources`: one page of a framework's study links, optionally of one kind."""
    found = snapshot.matcher.lookup(query)
    if found.framework is None:
        return not_found_reply(
            snapshot, query, found.suggestions, what="rs", kind=kind, hide=hide, mention=mention
        )
    return resource_page_reply(
        found.framework, asker=asker, kind=kind, page=page, hide=hide, mention=mention
    )


def resource_page_reply(
    framework: Framework,
    *,
    asker: int,
    kind: str | None = None,
    page: int = 0,
    hide: bool = False,
    mention: int | None = None,
) -> Reply:
    """Return one page of a framework's resources, with link buttons and page buttons."""
    chosen = [r for r in framework.resources if kind is None or r.kind == kind]
    if not chosen:  # every framework has a resource, so only a kind filter empties the list
        embed = render.no_resources_embed(framework, kind or "")
        return Reply(embeds=(embed,), ephemeral=True, not_found=True)
    pages = [
        chosen[start : start + render.RESOURCES_PER_PAGE]
        for start in range(0, len(chosen), render.RESOURCES_PER_PAGE)
    ]
    page = min(max(page, 0), len(pages) - 1)
    shown = pages[page]
    embed = render.resources_embed(framework, shown, kind=kind, page=page, pages=len(pages))
    links = _link_buttons(shown[:LINK_BUTTONS_PER_ROW])
    ref = framework_ref(framework.key)
    page_row = _pager(page, len(pages), lambda to: f"gb:rp:{ref}:{kind or NO_KIND}:{to}:{asker}")
    return _public(
        embeds=(embed,),
        rows=(links, page_row),
        asker=asker,
        hide=hide,
        mention=mention,
        topic=f"rs:{framework.key}:{kind or NO_KIND}:{page}",
    )


def framework_list_reply(snapshot: Snapshot, page: int, *, asker: int, hide: bool = False) -> Reply:
    """Return one page of every framework in the guide, grouped by language."""
    embed, pages = render.framework_list_embed(snapshot.guide, page)
    page = min(max(page, 0), pages - 1)
    page_row = _pager(page, pages, lambda to: f"gb:lp:{to}:{asker}")
    return _public(
        embeds=(embed,),
        rows=(page_row,),
        asker=asker,
        hide=hide,
        mention=None,
        topic=f"list:{page}",
    )


def not_found_reply(
    snapshot: Snapshot,
    query: str,
    suggestions: Sequence[Suggestion],
    *,
    what: Literal["fw", "rs"],
    kind: str | None = None,
    hide: bool,
    mention: int | None,
) -> Reply:
    """Return the ephemeral "did you mean" reply whose suggestions answer when clicked."""
    shown = list(suggestions[:NOT_FOUND_SUGGESTIONS])
    buttons = tuple(
        Button(
            label=render.truncate(s.label, render.BUTTON_LABEL_LIMIT),
            custom_id=(
                f"gb:pick:{what}:{framework_ref(s.key)}:{kind or NO_KIND}:"
                f"{int(hide)}:{mention or 0}"
            ),
            style="primary",
        )
        for s in shown
        if snapshot.guide.framework(s.key) is not None
    )
    return Reply(
        embeds=(render.not_found_embed(query, shown),),
        rows=(buttons,) if buttons else (),
        ephemeral=True,
        not_found=True,
    )


def walkthrough_reply(walk: Walkthrough, *, owner: int, ephemeral: bool = False) -> Reply:
    """Return the current walkthrough step with its menu and its Back/Next buttons."""
    state = encode_walk(walk)
    rows: list[tuple[Component, ...]] = []
    menu = walk.options()
    if menu is not None:
        options = [
            MenuOption(
                label=render.truncate(o.label, render.SELECT_TEXT_LIMIT),
                value=o.value,
                description=render.truncate(o.description, render.SELECT_TEXT_LIMIT)
                if o.description
                else None,
                default=o.value == walk.selected(),
            )
            for o in menu.options
        ]
        if menu.has_previous:
            options.insert(0, MenuOption(label="◀ Previous choices", value=PREVIOUS_PAGE))
        if menu.has_more:
            options.append(MenuOption(label="More choices ▶", value=MORE))
        placeholder = "Choose a language" if walk.language is None or menu.has_more else "Choose"
        if options:
            rows.append((Menu(f"gb:wk:m:{owner}:{state}", placeholder, tuple(options)),))
    if walk.step is Step.RESOURCES and walk.framework is not None:
        links = _link_buttons(walk.framework.resources[:LINK_BUTTONS_PER_ROW])
        if links:
            rows.append(links)
    navigation: list[Component] = [
        Button("◀ Back", f"gb:wk:b:{owner}:{state}", disabled=not walk.can_go_back()),
        Button("Next ▶", f"gb:wk:n:{owner}:{state}", "primary", disabled=not walk.can_go_next()),
    ]
    if walk.step is STEPS[-1]:
        navigation.append(Button("Start over", f"gb:wk:s:{owner}:", "success"))
    rows.append(tuple(navigation))
    return Reply(
        embeds=(render.walkthrough_embed(walk),),
        rows=tuple(rows),
        ephemeral=ephemeral,
        expires=True,
    )


def notice_reply(title: str, text: str) -> Reply:
    """Return an ephemeral notice: errors, reload reports, cooldown pointers."""
    return Reply(embeds=(render.message_embed(title, text),), ephemeral=True)


def encode_walk(walk: Walkthrough) -> str:
    """Return the walkthrough's state as a short string for a custom_id."""
    languages = [language.casefold() for language in walk.guide.languages()]
    language = (
        format(languages.index(walk.language.casefold()), "x")
        if walk.language and walk.language.casefold() in languages
        else ""
    )
    framework = framework_ref(walk.framework_key) if walk.framework_key else ""
    return f"{STEPS.index(walk.step):x}.{language}.{framework}.{walk.page:x}"


def decode_walk(snapshot: Snapshot, state: str) -> Walkthrough:
    """Return the walkthrough a custom_id's state stands for, in the guide served now.

    Whatever no longer fits the guide (a language or framework since removed, a mangled id)
    falls back to the start of the walkthrough or to the choice it belongs to.
    """
    walk = Walkthrough(snapshot.guide)
    parts = state.split(".")
    if len(parts) != 4 or not all(_is_hex(p) for p in (parts[0], parts[1], parts[3])):
        return walk
    step, language, ref, page = parts
    languages = snapshot.guide.languages()
    chosen_language = (
        languages[int(language, 16)] if language and int(language, 16) < len(languages) else None
    )
    framework = snapshot.by_ref(ref) if ref else None
    index = min(int(step, 16), len(STEPS) - 1)
    walk = replace(walk, step=STEPS[index], page=min(int(page, 16), 10_000))
    walk = replace(
        walk, language=chosen_language, framework_key=framework.key if framework else None
    )
    # A step whose choice is gone goes back to where that choice is made.
    while (index > STEPS.index(Step.LANGUAGE) and walk.language is None) or (
        index > STEPS.index(Step.FRAMEWORK) and walk.framework is None
    ):
        index -= 1
        walk = replace(walk, step=STEPS[index])
    return walk


def _is_hex(text: str) -> bool:
    return text == "" or (len(text) <= 8 and all(c in "0123456789abcdef" for c in text))


def _link_buttons(resources: Sequence[Resource]) -> tuple[LinkButton, ...]:
    """Return a link button for each resource whose address a button can hold."""
    return tuple(
        LinkButton(label=render.truncate(r.title, render.BUTTON_LABEL_LIMIT), url=r.url)
        for r in resources
        if len(r.url) <= render.LINK_URL_LIMIT
    )


def _pager(page: int, pages: int, make: Callable[[int], str]) -> tuple[Component, ...]:
    """Return Previous, a page counter and Next; `make` gives the custom_id of a page."""
    if pages <= 1:
        return ()
    return (
        Button("◀ Previous", make(page - 1), disabled=page == 0),
        Button(f"Page {page + 1}/{pages}", make(page) + ":here", disabled=True),
        Button("Next ▶", make(page + 1), disabled=page >= pages - 1),
    )


def _public(
    *,
    embeds: tuple[discord.Embed, ...],
    rows: tuple[tuple[Component, ...], ...],
    asker: int,
    hide: bool,
    mention: int | None,
    topic: str,
) -> Reply:
    """Return an answer that is public unless hidden; public ones carry a Delete button."""
    rows = tuple(row for row in rows if row)
    if hide:
        return Reply(embeds=embeds, rows=rows, ephemeral=True)
    content = f"<@{mention}>, this one is for you:" if mention else None
    return Reply(
        embeds=embeds,
        rows=(*rows, (_delete_button(asker),)),
        content=content,
        mention=mention,
        topic=topic,
    )
