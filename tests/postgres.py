"""A real PostgreSQL for tests: a fresh database per test, dropped after, and a cuttable proxy.

The server is the one at `GUIDEBOT_TEST_POSTGRES_URL` (default below). When none answers, the
tests that need it skip with a one-line reason, unless `GUIDEBOT_REQUIRE_POSTGRES=1` (CI), where
that is a failure. Eight people run the suite at once on one server, so every test gets its own
uniquely named database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

URL_ENV = "GUIDEBOT_TEST_POSTGRES_URL"
REQUIRE_ENV = "GUIDEBOT_REQUIRE_POSTGRES"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    """Return the URL of the test server's maintenance database."""
    return os.environ.get(URL_ENV) or DEFAULT_URL


def database_url(url: str, name: str) -> str:
    """Return `url` pointing at the database `name` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """Create a uniquely named database, yield its URL, and drop it (and its sessions) after."""
    url = server_url()
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        reason = f"no PostgreSQL at {url}: {first_line}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    name = f"guidebot_test_{uuid.uuid4().hex[:16]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield database_url(url, name)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database of this test's own."""
    with fresh_database() as url:
        yield url


class CuttableProxy:
    """A loopback TCP proxy to a server that a test can cut, like a network going away.

    While cut, it still accepts connections (the port stays ours) but closes them at once, and
    every connection that was open is closed too. While stalled, it passes nothing either way and
    closes nothing: a server that went silent, as behind a network that drops packets.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut = False
        self.stalled = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @classmethod
    def to(cls, url: str) -> CuttableProxy:
        """Return a proxy to the server `url` names."""
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432)

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._handlers:  # let them see their connections closed, rather than be cancelled
            await asyncio.wait(self._handlers, timeout=5)

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, url: str) -> str:
        """Return `url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        login = f"{userinfo}@" if userinfo else ""
        return urlunsplit(parts._replace(netloc=f"{login}127.0.0.1:{self.port}"))

    def sever(self) -> None:
        """Cut the link: close every open connection and refuse new ones until `restore`."""
        self.cut = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def stall(self) -> None:
        """Pass no more bytes, in either direction, until `restore`."""
        self.stalled = True

    def restore(self) -> None:
        """Let connections through again."""
        self.cut = self.stalled = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        if self.cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        for end in (writer, up_writer):
            self._writers.discard(end)
            end.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self.stalled:
                writer.write(data)
                await writer.drain()
