"""The websocket data plane: long-lived connections, one by one, sticky to their task.

The traffic curve gives the rate at which clients open sessions. Every session has its length
(workload.websocket.connection_duration) drawn up front, by arrival order, so the numbers do not
depend on how the engine cuts the run into stretches. A connection attempt is what the request
accounting counts: it ends exactly once,

- ok when the client closes it at the end of its session,
- reset_on_stop when its task drops it: the target finished its deregistration delay (the load
  balancer closes what is still open then) or the task's containers stopped,
- elb_503 / elb_502 / target_503 when it is refused: no target in service, a target whose app
  is not up, or a task already holding max_concurrency connections (the app's limit),

and a client whose attempt failed or whose connection dropped reconnects after
reconnect_delay with what is left of its session: a reconnection storm lands on the tasks that
remain, and only they: connections never move, so a new task gets new connections only.

Routing follows the target group's algorithm for the attempts of each tick (connections are
routed once, when opened). least_outstanding_requests routes connections like round_robin and
queues each task's messages on its own, as round robin does (an assumption: whether ALB counts
an open websocket as an outstanding request is not documented). That differs from HTTP requests
in the fluid engine, where least_outstanding_requests pools the tasks' queues (fluid.py,
docs/fluid-model.md).

What the connections cost is fluid: each carries messages_per_second messages of
cpu_ms_per_message CPU (plus cpu_ms_per_handshake when it opens), queued per task exactly as
the fluid engine queues requests (backlog, processor-sharing slowdown), which gives the
message latency, the CPU and the health-check response times; memory is base +
memory_mb_per_connection per open connection.
"""
from __future__ import annotations

import numpy as np

from ..elb.routing import shares, split_arrivals
from .app_model import HEALTH_CHECK_CPU_S
from .fluid import FluidDataPlane
from .queueing import slowdown

_EMPTY = np.zeros(0)


class WebsocketDataPlane(FluidDataPlane):
    # The connections open at the start are counted as arrivals of tick 0 before any stretch.
    _WRITTEN_AHEAD = None

    def __init__(self, *, websocket, sessions_rng: np.random.Generator, steady_start: bool = True, **kwargs):
        super().__init__(**kwargs)
        ws = self.ws = websocket
        self._session_len = ws.connection_duration.sample(sessions_rng, int(self.arrivals.sum()))
        # A service in steady state at t=0 already holds its clients' connections.
        self._initial = _sessions_in_progress(ws.connection_duration, float(self.rates[0]) if len(self.rates) else 0.0,
                                              sessions_rng) if steady_start else _EMPTY
        self.initial_sessions = len(self._initial)
        self._first = np.concatenate([[0], np.cumsum(self.arrivals)])
        # Clients reconnect no sooner than the next tick: an attempt belongs to one tick.
        self._delay = max(float(ws.reconnect_delay), self.tick)
        self._msg_cpu_s = ws.messages_per_second * ws.cpu_ms_per_message / 1000.0  # per connection-second
        self._handshake_s = ws.cpu_ms_per_handshake / 1000.0
        # Open connections, sorted by when their sessions end: the ones a stretch closes are a
        # prefix, whatever task holds them.
        self.c_end = _EMPTY
        self.c_slot = np.zeros(0, dtype=np.int64)
        self.retry_t = _EMPTY                   # pending reconnections: when, sorted
        self.retry_end = _EMPTY                 # ... and when their sessions end
        self.drops = np.zeros(self.rec.n_ticks, dtype=np.int64)       # connections dropped by tasks
        self.reconnects = np.zeros(self.rec.n_ticks, dtype=np.int64)  # attempts that are reconnections

    # ------------------------------------------------------------------ state
    def _checkpoint(self, k_end: int, view, final: bool = False) -> None:
        # Always a full checkpoint: the connections' state is restored along with the rest.
        super()._checkpoint(k_end, view)
        k0 = self.k
        # Arrays are replaced, never changed in place, so references are a snapshot.
        self._chunk["ws"] = (self.c_end, self.c_slot, self.retry_t, self.retry_end,
                             self.drops[k0:k_end].copy(), self.reconnects[k0:k_end].copy())

    def truncate(self, k: int) -> None:
        if k >= self.k:
            return
        c = self._chunk
        self.c_end, self.c_slot, self.retry_t, self.retry_end, drops, reconnects = c["ws"]
        self.drops[c["k0"]:c["k1"]] = drops
        self.reconnects[c["k0"]:c["k1"]] = reconnects
        super().truncate(k)

    def in_flight_total(self) -> int:
        return len(self.c_end)

    def connections_of(self, slot: int) -> int:
        return int(np.count_nonzero(self.c_slot == slot))

    def drain_time(self, slot: int, k: int) -> float:
        # The load balancer closes a draining target's connections when its delay ends; the
        # task stops at once afterwards (its connections are what the app was waiting for).
        self.truncate(k)
        return 0.0

    def kill(self, slot: int, k: int) -> int:
        """The task's connections drop at tick k; their clients reconnect after the delay."""
        self.truncate(k)
        mine = self.c_slot == slot
        ends = self.c_end[mine]
        self.c_end, self.c_slot = self.c_end[~mine], self.c_slot[~mine]
        self.backlog[slot] = self.load[slot] = self.inflight[slot] = 0.0
        if len(ends) == 0:
            return 0
        at = min(k, self.rec.n_ticks - 1)
        self.rec.reset_on_stop[at] += len(ends)
        self.drops[at] += len(ends)
        self._schedule_retries(np.full(len(ends), k * self.tick), ends)
        return len(ends)

    def _schedule_retries(self, failed_at: np.ndarray, ends: np.ndarray) -> None:
        when = np.maximum(failed_at + self._delay, (np.floor(failed_at / self.tick + 1e-9) + 1) * self.tick)
        keep = when < ends          # a session over before its client would retry just ends
        when, ends = when[keep], ends[keep]
        if len(self.retry_t) and len(when) and when[0] < self.retry_t[-1]:
            # Failures come in time order and wait the same delay, so the queue stays sorted by
            # appending; only a kill inside a stretch already computed can land earlier.
            t, e = np.concatenate([self.retry_t, when]), np.concatenate([self.retry_end, ends])
            order = np.argsort(t, kind="stable")
            self.retry_t, self.retry_end = t[order], e[order]
        else:
            self.retry_t, self.retry_end = np.concatenate([self.retry_t, when]), np.concatenate([self.retry_end, ends])

    # ------------------------------------------------------------------ advancing
    def advance(self, k_end: int, view, final: bool = False) -> None:
        k_end = min(k_end, self.rec.n_ticks)
        if k_end <= self.k:
            return
        if self.k == 0 and self._initial is not None:
            self._open_initial(view)
        self._checkpoint(k_end, view)
        k0 = self.k
        rows = []
        if not self._step(k0, k_end, view, rows):
            # Failed attempts whose clients retry inside the stretch: in pieces no longer than
            # the reconnect delay, so that a retry always lands in a later piece.
            piece = max(1, int(self._delay / self.tick + 1e-9))
            for k in range(k0, k_end, piece):
                self._step(k, min(k + piece, k_end), view, rows, final=True)
        self._chunk["hc"] = np.vstack(rows) if rows else np.zeros((k_end - k0, len(view.slots)))
        self.k = k_end

    def _open_initial(self, view) -> None:
        """Place the sessions in progress at t=0 round robin on the tasks in service, up to
        their limit; clients that find no room were refused just now and retry."""
        ends, self._initial = self._initial, None
        if not len(ends):
            return
        slots = view.slots[view.serving & (view.weights(0, 1)[0] > 0)] if len(view.slots) else view.slots
        cap = self.app.max_concurrency
        placed = np.zeros(len(ends), dtype=bool)
        if len(slots):
            owner = np.arange(len(ends)) % len(slots)
            placed = np.arange(len(ends)) // len(slots) < cap
            order = np.argsort(ends[placed], kind="stable")
            self.c_end, self.c_slot = ends[placed][order], slots[owner[placed]][order]
        rec = self.rec
        rec.arrivals[0] += len(ends)
        (rec.target_503 if len(slots) else rec.elb_503)[0] += int((~placed).sum())
        if (~placed).any():
            self._schedule_retries(np.zeros(int((~placed).sum())), ends[~placed])

    def _attempts(self, k0: int, k1: int):
        """Ticks and session ends of the attempts in [k0, k1): new sessions, then reconnections."""
        i0, i1 = self._first[k0], self._first[k1]
        new_ticks = np.repeat(np.arange(k0, k1), self.arrivals[k0:k1])
        new_ends = new_ticks * self.tick + self._session_len[i0:i1]
        r1 = int(np.searchsorted(self.retry_t, k1 * self.tick - 1e-9))
        r_ticks = np.floor(self.retry_t[:r1] / self.tick + 1e-9).astype(np.int64)
        # Both parts are in tick order: merge them, new sessions first within a tick.
        at_new = np.arange(len(new_ticks)) + np.searchsorted(r_ticks, new_ticks, side="left")
        at_retry = np.arange(r1) + np.searchsorted(new_ticks, r_ticks, side="right")
        ticks = np.empty(len(new_ticks) + r1, dtype=np.int64)
        ends = np.empty(len(ticks))
        ticks[at_new], ticks[at_retry] = new_ticks, r_ticks
        ends[at_new], ends[at_retry] = new_ends, self.retry_end[:r1]
        return ticks, ends, r1, r_ticks

    def _step(self, k0: int, k1: int, view, rows: list, final: bool = False) -> bool:
        """Compute [k0, k1) at once; False (nothing changed) when a failed attempt's client
        would retry inside it, unless `final` (the caller made the piece short enough)."""
        tick, n = self.tick, k1 - k0
        slots, m = view.slots, len(view.slots)
        ticks, ends, n_retries, r_ticks = self._attempts(k0, k1)
        per_tick = np.bincount(ticks - k0, minlength=n)
        kind = np.full(len(ticks), -1)       # failed as 0 elb_503, 1 elb_502, 2 target_503
        col = np.full(len(ticks), -1)
        col_of = np.full(int(max(slots.max(initial=-1), self.c_slot.max(initial=-1))) + 1, -1)
        col_of[slots] = np.arange(m)
        old = _Open(self.c_end, col_of[self.c_slot], m, int(np.searchsorted(self.c_end, k1 * tick)))
        if m:
            p = shares(view.weights(k0, n))
            routed = p.sum(axis=1) > 0
            counts = split_arrivals(self.algorithm, np.where(routed, per_tick, 0), p, k0, self.rng)
            # Attempts are in tick order; within a tick the split hands them to slots in order.
            unrouted = ~routed[ticks - k0]
            col[~unrouted] = np.repeat(np.tile(np.arange(m), n), counts.ravel())
            kind[unrouted] = 0
            kind[~unrouted & ~view.serving[np.maximum(col, 0)]] = 1
            refused = self._over_limit(counts * view.serving[None, :], old, k0, k1, ticks, col, ends,
                                       kind < 0)
            if refused is not None:
                kind[refused] = 2
        else:
            kind[:] = 0
        failed = kind >= 0
        if not final and failed.any() and (ticks[failed] * tick + self._delay < k1 * tick).any():
            return False
        return self._commit(k0, k1, view, rows, ticks, ends, failed, kind, col, n_retries, r_ticks, old)

    def _over_limit(self, routed, old, k0, k1, ticks, col, ends, eligible):
        """Attempts refused because their task already holds max_concurrency connections (the
        app's limit), or None. Tick by tick, as the limit binds: a slot at its limit refuses the
        last attempts of the tick routed to it, and frees places as connections close."""
        cap = self.app.max_concurrency
        active = old.active0.astype(float)
        if not np.isfinite(cap) or (active + routed.sum(axis=0) <= cap).all():
            return None
        n, m = routed.shape
        tick, end_t = self.tick, k1 * self.tick
        ended = np.zeros((n + 1, m))
        ended += _count(old.end_ticks(tick) - k0, old.col[:old.stop], (n + 1, m))
        refused = np.zeros(len(ticks), dtype=bool)
        bounds = np.searchsorted(ticks, np.arange(k0, k1 + 1))
        for i in range(n):
            lo, hi = bounds[i], bounds[i + 1]
            active = active - ended[i]
            here = np.flatnonzero(eligible[lo:hi]) + lo
            if len(here):
                c = col[here]                       # non-decreasing within a tick
                rank = np.arange(len(here)) - np.searchsorted(c, c)
                ok = rank < np.maximum(0.0, cap - active)[c]
                refused[here[~ok]] = True
                took = here[ok]
                active = active + np.bincount(col[took], minlength=m)
                closing = ends[took] < end_t
                if closing.any():
                    e_tick = np.floor(ends[took][closing] / tick + 1e-9).astype(np.int64) - k0
                    np.add.at(ended, (np.maximum(e_tick, i + 1), col[took][closing]), 1)
                    now = e_tick <= i               # shorter than a tick: gone by its end
                    if now.any():
                        active = active - np.bincount(col[took][closing][now], minlength=m)
                        np.add.at(ended, (i + 1, col[took][closing][now]), -1)
        return refused

    def _commit(self, k0, k1, view, rows, ticks, ends, failed, kind, col_all, n_retries, r_ticks,
                old) -> bool:
        """Apply the stretch's outcome: counts, retries, the connections kept, their work."""
        tick, n, rec = self.tick, k1 - k0, self.rec
        slots, m = view.slots, len(view.slots)
        sl = slice(k0, k1)
        self.retry_t, self.retry_end = self.retry_t[n_retries:], self.retry_end[n_retries:]
        rec.arrivals[sl] += np.bincount(ticks - k0, minlength=n)
        self.reconnects[sl] += _count(r_ticks - k0, None, (n,))
        for code, name in enumerate(("elb_503", "elb_502", "target_503")):
            hit = kind == code
            if hit.any():
                getattr(rec, name)[sl] += _count(ticks[hit] - k0, None, (n,))
        if failed.any():
            self._schedule_retries(ticks[failed] * tick, ends[failed])
        rec.offered_rps[sl] = self.rates[sl]
        rec.in_service[sl] = view.in_service

        # The connections that end in the stretch (ok), those kept, and the open count per slot.
        acc = ~failed
        acc_tick, acc_col, acc_end = ticks[acc] - k0, col_all[acc], ends[acc]
        opened = np.zeros((n, m))
        opened += _count(acc_tick, acc_col, (n, m))
        closing = acc_end < k1 * tick
        end_ticks = np.concatenate([old.end_ticks(tick), _tick_of(acc_end[closing], tick)])
        end_cols = np.concatenate([old.col[:old.stop], acc_col[closing]])
        rec.ok[sl] += _count(end_ticks - k0, None, (n,))
        delta = -_count(end_ticks - k0, end_cols, (n + 1, m))
        # Merge the new connections into the kept ones, which are sorted already.
        keep_end, keep_slot = self.c_end[old.stop:], self.c_slot[old.stop:]
        new_end, new_slot = acc_end[~closing], slots[acc_col[~closing]] if m else acc_col[~closing]
        order = np.argsort(new_end, kind="stable")
        at = np.searchsorted(keep_end, new_end[order], side="right")
        self.c_end = np.insert(keep_end, at, new_end[order])
        self.c_slot = np.insert(keep_slot, at, new_slot[order])
        active = old.active0[None, :] + np.cumsum(opened + delta[:n], axis=0)
        active0 = old.active0.astype(float)
        if m == 0:
            rows.append(np.zeros((n, 0)))
            return True
        # Messages flow from the connections open during the tick (mean of its two ends).
        mean_open = 0.5 * (np.vstack([active0[None, :], active[:-1]]) + active)
        work = mean_open * (self._msg_cpu_s * tick) + opened * self._handshake_s
        load = self._smoothed_load(work, self.load[slots])
        b0 = self.backlog[slots]
        t = b0[None, :] + np.cumsum(work - self._cap_per_tick, axis=0)
        b = t - np.minimum(0.0, np.minimum.accumulate(t, axis=0))
        b_prev = np.vstack([b0[None, :], b[:-1]])
        # Messages of many independent connections: Poisson arrivals at the task, M/M/k-PS.
        mfac = slowdown(self.app.cores, self.app.core_speed, load)
        wait = (0.5 / self._vcpu) * (b_prev + b)
        messages = mean_open * (self.ws.messages_per_second * tick)
        rec.lat_n[sl] += messages.sum(axis=1)
        rec.lat_m_sum[sl] += (messages * mfac).sum(axis=1)
        rec.lat_w_sum[sl] += (messages * wait).sum(axis=1)
        app = self.app
        rec.cpu_used[sl] += (b_prev + work - b).sum(axis=1) / tick * 1024.0 + app.sidecar_cpu_units * m
        rec.cpu_capacity[sl] += app.task_cpu_units * m
        rec.mem_used[sl] += (app.base_memory_mb * m + self.ws.memory_mb_per_connection * mean_open.sum(axis=1)
                             + self.leak.mb(slots, k0, n, tick))
        rec.mem_capacity[sl] += app.task_memory_mb * m
        rec.inflight[sl] += active.sum(axis=1)
        self.backlog[slots] = b[-1]
        self.load[slots] = load[-1]
        self.inflight[slots] = active[-1]
        hc = wait + mfac * HEALTH_CHECK_CPU_S
        rows.append(hc)
        self.health_response[slots] = hc[-1]
        return True


def _count(rows: np.ndarray, cols, shape) -> np.ndarray:
    """How many (row, col) pairs fall on each cell of an array of `shape` (cols None: 1-D)."""
    flat = rows if cols is None else rows * shape[1] + cols
    return np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape)


class _Open:
    """The connections open at a stretch's start, as the stretch sees them: their ends (sorted),
    the column of their slot in the routing view, and how many end inside the stretch."""

    def __init__(self, ends: np.ndarray, col: np.ndarray, m: int, stop: int):
        self.ends, self.col, self.stop = ends, col, stop
        self.active0 = np.bincount(col, minlength=m)[:m] if m else np.zeros(0, dtype=np.int64)

    def end_ticks(self, tick: float) -> np.ndarray:
        return _tick_of(self.ends[:self.stop], tick)


def _tick_of(times: np.ndarray, tick: float) -> np.ndarray:
    return np.floor(times / tick + 1e-9).astype(np.int64)


def _sessions_in_progress(duration, rate: float, rng: np.random.Generator) -> np.ndarray:
    """When the sessions open at t=0 end, for sessions arriving at `rate` per second until then.

    In equilibrium their number is Poisson with mean rate x E[duration] (Little's law) and their
    lengths are length-biased: a long session is more likely to be in progress. What is left of
    one is a uniform fraction of its length. Sampled by drawing lengths and keeping them with
    probability proportional to length.
    """
    n = int(rng.poisson(rate * duration.mean)) if rate > 0 else 0
    if n == 0:
        return _EMPTY
    pool = duration.sample(rng, 4 * n)
    chosen = rng.choice(pool, size=n, p=pool / pool.sum())
    return np.maximum(chosen * rng.random(n), 1e-9)
