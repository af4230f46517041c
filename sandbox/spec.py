"""The Bot API specification (botapi-spec/api.json) and request checks against it."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "botapi-spec" / "api.json"


@dataclass(frozen=True)
class Field:
    """One parameter of a Bot API method."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class Method:
    """One Bot API method with its parameters."""

    name: str
    fields: dict[str, Field]


@functools.cache
def raw_spec() -> dict[str, Any]:
    """The parsed api.json, loaded once."""
    with SPEC_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def _methods() -> dict[str, Method]:
    # Keyed by lower-case name: Telegram matches method names case-insensitively.
    out: dict[str, Method] = {}
    for name, body in raw_spec()["methods"].items():
        fields = {
            f["name"]: Field(f["name"], tuple(f["types"]), bool(f["required"]))
            for f in body.get("fields", [])
        }
        out[name.lower()] = Method(name, fields)
    return out


def version() -> str:
    """The Bot API version of the bundled spec, e.g. "Bot API 10.1"."""
    return str(raw_spec()["version"])


def method(name: str) -> Method | None:
    """The spec entry of a method, matched case-insensitively, or None."""
    return _methods().get(name.lower())


def canonical_name(name: str) -> str | None:
    """The spec spelling of a method name (e.g. "sendmessage" → "sendMessage")."""
    found = method(name)
    return found.name if found else None


def field_types(method_name: str, param: str) -> tuple[str, ...] | None:
    """The declared types of one parameter, or None when the parameter is unknown."""
    found = method(method_name)
    if found is None or param not in found.fields:
        return None
    return found.fields[param].types


def check_request(method_name: str, params: Mapping[str, object]) -> list[str]:
    """Spec violations of one request: unknown method, unknown or missing parameters."""
    found = method(method_name)
    if found is None:
        return [f"unknown method {method_name}"]
    problems = [
        f"unknown parameter {key!r} for method {found.name}"
        for key in params
        if key not in found.fields
    ]
    problems.extend(
        f"missing required parameter {f.name!r} for method {found.name}"
        for f in found.fields.values()
        if f.required and f.name not in params
    )
    return problems
