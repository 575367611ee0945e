"""Each problem pydantic found, located and said in plain words (messages.py adds the key
paths and the file; fields.Model reports a section's problems with its unknown keys)."""

import re
from typing import Any

from pydantic import ValidationError

from .errors import Invalid, did_you_mean, shown

_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (key: value pairs)",
    "model_type": "a mapping (key: value pairs)",
    "model_attributes_type": "a mapping (key: value pairs)",
    "datetime_type": "a date and time such as 2026-01-05T00:00:00Z",
    "datetime_parsing": "a date and time such as 2026-01-05T00:00:00Z",
    "datetime_from_date_parsing": "a date and time such as 2026-01-05T00:00:00Z",
    "path_type": "a file path",
    "none_required": "nothing (null)",
}
_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}


def invalid_of(exc: ValidationError) -> list[Invalid]:
    """The problems of a section's own validation, as Invalid at their place in the section
    (fields.Model._check_keys reports them with the section's unknown keys)."""
    return [Invalid(message, *where) for where, message in located(exc)]


def located(exc: ValidationError):
    """(location, message) of every problem, those an Invalid carries along (`also`) included."""
    for error in exc.errors(include_url=False):
        if _consequence(error):
            continue
        loc = list(error["loc"])
        # value_error carries the exception a validator raised; other types may carry a plain string
        cause = (error.get("ctx") or {}).get("error") if error["type"] in ("value_error", "assertion_error") else None
        if isinstance(cause, Invalid):
            yield loc + list(cause.where), _message(error, cause)
            for more in cause.also:
                yield loc + list(more.where), _message(error, more)
        else:
            yield loc, _message(error, cause)


def _consequence(error: dict) -> bool:
    """A list too short only because some of its items were refused (pydantic counts the items
    that passed): the items' own problems say what is wrong."""
    given, ctx = error.get("input"), error.get("ctx") or {}
    return (error["type"] == "too_short" and isinstance(given, (list, tuple))
            and len(given) >= ctx.get("min_length", 1))


def _message(error: dict, cause: Any) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if cause is not None:
        return str(cause)
    if kind == "missing":
        return f"missing required key {shown(error['loc'][-1])}"
    if kind == "extra_forbidden":
        return f"unknown key {shown(error['loc'][-1])}"
    if kind == "literal_error":
        allowed = re.findall(r"'((?:[^'\\]|\\.)*)'", ctx.get("expected", ""))
        return f"expected one of {', '.join(allowed)}; got {_show(given)}{did_you_mean(given, allowed)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}; got {_show(given)}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()))
        return f"expected a value {_BOUNDS[kind]} {bound}; got {_show(given)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"expected at least {n} item{'s' if n != 1 else ''}; got {ctx.get('actual_length', 0)}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items; got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return f"expected text that is not empty; got {_show(given)}"
    if kind == "string_too_long":
        return f"expected at most {ctx.get('max_length')} characters; got {len(str(given))}"
    if kind == "union_tag_invalid":
        allowed = re.findall(r"'([^']*)'", ctx.get("expected_tags", ""))
        tag = ctx.get("tag")
        return f"unknown type {shown(tag)}{did_you_mean(tag, allowed)}; allowed: {', '.join(allowed)}"
    return f"{error['msg']}; got {_show(given)}"


def _show(value: Any) -> str:
    return shown(value)
