"""Load a guide in a short-lived child process, so that parsing leaves no mark on the bot's memory.

Parsing a guide takes about six times the memory the guide keeps (the file's text, YAML events,
a node for every value with its position), and what the guide keeps is allocated among all of
that. Once the parse is over, the allocator cannot give those pages back: they each still hold
some of the guide. For a 10,000-framework guide that was 40 MB more than the guide needs, for as
long as the bot runs. A child process pays that instead, and sends back the guide alone, which
the bot then holds in as little memory as it takes.

At start-up the process has one thread, so the child is a fork of it: ready at once, with the
modules already imported, it costs about 15 ms where a new interpreter costs 50 to 80 (bench/e2e.py
times start-up). Once there are threads (a reload runs in one; discord.py's heartbeat runs in
another), the child is a new interpreter (`python -P -m bot.apart PATH`) instead, as a process
forked from a threaded one may deadlock in the child. Where the child cannot start, or ends
without an answer, the guide is loaded here.

The running bot asks for a whole `Snapshot` (`load_snapshot_apart`): the child also builds the
matcher and the guide's version, which at 10,000 frameworks cost several times what unpickling
them costs, and the matcher's index of letter pairs (`Matcher(pairs=True)`), which makes
autocomplete of a large guide cheaper and which only the child pays for.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import BinaryIO

from bot.guide import Guide, GuideError, load_guide
from bot.store import Snapshot

CHILD_COMMAND = (sys.executable, "-P", "-m", "bot.apart")
"""The child's command line, before the guide's path; -P keeps the working folder off sys.path."""
SNAPSHOT_FLAG = "--snapshot"
"""Before the guide's path on the child's command line: send a `Snapshot`, not only the guide."""
CHILD_TIMEOUT_SECONDS = 120
"""Far above the largest guide's parse (about 2 s at the 8 MiB cap); a hung child is given up."""


def load_guide_apart(path: Path) -> Guide:
    """Return `load_guide(path)`, computed in a child process where one can be started.

    Raises:
        GuideError: The file can't be read or isn't a valid guide, as `load_guide` says.
    """
    loaded = _load_apart(path, snapshot=False)
    return loaded if isinstance(loaded, Guide) else loaded.guide


def load_snapshot_apart(path: Path) -> Snapshot:
    """Return `Snapshot.of(load_guide(path), pairs=True)`, computed in a child process if it can.

    Raises:
        GuideError: The file can't be read or isn't a valid guide, as `load_guide` says.
    """
    loaded = _load_apart(path, snapshot=True)
    return loaded if isinstance(loaded, Snapshot) else _snapshot_of(loaded)


def _load_apart(path: Path, *, snapshot: bool) -> Guide | Snapshot:
    if hasattr(os, "fork") and threading.active_count() == 1:
        return _answer_of(_forked_child(path, snapshot=snapshot), path)
    try:
        child = subprocess.run(  # noqa: S603 - our own interpreter and module
            [*CHILD_COMMAND, *([SNAPSHOT_FLAG] if snapshot else []), str(path)],
            capture_output=True,
            timeout=CHILD_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return load_guide(path)
    return _answer_of(child.stdout if child.returncode == 0 else b"", path)


def _snapshot_of(guide: Guide) -> Snapshot:
    return Snapshot.of(guide, pairs=True)


def _forked_child(path: Path, *, snapshot: bool) -> bytes:
    """Return what a forked child writes for `path` (see `main`); nothing if it died."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(reader)
        code = 1
        try:
            with os.fdopen(writer, "wb") as pipe:
                code = _write_guide(path, pipe, snapshot=snapshot)
        finally:
            os._exit(code)  # no atexit handlers, no flushing of the bot's buffers
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    return data if os.waitstatus_to_exitcode(status) == 0 else b""


def _answer_of(data: bytes, path: Path) -> Guide | Snapshot:
    """Return what a child sent as `data`; with no answer from it, load the guide here."""
    try:
        result: Guide | Snapshot | GuideError = pickle.loads(data)  # noqa: S301 - our own child's
    except (pickle.UnpicklingError, EOFError, ValueError):
        result = load_guide(path)  # no answer: load it here, and say what is wrong if anything is
    if isinstance(result, GuideError):
        raise result
    return result


def main(argv: list[str]) -> int:
    """In the child: write the guide at `argv[-1]`, or its problems, pickled to standard output.

    With `SNAPSHOT_FLAG` first, its `Snapshot` rather than the guide alone.
    """
    return _write_guide(Path(argv[-1]), sys.stdout.buffer, snapshot=SNAPSHOT_FLAG in argv[:-1])


def _write_guide(path: Path, out: BinaryIO, *, snapshot: bool = False) -> int:
    """In a child: write the guide at `path` (or its snapshot), or its problems, to `out`.

    Pickled; returns 0.
    """
    # A parse makes millions of objects and frees none of them until it ends, so the collector's
    # passes over them find nothing. This process only parses: switching it off here touches
    # nothing of the bot's (bench.parse measures what it saves).
    gc.disable()
    try:
        guide = load_guide(path)
        result: Guide | Snapshot | GuideError = _snapshot_of(guide) if snapshot else guide
    except GuideError as error:
        result = error
    out.write(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
