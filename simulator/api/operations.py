"""A route table that serves twice: it builds the aiohttp routes and the OpenAPI document.

The document says exactly what the server accepts and answers, from the same sources:
parameters carry the constants their parsers apply, request bodies are the pydantic
models' *validation* schemas (responses their *serialization* schemas), and rules a
field validator applies are written into the schema by :data:`SCHEMA_REFINEMENTS`,
built from the constants that validator uses.  Every error status an operation can
answer is listed (``errors``) with the body it carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core import core_schema

from simulator import __version__
from simulator.api.http import HAL_JSON, Handler

Location = Literal["query", "path", "header"]

ERROR_DESCRIPTIONS = {
    400: "invalid parameter or body (debug names it)",
    401: "not authenticated: the access token or client_id (API), the --control-token "
    "(control API)",
    403: "the token lacks the scope, or the vehicle is not the user's",
    404: "unknown resource of this user",
    409: "conflicts with the current state",
    413: "request body over the size limit",
    415: "a request body that is not application/json",
    429: "rate limit reached (Retry-After)",
}

Refinement = Callable[[type[BaseModel], dict[str, Any]], None]
SCHEMA_REFINEMENTS: dict[type[BaseModel], Refinement] = {}
"""Per model class (and its subclasses): what its field validators check, written into
its JSON schema in place.  Registered next to the constants the validators use."""


def refine_schema(model: type[BaseModel]) -> Callable[[Refinement], Refinement]:
    def register(refinement: Refinement) -> Refinement:
        SCHEMA_REFINEMENTS[model] = refinement
        return refinement

    return register


class _RefinedJsonSchema(GenerateJsonSchema):
    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        generated = super().model_schema(schema)
        cls = schema["cls"]
        for base in cls.__mro__:
            refinement = SCHEMA_REFINEMENTS.get(base)
            if refinement is not None:
                refinement(cls, generated)
                break
        return generated


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: Location
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """A request body that works as written, shown in the document under its ``name``
    (path ids aside: they name the caller's own vehicle, callback or monitor)."""

    name: str
    summary: str
    value: Any


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    handler: Handler
    operation_id: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    content_type: str = HAL_JSON
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    tags: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    security: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    """The error statuses it can answer, with the error body (``responses`` in ``extra``
    add to or replace the generated ones)."""
    examples: tuple[Example, ...] = ()
    """Bodies that work, for the document's ``requestBody`` (at least one with a body)."""


def control_operation(
    method: str,
    path: str,
    handler: Handler,
    op_id: str,
    summary: str,
    responses: dict[int, type[BaseModel] | None],
    *,
    tags: tuple[str, ...],
    body: type[BaseModel] | None = None,
    params: tuple[Param, ...] = (),
    errors: tuple[int, ...] | None = None,
    examples: tuple[Example, ...] = (),
) -> Operation:
    """An operation of the control API: plain JSON, no token (but ``--control-token``)."""
    if errors is None:
        errors = control_errors(path, body=body is not None, params=bool(params))
    return Operation(
        method,
        path,
        handler,
        op_id,
        summary,
        responses,
        content_type="application/json",
        body=body,
        params=params,
        tags=tags,
        security=False,
        errors=errors,
        examples=examples,
    )


def control_errors(
    path: str,
    *,
    body: bool = False,
    params: bool = False,
    conflict: bool = False,
    not_found: bool | None = None,
) -> tuple[int, ...]:
    """A control operation's error statuses: 401 when ``--control-token`` is set, 404 for
    an unknown id (by default: when the path has one), 409 for a clash with the state."""
    statuses = {401}
    if body or params:
        statuses.add(400)
    if path_params(path) if not_found is None else not_found:
        statuses.add(404)
    if conflict:
        statuses.add(409)
    if body:
        statuses |= {413, 415}
    return tuple(sorted(statuses))


def v4_errors(
    *, body: bool = False, not_found: bool = False, conflict: bool = False
) -> tuple[int, ...]:
    """A v4 operation's error statuses: the request checks (400 client_id, realm or a
    parameter; 401 token; 403 scope or vehicle; 429 quota) and what the operation adds."""
    statuses = {400, 401, 403, 429}
    if not_found:
        statuses.add(404)
    if conflict:
        statuses.add(409)
    if body:
        statuses |= {413, 415}
    return tuple(sorted(statuses))


def add_routes(app: web.Application, operations: Iterable[Operation]) -> None:
    for op in operations:
        app.router.add_route(op.method, op.path, op.handler, name=op.operation_id)


def path_params(path: str) -> list[str]:
    names, depth, current = [], 0, ""
    for char in path:
        if char == "{":
            depth, current = 1, ""
        elif char == "}" and depth:
            names.append(current.split(":")[0])
            depth = 0
        elif depth:
            current += char
    return names


SchemaRefs = dict[tuple[type[BaseModel], JsonSchemaMode], JsonSchemaValue]
"""Each model's ``$ref`` in the document, by (model, mode): responses are serialized,
request bodies validated."""


def build_openapi(
    groups: Sequence[tuple[str, Sequence[Operation]]],
    *,
    error_model: type[BaseModel],
    title: str = "connectedcar-simulator",
) -> dict[str, Any]:
    """OpenAPI 3.1 for every operation, schemas generated from the pydantic models."""
    refs, schemas = _model_schemas(groups, error_model)
    error_content = {"application/json": {"schema": refs[(error_model, "serialization")]}}
    paths: dict[str, dict[str, Any]] = {}
    for prefix, operations in groups:
        for op in operations:
            document = _operation_document(op, refs, error_content)
            paths.setdefault(prefix + op.path, {})[op.method.lower()] = document
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _security_schemes()},
    }


def _model_schemas(
    groups: Sequence[tuple[str, Sequence[Operation]]], error_model: type[BaseModel]
) -> tuple[SchemaRefs, dict[str, Any]]:
    """The references to, and the schemas of, every model answered (and the error body)
    or accepted, in the order the operations name them."""
    outputs: dict[type[BaseModel], None] = {error_model: None}
    inputs: dict[type[BaseModel], None] = {}
    for _, operations in groups:
        for op in operations:
            for model in op.responses.values():
                if model is not None:
                    outputs[model] = None
            if op.body is not None:
                inputs[op.body] = None
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "serialization") for model in outputs),
        *((model, "validation") for model in inputs),
    ]
    generated, schemas = models_json_schema(
        wanted,
        ref_template="#/components/schemas/{model}",
        schema_generator=_RefinedJsonSchema,
    )
    return {key: generated[key] for key in wanted}, schemas.get("$defs", {})


def _operation_document(
    op: Operation, refs: SchemaRefs, error_content: dict[str, Any]
) -> dict[str, Any]:
    """One operation's entry under its path and method."""
    extra = dict(op.extra)
    responses = _responses(op, refs, error_content)
    responses.update(extra.pop("responses", {}))
    document: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "parameters": _parameters(op),
        "responses": dict(sorted(responses.items())),
        **({"tags": list(op.tags)} if op.tags else {}),
    }
    if op.body is not None:
        media: dict[str, Any] = {"schema": refs[(op.body, "validation")]}
        if op.examples:
            media["examples"] = {
                example.name: {"summary": example.summary, "value": example.value}
                for example in op.examples
            }
        document["requestBody"] = {"required": True, "content": {"application/json": media}}
    if op.security:
        document["security"] = [{"oauth": list(op.scopes)}]
    document.update(extra)
    return document


def _parameters(op: Operation) -> list[dict[str, Any]]:
    """The path's parameters not declared (plain strings), then the declared ones."""
    declared = {p.name for p in op.params if p.location == "path"}
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in path_params(op.path)
        if n not in declared
    ]
    params += [
        {
            "name": p.name,
            "in": p.location,
            "required": p.required or p.location == "path",
            "schema": p.schema,
            **({"description": p.description} if p.description else {}),
        }
        for p in op.params
    ]
    return params


def _responses(op: Operation, refs: SchemaRefs, error_content: dict[str, Any]) -> dict[str, Any]:
    """The operation's answers, then its error statuses with the error body."""
    responses: dict[str, Any] = {}
    for status, model in op.responses.items():
        entry: dict[str, Any] = {"description": f"{status}"}
        if model is not None:
            entry["content"] = {op.content_type: {"schema": refs[(model, "serialization")]}}
        responses[str(status)] = entry
    for status in op.errors:
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, str(status)),
            "content": error_content,
        }
    return responses


def _security_schemes() -> dict[str, Any]:
    """The user's OAuth token (password or authorization code) and the client's basic
    credentials."""
    return {
        "oauth": {
            "type": "oauth2",
            "flows": {
                "password": {"tokenUrl": "/am/oauth2/access_token", "scopes": {}},
                "authorizationCode": {
                    "authorizationUrl": "/am/oauth2/authorize",
                    "tokenUrl": "/am/oauth2/access_token",
                    "scopes": {},
                },
            },
        },
        "clientBasic": {
            "type": "http",
            "scheme": "basic",
            "description": "client_id:client_secret (or the form fields)",
        },
    }
