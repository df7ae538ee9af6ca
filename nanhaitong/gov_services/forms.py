"""The form (or parameter) schema of a catalogue item, and validation against it.

A schema is the subset of JSON Schema an app can render as a form without a library:
an ``object`` whose ``properties`` are each a ``string`` (``enum`` with
``x-enum-labels``, ``pattern``, ``minLength``/``maxLength``, ``format: date``), an
``integer`` (``minimum``/``maximum``) or a ``boolean``, each with a ``title``; plus
``required`` and ``additionalProperties: false``. The same schema validates what the
app sends, so the form shown and the rule applied cannot disagree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..errors import N_

_PROPERTY_KEYS = {"type", "title", "description", "enum", "x-enum-labels", "pattern", "minLength", "maxLength",
                  "format", "x-format", "minimum", "maximum"}
_TYPES = {"string", "integer", "boolean"}
MAX_STRING = 2000


class SchemaError(ValueError):
    """The schema itself is not one we can render and enforce."""


def check_schema(schema: Any) -> dict:
    """Answer the schema when it is well formed; raise SchemaError saying what is wrong."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise SchemaError("the schema must be an object schema")
    if set(schema) - {"type", "properties", "required", "additionalProperties", "title", "description"}:
        raise SchemaError("unknown keywords at the top of the schema")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict) or len(properties) > 50:
        raise SchemaError("properties must be an object of at most 50 fields")
    for name, prop in properties.items():
        if not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
            raise SchemaError(f"field name {name!r} must be snake_case")
        if not isinstance(prop, dict) or prop.get("type") not in _TYPES or set(prop) - _PROPERTY_KEYS:
            raise SchemaError(f"field {name}: type string, integer or boolean, and known keywords only")
        if not isinstance(prop.get("title"), str) or not prop["title"]:
            raise SchemaError(f"field {name}: a title is required")
        if "enum" in prop and not (isinstance(prop["enum"], list) and prop["enum"]):
            raise SchemaError(f"field {name}: enum must be a non-empty list")
        if "pattern" in prop:
            try:
                re.compile(prop["pattern"])
            except (re.error, TypeError):
                raise SchemaError(f"field {name}: pattern is not a regular expression") from None
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in properties for r in required):
        raise SchemaError("required must list fields of properties")
    if schema.get("additionalProperties", False) is not False:
        raise SchemaError("additionalProperties must be false")
    return schema


def validate(schema: dict, values: Any) -> dict[str, list[str]]:
    """Field -> messages for everything wrong with ``values`` ({} when it is valid)."""
    if not isinstance(values, dict):
        return {"_schema": ["An object is required."]}
    problems: dict[str, list[str]] = {}
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in values or values[name] is None:
            problems.setdefault(name, []).append("Missing data for required field.")
    for name, value in values.items():
        prop = properties.get(name)
        if prop is None:
            problems.setdefault(name, []).append("Unknown field.")
            continue
        if value is None and name not in schema.get("required", []):
            continue
        message = _check(prop, value)
        if message:
            problems.setdefault(name, []).append(message)
    return problems


def _check(prop: dict, value: Any) -> str | None:
    kind = prop["type"]
    if kind == "boolean":
        return None if isinstance(value, bool) else N_("Not a valid boolean.")
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return N_("Not a valid integer.")
        if "minimum" in prop and value < prop["minimum"]:
            return N_("Must be at least {minimum}.").format(minimum=prop["minimum"])
        if "maximum" in prop and value > prop["maximum"]:
            return N_("Must be at most {maximum}.").format(maximum=prop["maximum"])
        if "enum" in prop and value not in prop["enum"]:
            return N_("Must be one of: {choices}.").format(choices=", ".join(map(str, prop["enum"])))
        return None
    if not isinstance(value, str):
        return N_("Not a valid string.")
    if len(value) > min(prop.get("maxLength", MAX_STRING), MAX_STRING):
        return N_("Longer than maximum length {max}.").format(max=min(prop.get("maxLength", MAX_STRING), MAX_STRING))
    if len(value.strip()) < prop.get("minLength", 0):
        return N_("Shorter than minimum length {min}.").format(min=prop["minLength"])
    if "\x00" in value:
        return N_("Contains a NUL character.")
    if "enum" in prop and value not in prop["enum"]:
        return N_("Must be one of: {choices}.").format(choices=", ".join(map(str, prop["enum"])))
    if "pattern" in prop and not re.search(prop["pattern"], value):
        return N_("Does not have the expected format.")
    if prop.get("format") == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return N_("Not a valid date (YYYY-MM-DD).")
        if len(value) != 10:
            return N_("Not a valid date (YYYY-MM-DD).")
    return None
