"""Discord's side of an HTTP interactions endpoint: sign each interaction, POST it, take the answer.

Once `emu.use_endpoint(url)` is called, `send_interaction` and every helper built on it (`slash`,
`autocomplete`, `click`, `select`) deliver interactions to the bot's endpoint instead of the
gateway, signed with the emulator's Ed25519 key as Discord signs them (`emu.public_key` is the
key the bot must be given). The endpoint's HTTP answer is recorded as the callback request a
gateway bot would have made, and goes through the same checks: the spec, the limits, the 3 s
deadline and the callback types allowed for the interaction. So a test reads `result.callback`,
`result.data` and `result.latency` the same way in both modes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from nacl.signing import SigningKey

from tests.emulator.records import InteractionState, RecordedRequest

if TYPE_CHECKING:
    from tests.emulator.emulator import DiscordEmulator


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What an endpoint answered to one POST."""

    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def signature_headers(key: SigningKey, body: bytes, timestamp: str) -> dict[str, str]:
    """Return the headers Discord sends with `body`: Ed25519 over the timestamp, then the body."""
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


class Endpoint:
    """The bot's interactions endpoint at `url`, as Discord calls it."""

    def __init__(self, emu: DiscordEmulator, url: str) -> None:
        self.emu = emu
        self.url = url
        self._session: aiohttp.ClientSession | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    async def post(
        self,
        body: bytes,
        *,
        headers: Mapping[str, str] | None = None,
        timestamp: str | None = None,
        key: SigningKey | None = None,
    ) -> HttpAnswer:
        """POST `body`, signed with the emulator's key unless `headers` are given.

        Args:
            body: the raw request body.
            headers: the request headers exactly (no signature is added).
            timestamp: the signature timestamp (default: now).
            key: sign with this key instead of the emulator's.
        """
        if headers is None:
            stamp = timestamp if timestamp is not None else str(int(time.time()))
            headers = signature_headers(key or self.emu.signing_key, body, stamp)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.url, data=body, headers=dict(headers)) as response:
            return HttpAnswer(response.status, await response.read(), response.content_type)

    async def ping(self) -> HttpAnswer:
        """Send a signed PING, as Discord does when the endpoint URL is saved in the portal."""
        return await self.post(json.dumps({"type": 1, "id": "1", "version": 1}).encode())

    def deliver(self, state: InteractionState) -> None:
        """Send `state`'s interaction in the background; its answer is recorded as a callback."""
        state.http_answered = asyncio.Event()
        task = asyncio.create_task(self._deliver(state))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, state: InteractionState) -> None:
        assert state.http_answered is not None
        try:
            await self._take_answer(state)
        finally:
            state.http_answered.set()

    async def _take_answer(self, state: InteractionState) -> None:
        try:
            answer = await self.post(json.dumps(state.payload).encode())
        except aiohttp.ClientError as error:
            self.emu.violate("protocol", f"POST to the endpoint failed for {state.id}: {error!r}")
            return
        received = time.monotonic()
        if answer.status != 200 or answer.content_type != "application/json":
            self.emu.violate(
                "protocol",
                f"the endpoint answered interaction {state.id} with {answer.status} "
                f"{answer.content_type}: {answer.body[:200]!r}",
            )
            return
        record = RecordedRequest(
            index=len(self.emu.requests),
            method="POST",
            path=f"/interactions/{state.id}/{state.token}/callback",
            query={},
            headers={"Content-Type": answer.content_type, "X-Delivered-As": "http answer"},
            authorization="absent",
            received_at=received,
        )
        try:
            record.json = answer.json()
        except ValueError:
            self.emu.violate("protocol", "the endpoint's answer is not valid JSON", record)
        self.emu.requests.append(record)
        self.emu.notify()
        await self.emu.rest.answer(record)

    async def close(self) -> None:
        """Stop delivering and close the connection pool."""
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
