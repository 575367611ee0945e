"""Compare scenario variants over many seeds, on the same traffic for each seed.

    import fargatesim
    base = fargatesim.load_scenario("example:spike-5x-standard-metrics")
    c = fargatesim.compare([base, base.with_changes({"autoscaling.min_capacity": 8})], seeds=10, jobs=4)
    c.table          # one row per variant: each figure's mean, min and max over the seeds
    c.runs           # one row per variant and seed
    c.plot()         # task count and p99 over time per variant, cost against SLO per seed
    c.save("results/min-capacity")      # runs.csv, table.csv, compare.png

**Common random numbers.** Seed s is given to every variant, and the engine draws each
component's random numbers from its own stream of that seed (arrivals first), so the variants
of one seed see the identical arrivals as long as they share the traffic, tick and duration;
their differences are then the configuration's, not the dice's. The scenario files' own
`seed` keys are ignored.

**Columns of `runs`** (one row per variant and seed, in the order variant, then seed):

    variant             the variant's label (the scenario name, or the name and what differs)
    scenario, seed      the scenario's name and the seed of this run
    requests, errors    requests that arrived, and those that ended in an error (any kind)
    error_rate          errors / requests over the whole run (a fraction, 0.001 = 0.1 %)
    p50_ms, p99_ms      latency percentiles over every answered request of the run (ms)
    p99_over_slo_min    minutes whose p99 exceeded slo.latency_p99_ms (summary.json's count;
                        NaN when the scenario sets no latency SLO)
    slo_violation_min   minutes outside the SLO: the minute's p99 above slo.latency_p99_ms, or
                        its error rate (errors / requests of that minute) above slo.error_rate;
                        a scenario without an error-rate SLO allows no error in a minute
    recovery_min        time to recover from the worst stretch outside the SLO (minutes): from
                        the start of that stretch's first minute outside the SLO to the start of
                        the first minute after it that is back within the SLO. Stretches that
                        are less than MERGE_GAP_MIN good minutes apart count as one (a brief
                        return is not a recovery); the worst is the one with the most minutes
                        outside the SLO (the earliest on a tie). 0 when no minute was outside
                        the SLO; inf when the run ended before it recovered.
    task_hours          running task time, billed from the image pull to STOPPED (hours)
    mean_tasks          time-weighted mean of the running count
    peak_tasks          the most tasks running at once
    scale_outs, scale_ins, scaling_activities
                        scaling activities that changed the desired count, and their sum
                        (decisions that left it unchanged are not counted)
    cost_usd            the Fargate bill of the run (USD)
    slo_met             whether the run met its SLO as summary.json judges it

**Columns of `table`** (index: variant, in the order given): `scenario`, `seeds` (the number
of runs), then for each of p50_ms, p99_ms, error_rate, slo_violation_min, recovery_min,
task_hours, peak_tasks, scaling_activities and cost_usd the columns `<figure>_mean`,
`<figure>_min` and `<figure>_max` over the seeds. The spread is the range (min-max) rather
than a standard deviation: with the handful of seeds a comparison runs it says plainly what
the best and worst seed did. A mean over a seed that never recovered is inf.

Runs go to local processes with `jobs` > 1; the results do not depend on `jobs` or on the
order in which runs finish. A run that fails ends the comparison with a RunFailed (a
SimulationError) naming its variant and seed; so does a worker process that dies. When the
comparison is interrupted (KeyboardInterrupt, or whatever a signal handler raises) or fails,
its local worker processes are ended at once rather than left to finish their runs; they
ignore SIGINT, so that Ctrl-C, which a terminal sends to the whole process group, is handled
once, by the process that started them.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
import multiprocessing
import os
import shutil
import signal
import time
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import SimulationError
from ..formatting import number, seed_range
from ..output import write_files
from ..slo import minutes_outside_slo

__all__ = ["Comparison", "RunFailed", "compare", "variant_labels", "DEFAULT_SEEDS"]

DEFAULT_SEEDS = 5
# Stretches outside the SLO fewer than this many good minutes apart are one stretch.
MERGE_GAP_MIN = 3

# The figures people decide on: column, label in the printed table, kind of number.
METRICS = (
    ("p50_ms", "latency p50 (ms)", "ms"),
    ("p99_ms", "latency p99 (ms)", "ms"),
    ("error_rate", "error rate", "pct"),
    ("slo_violation_min", "minutes outside SLO", "min"),
    ("recovery_min", "recovery from worst stretch (min)", "min"),
    ("task_hours", "task-hours", "num"),
    ("peak_tasks", "peak tasks", "count"),
    ("scaling_activities", "scaling activities (out + in)", "count"),
    ("cost_usd", "cost (USD)", "usd"),
)
STATS = ("mean", "min", "max")
RUN_COLUMNS = (
    "variant", "scenario", "seed", "requests", "errors", "error_rate", "p50_ms", "p99_ms",
    "p99_over_slo_min", "slo_violation_min", "recovery_min", "task_hours", "mean_tasks",
    "peak_tasks", "scale_outs", "scale_ins", "scaling_activities", "cost_usd", "slo_met",
)
TABLE_COLUMNS = ("scenario", "seeds", *(f"{m}_{s}" for m, _, _ in METRICS for s in STATS))
# Every file a saved comparison may have: saving replaces them all.
COMPARE_FILES = ("runs.csv", "table.csv", "compare.png")
# What a worker sends back of each run's per-minute table (enough for the figure).
SERIES_COLUMNS = ("t_s", "time", "offered_rps", "requests", "errors", "latency_p99_ms", "latency_mean_ms",
                  "running_count", "desired_count")


# ------------------------------------------------------------------------ the result
class Comparison:
    """Variants x seeds: `runs` (one row per run), `table` (per variant, over seeds),
    `timeseries` (per-minute rows of every run, with `variant` and `seed` columns)."""

    def __init__(self, variants: list[str], scenarios: list, seeds: list[int], runs: pd.DataFrame,
                 table: pd.DataFrame, timeseries: pd.DataFrame, summaries: dict):
        self.variants = variants
        self.scenarios = scenarios
        self.seeds = seeds
        self.runs = runs
        self.table = table
        self.timeseries = timeseries
        self.summaries = summaries      # (variant, seed) -> the run's summary.json dict

    @property
    def figure_seed(self) -> int:
        """The seed the time panels show: the median seed by the total cost of all variants
        (the lower of the two middle ones for an even count; ties go to the lower seed)."""
        totals = self.runs.groupby("seed", sort=True)["cost_usd"].sum()
        ordered = sorted(totals.items(), key=lambda kv: (kv[1], kv[0]))
        return int(ordered[(len(ordered) - 1) // 2][0])

    # ---------------------------------------------------------------- output
    def plot(self, path=None, *, y: str = "slo_violation_min"):
        """The comparison figure (a matplotlib Figure); with `path`, also saved as a PNG."""
        from ..plots.comparison import comparison_figure
        return comparison_figure(self, path, y=y)

    def save(self, directory, *, plot: bool = True) -> Path:
        """Write runs.csv, table.csv and (with `plot`) compare.png into `directory`, replacing
        an earlier comparison's set there as a whole (fargatesim.output). Raises
        fargatesim.output.WriteError (an OSError) naming the file that could not be written."""
        files = {
            "runs.csv": lambda path: self.runs.to_csv(path, index=False, float_format="%.10g"),
            "table.csv": lambda path: self.table.to_csv(path, index=True, index_label="variant",
                                                        float_format="%.10g"),
        }
        if plot:
            files["compare.png"] = self.plot
        write_files(directory, files, owned=COMPARE_FILES)
        return Path(directory)

    def text_table(self, width: int | None = None) -> str:
        """The table as text: one line per figure, one column per variant, each cell the mean
        over the seeds and, with more than one seed, (min-max)."""
        cells = self._cells()
        heads = list(self.variants)
        width = width or shutil.get_terminal_size((120, 24)).columns
        label_w = max(len(label) for _, label, _ in METRICS)
        col_w = [max(len(h), *(len(c) for c in cells[v])) for h, v in zip(heads, self.variants)]
        legend = []
        if label_w + sum(w + 3 for w in col_w) > width and len(heads) > 1:
            # Too wide: letters head the columns and a legend names them.
            letters = [_letter(i) for i in range(len(heads))]
            legend = [f"  {letter}  {v}" for letter, v in zip(letters, self.variants)]
            heads = letters
            col_w = [max(len(h), *(len(c) for c in cells[v])) for h, v in zip(heads, self.variants)]
        lines = [*legend]
        lines.append(" " * label_w + "".join("   " + h.rjust(w) for h, w in zip(heads, col_w)))
        for i, (_, label, _) in enumerate(METRICS):
            lines.append(label.ljust(label_w)
                         + "".join("   " + cells[v][i].rjust(w) for v, w in zip(self.variants, col_w)))
        n = len(self.seeds)
        note = (f"mean (min-max) over {n} seeds ({seed_range(self.seeds)}), the same traffic for each seed"
                if n > 1 else f"seed {self.seeds[0]}")
        if np.isinf(self.runs["recovery_min"].to_numpy(dtype=float)).any():
            note += "; never: still outside the SLO when the run ended"
        lines.append(note)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text_table()

    def __repr__(self) -> str:
        return (f"<Comparison {len(self.variants)} variants x {len(self.seeds)} seeds: "
                f"{', '.join(self.variants)}>")

    def _cells(self) -> dict[str, list[str]]:
        multi = len(self.seeds) > 1
        out = {}
        for v in self.variants:
            row = self.table.loc[v]
            cells = []
            for m, _, kind in METRICS:
                mean, lo, hi = (row[f"{m}_{s}"] for s in STATS)
                text = number(mean, kind)
                if multi:
                    text += f" ({number(lo, kind, unit=False)}-{number(hi, kind)})"
                cells.append(text)
            out[v] = cells
        return out

    def _repr_html_(self) -> str:
        cells = self._cells()
        frame = pd.DataFrame({v: cells[v] for v in self.variants},
                             index=[label for _, label, _ in METRICS])
        buf = io.BytesIO()
        fig = self.plot()
        fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", facecolor="white")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        n = len(self.seeds)
        caption = (f"mean (min-max) over {n} seeds ({seed_range(self.seeds)}), the same traffic for each seed"
                   if n > 1 else f"seed {self.seeds[0]}")
        return (f"<h4>{html.escape(repr(self)[1:-1])}</h4>{frame.to_html(escape=True)}"
                f"<p><small>{html.escape(caption)}</small></p>"
                f"<img src='data:image/png;base64,{png}' style='max-width:100%'/>")


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# ------------------------------------------------------------------------ running
def compare(scenarios: Sequence, *, seeds: int | Iterable[int] = DEFAULT_SEEDS,
            changes: dict[str, Any] | None = None, jobs: int | None = 1,
            labels: Sequence[str] | None = None,
            progress: Callable[[int, int], None] | None = None,
            executor: Executor | None = None, trusted_modules: Sequence[str] = ()) -> Comparison:
    """Run every scenario with every seed and compare them.

    `scenarios`: Scenario objects (e.g. ``s.with_changes({...})``), paths of scenario files or
    dicts. `seeds`: a count N (seeds 0..N-1) or the seeds themselves. `changes`: key paths
    applied to every scenario first, as ``Scenario.with_changes`` takes them (e.g.
    ``{"duration": "40m"}``). `jobs`: runs at once in local processes (1 runs them here, one
    after the other; 0 or None uses every CPU); the results are the same whatever it is.
    `labels`: names for the variants (default: the scenario names, told apart by their
    differences when two share a name). `progress(done, total)` is called with done=0 first,
    then after each run. `executor`: run on it instead (a concurrent.futures Executor, or a
    Dask ``distributed.Client``, whose workers need fargatesim installed: a cluster when one
    machine is not enough); `jobs` is then ignored, and the results are again the same.
    """
    from ..scenario import Scenario, load_scenario
    loaded = []
    for item in scenarios:
        s = item if isinstance(item, Scenario) else load_scenario(item)
        loaded.append(s.with_changes(changes) if changes else s)
    if not loaded:
        raise ValueError("compare needs at least one scenario")
    seed_list = _seed_list(seeds)
    if labels is None:
        labels = variant_labels(loaded)
    else:
        labels = [str(x) for x in labels]
        if len(labels) != len(loaded) or len(set(labels)) != len(labels):
            raise ValueError(f"expected {len(loaded)} different labels, one per scenario; got {labels!r}")
    jobs = _jobs(jobs)

    trusted = tuple(trusted_modules)
    tasks = [(i, j, s.model_copy(update={"seed": seed}))
             for i, s in enumerate(loaded) for j, seed in enumerate(seed_list)]
    names = {(i, j): (labels[i], seed) for i in range(len(loaded)) for j, seed in enumerate(seed_list)}
    outputs: dict[tuple[int, int], tuple[dict, pd.DataFrame]] = {}
    total = len(tasks)
    if progress is not None:
        progress(0, total)
    if executor is not None:
        view = _as_executor(executor)
        try:
            _run_on(view, tasks, outputs, progress, names, trusted=trusted)
        except BaseException:
            if view is not executor:
                _cancel_quietly(view)          # our view of a Dask client: its runs on the cluster
            raise
    elif jobs == 1 or total == 1:
        for i, j, s in tasks:
            try:
                outputs[i, j] = run_one(s, trusted)
            except SimulationError as e:
                raise RunFailed([names[i, j]], str(e)) from e
            if progress is not None:
                progress(len(outputs), total)
    else:
        _run_parallel(tasks, outputs, min(jobs, total), progress, names, trusted)
    return _assemble(labels, loaded, seed_list, outputs)


class RunFailed(SimulationError):
    """A run of a comparison failed: `runs` holds its (variant label, seed), or those of the
    runs that failed together; with `certain` False, those of which one failed (the runs under
    way when a worker process died, when it cannot be told which one it ran)."""

    def __init__(self, runs: list[tuple[str, int]], reason: str, certain: bool = True):
        self.runs = list(runs)
        self.reason = reason
        self.certain = certain
        where = (" and " if certain else " or ").join(f"{label}, seed {seed}" for label, seed in self.runs)
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        return (RunFailed, (self.runs, self.reason, self.certain))


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, (bool, np.bool_)):
        raise ValueError(f"expected a number of seeds or a list of seeds; got {seeds!r}")
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"expected at least one seed; got seeds={seeds}")
        return list(range(int(seeds)))
    out = []
    for s in seeds:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"expected seeds that are whole numbers >= 0; got {s!r}")
        out.append(int(s))
    if not out:
        raise ValueError("expected at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"expected different seeds; got {out}")
    return out


def _jobs(jobs) -> int:
    if jobs is None or jobs == 0:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 0:
        raise ValueError(f"expected jobs to be a whole number >= 0 (0: one per CPU); got {jobs!r}")
    return int(jobs)


def run_one(scenario, trusted_modules=()) -> tuple[dict, pd.DataFrame]:
    """One run (in a worker process with jobs > 1): its summary and the per-minute columns
    the comparison needs. Everything returned pickles; the simulation stays behind."""
    from ..engine import Simulation
    from ..results import Result
    result = Result.from_simulation(Simulation(scenario, trusted_modules=trusted_modules).run())
    return result.summary, result.timeseries[list(SERIES_COLUMNS)].reset_index(drop=True)


def _run_parallel(tasks, outputs, workers: int, progress, names, trusted=()) -> None:
    # Which worker started which run, so that a worker that dies can be told apart from the
    # others that the pool then ends: one slot per run, the worker's pid once it starts.
    started = multiprocessing.RawArray("q", len(tasks))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(started,))
    futures: dict = {}

    def lost(key, error) -> RunFailed:
        return _lost_worker(pool, started, futures, names, key)

    try:
        _run_on(pool, tasks, outputs, progress, names, futures=futures,
                submit=lambda k, s: pool.submit(_run_task, k, s, trusted), lost=lost, cancel=False)
    except BaseException:
        _stop_workers(pool)
        raise
    finally:
        # The pool cancels what has not started; a future cancelled from here instead breaks
        # Python 3.11's pool when its workers are then ended (it sets an error on it: a traceback).
        pool.shutdown(wait=True, cancel_futures=True)


def _run_on(executor, tasks, outputs, progress, names, *, futures=None, submit=None, lost=None, trusted=(),
            cancel: bool = True) -> None:
    """Every run on `executor`; results land by (variant, seed), so their order is the same
    however the runs finish. With `cancel`, the runs not done are cancelled when it ends early."""
    submit = submit or (lambda k, s: executor.submit(run_one, s, trusted))
    futures = {} if futures is None else futures
    for k, (i, j, s) in enumerate(tasks):
        futures[submit(k, s)] = (k, (i, j))
    pending = dict(futures)
    try:
        while pending:
            # Not an endless wait: Python runs signal handlers in the main thread only, and a
            # signal that reached another thread (the pool's, Dask's) waits until this one
            # looks. A quarter of a second is how late Ctrl-C may be.
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: pending[f][0]):     # in task order: the first failure
                _, key = pending.pop(fut)
                try:
                    outputs[key] = fut.result()
                except KeyboardInterrupt:
                    raise
                except BrokenExecutor as e:
                    raise (lost(key, e) if lost else RunFailed([names[key]], "its worker process ended abruptly")) from e
                except (SimulationError, SystemExit) as e:
                    raise RunFailed([names[key]], _why(e)) from e
                except Exception as e:
                    if type(e).__name__ != "KilledWorker":     # a Dask worker died running it
                        e.add_note(f"(in the run of {names[key][0]}, seed {names[key][1]})")
                        raise
                    raise RunFailed([names[key]], f"the Dask workers that ran it died ({e})") from e
                if progress is not None:
                    progress(len(outputs), len(tasks))
    finally:
        if cancel:
            for fut in pending:
                fut.cancel()


def _why(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"it ended its process with sys.exit({error.code!r})"
    return str(error)


# Set in each worker process of a local pool: the slots where it notes the runs it starts.
_STARTED = None


def _worker_init(started) -> None:
    global _STARTED
    _STARTED = started
    # Ctrl-C in a terminal signals the whole process group; the parent alone handles it, by
    # ending its workers. SIGTERM and SIGHUP end a worker as they end any process, not through
    # the handler a forked worker inherits from its parent (unless they were ignored: nohup).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None and signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)


def _run_task(index: int, scenario, trusted_modules=()):
    if _STARTED is not None:
        _STARTED[index] = os.getpid()
    return run_one(scenario, trusted_modules)


def _lost_worker(pool, started, futures, names, key) -> RunFailed:
    """The run a dead worker process was running, and how it ended, as far as can be told."""
    under_way = [(k, run) for fut, (k, run) in futures.items()
                 if started[k] and not (fut.done() and not fut.cancelled() and fut.exception() is None)]
    processes = dict(getattr(pool, "_processes", None) or {})

    def codes():
        return {k: (processes[started[k]].exitcode if started[k] in processes else None) for k, _ in under_way}

    # Once one worker has died, the pool ends the others with SIGTERM: the one that died by
    # itself is the one that ended otherwise. Their exit codes come within moments.
    exit_codes, deadline = codes(), time.monotonic() + 2.0
    while None in exit_codes.values() and time.monotonic() < deadline:
        time.sleep(0.02)
        exit_codes = codes()
    culprits = [(k, run) for k, run in under_way if exit_codes[k] not in (None, -signal.SIGTERM)]
    if not culprits:
        if len(under_way) == 1:
            k, run = under_way[0]
            return RunFailed([names[run]], f"its worker process {_how(exit_codes[k])}")
        runs = [names[run] for _, run in under_way] or [names[key]]
        return RunFailed(runs, "a worker process ended abruptly while running one of them", certain=False)
    hows = list(dict.fromkeys(_how(exit_codes[k]) for k, _ in culprits))
    whose = "its worker process" if len(culprits) == 1 else "their worker processes"
    return RunFailed([names[run] for _, run in culprits], f"{whose} {' or '.join(hows)}")


def _how(code: int | None) -> str:
    if code is None:
        return "ended abruptly"
    if code < 0:
        try:
            return f"ended abruptly, killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"ended abruptly, killed by signal {-code}"
    return f"ended abruptly with exit code {code}"


def _stop_workers(pool) -> None:
    """End a pool's worker processes now. shutdown() would wait for the runs under way, each up
    to minutes, and a worker left alone goes on running after its parent has gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass                                   # already gone
    for process in processes:
        try:
            process.join(timeout=5)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass


def _cancel_quietly(view) -> None:
    try:
        view.shutdown(wait=False)
    except Exception:
        pass                                       # the cluster is gone: nothing left to cancel


def _as_executor(executor):
    """A Dask Client gives a concurrent.futures view of itself; anything else is one already."""
    get_executor = getattr(executor, "get_executor", None)
    return get_executor() if callable(get_executor) and not isinstance(executor, Executor) else executor


# ------------------------------------------------------------------------ tables
def _assemble(labels, scenarios, seeds, outputs) -> Comparison:
    rows, series, summaries = [], [], {}
    for i, (label, scenario) in enumerate(zip(labels, scenarios)):
        for j, seed in enumerate(seeds):
            summary, ts = outputs[i, j]
            summaries[label, seed] = summary
            rows.append(run_row(label, summary, ts, scenario.slo))
            part = ts.copy()
            part.insert(0, "seed", seed)
            part.insert(0, "variant", label)
            series.append(part)
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    timeseries = pd.concat(series, ignore_index=True)
    return Comparison(list(labels), list(scenarios), list(seeds), runs, aggregate(runs, labels),
                      timeseries, summaries)


def run_row(label: str, summary: dict, ts: pd.DataFrame, slo) -> dict:
    """One row of `runs` from a run's summary and per-minute table."""
    req, lat, tasks, scaling = summary["requests"], summary["latency_ms"], summary["tasks"], summary["scaling"]
    n_err = sum(req["errors"].values())
    bad, period = minutes_outside_slo(ts, slo)
    p99_over = summary["slo"]["latency_p99_ms_violation_minutes"]
    return {
        "variant": label,
        "scenario": summary["scenario"],
        "seed": int(summary["seed"]),
        "requests": int(req["total"]),
        "errors": int(n_err),
        "error_rate": n_err / req["total"] if req["total"] else 0.0,
        "p50_ms": _num(lat["p50"]),
        "p99_ms": _num(lat["p99"]),
        "p99_over_slo_min": _num(p99_over),
        "slo_violation_min": float(bad.sum()) * period / 60.0,
        "recovery_min": recovery_minutes(bad, period),
        "task_hours": _num(tasks["task_hours"]),
        "mean_tasks": _num(tasks["mean_running"]),
        "peak_tasks": int(tasks["max_running"]),
        "scale_outs": int(scaling["scale_out"]),
        "scale_ins": int(scaling["scale_in"]),
        "scaling_activities": int(scaling["scale_out"]) + int(scaling["scale_in"]),
        "cost_usd": _num(summary["cost"]["usd"]),
        "slo_met": bool(summary["slo"]["met"]),
    }


def _num(x) -> float:
    return float("nan") if x is None else float(x)


def recovery_minutes(bad: np.ndarray, period: float = 60.0, merge_gap_min: float = MERGE_GAP_MIN) -> float:
    """Minutes from the start of the worst stretch outside the SLO to the first minute back
    within it (see the module's docstring); 0 without a bad minute, inf without recovery."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return 0.0
    gap = max(1, int(math.ceil(merge_gap_min * 60.0 / period - 1e-9)))
    # Stretches: bad rows whose distance to the previous bad row is at most `gap`
    # (fewer than `gap` good rows in between) belong together.
    breaks = np.flatnonzero(np.diff(idx) > gap)
    firsts = np.concatenate([[idx[0]], idx[breaks + 1]])
    lasts = np.concatenate([idx[breaks], [idx[-1]]])
    counts = np.diff(np.concatenate([[0], breaks + 1, [len(idx)]]))
    worst = int(np.argmax(counts))                 # the first of the longest on a tie
    first, last = int(firsts[worst]), int(lasts[worst])
    if last == len(bad) - 1:
        return math.inf
    return (last + 1 - first) * period / 60.0


def aggregate(runs: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """`table`: per variant (in the given order), the mean, min and max over its seeds."""
    out = []
    for label in labels:
        rows = runs[runs["variant"] == label]
        rec = {"scenario": rows["scenario"].iloc[0], "seeds": int(len(rows))}
        for m, _, _ in METRICS:
            v = rows[m].to_numpy(dtype=float)
            finite = v[~np.isnan(v)]
            if len(finite):
                mean = math.inf if np.isinf(finite).any() else float(finite.mean())
                rec.update({f"{m}_mean": mean, f"{m}_min": float(finite.min()),
                            f"{m}_max": float(finite.max())})
            else:
                rec.update({f"{m}_{s}": math.nan for s in STATS})
        out.append(rec)
    table = pd.DataFrame(out, index=pd.Index(list(labels), name="variant"), columns=list(TABLE_COLUMNS))
    return table


# ------------------------------------------------------------------------ labels
def variant_labels(scenarios: Sequence) -> list[str]:
    """The scenario names; scenarios that share a name get what differs between them added,
    e.g. ``spike [min_capacity=4]`` and ``spike [min_capacity=8]`` (or #1, #2 when nothing does)."""
    names = [s.name for s in scenarios]
    labels = list(names)
    for name in dict.fromkeys(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        flats = [_flatten(scenarios[i].to_dict()) for i in group]
        keys = list(dict.fromkeys(k for f in flats for k in f))
        differing = [k for k in keys if k != "seed"
                     and len({_value_text(f.get(k, _MISSING)) for f in flats}) > 1]
        short = _short_keys(differing)
        for i, flat in zip(group, flats):
            if differing:
                parts = [f"{short[k]}={_value_text(flat.get(k, _MISSING))}" for k in differing[:3]]
                if len(differing) > 3:
                    parts.append(f"+{len(differing) - 3} more")
                labels[i] = f"{name} [{', '.join(parts)}]"
    # Still the same (no difference, or differences past the third): number them.
    for label in dict.fromkeys(labels):
        group = [i for i, x in enumerate(labels) if x == label]
        if len(group) > 1:
            for k, i in enumerate(group, 1):
                labels[i] = f"{label} #{k}"
    return labels


_MISSING = object()


def _flatten(data, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict) and data:
        for k, v in data.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(data, list) and data and any(isinstance(x, (dict, list)) for x in data):
        for i, v in enumerate(data):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


def _short_keys(keys: list[str]) -> dict[str, str]:
    """The shortest tail of each key path (whole components) that no other key ends with."""
    parts = {k: k.replace("[", ".[").split(".") for k in keys}
    out = {}
    for k in keys:
        for n in range(1, len(parts[k]) + 1):
            tail = parts[k][-n:]
            if tail[0].startswith("[") and n < len(parts[k]):
                continue                           # "[0].rps" alone says too little
            if not any(o != k and parts[o][-n:] == tail for o in keys):
                break
        out[k] = ".".join(tail).replace(".[", "[")
    return out


def _value_text(v) -> str:
    if v is _MISSING:
        return "unset"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (int, str)):
        text = str(v)
    else:
        text = json.dumps(v, separators=(",", ":"), default=str)
    return text if len(text) <= 30 else text[:29] + "…"
