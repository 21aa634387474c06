from dataclasses import replace

import pytest

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
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python").choose("django")
    assert walk.step is Step.RESOURCES
    assert walk.framework is not None
    assert walk.framework.name == "Django"
    assert walk.next().step is Step.CONCLUSION
    assert not walk.next().can_go_next()


def test_walkthrough_ignores_a_framework_of_another_language(guide):
    walk = Walkthrough(guide, step=Step.FRAMEWORK, language="Python")
    assert walk.choose("express") == walk


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


def test_walkthrough_selected_reports_the_chosen_language(guide):
    walk = Walkthrough(guide, step=Step.LANGUAGE).choose(f"{LANGUAGE_PREFIX}1").back()
    assert walk.step is Step.LANGUAGE
    assert walk.selected() == f"{LANGUAGE_PREFIX}1"
    assert replace(walk, language=None).selected() is None
