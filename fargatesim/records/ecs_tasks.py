"""ECS tasks as `aws ecs describe-tasks` prints them: when each was created, pulled its image,
started, was asked to stop and stopped.

    {"tasks": [{"taskArn": ..., "createdAt": ..., "pullStartedAt": ..., "pullStoppedAt": ...,
      "startedAt": ..., "stoppingAt": ..., "stoppedAt": ..., "lastStatus": ..., "group": ...,
      "stopCode": ...}], "failures": []}

Times are ISO 8601 from the CLI, or seconds since 1970 (CLI version 1, the SDKs). A task that
has not reached a step has no time for it (NaN). A folder of outputs (describe-tasks takes 100
tasks a call) is read as one table; a task described twice keeps its latest description.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import ScenarioError
from .files import aws_time, json_output

TIMES = ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt")
COLUMNS = ("created_s", "pull_started_s", "pull_stopped_s", "started_s", "stopping_s", "stopped_s")


def read_tasks(path: str | Path) -> pd.DataFrame:
    """Columns task_arn, group, last_status, stop_code and the six times in seconds since 1970
    (created_s, pull_started_s, pull_stopped_s, started_s, stopping_s, stopped_s)."""
    root = Path(path)
    files = sorted(root.glob("*.json")) if root.is_dir() else [root]
    rows: dict[str, tuple] = {}
    for file in files:
        for i, task in enumerate(json_output(file, "tasks", "aws ecs describe-tasks")):
            arn = task.get("taskArn")
            if not isinstance(arn, str):
                raise ScenarioError("expected a taskArn", file=str(file), path=f"tasks[{i}]")
            times = tuple(np.nan if task.get(k) in (None, "") else aws_time(task[k], file, f"tasks[{i}].{k}")
                          for k in TIMES)
            rows[arn] = (arn, str(task.get("group", "")), str(task.get("lastStatus", "")),
                         str(task.get("stopCode", "")), *times)
    return pd.DataFrame.from_records(list(rows.values()),
                                     columns=("task_arn", "group", "last_status", "stop_code", *COLUMNS))


def startup_seconds(tasks: pd.DataFrame) -> np.ndarray:
    """Seconds from created to started (PROVISIONING to RUNNING) of the tasks that started."""
    started = tasks.dropna(subset=["created_s", "started_s"])
    return (started["started_s"] - started["created_s"]).to_numpy(dtype=np.float64)


def tasks_document(tasks: list[dict]) -> dict:
    """The describe-tasks output of tasks given as {taskArn, group, lastStatus, stopCode and the
    TIMES in seconds since 1970 (None where the task never got there)}."""
    out = []
    for task in tasks:
        item = {k: task[k] for k in ("taskArn", "group", "lastStatus", "launchType") if task.get(k)}
        for key in TIMES:
            if task.get(key) is not None:
                stamp = np.datetime_as_string(np.datetime64(int(round(task[key] * 1e6)), "us"), unit="ms")
                item[key] = f"{stamp}+00:00"
        if task.get("stopCode"):
            item["stopCode"] = task["stopCode"]
        out.append(item)
    return {"tasks": out, "failures": []}
