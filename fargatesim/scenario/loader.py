"""Scenario files in, validated Scenario objects out; every failure is one ScenarioError."""

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ScenarioError
from .overrides import apply_overrides
from .schema import Scenario, scenario_from_dict

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's surprises, and with duplicate keys refused.

    YAML 1.1 reads 14:00 as the base-60 number 840 and 010 as octal 8; here they stay strings,
    so `peak_at: 14:00` means 2 pm and a mistyped duration is an error rather than a wrong number.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; construct_mapping reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def load_scenario(source: str | Path | dict, *, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a YAML file (or a dict, read relative to the current folder).

    `overrides` maps key paths such as ``"service.desired_count"`` or ``"traffic[0].spike.peak_rps"``
    to values that replace (or, for mappings, are merged into) what the file says.
    """
    if isinstance(source, dict):
        file, base_dir, data = None, Path.cwd(), source
    else:
        file = str(source)
        path = Path(source)
        base_dir = path.resolve().parent
        data = _read_yaml(path, file)
    if overrides:
        data = apply_overrides(data, overrides, file=file)
    return scenario_from_dict(data, source=file, base_dir=base_dir)


def _read_yaml(path: Path, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except IsADirectoryError:
        raise ScenarioError("expected a YAML file; got a folder", file=file) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"expected a UTF-8 text file; byte {exc.start} is not UTF-8", file=file) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror or exc}", file=file) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(_yaml_problem(exc), file=file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    if data is None:
        raise ScenarioError(
            "the file is empty; expected a mapping with at least name, traffic, workload and task_definition", file=file
        )
    return data


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = exc.problem or "malformed"
    context = f" ({exc.context} on line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
    return f"invalid YAML{where}: {problem}{context}"
