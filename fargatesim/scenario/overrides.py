"""Overrides: key paths such as ``service.desired_count`` or ``traffic[0].spike.peak_rps`` set
in a scenario's plain data before it is validated (`load_scenario(..., overrides=)`,
`Scenario.with_changes`, `fargatesim run --set`)."""
from __future__ import annotations

import copy
import re
from typing import Any

from .errors import ScenarioError

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _split_path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _PATH_PART.finditer(key):
        gap = key[pos : m.start()]
        if gap not in ("", "."):
            break
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(key):
        raise ValueError("expected a key path such as 'service.desired_count' or 'traffic[0].spike.peak_rps'")
    return parts


def apply_overrides(data: Any, overrides: dict[str, Any], *, file: str | None = None) -> Any:
    """A copy of `data` with each override applied; mappings given as values are merged in."""
    result = copy.deepcopy(data)
    for key, value in overrides.items():
        try:
            parts = _split_path(key)
            if not isinstance(result, dict):
                raise ValueError("the scenario's top level is not a mapping")
            _set(result, parts, copy.deepcopy(value))
        except ValueError as exc:
            raise ScenarioError(f"cannot apply override: {exc}", file=file, path=key) from None
    return result


def _set(target: Any, parts: list[str | int], value: Any) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                size = len(target) if isinstance(target, list) else "no"
                raise ValueError(f"there is no item [{part}] here ({size} items)")
        elif not isinstance(target, dict):
            raise ValueError(f"{part!r} is below a value that is not a mapping")
        if last:
            current = target[part] if isinstance(part, int) or part in target else None
            target[part] = _merge(current, value) if isinstance(current, dict) and isinstance(value, dict) else value
            return
        if isinstance(part, str) and not isinstance(target.get(part), (dict, list)):
            target[part] = {}
        target = target[part]


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) else value
    return merged


def value_at(data: Any, key: str) -> Any:
    """The value at a key path of plain scenario data (as `to_dict` gives it), or None where the
    path leads nowhere."""
    target = data
    for part in _split_path(key):
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                return None
        elif not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    return target
