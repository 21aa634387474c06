"""The test suite's own house rules."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Return every module that `path` imports, by its dotted name."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def test_no_test_module_imports_another():
    # What two test modules share lives in tests/helpers.py, conftest.py or tests/emulator/:
    # importing a test module runs its collection-time code and ties two files' fates together.
    tests = {f"tests.{path.stem}" for path in TESTS.glob("test_*.py")}
    offenders = {
        path.name: sorted(imported_modules(path) & tests)
        for path in sorted(TESTS.rglob("*.py"))
        if imported_modules(path) & tests
    }
    assert offenders == {}


def test_the_readmes_layout_names_every_module_of_the_package():
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    package = TESTS.parent / "bot"
    modules = {path.name for path in package.glob("*.py") if path.name != "__init__.py"}
    assert {name for name in modules if name not in layout} == set()
    assert "cogs/" in layout
