"""The scenario format as JSON Schema, for editors that complete and check YAML keys.

Built from the validation models themselves, so it cannot drift from them: every section's
keys (with the AWS settings accepted but not simulated, and Terraform's spellings), their
types as a YAML file writes them (durations as "90s" or seconds, distributions as a number
or a mapping, a traffic component as a one-key mapping), their bounds, defaults and the
comments the models carry. The schema checks shapes; what depends on several keys at once
(Fargate's cpu and memory pairs, step bounds that must not overlap) is `fargatesim validate`'s.
"""
from __future__ import annotations

import functools
import inspect
import io
import re
import tokenize
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from .aws_settings import NOT_SIMULATED
from .distributions import Distribution, parse_distribution
from .units import parse_time_of_day

SCHEMA_ID = "https://github.com/fargatesim/fargatesim/scenario.schema.json"
# units.parse_duration's forms: a number of seconds, or number-unit pairs such as "1h30m".
DURATION_PATTERN = r"^\s*(\d+(\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?(\s*(\d+(\.\d*)?|\.\d+)\s*(ms|s|m|h|d))*\s*$"
_DURATION = {"type": "string", "pattern": DURATION_PATTERN, "description": "a duration such as '250ms', '90s', "
             "'5m', '2h', '1d', '1h30m'"}


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    from .schema import Scenario
    defs: dict[str, dict] = {}
    root = _model(Scenario, defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "fargatesim scenario", **root, "$defs": dict(sorted(defs.items()))}


# ---------------------------------------------------------------------- models
def _ref(cls: type[BaseModel], defs: dict) -> dict:
    name = cls.__name__
    if name not in defs:
        defs[name] = {}           # placeholder: a model may refer to itself through others
        defs[name] = _model(cls, defs)
    return {"$ref": f"#/$defs/{name}"}


def _model(cls: type[BaseModel], defs: dict) -> dict:
    comments = _field_comments(cls)
    keys = set(cls.user_keys())
    properties: dict[str, dict] = {}
    required = []
    for name, field in cls.model_fields.items():
        key = field.alias or name
        if key not in keys:
            continue
        schema = _annotation(field.annotation, field.metadata, defs)
        if field.is_required():
            required.append(key)
        else:
            default = field.get_default(call_default_factory=True)
            plain = _plain(default)
            # `key:` with nothing after it takes the default (fields.Model._check_keys).
            if default is not None and schema.get("type") != "null":
                schema = {"anyOf": [schema, {"type": "null"}]} if "anyOf" not in schema else \
                    {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
            if plain is not _NOT_PLAIN:
                schema = {**schema, "default": plain}
        if comments.get(name):
            schema = {**schema, "description": comments[name]}
        properties[key] = schema
    for key, other in _OTHER_SPELLINGS.get(cls.__name__, {}).items():
        if key in properties:
            given = properties[key]
            properties[key] = {**{k: v for k, v in given.items() if k in ("description", "default")},
                               "anyOf": [_without_anyof(given), other]}
    for alias, key in getattr(cls, "aliases", {}).items():
        if key in properties:
            properties[alias] = {**properties[key],
                                 "description": f"another spelling of {key} (Terraform's or the AWS API's)"}
    if cls.__name__ in _CAMEL_CASE:
        for key in list(properties):
            if _camel(key) != key:
                properties[_camel(key)] = {**properties[key], "description": f"the ECS API's spelling of {key}"}
    for key in sorted(NOT_SIMULATED.get(cls.__name__, ())):
        properties.setdefault(key, {"description": "an AWS setting that fargatesim does not simulate: "
                                                   "accepted, and ignored with a warning"})
    if cls.__name__ == "MetricQuery":
        properties["metric"] = _TERRAFORM_METRIC
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    doc = inspect.getdoc(cls)
    if doc and cls.__doc__ is not None and "__doc__" in vars(cls):
        out["description"] = doc.split("\n\n")[0].replace("\n", " ")
    # A required key may be given in its other spelling instead (Terraform's, camelCase).
    spellings = {key: [alias for alias, k in getattr(cls, "aliases", {}).items() if k == key] for key in required}
    if cls.__name__ in _CAMEL_CASE:
        for key in required:
            if _camel(key) != key:
                spellings[key].append(_camel(key))
    plain = [key for key in required if not spellings[key]]
    if plain:
        out["required"] = plain
    either = [{"anyOf": [{"required": [k]} for k in (key, *spellings[key])]} for key in required if spellings[key]]
    if either:
        out["allOf"] = either
    return out


_NOT_PLAIN = object()

# The container definitions are read in the ECS API's camelCase too (task.py).
_CAMEL_CASE = frozenset({"ContainerDefinition", "PortMapping", "ContainerHealthCheck", "EnvironmentVariable",
                         "Secret"})
_DIMENSIONS_MAP = {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "dimensions as a map {name: value}, as Terraform writes them"}
_UNSET_BOUND = {"const": "", "description": "unset, as Terraform writes it"}
# Other forms of a key that the models convert (Terraform's, the ECS API's).
_OTHER_SPELLINGS: dict[str, dict[str, dict]] = {
    "TaskDefinition": {"container_definitions": {
        "type": "string", "description": "the JSON text of the list, as Terraform's jsonencode writes it"}},
    "Alarm": {"dimensions": _DIMENSIONS_MAP},
    "Metric": {"dimensions": _DIMENSIONS_MAP},
    "StepAdjustment": {"metric_interval_lower_bound": _UNSET_BOUND, "metric_interval_upper_bound": _UNSET_BOUND},
    "Service": {"load_balancer": {"type": "array", "minItems": 1, "maxItems": 1,
                                  "items": {"$ref": "#/$defs/LoadBalancer"},
                                  "description": "a block list of one, as Terraform writes it"}},
}
# A metric_query block's metric, as Terraform writes it (alarms.py turns it into metric_stat).
_TERRAFORM_METRIC = {
    "type": "object", "additionalProperties": False, "required": ["namespace", "metric_name"],
    "description": "Terraform's metric block: the metric, its period and stat (the API's metric_stat)",
    "properties": {"namespace": {"type": "string"}, "metric_name": {"type": "string"},
                   "period": {"type": "integer", "minimum": 10}, "stat": {"type": "string"},
                   "unit": {"type": "string"},
                   "dimensions": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/Dimension"}},
                                            _DIMENSIONS_MAP]}}}


def _without_anyof(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k not in ("description", "default")}


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _plain(value: Any) -> Any:
    """A default as JSON writes it, or _NOT_PLAIN when it has no plain form."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        items = [_plain(v) for v in value]
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in items) else items
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    if isinstance(value, dict):
        items = {k: _plain(v) for k, v in value.items()}
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in items.values()) else items
    return _NOT_PLAIN


@functools.lru_cache(maxsize=None)
def _field_comments(cls: type) -> dict[str, str]:
    """The comment at the end of each field's line, or on the lines just above it, in the
    class's own source."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    above: list[str] = []
    lines = source.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    inline = {tok.start[0]: tok.string.lstrip("#").strip() for tok in tokens if tok.type == tokenize.COMMENT}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith("#"):
            above.append(text.lstrip("#").strip())
            continue
        match = re.match(r"(\w+)\s*:", text) if line.startswith("    ") and not line.startswith("     ") else None
        if match and match.group(1) in cls.model_fields:
            said = [c for c in above if c and not c.startswith("(sim)")]
            note = inline.get(number)
            parts = [*said, note] if note else said
            if parts:
                comments[match.group(1)] = " ".join(parts)
        above = []
    return comments


# ---------------------------------------------------------------------- types
def _annotation(tp: Any, metadata: list, defs: dict) -> dict:
    shape = _validated_shape(metadata)
    if shape is not None:
        return shape
    origin = typing.get_origin(tp)
    if origin is Annotated:
        inner, *extra = typing.get_args(tp)
        return _annotation(inner, [*metadata, *extra], defs)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if any(_is_yaml_traffic(m) for m in metadata):
            return _traffic_item(options, defs)
        schemas = [_annotation(o, [], defs) for o in options if o is not type(None)]
        if type(None) in options:
            schemas.append({"type": "null"})
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        schema: dict[str, Any] = {"type": "array", "items": _annotation(args[0], [], defs) if args else {}}
        schema.update(_length(metadata))
        return schema
    if origin is dict:
        key, value = typing.get_args(tp)
        return {"type": "object", "additionalProperties": _annotation(value, [], defs)}
    if origin is Literal:
        values = list(typing.get_args(tp))
        return {"enum": values}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _ref(tp, defs)
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer", **_bounds(metadata)}
    if tp is float:
        return {"type": "number", **_bounds(metadata)}
    if tp is str:
        return {"type": "string", **_length(metadata, "minLength", "maxLength")}
    if tp is datetime:
        return {"type": "string", "description": "a date and time such as 2026-01-05T00:00:00Z"}
    if tp is Path:
        return {"type": "string"}
    if tp is Distribution:
        return _distribution("number")
    return {}


def _validators(metadata: list):
    for item in metadata:
        func = getattr(item, "func", None)
        if func is not None:
            yield func


def _validated_shape(metadata: list) -> dict | None:
    """The YAML shape of a value that a validator converts (durations, distributions, times)."""
    from . import fields
    for func in _validators(metadata):
        base = func.func if isinstance(func, functools.partial) else func
        options = func.keywords if isinstance(func, functools.partial) else {}
        if base is fields._check_range:
            kind = "integer" if options.get("what") == "a whole number" else "number"
            return {"type": kind, **_json_bounds(options.get("bounds", {}))}
        if base is fields._duration:
            bounds = _json_bounds(options.get("bounds", {}))
            return {"anyOf": [{"type": "number", **bounds}, _DURATION]}
        if base is fields._whole_seconds:
            bounds = _json_bounds(options.get("bounds", {}))
            return {"anyOf": [{"type": "integer", **bounds}, _DURATION]}
        if base is parse_time_of_day:
            return {"anyOf": [{"type": "number", "minimum": 0, "maximum": 86400},
                              {"type": "string", "pattern": r"^\s*\d{1,2}:\d{2}(:\d{2})?\s*$",
                               "description": "a time of day such as '14:00'"}]}
        if base is parse_distribution:
            return _distribution(options.get("unit", "number"))
    return None


def _is_yaml_traffic(item: Any) -> bool:
    func = getattr(item, "func", None)
    return getattr(func, "__name__", "") == "_from_yaml_item"


def _traffic_item(options, defs: dict) -> dict:
    """A traffic component: a one-key mapping naming its kind, `- steps: [...]` a list."""
    choices = []
    for cls in options:
        kind = typing.get_args(cls.model_fields["kind"].annotation)[0]
        body = (_annotation(cls.model_fields["steps"].annotation, cls.model_fields["steps"].metadata, defs)
                if kind == "steps" else _ref(cls, defs))
        choices.append({"type": "object", "properties": {kind: body}, "required": [kind],
                        "additionalProperties": False})
    return {"oneOf": choices}


def _distribution(unit: str) -> dict:
    from .distributions import FAMILIES
    scalar = {"anyOf": [{"type": "number", "minimum": 0}, _DURATION]} if unit == "duration" else \
        {"type": "number", "minimum": 0}
    families = []
    for family, names in FAMILIES.items():
        families.append({"type": "object", "properties": {"distribution": {"const": family},
                                                          **{n: scalar for n in names}},
                         "required": ["distribution", *names], "additionalProperties": False})
    return {"anyOf": [scalar, *families]}


def _json_bounds(bounds: dict) -> dict:
    names = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
    return {names[k]: v for k, v in bounds.items() if v is not None}


def _bounds(metadata: list) -> dict:
    out = {}
    for item in metadata:
        for attr, key in (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum"), ("lt", "exclusiveMaximum")):
            value = getattr(item, attr, None)
            if value is not None:
                out[key] = value
    return out


def _length(metadata: list, low: str = "minItems", high: str = "maxItems") -> dict:
    out = {}
    for item in metadata:
        for attr, key in (("min_length", low), ("max_length", high)):
            if getattr(item, attr, None) is not None:
                out[key] = getattr(item, attr)
    return out


__all__ = ["scenario_schema", "SCHEMA_ID"]
