"""`terraform show -json` output: the resources it plans (or holds), and what refers to what.

A plan knows most values but not the ones AWS assigns (ARNs, ids): a service's target group,
an alarm's policies, are then only known from the configuration section, where each expression
lists the references it is made of. References are resolved as Terraform resolves them: within
the module that holds the expression, through `var.X` to the expression the calling module
passes, through `module.M.OUTPUT` to the output's own expression inside M. A state (`terraform
show -json` without a plan) has every value but no configuration: there, ARNs link resources.

Resources are addressed as Terraform prints them (module.api["eu"].aws_ecs_service.this[0]);
`base` strips the instance keys of count and for_each, which the configuration does not have.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..scenario import ScenarioError

# Expressions refer to these, which name no resource.
_NOT_RESOURCES = ("data", "local", "each", "count", "path", "terraform", "self")
_INSTANCE_KEY = re.compile(r"\[[^\]]*\]")
# A reference's parts, each with the instance key written after it: module.alb.target_groups["api"].arn
_SEGMENT = re.compile(r"([^.\[]+)((?:\[[^\]]*\])?)")
# Module nesting deeper than this is a loop in what was read, not a configuration.
_DEEPEST = 64
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Resource:
    address: str            # as Terraform prints it, instance keys included
    type: str
    values: dict[str, Any]
    module: tuple[str, ...]  # module path, e.g. ("module.api",), without instance keys

    @property
    def base(self) -> str:
        return base_address(self.address)


def base_address(address: str) -> str:
    return _INSTANCE_KEY.sub("", address)


_ADDRESS = re.compile(r"(?P<module>(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)(?P<resource>[^.\[]+\.[^.\[]+)"
                      r"(?P<key>\[[^\]]*\])?")


def split_address(address: str) -> tuple[str, str]:
    """(module instance, the resource's own instance key): module.svc["api"].aws_x.y[0] ->
    ('module.svc["api"]', '[0]')."""
    m = _ADDRESS.fullmatch(address)
    if m is None:
        return "", ""
    return m["module"].rstrip("."), m["key"] or ""


def same_instance(source: Resource, found: list[Resource]) -> list[Resource]:
    """Of the instances a reference names (its address has no instance keys), those that go
    with `source`: in the same module instance when both are in the same module; otherwise,
    when some carry the source's own instance key, in their modules' keys or as their own (a
    for_each over the same map: aws_lb_listener_rule.route["api"] -> module.svc["api"],
    aws_ecs_service.api["staging"] -> aws_ecs_cluster.c["staging"]), those."""
    module, key = split_address(source.address)
    kept = []
    for r in found:
        other, _ = split_address(r.address)
        if base_address(other) == base_address(module) and other != module:
            continue
        kept.append(r)
    if key:
        keyed = [r for r in kept if key in split_address(r.address)[0] or split_address(r.address)[1] == key]
        if keyed:
            return keyed
    return kept


def number(value: Any, default: Any = None) -> Any:
    """The provider's numbers kept as text ("256", "30") as numbers; "" and null as `default`."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def given(values: dict, taken) -> dict:
    """The arguments of `values` that the configuration set (null, [] and {} are unset)."""
    return {k: v for k, v in values.items() if k not in taken and v not in (None, [], {}, "")}


class Plan:
    def __init__(self, data: dict, file: str):
        self.file = file
        root = (data.get("planned_values") or {}).get("root_module") or (data.get("values") or {}).get("root_module")
        if not isinstance(root, dict):
            raise ScenarioError("expected the output of `terraform show -json` (a saved plan, with planned_values, "
                                "or a state, with values); found neither", file=file)
        self.resources: list[Resource] = list(_resources(root))
        self.config = (data.get("configuration") or {}).get("root_module") or {}
        self.config_providers = (data.get("configuration") or {}).get("provider_config") or {}
        # The root module's input variables, as the plan was made with them.
        self.variables = {k: v.get("value") for k, v in (data.get("variables") or {}).items() if isinstance(v, dict)}
        self.is_state = "planned_values" not in data

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types and r.values is not None]

    def linked(self, source: Resource, path: tuple[str, ...], types: tuple[str, ...],
               keys: tuple[str, ...] = ("arn", "id")) -> list[Resource]:
        """Resources of `types` that `source`'s attribute at `path` names: by value when the value is
        known (a state, or an ARN written as text), else by the configuration's references."""
        wanted = set(_strings(_at(source.values, path)))
        candidates = self.of_type(*types)
        found = [r for r in candidates if wanted & {r.values.get(k) for k in keys if isinstance(r.values.get(k), str)}]
        if found:
            return found
        referred = self.references(source, path)
        named = [r for r in candidates if any(r.base == base and all(n in r.address for n in needles)
                                             for base, needles in referred)]
        # The keys a reference writes out name its instance; where they name none of the plan's
        # (a key of a module's map output that is not the resource's own), every instance may be it.
        named = named or [r for r in candidates if any(r.base == base for base, _ in referred)]
        return same_instance(source, named)

    def references(self, source: Resource, path: tuple) -> set[tuple[str, frozenset[str]]]:
        """What the expression of `source` at `path` refers to: each resource's base address, with
        the parts its address must hold where the reference writes instance keys out
        (aws_lb_target_group.this["api"], module.svc["api"].)."""
        config = self._config_resource(source)
        if config is None:
            return set()
        expression = _at(config.get("expressions") or {}, path)
        return self._resolve(source.module, _references(expression), 0)

    def _config_module(self, module: tuple[str, ...]) -> dict | None:
        node = self.config
        for call in module:
            node = ((node.get("module_calls") or {}).get(call.removeprefix("module.")) or {}).get("module")
            if node is None:
                return None
        return node

    def _config_resource(self, resource: Resource) -> dict | None:
        module = self._config_module(resource.module)
        local = resource.base.rsplit(".", 2)
        name = ".".join(local[-2:])
        for item in (module or {}).get("resources") or []:
            if item.get("address") == name and item.get("mode", "managed") == "managed":
                return item
        return None

    def _resolve(self, module: tuple[str, ...], refs: list[str], depth: int,
                 needles: frozenset[str] = frozenset()) -> set[tuple[str, frozenset[str]]]:
        if depth > _DEEPEST:
            return set()
        out: set[tuple[str, frozenset[str]]] = set()
        prefix = "".join(f"{m}." for m in module)
        # Terraform lists a reference and each shorter form of it (module.alb.target_groups["api"].arn,
        # then ...["api"], module.alb.target_groups, module.alb): the longest says the most.
        refs = [r for r in refs if not any(o.startswith((r + ".", r + "[")) for o in refs)]
        for ref in refs:
            parts = _SEGMENT.findall(ref)
            if len(parts) < 2 or parts[0][0] in _NOT_RESOURCES:
                continue
            (kind, _), (name, key) = parts[0], parts[1]
            if kind == "var" and module:
                call = (self._config_module(module[:-1]) or {}).get("module_calls", {}).get(
                    module[-1].removeprefix("module."), {})
                expression = (call.get("expressions") or {}).get(name)
                out |= self._resolve(module[:-1], _references(expression), depth + 1, needles)
            elif kind == "module":
                # module.M.OUTPUT; with a computed instance key (module.M[each.key].OUTPUT)
                # Terraform lists only module.M, so every output of M may be the one.
                child = (*module, f"module.{name}")
                inner = needles | ({f"{prefix}module.{name}{key}."} if key else set())
                outputs = (self._config_module(child) or {}).get("outputs") or {}
                chosen = [parts[2]] if len(parts) >= 3 else [(n, "") for n in outputs]
                for output_name, output_key in chosen:
                    output = outputs.get(output_name) or {}
                    found = self._resolve(child, _references(output.get("expression")), depth + 1, frozenset(inner))
                    # A map output indexed by a key (target_groups["api"]) is taken to be the
                    # resource's own instances, keyed alike (a for_each over the same map).
                    out |= {(base, found_needles | ({base.rsplit(".", 2)[-2] + "." + base.rsplit(".", 1)[-1]
                                                     + output_key} if output_key else set()))
                            for base, found_needles in found}
            elif kind != "var":
                out.add((f"{prefix}{kind}.{name}", needles | ({f"{kind}.{name}{key}"} if key else set())))
        return out


def read_plan(file: str | Path) -> Plan:
    path = Path(file)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"expected a `terraform show -json` output of at most {MAX_FILE_BYTES >> 20} MiB; "
                                f"got {path.stat().st_size >> 20} MiB", file=str(file))
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError("there is no such file (write it with `terraform show -json tfplan > plan.json`)",
                            file=str(file)) from None
    except IsADirectoryError:
        raise ScenarioError("expected a file (`terraform show -json` output); got a folder", file=str(file)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"cannot read it: {getattr(e, 'strerror', None) or e}", file=str(file)) from None
    except ValueError as e:
        raise ScenarioError(f"expected JSON (the output of `terraform show -json`); it is not: {e}",
                            file=str(file)) from None
    if not isinstance(data, dict):
        raise ScenarioError("expected a JSON object (the output of `terraform show -json`)", file=str(file))
    return Plan(data, str(file))


def _resources(module: dict, depth: int = 0) -> Iterator[Resource]:
    path = tuple(m for m in base_address(module.get("address", "")).split(".") if m)
    calls = tuple(f"module.{name}" for kind, name in zip(path[::2], path[1::2]) if kind == "module")
    for item in module.get("resources") or []:
        if not (isinstance(item, dict) and isinstance(item.get("address"), str)):
            continue
        if item.get("mode", "managed") == "managed" and isinstance(item.get("values"), dict):
            yield Resource(item["address"], item.get("type", ""), item["values"], calls)
    if depth < _DEEPEST:
        for child in module.get("child_modules") or []:
            yield from _resources(child, depth + 1)


def _at(node: Any, path: tuple) -> Any:
    """Every value at `path`, through block lists (a list of blocks gives a list of values; a
    number in the path takes that block only)."""
    if not path:
        return node
    if isinstance(node, list) and isinstance(path[0], int):
        return _at(node[path[0]], path[1:]) if len(node) > path[0] else None
    if isinstance(node, list):
        return [_at(item, path) for item in node]
    if isinstance(node, dict):
        return _at(node.get(path[0]), path[1:])
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _references(expression: Any) -> list[str]:
    """Every reference in an expression of the configuration, and in the blocks below it."""
    if isinstance(expression, list):
        return [ref for item in expression for ref in _references(item)]
    if not isinstance(expression, dict):
        return []
    refs = list(expression.get("references") or [])
    for key, value in expression.items():
        if key not in ("references", "constant_value") and isinstance(value, (dict, list)):
            refs += _references(value)
    return refs
