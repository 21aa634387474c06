"""The getting-started walkthrough as a pure state machine: which step, what was chosen."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.custom_ids import framework_ref
from bot.guide import Framework, Guide, Resource, ResourceKind

# Menu values. Frameworks go by `framework_ref` (hex digits, so none of these can clash with one):
# a key can fold longer than the 100 characters of a value ("ß" is "ss"). Languages go by their
# position, since a language name may hold anything and be long.
LANGUAGE_PREFIX = "language:"
PREVIOUS_PAGE = "page:previous"
MORE = "page:more"
OPTIONS_PER_PAGE = 23
"""Choices shown at once; with "previous" and "more" entries a page fills a 25-option menu."""
BEGINNER_KINDS = (
    ResourceKind.TUTORIAL,
    ResourceKind.COURSE,
    ResourceKind.VIDEO,
    ResourceKind.BOOK,
    ResourceKind.ARTICLE,
    ResourceKind.DOCS,
)
"""The kinds of resource a beginner starts with, best first: a guided path before a reference."""


class Step(StrEnum):
    """The walkthrough's steps, in order."""

    INTRO = "intro"
    PREREQUISITES = "prerequisites"
    LANGUAGE = "language"
    FRAMEWORK = "framework"
    RESOURCES = "resources"
    CONCLUSION = "conclusion"


STEPS = tuple(Step)


@dataclass(frozen=True, slots=True)
class Option:
    """One entry of the current step's menu."""

    label: str
    value: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class OptionPage:
    """The part of a long menu shown now, and whether there is more either side."""

    options: tuple[Option, ...]
    page: int
    has_previous: bool
    has_more: bool
    prompt: str
    """What the menu asks for, shown in it before anything is chosen."""


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """Where a learner is in the walkthrough; every move returns a new state."""

    guide: Guide
    step: Step = Step.INTRO
    language: str | None = None
    framework_key: str | None = None
    page: int = 0
    """Which page of the language or framework menu is showing."""

    @property
    def number(self) -> int:
        """Return the 1-based position of the current step."""
        return STEPS.index(self.step) + 1

    @property
    def total(self) -> int:
        """Return how many steps there are."""
        return len(STEPS)

    @property
    def framework(self) -> Framework | None:
        """Return the chosen framework, if it is (still) in the guide."""
        return self.guide.framework(self.framework_key) if self.framework_key else None

    @property
    def start_here(self) -> Resource | None:
        """Return where to start studying the chosen framework.

        That is its first resource of the kind a beginner starts with (a tutorial, say), or its
        first resource when none has such a kind.
        """
        framework = self.framework
        if framework is None:
            return None
        for kind in BEGINNER_KINDS:
            for resource in framework.resources:
                if resource.kind is kind:
                    return resource
        return framework.resources[0] if framework.resources else None

    def can_go_back(self) -> bool:
        """Return whether there is a step before this one."""
        return self.step is not STEPS[0]

    def can_go_next(self) -> bool:
        """Return whether Next leads somewhere: the last step is the end, and choices gate."""
        if self.step is Step.LANGUAGE:
            return self.language is not None
        if self.step is Step.FRAMEWORK:
            return self.framework is not None
        return self.step is not STEPS[-1]

    def next(self) -> Walkthrough:
        """Return the state one step on (unchanged where Next is not allowed)."""
        if not self.can_go_next():
            return self
        return replace(self, step=STEPS[STEPS.index(self.step) + 1], page=0)

    def back(self) -> Walkthrough:
        """Return the state one step back (unchanged on the first step)."""
        if not self.can_go_back():
            return self
        return replace(self, step=STEPS[STEPS.index(self.step) - 1], page=0)

    def choose(self, value: str) -> Walkthrough:
        """Apply a menu choice: a language, a framework reference, or a move between menu pages.

        A choice moves on to the next step; a value that is not on offer (a stale menu, a
        reloaded guide) leaves the state as it is.
        """
        if value == PREVIOUS_PAGE:
            return replace(self, page=max(self.page - 1, 0))
        if value == MORE:
            return replace(self, page=self.page + 1)
        languages = self.guide.languages()
        if self.step is Step.LANGUAGE and value.startswith(LANGUAGE_PREFIX):
            index = value.removeprefix(LANGUAGE_PREFIX)
            if index.isdecimal() and int(index) < len(languages):
                language = languages[int(index)]
                return replace(
                    self, language=language, framework_key=None, step=Step.FRAMEWORK, page=0
                )
        if self.step is Step.FRAMEWORK and self.language is not None:
            for framework in self.guide.choices_for(self.language):
                if framework_ref(framework.key) == value:
                    return replace(self, framework_key=framework.key, step=Step.RESOURCES)
        return self

    def options(self) -> OptionPage | None:
        """Return the menu of the current step, or None where the step has no menu."""
        if self.step is Step.LANGUAGE:
            prompt = "Choose the language you know best"
            everything = [
                Option(label=language, value=f"{LANGUAGE_PREFIX}{index}")
                for index, language in enumerate(self.guide.languages())
            ]
        elif self.step is Step.FRAMEWORK and self.language is not None:
            prompt = f"Choose a framework for {self.language}"
            everything = [
                Option(label=fw.name, value=framework_ref(fw.key), description=fw.summary)
                for fw in self.guide.choices_for(self.language)
            ]
        else:
            return None
        last_page = max((len(everything) - 1) // OPTIONS_PER_PAGE, 0)
        page = min(self.page, last_page)
        start = page * OPTIONS_PER_PAGE
        return OptionPage(
            options=tuple(everything[start : start + OPTIONS_PER_PAGE]),
            page=page,
            has_previous=page > 0,
            has_more=page < last_page,
            prompt=prompt,
        )

    def selected(self) -> str | None:
        """Return the value chosen on the current step's menu, if any."""
        if self.step is Step.LANGUAGE and self.language is not None:
            folded = [language.casefold() for language in self.guide.languages()]
            if self.language.casefold() in folded:
                return f"{LANGUAGE_PREFIX}{folded.index(self.language.casefold())}"
            return None
        if self.step is Step.FRAMEWORK and self.framework_key is not None:
            return framework_ref(self.framework_key)
        return None
