"""An imported service written out as a scenario file: what was read, what was left out (most
consequential first), the load as marked placeholders, then the sections taken from the input."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..scenario.schema import MAX_NAME_LENGTH
from .impact import NO_EFFECT, Dropped, by_impact

# The made-up load of an imported scenario: requests that each need PLACEHOLDER_CPU_MS of CPU
# and PLACEHOLDER_IO_MS of waiting, at a rate that keeps the service's tasks PLACEHOLDER_LOAD busy.
PLACEHOLDER_CPU_MS = 20.0
PLACEHOLDER_IO_MS = 10.0
PLACEHOLDER_LOAD = 0.5
PLACEHOLDERS = ("traffic", "workload.cpu_ms", "workload.io_ms")
# Sections in the order a scenario file gives them (docs/scenario-reference.yaml).
ORDER = ("task_definition", "service", "target_group", "autoscaling", "alarms", "pricing")


@dataclass
class Imported:
    """A service read from AWS or Terraform, ready to be written as a scenario."""

    command: str                        # how it was imported, e.g. "fargatesim import aws exports/"
    service: str                        # the service it describes (ARN, or Terraform address)
    read: list[str]                     # what values were taken from (files, resource addresses)
    sections: dict[str, Any]            # name and the sections of ORDER that the input gave
    idle_timeout: float | None = None   # the load balancer's, seconds: the requests' timeout
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Keys of the sections that stand in for values the input does not know (beside the load)
    placeholders: list[str] = field(default_factory=list)

    def scenario(self) -> dict[str, Any]:
        """The scenario as plain data, placeholders included."""
        traffic, workload = placeholder_load(self)
        data = {"name": self.sections["name"], "description": self.description, "duration": 3600,
                "placeholders": [*PLACEHOLDERS, *self.placeholders], "traffic": traffic, "workload": workload}
        data.update({k: self.sections[k] for k in ORDER if k in self.sections})
        return data

    @property
    def description(self) -> str:
        return f"{self.service}, imported by `{self.command}`."

    def to_yaml(self) -> str:
        """The scenario file: comment block, placeholders, then the imported sections."""
        data = self.scenario()
        out = [*self._header(), ""]
        out.append(_dump({k: data[k] for k in ("name", "description", "duration")}))
        out += ["", *_placeholder_comment(self, data), _dump({k: data[k] for k in ("placeholders", "traffic")})]
        out.append(_workload_text(data["workload"]))
        for key in ORDER:
            if key in data:
                out.append(_dump({key: data[key]}))
        return "\n".join(part.rstrip("\n") for part in out) + "\n"

    def _header(self) -> list[str]:
        lines = [*_wrapped("# ", f"Imported by `{self.command}`: {self.service}."),
                 *_wrapped("# ", "Values were taken from: " + ", ".join(self.read) + "."),
                 "# Every key below is AWS's value as read, or AWS's default where the input leaves it out;",
                 "# keys marked (sim) in `fargatesim examples reference` keep the simulator's defaults."]
        ranked = [d for d in by_impact(self.dropped) if d.rank < NO_EFFECT]
        if ranked:
            lines += ["#", "# Left out because fargatesim does not simulate them, the most consequential first:"]
            for d in ranked:
                lines.append(_printable(f"#   {d.where}.{d.setting} = {_short(d.value)}"))
                lines.append(_printable(f"#       {d.why}"))
        quiet = [d for d in self.dropped if d.rank >= NO_EFFECT]
        if quiet:
            lines += ["#", "# Left out, with no effect on what is simulated (identifiers, networking, IAM, tags, logging):"]
            sections: dict[str, list[str]] = {}
            for d in quiet:
                names = sections.setdefault(d.where, [])
                if d.setting not in names:
                    names.append(d.setting)
            for where, names in sections.items():
                lines += _wrapped(f"#   {where}: ", ", ".join(names))
        if self.notes:
            lines += ["#", "# Notes:"]
            for note in self.notes:
                lines += _wrapped("#   - ", note)
        return lines


def scenario_name(service_name: str) -> str:
    """The service's name as a scenario name (letters, digits, '.', '_', '-': ECS names are)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", service_name).strip("-.") or "imported-service"
    return name[:MAX_NAME_LENGTH]


def placeholder_load(imported: Imported) -> tuple[list, dict]:
    """A load the imported service carries at PLACEHOLDER_LOAD of its tasks' CPU."""
    task = imported.sections["task_definition"]
    service = imported.sections.get("service", {})
    scaling = imported.sections.get("autoscaling") or {}
    # Counts that are not numbers are the scenario's to report; the load needs only a guess.
    counts = [n for n in (service.get("desired_count"), scaling.get("min_capacity"))
              if isinstance(n, (int, float)) and not isinstance(n, bool) and 0 < n <= 5000]
    tasks = max(counts, default=1)
    cpu = task.get("cpu")
    vcpu = cpu / 1024 if isinstance(cpu, int) and 0 < cpu <= 16384 else 0.25
    rps = PLACEHOLDER_LOAD * tasks * vcpu * 1000 / PLACEHOLDER_CPU_MS
    workload: dict[str, Any] = {"cpu_ms": PLACEHOLDER_CPU_MS, "io_ms": PLACEHOLDER_IO_MS}
    if imported.idle_timeout is not None:
        workload["timeout"] = imported.idle_timeout
    return [{"constant": {"rps": _round(rps)}}], workload


def _placeholder_comment(imported: Imported, data: dict) -> list[str]:
    rps = data["traffic"][0]["constant"]["rps"]
    return [
        "# PLACEHOLDERS: the configuration does not say what load the service gets. Until you replace them,",
        f"# traffic is a steady {rps:g} requests/s, each needing {PLACEHOLDER_CPU_MS:g} ms of CPU and "
        f"{PLACEHOLDER_IO_MS:g} ms of waiting on",
        f"# downstreams: about {PLACEHOLDER_LOAD:.0%} of the CPU of {_starting_tasks(imported)}. Describe "
        "your traffic",
        "# (constant, diurnal, spike, steps, ramp, or a trace of your ALB logs) and what one request costs,",
        "# then remove each replaced key from `placeholders`: `fargatesim validate` and `run` warn until then.",
        *(["# Other placeholders (the notes above say why): " + ", ".join(imported.placeholders) + "."]
          if imported.placeholders else []),
    ]


def _starting_tasks(imported: Imported) -> str:
    service = imported.sections.get("service", {})
    scaling = imported.sections.get("autoscaling") or {}
    if not service.get("desired_count") and not scaling.get("min_capacity"):
        return "one task (the service starts with none)"
    return "the tasks the service starts with"


def _workload_text(workload: dict) -> str:
    lines = ["workload:", f"  cpu_ms: {workload['cpu_ms']:g}", f"  io_ms: {workload['io_ms']:g}"]
    if "timeout" in workload:
        lines.append(f"  timeout: {workload['timeout']:g}    # the load balancer's idle timeout: "
                     "a request unanswered by then is a 504")
    return "\n".join(lines) + "\n"


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # each value written out where it is, never as an anchor
        return True


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096,
                     allow_unicode=True)


def _short(value: Any, limit: int = 90) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]        # Terraform's block of one element
    text = json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _printable(text: str) -> str:
    """Text from the input as a comment can hold it: a line break or a control character in a
    name would end the comment, or make the file unreadable as YAML."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _wrapped(head: str, text: str, width: int = 100) -> list[str]:
    text = _printable(text)
    lines, line = [], head
    indent = "#" + " " * (len(head) - 1)
    for word in text.split(" "):
        if len(line) + len(word) > width and line.strip("# -"):
            lines.append(line.rstrip())
            line = indent
        line += word + " "
    lines.append(line.rstrip())
    return lines


def _round(rps: float) -> float:
    """Two significant figures, at least 0.1 request/s."""
    if rps <= 0.1:
        return 0.1
    digits = 1 - int(math.floor(math.log10(rps)))
    value = round(rps, max(digits, 0))
    return int(value) if value == int(value) else value
