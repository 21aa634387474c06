from dataclasses import replace

import pytest

from bot import replies
from bot.custom_ids import framework_ref
from bot.guide import Guide, Resource, ResourceKind
from bot.payload import callback_body
from bot.walkthrough import (
    LANGUAGE_PREFIX,
    MORE,
    OPTIONS_PER_PAGE,
    PREVIOUS_PAGE,
    STEPS,
    Step,
    Walkthrough,
)
from tests.conftest import make_framework, make_guide
from tests.emulator.validation import message_problems


def test_walkthrough_starts_at_the_intro_with_no_way_back(guide):
    walk = Walkthrough(guide)
    assert walk.step is Step.INTRO
    assert walk.number == 1
    assert walk.total == len(STEPS)
    assert not walk.can_go_back()
    assert walk.back() == walk


def test_walkthrough_next_is_gated_until_a_language_is_chosen(guide):
    walk = Walkthrough(guide).next().next()
    assert walk.step is Step.LANGUAGE
    assert not walk.can_go_next()
    assert walk.next() == walk


def test_walkthrough_choosing_a_language_moves_to_its_frameworks(guide):
    walk = Walkthrough(guide, step=Step.LANGUAGE)
    languages = guide.languages()
    walk = walk.choose(f"{LANGUAGE_PREFIX}{languages.index('JavaScript')}")
    assert walk.step is Step.FRAMEWORK
    assert walk.language == "JavaScript"
    menu = walk.options()
    assert menu is not None
    assert [o.label for o in menu.options] == ["Node.js", "Express"]


def test_walkthrough_choosing_a_framework_shows_its_resources(guide):
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    walk = walk.choose(framework_ref("django"))
    assert walk.step is Step.RESOURCES
    assert walk.framework is not None
    assert walk.framework.name == "Django"
    assert walk.next().step is Step.CONCLUSION
    assert not walk.next().can_go_next()


def test_walkthrough_ignores_a_framework_of_another_language(guide):
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    assert walk.choose(framework_ref("express")) == walk


@pytest.mark.parametrize("value", ["", "language:99", "language:x", "nonsense", "language:-1"])
def test_walkthrough_ignores_values_not_on_offer(guide, value):
    walk = Walkthrough(guide, step=Step.LANGUAGE)
    assert walk.choose(value) == walk


def test_walkthrough_languages_come_from_prerequisites_then_frameworks(guide):
    # Prerequisites name Python and JavaScript; Ruby comes only from a framework.
    assert guide.languages() == ("Python", "JavaScript", "Ruby")


def test_walkthrough_menu_pages_through_many_frameworks():
    frameworks = [make_framework(f"Framework {n:03}") for n in range(60)]
    guide = make_guide(*frameworks, languages=("Python",))
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    first = walk.options()
    assert first is not None
    assert len(first.options) == OPTIONS_PER_PAGE
    assert first.has_more
    assert not first.has_previous
    last = walk.choose(MORE).choose(MORE).options()
    assert last is not None
    assert not last.has_more
    assert last.has_previous
    assert len(last.options) == 60 - 2 * OPTIONS_PER_PAGE
    assert walk.choose(MORE).choose(PREVIOUS_PAGE).options() == first
    # Each page, with its "more" and "previous" entries, is a menu Discord takes.
    for page in (walk, walk.choose(MORE), walk.choose(MORE).choose(MORE)):
        body = callback_body(replies.walkthrough_reply(page, owner=1))
        assert [str(problem) for problem in message_problems(body["data"])] == []


def test_walkthrough_selected_reports_the_chosen_language(guide):
    walk = Walkthrough(guide, step=Step.LANGUAGE).choose(f"{LANGUAGE_PREFIX}1").back()
    assert walk.step is Step.LANGUAGE
    assert walk.selected() == f"{LANGUAGE_PREFIX}1"
    assert replace(walk, language=None).selected() is None


def nest_guide() -> Guide:
    """Return a guide whose TypeScript framework is also for JavaScript learners."""
    return make_guide(
        make_framework("Node.js", "JavaScript"),
        make_framework("NestJS", "TypeScript", also_for=("JavaScript",), summary="Structured"),
        make_framework("Django"),
        languages=("Python", "JavaScript"),
    )


def test_a_framework_also_for_a_language_is_offered_after_that_languages_own():
    guide = nest_guide()
    walk = Walkthrough(guide, step=Step.LANGUAGE).choose(f"{LANGUAGE_PREFIX}1")

    menu = walk.options()

    assert walk.language == "JavaScript"
    assert menu is not None
    assert [o.label for o in menu.options] == ["Node.js", "NestJS"]
    chosen = walk.choose(framework_ref("nest"))
    assert chosen.step is Step.RESOURCES
    assert chosen.framework is not None
    assert chosen.framework.name == "NestJS"
    assert guide.languages() == ("Python", "JavaScript", "TypeScript")
    typescript = Walkthrough(guide, step=Step.FRAMEWORK, language="TypeScript").options()
    assert typescript is not None
    assert [o.label for o in typescript.options] == ["NestJS"]
    python = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    assert python.choose(framework_ref("nest")) == python


def test_a_language_only_a_framework_is_also_for_is_still_offered():
    guide = make_guide(
        make_framework("NestJS", "TypeScript", also_for=("JavaScript",)), languages=()
    )
    assert guide.languages() == ("TypeScript", "JavaScript")


@pytest.mark.parametrize(
    ("walk", "prompt"),
    [
        (Walkthrough(nest_guide(), step=Step.LANGUAGE), "Choose the language you know best"),
        (
            Walkthrough(nest_guide(), step=Step.LANGUAGE, language="Python"),
            "Choose the language you know best",
        ),
        (
            Walkthrough(nest_guide(), step=Step.FRAMEWORK, language="Python"),
            "Choose a framework for Python",
        ),
        (
            Walkthrough(nest_guide(), step=Step.FRAMEWORK, language="JavaScript", page=1),
            "Choose a framework for JavaScript",
        ),
    ],
)
def test_every_menu_says_what_it_asks_for(walk, prompt):
    menu = walk.options()
    assert menu is not None
    assert menu.prompt == prompt


def test_a_long_menu_keeps_its_prompt_on_every_page():
    guide = make_guide(*(make_framework(f"Framework {n:03}") for n in range(60)))
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python").choose(MORE)
    menu = walk.options()
    assert menu is not None
    assert menu.has_more
    assert menu.prompt == "Choose a framework for Python"


def resource(kind: ResourceKind | None, name: str) -> Resource:
    return Resource(title=name, url=f"https://{name}.example/", kind=kind)


@pytest.mark.parametrize(
    ("resources", "start"),
    [
        (
            (
                resource(ResourceKind.DOCS, "docs"),
                resource(ResourceKind.VIDEO, "video"),
                resource(ResourceKind.TUTORIAL, "first-tutorial"),
                resource(ResourceKind.TUTORIAL, "second-tutorial"),
            ),
            "first-tutorial",
        ),
        (
            (resource(ResourceKind.WEBSITE, "site"), resource(ResourceKind.COURSE, "course")),
            "course",
        ),
        ((resource(ResourceKind.DOCS, "docs"), resource(None, "plain")), "docs"),
        ((resource(ResourceKind.REPOSITORY, "repo"), resource(None, "plain")), "repo"),
    ],
)
def test_the_study_step_starts_with_the_first_resource_of_the_beginners_kind(resources, start):
    guide = make_guide(make_framework("Flask", resources=resources))
    walk = Walkthrough(guide, step=Step.RESOURCES, language="Python", framework_key="flask")
    assert walk.start_here is not None
    assert walk.start_here.title == start
    assert replace(walk, framework_key=None).start_here is None


@pytest.mark.parametrize(
    "name", ["ß" * 80, "\ufdfa" * 80, "\u337f" * 80], ids=["sharp-s", "ligature", "square"]
)
def test_a_name_whose_key_folds_longer_than_100_characters_is_still_a_menu_choice(name):
    # 80 characters, as the guide allows, that NFKC and casefold grow ("ß" is "ss") past the
    # 100 characters Discord takes in a select option's value.
    guide = make_guide(make_framework(name, "German"), languages=("German",))
    walk = Walkthrough(guide, step=Step.LANGUAGE).choose(f"{LANGUAGE_PREFIX}0")
    body = callback_body(replies.walkthrough_reply(walk, owner=1))
    assert [str(problem) for problem in message_problems(body["data"])] == []

    menu = walk.options()
    assert menu is not None
    (option,) = menu.options
    chosen = walk.choose(option.value)

    assert chosen.step is Step.RESOURCES
    assert chosen.framework is not None
    assert chosen.framework.name == name
    assert chosen.back().selected() == option.value
