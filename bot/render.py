"""Guide objects to Discord embeds; the one place that knows Discord's size limits.

Pure functions: no I/O and no interaction, so everything here is tested synchronously.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from urllib.parse import quote

import discord

from bot.guide import Framework, Guide, Resource
from bot.insight import Gaps, percent, span
from bot.matching import Suggestion
from bot.walkthrough import Step, Walkthrough

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object).
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
LINK_URL_LIMIT = 512
SELECT_TEXT_LIMIT = 100
"""Label, value and description of a select option."""
SELECT_PLACEHOLDER_LIMIT = 150
CHOICE_NAME_LIMIT = 100

ELLIPSIS = "…"
URL_SAFE_CHARACTERS = ":/?#@!$&'*+,;=%~.-_"
"""Kept as they are in a link's address; others, the parentheses among them, are escaped."""
QUERY_ECHO_LIMIT = 80
"""How much of a learner's query a reply quotes back; enough to recognise it."""
LIST_TEXT_ALLOWANCE = 128
"""Room a page of the framework list keeps for its description and footer (about 110 now)."""
RESOURCES_PER_PAGE = 10
FIELD_GAP = "\u200b"
"""Zero-width space: Discord rejects an empty field name or value."""

START_HERE = " ← **start here**"
"""Marks the resource a beginner should open first."""

COLOUR_CARD = discord.Colour.blurple()
COLOUR_NOT_FOUND = discord.Colour.orange()
COLOUR_WALKTHROUGH = discord.Colour.green()

KIND_EMOJI = {
    "docs": "📘",
    "tutorial": "🧭",
    "video": "🎬",
    "course": "🎓",
    "book": "📗",
    "article": "📰",
    "website": "🌐",
    "repository": "📂",
}
"""The icon of each kind of resource, in the order a legend lists them."""
PLAIN_CACHE = 1024
"""Guide strings kept escaped by `plain`: the ones shown most, in a few tens of KB."""
LINK_EMOJI = "🔗"
"""The icon of a resource of no stated kind."""
STEP_TITLES = {
    Step.INTRO: "What backend development is",
    Step.PREREQUISITES: "Prerequisites",
    Step.LANGUAGE: "Choose your language",
    Step.FRAMEWORK: "Choose a framework",
    Step.RESOURCES: "Study resources",
    Step.CONCLUSION: "Go build something",
}


def truncate(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


@functools.lru_cache(maxsize=PLAIN_CACHE)
def plain(text: str) -> str:
    """Return guide text that is not markdown (a name, a language, a list entry) to show as typed.

    Only the intro, prerequisites text, descriptions and conclusion of a guide are markdown. The
    same few strings are shown again and again (every walkthrough step past the first lists the
    guide's languages), and escaping one runs eight regular expressions: each is escaped once.
    """
    return discord.utils.escape_markdown(text)


def quote_query(text: str) -> str:
    """Return a learner's text made safe to echo: no markdown, links, mentions or invisibles.

    Control and format characters (zero-width, direction marks) are dropped, the rest is cut to
    `QUERY_ECHO_LIMIT` and shown as inline code, in which Discord renders no markdown, link or
    mention. Backticks, which would close the code span, become a look-alike.
    """
    visible = "".join(
        " " if char.isspace() else char
        for char in text
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co", "Cn"} or char.isspace()
    )
    visible = " ".join(visible.split()).replace("`", "\u02cb")  # modifier letter grave accent
    if not visible:
        return "(nothing)"
    return f"`{truncate(visible, QUERY_ECHO_LIMIT)}`"


def link(title: str, url: str) -> str:
    """Return a markdown link whose text and address cannot break out of the link syntax."""
    text = plain(title).replace("[", "\\[").replace("]", "\\]")
    return f"[{text}]({quote(url, safe=URL_SAFE_CHARACTERS)})"


def choice_label(framework: Framework) -> str:
    """Return the autocomplete label of a framework: its name and language, within 100."""
    return truncate(f"{framework.name} ({framework.language})", CHOICE_NAME_LIMIT)


def framework_embed(framework: Framework, *, footer: str | None = None) -> discord.Embed:
    """Return the card of a framework: description, language, users, features, resources."""
    embed = discord.Embed(
        title=truncate(framework.name, EMBED_TITLE_LIMIT),
        description=truncate(framework.description, EMBED_DESCRIPTION_LIMIT),
        colour=COLOUR_CARD,
    )
    embed.add_field(name="Language", value=_field_value(plain(framework.language)), inline=True)
    if framework.used_by:
        used_by = [plain(user) for user in framework.used_by]
        embed.add_field(name="Used by", value=_joined(used_by, ", "), inline=True)
    if framework.features:
        features = [f"• {plain(feature)}" for feature in framework.features]
        embed.add_field(name="Key features", value=_joined(features, "\n"), inline=False)
    lines = [_resource_line(resource) for resource in framework.resources]
    embed.add_field(name="Resources", value=_joined(lines, "\n"), inline=False)
    if footer:
        embed.set_footer(text=truncate(footer, EMBED_FOOTER_LIMIT))
    return fit(embed)


def resources_embed(
    framework: Framework,
    resources: Sequence[Resource],
    *,
    kind: str | None,
    page: int,
    pages: int,
) -> discord.Embed:
    """Return one page of a framework's resources as links."""
    heading = f"Resources for {framework.name}" + (f" ({kind})" if kind else "")
    lines = [_resource_line(resource) for resource in resources]
    embed = discord.Embed(
        title=truncate(heading, EMBED_TITLE_LIMIT),
        description=_joined(lines, "\n", limit=EMBED_DESCRIPTION_LIMIT),
        colour=COLOUR_CARD,
    )
    footer = [kind_legend(resources)]
    if pages > 1:
        footer.append(f"Page {page + 1} of {pages}")
    embed.set_footer(text=" · ".join(footer))
    return fit(embed)


def kind_legend(resources: Sequence[Resource]) -> str:
    """Return what each icon on these resources means, like "📘 docs · 🧭 tutorial"."""
    kinds = {str(r.kind) if r.kind else None for r in resources}
    known = [f"{emoji} {kind}" for kind, emoji in KIND_EMOJI.items() if kind in kinds]
    return " · ".join(known + ([f"{LINK_EMOJI} link"] if None in kinds else []))


def no_resources_embed(framework: Framework, kind: str) -> discord.Embed:
    """Return the reply for a kind filter that leaves none of a framework's resources."""
    kinds = sorted({str(r.kind) for r in framework.resources if r.kind is not None})
    hint = f" It has: {', '.join(kinds)}." if kinds else ""
    return discord.Embed(
        title=truncate(f"No {kind} resources for {framework.name}", EMBED_TITLE_LIMIT),
        description=truncate(
            f"The guide lists no {kind} for {framework.name}.{hint}", EMBED_DESCRIPTION_LIMIT
        ),
        colour=COLOUR_NOT_FOUND,
    )


def not_found_embed(query: str, suggestions: Sequence[Suggestion]) -> discord.Embed:
    """Return the "did you mean" reply; the query is quoted safely, suggestions are listed."""
    if suggestions:
        names = "\n".join(f"• {plain(s.label)}" for s in suggestions)
        body = f"Did you mean:\n{names}\n\nPick one below, or try `/framework` to see them all."
    else:
        body = "Try `/framework` with no name to see every framework in the guide."
    return fit(
        discord.Embed(
            title="Not in the guide",
            description=f"There is no framework called {quote_query(query)} in the guide.\n{body}",
            colour=COLOUR_NOT_FOUND,
        )
    )


def language_choice_embed(language: str, names: Sequence[str]) -> discord.Embed:
    """Return the reply to a language where a framework was asked for: which to choose from."""
    shown = plain(language)
    head = f"{shown} is a language; the guide's {shown} frameworks are "
    tail = ". Pick one below for its study links."
    bold = [f"**{plain(name)}**" for name in names]
    listed = _joined(bold, ", ", limit=EMBED_DESCRIPTION_LIMIT - len(head) - len(tail))
    return fit(
        discord.Embed(
            title=truncate(f"{language}: choose a framework", EMBED_TITLE_LIMIT),
            description=head + listed + tail,
            colour=COLOUR_NOT_FOUND,
        )
    )


def framework_list_pages(guide: Guide) -> list[list[tuple[str, str]]]:
    """Return the fields of the framework list, grouped by language, split into pages.

    A page holds at most 25 fields and stays well inside the 6000-character total; a language
    with more frameworks than one field holds continues in the next field.
    """
    fields: list[tuple[str, str]] = []
    for language in guide.languages():
        names = [plain(fw.name) for fw in guide.frameworks_for(language)]
        chunk: list[str] = []
        for name in names:
            if chunk and len(", ".join([*chunk, name])) > EMBED_FIELD_VALUE_LIMIT:
                fields.append((plain(language), ", ".join(chunk)))
                chunk = []
            chunk.append(name)
        if chunk:  # none for a language only `also_for` frameworks of another
            fields.append((plain(language), ", ".join(chunk)))
    pages: list[list[tuple[str, str]]] = [[]]
    budget = EMBED_TOTAL_LIMIT - EMBED_TITLE_LIMIT - LIST_TEXT_ALLOWANCE
    used = 0
    for name, value in fields:
        size = len(truncate(name, EMBED_FIELD_NAME_LIMIT)) + len(value)
        if pages[-1] and (len(pages[-1]) == EMBED_FIELD_LIMIT or used + size > budget):
            pages.append([])
            used = 0
        pages[-1].append((name, value))
        used += size
    return pages


def framework_list_embed(
    guide: Guide, page: int, *, language: str | None = None
) -> tuple[discord.Embed, int]:
    """Return one page of every framework by language, and the number of pages.

    With `language`, the guide is expected to hold that language's frameworks only.
    """
    pages = framework_list_pages(guide)
    page = min(max(page, 0), len(pages) - 1)
    title = f"{language} frameworks" if language else "Frameworks"
    embed = discord.Embed(
        title=truncate(f"{title} in {guide.title}", EMBED_TITLE_LIMIT),
        description="Use `/framework name` for a card, `/resources name` for study links.",
        colour=COLOUR_CARD,
    )
    for name, value in pages[page]:
        embed.add_field(name=truncate(name, EMBED_FIELD_NAME_LIMIT), value=value, inline=False)
    count = len(guide.frameworks)
    plural = "s" if count != 1 else ""
    embed.set_footer(text=f"{count} framework{plural} · page {page + 1} of {len(pages)}")
    return fit(embed), len(pages)


def walkthrough_embed(walk: Walkthrough) -> discord.Embed:
    """Return the embed of the walkthrough's current step, with its step counter."""
    guide = walk.guide
    prereq = guide.prerequisites
    if walk.step is Step.INTRO:
        body = guide.intro
    elif walk.step is Step.PREREQUISITES:
        extras = [
            f"**{label}:** {', '.join(map(plain, items))}"
            for label, items in (("Languages", prereq.languages), ("Concepts", prereq.concepts))
            if items
        ]
        body = "\n\n".join([prereq.text, *extras])
    elif walk.step is Step.LANGUAGE:
        chosen = f"\n\nChosen: **{plain(walk.language)}**" if walk.language else ""
        body = f"Pick the language you know best from the menu below.{chosen}"
    elif walk.step is Step.FRAMEWORK:
        body = _frameworks_body(walk)
    elif walk.step is Step.RESOURCES:
        framework = walk.framework
        body = (
            _study_body(framework.resources, walk.start_here)
            if framework
            else "That framework is no longer in the guide; go back and choose again."
        )
    else:
        body = guide.conclusion
    title = f"{STEP_TITLES[walk.step]}"
    if walk.step is Step.RESOURCES and walk.framework:
        title = f"Study {walk.framework.name}"
    embed = discord.Embed(
        title=truncate(title, EMBED_TITLE_LIMIT),
        description=truncate(body, EMBED_DESCRIPTION_LIMIT),
        colour=COLOUR_WALKTHROUGH,
    )
    embed.set_author(name=truncate(guide.title, EMBED_TITLE_LIMIT))
    embed.set_footer(text=f"Step {walk.number} of {walk.total}")
    return fit(embed)


def message_embed(title: str, text: str) -> discord.Embed:
    """Return a plain notice, for errors, reload reports and pointers."""
    return fit(
        discord.Embed(
            title=truncate(title, EMBED_TITLE_LIMIT),
            description=truncate(text, EMBED_DESCRIPTION_LIMIT),
            colour=COLOUR_NOT_FOUND,
        )
    )


def gaps_embed(gaps: Gaps, *, days: int) -> discord.Embed:
    """Return the gaps report of one server: its misses, its frameworks, the share answered.

    Queries are learners' text, shown as `quote_query` shows them.
    """
    window = span(days)
    if gaps.lookups:
        text = (
            f"In {window}, learners here made **{gaps.lookups}** "
            f"lookup{'' if gaps.lookups == 1 else 's'}; "
            f"**{percent(gaps.share_answered)}** found a framework at once."
        )
    else:
        text = f"No lookups were recorded here in {window}."
    embed = discord.Embed(title="What learners looked for", description=text, colour=COLOUR_CARD)
    misses = [f"**{miss.count}** {quote_query(miss.name)}" for miss in gaps.misses]
    answered = [f"**{hit.count}** {plain(hit.name)}" for hit in gaps.answered]
    embed.add_field(name="Most asked, found nothing", value=_joined(misses, "\n"), inline=False)
    embed.add_field(name="Most asked frameworks", value=_joined(answered, "\n"), inline=False)
    embed.set_footer(text="A miss is a query no framework answered at once.")
    return fit(embed)


def fit(embed: discord.Embed) -> discord.Embed:
    """Return `embed` cut to Discord's 6000-character total, taking from the description."""
    excess = len(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        embed.description = truncate(embed.description, max(len(embed.description) - excess, 1))
    excess = len(embed) - EMBED_TOTAL_LIMIT
    while excess > 0 and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
        excess = len(embed) - EMBED_TOTAL_LIMIT
    return embed


def _frameworks_body(walk: Walkthrough) -> str:
    language = (walk.language or "").casefold()
    lines = [
        f"• **{plain(fw.name)}**"
        + (f" ({plain(fw.language)})" if fw.language.casefold() != language else "")
        + (f": {plain(fw.summary)}" if fw.summary else "")
        for fw in walk.guide.choices_for(walk.language or "")
    ]
    intro = f"Frameworks for **{plain(walk.language or '')}**: pick one from the menu below."
    return _joined([intro, "", *lines], "\n", limit=EMBED_DESCRIPTION_LIMIT)


def _study_body(resources: Sequence[Resource], start: Resource | None) -> str:
    """Return the study step's links, the one to start with marked."""
    lines = [_resource_line(r) + (START_HERE if r is start else "") for r in resources]
    return _joined(lines, "\n", limit=EMBED_DESCRIPTION_LIMIT)


def _resource_line(resource: Resource) -> str:
    emoji = KIND_EMOJI[resource.kind] if resource.kind else LINK_EMOJI
    return f"{emoji} {link(resource.title, resource.url)}"


def _field_value(text: str) -> str:
    return truncate(text, EMBED_FIELD_VALUE_LIMIT) or FIELD_GAP


def _joined(items: Sequence[str], separator: str, *, limit: int = EMBED_FIELD_VALUE_LIMIT) -> str:
    """Join whole items up to `limit`; say how many did not fit rather than cut one in half."""

    def more(count: int) -> str:
        return f"{separator}… and {count} more" if count else ""

    shown: list[str] = []
    for index, item in enumerate(items):
        left_after = len(items) - index - 1
        if len(separator.join([*shown, item])) + len(more(left_after)) <= limit:
            shown.append(item)
        elif shown:
            return separator.join(shown) + more(left_after + 1)
        else:
            return truncate(item, limit - len(more(left_after))) + more(left_after)
    return separator.join(shown) or FIELD_GAP
