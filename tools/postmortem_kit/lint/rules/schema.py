"""`schema` and `unknown-key`: the JSON Schema, with messages people can act on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from postmortem_kit.format.findings import did_you_mean
from postmortem_kit.format.read import Postmortem
from postmortem_kit.format.schema import DATE, DATE_TIME, ONE_LINE, REQUIREMENTS_FROM, id_pattern
from postmortem_kit.format.vocabulary import ID_DIGITS
from postmortem_kit.lint.rules.base import Context, Problem, Rule, field, rule

if TYPE_CHECKING:  # python-jsonschema is imported only for an invalid file
    from jsonschema.exceptions import ValidationError

_EXPECTED_BY_PATTERN = {
    DATE: "a date like 2026-03-02",
    DATE_TIME: "a date-time with offset like 2026-03-02T14:05:00Z",
    r"^https?://\S+$": "a URL starting with https://",
    r"^AML\.T[0-9]{4}(\.[0-9]{3})?$": "a MITRE ATLAS id like AML.T0051 or AML.T0051.001",
    r"^LLM(0[1-9]|10):2025$": "an OWASP LLM Top 10 id like LLM01:2025",
    ONE_LINE: "a single line, without bidirectional control characters (U+202A-U+202E, "
    "U+2066-U+2069)",
}
_JSON_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "null",
}
# The status each branch of the schema's allOf applies from, by the branch's index.
_STATUS_OF_BRANCH: dict[str | int, str] = {i: s for i, (s, _) in enumerate(REQUIREMENTS_FROM)}


unknown_key = Rule(
    "unknown-key",
    "error",
    "A key the format does not have, with a did-you-mean.",
    None,  # reported by the schema rule
)


@rule("schema", "error", reports=("unknown-key",))
def check_schema(postmortem: Postmortem, context: Context) -> Iterable[Problem]:
    """A value of the wrong type or shape, or a key the status requires is missing; with the
    allowed values and a did-you-mean.
    """
    reported: set[tuple[str | int, ...]] = set()  # one finding per node
    for error in context.validator.iter_errors(postmortem.data):
        if error.validator in ("anyOf", "oneOf") and not _is_alternatives_of_values(error):
            from jsonschema.exceptions import best_match

            error = best_match(error.context)
        path = tuple(error.absolute_path)
        status = _required_from(error)
        because = f" (required from status {status})" if status else ""
        if error.validator == "additionalProperties":
            yield from _unknown_keys(postmortem, error)
        elif error.validator == "required":
            # jsonschema reports each missing key alike; name them all once, in order
            for key in _missing_keys(error):
                if (*path, key) not in reported:
                    reported.add((*path, key))
                    where = postmortem.position(path, key=True)
                    yield Problem.at(where, f"missing '{field((*path, key))}'{because}")
        elif path not in reported:
            reported.add(path)
            message = f"{field(path)}: {_describe(error)}{because}"
            yield Problem.at(postmortem.position(path), message)


def _unknown_keys(postmortem: Postmortem, error: ValidationError) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    known = list(_schema(error).get("properties", {}))
    instance = cast("dict[str, Any]", error.instance)  # additionalProperties fails on a mapping
    for key in sorted(set(instance) - set(known)):
        yield Problem.at(
            postmortem.position((*path, key), key=True),
            f"unknown key '{field((*path, key))}'{did_you_mean(key, known)}",
            rule="unknown-key",
        )


def _describe(error: ValidationError) -> str:
    value: Any = error.instance  # front matter, the value that failed
    shown = _show(value)
    schema = _schema(error)
    match error.validator:
        case "enum":
            options = schema["enum"]
            return (
                f"{shown} is not one of: {', '.join(map(str, options))}"
                f"{did_you_mean(value, options)}"
            )
        case "type":
            return f"expected {_expected(schema)}, got {_type_name(value)}"
        case "pattern" | "anyOf" | "oneOf" | "format":
            return f"{shown} is not {_expected(schema)}"
        case "minItems":
            n = schema["minItems"]
            return f"needs at least {n} item{'s' if n > 1 else ''}"
        case "maxItems":
            return f"has {len(value)} items; at most {schema['maxItems']} are allowed"
        case "minLength":
            n = schema["minLength"]
            if n == 1:
                return "must not be empty"
            return f"must be at least {n} characters (it has {len(value)})"
        case "maxLength":
            return f"must be at most {schema['maxLength']} characters (it has {len(value)})"
        case "minimum":
            return f"{shown} is below the minimum of {schema['minimum']}"
        case "uniqueItems":
            return "lists the same value twice"
        case "not":
            return f"{shown} is not allowed here"
        case "const":
            return f"must be {_show(schema['const'])}"
    return error.message


def _expected(schema: Mapping[str, Any]) -> str:
    if "anyOf" in schema or "oneOf" in schema:
        alternatives = schema["anyOf"] if "anyOf" in schema else schema["oneOf"]
        return " or ".join(_expected(s) for s in alternatives)
    if "const" in schema:
        return _show(schema["const"])
    pattern = schema.get("pattern")
    if pattern in _EXPECTED_BY_PATTERN:
        return _EXPECTED_BY_PATTERN[pattern]
    if pattern and pattern.endswith(id_pattern("")[1:]):
        prefix = pattern[1:].split("-")[0]
        fewest, most = ID_DIGITS
        return f"an id like {prefix}-2026-001 ({prefix}, the year, {fewest} to {most} digits)"
    if pattern:
        return f"text matching {pattern}"
    kind = schema.get("type", "")
    kinds: list[str] = kind if isinstance(kind, list) else [kind]
    return " or ".join(_JSON_TYPES.get(k, k) for k in kinds)


def _is_alternatives_of_values(error: ValidationError) -> bool:
    """anyOf between kinds of date (or 'ongoing'): describe all the options at once."""
    return all("pattern" in s or "const" in s for s in _schema(error).get("anyOf", []))


def _required_from(error: ValidationError) -> str | None:
    schema_path = list(error.schema_path)
    if schema_path[:1] == ["allOf"] and "then" in schema_path:
        return _STATUS_OF_BRANCH.get(schema_path[1])
    return None


def _missing_keys(error: ValidationError) -> list[str]:
    present = error.instance if isinstance(error.instance, dict) else {}
    required = cast("list[str]", error.validator_value)  # the `required` keyword's keys
    return [key for key in required if key not in present]


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """The subschema that failed. jsonschema types it as possibly a boolean schema or
    unset; an error from validating against our schema always has a mapping.
    """
    return cast("Mapping[str, Any]", error.schema)


def _type_name(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(_json_type(value), type(value).__name__)


def _json_type(value: Any) -> str:
    for name, kind in (
        ("boolean", bool),
        ("integer", int),
        ("number", float),
        ("string", str),
        ("array", list),
        ("object", dict),
    ):
        if isinstance(value, kind):
            return name
    return "null"


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return "'" + text.replace("\n", "\\n") + "'"
    return json.dumps(value)[:60]
