"""Reading a policy configuration that is either a validated scenario object or a plain dict."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REQUIRED = object()


def get(obj: Any, key: str, default: Any = REQUIRED, *, what: str = "policy configuration") -> Any:
    """A key of a mapping or an attribute of a config object (notebook users pass dicts)."""
    if isinstance(obj, Mapping):
        if key in obj:
            return obj[key]
    elif hasattr(obj, key):
        return getattr(obj, key)
    if default is REQUIRED:
        raise ValueError(f"expected {key!r} in the {what}; it is missing")
    return default
