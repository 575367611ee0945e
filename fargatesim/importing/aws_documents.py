"""The AWS CLI's JSON outputs in a folder, each recognised by what it holds, not by its name.

One file is one command's output (`aws ecs describe-services ... > services.json`); a user may
name the files as they like, save several outputs of the same command, or leave other files in
the folder. Which describe call wrote a file is told by its top-level keys; the two attribute
calls of Elastic Load Balancing print the same shape ({"Attributes": [{"Key", "Value"}]}) and
are told apart by their keys (a target group's deregistration delay, a load balancer's idle
timeout).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..scenario import ScenarioError

# top-level key -> (kind, the command that prints it)
KINDS: dict[str, tuple[str, str]] = {
    "services": ("services", "aws ecs describe-services"),
    "taskDefinition": ("task_definition", "aws ecs describe-task-definition"),
    "ScalableTargets": ("scalable_targets", "aws application-autoscaling describe-scalable-targets"),
    "ScalingPolicies": ("scaling_policies", "aws application-autoscaling describe-scaling-policies"),
    "ScheduledActions": ("scheduled_actions", "aws application-autoscaling describe-scheduled-actions"),
    "MetricAlarms": ("alarms", "aws cloudwatch describe-alarms"),
    "TargetGroups": ("target_groups", "aws elbv2 describe-target-groups"),
}
ATTRIBUTE_COMMANDS = {
    "target_group_attributes": "aws elbv2 describe-target-group-attributes",
    "load_balancer_attributes": "aws elbv2 describe-load-balancer-attributes",
}
# Keys only a target group's attributes have, and only a load balancer's. Some keys are both's
# (load_balancing.cross_zone.enabled is an attribute of every load balancer and of a target
# group), so a document is a load balancer's as soon as it has one key only those have.
_TARGET_GROUP_KEYS = ("deregistration_delay.", "slow_start.", "stickiness.", "load_balancing.algorithm.",
                      "target_group_health.", "lambda.", "proxy_protocol_v2.", "preserve_client_ip.",
                      "target_failover.", "target_health_state.")
_LOAD_BALANCER_KEYS = ("idle_timeout.", "access_logs.", "deletion_protection.", "routing.", "client_keep_alive.",
                       "connection_logs.", "waf.", "zonal_shift.", "health_check_logs.", "ipv6.", "dns_record.")
# A folder of outputs is small; a file far larger than any describe output is not one.
MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass
class Document:
    path: Path
    kind: str
    data: Any


@dataclass
class Folder:
    """The outputs found in a folder, by kind; `skipped` names the files that are none."""

    path: Path
    documents: dict[str, list[Document]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[Document]:
        return self.documents.get(kind, [])

    def items(self, kind: str, key: str) -> list[tuple[Document, dict]]:
        """Every entry of every document of `kind` under `key` (services, ScalingPolicies, ...)."""
        return [(doc, item) for doc in self.of(kind) for item in doc.data.get(key) or [] if isinstance(item, dict)]


def read_folder(folder: str | Path) -> Folder:
    path = Path(folder)
    if not path.is_dir():
        raise ScenarioError(f"expected a folder of the AWS CLI's JSON outputs; "
                            f"{'it is a file' if path.exists() else 'there is no such folder'}", file=str(folder))
    found = Folder(path)
    for file in sorted(p for p in path.iterdir() if p.is_file()):
        kind, data = _recognise(file)
        if kind is None:
            found.skipped.append(f"{file.name} ({data})")
        else:
            found.documents.setdefault(kind, []).append(Document(file, kind, data))
    if not found.of("services"):
        raise ScenarioError(
            "expected the output of `aws ecs describe-services` among the folder's files (a JSON file with a "
            "\"services\" list); " + (f"found only: {_listed(found)}" if found.documents else
                                      f"no file there is an AWS CLI output the importer reads ({_expected()})")
            + (f"; not read: {', '.join(found.skipped)}" if found.skipped else ""),
            file=str(folder))
    return found


def _recognise(file: Path) -> tuple[str | None, Any]:
    """(kind, data), or (None, why the file is not read)."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            return None, f"larger than {MAX_FILE_BYTES >> 20} MiB"
        data = json.loads(_text(file.read_bytes()))
    except OSError as e:
        return None, f"unreadable: {e.strerror or e}"
    except (UnicodeDecodeError, ValueError):
        return None, "not JSON"
    if not isinstance(data, dict):
        return None, "not an AWS CLI output"
    for key, (kind, _) in KINDS.items():
        if isinstance(data.get(key), (list, dict)):
            if kind == "task_definition" and not isinstance(data[key], dict):
                continue
            if kind != "task_definition" and not isinstance(data[key], list):
                continue
            return kind, data
    attributes = data.get("Attributes")
    if isinstance(attributes, list) and all(isinstance(a, dict) and "Key" in a for a in attributes):
        keys = [str(a["Key"]) for a in attributes]
        if any(k.startswith(_LOAD_BALANCER_KEYS) for k in keys):
            return "load_balancer_attributes", data
        if any(k.startswith(_TARGET_GROUP_KEYS) for k in keys):
            return "target_group_attributes", data
    return None, "not an AWS CLI output the importer reads"


def _text(raw: bytes) -> str:
    """Windows PowerShell writes UTF-16 with a byte order mark (`>`), or UTF-8 with one."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def attributes(document: Document) -> dict[str, str]:
    return {str(a["Key"]): a.get("Value") for a in document.data["Attributes"]}


def _listed(found: Folder) -> str:
    return ", ".join(f"{doc.path.name} ({_command(kind)})" for kind, docs in found.documents.items() for doc in docs)


def _command(kind: str) -> str:
    return next((cmd for k, cmd in KINDS.values() if k == kind), None) or ATTRIBUTE_COMMANDS[kind]


def _expected() -> str:
    return "outputs of " + ", ".join([cmd.removeprefix("aws ") for _, cmd in KINDS.values()]
                                     + [c.removeprefix("aws ") for c in ATTRIBUTE_COMMANDS.values()])
