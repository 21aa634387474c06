"""What several test modules share: guides written as text, queries, checks and database set-up.

A test module never imports another; what two of them need lives here (or in `conftest.py`
and `tests/emulator/`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

import discord
import psycopg

from tests.emulator.validation import message_problems

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


SUGGESTING_QUERY = "flsk djngo"
"""Resolves to no framework, but the matcher suggests Django and Flask for it."""

BUILT_FROM = ("pyproject.toml", "README.md", "LICENSE", "bot", "data")
"""What the wheel is built from; anything else in the clone must not matter."""

INTERACTION_LINE_KEYS = {
    *("time", "level", "logger", "message"),
    *("command", "outcome", "latency_ms", "query"),
}
"""The fields of the JSON log line written for each interaction."""


def assert_within_limits(embed: discord.Embed) -> None:
    """Discord would take the embed: checked against the emulator's limits, not render's own."""
    assert [str(problem) for problem in message_problems({"embeds": [embed.to_dict()]})] == []


def closed_port_url() -> str:
    """Return a Redis URL on a loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


# The schema the first release of guide insight (version 1) wrote, frozen as it shipped: an
# upgrade test must start from what is really out there, not from today's migration code.
# Its one row: "fastapi", not found, in server 111, at 2026-11-30 12:00 UTC.
VERSION_1 = {
    "sqlite": (
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY)",
        "CREATE TABLE lookups (id INTEGER PRIMARY KEY, at REAL NOT NULL, guild_id INTEGER, "
        "command TEXT NOT NULL, query TEXT NOT NULL, outcome TEXT NOT NULL, framework TEXT)",
        "INSERT INTO schema_version VALUES (1)",
        "INSERT INTO lookups (at, guild_id, command, query, outcome, framework) "
        "VALUES (1796040000.0, 111, 'framework', 'fastapi', 'not_found', NULL)",
    ),
    "postgresql": (
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY)",
        "CREATE TABLE lookups (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL, "
        "guild_id BIGINT, command TEXT NOT NULL, query TEXT NOT NULL, "
        "outcome TEXT NOT NULL, framework TEXT)",
        "INSERT INTO schema_version VALUES (1)",
        "INSERT INTO lookups (at, guild_id, command, query, outcome, framework) "
        "VALUES ('2026-11-30 12:00:00+00', 111, 'framework', 'fastapi', 'not_found', NULL)",
    ),
}


def run_sql(url: str, statements: tuple[str, ...]) -> None:
    """Run statements straight on the database, as an older guidebot or a maintainer would."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as db:
            for statement in statements:
                db.execute(statement)
        db.close()
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())
