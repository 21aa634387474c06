import discord
import pytest

from bot import guide as guide_module
from bot import render
from bot.guide import Resource, ResourceKind, load_guide
from bot.matching import Suggestion
from bot.walkthrough import STEPS, Step, Walkthrough
from tests.conftest import SHIPPED_GUIDE, make_framework, make_guide
from tests.emulator.validation import EMBED_FIELD_VALUE_LIMIT
from tests.helpers import assert_within_limits

SHIPPED = load_guide(SHIPPED_GUIDE)


@pytest.mark.parametrize("framework", SHIPPED.frameworks, ids=lambda fw: fw.key)
def test_render_every_shipped_card_fits_discord(framework):
    embed = render.framework_embed(framework, footer="footer")
    assert_within_limits(embed)
    assert embed.title == framework.name
    values = {field.name: field.value for field in embed.fields}
    assert values["Language"] == framework.language
    for resource in framework.resources:
        assert resource.url in values["Resources"]


@pytest.mark.parametrize("step", STEPS)
def test_render_every_shipped_walkthrough_step_fits_discord(step):
    walk = Walkthrough(SHIPPED, step=step, language="Python", framework_key="django")
    embed = render.walkthrough_embed(walk)
    assert_within_limits(embed)
    assert embed.footer.text == f"Step {STEPS.index(step) + 1} of {len(STEPS)}"


def test_render_truncate_adds_an_ellipsis_only_when_cutting():
    assert render.truncate("short", 10) == "short"
    cut = render.truncate("x" * 20, 10)
    assert len(cut) == 10
    assert cut.endswith(render.ELLIPSIS)


def test_render_oversized_card_is_cut_to_every_limit():
    huge = make_framework(
        "Huge",
        description="d" * 4096,
        used_by=tuple(f"Company {n}" for n in range(400)),
        features=tuple("f" * 100 for _ in range(300)),
        resources=tuple(
            Resource(title="t" * 200, url=f"https://example.com/{n}") for n in range(200)
        ),
    )
    embed = render.framework_embed(huge, footer="x" * 3000)
    assert_within_limits(embed)


def test_render_long_lists_say_how_many_more_instead_of_cutting_an_item():
    many = make_framework("Many", used_by=tuple(f"Company number {n}" for n in range(200)))
    value = next(f.value for f in render.framework_embed(many).fields if f.name == "Used by")
    assert value.endswith("more")
    assert "Company number 0" in value
    assert len(value) <= EMBED_FIELD_VALUE_LIMIT


def test_render_not_found_lists_the_suggestions():
    suggestions = [Suggestion(key="django", label="Django", score=90.0)]
    embed = render.not_found_embed("djnago", suggestions)
    assert "`djnago`" in (embed.description or "")
    assert "• Django" in (embed.description or "")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@everyone", "`@everyone`"),
        ("**bold** [x](https://evil.example)", "`**bold** [x](https://evil.example)`"),
        ("a`b", "`a\u02cbb`"),
        ("\u200b\u202e\x00", "(nothing)"),
        ("", "(nothing)"),
        ("line\nbreak", "`line break`"),
    ],
)
def test_render_quote_query_neutralises_what_a_learner_typed(query, expected):
    assert render.quote_query(query) == expected


def test_render_quote_query_is_cut_short():
    quoted = render.quote_query("y" * 6000)
    assert len(quoted) == render.QUERY_ECHO_LIMIT + 2


def test_render_link_escapes_brackets_and_parentheses():
    text = render.link("a [b] c", "https://example.com/x_(y)")
    assert text == "[a \\[b\\] c](https://example.com/x_%28y%29)"


def test_render_framework_list_groups_by_language_and_pages():
    frameworks = [make_framework(f"Framework {n:04}", f"Lang {n % 40}") for n in range(1200)]
    guide = make_guide(*frameworks, languages=())
    pages = render.framework_list_pages(guide)
    assert len(pages) > 1
    listed = [name for page in pages for _, value in page for name in value.split(", ")]
    assert sorted(listed) == sorted(fw.name for fw in frameworks)
    for number in range(len(pages)):
        embed, count = render.framework_list_embed(guide, number)
        assert count == len(pages)
        assert_within_limits(embed)


def test_every_resource_kind_has_its_own_icon():
    assert set(render.KIND_EMOJI) == {kind.value for kind in ResourceKind}
    assert len(set(render.KIND_EMOJI.values())) == len(ResourceKind)


def test_resources_footer_explains_the_icons_on_the_page():
    flask = make_framework(
        "Flask",
        resources=(
            Resource(title="Tutorial", url="https://t.example/", kind=ResourceKind.TUTORIAL),
            Resource(title="Docs", url="https://d.example/", kind=ResourceKind.DOCS),
            Resource(title="Plain", url="https://p.example/"),
            Resource(title="Docs 2", url="https://d2.example/", kind=ResourceKind.DOCS),
        ),
    )

    one_page = render.resources_embed(flask, flask.resources, kind=None, page=0, pages=1)
    paged = render.resources_embed(flask, flask.resources[:2], kind=None, page=1, pages=3)

    assert one_page.footer.text == "📘 docs · 🧭 tutorial · 🔗 link"
    assert paged.footer.text == "📘 docs · 🧭 tutorial · Page 2 of 3"


def test_the_study_step_marks_where_to_start():
    flask = make_framework(
        "Flask",
        resources=(
            Resource(title="Docs", url="https://d.example/", kind=ResourceKind.DOCS),
            Resource(title="Tutorial", url="https://t.example/", kind=ResourceKind.TUTORIAL),
        ),
    )
    walk = Walkthrough(
        make_guide(flask), step=Step.RESOURCES, language="Python", framework_key="flask"
    )

    lines = (render.walkthrough_embed(walk).description or "").splitlines()

    assert lines == [
        "📘 [Docs](https://d.example/)",
        "🧭 [Tutorial](https://t.example/) ← **start here**",
    ]


def test_the_framework_step_names_the_language_of_a_framework_also_for_this_one():
    guide = make_guide(
        make_framework("Express", "JavaScript", summary="Minimal"),
        make_framework("NestJS", "TypeScript", also_for=("JavaScript",), summary="Structured"),
    )
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="JavaScript")

    lines = (render.walkthrough_embed(walk).description or "").splitlines()

    assert lines[2:] == ["• **Express**: Minimal", "• **NestJS** (TypeScript): Structured"]
    # The list of every framework keeps each under its own language only.
    fields = render.framework_list_pages(guide)[0]
    assert fields == [("JavaScript", "Express"), ("TypeScript", "NestJS")]


def test_the_framework_list_leaves_out_a_language_with_no_framework_of_its_own():
    guide = make_guide(make_framework("NestJS", "TypeScript", also_for=("JavaScript",)))
    assert render.framework_list_pages(guide) == [[("TypeScript", "NestJS")]]


def test_render_the_guide_contract_fits_the_discord_limits_it_was_chosen_for():
    # bot.guide is pure and cannot import these; this ties each of its limits to its reason.
    assert guide_module.TITLE_MAX_CHARS <= render.EMBED_TITLE_LIMIT
    assert guide_module.LONG_TEXT_MAX_CHARS <= render.EMBED_DESCRIPTION_LIMIT
    assert guide_module.NAME_MAX_CHARS <= render.BUTTON_LABEL_LIMIT
    assert guide_module.SUMMARY_MAX_CHARS <= render.SELECT_TEXT_LIMIT
    assert guide_module.SUMMARY_MAX_CHARS <= render.CHOICE_NAME_LIMIT
    assert guide_module.URL_MAX_CHARS <= render.LINK_URL_LIMIT
    assert guide_module.RESOURCE_TITLE_MAX_CHARS < render.EMBED_FIELD_NAME_LIMIT


def test_render_shows_the_guides_plain_text_fields_as_typed_not_as_markdown():
    # Only the intro, prerequisites text, descriptions and conclusion are markdown.
    odd = make_framework(
        "Odd",
        "__Lang__",
        also_for=("Python",),
        summary="||hidden|| *summary*",
        used_by=("**Bold Corp**", "`Code Inc`"),
        features=("~~struck~~", "[link](https://evil.example)"),
    )
    guide = make_guide(odd, make_framework("Flask"), languages=("Python", "> quoted"))
    escaped = discord.utils.escape_markdown

    card = {field.name: field.value for field in render.framework_embed(odd).fields}
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    frameworks = render.walkthrough_embed(walk)
    listing, _pages = render.framework_list_embed(guide, 0)
    choice = render.language_choice_embed("__Lang__", ["Odd"])

    assert card["Language"] == escaped("__Lang__")
    assert card["Used by"] == f"{escaped('**Bold Corp**')}, {escaped('`Code Inc`')}"
    assert card["Key features"] == "\n".join(
        f"• {escaped(feature)}" for feature in ("~~struck~~", "[link](https://evil.example)")
    )
    assert f"**Odd** ({escaped('__Lang__')}): {escaped('||hidden|| *summary*')}" in (
        frameworks.description or ""
    )
    assert [field.name for field in listing.fields] == ["Python", escaped("__Lang__")]
    assert (choice.description or "").startswith(f"{escaped('__Lang__')} is a language")
