"""guidebot as people install it: a wheel in a fresh virtual environment, run from elsewhere.

The wheel is built from a copy of only what pyproject.toml builds from, installed with the pinned
dependencies into a new venv, and run from an empty folder with a clean environment, so nothing of
the clone (its data/ folder, its .venv, a config.toml) can stand in for what the package lacks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.helpers import BUILT_FROM

REPO_ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUIDEBOT_", "DISCORD_", "PYTHON", "VIRTUAL_ENV"))
    }
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `guidebot` script of a fresh venv that has only the wheel and its dependencies."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in BUILT_FROM:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "dist", source, cwd=work
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("guidebot-*.whl")

    venv = work / "venv"
    created = _run(sys.executable, "-m", "venv", venv, cwd=work)
    assert created.returncode == 0, created.stderr
    pip = _run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--constraint",
        REPO_ROOT / "constraints.txt",
        wheel,
        cwd=work,
    )
    assert pip.returncode == 0, pip.stderr
    return venv / "bin" / "guidebot"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty folder: no data/, no config.toml."""
    return tmp_path


def test_the_installed_wheel_says_its_version(installed: Path, elsewhere: Path) -> None:
    result = _run(installed, "--version", cwd=elsewhere)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"guidebot {VERSION}"


def test_the_installed_wheel_checks_the_guide_it_ships(installed: Path, elsewhere: Path) -> None:
    result = _run(installed, "check", cwd=elsewhere)

    assert result.returncode == 0, result.stdout + result.stderr
    checked = Path(result.stdout.split(": ok: ")[0])
    assert checked.parts[-3:] == ("bot", "data", "guide.yaml")
    assert "site-packages" in checked.parts


def test_the_installed_wheel_answers_a_misspelt_framework(installed: Path, elsewhere: Path) -> None:
    result = _run(installed, "ask", "/framework djagno", cwd=elsewhere)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "| == Django =="


def test_the_installed_metadata_is_what_pypi_and_pip_show_display(
    installed: Path, elsewhere: Path
) -> None:
    script = "import importlib.metadata as m, json; print(json.dumps(m.metadata('guidebot').json))"
    result = _run(installed.parent / "python", "-c", script, cwd=elsewhere)

    assert result.returncode == 0, result.stderr
    metadata = json.loads(result.stdout)
    assert metadata["version"] == VERSION
    assert metadata["license_expression"] == "MIT"
    assert metadata["license_file"] == "LICENSE"
    assert metadata["description_content_type"] == "text/markdown"
    assert metadata["description"].startswith("# guidebot\n")
    for classifier in ("Framework :: AsyncIO", "Topic :: Communications :: Chat"):
        assert classifier in metadata["classifier"]
    assert "Programming Language :: Python :: 3.11" in metadata["classifier"]


def test_every_package_under_bot_is_built_into_the_wheel() -> None:
    setuptools = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for init in (REPO_ROOT / "bot").rglob("__init__.py")
    }

    assert on_disk | {"bot.data"} == set(setuptools["packages"])
