import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.matching import (
    AUTOCOMPLETE_LIMIT,
    MAX_QUERY_LENGTH,
    NOT_FOUND_SUGGESTIONS,
    Lookup,
    Matcher,
    Suggestion,
)
from tests.conftest import make_framework
from tests.emulator.validation import CHOICES_LIMIT

GUIDE = (
    make_framework("Node.js", "JavaScript"),
    make_framework("Express", "JavaScript"),
    make_framework("NestJS", "JavaScript", aliases=("nest",)),
    make_framework("Django", "Python", aliases=("dj",)),
    make_framework("Flask", "Python"),
    make_framework("FastAPI", "Python"),
    make_framework("Ruby on Rails", "Ruby", aliases=("rails", "ror")),
    make_framework("Sinatra", "Ruby"),
    make_framework("Spring Boot", "Java", aliases=("spring",)),
    make_framework("Laravel", "PHP"),
    make_framework("Symfony", "PHP"),
    make_framework("ASP.NET Core", "C#", aliases=("aspnet", "dotnet")),
    make_framework("Gin", "Go"),
    make_framework("Phoenix", "Elixir"),
)
KEYS = [framework.key for framework in GUIDE]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(GUIDE)


def found_key(matcher: Matcher, query: str) -> str | None:
    framework = matcher.lookup(query).framework
    return None if framework is None else framework.key


def suggested_keys(matcher: Matcher, query: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    return [suggestion.key for suggestion in matcher.suggest(query, limit)]


# --- lookup: what must be found ---------------------------------------------------------------


@pytest.mark.parametrize("framework", GUIDE, ids=KEYS)
def test_lookup_finds_every_name_exactly(matcher, framework):
    assert matcher.lookup(framework.name) == Lookup(framework=framework, suggestions=())


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("dj", "django"),
        ("rails", "rubyonrails"),
        ("ror", "rubyonrails"),
        ("RoR", "rubyonrails"),
        ("spring", "springboot"),
        ("aspnet", "aspnetcore"),
        ("asp.net", "aspnetcore"),
        ("dotnet", "aspnetcore"),
        ("nest", "nest"),
    ],
)
def test_lookup_finds_aliases(matcher, query, key):
    assert found_key(matcher, query) == key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("DJANGO", "django"),
        ("dJaNgO", "django"),
        ("  django  ", "django"),
        ("\tflask\n", "flask"),
        ("fast api", "fastapi"),
        ("Fast  API", "fastapi"),
        ("spring-boot", "springboot"),
        ("spring_boot", "springboot"),
        ("Spring Boot!", "springboot"),
        ("ruby-on-rails", "rubyonrails"),
        ("ASP.NET core", "aspnetcore"),
        ("asp net core", "aspnetcore"),
        ("\uff24\uff4a\uff41\uff4e\uff47\uff4f", "django"),  # fullwidth, as CJK keyboards type
    ],
)
def test_lookup_ignores_case_whitespace_punctuation_and_width(matcher, query, key):
    assert found_key(matcher, query) == key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("node", "node"),
        ("nodejs", "node"),
        ("node.js", "node"),
        ("Node JS", "node"),
        ("NODE.JS", "node"),
        ("expressjs", "express"),
        ("express.js", "express"),
        ("nestjs", "nest"),
        ("Nest.js", "nest"),
    ],
)
def test_lookup_ignores_a_js_suffix(matcher, query, key):
    assert found_key(matcher, query) == key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("djagno", "django"),
        ("djnago", "django"),
        ("djangoo", "django"),
        ("flsk", "flask"),
        ("falsk", "flask"),
        ("larvel", "laravel"),
        ("laravle", "laravel"),
        ("expresss", "express"),
        ("expres", "express"),
        ("fastpai", "fastapi"),
        ("sprngboot", "springboot"),
        ("spring boto", "springboot"),
        ("symfonie", "symfony"),
        ("sinatr", "sinatra"),
        ("phonix", "phoenix"),
        ("rials", "rubyonrails"),
        ("ruby on rals", "rubyonrails"),
        ("aspnet coer", "aspnetcore"),
    ],
)
def test_lookup_forgives_typos(matcher, query, key):
    assert found_key(matcher, query) == key


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("learn django", "django"),
        ("django tutorial", "django"),
        ("flask tutorial", "flask"),
        ("spring boot java", "springboot"),
        ("how do i use express", "express"),
        ("How do I use Express.js?", "express"),
        ("getting started with ruby on rails", "rubyonrails"),
        ("learn ruby on rails", "rubyonrails"),
        ("asp.net core docs", "aspnetcore"),
        ("dj tutorial", "django"),
        ("learn djagno", "django"),
        ("flsk tutorial please", "flask"),
        ("sprng boot java", "springboot"),
        ("django " + "x" * 6000, "django"),
    ],
)
def test_lookup_finds_a_name_among_other_words(matcher, query, key):
    assert found_key(matcher, query) == key


@pytest.mark.parametrize(
    "query",
    ["dja\u200bngo", "\u200fdjango\u200e", "\x00dj\x07ango\x1b", "django\ufeff", "🐍 django 🐍"],
    ids=["zero-width space", "bidi marks", "control characters", "byte order mark", "emoji"],
)
def test_lookup_sees_through_invisible_and_decorative_characters(matcher, query):
    assert found_key(matcher, query) == "django"


# --- lookup: what must not be found -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "pizza",
        "react",
        "asdf",
        "java",
        "python",
        "learn ruby",
        "tutorial",
        "how do i use it",
        "",
        " ",
        "a",
        "zz",
        "🐍",
        "\u200b\u200f",
        "\x00\x01\x02",
        "x" * 6000,
        "é" * 6000,
        "\U0001f600" * 6000,
    ],
    ids=lambda query: repr(query[:12]),
)
def test_lookup_does_not_guess_when_nothing_is_named(matcher, query):
    result = matcher.lookup(query)
    assert result.framework is None
    assert len(result.suggestions) <= NOT_FOUND_SUGGESTIONS


def test_filler_words_are_not_taken_for_names():
    # Alone, "docs" is one letter from "docsy", as close as "expresss" is to express.
    guide = [make_framework("Docsy", "Go"), make_framework("Express", "JavaScript")]
    assert Matcher(guide).lookup("docs for expresss").framework == guide[1]


def test_a_language_alone_names_no_framework():
    # No framework is called Java; "Javax" is one letter away from it.
    guide = [make_framework("Spring Boot", "Java"), make_framework("Javax", "Scala")]
    assert Matcher(guide).lookup("java").framework is None
    assert Matcher(guide).lookup("javx").framework == guide[1]


def test_a_language_among_other_words_is_not_an_alias():
    # A maintainer may give Rails the alias "ruby"; "sinatra ruby" still means Sinatra.
    guide = [
        make_framework("Ruby on Rails", "Ruby", aliases=("ruby",)),
        make_framework("Sinatra", "Ruby"),
    ]
    matcher = Matcher(guide)
    assert matcher.lookup("sinatra ruby").framework == guide[1]
    assert matcher.lookup("ruby").framework == guide[0]


def test_one_letter_words_never_name_a_framework_among_other_words():
    guide = [
        make_framework("Express", "JavaScript"),
        make_framework("Plumber", "R", aliases=("p",)),
    ]
    matcher = Matcher(guide)
    assert matcher.lookup("express p").framework == guide[0]
    assert matcher.lookup("p").framework == guide[1]


def test_text_past_the_length_cap_is_ignored(matcher):
    # Discord allows 6,000 characters; reading them all would only cost time.
    assert MAX_QUERY_LENGTH < 6000
    assert found_key(matcher, "x " * 3000 + "django") is None
    assert found_key(matcher, "django " + "x " * 3000) == "django"


def test_a_long_query_still_has_its_words_compared_first():
    # 30 runs of two to four short words; the misspelt name must not be crowded out by them.
    assert found_key(Matcher(GUIDE), "aa bb cc dd ee ff gg hh ii jj kk djagno") == "django"


def test_a_misspelt_two_word_name_is_found_among_other_words():
    # Four single words are compared first; the pair "sprng bot" (89 to "springboot") still is.
    spring = make_framework("Spring Boot", "Java")
    assert Matcher([spring]).lookup("sprng bot app with docker").framework == spring


def test_the_longest_name_among_the_words_wins():
    guide = [make_framework("Express"), make_framework("Express Gateway", aliases=("gateway",))]
    matcher = Matcher(guide)
    assert matcher.lookup("learn express gateway").framework == guide[1]
    assert matcher.lookup("learn express").framework == guide[0]


@pytest.mark.parametrize("query", ["gn", "fl", "tf", "dk", "ex", "ph"])
def test_short_queries_are_matched_only_exactly(matcher, query):
    # "gn" is one edit from "gin", and from every 3-letter name with a g and an n.
    assert found_key(matcher, query) is None


def test_short_queries_get_no_fuzzy_autocomplete(matcher):
    assert matcher.suggest("gn") == []
    assert suggested_keys(matcher, "gi") == ["gin"]


def test_lookup_suggests_close_names_when_not_confident(matcher):
    result = matcher.lookup("nxet")  # "nest" is two edits away, "net" (.NET) one, but unlikely
    assert result.framework is None
    assert result.suggestions[0].key == "aspnetcore"


@pytest.mark.parametrize(
    ("query", "key"),
    [("boot", "springboot"), ("core", "aspnetcore"), (".net", "aspnetcore"), ("NET", "aspnetcore")],
)
def test_lookup_finds_the_one_framework_a_word_of_whose_name_was_typed(matcher, query, key):
    result = matcher.lookup(query)
    assert result.framework is not None
    assert result.framework.key == key


def test_lookup_word_shared_by_frameworks_names_none_and_suggests_them():
    matcher = Matcher(
        [make_framework("Spring Boot"), make_framework("Spring MVC"), make_framework("Flask")]
    )
    result = matcher.lookup("spring")
    assert result.framework is None
    assert [suggestion.key for suggestion in result.suggestions] == ["springboot", "springmvc"]


def test_lookup_suggests_nothing_for_gibberish(matcher):
    assert matcher.lookup("qqqqqq").suggestions == ()


def test_lookup_refuses_a_query_as_close_to_two_frameworks_as_to_one():
    falcon, falcor = make_framework("Falcon"), make_framework("Falcor", "JavaScript")

    result = Matcher([falcon, falcor]).lookup("falco")

    assert result.framework is None
    assert [suggestion.key for suggestion in result.suggestions] == ["falcon", "falcor"]
    assert Matcher([falcon]).lookup("falco").framework == falcon


def test_lookup_refuses_a_query_naming_two_frameworks(matcher):
    result = matcher.lookup("express vs django")
    assert result.framework is None
    assert [suggestion.key for suggestion in result.suggestions] == ["express", "django"]
    assert all(suggestion.score == 100.0 for suggestion in result.suggestions)


def test_lookup_refuses_an_alias_shared_by_two_frameworks():
    guide = [
        make_framework("Hanami", "Ruby", aliases=("hn",)),
        make_framework("Hono", "TypeScript", aliases=("hn",)),
    ]
    result = Matcher(guide).lookup("hn")
    assert result.framework is None
    assert [suggestion.key for suggestion in result.suggestions] == ["hanami", "hono"]


def test_a_name_beats_another_frameworks_alias():
    flask, quart = (
        make_framework("Flask"),
        make_framework("Quart", aliases=("flask", "async flask")),
    )
    matcher = Matcher([quart, flask])
    assert matcher.lookup("flask").framework == flask
    assert matcher.lookup("async flask").framework == quart


def test_lookup_suggestions_are_capped_deduplicated_and_best_first():
    guide = [
        make_framework(f"Stack {number}", aliases=(f"stk{number}",)) for number in range(1, 40)
    ]
    result = Matcher(guide).lookup("stack")
    keys = [suggestion.key for suggestion in result.suggestions]
    assert result.framework is None
    assert keys == ["stack1", "stack2", "stack3", "stack4", "stack5"]
    scores = [suggestion.score for suggestion in result.suggestions]
    assert scores == sorted(scores, reverse=True)


# --- suggest ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", " ", "\t\n"])
def test_suggest_lists_the_guide_in_order_for_an_empty_query(matcher, query):
    assert suggested_keys(matcher, query) == KEYS
    assert suggested_keys(matcher, query, limit=3) == KEYS[:3]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("dj", "django"),
        ("dja", "django"),
        ("fla", "flask"),
        ("Fast", "fastapi"),
        ("rails", "rubyonrails"),
        ("ruby", "rubyonrails"),
        ("boot", "springboot"),
        ("core", "aspnetcore"),
        ("spring b", "springboot"),
        ("node.j", "node"),
        ("lara", "laravel"),
        ("djagn", "django"),
        ("djagno", "django"),
        ("phenix", "phoenix"),
    ],
)
def test_suggest_puts_the_intended_framework_first(matcher, query, first):
    assert suggested_keys(matcher, query)[0] == first


def test_suggest_ranks_exact_then_prefix_then_substring_then_fuzzy():
    guide = [
        make_framework("Flasq"),  # one letter off: a fuzzy match
        make_framework("Pyflask"),  # "flask" inside the name: a substring match
        make_framework("Flaskr"),  # "flask" starts the name: a prefix match
        make_framework("Quart Flask"),  # "flask" is a whole word of the name: the best prefix
        make_framework("Flask"),  # exact, last in the guide
    ]
    keys = suggested_keys(Matcher(guide), "flask")
    assert keys == ["flask", "quartflask", "flaskr", "pyflask", "flasq"]


def test_suggest_keeps_its_tiers_in_order_whatever_the_scores(matcher):
    # "net" is inside "aspnet" (substring, 67) and one letter from "nest" (fuzzy, 86).
    assert suggested_keys(matcher, "net") == ["aspnetcore", "nest"]


def test_suggest_ignores_glue_words_of_names(matcher):
    # "on" in "Ruby on Rails" is no word to complete; it is still found inside the name.
    assert suggested_keys(matcher, "on") == ["symfony", "rubyonrails"]


def test_suggest_prefers_shorter_completions(matcher):
    assert suggested_keys(matcher, "s") == ["springboot", "sinatra", "symfony"]


def test_suggest_breaks_ties_by_guide_order():
    # "Sinatra" and "Symfony" both complete "s" with 6 more letters: a tie.
    guide = [framework for framework in GUIDE if framework.key in {"sinatra", "symfony"}]
    assert suggested_keys(Matcher(guide), "s") == ["sinatra", "symfony"]
    assert suggested_keys(Matcher(guide[::-1]), "s") == ["symfony", "sinatra"]


@pytest.mark.parametrize("query", ["spring", "s", "sp", "rails", "r", "net", "a", "node", "ex"])
def test_suggest_lists_each_framework_once(matcher, query):
    keys = suggested_keys(matcher, query)
    assert keys
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("query", ["", "s", "dja", "djagno", "net", "e", "rails"])
def test_suggest_is_deterministic(matcher, query):
    first = matcher.suggest(query)
    assert matcher.suggest(query) == first
    assert Matcher(list(GUIDE)).suggest(query) == first


@pytest.mark.parametrize("query", ["", "s", "dja", "djagno", "learn django", "pizza", "falco"])
def test_lookup_is_deterministic(matcher, query):
    first = matcher.lookup(query)
    assert matcher.lookup(query) == first
    assert Matcher(list(GUIDE)).lookup(query) == first


BIG_GUIDE = [
    make_framework(f"Framework {number:03d}", aliases=(f"fw{number}",)) for number in range(100)
]


@pytest.fixture(scope="module")
def big_matcher() -> Matcher:
    return Matcher(BIG_GUIDE)


@pytest.mark.parametrize(
    "query", ["", "f", "fr", "framework", "framework 0", "fw", "0", "framewrk"]
)
def test_suggest_never_returns_more_than_25(big_matcher, query):
    suggestions = big_matcher.suggest(query)
    assert len(suggestions) == CHOICES_LIMIT
    assert len(big_matcher.suggest(query, limit=100)) == CHOICES_LIMIT
    assert len(big_matcher.suggest(query, limit=7)) == 7
    assert big_matcher.suggest(query, limit=0) == []


def test_suggest_keeps_ties_complete_when_it_stops_early(big_matcher):
    # "fw0".."fw9" complete "f" best, then the 90 tied "fw10".."fw99": guide order decides.
    expected = [f"framework{number:03d}" for number in range(AUTOCOMPLETE_LIMIT)]
    assert suggested_keys(big_matcher, "f") == expected
    assert suggested_keys(big_matcher, "fw") == expected
    # In reverse guide order the ties go the other way, whatever the alphabet says.
    backwards = [f"framework{number:03d}" for number in [*range(9, -1, -1), *range(99, 84, -1)]]
    assert suggested_keys(Matcher(BIG_GUIDE[::-1]), "f") == backwards


def test_suggest_fills_the_limit_past_an_exact_match():
    # "ab" is Alpha's alias (exact, and the shortest prefix): the next place is Abcd's (prefix),
    # not Cab's (substring), though "ab" is closer to "cab" than to "abcd".
    guide = [
        make_framework("Alpha", aliases=("ab",)),
        make_framework("Cab"),
        make_framework("Abcd"),
    ]
    assert suggested_keys(Matcher(guide), "ab", limit=2) == ["alpha", "abcd"]


def test_suggest_labels_are_the_framework_names(matcher):
    names = {framework.key: framework.name for framework in GUIDE}
    for query in ["", "s", "rails", "net", "djagno", "boot"]:
        for suggestion in matcher.suggest(query):
            assert suggestion.label == names[suggestion.key]
            assert 0 < len(suggestion.label) <= 100
            assert 0.0 <= suggestion.score <= 100.0


@pytest.mark.parametrize("query", ["pizza", "qqqq", "🐍", "\u200b", "!!!", "x" * 6000])
def test_suggest_offers_nothing_for_queries_naming_nothing(matcher, query):
    assert matcher.suggest(query) == []


@settings(max_examples=100, deadline=None)
@given(earlier=st.lists(st.sampled_from(["dj", "djagno", "s", "rails", "", "net"]), max_size=4))
def test_an_answer_does_not_depend_on_what_was_asked_before(earlier):
    # One matcher serves every learner: what one asked, or did with the answer, must not leak.
    fresh = Matcher(GUIDE)
    expected = [(fresh.lookup(q), fresh.suggest(q)) for q in ["djagno", "s", "net"]]
    used = Matcher(GUIDE)
    for query in earlier:
        used.lookup(query)
        suggestions = used.suggest(query)
        suggestions.clear()
        suggestions.append(Suggestion(key="x", label="x", score=1.0))

    assert [(used.lookup(q), used.suggest(q)) for q in ["djagno", "s", "net"]] == expected


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_well_formed_answer(matcher, text):
    result = matcher.lookup(text)
    assert result.framework is None or result.framework in GUIDE
    assert result.suggestions == () if result.framework else len(result.suggestions) <= 5
    assert len({suggestion.key for suggestion in result.suggestions}) == len(result.suggestions)
    suggestions = matcher.suggest(text)
    assert len(suggestions) <= CHOICES_LIMIT
    assert len({suggestion.key for suggestion in suggestions}) == len(suggestions)


@settings(max_examples=200, deadline=None)
@given(
    framework=st.sampled_from(GUIDE),
    data=st.data(),
)
def test_any_casing_and_punctuation_of_a_name_finds_it(matcher, framework, data):
    noise = st.sampled_from(["", "", " ", ".", "-", "_", "  ", "!", "\u200b"])
    text = "".join(
        data.draw(noise) + (char.upper() if data.draw(st.booleans()) else char.lower())
        for char in framework.name
    )
    assert matcher.lookup(text).framework == framework


@pytest.mark.parametrize(
    ("typed", "language"),
    [("py", "Python"), ("pyth", "Python"), ("python", "Python"), ("golang", "Go"), ("c#", "C#")],
)
def test_autocomplete_offers_a_languages_frameworks_while_it_is_typed(matcher, typed, language):
    own = [fw.key for fw in GUIDE if fw.language == language]
    assert suggested_keys(matcher, typed)[: len(own)] == own


def test_a_framework_being_typed_comes_before_a_language_it_also_starts():
    # "ph" starts Phoenix and PHP: the framework first, then PHP's frameworks.
    assert suggested_keys(Matcher(GUIDE), "ph") == ["phoenix", "laravel", "symfony"]


@pytest.mark.parametrize("name", ["Dj\nango", "Dj\r\nango", "Django\n"])
def test_a_name_with_a_line_break_builds_and_every_other_name_still_answers(name):
    # YAML allows "Dj\nango" as a name; the matcher folds all names in one text split on line
    # breaks, so such a name must not shift the others' keys.
    frameworks = [
        make_framework("Flask", aliases=("fl",)),
        make_framework(name, aliases=("dj\nx",)),
        make_framework("Ruby on Rails", "Ruby", aliases=("ror",)),
        make_framework("Express", "JavaScript"),
    ]
    matcher = Matcher(frameworks)

    for typed, key in [
        ("flask", "flask"),
        ("fl", "flask"),
        ("django", "django"),
        ("dj x", "django"),
        ("ruby on rails", "rubyonrails"),
        ("ror", "rubyonrails"),
        ("express", "express"),
    ]:
        assert found_key(matcher, typed) == key, typed


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Dotnetify", ()), ("Netify", ())),  # "dot net" folds to "net"
        (("Router C#", ()), ("Router CSharp", ())),  # "c#" folds to "csharp"
        (("Kit C++", ()), ("Kitcpp", ())),  # "c++" folds to "cpp"
        (("Lib C#", ()), ("Other", ("lib csharp",))),  # an alias, too
    ],
)
def test_names_the_guide_tells_apart_but_folding_joins_each_answer_as_typed(first, second):
    # The guide compares names by case, punctuation and a trailing "js" only, so it accepts
    # both; the matcher's own folding makes one key of them, where the first must not win.
    (first_name, first_aliases), (second_name, second_aliases) = first, second
    matcher = Matcher(
        [
            make_framework(first_name, aliases=first_aliases),
            make_framework(second_name, aliases=second_aliases),
        ]
    )

    for typed, name in [(first_name, first_name), (second_name, second_name)] + [
        (alias, second_name) for alias in second_aliases
    ]:
        found = matcher.lookup(typed).framework
        assert found is not None, typed
        assert found.name == name, typed
