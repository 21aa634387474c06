import gc
import re
import threading
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import guide as guide_module
from bot import validation
from bot.guide import (
    DEFAULT_GUIDE_PATH,
    GUIDE_MAX_BYTES,
    Framework,
    Guide,
    GuideDiff,
    GuideError,
    Prerequisites,
    Problem,
    Resource,
    ResourceKind,
    diff_guides,
    load_guide,
    parse_guide,
)
from tests.conftest import SHIPPED_GUIDE, make_framework, make_guide
from tests.helpers import billion_laughs

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "broken"
WARNINGS = FIXTURES / "warnings"
VALID_TEXT = (FIXTURES / "valid_minimal.yaml").read_text()
MEMORY_BOUND_BYTES = 50 * 1024 * 1024


def problems_of(path: Path) -> list[str]:
    with pytest.raises(GuideError) as caught:
        load_guide(path)
    return [str(problem) for problem in caught.value.problems]


def parse_problems(text: str) -> list[str]:
    with pytest.raises(GuideError) as caught:
        parse_guide(text, source="g.yaml")
    return [str(problem) for problem in caught.value.problems]


# A valid guide


def test_parse_guide_builds_the_expected_objects():
    guide = parse_guide(VALID_TEXT)

    assert guide == Guide(
        title="Backend frameworks",
        intro="Pick a framework and start building.",
        prerequisites=Prerequisites(
            text="Know one programming language.", languages=("Python", "Go"), concepts=("HTTP",)
        ),
        frameworks=(
            Framework(
                key="django",
                name="Django",
                language="Python",
                description="A high-level Python web framework.",
                resources=(
                    Resource(
                        title="Django documentation",
                        url="https://docs.djangoproject.com/",
                        kind=ResourceKind.DOCS,
                    ),
                ),
                aliases=("dj",),
                summary="Batteries-included web framework.",
                used_by=("Instagram",),
                features=("ORM", "Admin"),
            ),
            Framework(
                key="gin",
                name="Gin",
                language="Go",
                description="An HTTP web framework written in Go.",
                resources=(Resource(title="Gin docs", url="https://gin-gonic.com/docs/"),),
            ),
        ),
        conclusion="Build something small first.",
    )
    assert guide.framework("gin") is guide.frameworks[1]


def test_parse_guide_strips_text_and_treats_an_empty_optional_field_as_absent():
    text = (
        VALID_TEXT.replace("summary: Batteries-included web framework.", "summary:")
        .replace("used_by: [Instagram]", "used_by: ~")
        .replace("intro: Pick a framework and start building.", "intro: |\n  Pick one.\n")
    )

    guide = parse_guide(text)

    assert guide.intro == "Pick one."
    assert guide.frameworks[0].summary is None
    assert guide.frameworks[0].used_by == ()


def test_parse_guide_accepts_quoted_numbers_and_booleans_as_text():
    text = VALID_TEXT.replace("name: Gin", "name: '2048'").replace(
        "language: Go", 'language: "yes"'
    )

    framework = parse_guide(text).frameworks[1]

    assert (framework.name, framework.language) == ("2048", "yes")


def test_the_shipped_guide_loads():
    assert SHIPPED_GUIDE == DEFAULT_GUIDE_PATH
    guide = load_guide(DEFAULT_GUIDE_PATH)

    assert guide.warnings == ()  # `guidebot check --strict` passes on it too
    # The README's examples answer from it.
    assert {"Django", "Flask", "Ruby on Rails", "Node.js"} <= {fw.name for fw in guide.frameworks}


def test_default_guide_path_is_absolute_and_independent_of_the_working_directory():
    assert DEFAULT_GUIDE_PATH.is_absolute()
    assert DEFAULT_GUIDE_PATH.parts[-2:] == ("data", "guide.yaml")


# Problems and the error


def test_problem_reads_as_path_line_column_field_message():
    problem = Problem("data/guide.yaml", 57, 14, "frameworks[3].resources[1].url", "is empty")

    assert str(problem) == "data/guide.yaml:57:14: frameworks[3].resources[1].url: is empty"


def test_problem_about_the_whole_file_has_no_field():
    assert str(Problem("g.yaml", 1, 1, "", "the file is empty")) == "g.yaml:1:1: the file is empty"


def test_guide_error_lists_one_problem_per_line():
    error = GuideError([Problem("g", 1, 1, "", "one"), Problem("g", 2, 3, "title", "two")])

    assert isinstance(error, ValueError)
    assert str(error) == "g:1:1: one\ng:2:3: title: two"


def test_load_guide_reports_a_relative_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("guide.yaml").write_text(VALID_TEXT.replace("title: Backend frameworks", "title: ''"))

    assert problems_of(Path("guide.yaml")) == ["guide.yaml:1:8: title: is empty"]


# One broken file per fault: (fixture, problems without the "path:" prefix)
CATALOGUE = [
    (
        "syntax_error.yaml",
        [
            "6:11: YAML syntax error: did not find expected ',' or ']'"
            " (while parsing a flow sequence at line 5, column 14)"
        ],
    ),
    ("wrong_type.yaml", ["12:18: frameworks[0].description: expected a string, got a list"]),
    ("missing_field.yaml", ["19:5: frameworks[1]: missing required field 'language'"]),
    ("missing_value.yaml", ["20:5: frameworks[1].language: missing a value"]),
    ("missing_top_level_field.yaml", ["1:1: missing required field 'conclusion'"]),
    ("unknown_key.yaml", ["11:5: frameworks[0]: unknown key 'sumary' (did you mean 'summary'?)"]),
    (
        "unknown_key_without_suggestion.yaml",
        [
            "22:5: frameworks[1]: unknown key 'website' (expected one of: name, aliases, language,"
            " summary, description, used_by, features, also_for, resources)"
        ],
    ),
    ("empty_text.yaml", ["21:18: frameworks[1].description: is empty"]),
    ("empty_list_item.yaml", ["14:21: frameworks[0].features[1]: is empty"]),
    (
        "colliding_name.yaml",
        ["19:11: frameworks[1].name: 'django' is already used by frameworks[0] (Django)"],
    ),
    (
        "colliding_alias.yaml",
        ["20:23: frameworks[1].aliases[1]: 'DJ' is already used by frameworks[0] (Django)"],
    ),
    (
        "name_without_letters.yaml",
        ["20:15: frameworks[1].aliases[0]: '++' has no letters or digits"],
    ),
    ("duplicate_url.yaml", ["20:14: frameworks[0].resources[1].url: duplicates resources[0].url"]),
    (
        "javascript_url.yaml",
        ["24:14: frameworks[1].resources[0].url: 'javascript:alert(1)' is not an http(s) URL"],
    ),
    (
        "ftp_url.yaml",
        [
            "24:14: frameworks[1].resources[0].url:"
            " 'ftp://gin-gonic.com/docs/' is not an http(s) URL"
        ],
    ),
    (
        "url_without_host.yaml",
        ["24:14: frameworks[1].resources[0].url: 'https:///docs' is not an http(s) URL"],
    ),
    (
        "url_with_space.yaml",
        [
            "24:14: frameworks[1].resources[0].url: 'https://gin-gonic.com/my docs/'"
            " has spaces or control characters in it"
        ],
    ),
    (
        "long_bad_url.yaml",
        [
            "24:14: frameworks[1].resources[0].url: 'data:text/html,"
            + "A" * 44
            + "…' is not an http(s) URL"
        ],
    ),
    (
        "bad_kind.yaml",
        ["18:15: frameworks[0].resources[0].kind: unknown kind 'vidoe' (did you mean 'video'?)"],
    ),
    (
        "unknown_kind.yaml",
        [
            "18:15: frameworks[0].resources[0].kind: unknown kind 'podcast'"
            " (expected one of: docs, tutorial, video, course, book, article, website,"
            " repository)"
        ],
    ),
    (
        "oversized_description.yaml",
        ["21:18: frameworks[1].description: is 5000 characters long; at most 4096 fit"],
    ),
    ("long_name.yaml", ["19:11: frameworks[1].name: is 81 characters long; at most 80 fit"]),
    (
        "number_for_string.yaml",
        [
            "19:11: frameworks[1].name: expected a string,"
            " but YAML reads '2048' as a number; put it in quotes"
        ],
    ),
    (
        "boolean_for_string.yaml",
        [
            "20:15: frameworks[1].language: expected a string,"
            " but YAML reads 'yes' as a boolean; put it in quotes"
        ],
    ),
    (
        "date_for_string.yaml",
        [
            "11:14: frameworks[0].summary: expected a string,"
            " but YAML reads '2024-01-31' as a date; put it in quotes"
        ],
    ),
    (
        "list_got_mapping.yaml",
        ["14:15: frameworks[0].features: expected a list of strings, got a mapping"],
    ),
    (
        "string_got_list_of_strings.yaml",
        ["9:14: frameworks[0].aliases: expected a list of strings, got a string"],
    ),
    ("frameworks_not_a_list.yaml", ["8:3: frameworks: expected a list, got a mapping"]),
    (
        "prerequisites_not_a_mapping.yaml",
        ["3:16: prerequisites: expected a mapping, got a string"],
    ),
    ("not_a_mapping.yaml", ["1:1: expected a mapping, got a list"]),
    ("list_key.yaml", ["22:5: frameworks[1]: a key must be a string, got a list"]),
    (
        "duplicate_mapping_key.yaml",
        ["22:5: frameworks[1]: duplicate key 'language' (first at line 20, column 5)"],
    ),
    ("no_resources.yaml", ["22:16: frameworks[1].resources: has no resources"]),
    ("no_frameworks.yaml", ["7:13: frameworks: has no frameworks"]),
    ("empty_file.yaml", ["1:1: the file is empty"]),
    ("comments_only.yaml", ["1:1: the file is empty"]),
    ("two_documents.yaml", ["26:1: a second YAML document; the file must hold one"]),
    (
        "alias.yaml",
        ["25:13: conclusion: YAML aliases (*intro) are not supported; write the value out"],
    ),
    (
        "python_tag.yaml",
        [
            "21:18: frameworks[1].description: YAML tag '!!python/object/apply:os.system'"
            " is not supported; write plain text, lists and mappings"
        ],
    ),
    (
        "custom_tag.yaml",
        [
            "21:18: frameworks[1].description: YAML tag '!secret' is not supported;"
            " write plain text, lists and mappings"
        ],
    ),
    ("deep_nesting.yaml", ["7:1012: nested more than 50 levels deep"]),
    ("deep_block_nesting.yaml", ["76:101: nested more than 50 levels deep"]),
    ("nul_bytes.yaml", ["25:18: the file has NUL bytes; is it a binary file?"]),
    (
        "control_character.yaml",
        ["25:19: the file has the control character U+001B, which YAML does not allow"],
    ),
    (
        "invalid_utf8.yaml",
        [
            "12:23: the file is not UTF-8 text: byte 0xe9 can't be decoded"
            " (is it binary, or in another encoding?)"
        ],
    ),
    (
        "binary.png",
        [
            "1:1: the file is not UTF-8 text: byte 0x89 can't be decoded"
            " (is it binary, or in another encoding?)"
        ],
    ),
]


@pytest.mark.parametrize(("fixture", "expected"), CATALOGUE, ids=[row[0] for row in CATALOGUE])
def test_each_broken_guide_reports_its_exact_problem(fixture, expected):
    path = BROKEN / fixture

    assert problems_of(path) == [f"{path}:{line}" for line in expected]


def test_every_broken_fixture_is_in_the_catalogue():
    assert sorted(path.name for path in BROKEN.iterdir()) == sorted(row[0] for row in CATALOGUE)


# Harmless untidiness: the guide loads, and `check` warns

WARNING_CATALOGUE = [
    (
        "alias_repeats_name.yaml",
        ["9:19: warning: frameworks[0].aliases[1]: 'DJANGO' is the framework's own name"],
    ),
    (
        "duplicate_alias.yaml",
        ["9:19: warning: frameworks[0].aliases[1]: 'D.J.' duplicates aliases[0]"],
    ),
]


@pytest.mark.parametrize(
    ("fixture", "expected"), WARNING_CATALOGUE, ids=[row[0] for row in WARNING_CATALOGUE]
)
def test_an_alias_repeating_its_own_framework_loads_with_a_warning(fixture, expected):
    path = WARNINGS / fixture

    guide = load_guide(path)

    assert [str(warning) for warning in guide.warnings] == [f"{path}:{line}" for line in expected]
    assert guide.framework("django") is not None


def test_every_warning_fixture_is_in_the_catalogue():
    assert sorted(path.name for path in WARNINGS.iterdir()) == sorted(
        row[0] for row in WARNING_CATALOGUE
    )


def test_the_contract_example_node_nodejs_loads_as_written():
    text = VALID_TEXT.replace("name: Gin\n", "name: Node.js\n    aliases: [node, nodejs]\n")
    assert "aliases: [node, nodejs]" in text

    guide = parse_guide(text, source="g.yaml")

    node = guide.framework("node")
    assert node is not None
    assert node.aliases == ("node", "nodejs")
    assert [str(warning) for warning in guide.warnings] == [
        "g.yaml:20:15: warning: frameworks[1].aliases[0]: 'node' is the framework's own name",
        "g.yaml:20:21: warning: frameworks[1].aliases[1]: 'nodejs' is the framework's own name",
    ]


def test_a_collision_across_frameworks_stays_an_error_beside_warnings():
    text = VALID_TEXT.replace("name: Gin\n", "name: Gin\n    aliases: [gin, dj]\n")

    assert parse_problems(text) == [
        "g.yaml:20:20: frameworks[1].aliases[1]: 'dj' is already used by frameworks[0] (Django)"
    ]


# Where PyYAML's own parser words a problem differently, or libyaml's depth limit fires first
PURE_PYTHON_LOADER_PROBLEMS = {
    "syntax_error.yaml": [
        "6:11: YAML syntax error: expected ',' or ']', but got ':'"
        " (while parsing a flow sequence at line 5, column 14)"
    ],
    "deep_nesting.yaml": ["7:62: nested more than 50 levels deep"],
}


@pytest.mark.parametrize(("fixture", "expected"), CATALOGUE, ids=[row[0] for row in CATALOGUE])
def test_without_libyaml_the_same_problems_are_reported(fixture, expected, monkeypatch):
    monkeypatch.setattr(validation, "_loader", lambda: yaml.SafeLoader)
    path = BROKEN / fixture

    expected = PURE_PYTHON_LOADER_PROBLEMS.get(fixture, expected)
    assert problems_of(path) == [f"{path}:{line}" for line in expected]


def test_windows_line_endings_and_a_byte_order_mark_change_nothing(tmp_path):
    path = tmp_path / "guide.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID_TEXT.replace("\n", "\r\n").encode())
    assert load_guide(path) == parse_guide(VALID_TEXT)

    path.write_bytes(path.read_bytes().replace(b"kind: docs", b"kind: doc"))
    assert problems_of(path) == [
        f"{path}:18:15: frameworks[0].resources[0].kind: unknown kind 'doc' (did you mean 'docs'?)"
    ]


@pytest.mark.parametrize(
    "loader", [validation._loader(), yaml.SafeLoader], ids=["libyaml", "python"]
)
@pytest.mark.parametrize("end", ["", "\n", "\r\n"], ids=["no-final-break", "lf", "crlf"])
def test_a_problem_at_the_end_of_the_file_points_at_its_last_line(loader, end, monkeypatch):
    monkeypatch.setattr(validation, "_loader", lambda: loader)
    text = "title: T\nintro: I\nconclusion: [a, b" + end

    assert parse_problems(text) == [
        "g.yaml:3:18: YAML syntax error: did not find expected ',' or ']'"
        " (while parsing a flow sequence at line 3, column 13)"
        if loader is not yaml.SafeLoader
        else "g.yaml:3:18: YAML syntax error: expected ',' or ']', but got '<stream end>'"
        " (while parsing a flow sequence at line 3, column 13)"
    ]


def test_columns_count_characters_not_bytes():
    text = VALID_TEXT.replace("  - name: Gin", "  - {name: Gö😀😀, language: 5}\n  - name: Gin")

    assert parse_problems(text)[-1] == (
        "g.yaml:19:28: frameworks[1].language: expected a string,"
        " but YAML reads '5' as a number; put it in quotes"
    )


def test_all_problems_of_a_file_are_reported_sorted_by_position():
    text = (
        VALID_TEXT.replace("conclusion: Build something small first.", "conclusion: 42")
        .replace("  text: Know one programming language.", "  txt: Know one.")
        .replace("        kind: docs", "        kind: Video")
        .replace("    language: Go\n", "")
        .replace("name: Gin", "name: DJ")
    )

    assert parse_problems(text) == [
        "g.yaml:4:3: prerequisites: unknown key 'txt' (did you mean 'text'?)",
        "g.yaml:4:3: prerequisites: missing required field 'text'",
        "g.yaml:18:15: frameworks[0].resources[0].kind:"
        " unknown kind 'Video' (did you mean 'video'?)",
        "g.yaml:19:5: frameworks[1]: missing required field 'language'",
        "g.yaml:19:11: frameworks[1].name: 'DJ' is already used by frameworks[0] (Django)",
        "g.yaml:24:13: conclusion: expected a string, but YAML reads '42' as a number;"
        " put it in quotes",
    ]


def test_an_alias_used_by_a_later_framework_names_it_even_when_the_name_is_broken():
    text = VALID_TEXT.replace("name: Django", "name: [Django]").replace(
        "name: Gin", "name: Gin\n    aliases: [dj]"
    )

    assert parse_problems(text)[1:] == [
        "g.yaml:20:15: frameworks[1].aliases[0]: 'dj' is already used by frameworks[0]"
    ]


# Hostile files


def test_a_file_over_the_size_cap_is_refused_without_being_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:  # sparse: nothing is written to disk
        file.truncate(50 * 1024 * 1024)

    tracemalloc.start()
    try:
        problems = problems_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert problems == [
        f"{path}:1:1: the file is 52428800 bytes; at most {GUIDE_MAX_BYTES} (8 MiB) are read"
    ]
    assert peak < 1024 * 1024


def test_a_text_over_the_size_cap_is_refused():
    text = "title: " + "é" * (GUIDE_MAX_BYTES // 2)

    assert parse_problems(text) == [
        f"g.yaml:1:1: the file is {GUIDE_MAX_BYTES + 7} bytes;"
        f" at most {GUIDE_MAX_BYTES} (8 MiB) are read"
    ]


def test_a_yaml_bomb_is_refused_without_expanding(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())

    tracemalloc.start()
    try:
        problems = problems_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    aliases = [problem for problem in problems if "YAML aliases" in problem]
    assert len(aliases) == 90
    assert aliases[0] == (
        f"{path}:2:14: lol1[0]: YAML aliases (*lol0) are not supported; write the value out"
    )
    assert peak < MEMORY_BOUND_BYTES


def test_a_huge_key_is_cut_short_in_the_field_path():
    text = VALID_TEXT + "? " + "k" * 100_000 + "\n: [*anchor]\n"  # too long for a plain key

    assert parse_problems(text)[-1] == (
        f"g.yaml:27:4: {'k' * 59}…[0]: YAML aliases (*anchor) are not supported;"
        " write the value out"
    )


def test_nesting_deeper_than_the_cap_is_refused_by_our_composer():
    assert parse_problems("[" * 60 + "]" * 60) == ["g.yaml:1:51: nested more than 50 levels deep"]


def test_a_very_deep_block_nesting_is_refused_without_recursion():
    text = "- " * 10_000 + "deep"

    assert parse_problems(text) == ["g.yaml:1:101: nested more than 50 levels deep"]


def test_a_file_with_too_many_values_is_refused(monkeypatch):
    monkeypatch.setattr(validation, "YAML_MAX_NODES", 100)

    assert parse_problems(VALID_TEXT.replace("[HTTP]", "[" + "a, " * 100 + "]")) == [
        "g.yaml:6:269: holds more than 100 values"
    ]


def test_problems_past_the_cap_are_counted_not_listed(monkeypatch):
    monkeypatch.setattr(validation, "PROBLEMS_MAX", 3)
    text = VALID_TEXT.replace("[HTTP]", "[" + "'', " * 5 + "]")

    assert parse_problems(text) == [
        "g.yaml:6:14: prerequisites.concepts[0]: is empty",
        "g.yaml:6:18: prerequisites.concepts[1]: is empty",
        "g.yaml:6:22: prerequisites.concepts[2]: is empty",
        "g.yaml:6:22: 2 more problems not shown; fix the ones above first",
    ]


def test_a_directory_or_missing_file_is_a_guide_error(tmp_path):
    assert problems_of(tmp_path) == [f"{tmp_path}:1:1: the file is not a regular file"]
    missing = tmp_path / "missing.yaml"
    assert problems_of(missing) == [
        f"{missing}:1:1: the file can't be read: No such file or directory"
    ]


LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
"""What YAML counts as a line break."""


def assert_guide_or_problems(text: str) -> None:
    """`text` gives a guide with names, or problems that each point into the text, in order.

    That is what `guidebot check` shows a moderator; any other exception fails the test.
    """
    try:
        guide = parse_guide(text, source="g.yaml")
    except GuideError as error:
        problems = error.problems
    else:
        assert guide.title.strip()
        assert guide.frameworks
        assert all(fw.name.strip() and fw.key.strip() for fw in guide.frameworks)
        return
    assert problems, "a guide error names at least one problem"
    places = [(problem.line, problem.column) for problem in problems]
    assert places == sorted(places)
    # Every problem points at a character of the text, or just after the end of its line.
    lines = LINE_BREAK.split(text.removeprefix("\ufeff")) or [""]
    for problem in problems:
        assert 1 <= problem.line <= len(lines), (problem, lines)
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1, (problem, lines)
        assert problem.message.strip(), problem
        assert str(problem).startswith(f"g.yaml:{problem.line}:{problem.column}: ")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("ab:-[]{}&*!,'\"#|>? \n\t\x00é"), max_size=80))
def test_any_text_gives_a_guide_or_a_guide_error(text):
    assert_guide_or_problems(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(VALID_TEXT) - 1), st.integers(1, 20), st.text(max_size=5))
def test_any_edit_of_a_valid_guide_gives_a_guide_or_a_guide_error(start, length, insert):
    assert_guide_or_problems(VALID_TEXT[:start] + insert + VALID_TEXT[start + length :])


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"])
def test_a_control_character_after_any_yaml_line_break_is_placed_on_its_own_line(line_break):
    text = "title: Guide" + line_break + "\x1fintro: x\n"
    with pytest.raises(GuideError) as raised:
        parse_guide(text, source="g.yaml")
    (problem,) = raised.value.problems
    assert (problem.line, problem.column) == (2, 1)


def big_guide(frameworks: int) -> str:
    lines = ["title: Big", "intro: Many.", "prerequisites:", "  text: Know things.", "frameworks:"]
    for index in range(frameworks):
        lines += [
            f"  - name: Framework {index}",
            f"    aliases: [fw{index}, f-{index}-x]",
            f"    language: Language {index % 7}",
            f"    summary: Framework number {index}.",
            "    description: >-",
            f"      Framework {index} builds web services quickly and with joy; it has the",
            "      features learners like, and many companies use it.",
            "    used_by: [Acme, Globex]",
            "    features: [Routing, ORM, Templates]",
            "    resources:",
        ]
        for number in range(3):
            lines += [
                f"      - title: Resource {number} of {index}",
                f"        url: https://example{number}.com/fw/{index}/docs",
                "        kind: docs",
            ]
    lines.append("conclusion: Done.")
    return "\n".join(lines) + "\n"


def test_a_guide_of_ten_thousand_frameworks_parses_in_seconds():
    text = big_guide(10_000)
    assert len(text.encode()) < GUIDE_MAX_BYTES

    started = time.perf_counter()
    guide = parse_guide(text)
    elapsed = time.perf_counter() - started

    assert len(guide.frameworks) == 10_000
    assert elapsed < 20  # about 2 s; a quadratic check would take minutes


def test_a_big_guide_with_every_name_colliding_is_checked_quickly_and_reported_in_part():
    text = big_guide(2_000).replace("aliases: [fw", "aliases: [Framework 0, fw")

    problems = parse_problems(text)

    # Framework 0's own alias is only a warning; the 1,999 other frameworks collide with it.
    assert problems[:1] == [
        "g.yaml:26:15: frameworks[1].aliases[0]: 'Framework 0' is already used by frameworks[0]"
        " (Framework 0)",
    ]
    assert len(problems) == validation.PROBLEMS_MAX + 1
    assert problems[-1].endswith(": 1499 more problems not shown; fix the ones above first")


# Comparing guides


def test_diff_of_equal_guides_is_no_changes():
    diff = diff_guides(make_guide(), make_guide())

    assert diff == GuideDiff()
    assert not diff.has_changes
    assert diff.summary() == "no changes"


def test_diff_names_added_removed_and_changed_frameworks():
    old = make_guide(
        make_framework("Django"), make_framework("Sinatra", "Ruby"), make_framework("Flask")
    )
    new = make_guide(
        make_framework("Django", description="Now with async views."),
        make_framework("FastAPI"),
        make_framework("Flask"),
        make_framework("Gin", "Go"),
    )

    diff = diff_guides(old, new)

    assert diff == GuideDiff(added=("FastAPI", "Gin"), removed=("Sinatra",), changed=("Django",))
    assert diff.summary() == "2 added (FastAPI, Gin), 1 removed (Sinatra), 1 changed (Django)"


def test_diff_matches_frameworks_by_key_so_a_respelt_name_is_a_change():
    diff = diff_guides(make_guide(make_framework("Node.js")), make_guide(make_framework("NodeJS")))

    assert diff == GuideDiff(changed=("NodeJS",))


def test_diff_notices_changes_outside_frameworks():
    old = make_guide()
    assert diff_guides(old, replace(old, intro="New intro.")).summary() == "other changes"
    reordered = replace(old, frameworks=old.frameworks[::-1])
    assert diff_guides(old, reordered) == GuideDiff(other_changes=True)


def test_diff_summary_shortens_long_lists_of_names():
    new = make_guide(*(make_framework(f"Framework {index}") for index in range(8)))

    summary = diff_guides(make_guide(), new).summary()

    assert summary.startswith(
        "8 added (Framework 0, Framework 1, Framework 2, Framework 3, Framework 4 and 3 more), "
        "5 removed (Django, Flask, Node.js, Express, Ruby on Rails)"
    )


def test_parsing_in_a_worker_thread_leaves_the_garbage_collector_on_for_everyone():
    # /guide reload parses in a worker thread while the event loop serves others.
    worker = threading.Thread(target=parse_guide, args=(big_guide(2_000),))
    collector_off = False
    worker.start()
    while worker.is_alive():
        collector_off |= not gc.isenabled()
        time.sleep(0.001)
    worker.join()
    parse_problems("title: [")

    assert not collector_off
    assert gc.isenabled()


def test_the_readme_states_the_limits_the_validator_holds_a_guide_to():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("Every text has a limit", 1)[1].split("Label each link", 1)[0]
    stated = {int(number.replace(",", "")) for number in re.findall(r"\b\d[\d,]*\b", paragraph)}
    assert stated == {
        guide_module.NAME_MAX_CHARS,
        guide_module.SUMMARY_MAX_CHARS,
        guide_module.LIST_ITEM_MAX_CHARS,
        guide_module.RESOURCE_TITLE_MAX_CHARS,
        guide_module.URL_MAX_CHARS,
        guide_module.TITLE_MAX_CHARS,
        guide_module.LONG_TEXT_MAX_CHARS,
    }
