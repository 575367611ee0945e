"""The per-tick table written a day at a time, and the latency percentiles computed by parts:
the bytes and the bits are those of the one-piece computation, whatever the tick, the duration
or the engine."""
from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import fargatesim.results as results
from fargatesim.dataplane import latency, request_latency
from fargatesim.dataplane.app_model import AppModel
from fargatesim.dataplane.records import TickRecords
from fargatesim.dataplane.request_latency import LatencyLog
from fargatesim.engine import Simulation
from fargatesim.results import Result
from fargatesim.scenario import scenario_from_dict
from fargatesim.scenario.distributions import Distribution as D

from conftest import BASE


# ------------------------------------------------------------------ latency by parts
def _app(timeout_s=30.0, io=D.constant(10)):
    return AppModel(task_cpu_units=1024, task_memory_mb=2048, sidecar_cpu_units=0, base_memory_mb=0,
                    memory_mb_per_request=0, max_concurrency=math.inf,
                    cpu_dist=D.lognormal(12, 1.0), io_dist=io, timeout_s=timeout_s)


def _records(n, seed, idle=0.2):
    """Ticks of random load: ok counts (some none), slowdowns and waits, in runs of steady
    ticks as a fluid run has them (which the histogram pass merges)."""
    rng = np.random.default_rng(seed)
    rec = TickRecords(n)
    runs = np.repeat(np.arange(n), rng.integers(1, 40, n))[:n]
    n_ok = rng.poisson(50, n).astype(float) * (rng.random(n) > idle)
    m = np.exp(rng.normal(0.3, 0.5, n))[runs]
    w = np.where(rng.random(n) < 0.3, rng.exponential(0.2, n), 0.0)[runs]
    rec.lat_n[:] = n_ok
    rec.lat_m_sum[:] = n_ok * m
    rec.lat_w_sum[:] = n_ok * w
    return rec


@st.composite
def _ordered_groups(draw):
    """Group numbers that never decrease, of one tick to more than a histogram pass (16,384
    ticks), sometimes skipping numbers (groups with no tick)."""
    sizes = draw(st.lists(st.sampled_from([1, 2, 7, 60, 300, 5000, 20000]), min_size=1, max_size=12))
    gaps = draw(st.lists(st.sampled_from([1, 1, 1, 3]), min_size=len(sizes), max_size=len(sizes)))
    ids = np.cumsum(gaps) - 1
    groups = np.repeat(ids, sizes).astype(np.int64)
    return groups, int(ids[-1]) + 1 + draw(st.integers(0, 2))


@settings(max_examples=25, deadline=None)
@given(_ordered_groups(), st.integers(0, 1000), st.sampled_from([1, 3, 512]),
       st.sampled_from([(0.5, 0.99), (0.5, 0.9, 0.99), (0.0, 1.0)]))
def test_grouped_percentiles_by_blocks_are_the_one_histograms_to_the_bit(drawn, seed, block, quantiles):
    groups, n_groups = drawn
    rec, app = _records(len(groups), seed), _app()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(latency, "_GROUP_BLOCK", block)
        by_blocks = latency.grouped_percentiles(rec, app, groups, n_groups, quantiles)
    whole = latency._unordered_percentiles(rec, app, groups, n_groups, quantiles, 0, len(groups))
    assert by_blocks.shape == (n_groups, len(quantiles))
    np.testing.assert_array_equal(by_blocks, whole)


def test_grouped_percentiles_of_a_slice_and_of_groups_in_any_order():
    rec, app = _records(40000, 3), _app(io=D.uniform(5, 15))
    sl = slice(1234, 39000)
    groups = np.arange(sl.stop - sl.start) // 60
    n_groups = int(groups[-1]) + 1
    whole = latency._unordered_percentiles(rec, app, groups, n_groups, (0.5, 0.99), sl.start, sl.stop)
    np.testing.assert_array_equal(latency.grouped_percentiles(rec, app, groups, n_groups, (0.5, 0.99), sl), whole)
    shuffled = np.random.default_rng(0).permutation(200)[np.arange(40000) // 200]
    np.testing.assert_array_equal(latency.grouped_percentiles(rec, app, shuffled, 200, (0.5, 0.99)),
                                  latency._unordered_percentiles(rec, app, shuffled, 200, (0.5, 0.99), 0, 40000))


def _request_records(n, seed):
    rng = np.random.default_rng(seed)
    rec = TickRecords(n)
    per_tick = rng.poisson(20, n) * (rng.random(n) > 0.1)
    log = LatencyLog()
    log.append(np.repeat(np.arange(n), per_tick), rng.lognormal(-3, 1, per_tick.sum()))
    rec.lat_n[:] = per_tick
    setattr(rec, request_latency.ATTR, log)
    return rec


@pytest.mark.parametrize("engine", ["fluid", "requests"])
@pytest.mark.parametrize("cut", [(0, 1), (0, 5000), (1, 4999), (1234, 3000), (4000, 5000), (2500, 2500)])
def test_tick_percentiles_of_a_slice_are_the_whole_runs_rows(engine, cut):
    rec = _records(5000, 1) if engine == "fluid" else _request_records(5000, 1)
    app = _app()
    whole = request_latency.tick_percentiles(rec, app)
    part = request_latency.tick_percentiles(rec, app, sl=slice(*cut))
    np.testing.assert_array_equal(part, whole[slice(*cut)])


# ------------------------------------------------------------------ the table by days
def _scenario(*, tick, duration, engine="fluid", websocket=False, seed=0):
    data = copy.deepcopy(BASE)
    data.update(tick=tick, duration=duration, engine=engine, seed=seed)
    data["traffic"] = [{"diurnal": {"mean_rps": 40, "peak_to_trough": 3, "peak_at": "00:20"}}]
    data["faults"] = [{"type": "task_crash", "mtbf": "20m"}]
    data["service"] = {"desired_count": 3}
    if websocket:
        data["workload"] = {"kind": "websocket", "websocket": {
            "connection_duration": {"distribution": "exponential", "mean": "5m"},
            "messages_per_second": 0.5, "cpu_ms_per_message": 1, "memory_mb_per_connection": 0.5,
            "reconnect_delay": "5s"}}
        data["traffic"] = [{"diurnal": {"mean_rps": 2, "peak_to_trough": 3, "peak_at": "00:20"}}]
    return scenario_from_dict(data)


def _written(result, tmp_path, monkeypatch):
    """The tick table as saved, and the length of each block handed to to_csv."""
    blocks = []
    to_csv = pd.DataFrame.to_csv

    def spy(self, *args, **kwargs):
        if "latency_p99_ms" in self.columns:        # not events.csv
            blocks.append(len(self))
        return to_csv(self, *args, **kwargs)
    monkeypatch.setattr(pd.DataFrame, "to_csv", spy)
    result.save(tmp_path, resolution="tick", plot=False)
    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    return (tmp_path / "timeseries.csv").read_bytes(), blocks


def _one_piece(result, path) -> bytes:
    result.timeseries_at("tick").to_csv(path, index=False, float_format="%.6g")
    return path.read_bytes()


@settings(max_examples=10, deadline=None)
@given(tick=st.sampled_from([0.5, 1.0, 5.0]), minutes=st.integers(10, 40),
       day_s=st.sampled_from([300.0, 700.0, 3600.0, 86400.0]),
       kind=st.sampled_from(["fluid", "requests", "websocket"]), seed=st.integers(0, 100))
@example(tick=0.5, minutes=13, day_s=300.0, kind="requests", seed=1)
@example(tick=5.0, minutes=37, day_s=700.0, kind="websocket", seed=2)
@example(tick=1.0, minutes=25, day_s=3600.0, kind="fluid", seed=3)
def test_the_tick_table_by_blocks_is_the_one_piece_table(tmp_path_factory, tick, minutes, day_s, kind, seed):
    # A "day" of a few minutes here, so that short runs are cut into blocks as a week is.
    result = Result.from_simulation(Simulation(_scenario(
        tick=tick, duration=60 * minutes, engine="requests" if kind == "requests" else "fluid",
        websocket=kind == "websocket", seed=seed)).run())
    tmp = tmp_path_factory.mktemp("tick")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(results, "DAY_S", day_s)
        written, blocks = _written(result, tmp / "saved", mp)
    rows = int(day_s // tick)
    n_ticks = round(60 * minutes / tick)
    assert blocks == [rows] * (n_ticks // rows) + ([n_ticks % rows] if n_ticks % rows else [])
    assert written == _one_piece(result, tmp / "one.csv")


def test_more_than_a_day_is_written_a_day_at_a_time(tmp_path, monkeypatch):
    result = Result.from_simulation(Simulation(_scenario(tick=5.0, duration="26h")).run())
    written, blocks = _written(result, tmp_path / "saved", monkeypatch)
    assert blocks == [17280, 1440]              # a day of 5 s ticks, then the last two hours
    assert written == _one_piece(result, tmp_path / "one.csv")
    # From Python the whole table is still one DataFrame.
    table = result.timeseries_at("tick")
    assert len(table) == 18720 and table["t_s"].iloc[-1] == 26 * 3600 - 5


def test_a_run_of_one_tick_and_a_result_from_another_process(tmp_path, monkeypatch):
    result = Result.from_simulation(Simulation(_scenario(tick=1.0, duration="1s")).run())
    written, blocks = _written(result, tmp_path / "saved", monkeypatch)
    assert blocks == [1] and written == _one_piece(result, tmp_path / "one.csv")
    result._simulation = None        # as a Result sent back by compare --jobs
    with pytest.raises(ValueError, match="per-tick table"):
        result.save(tmp_path / "saved", resolution="tick", plot=False)


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9990, 1, 1)),
       ticks=st.lists(st.integers(0, 10**7), min_size=1, max_size=20),
       tick=st.sampled_from([0.1, 0.25, 0.5, 1.0, 1.7, 5.0, 60.0, 1e-3 * 7]))
def test_clock_times_are_strftimes(start, ticks, tick):
    start = start.replace(tzinfo=timezone.utc)
    seconds = np.array(ticks) * tick
    expected = [(start + timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%SZ") for t in seconds]
    assert results._clock_times(start, seconds) == expected


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9990, 1, 1)),
       seconds=st.lists(st.one_of(st.floats(0, 3e7, allow_nan=False), st.integers(0, 10**7).map(lambda ms: ms / 1000),
                                  st.integers(0, 10**7).map(lambda ms: (2 * ms + 1) / 2000)),
                        max_size=20))
def test_event_clock_times_are_strftimes(start, seconds):
    # Halves of a millisecond (2 ms + 1) / 2000 s round half to even in both.
    start = start.replace(tzinfo=timezone.utc)
    expected = [(start + timedelta(milliseconds=round(t * 1000))).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                for t in seconds]
    assert results._event_clock_times(start, seconds) == expected
