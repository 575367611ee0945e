"""The queueing formulas against textbook values, and the fluid data plane's latency against the
request data plane's on a constant load."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import gammaincinv

from fargatesim.dataplane import latency
from fargatesim.dataplane.app_model import PHASE_MASS, AppModel
from fargatesim.dataplane.fluid import FluidDataPlane
from fargatesim.dataplane.queueing import (SlowdownTable, cores_and_speed, erlang_c,
                                           mm1_ps_relative_variance, mmc_mean_wait,
                                           response_spread_gamma, slowdown, variability_factor)
from fargatesim.dataplane.records import TickRecords
from fargatesim.dataplane.requests import RequestDataPlane
from fargatesim.elb.target_group import RoutingView
from fargatesim.scenario.distributions import Distribution as D


@pytest.mark.parametrize("k, rho, expected", [
    # Erlang C table values (e.g. Kleinrock, Queueing Systems vol. 1): P(wait) for M/M/k.
    (1, 0.5, 0.5),
    (1, 0.9, 0.9),
    (2, 0.5, 1 / 3),
    (10, 0.9, 0.6687),
    (4, 0.75, 0.5094),
])
def test_erlang_c_matches_tables(k, rho, expected):
    assert float(erlang_c(k, rho)) == pytest.approx(expected, abs=5e-4)


def test_mm1_wait_is_rho_over_mu_minus_lambda():
    lam, mu = 8.0, 10.0
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx((lam / mu) / (mu - lam))


def test_mm1_ps_slowdown_is_one_over_one_minus_rho():
    # M/G/1-PS: E[T | x] = x / (1 - rho) on a unit-speed server.
    for rho in (0.1, 0.5, 0.8, 0.95):
        assert float(slowdown(1, 1.0, rho)) == pytest.approx(1 / (1 - rho))


def test_slowdown_is_capped_below_saturation_and_grows_with_load():
    s = slowdown(2, 1.0, np.array([0.0, 0.5, 0.9, 0.98, 1.5]))
    assert s[0] == pytest.approx(1.0)
    assert np.all(np.diff(s[:4]) > 0)
    assert s[4] == pytest.approx(s[3])


@pytest.mark.parametrize("vcpu, k, speed", [(0.25, 1, 0.25), (0.48, 1, 0.48), (1.0, 1, 1.0),
                                            (1.98, 2, 0.99), (4.0, 4, 1.0)])
def test_cores_and_speed(vcpu, k, speed):
    assert cores_and_speed(vcpu) == (k, pytest.approx(speed))


# ------------------------------------------------------------------ arrivals that are not Poisson
@pytest.mark.parametrize("rho", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("cs2", [0.0, 0.5, 1.0, 4.0])
def test_poisson_arrivals_keep_the_mmk_slowdown(rho, cs2):
    # ca^2 = 1 must leave M/M/k (and M/G/1-PS, insensitive to cs^2) exactly as it was.
    assert float(variability_factor(rho, 1.0, cs2)) == pytest.approx(1.0)
    for k in (1, 4):
        mmk = float(slowdown(k, 0.5, rho))
        assert float(slowdown(k, 0.5, rho, ca2=1.0, cs2=cs2)) == pytest.approx(mmk)
        table = SlowdownTable(k, 0.5, cs2)
        assert float(table(np.array(rho), np.array(1.0))) == pytest.approx(mmk, rel=1e-5)


def test_regular_arrivals_share_less():
    # Deterministic arrivals and demands never overlap below saturation; the more regular the
    # arrivals, the smaller the excess; bursty arrivals (ca^2 > 1) share more than Poisson.
    assert float(slowdown(1, 1.0, 0.8, ca2=0.0, cs2=0.0)) == pytest.approx(1.0)
    f = variability_factor(0.6, np.array([0.0, 0.05, 0.2, 0.5, 1.0, 2.0]), 1.0)
    assert np.all(np.diff(f) > 0) and f[4] == pytest.approx(1.0) and f[5] > 1.0
    # The hot loop's tables (one per ca^2 met, or the formula when a block mixes them) agree.
    table, rho = SlowdownTable(1, 0.48, 1.0), np.array([[0.2, 0.2], [0.6, 0.6], [0.9, 0.9]])
    for ca2 in (np.full((3, 2), 0.1), np.array([[0.1, 1.0]] * 3)):
        assert table(rho, ca2) == pytest.approx(slowdown(1, 0.48, rho, ca2, 1.0), rel=1e-4)


@pytest.mark.parametrize("m", [2, 5, 20])
@pytest.mark.parametrize("rho", [0.3, 0.5, 0.8, 0.95])
def test_erlang_arrivals_match_the_exact_gi_m_1_mean(m, rho):
    """Round robin over m targets gives each Erlang-m interarrival times (ca^2 = 1/m). With
    exponential demands the number in system of GI/M/1-PS is that of GI/M/1-FCFS, whose mean
    response is exact: E[S] / (1 - sigma), sigma the root of sigma = A*(mu (1 - sigma)) with A*
    the interarrival Laplace transform (Kleinrock vol. 1, sec. 6.4). Measured: the approximation
    is within 3.3 % of it (m = 2, rho = 0.5), closer as m or rho grow."""
    lam, mu = rho, 1.0
    sigma = brentq(lambda s: s - (m * lam / (m * lam + mu * (1 - s))) ** m, 1e-12, 1 - 1e-12)
    exact = 1 / (1 - sigma)
    assert float(slowdown(1, 1.0, rho, ca2=1 / m, cs2=1.0)) == pytest.approx(exact, rel=0.035)


def test_mm1_ps_conditional_variance():
    # Coffman, Muntz & Trotter (1970), unit mean demand, at rho = e / (1 + e).
    e, rho = 1.5, 0.6
    for x in (0.1, 1.0, 4.0):
        var = 2 * rho * x / (1 - rho) ** 3 - 2 * rho * (1 - np.exp(-(1 - rho) * x)) / (1 - rho) ** 4
        mean = x / (1 - rho)
        assert float(mm1_ps_relative_variance(e, x)) == pytest.approx(var / mean ** 2, rel=1e-9)
    # Short requests see the geometric number present on arrival (relative variance rho).
    assert float(mm1_ps_relative_variance(e, 1e-9)) == pytest.approx(rho, rel=1e-6)
    shape, scale = response_spread_gamma(e, np.array([1e-9, 1.0, 100.0]))
    assert shape * scale == pytest.approx([e] * 3)
    assert shape[0] == pytest.approx(rho) and np.all(np.diff(shape) > 0)


def test_tabulated_spread_matches_the_gamma_quantiles():
    from fargatesim.dataplane.app_model import _BUILD_D_Q, spread_quantiles
    e = np.array([0.01, 0.3, 1.5, 12.0])[:, None]
    u = np.array([0.05, 1.0, 6.0])[None, :]
    shape, scale = response_spread_gamma(e, u)
    exact = gammaincinv(shape[..., None], _BUILD_D_Q) * scale[..., None]
    # Against 1 + e: a request's CPU phase is x (1 + D), so that is the scale an error shows on.
    assert np.all(np.abs(spread_quantiles(e, u) - exact) <= 0.01 * (1 + e[..., None]))


# ------------------------------------------------------------------ against the request engine
def _constant_load(engine, m, rho, cpu, requests=1.2e6, seed=1, algorithm="round_robin",
                   cpu_units=1024, io_ms=0):
    """m tasks (one core each by default) at load rho behind `algorithm`, Poisson arrivals,
    about `requests`, a constant I/O time of io_ms after the CPU phase."""
    app = AppModel(task_cpu_units=cpu_units, task_memory_mb=2 * cpu_units, sidecar_cpu_units=0,
                   base_memory_mb=0, memory_mb_per_request=0, max_concurrency=math.inf,
                   cpu_dist=cpu, io_dist=D.constant(io_ms), timeout_s=60.0)
    lam = rho * m * app.app_vcpu / app.cpu_mean_s
    ticks = int(requests / lam)
    rng = np.random.default_rng(seed)
    arrivals = rng.poisson(lam, ticks).astype(np.int64)
    rec = TickRecords(ticks)
    dp = engine(app=app, tick=1.0, arrivals=arrivals, rates=np.full(ticks, lam),
                algorithm=algorithm, rng=rng, records=rec)
    for slot in range(m):
        dp.ensure_slot(slot)
    dp.advance(ticks, RoutingView(np.arange(m), [True] * m, [1.0] * m, [np.nan] * m, 0.0, 1.0, m))
    return app, dp, rec


@pytest.mark.parametrize("cpu", [D.exponential(10), D.lognormal(10, 1.0)],
                         ids=["exponential", "lognormal"])
@pytest.mark.parametrize("m, rho, p50, p99", [
    # Ratios fluid / request engine measured with seeds 1-3 (1.2 M requests each): one task
    # (Poisson arrivals) p50 1.00-1.02, p99 1.00-1.02; ten tasks (Erlang-10 arrivals) at 0.6 p50
    # 1.10-1.13, p99 0.88-0.91, at 0.8 p50 1.11-1.18, p99 0.92-0.94. With regular arrivals a
    # long request's slowdown exceeds a short one's (it outlasts the gap to the next arrival),
    # which one spread around one mean per tick leaves out.
    (1, 0.6, (0.98, 1.04), (0.97, 1.04)),
    (10, 0.6, (1.05, 1.17), (0.84, 0.95)),
    (10, 0.8, (1.07, 1.22), (0.88, 0.98)),
])
def test_fluid_latency_distribution_against_the_request_engine(cpu, m, rho, p50, p99):
    """The same constant load through both data planes: mean latency, p50 and p99."""
    app, dp, _ = _constant_load(RequestDataPlane, m, rho, cpu)
    exact = dp.latencies.latencies.astype(float)
    exact = exact[len(exact) // 10:]                                     # past the warm-up
    _, _, rec = _constant_load(FluidDataPlane, m, rho, cpu)
    one = np.zeros(rec.n_ticks, dtype=np.int64)
    fluid = latency.grouped_percentiles(rec, app, one, 1, quantiles=(0.5, 0.99))[0]
    assert latency.mean_latency(rec, app) == pytest.approx(exact.mean(), rel=0.035)   # 0-2.7 %
    r50, r99 = fluid / np.quantile(exact, [0.5, 0.99])
    assert p50[0] <= r50 <= p50[1]
    assert p99[0] <= r99 <= p99[1]


# ------------------------------------------------------------------ least outstanding requests
@pytest.mark.parametrize("cpu_units, m, rho", [(1024, 4, 0.6), (1024, 12, 0.8), (2048, 5, 0.7),
                                               (4096, 3, 0.9)])
def test_least_outstanding_requests_pools_the_targets_into_one_mmk_station(cpu_units, m, rho):
    """Under least outstanding requests the fluid engine queues m serving targets of K cores as
    one M/M/(m K) station (docs/fluid-model.md): once the smoothed load has settled, every
    tick's mean slowdown is queueing.slowdown(m K, s, rho), below the target's own M/M/K one
    and below what round robin gives each target (Erlang-m arrivals), at the same CPU."""
    cpu = D.exponential(10)
    app, _, lor = _constant_load(FluidDataPlane, m, rho, cpu, requests=2e6,
                                 algorithm="least_outstanding_requests", cpu_units=cpu_units)
    _, _, rr = _constant_load(FluidDataPlane, m, rho, cpu, requests=2e6, cpu_units=cpu_units)
    k, s = app.cores, app.core_speed
    assert k == cpu_units // 1024
    settled = slice(300, None)                       # the load's smoothing (10 s) has converged
    per_tick = lor.lat_m_sum[settled] / lor.lat_n[settled]
    assert per_tick == pytest.approx(float(slowdown(m * k, s, rho)), rel=1e-4)
    assert per_tick.max() < float(slowdown(k, s, rho))
    assert per_tick.max() < (rr.lat_m_sum[settled] / rr.lat_n[settled]).min()
    # The same requests and the same work: only the queueing differs.
    assert np.array_equal(lor.arrivals, rr.arrivals)
    assert lor.cpu_used == pytest.approx(rr.cpu_used, rel=1e-9)


@pytest.mark.parametrize("cpu", [D.exponential(10), D.lognormal(10, 1.0)],
                         ids=["exponential", "lognormal"])
@pytest.mark.parametrize("m, rho, mean, p50, p99", [
    # Ratios fluid / request engine measured with seeds 1-3 (1.2 M requests each), both
    # demands: 4 tasks at 0.6 mean 0.914-0.918, p50 0.941-0.946, p99 0.877-0.902; 10 tasks at
    # 0.6 mean 0.959-0.962, p50 0.975-0.988, p99 0.894-0.909; at 0.8 mean 0.881-0.893, p50
    # 0.901-0.919, p99 0.861-0.877. The request engine routes each request to the task with the
    # fewest outstanding (join the shortest queue, no jockeying), which queues a little more
    # than the central queue of the fluid engine's M/M/(m K).
    (4, 0.6, (0.89, 0.94), (0.92, 0.97), (0.85, 0.93)),
    (10, 0.6, (0.94, 0.98), (0.95, 1.01), (0.87, 0.93)),
    (10, 0.8, (0.86, 0.91), (0.88, 0.94), (0.84, 0.90)),
])
def test_fluid_latency_under_least_outstanding_requests_against_the_request_engine(cpu, m, rho,
                                                                                  mean, p50, p99):
    _check_lor_against_the_request_engine(cpu, m, rho, 0, mean, p50, p99)


def _check_lor_against_the_request_engine(cpu, m, rho, io, mean, p50, p99):
    """Mean, p50 and p99 of the fluid engine over the request engine's, each within its range."""
    algorithm = "least_outstanding_requests"
    app, dp, _ = _constant_load(RequestDataPlane, m, rho, cpu, algorithm=algorithm, io_ms=io)
    exact = dp.latencies.latencies.astype(float)
    exact = exact[len(exact) // 10:]                                     # past the warm-up
    _, _, rec = _constant_load(FluidDataPlane, m, rho, cpu, algorithm=algorithm, io_ms=io)
    one = np.zeros(rec.n_ticks, dtype=np.int64)
    fluid = latency.grouped_percentiles(rec, app, one, 1, quantiles=(0.5, 0.99))[0]
    r50, r99 = fluid / np.quantile(exact, [0.5, 0.99])
    assert mean[0] <= latency.mean_latency(rec, app) / exact.mean() <= mean[1]
    assert p50[0] <= r50 <= p50[1]
    assert p99[0] <= r99 <= p99[1]


def test_least_outstanding_requests_with_io_moves_towards_round_robin():
    """The load balancer counts requests waiting on I/O as outstanding, which says nothing about
    the CPU queue: the pool's slowdown is moved towards the task's own under round robin by the
    share q of outstanding requests in their I/O phase, q = io / (io + CPU phase)."""
    cpu, m, rho, io = D.exponential(10), 6, 0.7, 15
    app, _, lor = _constant_load(FluidDataPlane, m, rho, cpu, requests=1e6,
                                 algorithm="least_outstanding_requests", io_ms=io)
    pooled = float(slowdown(m, 1.0, rho))
    own = float(slowdown(1, 1.0, rho, ca2=1 / m, cs2=1.0))
    q = 0.015 / (0.015 + pooled * 0.010)
    per_tick = lor.lat_m_sum[300:] / lor.lat_n[300:]
    assert per_tick == pytest.approx(pooled + q * (own - pooled), rel=1e-4)
    assert pooled < per_tick.min() and per_tick.max() < own


@pytest.mark.parametrize("cpu", [D.exponential(10), D.lognormal(10, 1.0)],
                         ids=["exponential", "lognormal"])
@pytest.mark.parametrize("m, rho, io, mean, p50, p99", [
    # Ratios fluid / request engine measured with seeds 1-3, both demands: 10 tasks at 0.7 with
    # 5 ms of I/O mean 0.993-0.997, p50 0.975-0.983, p99 1.061-1.079; with 20 ms mean
    # 0.989-0.991, p50 0.968-0.979, p99 1.104-1.115; 4 tasks at 0.6 with 10 ms mean
    # 0.977-0.980, p50 0.975-0.982, p99 1.019-1.027. The central queue alone (seed 1) gave
    # 0.82-0.87 (mean) and 0.66-0.80 (p99) here.
    (10, 0.7, 5, (0.97, 1.02), (0.95, 1.01), (1.03, 1.11)),
    (10, 0.7, 20, (0.96, 1.02), (0.94, 1.00), (1.07, 1.15)),
    (4, 0.6, 10, (0.95, 1.00), (0.95, 1.00), (0.99, 1.06)),
])
def test_fluid_latency_under_least_outstanding_requests_with_io(cpu, m, rho, io, mean, p50, p99):
    _check_lor_against_the_request_engine(cpu, m, rho, io, mean, p50, p99)


def test_timeouts_are_the_requests_the_latency_grid_leaves_out():
    app = AppModel(task_cpu_units=512, task_memory_mb=1024, sidecar_cpu_units=0, base_memory_mb=0,
                   memory_mb_per_request=0, max_concurrency=math.inf,
                   cpu_dist=D.lognormal(200, 1.0), io_dist=D.constant(15), timeout_s=30.0)
    mfac = np.full(7, 2.5 / app.core_speed)                   # e = 1.5, as M/M/1 at 0.6
    wait = np.array([0.0, 10.0, 20.0, 25.0, 28.0, 29.9, 30.0])
    frac = app.timeout_fraction(wait, mfac)
    top = app.worst_cpu_phase_s(mfac[0])                       # 21.9 s: 400 ms alone, x 55
    assert wait[0] + 0.015 + top < 30.0 and frac[0] == 0.0
    assert frac[-1] == 1.0 and np.all(np.diff(frac) > 0)
    # The share of the grid's mass past the timeout, which latency.py drops from the percentiles,
    # up to one point's mass (the fraction is interpolated between points, the grid is not).
    phase = app.cpu_phase_s(mfac)
    beyond = ((wait[:, None] + 0.015 + phase > 30.0) * PHASE_MASS).sum(axis=1)
    assert frac == pytest.approx(beyond, abs=PHASE_MASS.max())
    # With 20 s to spare, every request's mean response (2.5 x its time alone, at most 15.6 s on
    # the grid) would make it; the ones that share with many others do not.
    assert 1e-4 < frac[1] < 1e-3
