"""JSON schema of the rules field validators check, for the OpenAPI document.

Pydantic writes a model's types, bounds and patterns into its JSON schema; what a
``field_validator`` checks it cannot see.  Each refinement here writes one such rule
into the schema, built from the very constants the validator applies (the character
set it forbids, the variables it knows, the header names it refuses), so that the
document states what the server accepts, from the same source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from simulator.api.operations import refine_schema
from simulator.bodies.rules import NO_FORBIDDEN_CHARS, any_case
from simulator.callbacks.attributes import (
    OWNED_HEADER_PREFIXES,
    OWNED_HEADERS,
    RESERVED_PUSH_KEYS,
    RESERVED_PUSH_PREFIXES,
    TOKEN,
    Attribute,
    AttributeBase,
    PushNotifAttribute,
)

__all__ = ["NO_FORBIDDEN_CHARS", "any_case", "no_forbidden_chars"]


def no_forbidden_chars(schema: dict[str, Any]) -> None:
    schema.update(NO_FORBIDDEN_CHARS)


def _one_of_words(words: Iterable[str]) -> str:
    return "(?:" + "|".join(any_case(word) for word in sorted(words)) + ")"


@refine_schema(AttributeBase)
def _attribute(cls: type[BaseModel], schema: dict[str, Any]) -> None:
    assert issubclass(cls, AttributeBase)
    properties = schema["properties"]
    no_forbidden_chars(properties["key"])
    value = properties["value"]
    no_forbidden_chars(value)
    # a value starting with "$" names a variable this kind of attribute knows (any case)
    value["anyOf"] = [
        {"not": {"pattern": "^\\$"}},
        {"pattern": f"^\\${_one_of_words(cls.VARIABLES)}$"},
    ]
    rules: list[dict[str, Any]] = []
    if issubclass(cls, Attribute):
        owned = {
            "anyOf": [
                {"pattern": f"^{_one_of_words(OWNED_HEADERS)}$"},
                {"pattern": f"^{_one_of_words(OWNED_HEADER_PREFIXES)}"},
            ]
        }
        rules.append(
            {
                "if": {"required": ["type"], "properties": {"type": {"const": "Header"}}},
                "then": {"properties": {"key": {"pattern": TOKEN.pattern, "not": owned}}},
            }
        )
    if issubclass(cls, PushNotifAttribute):
        reserved = {
            "anyOf": [
                {"pattern": f"^{_one_of_words(RESERVED_PUSH_KEYS)}$"},
                {"pattern": f"^{_one_of_words(RESERVED_PUSH_PREFIXES)}"},
            ]
        }
        rules.append({"properties": {"key": {"not": reserved}}})
    if rules:
        schema["allOf"] = rules
