"""Shared fixtures: a small guide built in code, and the shipped guide's path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.guide import Framework, Guide, Prerequisites, Resource, ResourceKind, name_key

pytest_plugins = ("tests.emulator.plugin", "tests.postgres")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_GUIDE = REPO_ROOT / "data" / "guide.yaml"


def make_framework(name: str, language: str = "Python", **fields: object) -> Framework:
    """Return a framework with sensible defaults for whatever a test does not care about."""
    defaults: dict[str, object] = {
        "description": f"{name} is a framework.",
        "resources": (
            Resource(
                title=f"{name} docs",
                url=f"https://{name_key(name)}.example/docs",
                kind=ResourceKind.DOCS,
            ),
        ),
    }
    defaults.update(fields)
    return Framework(key=name_key(name), name=name, language=language, **defaults)  # type: ignore[arg-type]


def make_guide(
    *frameworks: Framework, languages: tuple[str, ...] = ("Python", "JavaScript")
) -> Guide:
    """Return a guide holding `frameworks` (a small default set when none are given)."""
    if not frameworks:
        frameworks = (
            make_framework("Django", aliases=("dj",), summary="Batteries included"),
            make_framework("Flask"),
            make_framework("Node.js", "JavaScript"),
            make_framework("Express", "JavaScript"),
            make_framework("Ruby on Rails", "Ruby", aliases=("rails", "ror")),
        )
    return Guide(
        title="Test guide",
        intro="Backend is the server side.",
        prerequisites=Prerequisites(
            text="Know a language.", languages=languages, concepts=("HTTP",)
        ),
        frameworks=frameworks,
        conclusion="Go build something.",
    )


@pytest.fixture
def guide() -> Guide:
    return make_guide()
