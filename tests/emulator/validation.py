"""Check what the bot sends against Discord's OpenAPI description and its documented limits.

Two layers, because neither is enough alone:
- the OpenAPI 3.1 schemas from `discord/discord-api-spec` (types, required members, many lengths);
- the limits Discord documents but the spec does not carry (the 6000-character embed total, five
  buttons a row, 100-character choice values, lowercase command names...).

Each problem is a `Problem` with the JSON path, so the emulator can both list it as a violation and
answer the request with the 400 "Invalid Form Body" (code 50035) Discord would send.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.exceptions
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_ENV = "DISCORD_API_SPEC"
"""Environment variable naming another openapi.json, for someone who wants a newer one."""
SPEC_PATH = Path(__file__).resolve().parent / "discord-api-spec" / "openapi.json"
"""The copy kept in the repository (MIT; see `discord-api-spec/SOURCE.md` and `LICENSE`)."""
_SPEC_URI = "urn:discord-api-spec:openapi.json"
MAX_VERDICTS = 10_000
"""How many checked bodies the validator remembers; past that it starts afresh."""

# Documented limits (https://discord.com/developers/docs/resources/message,
# .../interactions/receiving-and-responding, .../interactions/application-commands,
# .../components/reference).
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
EMBED_FIELD_NAME_LIMIT = 256
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_AUTHOR_NAME_LIMIT = 256
ACTION_ROWS_LIMIT = 5
BUTTONS_PER_ROW_LIMIT = 5
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
SELECT_OPTIONS_LIMIT = 25
SELECT_OPTION_TEXT_LIMIT = 100
SELECT_PLACEHOLDER_LIMIT = 150
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100
CHOICE_VALUE_LIMIT = 100
COMMAND_NAME_LIMIT = 32
COMMAND_DESCRIPTION_LIMIT = 100
COMMAND_OPTIONS_LIMIT = 25
COMMAND_TOTAL_CHARACTERS_LIMIT = 4000
CHAT_INPUT_COMMANDS_LIMIT = 100
CONTEXT_MENU_COMMANDS_LIMIT = 15
MODAL_TITLE_LIMIT = 45
MODAL_COMPONENTS_LIMIT = 5
TEXT_INPUT_LABEL_LIMIT = 45

LINK_BUTTON = 5
PREMIUM_BUTTON = 6
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_INTEGER_STRING = re.compile(r"-?[0-9]+")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request body."""

    kind: str
    """`spec` (OpenAPI schema), `limit` (documented limit) or `policy` (our own rule)."""
    path: tuple[str | int, ...]
    """Where in the body, as JSON keys and indexes."""
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {json_path(self.path)}: {self.message}"


def json_path(path: Sequence[str | int]) -> str:
    """Return `path` as `$.data.embeds[0].title`."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def invalid_form_body(problems: Sequence[Problem]) -> dict[str, Any]:
    """Return Discord's 400 body for `problems`: code 50035 with errors nested by path."""
    errors: dict[str, Any] = {}
    for problem in problems:
        node = errors
        for part in problem.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append(
            {"code": f"EMULATOR_{problem.kind.upper()}", "message": problem.message}
        )
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


# --- The OpenAPI description ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """One method on one path template of the spec."""

    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    spec: Mapping[str, Any]

    @property
    def auth_optional(self) -> bool:
        """Whether the operation may be called without a bot token (interaction webhooks)."""
        return any(not requirement for requirement in self.spec.get("security", [{}]))

    @property
    def body_required(self) -> bool:
        """Whether the operation requires a request body."""
        return bool(self.spec.get("requestBody", {}).get("required"))

    def body_pointer(self) -> str | None:
        """Return the JSON pointer to the JSON request-body schema, if any."""
        if "application/json" not in self.spec.get("requestBody", {}).get("content", {}):
            return None
        path = self.template.replace("~", "~0").replace("/", "~1")
        method = self.method.lower()
        return f"#/paths/{path}/{method}/requestBody/content/application~1json/schema"

    def response_pointer(self, status: int) -> str | None:
        """Return the JSON pointer to the response schema for `status`, if the spec has one."""
        responses = self.spec.get("responses", {})
        code = str(status)
        if code not in responses:
            return None
        if "application/json" not in responses[code].get("content", {}):
            return None
        path = self.template.replace("~", "~0").replace("/", "~1")
        method = self.method.lower()
        return f"#/paths/{path}/{method}/responses/{code}/content/application~1json/schema"


class SpecValidator:
    """Match requests to the spec's operations and validate bodies against their schemas."""

    @classmethod
    def shared(cls, spec_path: Path | None = None) -> SpecValidator:
        """Return the one validator of the spec at `spec_path` (see `__init__`) for every emulator.

        Its schemas are compiled and its verdicts remembered once per process, not once per
        emulator: at every bot's start-up, checking its commands against a freshly made
        validator took the emulator 22 ms (bench.e2e counted it as the bot's start-up).
        """
        path = spec_path or Path(os.environ.get(SPEC_ENV) or SPEC_PATH)
        return _shared(path.resolve())

    def __init__(self, spec_path: Path | None = None) -> None:
        self.spec_path = spec_path or Path(os.environ.get(SPEC_ENV) or SPEC_PATH)
        if not self.spec_path.is_file():
            raise FileNotFoundError(
                f"Discord's OpenAPI description is not at {self.spec_path}: "
                f"set {SPEC_ENV} to an openapi.json"
            )
        spec = _load_spec(self.spec_path)
        self.spec = spec
        self._operations = sorted(
            _operations(spec), key=lambda op: (-op.literal_segments, op.template)
        )
        self._registry = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(_relaxed(spec), default_specification=DRAFT202012)
        )
        self._validators: dict[str, Any] = {}
        self._verdicts: dict[tuple[str, str], tuple[Problem, ...]] = {}
        """The problems of each body already checked, by schema and JSON text."""

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """Return the operation for `method path` and its path parameters, or None."""
        for operation in self._operations:
            if operation.method != method.upper():
                continue
            found = operation.pattern.fullmatch(path)
            if found:
                return operation, found.groupdict()
        return None

    def check_request(self, operation: Operation, body: object) -> list[Problem]:
        """Return the problems of `body` against the operation's JSON request-body schema."""
        pointer = operation.body_pointer()
        if pointer is None:
            return []
        return self._check(pointer, body)

    def check_response(self, operation: Operation, status: int, body: object) -> list[Problem]:
        """Return the problems of a response body (for checking the emulator itself)."""
        pointer = operation.response_pointer(status)
        if pointer is None:
            return []
        return self._check(pointer, body)

    def _check(self, pointer: str, instance: object) -> list[Problem]:
        """Return the problems of `instance` against the schema at `pointer`.

        A body already checked is not checked again: the same JSON has the same problems, and
        checking a message with components against the spec takes milliseconds (4.5 ms for a
        card against 0.6 ms for one bare embed), work done on the bot's own cores that, in
        `bench.e2e`, made the bot's CPU per interaction look higher than it is.
        """
        key = (pointer, json.dumps(instance, sort_keys=True))
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            verdict = self._verdicts[key] = tuple(self._validate(pointer, instance))
        return list(verdict)

    def _validate(self, pointer: str, instance: object) -> list[Problem]:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": _SPEC_URI + pointer}
            validator = Draft202012Validator(schema, registry=self._registry)
            self._validators[pointer] = validator
        problems = []
        for error in validator.iter_errors(instance):
            problems.extend(
                Problem("spec", tuple(leaf.absolute_path), _describe(leaf))
                for leaf in _leaf_errors(error)
            )
        return _unique(problems)


@functools.cache
def _shared(path: Path) -> SpecValidator:
    return SpecValidator(path)


@functools.cache
def _load_spec(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _operations(spec: Mapping[str, Any]) -> Iterator[Operation]:
    for template, item in spec["paths"].items():
        segments = template.strip("/").split("/")
        regex = "/" + "/".join(
            f"(?P<{segment[1:-1]}>[^/]+)" if segment.startswith("{") else re.escape(segment)
            for segment in segments
        )
        literal = sum(not segment.startswith("{") for segment in segments)
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                yield Operation(method.upper(), template, re.compile(regex), literal, operation)


_BITFIELD_PROPERTIES = frozenset({"default_member_permissions", "permissions", "allow", "deny"})


def _relaxed(spec: dict[str, Any]) -> dict[str, Any]:
    """Return the spec with two documented leniencies of the API, which discord.py relies on.

    - Snowflakes are strings in the spec, but Discord takes JSON integers too, and discord.py
      sends some that way (the user IDs of allowed_mentions, for one).
    - Permission bitfields are integers in the spec, but Discord's README says int-parseable
      strings are accepted where the docs say string, and discord.py sends them as strings.
    """
    schemas = dict(spec["components"]["schemas"])
    schemas["SnowflakeType"] = {
        "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
    }
    int_string = {"type": "string", "pattern": "^[0-9]+$"}
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        widened = {
            key: {"anyOf": [value, int_string]}
            for key, value in properties.items()
            if key in _BITFIELD_PROPERTIES and "integer" in _types(value)
        }
        if widened:
            schemas[name] = {**schema, "properties": {**properties, **widened}}
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _leaf_errors(
    error: jsonschema.exceptions.ValidationError,
) -> list[jsonschema.exceptions.ValidationError]:
    """Descend from a failed anyOf/oneOf into the branch that was meant, when it can be told.

    A branch was not meant when it fails on its discriminator (`type` has the wrong enum or const
    value) or on the instance's own JSON type (the `{"type": "null"}` arm of nullable members).
    """
    if error.validator not in {"anyOf", "oneOf"} or not error.context:
        return [error]
    branches: dict[object, list[jsonschema.exceptions.ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    meant = [errors for errors in branches.values() if not any(map(_misses_branch, errors))]
    if not meant:
        return [_no_branch(error)]
    if len(meant) == 1:
        return [leaf for sub in meant[0] for leaf in _leaf_errors(sub)]
    best = jsonschema.exceptions.best_match([sub for errors in meant for sub in errors])
    return _leaf_errors(best) if best is not None else [error]


def _no_branch(
    error: jsonschema.exceptions.ValidationError,
) -> jsonschema.exceptions.ValidationError:
    # No branch fits even by its discriminator: name every accepted `type`, or else the JSON
    # types that were expected.
    kinds: list[object] = []
    for sub in error.context or ():
        if sub.validator in {"enum", "const"} and list(sub.relative_path) == ["type"]:
            values = sub.validator_value if sub.validator == "enum" else [sub.validator_value]
            kinds.extend(value for value in values if value not in kinds)
    if kinds and isinstance(error.instance, Mapping):
        return jsonschema.exceptions.ValidationError(
            f"type {error.instance.get('type')!r} is not one of {sorted(kinds, key=str)}",
            path=[*error.absolute_path, "type"],
        )
    best = jsonschema.exceptions.best_match(error.context or ())
    return best if best is not None else error


def _misses_branch(error: jsonschema.exceptions.ValidationError) -> bool:
    relative = list(error.relative_path)
    if error.validator == "type" and not relative:
        return True
    return error.validator in {"enum", "const"} and relative == ["type"]


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    value = error.validator_value
    instance = error.instance
    match error.validator:
        case "maxLength":
            return f"{len(instance)} characters, more than the {value} allowed"
        case "minLength":
            return f"{len(instance)} characters, fewer than the {value} required"
        case "maxItems":
            return f"{len(instance)} items, more than the {value} allowed"
        case "minItems":
            return f"{len(instance)} items, fewer than the {value} required"
        case "required" | None:
            return error.message
        case "type":
            return f"{_short(repr(instance))} is not of type {value}"
        case "enum":
            return f"{_short(repr(instance))} is not one of {value}"
    return _short(error.message, 300)


def _short(value: object, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --- Documented limits --------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def message_problems(
    body: Mapping[str, Any], path: Path_ = (), *, creates: bool = False
) -> list[Problem]:
    """Return the limit problems of a create/edit-message body.

    Args:
        body: the JSON body (or the `data` of an interaction callback).
        path: where `body` sits in the request, for the problem paths.
        creates: the body creates a message, so our policy wants `allowed_mentions` in it.
    """
    problems: list[Problem] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        problems.append(_too_long((*path, "content"), content, CONTENT_LIMIT))
    embeds = body.get("embeds") or []
    if isinstance(embeds, list):
        problems.extend(_embeds_problems(embeds, (*path, "embeds")))
    components = body.get("components") or []
    flags = body.get("flags") or 0
    if isinstance(components, list) and not (_as_int(flags) & (1 << 15)):
        problems.extend(_action_rows_problems(components, (*path, "components")))
    if creates and "allowed_mentions" not in body:
        problems.append(
            Problem(
                "policy",
                (*path, "allowed_mentions"),
                "missing: set allowed_mentions (e.g. AllowedMentions.none()) on every message",
            )
        )
    return problems


def _embeds_problems(embeds: list[Any], path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    if len(embeds) > EMBEDS_LIMIT:
        problems.append(_too_many(path, embeds, EMBEDS_LIMIT, "embeds"))
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            continue
        where = (*path, index)
        texts: list[tuple[Path_, object, int]] = [
            ((*where, "title"), embed.get("title"), EMBED_TITLE_LIMIT),
            ((*where, "description"), embed.get("description"), EMBED_DESCRIPTION_LIMIT),
        ]
        footer = embed.get("footer")
        if isinstance(footer, Mapping):
            texts.append(((*where, "footer", "text"), footer.get("text"), EMBED_FOOTER_LIMIT))
        author = embed.get("author")
        if isinstance(author, Mapping):
            texts.append(((*where, "author", "name"), author.get("name"), EMBED_AUTHOR_NAME_LIMIT))
        fields = embed.get("fields") or []
        if isinstance(fields, list):
            if len(fields) > EMBED_FIELDS_LIMIT:
                problems.append(_too_many((*where, "fields"), fields, EMBED_FIELDS_LIMIT, "fields"))
            for number, field in enumerate(fields):
                if not isinstance(field, Mapping):
                    continue
                at = (*where, "fields", number)
                for key, limit in (
                    ("name", EMBED_FIELD_NAME_LIMIT),
                    ("value", EMBED_FIELD_VALUE_LIMIT),
                ):
                    text = field.get(key)
                    if not isinstance(text, str) or not text.strip():
                        problems.append(Problem("limit", (*at, key), "must be a non-empty string"))
                    texts.append(((*at, key), text, limit))
        for at, text, limit in texts:
            if isinstance(text, str):
                total += len(text)
                if len(text) > limit:
                    problems.append(_too_long(at, text, limit))
    if total > EMBED_TOTAL_LIMIT:
        problems.append(
            Problem(
                "limit",
                path,
                f"{total} characters across the embeds' titles, descriptions, fields, footers "
                f"and author names, more than the {EMBED_TOTAL_LIMIT} allowed",
            )
        )
    return problems


def _action_rows_problems(rows: list[Any], path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    if len(rows) > ACTION_ROWS_LIMIT:
        problems.append(_too_many(path, rows, ACTION_ROWS_LIMIT, "action rows"))
    custom_ids: dict[str, Path_] = {}
    for index, row in enumerate(rows):
        where = (*path, index)
        if not isinstance(row, Mapping) or row.get("type") != 1:
            problems.append(
                Problem("limit", where, "top-level components must be action rows (type 1)")
            )
            continue
        children = row.get("components") or []
        if not children:
            problems.append(Problem("limit", (*where, "components"), "an action row is empty"))
        kinds = {child.get("type") for child in children if isinstance(child, Mapping)}
        if kinds & SELECT_TYPES and len(children) > 1:
            problems.append(
                Problem("limit", (*where, "components"), "a select menu must be alone in its row")
            )
        if kinds == {2} and len(children) > BUTTONS_PER_ROW_LIMIT:
            problems.append(
                _too_many((*where, "components"), children, BUTTONS_PER_ROW_LIMIT, "buttons")
            )
        for number, child in enumerate(children):
            if isinstance(child, Mapping):
                at = (*where, "components", number)
                problems.extend(_component_problems(child, at))
                custom_id = child.get("custom_id")
                if isinstance(custom_id, str):
                    if custom_id in custom_ids:
                        problems.append(
                            Problem(
                                "limit",
                                (*at, "custom_id"),
                                f"{custom_id!r} is used twice in one message "
                                f"(also at {json_path(custom_ids[custom_id])})",
                            )
                        )
                    custom_ids.setdefault(custom_id, (*at, "custom_id"))
    return problems


def _component_problems(component: Mapping[str, Any], path: Path_) -> list[Problem]:
    kind = component.get("type")
    if kind == 2:
        return _button_problems(component, path)
    if kind in SELECT_TYPES:
        return _select_problems(component, path)
    return []


def _button_problems(button: Mapping[str, Any], path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    style = button.get("style")
    label = button.get("label")
    if isinstance(label, str) and len(label) > BUTTON_LABEL_LIMIT:
        problems.append(_too_long((*path, "label"), label, BUTTON_LABEL_LIMIT))
    if style == LINK_BUTTON:
        if not button.get("url"):
            problems.append(Problem("limit", (*path, "url"), "a link button needs a url"))
        if button.get("custom_id") is not None:
            problems.append(
                Problem("limit", (*path, "custom_id"), "a link button must not have a custom_id")
            )
    elif style == PREMIUM_BUTTON:
        if not button.get("sku_id"):
            problems.append(Problem("limit", (*path, "sku_id"), "a premium button needs a sku_id"))
    else:
        problems.extend(_custom_id_problems(button, path))
        if button.get("url") is not None:
            problems.append(Problem("limit", (*path, "url"), "only link buttons have a url"))
    if style != PREMIUM_BUTTON and not label and not button.get("emoji"):
        problems.append(Problem("limit", path, "a button needs a label or an emoji"))
    return problems


def _select_problems(select: Mapping[str, Any], path: Path_) -> list[Problem]:
    problems = _custom_id_problems(select, path)
    placeholder = select.get("placeholder")
    if isinstance(placeholder, str) and len(placeholder) > SELECT_PLACEHOLDER_LIMIT:
        problems.append(_too_long((*path, "placeholder"), placeholder, SELECT_PLACEHOLDER_LIMIT))
    min_values = _as_int(select.get("min_values", 1))
    max_values = _as_int(select.get("max_values", 1))
    if not 0 <= min_values <= SELECT_OPTIONS_LIMIT:
        problems.append(Problem("limit", (*path, "min_values"), f"{min_values} is not in 0-25"))
    if not 1 <= max_values <= SELECT_OPTIONS_LIMIT:
        problems.append(Problem("limit", (*path, "max_values"), f"{max_values} is not in 1-25"))
    if min_values > max_values:
        problems.append(Problem("limit", path, "min_values is more than max_values"))
    if select.get("type") != 3:
        return problems
    options = select.get("options") or []
    if not 1 <= len(options) <= SELECT_OPTIONS_LIMIT:
        problems.append(
            Problem("limit", (*path, "options"), f"{len(options)} options, allowed 1-25")
        )
    if max_values > len(options) > 0:
        problems.append(
            Problem("limit", (*path, "max_values"), "max_values is more than the options")
        )
    values: set[str] = set()
    for index, option in enumerate(options):
        if not isinstance(option, Mapping):
            continue
        at = (*path, "options", index)
        for key in ("label", "value", "description"):
            text = option.get(key)
            if isinstance(text, str) and len(text) > SELECT_OPTION_TEXT_LIMIT:
                problems.append(_too_long((*at, key), text, SELECT_OPTION_TEXT_LIMIT))
            if key != "description" and not text:
                problems.append(Problem("limit", (*at, key), "must be a non-empty string"))
        value = option.get("value")
        if value in values:
            problems.append(Problem("limit", (*at, "value"), f"{value!r} is used twice"))
        values.add(value)
    return problems


def _custom_id_problems(component: Mapping[str, Any], path: Path_) -> list[Problem]:
    custom_id = component.get("custom_id")
    if not isinstance(custom_id, str) or not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
        size = len(custom_id) if isinstance(custom_id, str) else 0
        return [Problem("limit", (*path, "custom_id"), f"needs 1-100 characters, has {size}")]
    return []


def autocomplete_problems(data: Mapping[str, Any], path: Path_ = ()) -> list[Problem]:
    """Return the limit problems of an autocomplete result (`data` of a type-8 callback)."""
    choices = data.get("choices")
    if not isinstance(choices, list):
        return [Problem("limit", (*path, "choices"), "an autocomplete result needs choices")]
    return _choices_problems(choices, (*path, "choices"))


def _choices_problems(choices: list[Any], path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    if len(choices) > CHOICES_LIMIT:
        problems.append(_too_many(path, choices, CHOICES_LIMIT, "choices"))
    for index, choice in enumerate(choices):
        if not isinstance(choice, Mapping):
            continue
        at = (*path, index)
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_NAME_LIMIT:
            size = len(name) if isinstance(name, str) else 0
            problems.append(Problem("limit", (*at, "name"), f"needs 1-100 characters, has {size}"))
        value = choice.get("value")
        if isinstance(value, str) and len(value) > CHOICE_VALUE_LIMIT:
            problems.append(_too_long((*at, "value"), value, CHOICE_VALUE_LIMIT))
    return problems


def modal_problems(data: Mapping[str, Any], path: Path_ = ()) -> list[Problem]:
    """Return the limit problems of a modal (`data` of a type-9 callback)."""
    problems: list[Problem] = []
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= MODAL_TITLE_LIMIT:
        problems.append(Problem("limit", (*path, "title"), "needs 1-45 characters"))
    problems.extend(_custom_id_problems(data, path))
    components = data.get("components") or []
    if not 1 <= len(components) <= MODAL_COMPONENTS_LIMIT:
        problems.append(
            Problem("limit", (*path, "components"), f"{len(components)} components, allowed 1-5")
        )
    for index, row in enumerate(components):
        if not isinstance(row, Mapping):
            continue
        children = row.get("components") or ([row["component"]] if "component" in row else [])
        label = row.get("label")
        if isinstance(label, str) and len(label) > TEXT_INPUT_LABEL_LIMIT:
            problems.append(_too_long((*path, "components", index, "label"), label, 45))
        for number, child in enumerate(children):
            if isinstance(child, Mapping) and child.get("type") == 4:
                at = (*path, "components", index, "components", number)
                problems.extend(_custom_id_problems(child, at))
                text = child.get("label")
                if isinstance(text, str) and len(text) > TEXT_INPUT_LABEL_LIMIT:
                    problems.append(_too_long((*at, "label"), text, TEXT_INPUT_LABEL_LIMIT))
    return problems


def commands_problems(commands: Sequence[Any], path: Path_ = ()) -> list[Problem]:
    """Return the limit problems of a bulk overwrite of application commands."""
    problems: list[Problem] = []
    seen: dict[tuple[object, object], int] = {}
    counts: dict[object, int] = defaultdict(int)
    for index, entry in enumerate(commands):
        if not isinstance(entry, Mapping):
            continue
        problems.extend(command_problems(entry, (*path, index)))
        kind = entry.get("type") or 1
        counts[kind] += 1
        key = (kind, entry.get("name"))
        if key in seen:
            problems.append(
                Problem("limit", (*path, index, "name"), f"{key[1]!r} is registered twice")
            )
        seen[key] = index
    if counts[1] > CHAT_INPUT_COMMANDS_LIMIT:
        problems.append(Problem("limit", path, f"{counts[1]} slash commands, allowed 100"))
    for kind in (2, 3):
        if counts[kind] > CONTEXT_MENU_COMMANDS_LIMIT:
            problems.append(
                Problem("limit", path, f"{counts[kind]} type-{kind} commands, allowed 15")
            )
    return problems


def command_problems(
    entry: Mapping[str, Any], path: Path_ = (), *, partial: bool = False
) -> list[Problem]:
    """Return the limit problems of one application command (`partial`: a PATCH body)."""
    kind = entry.get("type") or 1
    name = entry.get("name")
    description = entry.get("description") or ""
    problems: list[Problem] = []
    if kind == 1:
        if not partial or "name" in entry:
            problems.extend(_name_problems(name, (*path, "name")))
        if not partial or "description" in entry:
            problems.extend(_description_problems(description, (*path, "description")))
        problems.extend(_options_problems(entry.get("options") or [], (*path, "options")))
        total = _characters(entry)
        if total > COMMAND_TOTAL_CHARACTERS_LIMIT:
            problems.append(
                Problem(
                    "limit",
                    path,
                    f"{total} characters in names, descriptions and choices, more than the "
                    f"{COMMAND_TOTAL_CHARACTERS_LIMIT} allowed",
                )
            )
    else:
        if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME_LIMIT:
            problems.append(Problem("limit", (*path, "name"), "needs 1-32 characters"))
        if description:
            problems.append(
                Problem("limit", (*path, "description"), "context-menu commands have none")
            )
    return problems


def _name_problems(name: object, path: Path_) -> list[Problem]:
    # Discord's rule is ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ and lowercase where a
    # lowercase form exists; str.isalnum() is \p{L}\p{N} (Devanagari and Thai marks aside).
    if not isinstance(name, str):
        return [Problem("limit", path, "a name must be a string")]
    problems = []
    if not 1 <= len(name) <= COMMAND_NAME_LIMIT:
        problems.append(Problem("limit", path, f"{name!r} needs 1-32 characters"))
    if any(not (char.isalnum() or char in "-_") for char in name):
        problems.append(
            Problem("limit", path, f"{name!r} may hold only letters, digits, '-' and '_'")
        )
    if name != name.lower():
        problems.append(Problem("limit", path, f"{name!r} must be lowercase"))
    return problems


def _description_problems(description: object, path: Path_) -> list[Problem]:
    if not isinstance(description, str) or not 1 <= len(description) <= COMMAND_DESCRIPTION_LIMIT:
        size = len(description) if isinstance(description, str) else 0
        return [Problem("limit", path, f"needs 1-100 characters, has {size}")]
    return []


def _options_problems(options: list[Any], path: Path_) -> list[Problem]:
    problems: list[Problem] = []
    if len(options) > COMMAND_OPTIONS_LIMIT:
        problems.append(_too_many(path, options, COMMAND_OPTIONS_LIMIT, "options"))
    names: set[object] = set()
    optional_seen = False
    for index, option in enumerate(options):
        if not isinstance(option, Mapping):
            continue
        at = (*path, index)
        problems.extend(_name_problems(option.get("name"), (*at, "name")))
        problems.extend(_description_problems(option.get("description"), (*at, "description")))
        if option.get("name") in names:
            problems.append(Problem("limit", (*at, "name"), "an option name is used twice"))
        names.add(option.get("name"))
        if option.get("type") in {1, 2}:
            problems.extend(_options_problems(option.get("options") or [], (*at, "options")))
            continue
        if option.get("required"):
            if optional_seen:
                problems.append(
                    Problem("limit", at, "required options must come before optional ones")
                )
        else:
            optional_seen = True
        choices = option.get("choices")
        if choices:
            problems.extend(_choices_problems(choices, (*at, "choices")))
            if option.get("autocomplete"):
                problems.append(Problem("limit", at, "an option has both choices and autocomplete"))
    return problems


def _characters(entry: Mapping[str, Any]) -> int:
    total = len(entry.get("name") or "") + len(entry.get("description") or "")
    for option in entry.get("options") or []:
        if isinstance(option, Mapping):
            total += _characters(option)
            for choice in option.get("choices") or []:
                if isinstance(choice, Mapping):
                    total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total


def _too_long(path: Path_, text: str, limit: int) -> Problem:
    return Problem("limit", path, f"{len(text)} characters, more than the {limit} allowed")


def _too_many(path: Path_, items: Sequence[Any], limit: int, what: str) -> Problem:
    return Problem("limit", path, f"{len(items)} {what}, more than the {limit} allowed")


def _as_int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


# --- Which checks apply to which request --------------------------------------------------

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
WEBHOOK_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
WEBHOOK_MESSAGE = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
CHANNEL_MESSAGES = "/channels/{channel_id}/messages"
CHANNEL_MESSAGE = "/channels/{channel_id}/messages/{message_id}"
GLOBAL_COMMANDS = "/applications/{application_id}/commands"
GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"
GLOBAL_COMMAND = "/applications/{application_id}/commands/{command_id}"
GUILD_COMMAND = "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"


def limit_problems(method: str, template: str, body: object) -> list[Problem]:
    """Return the documented-limit and policy problems of a request body, by route."""
    route = (method.upper(), template)
    if route == ("POST", CALLBACK) and isinstance(body, Mapping):
        data = body.get("data")
        if not isinstance(data, Mapping):
            return []
        match body.get("type"):
            case 4:
                return message_problems(data, ("data",), creates=True)
            case 7:
                return message_problems(data, ("data",))
            case 8:
                return autocomplete_problems(data, ("data",))
            case 9:
                return modal_problems(data, ("data",))
        return []
    if not isinstance(body, Mapping | list):
        return []
    if route in {("POST", WEBHOOK), ("POST", CHANNEL_MESSAGES)} and isinstance(body, Mapping):
        return message_problems(body, creates=True)
    if method.upper() == "PATCH" and template in {
        WEBHOOK_ORIGINAL,
        WEBHOOK_MESSAGE,
        CHANNEL_MESSAGE,
    }:
        return message_problems(body)  # type: ignore[arg-type]
    if route in {("PUT", GLOBAL_COMMANDS), ("PUT", GUILD_COMMANDS)} and isinstance(body, list):
        return commands_problems(body)
    if method.upper() in {"POST", "PATCH"} and template in {
        GLOBAL_COMMANDS,
        GUILD_COMMANDS,
        GLOBAL_COMMAND,
        GUILD_COMMAND,
    }:
        return command_problems(body, partial=method.upper() == "PATCH")  # type: ignore[arg-type]
    return []
