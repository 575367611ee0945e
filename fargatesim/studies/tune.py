"""`fargatesim tune`: the cheapest scaling configuration that meets the SLO, searched with Optuna.

    import fargatesim
    t = fargatesim.tune("example:checkout-api", "example:spaces/checkout-target-and-floor", seeds=3, trials=60, jobs=2)
    t.best              # the best trial's row: its parameters and figures
    t.best_scenario     # the scenario with them, ready for fargatesim.simulate
    t.trials            # one row per trial; t.runs one per trial and seed
    t.save("results/tune")      # best.yaml, trials.parquet, trials.csv, front.png, parameters.png, tune.json

**The search.** Each trial is a configuration drawn from the SPACE (tune_space.py), run on the
same seeds as every other trial (common random numbers: their differences are the
configuration's, not the dice's). With objective `cost`, Optuna's TPE sampler minimises the
mean cost over the seeds under a constraint: the SLO met on at least `slo_share` of them.
With `pareto`, its NSGA-II sampler searches both the cost and the minutes outside the SLO.
The best is the cheapest trial that meets the SLO on that share of seeds (fewer minutes
outside the SLO, then the earlier trial, on a tie).

**Batches, and the same answer wherever it runs.** Trials run in batches of as many as the
workers can run with all their seeds at once (workers // seeds, at least one); a batch is told
to Optuna in trial order once all of it has finished, and each trial's sampler is seeded with
`sampler_seed` plus the number of trials finished before it. So the trials, and the best, are
the same however the runs of a batch finish, on local processes or a Dask cluster, for the
same batch size; with one trial per batch they are the serial search's. A run's figures are the
same bytes wherever it ran.

**Nothing finished is lost.** Trials live in an Optuna storage (a journal file in the output
folder by default): each trial is stored when told, with its runs. `resume=True` loads the
study; a trial that was under way when the tune stopped (Ctrl-C, a killed process) is marked
failed and drawn again, with the same seed, so it comes back as it would have been. A Dask
worker lost mid-run has its run rerun by the cluster; a local worker process that dies has its
runs submitted again to a new pool (up to RETRIES times).
"""
from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from ..errors import SimulationError
from ..output import write_files
from ..scenario import ScenarioError
from .compare import _as_executor, _seed_list, _stop_workers, _worker_init, run_one, run_row
from .tune_space import Space, load_space, space_from_dict

TUNE_FILES = ("best.yaml", "trials.parquet", "trials.csv", "runs.csv", "front.png", "parameters.png", "tune.json")
STUDY_NAME = "fargatesim-tune"
JOURNAL = "tune.journal"
RETRIES = 3
# TPE's random trials before it models the results; NSGA-II's generation (at least a batch).
STARTUP_TRIALS = 8
POPULATION = 10
# Figures of a trial: the mean over its seeds (peak_tasks: the largest), and the share of seeds
# on which the SLO was met.
FIGURES = ("cost_usd", "slo_violation_min", "p99_ms", "p50_ms", "error_rate", "task_hours", "peak_tasks",
           "scaling_activities")


@dataclass
class Tuning:
    scenario: Any                      # the starting scenario
    space: Space
    seeds: list[int]
    trials: pd.DataFrame               # one row per trial (see trial_table)
    runs: pd.DataFrame                 # one row per trial and seed: compare's run columns, with `trial`
    baseline: dict                     # the starting scenario's figures on the same seeds
    validation: pd.DataFrame | None = None     # baseline and best on held-out seeds, beside the tuning seeds
    seconds: float = 0.0
    stopped: str = ""                  # why it ran fewer trials than asked, if it did
    _best: dict | None = field(default=None, repr=False)

    @property
    def best(self) -> dict | None:
        """The best trial's row (parameters and figures), or None when no trial met the SLO."""
        return self._best

    @property
    def best_changes(self) -> dict | None:
        if self._best is None:
            return None
        values = {p.key: p.scenario_value(self._best[p.key]) for p in self.space.parameters}
        return self.space.changes(values, self.scenario)

    @property
    def best_scenario(self):
        """The starting scenario with the best trial's parameters, on the first tuning seed."""
        changes = self.best_changes
        if changes is None:
            return None
        return self.scenario.with_changes(changes).model_copy(update={"seed": self.seeds[0]})

    def front(self) -> pd.DataFrame:
        """The trials no other trial beats on both cost and minutes outside the SLO (each
        configuration once, at its first trial)."""
        done = self.trials[(self.trials["state"] == "complete") & self.trials["same_as"].isna()]
        return done[pareto_mask(done["cost_usd"].to_numpy(), done["slo_violation_min"].to_numpy())]

    def figure(self, path=None):
        from ..plots.tune import front_figure
        return front_figure(self, path)

    def parameter_figure(self, path=None):
        from ..plots.tune import parameter_figure
        return parameter_figure(self, path)

    def _repr_png_(self) -> bytes:
        import io
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png")
        return buffer.getvalue()

    def report(self) -> dict:
        """What tune.json holds: the search, the starting scenario's figures, the best's, and
        what it saves and risks."""
        best = self._best
        out = {"trials": int((self.trials["state"] == "complete").sum()), "seeds": self.seeds,
               "objective": self.space.objective, "slo_share": self.space.slo_share,
               "baseline": _plain(self.baseline), "best": None}
        if best is not None:
            out["best"] = {"trial": int(best["trial"]),
                           "parameters": {p.key: _plain(best[p.key]) for p in self.space.parameters},
                           **{k: _plain(best[k]) for k in (*FIGURES, "slo_met_share")}}
            base = self.baseline["cost_usd"]
            out["saving_usd"] = _plain(base - best["cost_usd"])
            out["saving_share"] = _plain((base - best["cost_usd"]) / base) if base else None
        if self.validation is not None:
            out["validation"] = [_plain(r) for r in self.validation.to_dict("records")]
        return out

    def text(self) -> str:
        return summary_text(self)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        best = self._best
        what = f"best trial {int(best['trial'])} at ${best['cost_usd']:.4f} a run" if best else "no trial met the SLO"
        return f"<Tuning {self.scenario.name}: {len(self.trials)} trials on {len(self.seeds)} seeds, {what}>"

    def save(self, directory, *, plot: bool = True) -> Path:
        best = self.best_scenario
        files: dict[str, Callable[[Path], Any]] = {
            "trials.parquet": lambda p: self.trials.to_parquet(p, index=False),
            "trials.csv": lambda p: self.trials.to_csv(p, index=False, float_format="%.10g"),
            "runs.csv": lambda p: self.runs.to_csv(p, index=False, float_format="%.10g"),
            "tune.json": lambda p: p.write_text(json.dumps(self.report(), indent=1, allow_nan=False) + "\n"),
        }
        if best is not None:
            files["best.yaml"] = lambda p: p.write_text(best_yaml(self, best))
        if plot and len(self.trials):
            files["front.png"] = self.figure
            files["parameters.png"] = self.parameter_figure
        write_files(directory, files, owned=TUNE_FILES)
        return Path(directory)


def tune(scenario, space, *, seeds=3, trials: int = 50, jobs: int | None = 1, executor=None,
         storage=None, resume: bool = False, sampler_seed: int = 0, timeout: float | None = None,
         validate_seeds: int = 0, progress: Callable[[dict], None] | None = None,
         trusted_modules=()) -> Tuning:
    """Search `space` (a SPACE file, a dict of its content, or a Space) over `scenario` (a
    Scenario or a path) for `trials` trials, each run on every seed of `seeds` (a count N:
    seeds 0..N-1, or the seeds). `jobs`: runs at once in local processes (0 or None: one per
    CPU); `executor`: a Dask ``distributed.Client`` (or any concurrent.futures Executor) to run
    on instead. `storage`: where trials are kept (an Optuna storage, an RDB URL such as
    ``sqlite:///tune.db``, or a journal file path; default: in memory); `resume` continues the
    study found there. `timeout`: seconds after which no new batch starts. `validate_seeds`:
    run the starting and the best configuration on that many seeds after the tuning seeds.
    `progress(state)` is called after the baseline and after each batch with trials done, the
    total, the best so far and the seconds elapsed and estimated left."""
    optuna = _optuna()
    from ..scenario import Scenario, load_scenario
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if not isinstance(space, Space):
        space = load_space(space, base) if isinstance(space, (str, Path)) else space_from_dict(space, base)
    seed_list = _seed_list(seeds)
    if trials < 1:
        raise ValueError(f"expected at least one trial; got {trials}")
    if base.slo.latency_p99_ms is None and base.slo.latency_mean_ms is None and base.slo.error_rate is None:
        raise ScenarioError("expected an SLO to tune against (slo.latency_p99_ms, slo.latency_mean_ms or "
                            "slo.error_rate); the scenario sets none", file=base.source, path="slo")
    runner = _Runner(jobs, executor, trusted_modules)
    batch = max(1, runner.workers // len(seed_list))
    study = _open_study(optuna, storage, space, resume)
    config = _config(base, space, seed_list)
    _check_config(study, config, storage)
    _abandon_unfinished(study)
    started = time.monotonic()
    try:
        baseline = study.user_attrs.get("baseline")
        if baseline is None:
            rows = runner.run([base.model_copy(update={"seed": s}) for s in seed_list])
            baseline = _aggregate(rows, space)
            baseline["runs"] = rows
            study.set_user_attr("baseline", _plain(baseline))
        _report(progress, study, space, trials, started, 0, baseline)
        ran = 0
        size = space.size()
        stopped = ""
        while _finished(study) < trials:
            if timeout is not None and time.monotonic() - started >= timeout:
                stopped = f"the --timeout of {timeout:g} s (counted from the start, the starting scenario's runs included)"
                break
            tried = _tried(study, space)
            if size is not None and len(tried) >= size:
                stopped = f"every one of the space's {size} configurations has run"
                break
            n = min(batch, trials - _finished(study))
            asked = []
            for i in range(n):
                study.sampler = _sampler(optuna, space, sampler_seed + _finished(study) + i, trials, batch)
                trial = study.ask()
                values = {p.key: p.suggest(trial) for p in space.parameters}
                same = tried.get(_config_key(trial.params, space))
                if same is not None and "invalid" in same.user_attrs:
                    trial.set_user_attr("invalid", same.user_attrs["invalid"])
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                if same is not None:
                    # Runs are deterministic: a configuration already run has these figures again.
                    _tell(study, trial, space, same.user_attrs["runs"], same.user_attrs["figures"], same.number)
                    continue
                try:
                    variant = base.with_changes(space.changes(values, base))
                except ScenarioError as e:
                    trial.set_user_attr("invalid", str(e))
                    study.tell(trial, state=optuna.trial.TrialState.FAIL)
                    continue
                asked.append((trial, variant))
            batch_started = time.monotonic()
            results = runner.run([v.model_copy(update={"seed": s}) for _, v in asked for s in seed_list],
                                 on_stop=lambda: _abandon(study, [t for t, _ in asked]))
            for k, (trial, _) in enumerate(asked):
                rows = results[k * len(seed_list):(k + 1) * len(seed_list)]
                _tell(study, trial, space, _plain(rows), _plain(_aggregate(rows, space)))
            ran += len(asked)
            _report(progress, study, space, trials, started, time.monotonic() - batch_started, baseline)
    except KeyboardInterrupt:
        runner.close()
        try:
            _abandon_unfinished(study)      # whatever was asked when it came, between two steps or in one
        except Exception:
            pass                            # the storage went too: resume finds them RUNNING instead
        raise
    runner_seconds = time.monotonic() - started
    tuning = _tuning(base, space, seed_list, study, baseline, runner_seconds)
    tuning.stopped = stopped
    if validate_seeds and tuning.best is not None:
        tuning.validation = _validate(runner, tuning, validate_seeds)
    runner.close()
    return tuning


# ------------------------------------------------------------------ the study
def _optuna():
    import warnings
    with warnings.catch_warnings():
        # tqdm, which Optuna imports, warns in a notebook without ipywidgets; tune draws no bars of its own.
        warnings.filterwarnings("ignore", message="IProgress not found")
        import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _study(optuna, storage, space: Space, resume: bool):
    directions = ["minimize"] if space.objective == "cost" else ["minimize", "minimize"]
    store = _storage(optuna, storage)
    names = [s.study_name for s in optuna.study.get_all_study_summaries(store)] if store is not None else []
    if STUDY_NAME in names and not resume:
        raise ScenarioError("expected a new tune; this storage already holds one: --resume continues it, or write "
                            "to another folder", file=_where(storage))
    if resume and STUDY_NAME not in names:
        raise ScenarioError("expected a tune to resume; this storage holds none", file=_where(storage))
    return optuna.create_study(storage=store, study_name=STUDY_NAME, directions=directions, load_if_exists=resume)


def _open_study(optuna, storage, space: Space, resume: bool):
    """The study, or one line saying why the storage cannot hold it."""
    try:
        return _study(optuna, storage, space, resume)
    except ScenarioError:
        raise
    except Exception as e:              # SQLAlchemy's, Optuna's and the file system's own errors
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ScenarioError(f"cannot open the storage: {reason}", file=_where(storage)) from None


def _storage(optuna, storage):
    if storage is None or not isinstance(storage, (str, Path)):
        return storage
    text = str(storage)
    if "://" in text:
        return optuna.storages.RDBStorage(text)
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
    Path(text).parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(text, lock_obj=JournalFileOpenLock(text)))


def _where(storage) -> str:
    return str(storage) if isinstance(storage, (str, Path)) else "the storage"


def _config(base, space: Space, seeds: list[int]) -> dict:
    """What a resumed tune must share with the one it continues."""
    scenario = json.dumps(base.to_dict(), sort_keys=True, default=str)
    return {"scenario_sha256": hashlib.sha256(scenario.encode()).hexdigest(), "seeds": seeds,
            "objective": space.objective, "slo_share": space.slo_share,
            "parameters": {p.key: [p.kind, p.low, p.high, p.step, p.log, [str(c) for c in p.choices],
                                   json.dumps(p.values, sort_keys=True, default=str)]
                           for p in space.parameters}}


def _check_config(study, config: dict, storage) -> None:
    stored = study.user_attrs.get("config")
    if stored is None:
        study.set_user_attr("config", config)
        return
    for key, what in (("scenario_sha256", "scenario"), ("seeds", "seeds"), ("objective", "objective"),
                      ("slo_share", "slo_share"), ("parameters", "space parameters and values")):
        if stored[key] != config[key]:
            raise ScenarioError(f"expected the tune being resumed to have the same {what} as when it was started; "
                                f"they differ (a changed tune goes to another folder or storage)",
                                file=_where(storage))


def _tell(study, trial, space: Space, rows: list[dict], figures: dict, same_as: int | None = None) -> None:
    trial.set_user_attr("runs", rows)
    trial.set_user_attr("figures", figures)
    if same_as is not None:
        trial.set_user_attr("same_as", same_as)
    # Feasible when <= 0: the share of seeds that must meet the SLO, less the share that did.
    trial.set_constraint("slo_shortfall", figures["slo_shortfall"])
    study.tell(trial, _objective_values(space, figures))


def _config_key(params: dict, space: Space) -> str:
    return json.dumps([params.get(p.key) for p in space.parameters])


def _tried(study, space: Space) -> dict:
    """The first trial of each configuration run so far, or refused, by its key."""
    out: dict = {}
    for t in study.get_trials(deepcopy=False):
        if t.state.name == "COMPLETE" or (t.state.name == "FAIL" and "invalid" in t.user_attrs):
            out.setdefault(_config_key(t.params, space), t)
    return out


def _abandon_unfinished(study) -> None:
    """Trials under way when an earlier process stopped are marked failed: each is drawn again."""
    import optuna
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study._storage.set_trial_user_attr(t._trial_id, "abandoned", "the tune stopped while it ran")
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)


def _abandon(study, trials) -> None:
    import optuna
    for t in trials:
        try:
            t.set_user_attr("abandoned", "the tune stopped while it ran")
            study.tell(t, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        except Exception:
            pass                        # the storage is gone too: resume finds it RUNNING instead


def _finished(study) -> int:
    """Trials that count: complete ones and those whose configuration the scenario refused."""
    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.state.name == "COMPLETE" or (t.state.name == "FAIL" and "invalid" in t.user_attrs))


def _sampler(optuna, space: Space, seed: int, trials: int, batch: int):
    if space.objective == "cost":
        # Neither depends on --trials: a tune resumed with more trials goes on as the longer tune would have.
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP_TRIALS,
                                          multivariate=True)
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=max(POPULATION, batch))


def _objective_values(space: Space, figures: dict) -> list[float]:
    if space.objective == "cost":
        return [figures["cost_usd"]]
    return [figures["cost_usd"], figures["slo_violation_min"]]


def _aggregate(rows: list[dict], space: Space) -> dict:
    frame = pd.DataFrame(rows)
    out = {k: float(frame[k].max() if k == "peak_tasks" else frame[k].mean()) for k in FIGURES}
    # A run meets the SLO when its summary says so and no minute was outside it: a fleet that
    # answers nothing has no latency to hold against a latency SLO, yet every minute failed.
    met = frame["slo_met"].astype(bool) & (frame["slo_violation_min"] == 0)
    share = float(met.mean())
    out["slo_met_share"] = share
    out["slo_shortfall"] = space.slo_share - share
    out["slo_met"] = bool(share >= space.slo_share - 1e-12)
    return out


# ------------------------------------------------------------------ results
def _tuning(base, space: Space, seeds: list[int], study, baseline: dict, seconds: float) -> Tuning:
    rows, runs = [], []
    for t in study.get_trials(deepcopy=False):
        state = ("complete" if t.state.name == "COMPLETE" else "invalid" if "invalid" in t.user_attrs
                 else "abandoned" if "abandoned" in t.user_attrs else t.state.name.lower())
        if state == "abandoned":
            continue                       # drawn again: its configuration is a later trial's
        row = {"trial": t.number, "state": state}
        row.update({p.key: t.params.get(p.key) for p in space.parameters})
        figures = t.user_attrs.get("figures", {})
        row.update({k: figures.get(k, np.nan) for k in (*FIGURES, "slo_met_share")})
        row["slo_met"] = bool(figures.get("slo_met", False))
        row["same_as"] = t.user_attrs.get("same_as", np.nan)
        row["reason"] = t.user_attrs.get("invalid", "")
        rows.append(row)
        for run in t.user_attrs.get("runs", []):
            runs.append({"trial": t.number, **run})
    columns = ["trial", "state", *(p.key for p in space.parameters), *FIGURES, "slo_met_share", "slo_met", "same_as",
               "reason"]
    trials = pd.DataFrame(rows, columns=columns).astype({"same_as": "Int64"})
    tuning = Tuning(base, space, seeds, trials, pd.DataFrame(runs), {k: v for k, v in baseline.items() if k != "runs"},
                    seconds=seconds)
    tuning._best = best_row(trials)
    return tuning


def best_row(trials: pd.DataFrame) -> dict | None:
    ok = trials[(trials["state"] == "complete") & trials["slo_met"]]
    if ok.empty:
        return None
    ranked = ok.sort_values(["cost_usd", "slo_violation_min", "trial"], kind="stable")
    return ranked.iloc[0].to_dict()


def pareto_mask(cost: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Points no other point is at least as good as on both, and better on one."""
    n = len(cost)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = (cost <= cost[i]) & (minutes <= minutes[i]) & ((cost < cost[i]) | (minutes < minutes[i]))
        keep[i] = not dominated.any()
    return keep


def _validate(runner, tuning: Tuning, n: int) -> pd.DataFrame:
    held = list(range(max(tuning.seeds) + 1, max(tuning.seeds) + 1 + n))
    best = tuning.scenario.with_changes(tuning.best_changes)
    configs = {"starting": tuning.scenario, "best": best}
    results = runner.run([s.model_copy(update={"seed": seed}) for s in configs.values() for seed in held])
    rows = []
    for k, name in enumerate(configs):
        held_rows = results[k * n:(k + 1) * n]
        tuned = tuning.baseline if name == "starting" else tuning.best
        figures = _aggregate(held_rows, tuning.space)
        for seeds, fig in (("tuning", tuned), ("held-out", figures)):
            rows.append({"configuration": name, "seeds": seeds, "n_seeds": len(tuning.seeds) if seeds == "tuning" else n,
                         **{k2: fig[k2] for k2 in ("cost_usd", "slo_met_share", "slo_violation_min", "p99_ms")}})
    return pd.DataFrame(rows)


def best_yaml(tuning: Tuning, scenario) -> str:
    best = tuning.best
    lines = [f"# Tuned by `fargatesim tune`: trial {int(best['trial'])} of {len(tuning.trials)}, the cheapest that met "
             f"the SLO on {best['slo_met_share']:.0%} of seeds {_seed_text(tuning.seeds)}",
             f"# (mean cost ${best['cost_usd']:.4f} a run, against ${tuning.baseline['cost_usd']:.4f} for the starting "
             f"scenario). `fargatesim run` of this file reproduces the trial's run on seed {tuning.seeds[0]}.",
             "# What the tune set:"]
    for p in tuning.space.parameters:
        lines.append(f"#   {p.key} = {_value_text(best[p.key])}")
    return "\n".join(lines) + "\n" + yaml.safe_dump(scenario.to_dict(), sort_keys=False, width=4096)


def summary_text(t: Tuning) -> str:
    done = int((t.trials["state"] == "complete").sum())
    invalid = int((t.trials["state"] == "invalid").sum())
    lines = [f"{t.scenario.name}: {done} trials on seeds {_seed_text(t.seeds)}"
             + (f" ({invalid} configurations the scenario refused)" if invalid else "")
             + f", in {_duration(t.seconds)}" + (f"; stopped early: {t.stopped}" if t.stopped else "")]
    b = t.baseline
    lines.append(f"  starting   ${b['cost_usd']:.4f} a run, SLO met on {b['slo_met_share']:.0%} of seeds, "
                 f"{b['slo_violation_min']:.1f} min outside it, p99 {b['p99_ms']:.0f} ms")
    best = t.best
    if best is None:
        lines.append(f"  best       none: no trial met the SLO on {t.space.slo_share:.0%} of the seeds")
        return "\n".join(lines)
    change = f" ({(best['cost_usd'] - b['cost_usd']) / b['cost_usd']:+.0%})" if b["cost_usd"] else ""
    lines.append(f"  best       trial {int(best['trial'])}: ${best['cost_usd']:.4f} a run{change}, "
                 f"SLO met on {best['slo_met_share']:.0%} of seeds, {best['slo_violation_min']:.1f} min outside it, "
                 f"p99 {best['p99_ms']:.0f} ms")
    for p in t.space.parameters:
        lines.append(f"    {p.key} = {_value_text(best[p.key])}")
    risk = []
    if best["p99_ms"] > b["p99_ms"]:
        risk.append(f"p99 up from {b['p99_ms']:.0f} to {best['p99_ms']:.0f} ms")
    slo = t.scenario.slo
    if slo.latency_p99_ms is not None:
        risk.append(f"{slo.latency_p99_ms - best['p99_ms']:.0f} ms under the p99 SLO over the run")
    if best["slo_met_share"] < 1:
        risk.append(f"misses the SLO on {1 - best['slo_met_share']:.0%} of seeds")
    if best["peak_tasks"] > b["peak_tasks"]:
        risk.append(f"peaks at {best['peak_tasks']:.0f} tasks (starting: {b['peak_tasks']:.0f})")
    if risk:
        lines.append("  risks      " + "; ".join(risk))
    if t.validation is not None:
        v = t.validation[t.validation["seeds"] == "held-out"].set_index("configuration")
        lines.append(f"  held-out   {int(v['n_seeds'].iloc[0])} seeds: best ${v.loc['best', 'cost_usd']:.4f}, SLO met on "
                     f"{v.loc['best', 'slo_met_share']:.0%}; starting ${v.loc['starting', 'cost_usd']:.4f}, "
                     f"SLO met on {v.loc['starting', 'slo_met_share']:.0%}")
    return "\n".join(lines)


def _report(progress, study, space, total, started, batch_seconds, baseline) -> None:
    if progress is None:
        return
    done = _finished(study)
    elapsed = time.monotonic() - started
    trials = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    feasible = [t for t in trials if t.user_attrs.get("figures", {}).get("slo_met")]
    best = min(feasible, key=lambda t: (t.user_attrs["figures"]["cost_usd"], t.number)) if feasible else None
    rate = elapsed / done if done else None
    progress({"done": done, "total": total, "elapsed_s": elapsed,
              "left_s": rate * (total - done) if rate else None,
              "best_cost_usd": best.user_attrs["figures"]["cost_usd"] if best else None,
              "best_trial": best.number if best else None, "baseline_cost_usd": baseline["cost_usd"]})


# ------------------------------------------------------------------ running
def evaluate(scenario, trusted_modules=()) -> dict:
    """One run's row of figures (compare's run columns); what a worker sends back."""
    summary, ts = run_one(scenario, trusted_modules)
    return run_row("", summary, ts, scenario.slo)


class _Runner:
    """Runs on local processes, a Dask cluster or here; results in the order asked."""

    def __init__(self, jobs, executor, trusted):
        import os
        self.trusted = tuple(trusted)
        self.executor = _as_executor(executor) if executor is not None else None
        self.pool = None
        if executor is not None:
            threads = getattr(executor, "nthreads", None)
            self.workers = sum(threads().values()) if callable(threads) else getattr(executor, "_max_workers", 1) or 1
        else:
            self.workers = (os.cpu_count() or 1) if not jobs else int(jobs)

    def run(self, scenarios: list, on_stop: Callable[[], None] | None = None) -> list[dict]:
        if not scenarios:
            return []
        try:
            if self.executor is None and self.workers == 1:
                return [self._here(s) for s in scenarios]
            return self._parallel(scenarios)
        except BaseException:
            if on_stop is not None:
                on_stop()
            raise

    def _here(self, scenario) -> dict:
        try:
            return evaluate(scenario, self.trusted)
        except SimulationError as e:
            raise SimulationError(f"a trial's run (seed {scenario.seed}) failed: {e}") from e

    def _parallel(self, scenarios: list) -> list[dict]:
        results: dict[int, dict] = {}
        tries = {k: 0 for k in range(len(scenarios))}
        while len(results) < len(scenarios):
            executor = self.executor or self._pool()
            pending = {executor.submit(evaluate, s, self.trusted): k
                       for k, s in enumerate(scenarios) if k not in results}
            broken = False
            while pending and not broken:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in done:
                    k = pending.pop(fut)
                    try:
                        results[k] = fut.result()
                        continue
                    except BrokenExecutor:
                        broken = True          # a local worker died: a new pool runs what is left
                    except SimulationError as e:
                        raise SimulationError(f"a trial's run (seed {scenarios[k].seed}) failed: {e}") from e
                    except Exception as e:
                        if type(e).__name__ != "KilledWorker":
                            raise
                    tries[k] += 1
                    if tries[k] > RETRIES:
                        raise SimulationError(f"a trial's run (seed {scenarios[k].seed}) lost its worker "
                                              f"{tries[k]} times")
                    if not broken:             # the cluster gave up on it after its own retries: once more
                        pending[executor.submit(evaluate, scenarios[k], self.trusted)] = k
            if broken:
                self.close()
        return [results[k] for k in range(len(scenarios))]

    def _pool(self):
        if self.pool is None:
            import multiprocessing
            started = multiprocessing.RawArray("q", 1)
            self.pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init, initargs=(started,))
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            _stop_workers(self.pool)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


# ------------------------------------------------------------------ small helpers
def _plain(value):
    """JSON-ready: numpy numbers as Python's, nested."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    return value


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _value_text(value) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


