"""Small guides written as text, with known line numbers, for reload and store tests."""

from __future__ import annotations

import os
from pathlib import Path

SECOND_NS = 1_000_000_000
DJANGO_LANGUAGE_LINE = 9
"""The line of Django's `language:` in `guide_text`; its value starts at column 15."""


def guide_text(version: int, *, extra: str | None = None, gone: bool = False) -> str:
    """Return a valid guide in which every text of the Django card names `version`.

    Args:
        version: the number written into Django's description, users, features and resource.
        extra: the name of a second framework (language Go) to add after Django.
        gone: leave out Flask, which is otherwise the last framework.
    """
    frameworks = [
        "  - name: Django",
        "    aliases: [dj]",
        "    language: Python",
        f"    description: Django as of version {version}.",
        f"    used_by: [User{version}]",
        f"    features: [Feature{version}]",
        "    resources:",
        f"      - title: Docs {version}",
        f"        url: https://v{version}.example/docs",
        "        kind: docs",
    ]
    if extra is not None:
        frameworks += [
            f"  - name: {extra}",
            "    language: Go",
            f"    description: {extra} as of version {version}.",
            "    resources:",
            f"      - title: {extra} docs {version}",
            f"        url: https://v{version}.example/{extra.lower()}",
        ]
    if not gone:
        frameworks += [
            "  - name: Flask",
            "    language: Python",
            "    description: A small Python framework.",
            "    resources:",
            "      - title: Flask docs",
            "        url: https://flask.example/",
        ]
    return "\n".join(
        [
            f"title: Guide {version}",
            "intro: Backend is the server side.",
            "prerequisites:",
            "  text: Know a language.",
            "  languages: [Python, Go]",
            "frameworks:",
            *frameworks,
            "conclusion: Build something.",
            "",
        ]
    )


def write_guide(path: Path, text: str) -> None:
    """Write `text` to `path` and move its modification time on by at least a second.

    File systems stamp times at a clock tick, so two writes in one tick with the same size can
    look alike to a watcher; a real edit is never that close to the last one.
    """
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    stamp = max(path.stat().st_mtime_ns, before + SECOND_NS)
    os.utime(path, ns=(stamp, stamp))


def billion_laughs(levels: int = 9) -> str:
    """Return a billion-laughs YAML: 10**levels strings if its aliases were expanded."""
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    return "\n".join(lines) + "\n"
