"""Deterministic synthetic guides and queries for the matcher benchmark and threshold tuning.

A synthetic guide starts with the seed frameworks (the ones a learner names: Django, Flask, ...)
so that typos of real names can be checked at every size, then adds made-up frameworks with
pronounceable names ("Zyset MVC", "Hastor", "Totre.js", "Lytre on Harnul", "Pygriot") and the
kinds of aliases real guides carry: a short form, an initialism of a multi-word name, its first
word, a spelling with a language suffix ("hastor-kt"), "Hastor framework". About 2.8 names and
aliases per framework, so 10,000 frameworks give about 28,000 keys.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.guide import Framework, Resource, name_key
from bot.names import OTHER_SOFTWARE

SEED_FRAMEWORKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Node.js", "JavaScript", ()),
    ("Express", "JavaScript", ()),
    ("NestJS", "JavaScript", ("nest",)),
    ("Django", "Python", ("dj",)),
    ("Flask", "Python", ()),
    ("FastAPI", "Python", ()),
    ("Ruby on Rails", "Ruby", ("rails", "ror")),
    ("Sinatra", "Ruby", ()),
    ("Spring Boot", "Java", ("spring",)),
    ("Laravel", "PHP", ()),
    ("Symfony", "PHP", ()),
    ("ASP.NET Core", "C#", ("aspnet", "dotnet")),
    ("Gin", "Go", ()),
    ("Phoenix", "Elixir", ()),
)
"""Name, language and aliases of the frameworks every generated guide starts with."""

LANGUAGES = (
    "JavaScript",
    "TypeScript",
    "Python",
    "Ruby",
    "Java",
    "Kotlin",
    "PHP",
    "C#",
    "Go",
    "Rust",
    "Elixir",
    "Scala",
)
ONSETS = ("b", "br", "d", "f", "g", "h", "k", "l", "m", "n", "p", "qu", "r", "s", "st", "t", "v")
ONSETS += ("w", "z", "ch", "sh", "j", "pl", "cl", "sp", "tr")
VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "io", "y")
CODAS = ("", "", "", "", "n", "r", "x", "l", "s", "t", "m", "k")
SECOND_WORDS = ("Boot", "Core", "Web", "API", "MVC", "Kit", "Stack", "Server", "HTTP", "Cloud")


def _word(rng: random.Random) -> str:
    syllables = rng.choice((2, 2, 2, 3, 3))
    word = "".join(
        rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)
    )
    return word.capitalize()


def _candidate(rng: random.Random) -> tuple[str, list[str]]:
    """Return a made-up name and the aliases a maintainer might give it."""
    first = _word(rng)
    shape = rng.random()
    if shape < 0.45:
        name, aliases = first, [first[:4].lower()]
    elif shape < 0.55:
        name, aliases = f"{first}.js", [f"{first}js".lower()]
    elif shape < 0.65:
        name, aliases = f"Py{first.lower()}", [first.lower(), f"{first}-py".lower()]
    elif shape < 0.85:
        second = rng.choice(SECOND_WORDS)
        name, aliases = f"{first} {second}", [first.lower(), f"{first[0]}{second[0]}".lower()]
    else:
        last = _word(rng)
        name = f"{first} on {last}"
        aliases = [last.lower(), f"{first[0]}o{last[0]}".lower()]
    if rng.random() < 0.5:
        aliases.append(f"{first.lower()}-{rng.choice(('go', 'rs', 'kt', 'py', 'php', 'rb'))}")
    if rng.random() < 0.4:
        aliases.append(f"{first} framework")
    return name, aliases


def _framework(name: str, language: str, aliases: tuple[str, ...]) -> Framework:
    return Framework(
        key=name_key(name),
        name=name,
        language=language,
        description=f"{name} is a backend framework for {language}.",
        resources=(Resource(title=f"{name} docs", url=f"https://example.org/{name_key(name)}"),),
        aliases=aliases,
    )


def seed_guide() -> list[Framework]:
    """Return the seed frameworks, in the curated order of the real guide."""
    return [_framework(name, language, aliases) for name, language, aliases in SEED_FRAMEWORKS]


def synthetic_guide(size: int, seed: int = 2024) -> list[Framework]:
    """Return `size` frameworks: the seed ones, then made-up ones; the same for the same seed.

    Keys are unique, and no alias repeats another framework's name or alias, as the guide's
    validation requires of a real guide.
    """
    rng = random.Random(seed)
    frameworks = seed_guide()[:size]
    taken = {fw.key for fw in frameworks}
    taken |= {name_key(alias) for fw in frameworks for alias in fw.aliases}
    while len(frameworks) < size:
        name, aliases = _candidate(rng)
        key = name_key(name)
        if len(key) < 3 or key in taken or _reserved(name):
            continue
        kept = []
        for alias in aliases:
            alias_key = name_key(alias)
            if len(alias_key) >= 2 and alias_key != key and alias_key not in taken:
                if _reserved(alias):
                    continue
                kept.append(alias)
                taken.add(alias_key)
        taken.add(key)
        frameworks.append(_framework(name, rng.choice(LANGUAGES), tuple(kept)))
    return frameworks


def _reserved(text: str) -> bool:
    """Return whether a made-up name or alias would take a real one, or come near a miss.

    A made-up framework must not be called like real software ("Vapor.js"), and `MISSES` must
    name no framework, nor be one slip from a word of one ("piza" for "pizza"), at any size.
    """
    for word in {name_key(text), *(name_key(part) for part in text.split())}:
        if word in _OTHER_KEYS:
            return True
        if process.extractOne(word, _MISS_KEYS, scorer=OSA.distance, score_cutoff=1):
            return True
    return False


SEED_TYPOS: tuple[tuple[str, str], ...] = (
    ("djagno", "django"),
    ("flsak", "flask"),
    ("lavarel", "laravel"),
    ("symfnoy", "symfony"),
    ("spirng", "springboot"),
    ("nestjss", "nest"),
    ("expresss", "express"),
    ("sinatraa", "sinatra"),
    ("fsatapi", "fastapi"),
    ("phoenxi", "phoenix"),
    ("rials", "rubyonrails"),
    ("gni", "gin"),
)
"""Misspelt seed names, with the framework each means: the same queries at every guide size."""

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")

MISSES = [
    "react",
    "vue",
    "angular",
    "svelte",
    "ember",
    "backbone",
    "jquery",
    "tornado",
    "bottle",
    "pyramid",
    "cherrypy",
    "sanic",
    "falcon",
    "starlette",
    "aiohttp",
    "koa",
    "hapi",
    "fastify",
    "sails",
    "adonis",
    "strapi",
    "hono",
    "meteor",
    "feathers",
    "loopback",
    "rocket",
    "actix",
    "axum",
    "warp",
    "echo",
    "fiber",
    "beego",
    "revel",
    "micronaut",
    "quarkus",
    "vertx",
    "dropwizard",
    "grails",
    "hanami",
    "padrino",
    "cakephp",
    "codeigniter",
    "yii",
    "slim",
    "lumen",
    "phalcon",
    "play",
    "akka",
    "ktor",
    "vapor",
    "perfect",
    "kitura",
    "pizza",
    "asdf",
    "qwerty",
    "hello",
    "world",
    "python",
    "java",
    "golang",
    "rust",
    "kotlin",
    "typescript",
    "javascript",
    "csharp",
    "database",
    "docker",
    "kubernetes",
    "backend",
    "frontend",
    "server",
    "client",
    "cloud",
    "mongodb",
    "postgres",
    "redis",
    "graphql",
    "rest",
    "websocket",
    "auth",
    "login",
    "deploy",
    "testing",
    "help",
    "start",
    "tutorial",
    "beginner",
]
"""Words that name no framework of a generated guide: other frameworks, languages, nonsense."""


def _neighbours() -> dict[str, str]:
    near: dict[str, str] = {}
    for row in KEYBOARD_ROWS:
        for position, char in enumerate(row):
            near[char] = row[max(0, position - 1) : position] + row[position + 1 : position + 2]
    return near


NEAR = _neighbours()


def typos(word: str) -> Iterable[str]:
    """Yield the one-edit variants of `word` a fast typist makes."""
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]  # deletion
        yield word[:i] + word[i] + word[i:]  # doubled letter
        for near in NEAR.get(word[i], ""):
            yield word[:i] + near + word[i + 1 :]  # substitution by a neighbour
            yield word[:i] + near + word[i:]  # insertion of a neighbour
        if i + 1 < len(word):
            yield word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # transposition


_MISS_KEYS = [name_key(miss) for miss in MISSES]
_OTHER_KEYS = {name_key(name) for name in OTHER_SOFTWARE}
