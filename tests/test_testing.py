"""fargatesim.testing: the strategies keep their promises, the assertions catch what they name,
and the README's "Test your own policy" example runs."""
from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, find, given, settings, strategies as st
from hypothesis.errors import InvalidArgument

import fargatesim
from fargatesim.scenario import load_scenario, scenario_from_dict
from fargatesim.testing import (BASE_SCENARIO, POLICY_KINDS, TRAFFIC_KINDS, desired_within_bounds,
                                every_request_accounted, fleet_rps, policies, run, scaling_explained,
                                scenarios, traffic)
from fargatesim.traffic import rate_curve, rate_of

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(__file__).resolve().parent / "data" / "reference-scenario.yaml"
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def with_traffic(section, duration=3600.0):
    return scenario_from_dict({**copy.deepcopy(BASE_SCENARIO), "traffic": section, "duration": duration})


# ------------------------------------------------------------------ traffic()
@settings(FAST, max_examples=60)
@given(data=st.data(),
       bounds=st.sampled_from([(0.0, 500.0), (50.0, 200.0), (120.0, 120.0), (0.0, 3.5), (10.0, 1000.0)]),
       duration=st.sampled_from([300.0, 1200.0, 5400.0]),
       kinds=st.lists(st.sampled_from(TRAFFIC_KINDS), min_size=1, unique=True))
def test_traffic_rate_stays_within_bounds_at_every_instant(data, bounds, duration, kinds):
    lo, hi = bounds
    if lo > 0 and kinds == ["spike"]:
        kinds = ["spike", "constant"]          # a spike alone cannot hold a floor (tested below)
    section = data.draw(traffic(min_rps=lo, max_rps=hi, duration=duration, kinds=kinds, max_components=3))
    assert 1 <= len(section) <= 3
    assert {next(iter(c)) for c in section} <= set(kinds)
    s = with_traffic(section, duration)
    tol = 1e-9 * hi
    # Tick means over the drawn duration, as the engine computes them, at two tick sizes ...
    for tick in (1.0, 7.0):
        rates = rate_curve(s.traffic, start=s.start, duration=duration, tick=tick)
        assert rates.min() >= lo - tol, (section, rates.min())
        assert rates.max() <= hi + tol, (section, rates.max())
    # ... and the instantaneous rate, every half second and past the end.
    t = np.arange(0.0, 2 * duration, 0.5)
    instant = sum(rate_of(c, t, s.start) for c in s.traffic)
    assert instant.min() >= lo - tol and instant.max() <= hi + tol


# Shrinking is a heuristic search: where it stops depends on where it starts, and (seen under
# pytest-xdist) on what the process ran before. From a fixed start in a fresh process it says the
# same thing on every machine, which is what these tests hold.
FIXED_START = settings(derandomize=True, database=None, max_examples=2000)


def in_a_fresh_process(check) -> None:
    """Run `check` (a function of this module) in a new interpreter; fail with its error."""
    code = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import {Path(__file__).stem} as t; t.{check.__name__}()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-3000:]


def check_traffic_reaches_its_bounds_and_shrinks_to_one_constant():
    # The bounds are reachable, not just respected: a drawn section hits max_rps exactly.
    peak = find(traffic(max_rps=300.0), lambda sec: rate_curve(
        with_traffic(sec).traffic, start=BASE_SCENARIO_START, duration=3600, tick=60).max() >= 300.0,
                settings=FIXED_START)
    assert peak == [{"constant": {"rps": 300.0}}]
    floor = find(traffic(min_rps=40.0, max_rps=300.0), lambda sec: True, settings=FIXED_START)
    assert floor == [{"constant": {"rps": 40.0}}]


def test_traffic_reaches_its_bounds_and_shrinks_to_one_constant():
    in_a_fresh_process(check_traffic_reaches_its_bounds_and_shrinks_to_one_constant)


def test_traffic_refuses_what_it_cannot_promise():
    for kwargs in ({"min_rps": 10.0, "kinds": ("spike",)}, {"min_rps": 5.0, "max_rps": 1.0},
                   {"kinds": ("trace",)}, {"kinds": ()}, {"max_components": 0}, {"duration": "soon"}):
        with pytest.raises(InvalidArgument):
            traffic(**kwargs).example()


BASE_SCENARIO_START = scenario_from_dict(copy.deepcopy(BASE_SCENARIO)).start


# ------------------------------------------------------------------ policies()
@settings(FAST, max_examples=100)
@given(data=st.data(), kinds=st.lists(st.sampled_from(POLICY_KINDS), unique=True))
def test_policies_always_pass_the_schema(data, kinds):
    drawn = data.draw(policies(kinds=kinds))
    assert set(drawn) == {"autoscaling", "alarms"}
    s = scenario_from_dict({**copy.deepcopy(BASE_SCENARIO), **drawn})
    a = s.autoscaling
    assert 1 <= a.min_capacity <= 3 and a.min_capacity <= a.max_capacity <= 20
    types = {p.policy_type for p in a.policies}
    present = {"TargetTrackingScaling": "target_tracking", "StepScaling": "step"}
    assert {present[t] for t in types} | ({"scheduled"} if a.scheduled_actions else set()) <= set(kinds)
    if kinds:
        assert a.policies or a.scheduled_actions       # at least one of the kinds asked for
    else:
        assert not a.policies and not a.scheduled_actions and not s.alarms
    # Step policies come with the alarms that invoke them, and every alarm invokes one.
    steps = {p.name for p in a.policies if p.policy_type == "StepScaling"}
    assert steps == {name for alarm in s.alarms for name in alarm.alarm_actions}
    for action in a.scheduled_actions:
        bounds = action.scalable_target_action
        assert a.min_capacity <= bounds.min_capacity <= bounds.max_capacity <= a.max_capacity


@settings(FAST, max_examples=30)
@given(drawn=policies(min_capacity=0, max_capacity=st.integers(0, 2)))
def test_policies_take_fixed_or_drawn_bounds(drawn):
    s = scenario_from_dict({**copy.deepcopy(BASE_SCENARIO), **drawn})
    assert s.autoscaling.min_capacity == 0 and s.autoscaling.max_capacity <= 2


# ------------------------------------------------------------------ scenarios()
BASES = {
    "built-in": None,
    "dict": {**copy.deepcopy(BASE_SCENARIO), "name": "bigger",
             "task_definition": {**BASE_SCENARIO["task_definition"], "cpu": 2048, "memory": 4096}},
    "path": REFERENCE,
    "scenario": load_scenario(ROOT / "scenarios" / "steady-web-api.yaml"),
}


@pytest.mark.parametrize("name", BASES)
def test_scenarios_keep_the_base_and_draw_the_rest(name):
    base = BASES[name]
    expected = scenario_from_dict(copy.deepcopy(BASE_SCENARIO)) if base is None else (
        load_scenario(base) if isinstance(base, (dict, Path)) else base)
    seen_traffic, seen_seeds = set(), set()

    @settings(FAST, max_examples=25, database=None)
    @given(s=scenarios(base))
    def check(s):
        assert isinstance(s, fargatesim.Scenario)
        assert s.task_definition == expected.task_definition
        assert (s.workload, s.service, s.target_group, s.faults) == \
               (expected.workload, expected.service, expected.target_group, expected.faults)
        assert s.autoscaling == expected.autoscaling and s.alarms == expected.alarms
        assert 20 * 60 <= s.duration <= 90 * 60 and s.duration % 60 == 0
        # default traffic: up to half of what the base's largest fleet serves at 100 % CPU
        rates = rate_curve(s.traffic, start=s.start, duration=s.duration, tick=60)
        assert rates.max() <= fleet_rps(expected) / 2 + 1e-6
        seen_traffic.add(repr(s.traffic))
        seen_seeds.add(s.seed)

    check()
    assert len(seen_traffic) > 5 and len(seen_seeds) > 5


def test_scenarios_replace_autoscaling_and_keep_what_is_asked():
    base = load_scenario(REFERENCE)

    @settings(FAST, max_examples=25, database=None)
    @given(s=scenarios(REFERENCE, traffic=None, policies=policies(), duration="30m", seed=None))
    def check(s):
        assert s.traffic == base.traffic and s.seed == base.seed and s.duration == 1800
        assert s.task_definition == base.task_definition
        assert s.autoscaling != base.autoscaling and s.autoscaling.max_capacity <= 20
        assert {a.alarm_name for a in s.alarms} <= {"cpu-high", "cpu-low"}

    check()
    # a function of the drawn duration gives the traffic, e.g. a spike inside the run
    s = find(scenarios(traffic=lambda d: traffic(duration=d, kinds=("spike",))), lambda s: True,
             settings=FIXED_START)
    assert s.traffic[0].kind == "spike" and s.traffic[0].at < s.duration


def check_scenarios_shrink_to_the_simplest_run():
    s = find(scenarios(policies=policies()), lambda s: True, settings=FIXED_START)
    assert s.duration == 20 * 60 and s.seed == 0
    assert [c.kind for c in s.traffic] == ["constant"] and s.traffic[0].rps == 0
    # one kind of scaling, at its smallest: one policy (step-out without step-in) or one action
    assert len(s.autoscaling.policies) + len(s.autoscaling.scheduled_actions) == 1
    assert s.autoscaling.min_capacity == 1 and s.autoscaling.max_capacity == 4
    # A failure needing load above 300 requests/s shrinks to one constant just above it.
    s = find(scenarios(), lambda s: rate_curve(s.traffic, start=s.start, duration=s.duration, tick=60).max() > 300,
             settings=FIXED_START)
    assert len(s.traffic) == 1 and s.traffic[0].kind == "constant" and 300 < s.traffic[0].rps <= 305


def test_scenarios_shrink_to_the_simplest_run():
    in_a_fresh_process(check_scenarios_shrink_to_the_simplest_run)


def test_scenarios_refuse_bad_arguments():
    with pytest.raises(InvalidArgument):
        scenarios(base=42)
    with pytest.raises(InvalidArgument):
        scenarios(policies={"autoscaling": {}})
    with pytest.raises(InvalidArgument):
        scenarios(seed=-1)
    with pytest.raises(fargatesim.ScenarioError):
        scenarios(base={"name": "no traffic"})


# ------------------------------------------------------------------ run()
class Fixed:
    """A custom policy that always wants `n` tasks."""

    def __init__(self, n):
        self.n, self.calls = n, 0
        self.scale_out_cooldown = self.scale_in_cooldown = 0

    def desired_capacity(self, obs):
        self.calls += 1
        return self.n


def test_run_returns_a_result_with_the_overrides_applied():
    policy = Fixed(7)
    r = run(BASE_SCENARIO, policies=[policy], duration="20m", seed=3)
    assert isinstance(r, fargatesim.Result)
    assert r.summary["duration_s"] == 1200 and r.summary["seed"] == 3
    assert policy.calls == 19 and r.timeseries.desired_count.iloc[-1] == 7
    plain = run(scenario_from_dict(copy.deepcopy(BASE_SCENARIO)))
    assert plain.summary["duration_s"] == 3600 and plain.summary["seed"] == 0


# ------------------------------------------------------------------ the assertions
@pytest.fixture(scope="module")
def scaled():
    """A real run: a custom policy scales 2 -> 5 at 60 s, an operator sets 3 at 270 s, the policy
    takes it back to 5 at 300 s, and a scheduled action raises the floor to 6 at 600 s."""
    data = copy.deepcopy(BASE_SCENARIO)
    data["autoscaling"] = {"min_capacity": 1, "max_capacity": 6, "scheduled_actions": [
        {"name": "floor", "schedule": "cron(10 * * * ? *)", "scalable_target_action": {"min_capacity": 6}}]}
    data["actions"] = [{"at": 270, "type": "set_desired_count", "value": 3}]
    return run(data, policies=[Fixed(5)], duration="20m")


def test_assertions_pass_on_real_runs(scaled):
    desired_within_bounds(scaled)
    every_request_accounted(scaled)
    scaling_explained(scaled)
    kinds = set(scaled.events[scaled.events.detail.str.contains(" -> ") &
                              scaled.events.kind.isin(["scaling_activity", "scheduled_action", "service"])].kind)
    assert kinds == {"scaling_activity", "scheduled_action", "service"}   # all three explain a change


def _tampered_snapshots(result, change):
    broken = copy.copy(result)
    sim = result._simulation
    snaps = [(t, dict(s)) for t, s in sim.snapshots]
    change(snaps)
    broken._simulation = SimpleNamespace(snapshots=snaps, n_ticks=sim.n_ticks, tick=sim.tick)
    return broken


def test_desired_within_bounds_catches_a_desired_count_above_max(scaled):
    def above(snaps):
        snaps[3][1]["desired_count"] = snaps[3][1]["max_capacity"] + 1
    broken = _tampered_snapshots(scaled, above)
    with pytest.raises(AssertionError, match=r"desired_count 7 outside \[min_capacity \d+, max_capacity 6\] from t = "):
        desired_within_bounds(broken)
    # the per-minute table alone (a Result from another process) is checked too
    ts = scaled.timeseries.copy()
    ts.loc[5, "desired_count"] = 0
    with pytest.raises(AssertionError, match=r"desired_count 0 outside \[min_capacity 1, max_capacity 6\] "
                                             r"from t = 300 s to 360 s"):
        desired_within_bounds(fargatesim.Result(scaled.scenario, scaled.summary, ts, scaled.events))


def test_desired_within_bounds_needs_bounds():
    fixed = {k: v for k, v in copy.deepcopy(BASE_SCENARIO).items() if k != "autoscaling"}
    with pytest.raises(ValueError, match="no autoscaling section"):
        desired_within_bounds(run(fixed, duration="5m"))


def test_every_request_accounted_catches_a_lost_request(scaled):
    summary = copy.deepcopy(scaled.summary)
    summary["requests"]["ok"] -= 1
    lost = fargatesim.Result(scaled.scenario, summary, scaled.timeseries, scaled.events)
    with pytest.raises(AssertionError, match=r"\d+ requests but \d+ ok \+ \d+ errors .* \+ \d+ in flight = "):
        every_request_accounted(lost)
    ts = scaled.timeseries.copy()
    ts.loc[2, "requests"] += 5
    with pytest.raises(AssertionError, match="the timeseries' requests add up to"):
        every_request_accounted(fargatesim.Result(scaled.scenario, scaled.summary, ts, scaled.events))


def test_scaling_explained_catches_an_unexplained_change(scaled):
    events = scaled.events[scaled.events.kind != "scaling_activity"]
    silent = fargatesim.Result(scaled.scenario, scaled.summary, scaled.timeseries, events,
                               simulation=scaled._simulation)
    with pytest.raises(AssertionError, match=r"desired_count 2 -> 5 at t = 60 s is not explained .*events there: none"):
        scaling_explained(silent)
    # a Result without its simulation (pickled, or copied) is checked minute by minute
    with pytest.raises(AssertionError, match=r"desired_count 2 -> 5 between t = 60 s and 120 s is not explained"):
        scaling_explained(copy.copy(silent))
    # a change nobody made: desired 5 -> 3 in the snapshots with no event
    def drop(snaps):
        i = next(i for i, (t, s) in enumerate(snaps) if s["desired_count"] == 5 and t > 310)
        snaps[i][1]["desired_count"] = 3
    with pytest.raises(AssertionError, match=r"desired_count 5 -> 3 at t = "):
        scaling_explained(_tampered_snapshots(scaled, drop))


def test_scaling_explained_works_from_the_per_minute_table():
    scenario = scenario_from_dict(copy.deepcopy(BASE_SCENARIO))    # desired 2, bounds 1..20
    ts = pd.DataFrame({"t_s": [0.0, 60.0, 120.0, 180.0], "desired_count": [2, 2, 6, 6],
                       "min_capacity": [1.0] * 4, "max_capacity": [20.0] * 4})
    summary = {"scenario": "fake", "seed": 0}

    def result(events):
        return fargatesim.Result(scenario, summary, ts, pd.DataFrame(events, columns=["t_s", "time", "kind",
                                                                                    "subject", "detail"]))

    # two changes within the minute 120..180 s chain from 2 to 6
    ok = result([(130.0, "", "scaling_activity", "p", "scale-out: desired 2 -> 4 (why)"),
                 (150.0, "", "scaling_activity", "p", "scale-out: desired 4 -> 6 (why)"),
                 (155.0, "", "alarm_state", "a", "OK -> ALARM")])
    scaling_explained(ok)
    desired_within_bounds(ok)
    late = result([(200.0, "", "scaling_activity", "p", "scale-out: desired 2 -> 6 (why)")])
    with pytest.raises(AssertionError, match=r"desired_count 2 -> 6 between t = 120 s and 180 s"):
        scaling_explained(late)


# ------------------------------------------------------------------ AWS's rules, stated with these strategies
@settings(FAST, max_examples=12)
@given(scenario=scenarios(policies=policies()))
def test_aws_scaling_rules_hold_for_drawn_scenarios_and_policies(scenario):
    result = run(scenario)
    desired_within_bounds(result)
    every_request_accounted(result)
    scaling_explained(result)


# ------------------------------------------------------------------ the README's example
SECTION = re.compile(r"^## Test your own policy[ \t]*$(.*?)(?=^## |\Z)", re.M | re.S)


def python_blocks(markdown: str) -> list[str] | None:
    """The python code blocks of the "## Test your own policy" section; None without one."""
    section = SECTION.search(markdown)
    return None if section is None else re.findall(r"^```python\n(.*?)^```", section.group(1), re.M | re.S)


def readme_example() -> tuple[str, str]:
    """The python block of README.md's "## Test your own policy" section."""
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks is not None, "no '## Test your own policy' section in README.md"
    assert len(blocks) == 1, f"README.md: expected one python block in 'Test your own policy', got {len(blocks)}"
    return "README.md", blocks[0]


def test_the_section_is_found_in_a_readme():
    readme = ("# fargatesim\n\n## Speed\n\n```python\nno = 1\n```\n\n## Test your own policy\n\nIntro.\n\n"
              "```python\nyes = 2\n```\n\n### A subsection\n\n## Development\n\n```python\nno = 3\n```\n")
    assert python_blocks(readme) == ["yes = 2\n"]
    assert python_blocks("# fargatesim\n\n## Speed\n") is None


def test_readme_example_runs():
    where, code = readme_example()
    assert len(code.splitlines()) <= 45, f"{where}: the example should stay short"
    namespace = {"__name__": "readme_example"}
    exec(compile(code, f"{where} (Test your own policy)", "exec"), namespace)
    tests = {name: fn for name, fn in namespace.items() if name.startswith("test_") and callable(fn)}
    assert tests, f"{where}: the example defines no test function"
    for name, fn in tests.items():
        own = getattr(fn, "_hypothesis_internal_use_settings", None)
        if own is not None:       # run a few examples of the property, whatever it asks for
            fn._hypothesis_internal_use_settings = settings(own, max_examples=min(own.max_examples, 6),
                                                            database=None)
        fn()


def test_module_docstring_example_runs():
    import textwrap

    import fargatesim.testing as testing
    doc = testing.__doc__
    code = textwrap.dedent(doc[doc.index("    import math"):doc.index("What is drawn:")])
    namespace = {"__name__": "docstring_example"}
    exec(compile(code, "fargatesim.testing docstring", "exec"), namespace)
    fn = namespace["test_requests_per_task"]
    fn._hypothesis_internal_use_settings = settings(fn._hypothesis_internal_use_settings, max_examples=4,
                                                    database=None)
    fn()
