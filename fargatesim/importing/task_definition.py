"""A task definition, as the ECS API describes it (camelCase), as a scenario section.

Terraform's container_definitions are the same JSON text, so both importers read containers
here; the task-level keys they spell differently are given already taken apart.
"""
from __future__ import annotations

from typing import Any

from ..scenario.task import snake_case
from .fargate_size import fargate_size
from .impact import dropped

# The container keys the simulation takes; a container's health check, its own cpu and memory,
# its restart policy, are dropped (and ranked by impact.py).
_TAKEN = ("name", "essential", "image", "portMappings", "stopTimeout")
_IMPACT_KEYS = {"healthCheck": "container_health_check", "cpu": "container_cpu", "memory": "container_memory"}


def task_definition_section(family: str, cpu: Any, memory: Any, platform: dict, storage: Any, containers: list,
                            out_dropped: list, notes: list[str]) -> dict:
    """`platform` as runtimePlatform ({cpuArchitecture, operatingSystemFamily}), `storage` in GiB."""
    containers = [c for c in containers if isinstance(c, dict)]
    section: dict[str, Any] = {"family": family}
    section["cpu"], section["memory"], note = fargate_size(cpu, memory, containers)
    if note:
        notes.append(note)
    section["runtime_platform"] = {"cpu_architecture": platform.get("cpuArchitecture") or "X86_64",
                                   "operating_system_family": platform.get("operatingSystemFamily") or "LINUX"}
    section["ephemeral_storage"] = {"size_in_gib": int(storage) if storage else 20}
    section["container_definitions"] = [container_section(i, c, out_dropped, section) for i, c in enumerate(containers)]
    return section


def container_section(i: int, c: dict, out_dropped: list, task: dict | None = None) -> dict:
    where = f"task_definition.container_definitions[{i}]"
    out: dict[str, Any] = {"name": c.get("name") or f"container-{i}", "essential": c.get("essential", True)}
    if c.get("image"):
        out["image"] = c["image"]
    ports = []
    for mapping in c.get("portMappings") or []:
        if (mapping.get("protocol") or "tcp") != "tcp":
            out_dropped.append(dropped(where, "port_mappings", mapping, key="udp_port_mappings"))
        elif mapping.get("containerPort") is not None:
            ports.append({"container_port": mapping["containerPort"]})
    if ports:
        out["port_mappings"] = ports
    if c.get("stopTimeout") is not None:
        out["stop_timeout"] = c["stopTimeout"]
    for key, value in c.items():
        if key not in _TAKEN:
            impact = _IMPACT_KEYS.get(key)
            if key in ("cpu", "memory") and task and isinstance(value, (int, float)) and value >= task[key]:
                impact = "container_at_task_size"      # a limit the task's own size already sets
            out_dropped.append(dropped(where, snake_case(key), value, key=impact))
    return out
