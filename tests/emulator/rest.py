"""The REST half of the emulator: record each request, check it, inject faults, answer it.

Each request is recorded before anything else, then checked (route, Authorization, body against
the spec and the limits), then possibly failed by an injected fault, then answered from the
emulator's store of commands, interactions and messages the way Discord would.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from tests.emulator import payloads
from tests.emulator.payloads import APPLICATION_COMMAND, EPHEMERAL, LOADING, MESSAGE_COMPONENT
from tests.emulator.records import Fault, InteractionState, RecordedRequest
from tests.emulator.validation import (
    CALLBACK,
    CHANNEL_MESSAGE,
    CHANNEL_MESSAGES,
    GLOBAL_COMMAND,
    GLOBAL_COMMANDS,
    GUILD_COMMAND,
    GUILD_COMMANDS,
    WEBHOOK,
    WEBHOOK_MESSAGE,
    WEBHOOK_ORIGINAL,
    Problem,
    invalid_form_body,
    json_path,
    limit_problems,
)

if TYPE_CHECKING:
    from tests.emulator.emulator import DiscordEmulator

API_PREFIX = "/api/v10"
Reply = tuple[int, Any]
Handler = Callable[[RecordedRequest, dict[str, str]], Awaitable[Reply]]

# Which callback types Discord accepts for which interaction type.
_CALLBACKS_FOR = {
    payloads.PING: {1},
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    payloads.APPLICATION_COMMAND_AUTOCOMPLETE: {8},
    payloads.MODAL_SUBMIT: {4, 5, 6, 7},
}


def _error(status: int, code: int, message: str) -> Reply:
    return status, {"message": message, "code": code}


class RestApi:
    """Serves `/api/v10/...` for one emulator."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.routes = self._handlers()
        """The emulated operations: (method, OpenAPI path template) -> handler."""

    # --- Recording, checking, faults ---------------------------------------------------------

    async def handle_stray(self, request: web.Request) -> web.Response:
        """Answer a request outside `/api/v10` (recorded, and a violation)."""
        record = await self._record(request, request.path)
        record.handled = False
        self.emu.violate("protocol", "request outside /api/v10", record)
        return self._respond(record, 404, {"message": "404: Not Found", "code": 0})

    async def handle(self, request: web.Request) -> web.Response:
        """Record, check, maybe fail, and answer one API request."""
        record = await self._record(request, request.path[len(API_PREFIX) :])
        return await self.answer(record)

    async def answer(self, record: RecordedRequest) -> web.Response:
        """Check, maybe fail, and answer a recorded request (also an endpoint's HTTP answer)."""
        matched = self.emu.validator.match(record.method, record.path)
        if matched is None:
            record.handled = False
            self.emu.violate("spec", "not an operation in Discord's OpenAPI description", record)
            return self._respond(record, 404, {"message": "404: Not Found", "code": 0})
        operation, params = matched
        record.route, record.params = operation.template, params

        if record.authorization != "bot token" and not (
            operation.auth_optional and record.authorization == "absent"
        ):
            self.emu.violate("protocol", f"Authorization header is {record.authorization}", record)
            return self._respond(record, 401, {"message": "401: Unauthorized", "code": 0})

        problems: list[Problem] = []
        if record.json is not None:
            problems = self.emu.validator.check_request(operation, record.json)
            problems += limit_problems(record.method, operation.template, record.json)
        elif operation.body_required and record.method in {"POST", "PUT", "PATCH"}:
            problems = [Problem("spec", (), "the request needs a JSON body")]
        record.problems = problems
        for problem in problems:
            self.emu.violate(problem.kind, f"{json_path(problem.path)}: {problem.message}", record)

        fault = self.emu.take_fault(record)
        if fault is not None:
            record.fault = fault.describe()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status is not None and not fault.processed:
                return self._fault_response(fault, record)

        rejected = [problem for problem in problems if problem.kind in {"spec", "limit"}]
        if rejected and self.emu.reject_invalid:
            return self._respond(record, 400, invalid_form_body(rejected))

        handler = self.routes.get((record.method, operation.template))
        if handler is None:
            record.handled = False
            status, body = _error(404, 0, "404: Not Found")
        else:
            status, body = await handler(record, params)
        if fault is not None and fault.status is not None:
            return self._fault_response(fault, record)
        return self._respond(record, status, body)

    async def _record(self, request: web.Request, path: str) -> RecordedRequest:
        received = time.monotonic()
        auth = request.headers.get("Authorization")
        if auth is None:
            authorization = "absent"
        elif auth == f"Bot {self.emu.token}":
            authorization = "bot token"
        else:
            authorization = "wrong"
        record = RecordedRequest(
            index=len(self.emu.requests),
            method=request.method,
            path=path,
            query=dict(request.query),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            authorization=authorization,
            received_at=received,
        )
        self.emu.requests.append(record)
        if request.content_type == "multipart/form-data":
            await self._read_multipart(request, record)
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                try:
                    record.json = json.loads(raw)
                except ValueError:
                    self.emu.violate("protocol", "the body is not valid JSON", record)
        self.emu.notify()
        return record

    async def _read_multipart(self, request: web.Request, record: RecordedRequest) -> None:
        # discord.py sends files as multipart: the JSON in `payload_json`, then `files[n]`.
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue
            content = await part.read()
            if part.name == "payload_json":
                record.json = json.loads(content)
            else:
                record.files.append(
                    {
                        "name": part.name,
                        "filename": part.filename,
                        "content_type": part.headers.get("Content-Type"),
                        "size": len(content),
                    }
                )

    def _respond(
        self,
        record: RecordedRequest,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        record.status, record.response = status, body
        record.responded_at = time.monotonic()
        self.emu.notify()
        if headers is None:
            # A bucket with room to spare: discord.py reads these and would wait at 0.
            headers = {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                "X-RateLimit-Reset-After": "1.000",
                "X-RateLimit-Bucket": _bucket(record),
                "Via": "1.1 google",
            }
        if body is None:
            return web.Response(status=204, headers=headers)
        # Exactly `application/json`, no charset: discord.py's json_or_text compares the whole
        # header and would hand the bot a str otherwise.
        return web.Response(
            body=json.dumps(body).encode(),
            status=status,
            headers={**headers, "Content-Type": "application/json"},
        )

    def _fault_response(self, fault: Fault, record: RecordedRequest) -> web.Response:
        assert fault.status is not None
        if fault.status != 429:
            body = fault.body or {"message": f"{fault.status}: Emulated failure", "code": 0}
            return self._respond(record, fault.status, body)
        body = fault.body or {
            "message": "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.is_global,
        }
        headers = {
            "Retry-After": str(math.ceil(fault.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
            "X-RateLimit-Bucket": _bucket(record),
            "X-RateLimit-Scope": "global" if fault.is_global else "user",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        if fault.via:
            headers["Via"] = "1.1 google"
        return self._respond(record, 429, body, headers)

    def _handlers(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/users/@me"): self._get_me,
            ("GET", "/gateway"): self._get_gateway,
            ("GET", "/gateway/bot"): self._get_gateway_bot,
            ("GET", "/oauth2/applications/@me"): self._get_application,
            ("GET", "/applications/@me"): self._get_application,
            ("GET", GLOBAL_COMMANDS): self._list_commands,
            ("GET", GUILD_COMMANDS): self._list_commands,
            ("PUT", GLOBAL_COMMANDS): self._put_commands,
            ("PUT", GUILD_COMMANDS): self._put_commands,
            ("POST", GLOBAL_COMMANDS): self._post_command,
            ("POST", GUILD_COMMANDS): self._post_command,
            ("GET", GLOBAL_COMMAND): self._get_command,
            ("GET", GUILD_COMMAND): self._get_command,
            ("PATCH", GLOBAL_COMMAND): self._patch_command,
            ("PATCH", GUILD_COMMAND): self._patch_command,
            ("DELETE", GLOBAL_COMMAND): self._delete_command,
            ("DELETE", GUILD_COMMAND): self._delete_command,
            ("POST", CALLBACK): self._callback,
            ("POST", WEBHOOK): self._followup,
            ("GET", WEBHOOK_ORIGINAL): self._webhook_message,
            ("PATCH", WEBHOOK_ORIGINAL): self._webhook_message,
            ("DELETE", WEBHOOK_ORIGINAL): self._webhook_message,
            ("GET", WEBHOOK_MESSAGE): self._webhook_message,
            ("PATCH", WEBHOOK_MESSAGE): self._webhook_message,
            ("DELETE", WEBHOOK_MESSAGE): self._webhook_message,
            ("POST", CHANNEL_MESSAGES): self._channel_post,
            ("GET", CHANNEL_MESSAGE): self._channel_message,
            ("PATCH", CHANNEL_MESSAGE): self._channel_message,
            ("DELETE", CHANNEL_MESSAGE): self._channel_message,
        }

    # --- Handlers ---------------------------------------------------------------------------

    async def _get_me(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        return 200, payloads.current_user(self.emu.bot_user)

    async def _get_gateway(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        return 200, {"url": self.emu.gateway_url}

    async def _get_gateway_bot(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        remaining = max(0, 1000 - len(self.emu.gateway.identifies))
        limit = {
            "total": 1000,
            "remaining": remaining,
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        }
        gateway = {"url": self.emu.gateway_url, "shards": self.emu.gateway.recommended_shards}
        return 200, {**gateway, "session_start_limit": limit}

    async def _get_application(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        return 200, payloads.application(
            self.emu.application_id,
            self.emu.bot_user,
            self.emu.owner,
            flags=self.emu.application_flags,
        )

    def _scope(self, params: Mapping[str, str]) -> tuple[str | None, Reply | None]:
        if params["application_id"] != self.emu.application_id:
            return None, _error(403, 50001, "Missing Access")
        guild_id = params.get("guild_id")
        if guild_id is not None and guild_id != self.emu.guild_id:
            return None, _error(403, 50001, "Missing Access")
        return guild_id, None

    async def _list_commands(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, error = self._scope(params)
        return error or (200, self.emu.commands(guild_id))

    async def _put_commands(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, error = self._scope(params)
        if error:
            return error
        old = self.emu.command_store.get(guild_id, {})
        new: dict[tuple[int, str], dict[str, Any]] = {}
        for body in record.json or []:
            new[(body.get("type") or 1, body["name"])] = self._registered(body, guild_id, old)
        self.emu.command_store[guild_id] = new
        self.emu.command_syncs.append((guild_id, [entry["name"] for entry in new.values()]))
        return 200, list(new.values())

    def _registered(
        self, body: Mapping[str, Any], guild_id: str | None, old: Mapping[tuple[int, str], Any]
    ) -> dict[str, Any]:
        # Discord keeps a command's ID across overwrites that keep its name and type.
        previous = old.get((body.get("type") or 1, body["name"]))
        return payloads.command(
            body,
            command_id=previous["id"] if previous else self.emu.snowflake(),
            application_id=self.emu.application_id,
            version=self.emu.snowflake(),
            guild_id=guild_id,
        )

    async def _post_command(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, error = self._scope(params)
        if error:
            return error
        body = record.json or {}
        scope = self.emu.command_store.setdefault(guild_id, {})
        key = (body.get("type") or 1, body.get("name", ""))
        existed = key in scope
        scope[key] = self._registered(body, guild_id, scope)
        return (200 if existed else 201), scope[key]

    def _find_command(self, params: Mapping[str, str]) -> tuple[str | None, tuple[int, str] | None]:
        guild_id = params.get("guild_id")
        for key, entry in self.emu.command_store.get(guild_id, {}).items():
            if entry["id"] == params["command_id"]:
                return guild_id, key
        return guild_id, None

    async def _get_command(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, key = self._find_command(params)
        if key is None:
            return _error(404, 10063, "Unknown application command")
        return 200, self.emu.command_store[guild_id][key]

    async def _patch_command(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, key = self._find_command(params)
        if key is None:
            return _error(404, 10063, "Unknown application command")
        merged = {**self.emu.command_store[guild_id][key], **(record.json or {})}
        del self.emu.command_store[guild_id][key]
        entry = self._registered(merged, guild_id, {key: {"id": params["command_id"]}})
        self.emu.command_store[guild_id][(entry["type"], entry["name"])] = entry
        return 200, entry

    async def _delete_command(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        guild_id, key = self._find_command(params)
        if key is None:
            return _error(404, 10063, "Unknown application command")
        del self.emu.command_store[guild_id][key]
        return 204, None

    # Interactions

    async def _callback(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state = self.emu.interactions.get(params["interaction_id"])
        if state is None or state.token != params["interaction_token"]:
            return _error(404, 10062, "Unknown interaction")
        if state.acknowledged is not None:
            self.emu.violate("protocol", f"interaction {state.id} was acknowledged twice", record)
            return _error(400, 40060, "Interaction has already been acknowledged.")
        elapsed = record.received_at - state.sent_at
        if elapsed > self.emu.response_deadline:
            self.emu.violate(
                "protocol",
                f"first response to interaction {state.id} came after {elapsed:.2f}s, past the "
                f"{self.emu.response_deadline:g}s deadline (users see 'The application did not "
                "respond')",
                record,
            )
            return _error(404, 10062, "Unknown interaction")
        body = record.json if isinstance(record.json, Mapping) else {}
        kind = body.get("type")
        data = body.get("data") or {}
        itype = state.payload["type"]
        if kind not in _CALLBACKS_FOR.get(itype, set()):
            why = f"callback type {kind!r} is not allowed for interaction type {itype}"
            self.emu.violate("protocol", why, record)
            return 400, invalid_form_body([Problem("spec", ("type",), why)])
        resource = None
        info: dict[str, Any] = {"id": state.id, "type": itype}
        if kind in {4, 5}:
            flags = int(data.get("flags") or 0)
            if kind == 5:
                # A deferred answer is a "thinking" message until its first edit or followup.
                flags = (flags & EPHEMERAL) | LOADING
            message = self._create_message(
                state, data if kind == 4 else {}, flags=flags, uploads=self._uploads(record)
            )
            state.original_message_id = message["id"]
            info.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            resource = message if kind == 4 else None
        elif kind in {6, 7}:
            source = state.payload.get("message")
            if source is None:
                return 400, invalid_form_body([Problem("spec", ("type",), "no message to update")])
            stored = self.emu.messages.setdefault(source["id"], copy.deepcopy(source))
            state.original_message_id = stored["id"]
            if kind == 7:
                payloads.apply_edit(stored, data, uploads=self._uploads(record))
                resource = stored
                info.update(
                    response_message_id=stored["id"],
                    response_message_loading=False,
                    response_message_ephemeral=bool(stored["flags"] & EPHEMERAL),
                )
        elif kind == 8:
            state.choices = list(data.get("choices") or [])
        elif kind == 9:
            state.modal = dict(data)
        state.acknowledged = kind
        if record.query.get("with_response", "").lower() not in {"1", "true"}:
            return 204, None
        reply: dict[str, Any] = {"interaction": info}
        if resource is not None:
            # Only message-creating and message-updating answers carry a resource (the spec's
            # CreateMessage/UpdateMessageInteractionCallbackResponse).
            reply["resource"] = {"type": kind, "message": copy.deepcopy(resource)}
        return 200, reply

    def _create_message(
        self,
        state: InteractionState,
        body: Mapping[str, Any],
        *,
        flags: int,
        uploads: Mapping[int, Mapping[str, Any]],
        followup: bool = False,
    ) -> dict[str, Any]:
        source = state.payload
        metadata: dict[str, Any] = {
            "id": state.id,
            "type": source["type"],
            "user": state.user,
            "authorizing_integration_owners": source["authorizing_integration_owners"],
        }
        legacy = None
        if source["type"] == APPLICATION_COMMAND:
            metadata["name"] = source["data"]["name"]
            metadata["command_type"] = source["data"].get("type", 1)
            legacy = {
                "id": state.id,
                "type": source["type"],
                "name": source["data"]["name"],
                "user": state.user,
            }
        elif source["type"] == MESSAGE_COMPONENT:
            metadata["interacted_message_id"] = source["message"]["id"]
        if followup and state.original_message_id is not None:
            metadata["original_response_message_id"] = state.original_message_id
        message = payloads.message(
            message_id=self.emu.snowflake(),
            channel_id=source["channel_id"],
            author=self.emu.bot_user,
            body={**body, "flags": flags},
            message_type=payloads.CHAT_INPUT_COMMAND_MESSAGE
            if source["type"] == APPLICATION_COMMAND
            else payloads.DEFAULT_MESSAGE,
            application_id=self.emu.application_id,
            interaction_metadata=metadata,
            interaction=legacy,
            uploads=uploads,
        )
        self.emu.messages[message["id"]] = message
        self.emu.message_places[message["id"]] = (source.get("guild_id"), source["channel_id"])
        return message

    def _uploads(self, record: RecordedRequest) -> dict[int, dict[str, Any]]:
        """Return attachments for the request's `files[n]` parts, by `n`."""
        uploads = {}
        for part in record.files:
            name = part["name"] or ""
            if not (name.startswith("files[") and name.endswith("]") and name[6:-1].isdigit()):
                continue
            attachment_id = self.emu.snowflake()
            filename = part["filename"] or "unknown"
            url = f"{self.emu.base_url}/attachments/{attachment_id}/{filename}"
            uploads[int(name[6:-1])] = {
                "id": attachment_id,
                "filename": filename,
                "size": part["size"],
                "url": url,
                "proxy_url": url,
                "content_type": part["content_type"] or "application/octet-stream",
            }
        return uploads

    async def _webhook_state(
        self, params: Mapping[str, str]
    ) -> tuple[InteractionState | None, Reply | None]:
        if params["webhook_id"] != self.emu.application_id:
            return None, _error(404, 10015, "Unknown Webhook")
        state = next(
            (s for s in self.emu.interactions.values() if s.token == params["webhook_token"]), None
        )
        if state is not None and state.http_answered is not None:
            # An endpoint writes its answer before it uses the webhook; let the answer land.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.emu.response_deadline):
                    await state.http_answered.wait()
        if state is None or state.acknowledged is None:
            return None, _error(404, 10015, "Unknown Webhook")
        if time.monotonic() - state.sent_at > self.emu.token_lifetime:
            return None, _error(401, 50027, "Invalid Webhook Token")
        return state, None

    async def _followup(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state, error = await self._webhook_state(params)
        if error:
            return error
        assert state is not None
        body = record.json if isinstance(record.json, Mapping) else {}
        original = self.emu.messages.get(state.original_message_id or "")
        if original is not None and original["flags"] & LOADING:
            # The first followup after a deferred "thinking" response replaces that message.
            payloads.apply_edit(original, body, uploads=self._uploads(record))
            message = original
        else:
            message = self._create_message(
                state,
                body,
                flags=int(body.get("flags") or 0),
                uploads=self._uploads(record),
                followup=True,
            )
            state.followup_ids.append(message["id"])
        if record.query.get("wait", "").lower() not in {"1", "true"}:
            return 204, None
        return 200, copy.deepcopy(message)

    async def _webhook_message(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        state, error = await self._webhook_state(params)
        if error:
            return error
        assert state is not None
        message_id = params.get("message_id", state.original_message_id)
        if message_id not in {state.original_message_id, *state.followup_ids}:
            return _error(404, 10008, "Unknown Message")
        message = self.emu.messages.get(message_id or "")
        if message is None:
            return _error(404, 10008, "Unknown Message")
        return self._get_edit_or_delete(record, message)

    async def _channel_post(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        body = record.json if isinstance(record.json, Mapping) else {}
        message = payloads.message(
            message_id=self.emu.snowflake(),
            channel_id=params["channel_id"],
            author=self.emu.bot_user,
            body=body,
            uploads=self._uploads(record),
        )
        self.emu.messages[message["id"]] = message
        self.emu.message_places[message["id"]] = (self.emu.guild_id, params["channel_id"])
        return 200, copy.deepcopy(message)

    async def _channel_message(self, record: RecordedRequest, params: dict[str, str]) -> Reply:
        message = self.emu.messages.get(params["message_id"])
        if (
            message is None
            or message["channel_id"] != params["channel_id"]
            or message["flags"] & EPHEMERAL
        ):
            return _error(404, 10008, "Unknown Message")
        return self._get_edit_or_delete(record, message)

    def _get_edit_or_delete(self, record: RecordedRequest, message: dict[str, Any]) -> Reply:
        if record.method == "DELETE":
            self.emu.deleted_messages[message["id"]] = self.emu.messages.pop(message["id"])
            return 204, None
        if record.method == "PATCH":
            payloads.apply_edit(message, record.json or {}, uploads=self._uploads(record))
        return 200, copy.deepcopy(message)


def _bucket(record: RecordedRequest) -> str:
    route = (record.route or record.path).encode()
    return hashlib.sha1(route, usedforsecurity=False).hexdigest()[:32]
