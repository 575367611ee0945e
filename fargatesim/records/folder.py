"""A folder of records, each file told by how it begins (not by its name)."""
from __future__ import annotations

import gzip
from pathlib import Path

from ..scenario import ScenarioError
from .alb_logs import TYPES as ALB_TYPES
from .cloudwatch_csv import looks_like_metric_csv
from .files import binary

KINDS = ("metric_data", "tasks", "alb_logs", "access_logs")


def record_files(folder: str | Path) -> dict[str, list[Path]]:
    """The record files under a folder by kind (KINDS), each told by how it begins: the JSON of
    get-metric-data or describe-tasks, a CloudWatch console CSV download, an ALB access log
    line, a Common Log Format line."""
    root = Path(folder)
    if not root.is_dir():
        raise ScenarioError("expected a folder of records; there is no such folder", file=str(folder))
    kinds: dict[str, list[Path]] = {kind: [] for kind in KINDS}
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        kind = _kind(file)
        if kind:
            kinds[kind].append(file)
    return kinds


def _kind(file: Path) -> str | None:
    try:
        with binary(file) as stream:
            head = stream.read(4096).decode("utf-8-sig", errors="replace")
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    text = head.lstrip()
    if text.startswith("{"):
        return "metric_data" if '"MetricDataResults"' in head else "tasks" if '"tasks"' in head else None
    if looks_like_metric_csv(text):
        return "metric_data"
    if text.split(" ", 1)[0] in ALB_TYPES:
        return "alb_logs"
    return "access_logs" if "[" in head and '"' in head else None
