"""Loading a guide in a child process gives what loading it here gives, problems included.

A process with one thread forks the child; one with threads (a reload runs in one) starts a new
interpreter: each test runs both ways, the second from a thread, as a reload does.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import apart
from bot.apart import load_guide_apart, load_snapshot_apart
from bot.custom_ids import framework_ref
from bot.guide import GuideError, load_guide
from bot.store import GuideStore, Snapshot
from tests.conftest import SHIPPED_GUIDE
from tests.helpers import guide_text, write_guide


def in_a_thread(load):
    """Return `load`, called from a worker thread as a reload calls it: the child is then a new
    interpreter, not a fork."""

    def loaded(path):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(load, path).result()

    return loaded


from_a_thread = in_a_thread(load_guide_apart)


LOADS = pytest.mark.parametrize(
    "load", [load_guide_apart, from_a_thread], ids=["forked", "new interpreter"]
)


@LOADS
def test_the_child_sends_back_the_guide_as_loaded_here(load):
    assert load(SHIPPED_GUIDE) == load_guide(SHIPPED_GUIDE)


def test_with_one_thread_the_guide_is_loaded_in_a_forked_child(tmp_path, monkeypatch):
    pids = tmp_path / "pids.txt"

    def noting_the_process(path):
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return load_guide(path)

    monkeypatch.setattr(apart, "load_guide", noting_the_process)
    monkeypatch.setattr(apart, "CHILD_COMMAND", ("/nonexistent/python",))
    monkeypatch.setattr(apart.threading, "active_count", lambda: 1)  # whatever pytest runs

    assert load_guide_apart(SHIPPED_GUIDE) == load_guide(SHIPPED_GUIDE)
    (loaded_in,) = pids.read_text().split()
    assert int(loaded_in) != os.getpid()


def test_the_guide_is_loaded_in_a_child_that_imports_no_discord(tmp_path, monkeypatch):
    seen = tmp_path / "modules.txt"
    script = (
        "import atexit, runpy, sys; seen = sys.argv.pop(1);"
        "atexit.register(lambda: open(seen, 'w').write(' '.join(sys.modules)));"
        "runpy.run_module('bot.apart', run_name='__main__')"
    )
    monkeypatch.setattr(apart, "CHILD_COMMAND", (sys.executable, "-P", "-c", script, str(seen)))
    monkeypatch.setattr(apart, "load_guide", _no_loading_here)

    assert from_a_thread(SHIPPED_GUIDE) == load_guide(SHIPPED_GUIDE)
    assert "bot.guide" in seen.read_text().split()
    assert "discord" not in seen.read_text().split()


@pytest.mark.parametrize(
    "command",
    [
        (sys.executable, "-c", "import sys; sys.exit(3)"),
        (sys.executable, "-c", "print('not a pickle')"),
        ("/nonexistent/python",),
    ],
    ids=["dies", "no answer", "cannot start"],
)
def test_a_child_without_an_answer_leaves_the_loading_to_the_parent(monkeypatch, command):
    monkeypatch.setattr(apart, "CHILD_COMMAND", command)
    assert from_a_thread(SHIPPED_GUIDE) == load_guide(SHIPPED_GUIDE)


def test_a_forked_child_that_dies_leaves_the_loading_to_the_parent(monkeypatch):
    monkeypatch.setattr(apart, "_write_guide", lambda _path, _out: os._exit(3))
    monkeypatch.setattr(apart.threading, "active_count", lambda: 1)
    assert load_guide_apart(SHIPPED_GUIDE) == load_guide(SHIPPED_GUIDE)


def _no_loading_here(path):
    raise AssertionError(f"{path} was loaded in the bot's own process")


def test_a_store_reloads_with_the_loader_it_was_opened_with(tmp_path):
    path = tmp_path / "guide.yaml"
    write_guide(path, guide_text(1))
    loaded = []

    def loader(where):
        loaded.append(where)
        return load_guide_apart(where)

    store = GuideStore.open(path, loader=loader)
    write_guide(path, guide_text(2))
    assert store.reload().ok
    assert loaded == [path, path]
    assert len(store.current.guide.frameworks) == 2


snapshot_from_a_thread = in_a_thread(load_snapshot_apart)
SNAPSHOT_LOADS = pytest.mark.parametrize(
    "load", [load_snapshot_apart, snapshot_from_a_thread], ids=["forked", "new interpreter"]
)


@SNAPSHOT_LOADS
def test_the_child_sends_back_the_whole_snapshot_with_the_pairs_index(load):
    snapshot = load(SHIPPED_GUIDE)
    here = Snapshot.of(load_guide(SHIPPED_GUIDE))
    assert (snapshot.guide, snapshot.version) == (here.guide, here.version)
    assert snapshot.matcher._pairs is not None
    assert snapshot.matcher.suggest("as") == here.matcher.suggest("as")
    assert snapshot.by_ref(framework_ref("flask")) == here.by_ref(framework_ref("flask"))


@pytest.mark.parametrize(
    "load",
    [load_guide_apart, from_a_thread, load_snapshot_apart, snapshot_from_a_thread],
    ids=["guide forked", "guide new", "snapshot forked", "snapshot new"],
)
def test_the_child_sends_back_every_problem_of_a_broken_guide(load, tmp_path):
    path = tmp_path / "guide.yaml"
    write_guide(path, guide_text(2).replace("    language: Python", "    language: [Python]"))
    with pytest.raises(GuideError) as here:
        load_guide(path)

    with pytest.raises(GuideError) as apart_error:
        load(path)

    assert apart_error.value.problems == here.value.problems
    assert here.value.problems[0].field == "frameworks[0].language"


def test_a_snapshot_without_an_answer_from_the_child_is_built_here(monkeypatch):
    monkeypatch.setattr(apart, "CHILD_COMMAND", ("/nonexistent/python",))
    snapshot = snapshot_from_a_thread(SHIPPED_GUIDE)
    assert snapshot.version == Snapshot.of(load_guide(SHIPPED_GUIDE)).version
    assert snapshot.matcher._pairs is not None


def test_a_store_of_snapshots_reloads_a_changed_guide_and_keeps_an_unchanged_one(tmp_path):
    path = tmp_path / "guide.yaml"
    write_guide(path, guide_text(1))
    store = GuideStore.open(path, loader=load_snapshot_apart)
    first = store.current
    assert store.reload().ok
    assert store.current is first  # the same content keeps its snapshot
    write_guide(path, guide_text(2))
    assert store.reload().ok
    assert len(store.current.guide.frameworks) == 2
    assert store.current.matcher._pairs is not None
