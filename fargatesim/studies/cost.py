"""What the same workload costs on each platform, with the SLO outcome beside each price.

    import fargatesim
    c = fargatesim.cost_comparison(fargatesim.load_scenario("example:steady-high-traffic"), seeds=1)
    print(c.text())          # the table `fargatesim cost` prints
    c.table                  # one row per service platform, EC2 instance type and job platform
    c.save("results/cost")   # cost.csv and cost.png

The scenario's service runs, on the same traffic and seeds (fargatesim.compare), as:

- FARGATE: every task on-demand Fargate.
- a Fargate Spot mix: the scenario's own capacity_provider_strategy if it has one; otherwise a
  base of autoscaling.min_capacity tasks (none for a fixed fleet) on FARGATE and, above it, one
  task on FARGATE for every three on FARGATE_SPOT, the split of AWS's Spot workshop. Spot tasks
  are interrupted as the scenario's spot_interruption faults say, or else at `spot_rate` per
  running Spot task-hour (AWS publishes no rate; the default, 0.02, is an assumption).
- EC2: launch_type EC2 on each instance type of the price table that has the task definition's
  CPU architecture and room for a task, with the scenario's ec2 block (or its defaults) apart
  from instance_type. Burstable types (t3) are left out: AWS bills their CPU above a baseline of
  20-30 % extra (unlimited mode), which fargatesim does not model, so their price would flatter
  them. The cheapest type is shown with the platforms, preferring types that met the SLO on
  every seed; all of them are listed below it.
- Lambda: not for the service (its requests share each task's CPU; on Lambda every request would
  be an invocation of its own, which the simulation does not model), but for each of the
  scenario's `jobs`, from fargatesim.jobs: a Fargate task against Lambda, with the reason when
  Lambda cannot run a job.

The configuration the scenario file describes is one of these rows, marked "as written", and is
run exactly as written. Seeds are the scenario's seed and the ones after it, so one seed gives
what `fargatesim run` gives. The same scenario and seeds give the same table, csv and figure,
byte for byte, whatever `jobs` (local processes) is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..output import write_files

__all__ = ["CostComparison", "cost_comparison", "DEFAULT_SPOT_RATE", "SPOT_WEIGHTS"]

# Fargate Spot mix: one task on FARGATE for every three on FARGATE_SPOT above the base.
SPOT_WEIGHTS = (1, 3)
DEFAULT_SPOT_RATE = 0.02        # interruptions per running Spot task-hour (an assumption)
BURSTABLE_FAMILIES = ("t2", "t3", "t3a", "t4g")

TABLE_COLUMNS = (
    "section", "label", "platform", "instance_type", "job", "as_written", "feasible", "reason", "note", "seeds",
    "cost_usd", "cost_usd_min", "cost_usd_max", "task_hours", "instance_hours", "invocation_hours",
    "tasks_per_instance", "p99_ms", "error_rate", "slo_violation_min", "slo_met_runs", "runs", "start_delay_s",
)
# Every file a saved cost comparison may have: saving replaces them all.
COST_FILES = ("cost.csv", "cost.png")
LAMBDA_SERVICE_REASON = ("not compared for the service: its requests share each task's CPU, while on Lambda every "
                         "request would be an invocation of its own, which fargatesim does not simulate")


@dataclass(frozen=True)
class Variant:
    label: str
    platform: str                   # FARGATE, FARGATE_SPOT mix, EC2
    changes: dict                   # applied to the scenario (nothing for the one as written)
    as_written: bool = False
    instance_type: str | None = None
    note: str = ""


@dataclass
class CostComparison:
    scenario: object
    seeds: list[int]
    table: pd.DataFrame             # columns TABLE_COLUMNS
    skipped: list[str] = field(default_factory=list)   # why some platforms or types are not there
    spot_note: str = ""

    # ---------------------------------------------------------------- output
    def text(self) -> str:
        from .cost_text import cost_text
        return cost_text(self)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        best = self.cheapest()
        tail = f"; cheapest {best['label']} ${best['cost_usd']:.2f}" if best is not None else ""
        return f"<CostComparison {self.scenario.name}: {len(self.table)} rows, seeds {self.seeds}{tail}>"

    def _repr_html_(self) -> str:
        # In a notebook: the printed table, then the figure, inline.
        import base64
        import html
        import io
        buf = io.BytesIO()
        self.plot().savefig(buf, format="png", dpi=80, bbox_inches="tight")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        return (f"<pre>{html.escape(self.text())}</pre>"
                f'<img src="data:image/png;base64,{png}" alt="cost per platform"/>')

    def plot(self, path=None):
        from ..plots.cost import cost_figure
        return cost_figure(self, path)

    def save(self, directory, *, plot: bool = True) -> Path:
        """Write cost.csv and (with `plot`) cost.png into `directory`, replacing an earlier
        set there as a whole (fargatesim.output). Raises fargatesim.output.WriteError (an
        OSError) naming the file that could not be written."""
        files = {"cost.csv": lambda path: self.table.to_csv(path, index=False, float_format="%.10g")}
        if plot:
            files["cost.png"] = self.plot
        write_files(directory, files, owned=COST_FILES)
        return Path(directory)

    def cheapest(self, section: str = "service") -> pd.Series | None:
        """The cheapest feasible row of a section, preferring rows that met the SLO on every seed."""
        rows = self.table[(self.table["section"] == section) & self.table["feasible"]]
        if rows.empty:
            return None
        order = rows.assign(_missed=rows["slo_met_runs"] < rows["seeds"]).sort_values(
            ["_missed", "cost_usd"], kind="stable")
        return order.iloc[0].drop("_missed")


# ------------------------------------------------------------------------ running
def cost_comparison(scenario, *, seeds: int = 1, jobs: int | None = 1, spot_rate: float | None = None,
                    instance_types: list[str] | None = None,
                    progress: Callable[[int, int], None] | None = None, trusted_modules=()) -> CostComparison:
    """Run the scenario's service on every platform over `seeds` seeds, and its jobs on Fargate and
    Lambda; see the module's docstring. `instance_types`: the EC2 types to try (default: every
    priced type that fits, burstable ones left out)."""
    from .compare import compare
    from ..cost.prices import PriceTable
    from ..scenario import Scenario, ScenarioError, load_scenario
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"expected a number of seeds >= 1; got {seeds!r}")
    if spot_rate is not None and not (math.isfinite(spot_rate) and spot_rate >= 0):
        raise ScenarioError(f"expected a rate >= 0 (interruptions per Spot task-hour); got {spot_rate!r}",
                            path="--spot-interruptions")
    prices = PriceTable.load(scenario.pricing.region, scenario.pricing)
    variants, skipped, spot_note = service_variants(scenario, prices, spot_rate=spot_rate,
                                                    instance_types=instance_types)
    seed_list = [scenario.seed + k for k in range(int(seeds))]
    runs = [scenario if not v.changes else scenario.with_changes(v.changes) for v in variants]
    comparison = compare(runs, seeds=seed_list, jobs=jobs, labels=[v.label for v in variants], progress=progress,
                         trusted_modules=trusted_modules)
    rows = [_service_row(v, comparison) for v in variants]
    rows += _spot_infeasible(scenario, prices)
    rows.append(_row("service", "Lambda", "LAMBDA", feasible=False, reason=LAMBDA_SERVICE_REASON))
    rows += _job_rows(scenario, prices, seed_list)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return CostComparison(scenario=scenario, seeds=seed_list, table=table, skipped=skipped, spot_note=spot_note)


def service_variants(scenario, prices, *, spot_rate: float | None = None,
                     instance_types: list[str] | None = None) -> tuple[list[Variant], list[str], str]:
    """The service's platforms to run, why some EC2 types are left out, and how Spot is set up."""
    svc = scenario.service
    on_fargate = {"service.launch_type": "FARGATE", "service.ec2": None}
    variants: list[Variant] = []

    own_spot = svc.uses_spot
    own_ec2 = svc.launch_type == "EC2"
    plain = not own_spot and not own_ec2
    variants.append(Variant("FARGATE", "FARGATE", {} if plain else {**on_fargate, "service.capacity_provider_strategy": []},
                            as_written=plain))

    spot_note = ""
    if _spot_platform(scenario) in prices.fargate_spot_platforms:
        if own_spot:
            spot_note = "the scenario's capacity_provider_strategy"
            variants.append(Variant("FARGATE + FARGATE_SPOT", "FARGATE_SPOT", {}, as_written=True, note=spot_note))
        else:
            base = scenario.autoscaling.min_capacity if scenario.autoscaling is not None else 0
            strategy = [{"capacity_provider": "FARGATE", "base": base, "weight": SPOT_WEIGHTS[0]},
                        {"capacity_provider": "FARGATE_SPOT", "weight": SPOT_WEIGHTS[1]}]
            changes = {**on_fargate, "service.capacity_provider_strategy": strategy}
            has_fault = any(f.type == "spot_interruption" for f in scenario.faults)
            rate = DEFAULT_SPOT_RATE if spot_rate is None else spot_rate
            if not has_fault and rate > 0:
                faults = [f.model_dump(mode="json") for f in scenario.faults]
                changes["faults"] = faults + [{"type": "spot_interruption", "rate_per_task_hour": rate}]
            spot_note = (f"base {base} on FARGATE, then {SPOT_WEIGHTS[0]}:{SPOT_WEIGHTS[1]} on FARGATE_SPOT; "
                         + ("the scenario's spot_interruption faults" if has_fault
                            else f"{rate:g} interruptions per Spot task-hour"))
            variants.append(Variant("FARGATE + FARGATE_SPOT", "FARGATE_SPOT", changes, note=spot_note))

    candidates, skipped = ec2_candidates(scenario, prices, instance_types)
    own_type = svc.ec2.instance_type if own_ec2 else None
    if own_type is not None and own_type not in candidates:
        candidates.append(own_type)
    for name in sorted(candidates, key=lambda n: (prices.ec2_instance(n).usd_hour, n)):
        if name == own_type:
            variants.append(Variant(f"EC2 {name}", "EC2", {}, as_written=True, instance_type=name))
        else:
            changes = {"service.launch_type": "EC2", "service.capacity_provider_strategy": [],
                       "service.ec2": {"instance_type": name}}
            variants.append(Variant(f"EC2 {name}", "EC2", changes, instance_type=name))
    return variants, skipped, spot_note


def ec2_candidates(scenario, prices, instance_types: list[str] | None = None) -> tuple[list[str], list[str]]:
    """EC2 instance types to run the service on, and a note for each group left out."""
    from ..scenario import ScenarioError
    from ..scenario.errors import did_you_mean
    from ..scenario.service import ec2_capacity_problem
    if instance_types is not None:
        for name in instance_types:
            if name not in prices.ec2_instances:
                raise ScenarioError(f"expected instance types with a price in {prices.region} "
                                    f"({', '.join(sorted(prices.ec2_instances))}); got {name!r}"
                                    f"{did_you_mean(name, prices.ec2_instances)}", path="--instance-types")
    names = list(instance_types) if instance_types is not None else sorted(prices.ec2_instances)
    arch = scenario.task_definition.runtime_platform.cpu_architecture
    fits, reasons = [], {}
    for name in names:
        family = name.split(".")[0]
        service = _as_ec2(scenario.service, name)
        if prices.ec2_instance(name).architecture != arch:
            reasons.setdefault(f"{prices.ec2_instance(name).architecture}: the task definition is {arch}", []).append(name)
        elif instance_types is None and family in BURSTABLE_FAMILIES:
            reasons.setdefault("burstable: CPU above a 20-30 % baseline is billed extra in unlimited mode, "
                               "not modelled", []).append(name)
        elif ec2_capacity_problem(service, scenario.task_definition, scenario.pricing) is not None:
            reasons.setdefault("no room for one task", []).append(name)
        else:
            fits.append(name)
    if not fits:
        why = "; ".join(f"{', '.join(n)} ({r})" for r, n in reasons.items())
        raise ScenarioError(f"expected at least one EC2 instance type that runs the task; none does: {why}",
                            file=scenario.source, path="task_definition")
    skipped = [f"{', '.join(n)} ({r})" for r, n in reasons.items()]
    return fits, skipped


def _as_ec2(service, instance_type: str):
    from ..scenario.service import Ec2Capacity
    ec2 = service.ec2 if service.ec2 is not None else Ec2Capacity()
    return service.model_copy(update={"launch_type": "EC2", "ec2": ec2.model_copy(update={"instance_type": instance_type})})


def _spot_platform(scenario) -> str:
    rp = scenario.task_definition.runtime_platform
    return f"{rp.operating_system_family}/{rp.cpu_architecture}"


def _spot_infeasible(scenario, prices) -> list[dict]:
    platform = _spot_platform(scenario)
    if platform in prices.fargate_spot_platforms:
        return []
    reason = f"Fargate Spot runs {', '.join(prices.fargate_spot_platforms)} only; the task definition is {platform}"
    return [_row("service", "FARGATE + FARGATE_SPOT", "FARGATE_SPOT", feasible=False, reason=reason)]


def _row(section: str, label: str, platform: str, **values) -> dict:
    row = {c: np.nan for c in TABLE_COLUMNS}
    row.update(section=section, label=label, platform=platform, instance_type="", job="", as_written=False,
               feasible=True, reason="", note="", seeds=0, slo_met_runs=0, runs=0)
    row.update(values)
    return row


def _service_row(variant: Variant, comparison) -> dict:
    runs = comparison.runs[comparison.runs["variant"] == variant.label]
    summaries = [comparison.summaries[variant.label, s] for s in comparison.seeds]
    cost = runs["cost_usd"].to_numpy(dtype=float)
    values = dict(
        instance_type=variant.instance_type or "", as_written=variant.as_written, note=variant.note,
        seeds=len(runs), cost_usd=cost.mean(), cost_usd_min=cost.min(), cost_usd_max=cost.max(),
        task_hours=float(runs["task_hours"].mean()),
        p99_ms=float(runs["p99_ms"].mean()), error_rate=float(runs["error_rate"].mean()),
        slo_violation_min=float(runs["slo_violation_min"].mean()), slo_met_runs=int(runs["slo_met"].sum()),
    )
    if variant.platform == "EC2":
        ec2 = [s["cost"]["ec2"] for s in summaries]
        values["instance_hours"] = float(np.mean([e["instance_hours"] for e in ec2]))
        values["tasks_per_instance"] = _tasks_per_instance(comparison, variant)
    return _row("ec2" if variant.platform == "EC2" else "service", variant.label, variant.platform, **values)


def _tasks_per_instance(comparison, variant: Variant) -> int:
    from ..ecs.bin_packing import Capacity, registered_capacity
    from ..cost.prices import PriceTable
    scenario = comparison.scenarios[comparison.variants.index(variant.label)]
    prices = PriceTable.load(scenario.pricing.region, scenario.pricing)
    it, ec2 = prices.ec2_instance(variant.instance_type), scenario.service.ec2
    room = registered_capacity(it.vcpu, it.memory_gib, os_memory_overhead=ec2.os_memory_overhead,
                               reserved_memory=ec2.ecs_reserved_memory)
    return room.how_many(Capacity(scenario.task_definition.cpu, scenario.task_definition.memory))


def _job_rows(scenario, prices, seeds: list[int]) -> list[dict]:
    from ..jobs import compare_jobs
    if not scenario.jobs:
        return []
    tables = [compare_jobs(scenario.jobs, prices, start=scenario.start, duration=scenario.duration, seed=s).table
              for s in seeds]
    rows = []
    for (job, platform), _ in tables[0].groupby(["job", "platform"], sort=False):
        per_seed = [t[(t["job"] == job) & (t["platform"] == platform)].iloc[0] for t in tables]
        feasible = all(bool(r["feasible"]) for r in per_seed)
        reasons = list(dict.fromkeys(r["reason"] for r in per_seed if r["reason"]))
        cost = np.array([float(r["cost_usd"]) for r in per_seed])
        row = dict(job=job, feasible=feasible, reason="; ".join(reasons), seeds=len(per_seed),
                   runs=int(per_seed[0]["runs"]),
                   start_delay_s=_mean([r["start_delay_s"] for r in per_seed]))
        if feasible:
            hours = _mean([r["billed_s"] for r in per_seed]) / 3600
            row.update(cost_usd=cost.mean(), cost_usd_min=cost.min(), cost_usd_max=cost.max(),
                       **{"task_hours" if platform == "fargate" else "invocation_hours": hours})
        rows.append(_row("job", f"{job} on {platform}", platform, **row))
    return rows


def _mean(values) -> float:
    x = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
