"""What AWS would have recorded of a simulated run, in AWS's own formats (`fargatesim run
--records DIR`): the readers of fargatesim.records read these files as they read a real
service's, so every reader has a producer to be tested against.

- get-metric-data.json: every metric the simulator publishes, one datapoint a minute (Sum for
  counts, Average otherwise, as Result.metrics gives them), as `aws cloudwatch get-metric-data`
  prints them.
- describe-tasks.json: every task with its createdAt (PROVISIONING), pullStartedAt (PENDING),
  pullStoppedAt (ACTIVATING), startedAt (RUNNING), stoppingAt (DEACTIVATING, else STOPPING) and
  stoppedAt (STOPPED), as `aws ecs describe-tasks` prints them. Tasks running when the run
  starts were created before it: their times before RUNNING are the run's start.
- alb-access.log.gz: the request engine's requests, one ALB access log line each. Its records
  keep each answered request's latency and the tick its response went out in, not the
  instant, so a line's time is the end of that tick and its request_creation_time that less
  the latency; errors are written at the end of their tick, a 504 as having come the idle
  timeout (workload.timeout) before. The fluid engine keeps per-tick
  counts only: per-minute counts and latencies (get-metric-data.json) are what it can record,
  and it writes no access log.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from .dataplane.request_latency import ATTR
from .metric_catalogue import PUBLISHED_METRICS
from .output import write_files
from .records import alb_log_lines, metric_data_document, tasks_document

RECORD_FILES = ("get-metric-data.json", "describe-tasks.json", "alb-access.log.gz")
ACCOUNT = "123456789012"        # the account number AWS's documentation uses
# Each error kind of the data plane as the access log shows it: (elb_status_code, target_status_code);
# -1 is `-`, the request reached no target (or got no answer from it).
ERROR_CODES = {"elb_503": (503, -1), "elb_502": (502, -1), "target_503": (503, 503), "timeout_504": (504, -1),
               "reset_on_stop": (502, -1)}


def save_records(result, directory) -> list[str]:
    """Write the run's records into `directory`; the names of the files written."""
    if not result.in_process:
        raise ValueError("records can be written only in the process that ran the simulation")
    sim = result._simulation
    start = result.scenario.start.timestamp()
    files = {"get-metric-data.json": lambda p: _write_json(p, metric_data(result, start)),
             "describe-tasks.json": lambda p: _write_json(p, tasks(sim, start))}
    if getattr(sim.records, ATTR, None) is not None:
        files["alb-access.log.gz"] = lambda p: _write_log(p, sim, start)
    write_files(directory, files, owned=RECORD_FILES)
    return list(files)


def metric_data(result, start: float) -> dict:
    frame = result.metrics(60)
    series = []
    for namespace, names in PUBLISHED_METRICS.items():
        for name in names:
            ident = f"{namespace.split('/')[-1].lower()}_{name.lower()}"
            series.append((ident, name, start + frame["t_s"].to_numpy(), frame[f"{namespace}/{name}"].to_numpy()))
    return metric_data_document(series)


def tasks(sim, start: float) -> dict:
    scenario = sim.scenario
    cluster = f"arn:aws:ecs:{scenario.pricing.region}:{ACCOUNT}"
    out = []
    for task in sim.service.tasks:
        entered = {}
        for t, state in task.history:
            entered.setdefault(state.value, start + t)
        running = entered.get("RUNNING")
        steady = running == start and "PROVISIONING" not in entered
        first = {k: (running if steady else entered.get(state))
                 for k, state in (("createdAt", "PROVISIONING"), ("pullStartedAt", "PENDING"),
                                  ("pullStoppedAt", "ACTIVATING"))}
        out.append({"taskArn": f"{cluster}:task/{scenario.service.name}/{task.id}",
                    "group": f"service:{scenario.service.name}", "lastStatus": task.state.value,
                    "launchType": "FARGATE", "stopCode": task.stop_code, **first, "startedAt": running,
                    "stoppingAt": entered.get("DEACTIVATING", entered.get("STOPPING")),
                    "stoppedAt": entered.get("STOPPED")})
    return tasks_document(out)


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, indent=1) + "\n")


def _write_log(path: Path, sim, start: float) -> None:
    log = getattr(sim.records, ATTR)
    tick = sim.tick
    sent = start + (log.ticks.astype(np.float64) + 1) * tick
    latency = log.latencies.astype(np.float64)
    parts = [(sent - latency, sent, latency, np.full(len(sent), 200), np.full(len(sent), 200))]
    for kind, (elb_code, target_code) in ERROR_CODES.items():
        counts = getattr(sim.records, kind).astype(np.int64)
        ticks = np.repeat(np.arange(len(counts)), counts)
        when = start + (ticks + 1) * tick
        # A 504 goes out when the idle timeout runs out: the request came that long before.
        came = when - sim.scenario.workload.timeout if kind == "timeout_504" else when
        reached = np.full(len(when), 0.0 if target_code > 0 else np.nan)
        parts.append((came, when, reached, np.full(len(when), elb_code), np.full(len(when), target_code)))
    arrival, response, target, elb_status, target_status = (np.concatenate(c) for c in zip(*parts))
    order = np.argsort(response, kind="stable")
    scenario = sim.scenario
    region = scenario.pricing.region
    lines = alb_log_lines(arrival[order], response[order], target[order], elb_status[order], target_status[order],
                          elb=f"app/{scenario.service.name}/0123456789abcdef",
                          target=f"10.0.0.1:{sim.scenario.task_definition.app_container.port_mappings[0].container_port}",
                          target_group_arn=f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:targetgroup/"
                                           f"{scenario.service.name}/0123456789abcdef")
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.writelines(lines)
