"""Every job of a scenario on each platform, side by side: a table and a JSON-able summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from fargatesim.cost.prices import PriceTable
from fargatesim.scenario.jobs import Job

from .fargate_jobs import fargate_outcome
from .lambda_jobs import lambda_outcome
from .outcome import COLUMNS, PlatformOutcome
from .runs import draw_runs

# One function per platform, in the order rows appear; each takes (runs, prices).
PLATFORMS = {"fargate": fargate_outcome, "lambda": lambda_outcome}
_COUNTS = ("completed", "dropped", "throttled", "cold_starts")


@dataclass(frozen=True)
class JobComparison:
    table: pd.DataFrame  # one row per job and platform, columns COLUMNS
    summary: dict  # JSON-able: per job, each platform's row and the cheaper platform; totals

    def __repr__(self) -> str:
        return f"JobComparison({len(self.table)} rows)\n{self.table.to_string(index=False)}"


def compare_jobs(
    jobs: Sequence[Job], prices: PriceTable, *, start: datetime, duration: float, seed: int = 0
) -> JobComparison:
    """Each job's runs within [start, start + duration) on every platform, the same runs on each.

    `start` (timezone-aware), `duration` (s) and `seed` are the scenario's; the same arguments give
    the same table, byte for byte.
    """
    rows: list[PlatformOutcome] = []
    for job in jobs:
        runs = draw_runs(job, start=start, duration=duration, seed=seed)
        rows += [outcome(runs, prices) for outcome in PLATFORMS.values()]
    return JobComparison(table=_table(rows), summary=_summary(rows))


def compare_scenario_jobs(scenario, prices: PriceTable | None = None) -> JobComparison:
    """compare_jobs for a loaded Scenario, at its own prices unless `prices` is given."""
    if prices is None:
        prices = PriceTable.load(scenario.pricing.region, scenario.pricing)
    return compare_jobs(scenario.jobs, prices, start=scenario.start, duration=scenario.duration, seed=scenario.seed)


def _table(rows: list[PlatformOutcome]) -> pd.DataFrame:
    table = pd.DataFrame([r.as_dict() for r in rows], columns=list(COLUMNS))
    for column in _COUNTS:
        table[column] = table[column].astype("Int64")  # <NA> where a count does not apply
    table["feasible"] = table["feasible"].astype(bool)
    return table


def _summary(rows: list[PlatformOutcome]) -> dict:
    jobs: dict[str, dict] = {}
    for row in rows:
        entry = jobs.setdefault(row.job, {"runs": row.runs, "platforms": {}})
        entry["platforms"][row.platform] = {k: v for k, v in row.as_dict().items() if k not in ("job", "platform")}
    totals: dict[str, float | None] = {}
    for name, entry in jobs.items():
        entry["cheaper"] = _cheaper(entry["platforms"])
        for platform, figures in entry["platforms"].items():
            cost = figures["cost_usd"] if figures["feasible"] else None
            known = totals.get(platform, 0.0)
            totals[platform] = None if cost is None or known is None else round(known + cost, 6)
    return {"jobs": jobs, "total_usd": totals}


def _cheaper(platforms: dict[str, dict]) -> str | None:
    """The feasible platform with the lowest cost; None when none is feasible or the cheapest tie."""
    costs = {p: f["cost_usd"] for p, f in platforms.items() if f["feasible"] and not _nan(f["cost_usd"])}
    if not costs:
        return None
    best = min(costs.values())
    winners = [p for p, c in costs.items() if c == best]
    return winners[0] if len(winners) == 1 else None


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
