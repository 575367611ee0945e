"""The table `fargatesim cost` prints: platforms side by side, each price beside its SLO outcome."""
from __future__ import annotations

import math

import pandas as pd

from ..formatting import dollars, duration, hours, number, seed_range

HEADS = ("cost (USD)", "compute", "p99 (ms)", "error rate", "SLO", "outside SLO")
JOB_HEADS = ("cost (USD)", "runs", "billed", "start delay", "")


def cost_text(comparison) -> str:
    c = comparison
    s, table = c.scenario, c.table
    multi = len(c.seeds) > 1
    service = table[table["section"] == "service"]
    ec2 = table[table["section"] == "ec2"]
    best_ec2 = c.cheapest("ec2")

    lines = [_title(c)]
    rows: list[tuple[str, tuple[str, ...]]] = []
    for _, row in service.iterrows():
        if row["platform"] == "LAMBDA":
            continue
        rows.append((_label(row), _cells(row, multi)))
    if best_ec2 is not None:
        n = len(ec2)
        rows.append((f"EC2 {best_ec2['instance_type']} (best of {n} type{'s' if n != 1 else ''})",
                     _cells(best_ec2, multi)))
    for _, row in ec2.iterrows():
        per = int(row["tasks_per_instance"])
        rows.append((f"  {row['instance_type']}, {per} task{'s' if per != 1 else ''} each"
                     + (" (as written)" if row["as_written"] else ""), _cells(row, multi)))
    lines += _grid(f"service {s.service.name}", HEADS, rows)
    for _, row in service.iterrows():
        if not row["feasible"]:
            lines.append(f"{row['label']}: {row['reason']}" + ("; jobs: below" if row["platform"] == "LAMBDA"
                                                                 and (table["section"] == "job").any() else ""))
    if c.spot_note:
        lines.append(f"Fargate Spot: {c.spot_note}")
    if c.skipped:
        lines.append(f"EC2 types left out: {'; '.join(c.skipped)}")
    lines.append(_verdict(c))

    jobs = table[table["section"] == "job"]
    if not jobs.empty:
        lines.append("")
        rows = [(row["label"], _job_cells(row, multi)) for _, row in jobs.iterrows()]
        lines += _grid("jobs (each run a Fargate task, or a Lambda invocation)", JOB_HEADS, rows)
        for job in dict.fromkeys(jobs["job"]):
            lines.append(_job_verdict(jobs[jobs["job"] == job]))
    if multi:
        lines.append(f"mean (min-max cost) over {len(c.seeds)} seeds ({seed_range(c.seeds)}), "
                     "the same traffic for every platform")
    return "\n".join(lines)


def _title(c) -> str:
    s = c.scenario
    from ..cost.prices import PriceTable
    prices = PriceTable.load(s.pricing.region, s.pricing)
    seeds = f"seed {c.seeds[0]}" if len(c.seeds) == 1 else f"seeds {seed_range(c.seeds)}"
    slo = []
    if s.slo.latency_p99_ms is not None:
        slo.append(f"p99 <= {s.slo.latency_p99_ms:g} ms")
    if s.slo.error_rate is not None:
        slo.append(f"error rate <= {100 * s.slo.error_rate:g} %")
    return (f"{s.name}: {duration(s.duration)} simulated from {s.start:%Y-%m-%d %H:%M} UTC, {seeds}; "
            f"SLO {', '.join(slo) or 'none'}; {prices.region} on-demand list prices")


def _label(row) -> str:
    return row["label"] + (" (as written)" if row["as_written"] else "")


def _cells(row, multi: bool) -> tuple[str, ...]:
    if not row["feasible"]:
        return ("n/a", "", "", "", "", "")
    cost = dollars(row["cost_usd"])
    if multi:
        cost += f" ({dollars(row['cost_usd_min'])}-{dollars(row['cost_usd_max'])})"
    if row["platform"] == "EC2":
        compute = f"{hours(row['instance_hours'])} instance-h"
    else:
        compute = f"{hours(row['task_hours'])} task-h"
    seeds, met = int(row["seeds"]), int(row["slo_met_runs"])
    slo = "met" if met == seeds else ("MISSED" if met == 0 else f"met {met}/{seeds}")
    return (cost, compute, number(row["p99_ms"], "ms"), number(row["error_rate"], "pct"), slo,
            f"{number(row['slo_violation_min'], 'min')} min")


def _job_cells(row, multi: bool) -> tuple[str, ...]:
    runs = f"{int(row['runs']):,}"
    if not row["feasible"]:
        return ("n/a", runs, "", "", "cannot run it (below)")
    cost = dollars(row["cost_usd"])
    if multi:
        cost += f" ({dollars(row['cost_usd_min'])}-{dollars(row['cost_usd_max'])})"
    billed = row["task_hours"] if row["platform"] == "fargate" else row["invocation_hours"]
    kind = "task-h" if row["platform"] == "fargate" else "invocation-h"
    return (cost, runs, f"{hours(billed)} {kind}", f"{row['start_delay_s']:,.1f} s", "")


def _verdict(c) -> str:
    table = c.table
    best = c.cheapest("service")
    best_ec2 = c.cheapest("ec2")
    candidates = [r for r in (best, best_ec2) if r is not None]
    met = [r for r in candidates if r["slo_met_runs"] == r["seeds"]]
    pool = met or candidates
    winner = min(pool, key=lambda r: (r["cost_usd"], r["label"]))
    fargate = table[(table["section"] == "service") & (table["platform"] == "FARGATE")].iloc[0]
    name = f"EC2 {winner['instance_type']}" if winner["platform"] == "EC2" else winner["label"]
    head = "cheapest that met the SLO" if met else "cheapest (none met the SLO)"
    text = f"{head}: {name} at {dollars(winner['cost_usd'])}"
    if winner["label"] != fargate["label"] and fargate["cost_usd"] > 0:
        text += f", {_against(winner['cost_usd'], fargate['cost_usd'])} FARGATE ({dollars(fargate['cost_usd'])})"
    if best_ec2 is not None and winner["platform"] != "EC2" and fargate["cost_usd"] > 0:
        text += (f"; EC2 at best {dollars(best_ec2['cost_usd'])} ({best_ec2['instance_type']}), "
                 f"{_against(best_ec2['cost_usd'], fargate['cost_usd'])} FARGATE")
    return text


def _against(usd: float, reference: float) -> str:
    """'12 % below', '35 % above', 'about the same as' or '6.9 x' (a price against a reference)."""
    ratio = usd / reference
    if ratio >= 2:
        return f"{ratio:.1f} x"
    if abs(ratio - 1) < 0.005:
        return "about the same as"
    return f"{abs(ratio - 1) * 100:.0f} % {'below' if ratio < 1 else 'above'}"


def _job_verdict(rows: pd.DataFrame) -> str:
    job = rows["job"].iloc[0]
    ok = rows[rows["feasible"]]
    bad = rows[~rows["feasible"]]
    parts = []
    if len(ok) > 1:
        ordered = ok.sort_values("cost_usd", kind="stable")
        cheap, dear = ordered.iloc[0], ordered.iloc[-1]
        ratio = dear["cost_usd"] / cheap["cost_usd"] if cheap["cost_usd"] > 0 else math.inf
        parts.append(f"{cheap['platform']} is cheaper: {dollars(cheap['cost_usd'])} against {dollars(dear['cost_usd'])} "
                     f"on {dear['platform']} ({ratio:.1f} x)")
    for _, row in bad.iterrows():
        parts.append(f"{row['platform']} cannot run it: {row['reason']}")
    return f"{job}: {'; '.join(parts) or 'runs on ' + ', '.join(ok['platform'])}"


def _grid(title: str, heads, rows) -> list[str]:
    label_w = max([len(title)] + [len(label) for label, _ in rows])
    widths = [max([len(h)] + [len(cells[i]) for _, cells in rows]) for i, h in enumerate(heads)]
    lines = [title.ljust(label_w) + "".join("   " + h.rjust(w) for h, w in zip(heads, widths)).rstrip()]
    for label, cells in rows:
        lines.append((label.ljust(label_w) + "".join("   " + c.rjust(w) for c, w in zip(cells, widths))).rstrip())
    return lines
