"""A route table that serves twice: it builds the aiohttp routes and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from simulator import __version__
from simulator.api.http import HAL_JSON, Handler

Location = Literal["query", "path", "header"]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    location: Location
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


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
) -> Operation:
    """An operation of the control API: plain JSON, no token."""
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
    )


def add_routes(app: web.Application, operations: Iterable[Operation]) -> None:
    for op in operations:
        app.router.add_route(op.method, op.path, op.handler, name=op.operation_id)


def _path_params(path: str) -> list[str]:
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


def build_openapi(
    groups: Sequence[tuple[str, Sequence[Operation]]],
    *,
    error_model: type[BaseModel],
    title: str = "connectedcar-simulator",
) -> dict[str, Any]:
    """OpenAPI 3.1 for every operation, schemas generated from the pydantic models."""
    models: dict[type[BaseModel], None] = {error_model: None}
    for _, operations in groups:
        for op in operations:
            for model in op.responses.values():
                if model is not None:
                    models[model] = None
            if op.body is not None:
                models[op.body] = None
    inputs: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for model in models:
        inputs.append((model, "serialization"))
    key_map, schemas = models_json_schema(inputs, ref_template="#/components/schemas/{model}")
    body_refs = {}
    for model in models:
        body_refs[model] = key_map[(model, "serialization")]

    paths: dict[str, dict[str, Any]] = {}
    for prefix, operations in groups:
        for op in operations:
            full = prefix + op.path
            params = [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                for n in _path_params(op.path)
            ]
            params += [
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "schema": p.schema,
                    **({"description": p.description} if p.description else {}),
                }
                for p in op.params
            ]
            responses: dict[str, Any] = {}
            for status, model in op.responses.items():
                entry: dict[str, Any] = {"description": f"{status}"}
                if model is not None:
                    entry["content"] = {op.content_type: {"schema": body_refs[model]}}
                responses[str(status)] = entry
            responses["default"] = {
                "description": "error",
                "content": {"application/json": {"schema": body_refs[error_model]}},
            }
            document: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "parameters": params,
                "responses": responses,
                **({"tags": list(op.tags)} if op.tags else {}),
            }
            if op.body is not None:
                document["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": body_refs[op.body]}},
                }
            if op.security:
                document["security"] = [{"oauth": list(op.scopes)}]
            document.update(op.extra)
            paths.setdefault(full, {})[op.method.lower()] = document
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
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
                }
            },
        },
    }
