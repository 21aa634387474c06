"""What the bot answers to each command and click, as one `Reply` for every adapter.

A reply holds embeds from `bot.render` and a plain description of its components; `bot.payload`
turns that into callback JSON or discord.py objects. Every component carries its whole state in
its custom_id (`bot.custom_ids`), so a click works the same after a restart or a reload, and
nothing is kept in memory per message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import discord

from bot import insight, render
from bot.custom_ids import (
    NO_KIND,
    DeleteId,
    ListPageId,
    PickId,
    ResourcePageId,
    WalkAction,
    WalkId,
    WalkState,
    decode,
    framework_ref,
    label_id,
)
from bot.guide import Framework, GuideError, Resource, ResourceKind
from bot.matching import NOT_FOUND_SUGGESTIONS, Lookup, Suggestion
from bot.store import GuideStore, Reload, Snapshot
from bot.walkthrough import MORE, PREVIOUS_PAGE, STEPS, Step, Walkthrough

LINK_BUTTONS_PER_ROW = 5
CARD_LINK_BUTTONS = 4
"""Link buttons on a card: the first resources; the card lists them all as links too."""
CARDS_KEPT = 1_024
"""Rendered cards kept for reuse, at most: a guide's every framework, and then some."""
RELOAD_PROBLEMS_SHOWN = 15
"""Problems listed in a failed reload's reply; the log has them all."""
STATUS_PROBLEMS_SHOWN = 5
"""Problems of the last failed reload that `/guide status` lists: the first few, to start on."""

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
    lookup: insight.Lookup | None = None
    """What a /framework or /resources lookup asked and how it went, for guide insight."""
    note: str | None = None
    """One line for the asker alone, sent privately after this public message."""

    def disabled(self) -> Reply:
        """Return this reply with every button and menu disabled; links and Delete still work."""
        rows = tuple(
            tuple(
                c if isinstance(c, LinkButton) or _is_delete(c) else replace(c, disabled=True)
                for c in row
            )
            for row in self.rows
        )
        return replace(self, rows=rows)


def _is_delete(component: Button | Menu) -> bool:
    """Return whether `component` is a Delete button, which keeps working on an expired message."""
    return isinstance(component, Button) and isinstance(decode(component.custom_id), DeleteId)


def _delete_button(owner: int) -> Button:
    return Button(label="Delete", custom_id=DeleteId(owner).encode(), style="danger")


@dataclass(frozen=True, slots=True)
class Mention:
    """The user a command's `mention` option names."""

    user: int
    bot: bool = False


def mention_of(user: discord.abc.Snowflake | None) -> Mention | None:
    """Return the `Mention` of a user option as discord.py gives it (an Object if unresolved)."""
    if user is None:
        return None
    return Mention(user.id, bot=bool(getattr(user, "bot", False)))


CommandOptions = Mapping[str, Any]
"""A slash command's options by name, as parsed: text, a bool, or a `Mention` for a user."""


def command_reply(
    snapshot: Snapshot, command: str, options: CommandOptions, *, asker: int
) -> Reply:
    """Answer a slash command from its parsed options, for every adapter alike.

    Args:
        snapshot: The guide served now.
        command: The command's name, one of `COMMANDS`.
        options: The options given, by name; a missing or None option takes its default.
        asker: Who ran the command.
    """
    return COMMANDS[command](snapshot, options, asker)


def _framework_command(snapshot: Snapshot, options: CommandOptions, asker: int) -> Reply:
    name: str = options.get("name") or ""
    hide = bool(options.get("hide"))
    listing = not name.strip()
    mention, note = _honoured(options.get("mention"), asker=asker, hide=hide, listing=listing)
    reply = framework_reply(snapshot, name, asker=asker, hide=hide, mention=mention)
    return _with_note(reply, note)


def _resources_command(snapshot: Snapshot, options: CommandOptions, asker: int) -> Reply:
    hide = bool(options.get("hide"))
    mention, note = _honoured(options.get("mention"), asker=asker, hide=hide)
    reply = resources_reply(
        snapshot,
        options.get("framework") or "",
        asker=asker,
        kind=options.get("kind"),
        hide=hide,
        mention=mention,
    )
    return _with_note(reply, note)


def _honoured(
    target: Mention | None, *, asker: int, hide: bool, listing: bool = False
) -> tuple[int | None, str | None]:
    """Return whom an answer may ping, or, when the mention can't be honoured, why not.

    A hidden answer and the list of every framework ping nobody; nor does an answer pointed at
    its own asker or at a bot.
    """
    if target is None:
        return None, None
    if hide:
        reason = "a hidden answer is shown to you alone"
    elif listing:
        reason = "only a framework's card or resources can be pointed at someone"
    elif target.user == asker:
        reason = "that is you"
    elif target.bot:
        reason = "bots are not pinged"
    else:
        return target.user, None
    return None, f"<@{target.user}> was not mentioned: {reason}."


def _with_note(reply: Reply, note: str | None) -> Reply:
    """Return `reply` telling its asker `note`: in a private reply itself, else just after it."""
    if note is None:
        return reply
    if reply.ephemeral:
        return replace(reply, content="\n".join(filter(None, (reply.content, note))))
    return replace(reply, note=note)


def pointer_reply(target: int, jump_url: str, *, asker: int) -> Reply:
    """Return a public pointer that pings `target` alone to an answer posted moments ago."""
    return Reply(
        embeds=(),
        rows=((_delete_button(asker),),),
        content=f"<@{target}>, this one is for you: {jump_url}",
        mention=target,
    )


def note_reply(text: str) -> Reply:
    """Return a private one-line message to the asker."""
    return Reply(embeds=(), content=text, ephemeral=True)


def _getting_started_command(snapshot: Snapshot, options: CommandOptions, asker: int) -> Reply:
    walk = Walkthrough(snapshot.guide)
    return walkthrough_reply(walk, owner=asker, ephemeral=bool(options.get("hide")))


COMMANDS: Mapping[str, Callable[[Snapshot, CommandOptions, int], Reply]] = {
    "framework": _framework_command,
    "resources": _resources_command,
    "getting-started": _getting_started_command,
}
"""The answer to each learner's command, by its name in Discord."""


def choices(snapshot: Snapshot, current: str) -> list[discord.app_commands.Choice[str]]:
    """Return the autocomplete choices for what a learner has typed so far."""
    result = []
    for suggestion in snapshot.matcher.suggest(current):
        framework = snapshot.guide.framework(suggestion.key)
        if framework is not None:
            result.append(_choice(framework))
    return result


CACHED_CHOICES = 4096
"""Autocomplete choices kept made: a large guide's lists are long, and typed again and again."""
_choices: dict[tuple[str, str], discord.app_commands.Choice[str]] = {}


def _choice(framework: Framework) -> discord.app_commands.Choice[str]:
    """Return the autocomplete choice of a framework, made once for its name and language."""
    made = (framework.name, framework.language)
    choice = _choices.get(made)
    if choice is None:
        if len(_choices) >= CACHED_CHOICES:
            _choices.clear()
        label = render.choice_label(framework)
        choice = _choices[made] = discord.app_commands.Choice(name=label, value=framework.name)
    return choice


def framework_reply(
    snapshot: Snapshot, query: str, *, asker: int, hide: bool = False, mention: int | None = None
) -> Reply:
    """Answer `/framework`: the card, the list when nothing was typed, or a "did you mean"."""
    if not query.strip():
        return framework_list_reply(snapshot, 0, asker=asker, hide=hide)
    found = snapshot.matcher.lookup(query)
    if found.language is not None:
        reply = language_list_reply(snapshot, found, asker=asker, hide=hide)
    elif found.framework is None:
        reply = not_found_reply(
            snapshot, query, found.suggestions, what="fw", hide=hide, mention=mention
        )
    else:
        reply = card_reply(found.framework, asker=asker, hide=hide, mention=mention)
    return replace(reply, lookup=insight.lookup_of("framework", query, found))


def card_reply(
    framework: Framework, *, asker: int, hide: bool = False, mention: int | None = None
) -> Reply:
    """Return a framework's card with link buttons for its first resources."""
    links = _link_buttons(framework.resources[:CARD_LINK_BUTTONS])
    return _public(
        embeds=(_card_embed(framework),),
        rows=(links,),
        asker=asker,
        hide=hide,
        mention=mention,
        topic=f"fw:{framework.key}",
    )


@functools.lru_cache(maxsize=CARDS_KEPT)
def _card_embed(framework: Framework) -> discord.Embed:
    """Return the embed of `framework`'s card, made once: it is the same for every asker.

    The most asked-for answer, so rendering it each time was a fifth of an interaction's CPU
    (bench/e2e.py). Nothing changes an embed once made, so replies can share it.
    """
    return render.framework_embed(
        framework, footer=f"/resources {framework.name} lists every study link"
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
        # Discord offers only the known kinds; should another come, a suggestion shows them all.
        known = kind if kind in tuple(ResourceKind) else None
        reply = not_found_reply(
            snapshot, query, found.suggestions, what="rs", kind=known, hide=hide, mention=mention
        )
        if found.language is not None:  # which of the language's frameworks, then
            names = [suggestion.label for suggestion in found.suggestions]
            embed = render.language_choice_embed(found.language, names)
            reply = replace(reply, embeds=(embed,))
    else:
        reply = resource_page_reply(
            found.framework, asker=asker, kind=kind, page=page, hide=hide, mention=mention
        )
    return replace(reply, lookup=insight.lookup_of("resources", query, found))


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
    page_row = _pager(page, len(pages), lambda to: ResourcePageId(ref, kind, to, asker))
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
    return _list_page(embed, page, pages, lambda to: ListPageId(to, asker), asker, hide, "list")


def language_list_reply(
    snapshot: Snapshot, found: Lookup, *, asker: int, hide: bool = False, page: int = 0
) -> Reply:
    """Return the framework list narrowed to the language the learner named ("python")."""
    frameworks = tuple(filter(None, (snapshot.guide.framework(s.key) for s in found.suggestions)))
    narrowed = replace(snapshot.guide, frameworks=frameworks)
    embed, pages = render.framework_list_embed(narrowed, page, language=found.language)
    languages = [language.casefold() for language in snapshot.guide.languages()]
    position = languages.index(found.language.casefold()) if found.language else None
    return _list_page(
        embed,
        page,
        pages,
        lambda to: ListPageId(to, asker, position),
        asker,
        hide,
        f"lang:{found.language}",
    )


def _list_page(
    embed: discord.Embed,
    page: int,
    pages: int,
    page_id: Callable[[int], ListPageId],
    asker: int,
    hide: bool,
    topic: str,
) -> Reply:
    """Return one page of a framework list, with its pager; `topic` names the list."""
    page = min(max(page, 0), pages - 1)
    return _public(
        embeds=(embed,),
        rows=(_pager(page, pages, page_id),),
        asker=asker,
        hide=hide,
        mention=None,
        topic=f"{topic}:{page}",
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
            custom_id=PickId(what, framework_ref(s.key), kind, hide, mention).encode(),
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
        if options:
            menu_id = WalkId(WalkAction.CHOOSE, owner, state).encode()
            placeholder = render.truncate(menu.prompt, render.SELECT_PLACEHOLDER_LIMIT)
            rows.append((Menu(menu_id, placeholder, tuple(options)),))
    if walk.step is Step.RESOURCES and walk.framework is not None:
        links = _link_buttons(walk.framework.resources[:LINK_BUTTONS_PER_ROW])
        if links:
            rows.append(links)
    back, forward = WalkId(WalkAction.BACK, owner, state), WalkId(WalkAction.NEXT, owner, state)
    navigation: list[Component] = [
        Button("◀ Back", back.encode(), disabled=not walk.can_go_back()),
        Button("Next ▶", forward.encode(), "primary", disabled=not walk.can_go_next()),
    ]
    if walk.step is STEPS[-1]:
        restart = WalkId(WalkAction.RESTART, owner, None)
        navigation.append(Button("Start over", restart.encode(), "success"))
    if not ephemeral:
        navigation.append(_delete_button(owner))
    rows.append(tuple(navigation))
    return Reply(
        embeds=(render.walkthrough_embed(walk),),
        rows=tuple(rows),
        ephemeral=ephemeral,
        expires=True,
    )


def chosen_reply(shown: Reply, chosen: str) -> Reply:
    """Return a "did you mean" once a suggestion was used: it marked, every button switched off.

    Args:
        shown: The "did you mean" as it stands.
        chosen: The custom_id of the suggestion used.
    """
    label = next(
        (
            c.label
            for row in shown.rows
            for c in row
            if isinstance(c, Button) and c.custom_id == chosen
        ),
        None,
    )
    rows = tuple(
        tuple(
            replace(c, style="success" if c.custom_id == chosen else "secondary", disabled=True)
            if isinstance(c, Button)
            else c
            for c in row
        )
        for row in shown.rows
    )
    text = f"You chose **{discord.utils.escape_markdown(label)}**." if label else None
    return replace(shown, rows=rows, content=text, ephemeral=True)


def notice_reply(title: str, text: str) -> Reply:
    """Return an ephemeral notice: errors, reload reports, cooldown pointers."""
    return Reply(embeds=(render.message_embed(title, text),), ephemeral=True)


def encode_walk(walk: Walkthrough) -> WalkState:
    """Return the walkthrough's state by positions in its guide, for a custom_id."""
    languages = [language.casefold() for language in walk.guide.languages()]
    language = (
        languages.index(walk.language.casefold())
        if walk.language and walk.language.casefold() in languages
        else None
    )
    framework = framework_ref(walk.framework_key) if walk.framework_key else None
    return WalkState(STEPS.index(walk.step), language, framework, walk.page)


def decode_walk(snapshot: Snapshot, state: WalkState | None) -> Walkthrough:
    """Return the walkthrough a custom_id's state stands for, in the guide served now.

    Whatever no longer fits the guide (a language or framework since removed, a mangled id)
    falls back to the start of the walkthrough or to the choice it belongs to.
    """
    walk = Walkthrough(snapshot.guide)
    if state is None:
        return walk
    languages = snapshot.guide.languages()
    language = None
    if state.language is not None and state.language < len(languages):
        language = languages[state.language]
    framework = snapshot.by_ref(state.framework) if state.framework else None
    index = min(state.step, len(STEPS) - 1)
    walk = replace(
        walk,
        step=STEPS[index],
        page=state.page,
        language=language,
        framework_key=framework.key if framework else None,
    )
    # A step whose choice is gone goes back to where that choice is made.
    while (index > STEPS.index(Step.LANGUAGE) and walk.language is None) or (
        index > STEPS.index(Step.FRAMEWORK) and walk.framework is None
    ):
        index -= 1
        walk = replace(walk, step=STEPS[index])
    # A menu shorter since the id was made shows its last page.
    menu = walk.options()
    return replace(walk, page=menu.page if menu is not None else 0)


def _link_buttons(resources: Sequence[Resource]) -> tuple[LinkButton, ...]:
    """Return a link button for each resource whose address a button can hold."""
    return tuple(
        LinkButton(label=render.truncate(r.title, render.BUTTON_LABEL_LIMIT), url=r.url)
        for r in resources
        if len(r.url) <= render.LINK_URL_LIMIT
    )


def _pager(
    page: int, pages: int, make: Callable[[int], ResourcePageId | ListPageId]
) -> tuple[Component, ...]:
    """Return Previous, a page counter and Next; `make` gives the id of a page's button."""
    if pages <= 1:
        return ()
    last = pages - 1
    return (
        Button("◀ Previous", make(max(page - 1, 0)).encode(), disabled=page == 0),
        Button(f"Page {page + 1}/{pages}", label_id(make(page)), disabled=True),
        Button("Next ▶", make(min(page + 1, last)).encode(), disabled=page >= last),
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


def reload_reply(result: Reload, store: GuideStore) -> Reply:
    """Answer `/guide reload`: what changed, or the problems that kept the old guide."""
    version = f"`{store.current.version}`"
    if result.error is None:
        if result.diff is None or not result.diff.has_changes:
            return notice_reply("Guide reloaded", f"No changes: still version {version}.")
        return notice_reply("Guide reloaded", f"Version {version}: {result.diff.summary()}.")
    head = f"Still serving version {version}. Fix these and reload:\n"
    problems = _problems(result.error, store.shown_as, RELOAD_PROBLEMS_SHOWN, len(head))
    return notice_reply("Reload failed", head + problems)


def gaps_reply(snapshot: Snapshot, gaps: insight.Gaps, *, days: int) -> Reply:
    """Answer `/guide gaps`: the report, privately, with the guide's names for its frameworks."""
    embed = render.gaps_embed(gaps.named(snapshot.guide), days=days)
    return Reply(embeds=(embed,), ephemeral=True)


def status_reply(store: GuideStore) -> Reply:
    """Answer `/guide status`: the guide served, and the last failed reload until one succeeds."""
    snapshot = store.current
    text = (
        f"**{snapshot.guide.title}**, version `{snapshot.version}`\n"
        f"{len(snapshot.guide.frameworks)} frameworks from `{store.shown_as}`"
    )
    failure = store.last_failure
    if failure is not None:
        when = int(failure.when.timestamp())
        by = "`/guide reload`" if failure.by == "command" else "the file watcher"
        text += (
            f"\n\n**The last reload failed** <t:{when}:f> (<t:{when}:R>), started by {by}; "
            "the version above is still served. First problems:\n"
        )
        text += _problems(failure.error, store.shown_as, STATUS_PROBLEMS_SHOWN, len(text))
    return notice_reply("Guide status", text)


def _problems(error: GuideError, shown_as: str, most: int, used: int) -> str:
    """Return up to `most` whole problems in a code block that fits after `used` characters.

    Each problem names the guide as `shown_as`, never by the server's path; those left out are
    counted.
    """
    lines = [str(replace(p, source=shown_as)) for p in error.problems]
    budget = render.EMBED_DESCRIPTION_LIMIT - used - len("```\n" + _more(len(lines)) + "\n```")
    shown: list[str] = []
    for line in lines[:most]:
        line = line if shown else render.truncate(line, budget)
        if len("\n".join([*shown, line])) > budget:
            break
        shown.append(line)
    tail = _more(len(lines) - len(shown)) if len(shown) < len(lines) else ""
    return "```\n" + "\n".join(shown) + tail + "\n```"


def _more(count: int) -> str:
    return f"\n… and {count} more (see the log)"
