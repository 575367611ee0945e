"""What `fargatesim tune` searches: a SPACE file of scenario keys and their ranges.

    # space.yaml
    description: the CPU target and the floor    # what it searches (`fargatesim examples` shows it)
    parameters:
      autoscaling.policies[0].target_tracking_scaling_policy_configuration.target_value: {low: 30, high: 85}
      autoscaling.min_capacity: {low: 1, high: 20, integer: true}
      autoscaling.policies[0].target_tracking_scaling_policy_configuration.scale_in_cooldown: {low: 60, high: 900, step: 60}
      task_definition.cpu: [512, 1024, 2048]          # a choice; memory follows (see below)
      autoscaling.policies:                           # a choice between whole values, by name
        choices:
          cpu-only: [{...}]
          cpu-and-requests: [{...}, {...}]
      policy_set:                                     # no scenario key: a choice between sets of changes
        choices:
          tracking: {autoscaling.policies: [{...}], alarms: []}
          stepped: {autoscaling.policies: [{...}, {...}], alarms: [{...}, {...}]}
    objective: cost          # cost: the cheapest that meets the SLO | pareto: cost and minutes outside the SLO
    slo_share: 1.0           # cost: the share of seeds on which the SLO must be met

Keys are the paths `--set` takes. A range is {low, high} (numbers; `integer: true` for whole
numbers, `step` for a grid, `log: true` to search the scale of the number rather than its
value); a list is a choice among its values; {choices: {NAME: VALUE}} a choice among named
values, which may be whole mappings or lists. A named choice under a name that is no scenario
key chooses between sets of changes: each value maps key paths to their values, applied
together (a step policy with its alarms, say). When task_definition.cpu is searched and
task_definition.memory is not, memory follows it: the scenario's MiB per vCPU, rounded up to a
memory Fargate allows with that CPU (the nearest allowed, when none is that large).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario import ScenarioError
from ..scenario.loader import read_yaml_file
from ..scenario.task import FARGATE_SIZES

OBJECTIVES = ("cost", "pareto")
_RANGE_KEYS = {"low", "high", "integer", "step", "log"}


@dataclass(frozen=True)
class Parameter:
    key: str                                  # the scenario key path
    kind: str                                 # "float", "int" or "choice"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple = ()                       # what Optuna picks among: numbers, text, or the names
    values: dict = field(default_factory=dict)   # name -> value, for named choices
    change_sets: bool = False                 # the key is no scenario key: each value is {key path: value}

    def suggest(self, trial) -> Any:
        """The trial's value of this parameter, as the scenario takes it."""
        if self.kind == "choice":
            picked = trial.suggest_categorical(self.key, list(self.choices))
            return self.values.get(picked, picked) if self.values else picked
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def scenario_value(self, optuna_value) -> Any:
        """The value a stored trial's parameter stands for (a named choice's value)."""
        return self.values.get(optuna_value, optuna_value) if self.values else optuna_value

    def grid(self) -> list:
        """Every value, for a parameter with finitely many (choices, integers, steps); else []."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step:
            n = int(math.floor((self.high - self.low) / self.step + 1e-9))
            return [self.low + i * self.step for i in range(n + 1)]
        return []


@dataclass(frozen=True)
class Space:
    parameters: tuple[Parameter, ...]
    objective: str = "cost"
    slo_share: float = 1.0
    source: str | None = None

    def changes(self, values: dict[str, Any], scenario) -> dict[str, Any]:
        """The scenario changes for parameter values by key (memory following the CPU)."""
        sets = {p.key for p in self.parameters if p.change_sets}
        changes = {k: v for k, v in values.items() if k not in sets}
        for key in sets & set(values):
            changes.update(values[key])
        cpu = changes.get("task_definition.cpu")
        if cpu is not None and "task_definition.memory" not in changes:
            changes["task_definition.memory"] = following_memory(scenario, int(cpu))
        return changes

    def size(self) -> int | None:
        """How many configurations there are, when every parameter has finitely many."""
        sizes = [len(p.grid()) for p in self.parameters]
        return math.prod(sizes) if all(sizes) else None


def following_memory(scenario, cpu: int) -> int:
    """The memory for `cpu` units at the scenario's MiB per vCPU: the smallest Fargate allows
    at least that large, or the largest it allows when none is."""
    td = scenario.task_definition
    allowed = FARGATE_SIZES.get(cpu)
    if allowed is None:
        return td.memory            # not a Fargate CPU: the scenario's own check will say so
    want = td.memory / td.cpu * cpu
    larger = [m for m in allowed if m >= want]
    return larger[0] if larger else allowed[-1]


def load_space(path: str | Path, scenario) -> Space:
    """Read and check a SPACE file against the scenario it searches: every key path must take
    its range's ends (or each choice), and say so naming the file and the key when it does not."""
    return space_from_dict(read_yaml_file(path), scenario, source=str(path))


def space_from_dict(data, scenario, source: str | None = None) -> Space:
    def fail(message: str, path: str | None = None):
        raise ScenarioError(message, file=source, path=path)

    if not isinstance(data, dict):
        fail(f"expected a mapping with `parameters` (scenario key paths and their ranges); got {_kind(data)}")
    unknown = sorted(set(data) - {"description", "parameters", "objective", "slo_share"})
    if unknown:
        fail(f"unknown key {unknown[0]!r}; allowed keys here: description, parameters, objective, slo_share",
             unknown[0])
    if not isinstance(data.get("description", ""), str):
        fail(f"expected text saying what the space searches; got {_kind(data['description'])}", "description")
    raw = data.get("parameters")
    if not isinstance(raw, dict) or not raw:
        fail("expected at least one scenario key path with its range, e.g. "
             "autoscaling.min_capacity: {low: 1, high: 10, integer: true}", "parameters")
    objective = data.get("objective", "cost")
    if objective not in OBJECTIVES:
        fail(f"expected one of {', '.join(OBJECTIVES)}; got {objective!r}", "objective")
    share = data.get("slo_share", 1.0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        fail(f"expected a share of the seeds, above 0 and at most 1; got {share!r}", "slo_share")
    parameters = tuple(_parameter(str(key), spec, fail, scenario) for key, spec in raw.items())
    space = Space(parameters, objective, float(share), source)
    for p in parameters:
        _check_against(space, p, scenario, fail)
    return space


def _parameter(key: str, spec, fail, scenario) -> Parameter:
    where = f"parameters.{key}"
    if isinstance(spec, list):
        if not spec:
            fail("expected at least one value to choose among", where)
        if not all(isinstance(v, (int, float, str, bool)) and v is not None for v in spec):
            fail("expected a list of numbers or words; for whole mappings or lists, name them: "
                 "{choices: {NAME: VALUE, ...}}", where)
        if len({(type(v) is bool, v) for v in spec}) != len(spec):
            fail(f"expected different values; got {spec!r}", where)
        return Parameter(key, "choice", choices=tuple(spec))
    if not isinstance(spec, dict):
        fail(f"expected a range {{low: ..., high: ...}}, a list of values or {{choices: {{NAME: VALUE}}}}; "
             f"got {_kind(spec)}", where)
    if "choices" in spec:
        named = spec["choices"]
        if set(spec) != {"choices"} or not isinstance(named, dict) or not named:
            fail("expected {choices: {NAME: VALUE, ...}}: names, each with the value it stands for", where)
        values = {str(name): value for name, value in named.items()}
        if _is_key(scenario, key):
            return Parameter(key, "choice", choices=tuple(values), values=values)
        for name, value in values.items():
            if not isinstance(value, dict) or not value:
                fail(f"{key!r} is no scenario key, so each choice is a set of changes: expected {{KEY PATH: VALUE, "
                     f"...}}; got {_kind(value)}", f"{where}.choices.{name}")
        return Parameter(key, "choice", choices=tuple(values), values=values, change_sets=True)
    unknown = sorted(set(spec) - _RANGE_KEYS)
    if unknown:
        fail(f"unknown key {unknown[0]!r}; a range takes low, high, integer, step, log", f"{where}.{unknown[0]}")
    for end in ("low", "high"):
        if end not in spec:
            fail(f"expected {end}: a number", f"{where}.{end}")
        if isinstance(spec[end], bool) or not isinstance(spec[end], (int, float)) or not math.isfinite(spec[end]):
            fail(f"expected a finite number; got {spec[end]!r}", f"{where}.{end}")
    low, high = float(spec["low"]), float(spec["high"])
    if not low < high:
        fail(f"expected low below high; got low {spec['low']} and high {spec['high']}", where)
    integer = spec.get("integer", False)
    if not isinstance(integer, bool):
        fail(f"expected true or false; got {integer!r}", f"{where}.integer")
    step, log = spec.get("step"), spec.get("log", False)
    if not isinstance(log, bool):
        fail(f"expected true or false; got {log!r}", f"{where}.log")
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step)
                             or step <= 0):
        fail(f"expected a finite number above 0; got {step!r}", f"{where}.step")
    if step is not None and abs((high - low) / step - round((high - low) / step)) > 1e-9:
        fail(f"expected high - low ({high - low:g}) to be a whole number of steps of {step:g}, so that both ends "
             "are tried", f"{where}.step")
    if log and (step is not None or low <= 0):
        fail("expected log with low above 0 and no step (Optuna searches a log scale continuously)", where)
    # Whole numbers when asked, or when the ends and the step are all written as whole numbers.
    whole_grid = step is not None and all(isinstance(v, int) for v in (spec["low"], spec["high"], step))
    if integer or whole_grid:
        if not (low.is_integer() and high.is_integer()) or (step is not None and not float(step).is_integer()):
            fail("expected whole numbers for low, high and step of an integer range", where)
        return Parameter(key, "int", low, high, float(step) if step else None, log)
    return Parameter(key, "float", low, high, float(step) if step else None, log)


def _check_against(space: Space, p: Parameter, scenario, fail) -> None:
    """Each end of a range and each choice must make a valid scenario, on its own."""
    if p.kind == "choice":
        probes = [p.scenario_value(v) for v in p.choices]
    elif p.kind == "int":
        probes = [int(p.low), int(p.high)]
    else:
        # The ends, and a value between them that no grid of whole numbers holds: a key that
        # takes whole numbers only is refused here, not trial after trial.
        inside = p.grid()[len(p.grid()) // 2] if p.step else p.low + (p.high - p.low) * 0.3719
        probes = [p.low, p.high, inside]
    for value in probes:
        try:
            scenario.with_changes(space.changes({p.key: value}, scenario))
        except ScenarioError as e:
            hint = (" (a key of whole numbers: add `integer: true`)"
                    if p.kind == "float" and not float(value).is_integer() else "")
            fail(f"the scenario does not take {_short(value)} here{hint}: {e}", f"parameters.{p.key}")


def _is_key(scenario, key: str) -> bool:
    from ..scenario.overrides import value_at
    try:
        data = scenario.to_dict()
        return value_at(data, key) is not None or key.split(".")[0].split("[")[0] in data
    except ValueError:
        return False


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {_short(value)}"
