"""The fluid data plane: requests as counts per tick, work as CPU-seconds, vectorised.

The control plane calls `advance(k_end, view)` before anything that reads or changes the data
plane; between two such calls nothing about routing or the set of tasks can change, so the
ticks in between are computed at once with numpy (across ticks and across tasks). The cost of
a block is independent of how many requests arrive in it.

The model, per task and tick (see docs/fluid-model.md):
- Arrivals (integer, sampled) are split over the targets in service by the routing algorithm.
- Work is the *expected* CPU demand of the tick, rate x tick x share x mean CPU per request.
  Using the expectation keeps the sampling noise of the counts out of the queue, whose
  stationary part is already described by the queueing formula below.
- Work beyond the app's vCPU becomes a backlog that follows Lindley's recursion
  B_k = max(0, B_{k-1} + W_k - C), solved for a whole block with a cumulative minimum.
- A request's response time is io + wait + slowdown(rho) x its CPU demand, where wait is the
  time to clear the backlog ahead of it (FIFO, as in an app's accept queue) and slowdown is
  the mean processor-sharing factor (queueing.py) at the offered load smoothed over
  QUEUE_RELAXATION_S: a stationary queue takes time to build, so a one-second burst raises
  the backlog, not the stationary queue. It is the M/M/k factor for Poisson arrivals at the
  task, scaled down for the more regular arrivals round robin gives each task
  (_arrival_scv); latency.py spreads each request's own slowdown around that mean.
- Least outstanding requests makes the serving targets in service one pool (_pool): one
  M/M/(m k) station at the pool's load (moved towards the task's own round-robin slowdown by
  the share of outstanding requests that wait on I/O), and, while their backlogs differ, the
  work goes to the least loaded until the levels meet (_level_shares).
- In-flight requests follow Little's law, in-flight = rate x response time. Above the app's
  max_concurrency the excess is answered 503 by the target. Memory is base + per request x
  in-flight.
- Requests whose response time would pass workload.timeout are answered 504 by the load
  balancer when the timeout expires; the task still does their work.
- A request ends (ok or 504) at arrival + its response time, rounded to the tick; a task whose
  containers stop resets what it still holds (reset_on_stop).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ..elb.routing import shares, split_arrivals, splits_equally
from .app_model import HEALTH_CHECK_CPU_S, AppModel
from .columns import column_key, distinct_columns, row_key
from .memory_leak import MemoryLeak
from .queueing import SlowdownTable
from .records import TickRecords
from .split_counts import CellSplit, RoundRobinSplit
from .stretch_cut import StretchCut

# Time constant of the load the stationary queueing formula sees (an exponential moving
# average of the offered load). A queue at load rho relaxes in about S / (1 - sqrt(rho))^2,
# a few seconds for services of tens of milliseconds; bursts shorter than that are carried by
# the backlog instead. An assumption of the fluid model, named once here.
QUEUE_RELAXATION_S = 10.0


class FluidDataPlane:
    # A stretch costs the same whatever its length, so the engine's own look-ahead suits it.
    lookahead_s = None
    # The records of ticks not computed yet are zero but for these: a kill counts its resets
    # at its own tick, ahead of the computed ones. A checkpoint saves only them, and a cut
    # zeroes the rest of what it throws away. None: every record may be written ahead (a
    # subclass's own records), and a checkpoint saves them all.
    _WRITTEN_AHEAD: tuple[str, ...] | None = ("reset_on_stop",)

    def __init__(self, *, app: AppModel, tick: float, arrivals: np.ndarray, rates: np.ndarray,
                 algorithm: str, rng: np.random.Generator, records: TickRecords):
        self.app = app
        self.tick = float(tick)
        self.arrivals = arrivals
        self.rates = rates
        self.algorithm = algorithm
        self.rng = rng
        self.rec = records
        self.k = 0  # first tick not yet computed
        self._chunk = None
        self.horizon = int(np.ceil(app.timeout_s / self.tick)) + 2
        self._capacity = 0
        self.backlog = np.zeros(0)          # CPU-seconds queued per slot
        self.pending = np.zeros((2, 0, self.horizon), dtype=np.int64)  # ok / 504 by ticks ahead
        self._held = False                  # whether any slot has requests pending
        self.health_response = np.zeros(0)  # response time a health check would see, per slot
        self.inflight = np.zeros(0)
        self.load = np.zeros(0)             # smoothed offered load per slot
        self._alpha = min(1.0, self.tick / QUEUE_RELAXATION_S)
        self._slowdown = SlowdownTable(app.cores, app.core_speed, app.cpu_scv)
        self._cores = int(app.cores)
        self._pooled: dict[int, SlowdownTable] = {}   # least outstanding requests: by m x K
        # Scalars of the app read in every block, looked up once.
        self._cpu_mean, self._io_mean, self._vcpu = app.cpu_mean_s, app.io_mean_s, app.app_vcpu
        self._worst_io = float(app.io_grid_s()[0].max())
        self._d_timeout = min(int(np.ceil(app.timeout_s / self.tick)), self.horizon - 1)
        self._cap_per_tick = app.app_vcpu * self.tick
        self.leak = MemoryLeak(app.leak_mb_per_s)
        self._shed = False          # whether the last block took _solve_with_shedding
        # The records blocks add to (a cut puts them back), and those a checkpoint saves.
        ahead = self._WRITTEN_AHEAD
        self._added = [(name, arr) for name, arr in records.arrays() if name not in _ASSIGNED]
        self._saved = [(name, arr) for name, arr in self._added if ahead is None or name in ahead]

    # ------------------------------------------------------------------ slots
    def ensure_slot(self, slot: int) -> None:
        if slot < self._capacity:
            return
        new = max(16, 2 * self._capacity, slot + 1)
        grow = new - self._capacity
        self.backlog = np.concatenate([self.backlog, np.zeros(grow)])
        self.health_response = np.concatenate([self.health_response, np.zeros(grow)])
        self.inflight = np.concatenate([self.inflight, np.zeros(grow)])
        self.load = np.concatenate([self.load, np.zeros(grow)])
        self.pending = np.concatenate(
            [self.pending, np.zeros((2, grow, self.horizon), dtype=np.int64)], axis=1)
        self._capacity = new

    def kill(self, slot: int, k: int) -> int:
        """The task's containers are gone at tick k: what it still held is reset."""
        self.truncate(k)
        rec = self.rec
        pending = int(self.pending[:, slot, :].sum())
        lost = pending
        # Requests that arrived late in the last tick and end within a tick were counted ok
        # already; Little's law says how many are still running at the tick's end. They are
        # reset now, at tick k, like the rest.
        if k > 0:
            running = min(max(0, int(round(self.inflight[slot])) - pending), int(rec.ok[k - 1]))
            rec.ok[k - 1] -= running
            rec.reset_on_stop[min(k, rec.n_ticks - 1)] += running
            lost += running
        self.pending[:, slot, :] = 0
        self._held = bool(self.pending.any())
        self.backlog[slot] = 0.0
        self.inflight[slot] = 0.0
        self.load[slot] = 0.0
        if pending:
            rec.reset_on_stop[min(self.k, rec.n_ticks - 1)] += pending
        return lost

    def drain_time(self, slot: int, k: int) -> float:
        """Seconds until the requests the slot holds at tick k have all ended (0 if none)."""
        self.truncate(k)
        held = np.flatnonzero(self.pending[:, slot, :].sum(axis=0))
        return 0.0 if len(held) == 0 else float(held[-1] + 1) * self.tick

    def in_flight_total(self) -> int:
        return int(self.pending.sum())

    # ------------------------------------------------------------------ look-ahead
    # The engine computes ahead of the control plane (most control events only read the data
    # plane); when an event changes routing inside the computed stretch, the stretch is cut
    # back to that tick and recomputed. A checkpoint at the stretch's start makes that exact.
    def _checkpoint(self, k_end: int, view, final: bool = False) -> None:
        """`final`: the stretch ends where the control plane stands (it replaces a cut one), so
        nothing can cut it again and no copy is needed to restore its start."""
        k0 = self.k
        # The random stream's state is saved before the stretch's first draw (None: no draw yet);
        # weighted_random draws for its split, so from the start.
        self._chunk = {"k0": k0, "k1": k_end, "view": view, "col": None,
                       "rng": self.rng.bit_generator.state if self.algorithm == "weighted_random" else None,
                       "held": self._held}
        if not final:
            # A block changes the state of its view's slots only (a task killed meanwhile cuts
            # the stretch first), and slots are never reused: those are all there is to restore.
            slots = view.slots
            # Nothing pending (the common case): a restore zeroes the slots' pending requests.
            self._chunk["state"] = (self.backlog[slots], self.pending[:, slots, :] if self._held else 0,
                                    self.inflight[slots], self.health_response[slots], self.load[slots])
            self._chunk["records"] = {name: arr[k0:k_end].copy() for name, arr in self._saved}

    def _restore_records(self, k: int) -> None:
        """The records of the last stretch from tick k on as they were before it."""
        c = self._chunk
        saved = c["records"]
        for name, arr in self._added:
            if name in saved:
                arr[k:c["k1"]] = saved[name][k - c["k0"]:]
            else:
                arr[k:c["k1"]] = 0

    def _columns(self) -> np.ndarray:
        """Column of each slot in the last stretch's view (_columns_of), when first asked."""
        c = self._chunk
        if c["col"] is None:
            c["col"] = _columns_of(c["view"].slots)
        return c["col"]

    def truncate(self, k: int) -> None:
        """Forget everything computed from tick k on (k inside the last stretch)."""
        if k >= self.k:
            return
        c = self._chunk
        if k < c["k0"]:
            raise RuntimeError(f"cannot rewind the data plane to tick {k} before {c['k0']}")
        if "records" not in c:
            raise RuntimeError(f"cannot cut the final stretch [{c['k0']}, {c['k1']}) at tick {k}")
        cut = c.pop("cut", None)
        keep = cut is not None and k > c["k0"] and c["rng"] is None and cut.prefix_exact(k - c["k0"])
        if keep and c["simple"]:
            self._keep_rows(k, cut)
            return
        slots = c["view"].slots
        self.backlog[slots], self.pending[:, slots, :], self.inflight[slots], \
            self.health_response[slots], self.load[slots] = c["state"]
        self._held = c["held"]
        if c["rng"] is not None:
            self.rng.bit_generator.state = c["rng"]
        self._restore_records(c["k0"])
        self.k = c["k0"]
        if keep:
            self._advance_kept(k, cut)
        else:
            self.advance(k, c["view"], final=True)

    def _keep_rows(self, k: int, cut: StretchCut) -> None:
        """Cut the stretch at k without accounting [k0, k) again: its block answered every
        request within its tick and held none pending, so its records are row by row what a
        block of those ticks writes, and the state at k is its row k - 1."""
        c = self._chunk
        kk = k - c["k0"]
        self._restore_records(k)
        s, inverse, slots = cut.state, cut.inverse, c["view"].slots
        self.backlog[slots] = np.round(s["b"][kk - 1], 9)[inverse]
        self.load[slots] = np.round(s["load"][kk - 1], 3)[inverse]
        self.inflight[slots] = s["inflight"][kk - 1][inverse]
        self.health_response[slots] = c["hc"][kk - 1][c["hc_of"]]
        c["k1"] = self.k = k
        del c["state"], c["records"]          # the cut stretch is final

    def _advance_kept(self, k_end: int, cut: StretchCut) -> None:
        """advance(k_end, view) from the restored start, with the long stretch's rows."""
        k0, view, rec = self.k, self._chunk["view"], self.rec
        kk = k_end - k0
        self._checkpoint(k_end, view, final=True)
        sl = slice(k0, k_end)
        arrivals = self.arrivals[sl]
        rec.arrivals[sl] += arrivals
        rec.offered_rps[sl] = self.rates[sl]
        rec.in_service[sl] = view.in_service
        rec.elb_503[sl] += np.where(cut.routed[:kk], 0, arrivals)
        rec.elb_502[sl] += cut.unserved[:kk]
        ok, state, timeouts = cut.rows(kk)
        self._tally(sl, view.slots, ok, state, cut.inverse, timeouts)
        self.k = k_end

    def health_responses_at(self, slots: np.ndarray, k: int) -> np.ndarray:
        """Response times health checks sent at tick k would see on `slots`."""
        c = self._chunk
        if c is not None and c["k0"] < k < self.k:
            row = c["hc"][k - c["k0"] - 1]
            cols = _lookup(self._columns(), slots)
            out = self.health_response[slots].copy()
            known = cols >= 0
            group = c.get("hc_of")
            out[known] = row[cols[known] if group is None else group[cols[known]]]
            return out
        if c is not None and k < self.k and k == c["k0"]:
            cols = _lookup(self._columns(), slots)
            out = self.health_response[slots].copy()
            known = cols >= 0
            out[known] = c["state"][3][cols[known]]
            return out
        return self.health_response[slots].copy()

    def health_response_at(self, slot: int, k: int) -> float:
        """Response time a health check sent at tick k would see on `slot`."""
        c = self._chunk
        j = -1 if c is None else int(_lookup(self._columns(), np.array([slot]))[0])
        if c is not None and c["k0"] < k < self.k and j >= 0:
            group = c.get("hc_of")
            return float(c["hc"][k - c["k0"] - 1, j if group is None else group[j]])
        if k < self.k and c is not None and k == c["k0"] and j >= 0:
            return float(c["state"][3][j])
        return float(self.health_response[slot])

    # ------------------------------------------------------------------ the hot loop
    def advance(self, k_end: int, view, final: bool = False) -> None:
        """Compute ticks [self.k, k_end) with the routing `view` fixed (`final`: see _checkpoint)."""
        k_end = min(k_end, self.rec.n_ticks)
        k0, n = self.k, k_end - self.k
        if n <= 0:
            return
        self._checkpoint(k_end, view, final)
        rec = self.rec
        sl = slice(k0, k_end)
        arrivals, rates = self.arrivals[sl], self.rates[sl]
        rec.arrivals[sl] += arrivals
        rec.offered_rps[sl] = rates
        rec.in_service[sl] = view.in_service
        slots = view.slots
        if len(slots) == 0:
            rec.elb_503[sl] += arrivals
            self._chunk["hc"] = np.zeros((n, 0))
            self.k = k_end
            return

        if self.algorithm == "round_robin":
            fixed = view.fixed_shares()
            if fixed is None:                   # a target ramps: one row only in a one-tick block
                weights = view.weights(k0, n)
                if _same_every_row(weights):
                    p = shares(weights[:1])
                    fixed = p[0], splits_equally(p) or not p.any()
            if fixed is not None and fixed[1]:
                self._advance_round_robin(sl, view, fixed[0])
                self.k = k_end
                return
        p = shares(view.weights(k0, n))                       # (n, m)
        routed = p.sum(axis=1) > 0
        rec.elb_503[sl] += np.where(routed, 0, arrivals)
        b0, load0 = self.backlog[slots], self.load[slots]
        pool = None
        if self.algorithm == "least_outstanding_requests":
            # The serving targets in service form one pool (`_pool`); while their backlogs
            # differ, the least loaded ones get the work (`_level_shares`).
            pool = (p > 0).all(axis=0) & view.serving
            if pool.sum() > 1 and (b0[pool] != b0[pool][0]).any():
                p = self._level_shares(p, pool, rates, b0)
        counts = split_arrivals(self.algorithm, np.where(routed, arrivals, 0), p, k0, self.rng)
        serving = view.serving[None, :]
        unserved = (counts * ~serving).sum(axis=1)
        rec.elb_502[sl] += unserved
        counts = CellSplit(counts * serving)
        lam_p = rates[:, None] * p * serving                   # requests/s offered to each slot
        ca2 = self._arrival_scv(p)
        cores = lam_load = None
        if pool is not None and pool.any():
            load0, ca2, cores, lam_load = self._pool(pool, lam_p, load0, ca2)

        # Targets with the same offered load, arrival variability and backlog behave
        # identically: solve each distinct column once (usually one: round robin over equal tasks,
        # or the pool of least outstanding requests). The variability and the cores only need a
        # place in the comparison when they differ between targets; the pool's members share
        # their load (lam_load), which depends only on being in the pool, that is on the cores.
        key = column_key(b0, load0, lam_p, ca2, cores)
        cols, inverse = distinct_columns(key)
        state = self._solve(key[2:2 + n, cols], ca2[:, cols], key[0, cols], key[1, cols],
                            None if cores is None else cores[cols],
                            None if lam_load is None else lam_load[:, cols])
        # The state stays one column per distinct target; `inverse` maps the targets to them.
        ok, timeouts = self._account(sl, slots, counts, state, inverse)
        if self.algorithm == "round_robin" and cores is None and not self._shed:
            self._chunk["cut"] = StretchCut(
                p=p, lam_p=lam_p, ca2=ca2, b0=b0, load0=load0, cols=cols,
                routed=routed, unserved=unserved, ok=ok, state=state, inverse=inverse,
                timeouts=timeouts)
        self.k = k_end

    def _advance_round_robin(self, sl, view, p):
        """advance() for round robin with the same weights in every tick (no slow-start ramp)
        and equal shares among the routed targets: the shares `p` (m,) are one row, so the
        targets are told apart by per-target values and nothing is computed per target and tick
        unless a draw or a late answer needs it."""
        rec, slots, serving = self.rec, view.slots, view.serving
        arrivals, rates = self.arrivals[sl], self.rates[sl]
        n = len(arrivals)
        routed = np.full(n, p.sum() > 0)
        if not routed[0]:
            rec.elb_503[sl] += arrivals
        b0, load0 = self.backlog[slots], self.load[slots]
        split = RoundRobinSplit(arrivals if routed[0] else np.zeros_like(arrivals), p > 0, serving, sl.start)
        unserved = split.unserved()
        rec.elb_502[sl] += unserved
        # _arrival_scv_rows of shares split equally among the routed targets: their share.
        ca2 = np.where(p > 0, p, 1.0)
        # Per-target multiple of the rate; with no traffic in the block every target is offered
        # none, as the per-tick path sees it.
        lam = p * serving if rates.any() else np.zeros(len(p))
        cols, inverse = distinct_columns(row_key(b0, load0, lam, ca2))
        lam_p = rates[:, None] * p[None, cols] * serving[cols]     # requests/s per column
        state = self._solve(lam_p, np.broadcast_to(ca2[cols], lam_p.shape), b0[cols], load0[cols])
        ok, timeouts = self._account(sl, slots, split, state, inverse)
        if not self._shed:
            self._chunk["cut"] = StretchCut(
                p=None, lam_p=None, ca2=None, b0=b0, load0=load0, cols=cols,
                routed=routed, unserved=unserved, ok=ok, state=state, inverse=inverse,
                timeouts=timeouts, rates=rates, row_ca2=ca2)

    def _arrival_scv(self, p):
        """Squared coefficient of variation of each target's interarrival times, (n, m).

        Arrivals are Poisson, or deterministic counts spread uniformly over their tick, which is
        locally Poisson too, in both engines. A random draw per request (weighted_random, and
        round robin while slow-start weights differ) thins that stream, which leaves it
        Poisson: 1. Round robin over m equal targets passes every m-th request to each, a sum
        of m exponential gaps: Erlang-m, 1/m, which is the target's share. Least outstanding
        requests splits the counts like round robin; `_pool` then replaces the serving targets'
        value by the whole stream's, 1.
        """
        if self.algorithm == "weighted_random":
            return np.ones_like(p)
        if (p == p[:1]).all():                       # weights fixed over the block: one row
            return np.broadcast_to(self._arrival_scv_rows(p[:1]), p.shape)
        return self._arrival_scv_rows(p)

    @staticmethod
    def _arrival_scv_rows(p):
        routed = p > 0
        top = p.max(axis=1)
        low = np.where(routed, p, np.inf).min(axis=1)
        rotating = (top - low <= 1e-9 * top)[:, None] & routed
        return np.where(rotating, p, 1.0)

    def _smoothed_load(self, offered, load0):
        a = self._alpha
        out, _ = lfilter([a], [1.0, a - 1.0], offered / self._cap_per_tick, axis=0,
                         zi=((1.0 - a) * load0)[None, :])
        return out

    def _pool(self, pool, lam_p, load0, ca2):
        """Least outstanding requests: the serving targets in service as one pool.

        The load balancer sends each request to the target with the fewest outstanding, so a
        request waits or shares a core only when every target of the pool is busy: the pool is
        approximated by one queue in front of all its m x K cores (join-the-shortest-queue by a
        central queue, docs/fluid-model.md). Its members therefore see the whole stream's
        arrivals (ca^2 = 1), the load of the pool (their smoothed loads set to the members'
        mean, and smoothed from the pool's work per member: `lam_load`) and the M/M/(m K)
        slowdown (`cores`). Targets outside the pool (draining, in their initial checks, or
        routed to while their app does not answer) keep their own state, as under round robin.
        """
        m = int(pool.sum())
        load0, ca2 = load0.copy(), np.array(ca2)
        members = load0[pool]
        if members.min() != members.max():
            load0[pool] = members.mean()
        ca2[:, pool] = 1.0
        cores = np.full(len(load0), self._cores, dtype=np.int64)
        cores[pool] = self._cores * m
        lam_load = None
        rows = lam_p[:, pool]
        if m > 1 and (rows != rows[:, :1]).any():
            lam_load = lam_p.copy()
            lam_load[:, pool] = rows.mean(axis=1, keepdims=True)
        return load0, ca2, cores, lam_load

    def _level_shares(self, p, pool, rates, b0):
        """Shares of the pool's members while their backlogs differ (least outstanding requests).

        Requests go where fewest are outstanding, so the work goes to the members with the least
        backlog and fills them up to a common level while the others drain, each at its
        capacity (the fluid limit of join-the-shortest-queue). Per tick, with d = b - C what a
        member keeps if it gets nothing: b' = max(d, L), L >= 0 the level at which the pool's
        backlog is conserved (sum b' = sum b + W - m C; L = 0 when the members below C can take
        all the work W, which they then share in proportion to their spare capacity). The
        member's work is what takes it from b to b', so solving each member's Lindley recursion
        with these shares gives these backlogs. Once the levels meet, the shares are equal
        again. A tick-by-tick loop, run only while the levels differ (after a member joins or
        leaves a pool that holds a backlog).
        """
        cols = np.flatnonzero(pool)
        n, m = len(p), len(cols)
        share = p[:, cols].sum(axis=1)                   # the pool's part of the stream
        work = (rates * share * (self.tick * self._cpu_mean)).tolist()
        cap = self._cap_per_tick
        b = b0[cols].astype(float)
        out = np.array(p, dtype=float)
        for i in range(n):
            if b.max() == b.min():
                break
            d = b - cap
            total = b.sum() + work[i] - m * cap
            keep = np.maximum(d, 0.0)
            if total <= keep.sum():
                spare = cap - np.minimum(b, cap)
                w = work[i] * spare / spare.sum() if work[i] > 0 else spare * 0.0
                b = keep
            else:
                b = np.maximum(d, _level(d, total))
                w = b - d
            if work[i] > 0:
                out[i, cols] = share[i] * w / work[i]
        return out

    def _mfac(self, load, ca2, cores=None, wait=None):
        """Mean slowdown per cell; `cores` per column (None: every column is one task's K).

        A pool's members (cores = m x K, least outstanding requests) get the M/M/(m K) slowdown,
        moved towards what the member would get on its own under round robin (its K cores,
        Erlang-m arrivals) by the share q of its outstanding requests that wait on I/O: the load
        balancer counts a request as outstanding until it is answered, and the requests in
        their I/O phase say nothing about the CPU queue, so the counts it balances carry that
        much less of it. q = io / (io + wait + CPU phase), with the pool's CPU phase (`wait`:
        the backlog's, none when not given).
        """
        if cores is None or (cores == self._cores).all():
            return self._slowdown(load, ca2)
        out = np.empty(np.shape(load))
        for k in np.unique(cores):
            cols = cores == k
            if k == self._cores:
                out[:, cols] = self._slowdown(load[:, cols], ca2[:, cols])
                continue
            pooled = self._pooled_table(int(k))(load[:, cols], ca2[:, cols])
            if self._io_mean > 0:
                own = self._slowdown(load[:, cols], np.full(pooled.shape, self._cores / k))
                cpu = pooled * self._cpu_mean + (0.0 if wait is None else wait[:, cols])
                q = self._io_mean / (self._io_mean + cpu)
                pooled = pooled + q * (own - pooled)
            out[:, cols] = pooled
        return out

    def _pooled_table(self, k: int) -> SlowdownTable:
        table = self._pooled.get(k)
        if table is None:
            table = self._pooled[k] = SlowdownTable(k, self.app.core_speed, self.app.cpu_scv)
        return table

    def _queue(self, load, ca2, b_prev, b, cores=None):
        """Latency parts for given smoothed load, arrival variability and backlog paths."""
        wait = (0.5 / self._vcpu) * (b_prev + b)
        mfac = self._mfac(load, ca2, cores, wait)
        latency = self._io_mean + wait + mfac * self._cpu_mean
        return mfac, wait, latency

    def _solve(self, lam_p, ca2, b0, load0, cores=None, lam_load=None):
        """Backlog path; exact Lindley solution when no task hits max_concurrency. The load is
        smoothed from lam_load's work when given (a pool's members share theirs), else lam_p's."""
        app = self.app
        work = lam_p * (self.tick * self._cpu_mean)
        load = self._smoothed_load(work if lam_load is None else lam_load * (self.tick * self._cpu_mean),
                                   load0)
        t = b0[None, :] + np.cumsum(work - self._cap_per_tick, axis=0)
        b = t - np.minimum(0.0, np.minimum.accumulate(t, axis=0))
        b_prev = np.empty_like(b)
        b_prev[0], b_prev[1:] = b0, b[:-1]
        mfac, wait, latency = self._queue(load, ca2, b_prev, b, cores)
        inflight = lam_p * latency
        self._shed = bool(np.isfinite(app.max_concurrency) and (inflight > app.max_concurrency).any())
        if self._shed:
            return self._solve_with_shedding(lam_p, ca2, b0, load, cores)
        return dict(work=work, b=b, b_prev=b_prev, mfac=mfac, wait=wait, latency=latency,
                    inflight=inflight, admit=None, load=load)

    def _solve_with_shedding(self, lam_p, ca2, b0, load, cores=None):
        """Tick by tick: the share admitted depends on the backlog the previous tick left.

        Runs on the (few) distinct columns only, with Python floats, which beat numpy calls on
        arrays of one or two elements.
        """
        app, tick, cap = self.app, self.tick, self._cap_per_tick
        n, m = lam_p.shape
        offered = lam_p * (tick * self._cpu_mean)
        lat_fixed = self._io_mean + self._mfac(load, ca2, cores) * self._cpu_mean
        limit, half_v = app.max_concurrency, 0.5 / self._vcpu
        work = np.empty((n, m))
        b_path = np.empty((n, m))
        for j in range(m):
            b = float(b0[j])
            lam_j, off_j, fix_j = lam_p[:, j].tolist(), offered[:, j].tolist(), lat_fixed[:, j].tolist()
            w_j, b_j = [0.0] * n, [0.0] * n
            for i in range(n):
                off = off_j[i]
                guess = b + off - cap
                if guess < 0.0:
                    guess = 0.0
                n_unc = lam_j[i] * (fix_j[i] + half_v * (b + guess))
                w = off * limit / n_unc if n_unc > limit else off
                b = b + w - cap
                if b < 0.0:
                    b = 0.0
                w_j[i], b_j[i] = w, b
            work[:, j], b_path[:, j] = w_j, b_j
        b_prev = np.vstack([b0[None, :], b_path[:-1]])
        mfac, wait, latency = self._queue(load, ca2, b_prev, b_path, cores)
        with np.errstate(divide="ignore", invalid="ignore"):
            admit = np.where(offered > 0, work / offered, 1.0)
        return dict(work=work, b=b_path, b_prev=b_prev, mfac=mfac, wait=wait, latency=latency,
                    inflight=lam_p * admit * latency, admit=admit, load=load)

    def _schedule(self, sl, slots, ok, d_ok, late, timeouts):
        """Requests that end in a later tick wait in `pending` (per slot, ticks ahead)."""
        n, m = ok.shape
        h = self.horizon
        sched = np.zeros((2, m, n + h), dtype=np.int64)
        sched[:, :, :h] = self.pending[:, slots, :]
        self.pending[:, slots, :] = 0
        rows = np.arange(n)[:, None]
        cols = np.broadcast_to(np.arange(m), (n, m))
        sched[0, :, :n] += np.where(late, 0, ok).T
        if late.any():
            np.add.at(sched[0], (cols[late], (rows + d_ok)[late]), ok[late])
        if timeouts is not None and timeouts.any():
            np.add.at(sched[1], (cols, np.broadcast_to(rows + self._d_timeout, (n, m))), timeouts)
        done = sched[:, :, :n].sum(axis=1)
        self.rec.ok[sl] += done[0]
        self.rec.timeout_504[sl] += done[1]
        self.pending[:, slots, :] = sched[:, :, n:n + h]
        self._held = bool(self.pending.any())

    def _account(self, sl, slots, counts, s, inverse):
        """Shedding and timeouts of a block: draws per target, from its column of the state."""
        app, rec, rng = self.app, self.rec, self.rng
        admitted = counts
        if s["admit"] is not None and (s["admit"] < 1).any():
            self._before_draw()
            shed = rng.binomial(counts.cells(), 1.0 - s["admit"][:, inverse])
            admitted = CellSplit(counts.cells() - shed)
            rec.target_503[sl] += shed.sum(axis=1)

        timeouts = None
        ok = admitted
        # The slowest request of the grid (latency.py) bounds the whole block first: the cells
        # are only looked at when it could pass the timeout.
        top = self._worst_io + float(s["wait"].max() + app.worst_cpu_phase_s(s["mfac"].max()))
        if top > app.timeout_s and admitted.total().any():
            worst = self._worst_io + s["wait"] + app.worst_cpu_phase_s(s["mfac"])
            if (worst > app.timeout_s).any():
                self._before_draw()
                fraction = app.timeout_fraction(s["wait"], s["mfac"])
                timeouts = rng.binomial(admitted.cells(), fraction[:, inverse])
                ok = CellSplit(admitted.cells() - timeouts)
        self._tally(sl, slots, ok, s, inverse, timeouts)
        return ok, timeouts

    def _before_draw(self) -> None:
        if self._chunk["rng"] is None:
            self._chunk["rng"] = self.rng.bit_generator.state

    def _tally(self, sl, slots, ok, s, inverse, timeouts):
        """The records and the end state of a block whose requests and draws are known.

        `s` holds one column per distinct target and `inverse` the column of each target:
        sums over the targets are sums over the columns, each weighted by its targets (their
        requests, or how many they are), so their cost does not grow with the fleet.
        """
        app, rec, tick = self.app, self.rec, self.tick
        # Completion times, in ticks after arrival; requests are spread over their tick.
        d_ok = np.floor(0.5 + s["latency"] / tick)
        n, c = d_ok.shape
        answered = ok.total()
        some_late = bool((d_ok > 0).any())
        late = (d_ok[:, inverse] > 0) & (ok.cells() > 0) if some_late else None
        simple = (timeouts is None and not (some_late and late.any())
                  and not (self._held and self.pending[:, slots, :].any()))
        self._chunk["simple"] = simple
        if simple:
            rec.ok[sl] += answered                # the common case: all answered within the tick
        else:
            if late is None:
                late = np.zeros((n, len(slots)), dtype=bool)
            self._schedule(sl, slots, ok.cells(),
                           np.minimum(d_ok, self.horizon - 1).astype(np.int64)[:, inverse],
                           late, timeouts)

        n_tasks = len(slots)
        if c == 1:
            by_column = answered[:, None]
            def over_targets(x):
                return x[:, 0] * float(n_tasks)
        else:
            by_column = ok.column_sums(inverse, c)
            targets = np.bincount(inverse, minlength=c).astype(float)
            def over_targets(x):
                return (x * targets).sum(axis=1)
        rec.lat_n[sl] += answered
        rec.lat_m_sum[sl] += (by_column * s["mfac"]).sum(axis=1)
        rec.lat_w_sum[sl] += (by_column * s["wait"]).sum(axis=1)

        used = over_targets(s["b_prev"] + s["work"] - s["b"])      # CPU-seconds per tick
        rec.cpu_used[sl] += used / tick * 1024.0 + app.sidecar_cpu_units * n_tasks
        rec.cpu_capacity[sl] += app.task_cpu_units * n_tasks
        inflight = over_targets(s["inflight"])
        rec.mem_used[sl] += (app.base_memory_mb * n_tasks
                             + app.memory_mb_per_request * inflight
                             + self.leak.mb(slots, sl.start, n, tick))
        rec.mem_capacity[sl] += app.task_memory_mb * n_tasks
        rec.inflight[sl] += inflight

        # Snapped so that tasks whose states have converged share one column again.
        self.backlog[slots] = np.round(s["b"][-1], 9)[inverse]
        self.load[slots] = np.round(s["load"][-1], 3)[inverse]
        self.inflight[slots] = s["inflight"][-1][inverse]
        hc = s["wait"] + s["mfac"] * HEALTH_CHECK_CPU_S
        self._chunk["hc"], self._chunk["hc_of"] = hc, inverse
        self.health_response[slots] = hc[-1][inverse]


# Records a block sets rather than adds to: the next block over the same ticks sets them again,
# so a cut need not restore them.
_ASSIGNED = frozenset({"offered_rps", "in_service"})


def _columns_of(slots: np.ndarray) -> np.ndarray:
    """Column of each slot in a view's arrays, by slot (-1: not in the view)."""
    col = np.full(int(slots.max()) + 1 if len(slots) else 0, -1, dtype=np.int64)
    col[slots] = np.arange(len(slots))
    return col


def _lookup(col: np.ndarray, slots: np.ndarray) -> np.ndarray:
    inside = slots < len(col)
    return np.where(inside, col[np.where(inside, slots, 0)], -1) if len(col) else np.full(len(slots), -1)


def _level(d: np.ndarray, total: float) -> float:
    """L with sum(max(d, L)) == total (total > sum(max(d, 0)), so L > 0): water-filling."""
    ds = np.sort(d)
    above = np.concatenate([np.cumsum(ds[::-1])[::-1][1:], [0.0]])   # sum of d above each
    count = np.arange(1, len(ds) + 1)
    level = (total - above) / count           # if the lowest `count` members are filled to it
    upper = np.concatenate([ds[1:], [np.inf]])
    j = int(np.argmax((level >= ds) & (level <= upper)))
    return float(level[j])


def _same_every_row(weights: np.ndarray) -> bool:
    """Whether a view's weights (n, m) are one row for the whole block: the view broadcasts
    them when no target ramps up in slow start."""
    return len(weights) == 1 or weights.strides[0] == 0
