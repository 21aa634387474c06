"""Discord objects as the API sends them: snowflakes, users, members, channels, messages, commands.

The shapes follow Discord's OpenAPI response schemas (the emulator's own tests validate them) and
what discord.py 2.7 reads, so a parsed `Interaction` or `Message` behaves as it would in production.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Milliseconds from the Unix epoch to 2015-01-01, the zero of Discord's snowflakes."""

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
"""Upload limit Discord reports for a server without boosts."""

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADD_REACTIONS = 1 << 6
MANAGE_GUILD = 1 << 5
MANAGE_MESSAGES = 1 << 13
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
MEMBER_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
"""What an ordinary member may do in an ordinary text channel."""
APP_PERMISSIONS = MEMBER_PERMISSIONS
"""What the bot may do in the channel of an interaction (sent as `app_permissions`)."""

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_COMPONENTS_V2 = 1 << 15

# Message types.
DEFAULT_MESSAGE = 0
CHAT_INPUT_COMMAND_MESSAGE = 20

# Interaction callback types: how the bot answers.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8

# Interaction types.
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4
MODAL_SUBMIT = 5


_INCREMENTS = itertools.count()
"""One count for every factory of the process: two emulators made in the same millisecond (a
test running two bots) must not hand out the same server or channel ids."""


class SnowflakeFactory:
    """Make unique, time-ordered Discord IDs, as discord.py's `snowflake_time` expects."""

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F

    def __call__(self) -> str:
        """Return a new snowflake as Discord sends it: a decimal string."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        increment = next(_INCREMENTS) & 0xFFF
        return str((ms << 22) | (self._worker << 17) | increment)


def iso_now() -> str:
    """Return the current time as Discord formats timestamps."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    """Return an opaque interaction token shaped like Discord's (URL-safe, long)."""
    return f"{prefix}:{secrets.token_urlsafe(48)}"


def user(user_id: str, username: str, *, bot: bool = False) -> dict[str, Any]:
    """Return a user object."""
    payload: dict[str, Any] = {
        "id": user_id,
        "username": username,
        "global_name": None if bot else username.title(),
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        payload["bot"] = True
    return payload


def current_user(bot_user: Mapping[str, Any]) -> dict[str, Any]:
    """Return `GET /users/@me` for a bot: the user plus the account-only fields."""
    return {**bot_user, "mfa_enabled": True, "locale": "en-US", "verified": True, "email": None}


def member(user_payload: Mapping[str, Any], *, permissions: int | None = None) -> dict[str, Any]:
    """Return a guild member; `permissions` (total, in the channel) only comes in interactions."""
    payload: dict[str, Any] = {
        "user": dict(user_payload),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "unusual_dm_activity_until": None,
    }
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def application(
    app_id: str, bot_user: Mapping[str, Any], owner: Mapping[str, Any], *, flags: int
) -> dict[str, Any]:
    """Return `GET /oauth2/applications/@me`."""
    return {
        "id": app_id,
        "name": bot_user["username"],
        "icon": None,
        "description": "",
        "type": None,
        "bot": dict(bot_user),
        "summary": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": secrets.token_hex(32),
        "flags": flags,
        "flags_new": str(flags),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": dict(owner),
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
        "integration_types_config": {"0": {}},
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
    }


def text_channel(channel_id: str, guild_id: str, *, name: str = "general") -> dict[str, Any]:
    """Return a guild text channel as interactions carry it (with the user's permissions)."""
    return {
        "id": channel_id,
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
        "permissions": str(MEMBER_PERMISSIONS),
    }


def dm_channel(channel_id: str, recipient: Mapping[str, Any]) -> dict[str, Any]:
    """Return the DM channel between the bot and `recipient`."""
    return {
        "id": channel_id,
        "type": 1,
        "recipients": [dict(recipient)],
        "last_message_id": None,
        "flags": 0,
    }


def partial_guild(guild_id: str) -> dict[str, Any]:
    """Return the partial guild an interaction carries."""
    return {"id": guild_id, "locale": "en-US", "features": []}


def stored_embed(embed: Mapping[str, Any]) -> dict[str, Any]:
    """Return an embed as Discord echoes it back: with its type, without null members."""
    out = {key: value for key, value in embed.items() if value is not None}
    out.setdefault("type", "rich")
    return out


def message(
    *,
    message_id: str,
    channel_id: str,
    author: Mapping[str, Any],
    body: Mapping[str, Any],
    message_type: int = DEFAULT_MESSAGE,
    application_id: str | None = None,
    interaction_metadata: Mapping[str, Any] | None = None,
    interaction: Mapping[str, Any] | None = None,
    uploads: Mapping[int, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a message built from a create-message body (content, embeds, components, flags).

    `uploads` are the attachments made from the request's `files[n]` parts, by `n`.
    """
    payload: dict[str, Any] = {
        "id": message_id,
        "type": message_type,
        "channel_id": channel_id,
        "author": dict(author),
        "content": "",
        "embeds": [],
        "components": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "flags": 0,
    }
    if application_id is not None:
        payload["application_id"] = application_id
        payload["webhook_id"] = application_id
    if interaction_metadata is not None:
        payload["interaction_metadata"] = dict(interaction_metadata)
    if interaction is not None:
        payload["interaction"] = dict(interaction)
    apply_edit(payload, body, edited=False, uploads=uploads)
    return payload


def apply_edit(
    stored: dict[str, Any],
    body: Mapping[str, Any],
    *,
    edited: bool = True,
    uploads: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """Apply a create/edit-message body to a stored message, as Discord does.

    `uploads` are the attachments made from the request's `files[n]` parts, by `n`.
    """
    if body.get("content") is not None:
        stored["content"] = body["content"]
    if body.get("embeds") is not None:
        stored["embeds"] = [stored_embed(embed) for embed in body["embeds"]]
    if body.get("components") is not None:
        stored["components"] = number_components(body["components"])
    if body.get("attachments") is not None or uploads:
        stored["attachments"] = _attachments(stored["attachments"], body, uploads or {})
    if body.get("tts") is not None:
        stored["tts"] = bool(body["tts"])
    if body.get("flags") is not None:
        # Only EPHEMERAL (on creation), SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS and
        # IS_COMPONENTS_V2 can be set by the sender; LOADING clears on the first edit.
        stored["flags"] = int(body["flags"]) | (stored["flags"] & EPHEMERAL)
    if edited:
        stored["flags"] &= ~LOADING
        stored["edited_timestamp"] = iso_now()


def number_components(components: list[Any]) -> list[dict[str, Any]]:
    """Return a copy of `components` where each has an `id`, numbered as Discord does.

    Discord fills in the missing IDs with the next integers not taken, in document order.
    """
    copied = copy.deepcopy(components)
    flat = list(walk_components(copied))
    taken = {component["id"] for component in flat if isinstance(component.get("id"), int)}
    numbers = (number for number in itertools.count(1) if number not in taken)
    for component in flat:
        if component.get("id") is None:
            component["id"] = next(numbers)
    return copied


def walk_components(components: list[Any]) -> Iterator[dict[str, Any]]:
    """Yield every component, nested ones included (rows, sections' accessories, labels)."""
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


def _attachments(
    existing: list[dict[str, Any]],
    body: Mapping[str, Any],
    uploads: Mapping[int, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    # `attachments` lists what the message keeps: existing ones by their ID, new uploads by the
    # `n` of their `files[n]` part. Without it, every upload is added to what is there.
    by_id = {str(attachment["id"]): attachment for attachment in existing}
    wanted = body.get("attachments")
    if wanted is None:
        wanted = [{"id": key} for key in by_id] + [{"id": number} for number in uploads]
    kept = []
    for entry in wanted:
        key = str(entry.get("id"))
        if key in by_id:
            kept.append(by_id[key])
        elif key.isdigit() and int(key) in uploads:
            upload = dict(uploads[int(key)])
            if entry.get("description"):
                upload["description"] = entry["description"]
            kept.append(upload)
    return kept


def command(
    body: Mapping[str, Any],
    *,
    command_id: str,
    application_id: str,
    version: str,
    guild_id: str | None,
) -> dict[str, Any]:
    """Return a registered application command as Discord answers a create/overwrite."""
    command_type = body.get("type") or 1
    payload: dict[str, Any] = {
        "id": command_id,
        "application_id": application_id,
        "version": version,
        "default_member_permissions": _permissions_string(body.get("default_member_permissions")),
        "type": command_type,
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description") or "",
        "description_localizations": body.get("description_localizations"),
        "dm_permission": body.get("dm_permission", True),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types") or [0],
        "nsfw": bool(body.get("nsfw", False)),
    }
    if body.get("options"):
        payload["options"] = [dict(option) for option in body["options"]]
    if guild_id is not None:
        payload["guild_id"] = guild_id
    return payload


def _permissions_string(value: object) -> str | None:
    return None if value is None else str(value)
