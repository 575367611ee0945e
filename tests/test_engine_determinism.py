"""Same scenario and seed, same bytes; another seed, other numbers."""
import fargatesim

FILES = ("summary.json", "timeseries.csv", "events.csv")


def busy(make_scenario, seed):
    """Random arrivals, random start-up times, random crashes and a random unhealthy task:
    every random stream of the engine is used."""
    return make_scenario(
        seed=seed, duration="20m",
        traffic=[{"constant": {"rps": 150}}, {"spike": {"at": "8m", "peak_rps": 200, "rise": "1m", "hold": "2m"}}],
        workload={"cpu_ms": {"distribution": "lognormal", "mean": 20, "cv": 1.5}, "io_ms": 30, "timeout": "5s"},
        app={"max_concurrency": 60, "app_start": "5s"},
        target_group={"load_balancing_algorithm_type": "weighted_random", "slow_start": 60,
                      "deregistration_delay": 30, "health_check": {"interval": 10, "timeout": 5}},
        faults=[{"type": "task_crash", "mtbf": "15m"}, {"type": "task_unhealthy", "at": "5m", "count": 1}],
        actions=[{"type": "set_desired_count", "at": "12m", "value": 3}])


def saved(make_scenario, seed, directory):
    fargatesim.simulate(busy(make_scenario, seed)).save(directory, plot=False)
    return {name: (directory / name).read_bytes() for name in FILES}


def test_same_seed_gives_identical_files(make_scenario, tmp_path):
    first = saved(make_scenario, 11, tmp_path / "a")
    second = saved(make_scenario, 11, tmp_path / "b")
    for name in FILES:
        assert first[name] == second[name], name
    assert b"task_crash" in first["events.csv"]   # the random crashes did happen


def test_a_fresh_scenario_object_gives_identical_files(make_scenario, tmp_path):
    """Nothing is cached between runs: re-running the same Scenario object is byte-identical."""
    s = busy(make_scenario, 5)
    fargatesim.simulate(s).save(tmp_path / "a", plot=False)
    fargatesim.simulate(s).save(tmp_path / "b", plot=False)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_another_seed_changes_the_results(make_scenario, tmp_path):
    one = saved(make_scenario, 11, tmp_path / "a")
    other = saved(make_scenario, 12, tmp_path / "b")
    assert one["timeseries.csv"] != other["timeseries.csv"]
    assert one["events.csv"] != other["events.csv"]
    # Not just the seed field: the request counts differ too.
    strip = lambda b: b.replace(b'"seed": 11', b"").replace(b'"seed": 12', b"")
    assert strip(one["summary.json"]) != strip(other["summary.json"])
