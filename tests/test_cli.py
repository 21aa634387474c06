import json
import re
import subprocess
import sys
import tomllib
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import cli
from bot.cli import main
from tests.conftest import REPO_ROOT, SHIPPED_GUIDE
from tests.emulator.payloads import EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_ask_prints_the_django_card_for_a_typo(capsys):
    code, out, _ = run(capsys, "ask", "/framework djagno")
    assert code == 0
    assert "== Django ==" in out
    assert "https://docs.djangoproject.com/en/stable/" in out


def test_cli_ask_json_is_the_interaction_callback_body(capsys):
    code, out, _ = run(capsys, "ask", "--json", "/resources flask kind:tutorial")
    assert code == 0
    body = json.loads(out)
    assert body["type"] == 4
    assert body["data"]["allowed_mentions"] == {"parse": []}
    (embed,) = body["data"]["embeds"]
    assert embed["title"] == "Resources for Flask (tutorial)"
    assert "flask.palletsprojects.com/en/stable/tutorial/" in embed["description"]


def test_cli_ask_not_found_exits_3_with_an_ephemeral_reply(capsys):
    code, out, _ = run(capsys, "ask", "/framework pizza")
    assert code == 3
    assert "(only you can see this)" in out
    assert "`pizza`" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/nope", "unknown command"),
        ("/resources", "needs framework"),
        ("/resources flask kind:podcast", "kind takes one of"),
    ],
)
def test_cli_ask_usage_errors_exit_2(capsys, text, message):
    code, out, err = run(capsys, "ask", text)
    assert code == 2
    assert out == ""
    assert message in err


def test_cli_complete_lists_choices_and_json(capsys):
    code, out, _ = run(capsys, "complete", "/framework dj")
    assert code == 0
    assert out.splitlines()[0] == "Django (Python)  ->  Django"
    code, out, _ = run(capsys, "complete", "--json", "/resources framework:fla kind:docs")
    assert code == 2  # kind has no autocomplete: the focused option is the last one typed
    code, out, _ = run(capsys, "complete", "--json", "/resources kind:docs framework:fla")
    body = json.loads(out)
    assert body == {"type": 8, "data": {"choices": [{"name": "Flask (Python)", "value": "Flask"}]}}


def test_cli_check_passes_on_the_shipped_guide(capsys):
    code, out, _ = run(capsys, "check", str(SHIPPED_GUIDE))
    assert code == 0
    assert out.startswith(f"{SHIPPED_GUIDE}: ok: ")


def test_cli_check_reports_problems_with_line_and_exits_1(capsys, tmp_path):
    broken = tmp_path / "guide.yaml"
    broken.write_text(
        SHIPPED_GUIDE.read_text().replace("language: Python", "language: [Python]", 1)
    )
    code, out, err = run(capsys, "check", str(broken))
    assert code == 1
    assert out.startswith(f"{broken}:")
    assert ".language: " in out
    assert "1 problem" in err


NODE_WITH_REDUNDANT_ALIASES = "  - name: Node.js\n    aliases: [node, nodejs]\n"


def _guide_with_redundant_aliases(tmp_path):
    text = SHIPPED_GUIDE.read_text()
    assert "  - name: Node.js\n" in text
    path = tmp_path / "guide.yaml"
    path.write_text(text.replace("  - name: Node.js\n", NODE_WITH_REDUNDANT_ALIASES, 1))
    line = path.read_text().splitlines().index("    aliases: [node, nodejs]") + 1
    return path, line


def test_cli_check_warns_about_an_alias_repeating_its_own_name_and_passes(capsys, tmp_path):
    path, line = _guide_with_redundant_aliases(tmp_path)

    code, out, err = run(capsys, "check", str(path))

    assert code == 0
    *warnings, summary = out.splitlines()
    assert warnings == [
        f"{path}:{line}:15: warning: frameworks[0].aliases[0]: 'node' is the framework's own name",
        f"{path}:{line}:21: warning: frameworks[0].aliases[1]: 'nodejs' is the framework's own"
        " name",
    ]
    assert summary.startswith(f"{path}: ok: 14 frameworks in ")
    assert summary.endswith(" resources, 2 warnings")
    assert err == ""


def test_cli_check_strict_turns_warnings_into_errors(capsys, tmp_path):
    path, line = _guide_with_redundant_aliases(tmp_path)

    code, out, err = run(capsys, "check", "--strict", str(path))

    assert code == 1
    assert out.splitlines()[0].startswith(f"{path}:{line}:15: warning: ")
    assert err == f"{path}: 2 warnings (--strict)\n"
    code, _, _ = run(capsys, "check", "--strict", str(SHIPPED_GUIDE))
    assert code == 0


def test_the_bot_answers_from_a_guide_with_warnings(capsys, tmp_path):
    path, _ = _guide_with_redundant_aliases(tmp_path)

    code, out, _ = run(capsys, "ask", "--guide", str(path), "/framework nodejs")

    assert code == 0
    assert "== Node.js ==" in out


def test_cli_ask_with_a_broken_guide_says_why(capsys, tmp_path):
    broken = tmp_path / "guide.yaml"
    broken.write_text("title: [")
    code, _, err = run(capsys, "ask", "--guide", str(broken), "/framework django")
    assert code == 1
    assert "the guide has problems" in err


def test_cli_run_without_a_token_is_one_clear_line(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "run")
    assert code == 1
    assert err.strip() == (
        "guidebot: no Discord token: set DISCORD_TOKEN or [discord] token in config.toml "
        "(see README)"
    )


def test_cli_run_stops_on_a_wrong_environment_value_with_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-used")
    monkeypatch.setenv("GUIDEBOT_METRICS_PORT", "ninety")
    code, out, err = run(capsys, "run")
    assert (code, out) == (1, "")
    assert err == (
        "guidebot: config problem: GUIDEBOT_METRICS_PORT: [metrics] port must be a whole number\n"
    )


def test_cli_run_stops_on_a_wrong_file_value_naming_the_file(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-used")
    (tmp_path / "bot.toml").write_text('[metrics]\nport = "ninety"\n')
    code, _, err = run(capsys, "--config", "bot.toml", "run")
    assert code == 1
    assert err == "guidebot: config problem: bot.toml: [metrics] port must be a whole number\n"


def test_cli_run_metrics_port_must_be_a_port(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["run", "--metrics-port", "99999"])
    assert caught.value.code == 2
    assert "'99999' is not a port number (0 to 65535)" in capsys.readouterr().err


def test_cli_exit_codes_are_distinct_and_each_is_in_the_readme():
    codes = {name: value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert len(set(codes.values())) == len(codes)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \| \w", readme, re.MULTILINE)}
    assert documented == set(codes.values())


def test_the_readmes_guide_example_is_a_guide_as_written(capsys, tmp_path):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"^```yaml\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    guide = tmp_path / "guide.yaml"
    guide.write_text(example, encoding="utf-8")

    assert run(capsys, "check", "--strict", "--guide", str(guide))[0] == 0
    code, out, _ = run(capsys, "ask", "--guide", str(guide), "/framework dj")
    assert code == 0
    assert "== Django ==" in out
    assert "Django (Python)" in run(capsys, "complete", "--guide", str(guide), "/framework d")[1]
    code, out, _ = run(capsys, "ask", "--guide", str(guide), "/resources django kind:docs")
    assert code == 0
    assert "https://docs.djangoproject.com/en/stable/" in out


def test_cli_version_prints_the_packages_version(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    version = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (caught.value.code, capsys.readouterr().out) == (0, f"guidebot {version}\n")


def test_cli_check_with_no_arguments_checks_and_names_the_guide_the_bot_serves(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)  # no config.toml here: the bundled guide
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.startswith(f"{SHIPPED_GUIDE}: ok: 14 frameworks in ")

    (tmp_path / "config.toml").write_text('[guide]\npath = "mine.yaml"\n', encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(SHIPPED_GUIDE.read_text(), encoding="utf-8")
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.startswith("mine.yaml: ok: ")  # as the config file names it


def test_cli_check_counts_one_of_each_in_the_singular(capsys, tmp_path):
    guide = tmp_path / "guide.yaml"
    guide.write_text(
        "title: T\nintro: I\nprerequisites: {text: P}\nconclusion: C\nframeworks:\n"
        "  - {name: Flask, language: Python, description: D,\n"
        "     resources: [{title: Docs, url: 'https://flask.example/'}]}\n",
        encoding="utf-8",
    )

    code, out, _ = run(capsys, "check", "--guide", str(guide))

    assert code == 0
    assert out == f"{guide}: ok: 1 framework in 1 language, 1 resource\n"


def test_the_readmes_invite_asks_for_the_permissions_it_names():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    (invite,) = re.findall(r"https://discord\.com/oauth2/authorize\?\S+?(?=`)", readme)
    query = parse_qs(urlsplit(invite).query)
    assert query["scope"] == ["bot applications.commands"]
    assert int(query["permissions"][0]) == VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS
    words = " ".join(readme.split())
    assert "the permissions are View Channels, Send Messages and Embed Links" in words


NOT_IN_THE_GATEWAY_BOT = (
    "yaml",  # guides are parsed in a child process (bot/apart.py)
    "difflib",  # "did you mean" in the messages of a broken config or guide
    "importlib.resources",  # and zipfile: the bundled guide is found in the package's folder
    "zipfile",
    "redis",  # only with [cooldown] redis_url
    "prometheus_client",  # and its HTTP servers: only when the metrics are read
    "http.server",
    "aiohttp.web",  # only with a metrics port, or for `guidebot serve`
    "bot.endpoint",
    "bot.console",  # only `ask` and `complete` read typed commands
)


def test_the_gateway_bot_imports_nothing_it_only_might_use():
    # What `guidebot run` imports: the CLI, then its cogs. Each of these would stay in its memory
    # for as long as it runs (bench/e2e.py measures it); a fresh interpreter, as pytest has them.
    script = (
        "import importlib, sys; import bot.cli; from bot.bot import EXTENSIONS; "
        "[importlib.import_module(name) for name in EXTENSIONS]; print(*sys.modules)"
    )
    imported = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout.split()
    assert "bot.cogs.admin" in imported
    assert [name for name in NOT_IN_THE_GATEWAY_BOT if name in imported] == []
