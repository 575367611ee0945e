"""The `fargatesim import` command: read, check that the scenario validates, write, summarise.

Its arguments are described without importing anything heavy: every command's --help is built
with them. What runs the import is imported when it runs.
"""
from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenario_text import Imported

DESCRIPTION = """\
Write a scenario from your service as AWS or Terraform knows it: its task definition, service,
target group and load balancer settings, Application Auto Scaling bounds, policies and scheduled
actions, and the CloudWatch alarms of its step scaling policies. Settings the simulator does not
simulate are listed at the top of the file, those that would change results most first; the
load (traffic, and what one request costs), which no configuration holds, is written as marked
placeholders that `fargatesim validate` and `run` warn about until you replace them.

  aws DIR         the AWS CLI's JSON outputs for one service, saved as files in DIR (any names:
                  each is recognised by its content); README lists the commands
  terraform PLAN  the output of `terraform show -json` for a saved plan or a state
"""
EXAMPLES = """\
examples:
  fargatesim import aws exports/ -o service.yaml
  fargatesim import aws exports/ --service checkout -o checkout.yaml
  terraform plan -out tfplan && terraform show -json tfplan > plan.json
  fargatesim import terraform plan.json -o service.yaml
  fargatesim import terraform plan.json --address 'module.api.aws_ecs_service.this' -o api.yaml
"""


def add_parser(sub, parser_class, formatter) -> None:
    p = sub.add_parser("import", help="write a scenario from your service's AWS CLI outputs or Terraform plan",
                       formatter_class=formatter, description=DESCRIPTION, epilog=EXAMPLES)
    p.add_argument("source_kind", choices=("aws", "terraform"), metavar="{aws,terraform}",
                   help="what SOURCE is: aws (a folder of AWS CLI outputs) or terraform (terraform show -json)")
    p.add_argument("source", metavar="SOURCE", help="the folder (aws) or the JSON file (terraform)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the scenario to FILE (default: standard output)")
    p.add_argument("--service", metavar="NAME",
                   help="aws: the service to import (name or ARN) when the outputs hold several")
    p.add_argument("--address", metavar="ADDRESS",
                   help="terraform: the aws_ecs_service to import (its resource address, e.g. "
                        "module.api.aws_ecs_service.this) when the plan holds several")


def run_import(args) -> int:
    imported = _read(args)
    text = imported.to_yaml()
    _check_validates(text, imported, args.source)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write(Path(args.output), text)
    print(summary(imported, args.output), file=sys.stderr)
    return 0


def _read(args) -> Imported:
    from ..scenario import ScenarioError
    if args.source_kind == "aws":
        from .aws_cli import import_aws
        if args.address:
            raise ScenarioError("--address applies to terraform; for aws, choose the service with --service",
                                path="--address")
        return import_aws(args.source, service=args.service,
                          command=f"fargatesim import aws {args.source}")
    from .terraform_service import import_terraform
    if args.service:
        raise ScenarioError("--service applies to aws; for terraform, choose the service with --address",
                            path="--service")
    return import_terraform(args.source, address=args.address,
                            command=f"fargatesim import terraform {args.source}")


def _check_validates(text: str, imported: Imported, source: str) -> None:
    import yaml

    from ..scenario import ScenarioError, ScenarioWarning, scenario_from_dict
    """The scenario written is one `fargatesim validate` accepts (its warnings are the file's own)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        try:
            scenario_from_dict(yaml.safe_load(text))
        except ScenarioError as e:
            raise ScenarioError(f"the scenario written from it does not validate, so it was not written; the "
                                f"input holds a value AWS would refuse, or one the simulator cannot take: {e}",
                                file=source) from None


def _write(path: Path, text: str) -> None:
    from ..scenario import ScenarioError
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(f"cannot write there: there is no folder {folder}", file=str(path))
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, path)
    except OSError as e:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise ScenarioError(f"cannot write there: {e.strerror or e}", file=str(path)) from None


def summary(imported: Imported, output: str | None) -> str:
    from .impact import NO_EFFECT
    sections = imported.sections
    scaling = sections.get("autoscaling") or {}
    parts = [_count(len(scaling.get("policies", [])), "scaling policy", "scaling policies"),
             _count(len(scaling.get("scheduled_actions", [])), "scheduled action", "scheduled actions"),
             _count(len(sections.get("alarms", [])), "alarm", "alarms")]
    ranked = sum(d.rank < NO_EFFECT for d in imported.dropped)
    where = output or "the scenario"
    lines = [f"imported {imported.service}: {', '.join(parts)}"]
    if ranked:
        lines.append(f"{ranked} setting(s) that would change results are not simulated: listed at the top of {where}")
    others = list(imported.placeholders)
    lines.append(f"traffic and workload{' and ' + ', '.join(others) if others else ''} are placeholders: "
                 f"replace them in {where} (its comments say how), then `fargatesim validate {output or 'FILE'}`")
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
