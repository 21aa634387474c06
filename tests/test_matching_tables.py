"""The matching tables: every way a learner names a framework, on two guides.

Each row is (query, what it must give): a framework's key, `LANGUAGE` and the language's name, or
`NO_CARD` (a not-found reply: suggestions maybe, a card never). The kinds follow issue 8: 1 two
letters swapped, 2 a stray or doubled letter, 3 a clear prefix, 4 extra words, 5 short forms,
6 names that are not in the guide, 7 a language instead of a framework.
"""

import pytest

from bot.guide import load_guide
from bot.matching import Matcher
from tests.conftest import SHIPPED_GUIDE
from tests.confusable import confusable_guide

NO_CARD = None
LANGUAGE = "language:"

SHIPPED_ROWS = {
    "1 swapped": [
        ("nset", "nest"),
        ("gni", "gin"),
        ("flsak", "flask"),
        ("lavarel", "laravel"),
        ("symfnoy", "symfony"),
        ("spirng", "springboot"),
        ("djnago", "django"),
        ("fsatapi", "fastapi"),
        ("sinatar", "sinatra"),
        ("phoenxi", "phoenix"),
        ("epxress", "express"),
        ("ndoe", "node"),
        ("rials", "rubyonrails"),
    ],
    "2 stray or doubled": [
        ("nestjss", "nest"),
        ("expresss", "express"),
        ("sinatraa", "sinatra"),
        ("expressjs.", "express"),
        ("flaskk", "flask"),
        ("djangoo", "django"),
        ("ginn", "gin"),
        ("gimn", "gin"),
        ("gain", NO_CARD),  # a stray "a" is no slip next to "g" or "i": another word
        ("laravell", "laravel"),
        ("fastapii", "fastapi"),
        ("symfonyy", "symfony"),
        ("expres", "express"),
        ("phoenixx", "phoenix"),
    ],
    "3 prefix": [
        ("lara", "laravel"),
        ("phoen", "phoenix"),
        ("symf", "symfony"),
        ("boot", "springboot"),
        ("sinat", "sinatra"),
        ("djan", "django"),
        ("fla", NO_CARD),
        ("s", NO_CARD),
        ("fast", NO_CARD),  # FastAPI, and Fastify, which is not in this guide
    ],
    "4 extra words": [
        ("how to start with flask", "flask"),
        ("django rest framework python", "django"),
        ("phoenix elixir web", "phoenix"),
        ("express js server on node", "express"),
        ("learn laravel php", "laravel"),
        ("spring boot java tutorial", "springboot"),
        ("gin golang api", "gin"),
        ("nestjs typescript backend", "nest"),
        ("rails app with postgres", "rubyonrails"),
        ("how do i learn djnago", "django"),
        ("symfony vs laravel", NO_CARD),
    ],
    "5 short forms": [
        ("aspnet", "aspnetcore"),
        ("dotnet web api", "aspnetcore"),
        ("rails api", "rubyonrails"),
        ("asp dotnet", "aspnetcore"),
        ("nest js", "nest"),
        ("ror", "rubyonrails"),
        (".net", "aspnetcore"),
        ("asp.net core", "aspnetcore"),
        ("node js", "node"),
        ("gin-gonic", "gin"),
    ],
    "6 not in the guide": [
        ("svelte", NO_CARD),
        ("kotlin", NO_CARD),
        ("postgres", NO_CARD),
        ("chess", NO_CARD),
        ("grails", NO_CARD),
        ("sails", NO_CARD),
        ("next", NO_CARD),
        ("nuxt", NO_CARD),
        ("quart", NO_CARD),
        ("falcon", NO_CARD),
        ("fastify", NO_CARD),
        ("echo", NO_CARD),
        ("fiber", NO_CARD),
        ("lumen", NO_CARD),
        ("react", NO_CARD),
        ("vue", NO_CARD),
        ("pizza", NO_CARD),
        ("hono", NO_CARD),
        ("nextjs", NO_CARD),
        ("quarkus", NO_CARD),
        ("grails tutorial", NO_CARD),
        ("learn svelte", NO_CARD),
    ],
    "7 language": [
        ("python", LANGUAGE + "Python"),
        ("js", LANGUAGE + "JavaScript"),
        ("javascript", LANGUAGE + "JavaScript"),
        ("golang", LANGUAGE + "Go"),
        ("go", LANGUAGE + "Go"),
        ("c#", LANGUAGE + "C#"),
        ("C#", LANGUAGE + "C#"),
        ("csharp", LANGUAGE + "C#"),
        ("php", LANGUAGE + "PHP"),
        ("python frameworks", LANGUAGE + "Python"),
        ("ruby", LANGUAGE + "Ruby"),
    ],
}

CONFUSABLE_ROWS = {
    "1 swapped": [
        ("nset", "nest"),
        ("nxet", "next"),
        ("nutx", "nuxt"),
        ("gni", "gin"),
        ("flsak", "flask"),
        ("falocn", "falcon"),
        ("fsatapi", "fastapi"),
        ("lavarel", "laravel"),
        ("lmuen", "lumen"),
        ("symfnoy", "symfony"),
        ("spirng", "spring"),
        ("sprign boot", "springboot"),
        ("quatr", "quart"),
        ("qaurkus", "quarkus"),
        ("rials", "rubyonrails"),
        ("grials", "grails"),
        ("sialsjs", "sails"),
        ("ehco", "echo"),
        ("fibre", "fiber"),
        ("fsatify", "fastify"),
        ("ktro", "ktor"),
    ],
    "2 stray or doubled": [
        ("nestjss", "nest"),
        ("expresss", "express"),
        ("expressjs.", "express"),
        ("sinatraa", "sinatra"),
        ("quartt", "quart"),
        ("echoo", "echo"),
        ("ginn", "gin"),
        ("gimn", "gin"),
        ("chio", "chi"),
        ("flaskk", "flask"),
        ("falconn", "falcon"),
        ("railss", "rubyonrails"),
        ("laravell", "laravel"),
        ("nuxtt", "nuxt"),
    ],
    "3 prefix": [
        ("lara", "laravel"),
        ("phoen", "phoenix"),
        ("symf", "symfony"),
        ("boot", "springboot"),
        ("micro", "micronaut"),
        ("codeig", "codeigniter"),
        ("drop", "dropwizard"),
        ("quar", NO_CARD),
        ("expr", NO_CARD),  # Express, and Mezzio's alias "expressive"
        ("fast", NO_CARD),
        ("fla", NO_CARD),
        ("ne", NO_CARD),
    ],
    "4 extra words": [
        ("how to start with flask", "flask"),
        ("django rest framework python", "django"),
        ("phoenix elixir web", "phoenix"),
        ("express js server on node", "express"),
        ("fastapi with python", "fastapi"),
        ("spring boot java", "springboot"),
        ("spring framework java", "spring"),
        ("gin golang api", "gin"),
        ("echo go web framework", "echo"),
        ("quart async python", "quart"),
        ("laravel php framework", "laravel"),
        ("nest js typescript", "nest"),
        ("next js react", "next"),
        ("rails on ruby", "rubyonrails"),
        ("how do i learn nuxt", "nuxt"),
        ("fiber vs gin", NO_CARD),
    ],
    "5 short forms": [
        ("aspnet", "aspnetcore"),
        ("dotnet web api", "aspnetcore"),
        ("rails api", "rubyonrails"),
        ("asp dotnet", "aspnetcore"),
        ("nest js", "nest"),
        ("ror", "rubyonrails"),
        ("next js", "next"),
        ("nuxtjs", "nuxt"),
        ("sailsjs", "sails"),
        ("vertx", "vertx"),
        ("vert.x", "vertx"),
        ("actix web", "actixweb"),
        ("zend expressive", "mezzio"),
    ],
    "6 not in the guide": [
        ("svelte", NO_CARD),
        ("kotlin lang", NO_CARD),
        ("postgres", NO_CARD),
        ("chess", NO_CARD),
        ("react", NO_CARD),
        ("remix", NO_CARD),
        ("hono", NO_CARD),
        ("adonis", NO_CARD),
        ("starlette", NO_CARD),
        ("litestar", NO_CARD),
        ("strapi", NO_CARD),
        ("yii", NO_CARD),
        ("kemal", NO_CARD),
        ("vapor", NO_CARD),
        ("leptos", NO_CARD),
        ("tide", NO_CARD),
        ("gorilla", NO_CARD),
        ("cherrypy", NO_CARD),
        ("scalatra", NO_CARD),
        ("padrino", NO_CARD),
        ("docker", NO_CARD),
        ("pizza", NO_CARD),
    ],
    "7 language": [
        ("python", LANGUAGE + "Python"),
        ("js", LANGUAGE + "JavaScript"),
        ("javascript", LANGUAGE + "JavaScript"),
        ("golang", LANGUAGE + "Go"),
        ("c#", LANGUAGE + "C#"),
        ("php", LANGUAGE + "PHP"),
        ("rust", LANGUAGE + "Rust"),
        ("kotlin", LANGUAGE + "Kotlin"),
        ("java frameworks", LANGUAGE + "Java"),
    ],
}


def rows(table: dict[str, list[tuple[str, str | None]]]) -> list:
    return [
        pytest.param(query, expected, id=f"{kind}: {query}")
        for kind, entries in table.items()
        for query, expected in entries
    ]


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    return Matcher(load_guide(SHIPPED_GUIDE).frameworks)


@pytest.fixture(scope="module")
def confusable() -> Matcher:
    return Matcher(confusable_guide())


def answer(matcher: Matcher, query: str) -> str | None:
    result = matcher.lookup(query)
    if result.language is not None:
        return LANGUAGE + result.language
    return None if result.framework is None else result.framework.key


@pytest.mark.parametrize(("query", "expected"), rows(SHIPPED_ROWS))
def test_the_shipped_guide_answers_every_row(shipped, query, expected):
    assert answer(shipped, query) == expected


@pytest.mark.parametrize(("query", "expected"), rows(CONFUSABLE_ROWS))
def test_the_confusable_guide_answers_every_row(confusable, query, expected):
    assert answer(confusable, query) == expected


def test_every_kind_has_rows_on_both_guides():
    kinds = [f"{number} " for number in range(1, 8)]
    for table in (SHIPPED_ROWS, CONFUSABLE_ROWS):
        assert [kind[:2] for kind in table] == kinds
        assert all(len(entries) >= 5 for entries in table.values())
