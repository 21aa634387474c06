"""Discord's interactions over HTTP (`guidebot serve`): a sibling of the gateway connection.

Discord POSTs each interaction to `/interactions`, signed with the application's Ed25519 key.
A learner's command, autocomplete or click is answered from its JSON (`bot.json_answers`), as in
gateway mode. Any other interaction (an admin command, an option the command tree would refuse)
goes into the same discord.py client the gateway mode runs, through the entry point a gateway
INTERACTION_CREATE takes. Either way the first response (an answer, a defer, choices) becomes
the HTTP answer; deferred answers, followups and edits then go through the interaction webhook
as in gateway mode. Nothing is kept between requests: any number of workers can serve one
application behind any load balancer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import discord
from aiohttp import web
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from bot import metrics
from bot.bot import GuideBot
from bot.json_answers import JsonExchange, learner_answer
from bot.metrics import Health

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""A larger request body gets 413 before anything else is done with it."""
MAX_CLOCK_SKEW_SECONDS = 300
"""A signature timestamp further than this from now gets 401, so a recorded request can't be
replayed later."""
ANSWER_DEADLINE_SECONDS = 3.0
"""Discord waits this long for the HTTP answer to an interaction."""
PING = 1
PONG = {"type": 1}
SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
_PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{64}")


class PublicKeyError(ValueError):
    """The configured public key is not one: the message says what was expected, on one line."""


def verify_key(public_key: str) -> VerifyKey:
    """Return the key that checks Discord's signatures.

    Args:
        public_key: the application's "Public Key" from the developer portal, 64 hex characters.

    Raises:
        PublicKeyError: it is not 64 hexadecimal characters.
    """
    text = public_key.strip()
    if not _PUBLIC_KEY.fullmatch(text):
        what = "it is empty" if not text else f"got {len(text)} characters"
        if len(text) == 64:
            what = "it has characters that are not hexadecimal"
        raise PublicKeyError(
            "the public key must be 64 hexadecimal characters (the application's Public Key "
            f"in the developer portal): {what}"
        )
    return VerifyKey(bytes.fromhex(text))


def is_signed(
    key: VerifyKey, signature: str | None, timestamp: str | None, body: bytes, *, now: float
) -> bool:
    """Return whether Discord signed `body` at `timestamp`, and that was recently.

    The signature is Ed25519 over the timestamp's text followed by the body, as hex. A missing or
    malformed header counts as unsigned, and so does a timestamp more than
    `MAX_CLOCK_SKEW_SECONDS` away from `now`.
    """
    if not signature or not timestamp:
        return False
    try:
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
        signed_at = int(timestamp)
    except (BadSignatureError, ValueError, UnicodeEncodeError):
        return False
    return abs(now - signed_at) <= MAX_CLOCK_SKEW_SECONDS


class _TooLate:
    """What discord.py reads from an HTTP error: the answer came after Discord stopped waiting."""

    status = 404
    reason = "Not Found"


_RATE_LIMIT_LOCKS: weakref.WeakValueDictionary[Any, asyncio.Lock] = weakref.WeakValueDictionary()
"""discord.py's per-route rate-limit locks for the interaction webhooks."""


class _FirstResponse(AsyncWebhookAdapter):
    """One interaction's webhook adapter: its first response is the HTTP answer.

    discord.py sends every interaction response, followup and edit through the adapter in
    `async_context`; the endpoint sets this one around the interaction's dispatch, so the tasks
    that answer it inherit it. The first response is handed to the waiting request instead of
    POSTed to Discord; every later call goes to Discord as usual, once the answer is out.
    """

    def __init__(self) -> None:
        # Not discord.py's __init__, which makes a lock table for each adapter: every request's
        # shares one, as discord.py's one adapter serves every webhook.
        self._locks = _RATE_LIMIT_LOCKS
        self.body: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.answered = asyncio.Event()
        """Set once the HTTP answer is written (or abandoned): later calls may go to Discord."""

    async def create_interaction_response(  # type: ignore[override]
        self,
        interaction_id: int,
        token: str,
        *,
        session: aiohttp.ClientSession,
        proxy: str | None = None,
        proxy_auth: aiohttp.BasicAuth | None = None,
        params: Any,
    ) -> dict[str, Any]:
        """Hand the response to the waiting request, and return once it is written.

        Raises as Discord would when too late.
        """
        self.respond(params.payload or {})
        await self.answered.wait()
        return {"interaction": {"id": str(interaction_id)}}

    def respond(self, body: dict[str, Any]) -> None:
        """Make `body` the HTTP answer. Whatever goes to Discord next waits until it is written.

        Raises:
            discord.NotFound: too late: the request has been answered, or given up on.
        """
        if self.body.done():
            error = {"code": 10062, "message": "Unknown interaction"}
            raise discord.NotFound(_TooLate(), error)
        self.body.set_result(body)

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        """Send a followup or an edit to Discord, after the HTTP answer."""
        await self.answered.wait()
        return await super().request(route, session, **kwargs)


def build_app(
    bot: GuideBot,
    key: VerifyKey,
    *,
    token: str | None = None,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """Return the aiohttp application answering Discord's interactions for `bot`.

    The bot logs in over REST when the application starts (which loads its commands and click
    handlers) and closes when it stops; it never connects to the gateway. `GET /healthz` and
    `GET /metrics` are served on the same port.

    Args:
        bot: the client whose command tree and click handlers answer.
        key: the application's public key (see `verify_key`).
        token: the bot token to log in with; None when `bot` is logged in already.
        clock: the time now, in Unix seconds (tests move it).
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    answering: set[asyncio.Task[None]] = set()
    """Interactions being answered from their JSON (the event loop keeps only weak references)."""
    bot.responder.expire_walkthroughs = False  # stateless: nothing kept per message
    if token is not None:

        async def logged_in(_app: web.Application) -> AsyncIterator[None]:
            async with bot:
                await bot.login(token)
                yield

        app.cleanup_ctx.append(logged_in)

    async def interactions(request: web.Request) -> web.StreamResponse:
        body = await request.read()  # over MAX_BODY_BYTES: aiohttp answers 413
        headers = request.headers
        if not is_signed(
            key, headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER), body, now=clock()
        ):
            return web.Response(status=401, text="invalid request signature")
        try:
            payload = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), int):
            return web.Response(status=400, text="not an interaction")
        if payload["type"] == PING:
            return web.json_response(PONG)
        return await _answer(bot, request, payload, answering)

    app.router.add_post("/interactions", interactions)
    app.add_routes(metrics.routes(bot.metrics, lambda: health(bot)))
    return app


def health(bot: GuideBot) -> Health:
    """Return what /healthz reports for the endpoint: logged in, and serving a guide.

    There is no gateway, so no shard: `connected` means logged in over REST.
    """
    return replace(
        bot.health(),
        connected=bot.application_id is not None,
        shards_ready=0,
        shard_count=0,
        shards={},
    )


async def _answer(
    bot: GuideBot,
    request: web.Request,
    payload: dict[str, Any],
    answering: set[asyncio.Task[None]],
) -> web.StreamResponse:
    """Answer `payload`, from its JSON or through discord.py, with its first response."""
    adapter = _FirstResponse()
    context = async_context.set(adapter)  # the answering's tasks inherit it
    try:
        async with asyncio.timeout(ANSWER_DEADLINE_SECONDS):
            learner = learner_answer(bot, payload, _HttpExchange)
            if learner is None:
                # The very call a gateway INTERACTION_CREATE makes.
                bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
            else:
                bot.metrics.received(int(payload["id"]))
                task = asyncio.create_task(learner)
                answering.add(task)
                task.add_done_callback(answering.discard)
            answer = await adapter.body
    except (KeyError, TypeError, ValueError) as error:
        adapter.answered.set()
        log.warning("not an interaction that can be read: %r", error)
        return web.Response(status=400, text="not an interaction")
    except TimeoutError:
        adapter.answered.set()  # the answer, if one ever comes, is refused as too late
        log.warning(
            "interaction %s got no answer within %gs", payload.get("id"), ANSWER_DEADLINE_SECONDS
        )
        return web.Response(status=500, text="no answer in time")
    finally:
        async_context.reset(context)
    response = web.Response(
        body=json.dumps(answer, separators=(",", ":")).encode(),
        content_type="application/json",
    )
    try:
        await response.prepare(request)
        await response.write_eof()
        bot.metrics.responded(int(payload["id"]))
    finally:
        adapter.answered.set()
    return response


class _HttpExchange(JsonExchange):
    """An interaction POSTed to the endpoint: its one response is the HTTP answer."""

    async def _send_response(self, body: dict[str, Any], *, locate: bool) -> None:
        """Hand `body` to the waiting request, now.

        Discord's answer to it names no message, however it is asked (`locate`).
        """
        adapter = async_context.get()
        if not isinstance(adapter, _FirstResponse):
            raise TypeError("an HTTP interaction is answered only inside its request")
        adapter.respond(body)
