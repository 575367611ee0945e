"""Two services, two folders, two files both named mypolicies.py: each scenario runs its own,
serially, on two worker processes and on a Dask cluster, with the same bytes every way."""
from pathlib import Path

import pandas as pd

from hostile import fargatesim_cli

DATA = Path(__file__).parent / "data" / "two-services"
WANTED = {"service-a": 2, "service-b": 6}         # what a/mypolicies.py and b/mypolicies.py return


def test_each_scenario_runs_its_own_folders_policy_however_the_runs_are_spread(tmp_path):
    from distributed import LocalCluster
    outs = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        for name, how in (("1", ["--jobs", "1"]), ("2", ["--jobs", "2"]),
                          ("dask", ["--dask", cluster.scheduler_address])):
            out = tmp_path / f"jobs{name}"
            done = fargatesim_cli("compare", DATA / "a" / "s.yaml", DATA / "b" / "s.yaml", "--seeds", "2",
                                  *how, "-o", out, "-q", "--no-plot", cwd=tmp_path, timeout=120)
            assert done.returncode == 0, done.stderr
            outs[name] = out
    runs = pd.read_csv(outs["1"] / "runs.csv")
    peaks = runs.groupby("scenario")["peak_tasks"].max().to_dict()
    assert peaks == WANTED, peaks
    for name in ("runs.csv", "table.csv"):
        assert (outs["1"] / name).read_bytes() == (outs["2"] / name).read_bytes(), name
        assert (outs["1"] / name).read_bytes() == (outs["dask"] / name).read_bytes(), name
