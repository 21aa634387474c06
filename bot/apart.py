"""Load a guide in a short-lived child process, so that parsing leaves no mark on the bot's memory.

Parsing a guide takes about six times the memory the guide keeps (the file's text, YAML events,
a node for every value with its position), and what the guide keeps is allocated among all of
that. Once the parse is over, the allocator cannot give those pages back: they each still hold
some of the guide. For a 10,000-framework guide that was 40 MB more than the guide needs, for as
long as the bot runs. A child forked for the parse pays that instead, and sends back the guide
alone, which the bot then holds in as little memory as it takes.

Where `os.fork` does not exist, or the child dies without an answer, the guide is loaded here.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from bot.guide import Guide, GuideError, load_guide


def load_guide_apart(path: Path) -> Guide:
    """Return `load_guide(path)`, computed in a forked child process where one can be forked.

    Raises:
        GuideError: The file can't be read or isn't a valid guide, as `load_guide` says.
    """
    if not hasattr(os, "fork"):
        return load_guide(path)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        _answer(path, reader, writer)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    os.waitpid(child, 0)
    if not data:  # the child died: load it here, and say what is wrong if anything is
        return load_guide(path)
    result: Guide | GuideError = pickle.loads(data)  # noqa: S301 - our own child's bytes
    if isinstance(result, GuideError):
        raise result
    return result


def _answer(path: Path, reader: int, writer: int) -> None:  # pragma: no cover - in the child
    """Load the guide, write it (or its problems) to `writer` pickled, and end the process."""
    code = 1
    try:
        os.close(reader)
        try:
            result: Guide | GuideError = load_guide(path)
        except GuideError as error:
            result = error
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)
