"""The request-level data plane (`engine: requests`): every request an individual.

The same protocol as the fluid data plane (protocol.DataPlane), so the whole control plane is
shared, and the same `TickRecords`.

The model (docs/request-engine.md):
- The per-tick arrival COUNTS are the ones the fluid engine uses (`arrivals`, sampled once per
  run); each request gets an arrival time uniform within its tick, a CPU demand from
  `workload.cpu_ms` (ms on one full vCPU), an I/O time from `workload.io_ms` and a routing draw.
  These four numbers are a fixed function of the seed and of the request's index in the run
  (blocks of REQUEST_BLOCK requests, each from its own seeded generator), so a run does not
  depend on how the engine cuts it into stretches, and a rewound stretch recomputes exactly.
- Routing, per request at its arrival instant: round_robin is a pointer rotating over the
  targets with weight > 0 (with unequal slow-start weights, a draw by weight);
  least_outstanding_requests the target with the fewest outstanding requests (answered
  neither by the task nor by a 504), ties to the first in the view; weighted_random a draw by
  weight.
- A task's app is processor sharing over K cores of speed s (`AppModel.cores`, `core_speed`):
  with n requests in their CPU phase each gets s * min(1, K / n) vCPU; then the request waits
  its I/O time without CPU; then it is answered. DISCIPLINE = "fcfs" (or discipline="fcfs")
  gives K first-come-first-served servers of speed s instead, for the queueing-theory checks.
- Outcomes as in the fluid engine: elb_503 (nothing routable), elb_502 (the app does not
  answer), target_503 (the task holds max_concurrency requests, CPU and I/O phases), timeout_504
  (answered by the load balancer at arrival + timeout; the task keeps working on it),
  reset_on_stop (held by a task when it is killed and not yet answered), ok (in the tick the
  response is sent).
- Records: CPU busy is the exact integral of s * min(n, K) over each tick; in-flight the time
  average of the requests the tasks hold (including timed-out ones still being worked on);
  memory base + per request x in-flight. A health check sent at an instant sees
  0.001 / (s * min(1, K / (n + 1))) with n the task's requests in the CPU phase at the start of
  the tick.
- Latency: the exact latency of every ok request is kept with the tick its response was sent
  in (`rec.ok_latencies`); `request_latency` reads percentiles from it. lat_n / lat_w_sum are
  also filled (lat_w_sum = sum of latencies - n x mean I/O, lat_m_sum = 0) so the fluid
  engine's mean formulas (CloudWatch TargetResponseTime) give the exact means unchanged.

Look-ahead: `advance` snapshots the state at the start of each stretch; `truncate(k)` restores
it and recomputes up to tick k, which gives exactly the state a run that had stopped at k would
have (the per-request numbers do not depend on the stretch). A rewind costs the requests it
recomputes and discards, so `lookahead_s` asks the engine for shorter stretches than the fluid
engine's.
"""
from __future__ import annotations

import numpy as np

from . import ps_kernel as kern
from .app_model import HEALTH_CHECK_CPU_S, AppModel
from .memory_leak import MemoryLeak
from .records import TickRecords
from .request_latency import LatencyLog

# Queueing discipline inside a task: "ps" (processor sharing, the model) or "fcfs".
DISCIPLINE = "ps"
# Requests per block of per-request random numbers (each block has its own seeded generator).
REQUEST_BLOCK = 1 << 16
# Most requests handed to one kernel call (bounds the per-request arrays in memory).
MAX_REQUESTS_PER_CALL = 1 << 16
_ALGORITHMS = {"round_robin": kern.ROUND_ROBIN,
               "least_outstanding_requests": kern.LEAST_OUTSTANDING,
               "weighted_random": kern.WEIGHTED_RANDOM}

# State arrays, by group: per task slot; CPU heaps (one row per task of the view, hrow[slot]);
# per pool entry (live requests) with the I/O heap; the deadline ring.
_SLOT = ("n_cpu", "held", "outst", "V", "tl", "hsize", "qhead", "qtail", "hrow")
_HEAP = ("hkey", "hval")
_POOL = ("p_alive", "p_rid", "p_slot", "p_tarr", "p_x", "p_io", "p_tstart", "p_timed", "p_next",
         "free_stack", "io_key", "io_idx", "io_rid")
_RING = ("ring_idx", "ring_rid", "ring_dead")
_STATE = _SLOT + _HEAP + _POOL + _RING + ("sc", "fl")
_NEG = ("qhead", "qtail", "hrow", "p_rid", "p_next")      # arrays whose empty value is -1
# The per-task arrays in the order run_ticks takes them.
_KERNEL_TASK_STATE = ("n_cpu", "held", "outst", "V", "tl", "hsize", "hkey", "hval", "qhead", "qtail")


class RequestDataPlane:
    # How far the engine should compute ahead of the control plane with this data plane (the
    # engine's LOOKAHEAD_S is for the fluid engine, whose cost is per stretch; here the cost is
    # per request, so a rewound stretch costs what it recomputes and discards).
    lookahead_s = 60.0

    def __init__(self, *, app: AppModel, tick: float, arrivals: np.ndarray, rates: np.ndarray,
                 algorithm: str, rng: np.random.Generator, records: TickRecords,
                 discipline: str | None = None, keep_waits: bool = False):
        self.app = app
        self.tick = float(tick)
        self.arrivals = np.array(arrivals, dtype=np.int64)      # writable, C order (see advance)
        self.rates = rates
        self.algorithm = algorithm
        self._alg = _ALGORITHMS[algorithm]
        self.rng = rng
        self.rec = records
        self.discipline = (discipline or DISCIPLINE).lower()
        if self.discipline not in ("ps", "fcfs"):
            raise ValueError(f"discipline must be 'ps' or 'fcfs', got {self.discipline!r}")
        self.k = 0
        self._chunk = None
        # Global index of the first request of each tick (requests numbered in arrival order).
        self._first = np.concatenate([[0], np.cumsum(self.arrivals)]).astype(np.int64)
        # One draw from the data plane's stream seeds every per-request block.
        self._seed = int(rng.integers(2**63))
        self._blocks: dict[int, tuple] = {}
        self.K, self.s = int(app.cores), float(app.core_speed)
        self._max_conc = (np.iinfo(np.int64).max if not np.isfinite(app.max_concurrency)
                          else int(app.max_concurrency))
        self.latencies = LatencyLog(keep_waits=keep_waits, capacity=int(self._first[-1]))
        self.leak = MemoryLeak(app.leak_mb_per_s)
        records.ok_latencies = self.latencies
        self._slots_cap = 0
        self._alloc(slots=16, rows=8, heap=64, pool=1024, ring=1024)

    # ------------------------------------------------------------------ state arrays
    def _alloc(self, *, slots, rows, heap, pool, ring):
        st = {}
        st["n_cpu"] = np.zeros(slots, np.int64)
        st["held"] = np.zeros(slots, np.int64)
        st["outst"] = np.zeros(slots, np.int64)
        st["V"] = np.zeros(slots)
        st["tl"] = np.zeros(slots)
        st["hsize"] = np.zeros(slots, np.int64)
        st["qhead"] = np.full(slots, -1, np.int64)
        st["qtail"] = np.full(slots, -1, np.int64)
        st["hrow"] = np.full(slots, -1, np.int64)
        st["hkey"] = np.zeros((rows, heap))
        st["hval"] = np.zeros((rows, heap), np.int64)
        st["p_alive"] = np.zeros(pool, bool)
        st["p_rid"] = np.full(pool, -1, np.int64)
        st["p_slot"] = np.zeros(pool, np.int64)
        for name in ("p_tarr", "p_x", "p_io", "p_tstart"):
            st[name] = np.zeros(pool)
        st["p_timed"] = np.zeros(pool, bool)
        st["p_next"] = np.full(pool, -1, np.int64)
        st["free_stack"] = np.arange(pool - 1, -1, -1, dtype=np.int64)
        st["io_key"] = np.zeros(pool)
        st["io_idx"] = np.zeros(pool, np.int64)
        st["io_rid"] = np.zeros(pool, np.int64)
        st["ring_idx"] = np.zeros(ring, np.int64)
        st["ring_rid"] = np.zeros(ring, np.int64)
        st["ring_dead"] = np.zeros(ring)
        st["sc"] = np.zeros(kern.N_SC, np.int64)
        st["sc"][kern.SC_FREE_TOP] = pool
        st["fl"] = np.zeros(kern.N_FL)
        self.st = st
        self._slots_cap = slots

    def _grow_slots(self, slots: int) -> None:
        st, old = self.st, self._slots_cap
        if slots <= old:
            return
        for name in _SLOT:
            a = st[name]
            new = np.full(slots, -1 if name in _NEG else 0, dtype=a.dtype)
            new[:len(a)] = a
            st[name] = new
        self._slots_cap = slots

    def _grow_heaps(self, rows: int, heap: int) -> None:
        """CPU heaps: at least `rows` rows (tasks) of `heap` entries."""
        st = self.st
        r0, h0 = st["hkey"].shape
        if rows <= r0 and heap <= h0:
            return
        for name in _HEAP:
            a = st[name]
            new = np.zeros((max(rows, r0), max(heap, h0)), dtype=a.dtype)
            new[:r0, :h0] = a
            st[name] = new

    def _rows_for(self, slots: np.ndarray) -> np.ndarray:
        """The heap row of each slot of a view, handing free rows to those without one."""
        st = self.st
        hrow = st["hrow"]
        need = slots[hrow[slots] < 0]
        if len(need):
            # Rows of tasks that left the view empty go back to the free ones.
            in_view = np.zeros(len(hrow), bool)
            in_view[slots] = True
            hrow[(hrow >= 0) & ~in_view & (st["hsize"] == 0)] = -1
            rows = st["hkey"].shape[0]
            used = np.zeros(rows, bool)
            used[hrow[hrow >= 0]] = True
            free = np.flatnonzero(~used)
            if len(free) < len(need):
                self._grow_heaps(max(2 * rows, rows + len(need)), 0)
                free = np.concatenate([free, np.arange(rows, st["hkey"].shape[0])])
            hrow[need] = free[:len(need)]
        return np.ascontiguousarray(hrow[slots])

    def _grow_pool(self, a: int) -> None:
        """Room for `a` more requests in the pool, the I/O heap and the deadline ring."""
        st, sc = self.st, self.st["sc"]
        old = len(st["p_alive"])
        if int(sc[kern.SC_FREE_TOP]) < a or old - int(sc[kern.SC_IO_SIZE]) < a:
            self._pool_to(max(2 * old, old + 2 * a))
        head, tail = int(sc[kern.SC_RING_HEAD]), int(sc[kern.SC_RING_TAIL])
        cap = len(st["ring_idx"])
        if cap - (tail - head) < a:
            self._ring_to(max(2 * cap, 2 * (tail - head + a)))

    def _pool_to(self, new: int) -> None:
        st, sc = self.st, self.st["sc"]
        old = len(st["p_alive"])
        if new <= old:
            return
        top = int(sc[kern.SC_FREE_TOP])
        for name in _POOL:
            arr = st[name]
            b = np.full(new, -1 if name in _NEG else 0, dtype=arr.dtype)
            if name == "free_stack":
                # The new entries go under the free ones, lowest index nearest the top, so
                # that live requests stay packed at low indices.
                b[:new - old] = np.arange(new - 1, old - 1, -1)
                b[new - old:new - old + top] = arr[:top]
            else:
                b[:old] = arr
            st[name] = b
        sc[kern.SC_FREE_TOP] = top + new - old

    def _ring_to(self, new: int) -> None:
        """Unroll the ring in deadline order into one of at least `new` (a power of 2)."""
        st, sc = self.st, self.st["sc"]
        cap = len(st["ring_idx"])
        new = 1 << int(new - 1).bit_length()
        if new <= cap:
            return
        head, tail = int(sc[kern.SC_RING_HEAD]), int(sc[kern.SC_RING_TAIL])
        order = np.arange(head, tail) & (cap - 1)
        for name in _RING:
            arr = st[name]
            b = np.zeros(new, dtype=arr.dtype)
            b[:tail - head] = arr[order]
            st[name] = b
        sc[kern.SC_RING_HEAD] = 0
        sc[kern.SC_RING_TAIL] = tail - head

    def _capacities(self) -> tuple[int, int, int, int, int]:
        st = self.st
        return (self._slots_cap, *st["hkey"].shape, len(st["p_alive"]), len(st["ring_idx"]))

    def _reserve(self, slots: int, rows: int, heap: int, pool: int, ring: int) -> None:
        self._grow_slots(slots)
        self._grow_heaps(rows, heap)
        self._pool_to(pool)
        self._ring_to(ring)

    # ------------------------------------------------------------------ slots
    def ensure_slot(self, slot: int) -> None:
        if slot >= self._slots_cap:
            self._grow_slots(max(16, 2 * self._slots_cap, slot + 1))

    def in_flight_total(self) -> int:
        return int(self.st["sc"][kern.SC_IN_FLIGHT])

    def _held_by(self, slot: int) -> np.ndarray:
        st = self.st
        return np.flatnonzero(st["p_alive"] & (st["p_slot"] == slot))

    def kill(self, slot: int, k: int) -> int:
        """The task's containers are gone at tick k: what it still held and had not answered is
        reset (requests already answered 504 ended then)."""
        self.truncate(k)
        st = self.st
        idx = self._held_by(slot)
        lost = int((~st["p_timed"][idx]).sum())
        if len(idx):
            st["p_alive"][idx] = False
            sc = st["sc"]
            top = sc[kern.SC_FREE_TOP]
            st["free_stack"][top:top + len(idx)] = idx
            sc[kern.SC_FREE_TOP] = top + len(idx)
            sc[kern.SC_LIVE] -= len(idx)
            sc[kern.SC_IN_FLIGHT] -= lost
        for name, value in (("n_cpu", 0), ("held", 0), ("outst", 0), ("V", 0.0), ("tl", 0.0),
                            ("hsize", 0), ("qhead", -1), ("qtail", -1), ("hrow", -1)):
            st[name][slot] = value
        if lost:
            self.rec.reset_on_stop[min(self.k, self.rec.n_ticks - 1)] += lost
        return lost

    def drain_time(self, slot: int, k: int) -> float:
        """Seconds from tick k until the requests the slot holds then have all been answered
        by the task (0 if none), if no new request reaches it."""
        self.truncate(k)
        st = self.st
        idx = self._held_by(slot)
        if len(idx) == 0:
            return 0.0
        now = k * self.tick
        K, s = self.K, self.s
        # When each held request leaves: NaN until known.
        finish = np.full(len(st["p_alive"]), np.nan)
        n = int(st["hsize"][slot])
        if n:
            row = int(st["hrow"][slot])
            keys, vals = st["hkey"][row, :n], st["hval"][row, :n]
            if self.discipline == "fcfs":
                # Servers free up at the heap's times; the waiting requests follow in order.
                finish[vals] = keys + st["p_io"][vals]
                free = sorted(keys.tolist() + [now] * (K - n))
                w = int(st["qhead"][slot])
                while w >= 0:
                    end = max(free.pop(0), now) + st["p_x"][w] / s
                    finish[w] = end + st["p_io"][w]
                    free = sorted(free + [end])
                    w = int(st["p_next"][w])
            else:
                # Processor sharing with no arrivals: the least remaining work finishes first.
                v_now = st["V"][slot] + (now - st["tl"][slot]) * (s if n <= K else s * K / n)
                rem = np.maximum(keys - v_now, 0.0)
                order = np.argsort(rem, kind="stable")
                left = n - np.arange(n)
                rate = np.where(left <= K, s, s * K / left)
                ends = now + np.cumsum(np.diff(rem[order], prepend=0.0) / rate)
                finish[vals[order]] = ends + st["p_io"][vals[order]]
        # Requests in their I/O phase leave at their time in the I/O heap.
        size = int(st["sc"][kern.SC_IO_SIZE])
        io_idx, io_rid = st["io_idx"][:size], st["io_rid"][:size]
        live = (st["p_rid"][io_idx] == io_rid) & (st["p_slot"][io_idx] == slot) & st["p_alive"][io_idx]
        finish[io_idx[live]] = st["io_key"][:size][live]
        ends = finish[idx]
        if np.isnan(ends).any():
            raise RuntimeError(f"request engine: task slot {slot} holds requests in no phase")
        return max(now, float(ends.max())) - now

    # ------------------------------------------------------------------ health checks
    def _hc_time(self, n):
        n = np.asarray(n, dtype=float)
        return HEALTH_CHECK_CPU_S / (self.s * np.minimum(1.0, self.K / (n + 1.0)))

    def health_responses_at(self, slots: np.ndarray, k: int) -> np.ndarray:
        """Response times health checks sent at tick k would see on `slots`."""
        slots = np.asarray(slots, dtype=np.int64)
        n = self.st["n_cpu"][slots].astype(float)
        c = self._chunk
        if c is not None and c["k0"] <= k < self.k:
            row = c["hc"][k - c["k0"]]
            for pos, slot in enumerate(slots):
                j = c["col"].get(int(slot))
                if j is not None:
                    n[pos] = row[j]
        return self._hc_time(n)

    def health_response_at(self, slot: int, k: int) -> float:
        return float(self.health_responses_at(np.array([slot]), k)[0])

    # ------------------------------------------------------------------ look-ahead
    def _checkpoint(self, k_end: int, view) -> None:
        k0 = self.k
        self._chunk = {
            "k0": k0, "k1": k_end, "view": view,
            "col": {int(slot): j for j, slot in enumerate(view.slots)},
            "state": {name: a.copy() for name, a in self.st.items()},
            "slots_cap": self._slots_cap,
            "records": {name: arr[k0:k_end].copy() for name, arr in self.rec.arrays()},
            "latencies": self.latencies.mark(),
            "hc": None,
        }

    def truncate(self, k: int) -> None:
        """Forget everything computed from tick k on (k inside the last stretch)."""
        if k >= self.k:
            return
        c = self._chunk
        if k < c["k0"]:
            raise RuntimeError(f"cannot rewind the data plane to tick {k} before {c['k0']}")
        # Restore, keeping the arrays as large as they have grown since (slots added since,
        # for tasks launched, start empty; larger buffers would only be grown again).
        caps = self._capacities()
        # The saved state is taken, not copied: advance(k) below checkpoints afresh, and no
        # later truncate can go back before k0 (the engine only rewinds into the last stretch).
        self.st, c["state"] = c["state"], None
        self._slots_cap = c["slots_cap"]
        self._reserve(*caps)
        for name, arr in self.rec.arrays():
            arr[c["k0"]:c["k1"]] = c["records"][name]
        self.latencies.rewind(c["latencies"])
        self.k = c["k0"]
        self.advance(k, c["view"])

    # ------------------------------------------------------------------ random numbers
    def _block(self, b: int):
        got = self._blocks.get(b)
        if got is None:
            seq = np.random.SeedSequence(self._seed, spawn_key=(b,))
            g = np.random.Generator(np.random.PCG64(seq))
            n = REQUEST_BLOCK
            got = (g.random(n),
                   np.maximum(self.app.cpu_dist.sample(g, n), 0.0) / 1000.0,
                   np.maximum(self.app.io_dist.sample(g, n), 0.0) / 1000.0,
                   g.random(n))
            if len(self._blocks) >= 8:
                self._blocks.pop(next(iter(self._blocks)))
            self._blocks[b] = got
        return got

    def _request_numbers(self, i0: int, i1: int):
        """Arrival offsets, CPU demands (s), I/O times (s) and routing draws of requests
        i0..i1-1 (global indices)."""
        if i1 <= i0:
            z = np.zeros(0)
            return z, z, z, z
        b0, b1 = i0 // REQUEST_BLOCK, (i1 - 1) // REQUEST_BLOCK
        pieces = []
        for b in range(b0, b1 + 1):
            lo = max(i0 - b * REQUEST_BLOCK, 0)
            hi = min(i1 - b * REQUEST_BLOCK, REQUEST_BLOCK)
            pieces.append([p[lo:hi] for p in self._block(b)])
        if len(pieces) == 1:
            return tuple(np.ascontiguousarray(p) for p in pieces[0])
        return tuple(np.concatenate([piece[q] for piece in pieces]) for q in range(4))

    # ------------------------------------------------------------------ the stretch
    def _out_buffer(self, need: int):
        """Kernel output for responses (tick, latency, wait): at least `need` long."""
        out = getattr(self, "_out", None)
        if out is None or len(out[0]) < need:
            cap = max(need, 4096, 0 if out is None else 2 * len(out[0]))
            self._out = out = (np.zeros(cap, np.int32), np.zeros(cap, np.float32),
                               np.zeros(cap, np.float32))
        return out

    def advance(self, k_end: int, view) -> None:
        """Compute ticks [self.k, k_end) with the routing `view` fixed."""
        k_end = min(k_end, self.rec.n_ticks)
        k0, n = self.k, k_end - self.k
        if n <= 0:
            return
        self._checkpoint(k_end, view)
        rec, app = self.rec, self.app
        sl = slice(k0, k_end)
        arrivals = self.arrivals[sl]
        rec.arrivals[sl] += arrivals
        rec.offered_rps[sl] = self.rates[sl]
        rec.in_service[sl] = view.in_service
        slots = np.ascontiguousarray(view.slots, dtype=np.int64)
        m = len(slots)
        if m:
            self._grow_slots(int(slots.max()) + 1)
            rows = self._rows_for(slots)
            # A writable copy: the kernel is compiled for writable arrays only (a read-only
            # broadcast would compile a second version).
            weights = np.array(view.weights(k0, n), dtype=float, order="C")
        else:
            weights = np.zeros((n, 0))
            rows = np.zeros(0, np.int64)
        serving = np.array(view.serving, dtype=bool)
        out = {name: np.zeros(n, np.int64) for name in ("ok", "t504", "e503", "e502", "t503")}
        busy = np.zeros(n)
        held = np.zeros(n)
        lsum = np.zeros(n)
        hc = np.zeros((n + 1, m), np.int64)
        first = self._first
        k = k0
        while k < k_end:
            # A call covers as many ticks as fit in MAX_REQUESTS_PER_CALL requests (one at least).
            k_stop = int(np.searchsorted(first, first[k] + MAX_REQUESTS_PER_CALL, side="right")) - 1
            k_stop = min(max(k_stop, k + 1), k_end)
            i0, i1 = int(first[k]), int(first[k_stop])
            u_off, x_s, io_s, u_route = self._request_numbers(i0, i1)
            st = self.st
            lo = self._out_buffer(int(st["sc"][kern.SC_LIVE]) + i1 - i0)
            status, k, _ = kern.run_ticks(
                k, k_stop, k0, self.tick, self.arrivals, first[k],
                weights, slots, rows, serving, self._alg, self.discipline == "fcfs", self.K, self.s,
                float(app.timeout_s), self._max_conc,
                i0, u_off, x_s, io_s, u_route,
                *(st[name] for name in _KERNEL_TASK_STATE), *(st[name] for name in _POOL),
                *(st[name] for name in _RING), st["sc"], st["fl"],
                out["ok"], out["t504"], out["e503"], out["e502"], out["t503"], busy, held, lsum, hc,
                *lo)
            n_out = int(st["sc"][kern.SC_OUT])
            if n_out:
                self.latencies.append(lo[0][:n_out], lo[1][:n_out], lo[2][:n_out])
                st["sc"][kern.SC_OUT] = 0
            if status == kern.GROW_POOL:
                self._grow_pool(int(self.arrivals[k]))
            elif status == kern.GROW_HEAP:
                self._grow_heaps(0, 2 * st["hkey"].shape[1])
            elif status == kern.GROW_OUT:
                self._out_buffer(int(st["sc"][kern.SC_LIVE]) + int(self.arrivals[k]))

        rec.ok[sl] += out["ok"]
        rec.timeout_504[sl] += out["t504"]
        rec.elb_503[sl] += out["e503"]
        rec.elb_502[sl] += out["e502"]
        rec.target_503[sl] += out["t503"]
        self._chunk["hc"] = hc
        if m:
            tick = self.tick
            rec.cpu_used[sl] += busy / tick * 1024.0 + app.sidecar_cpu_units * m
            rec.cpu_capacity[sl] += app.task_cpu_units * m
            inflight = held / tick
            rec.mem_used[sl] += (app.base_memory_mb * m + app.memory_mb_per_request * inflight
                                 + self.leak.mb(slots, k0, n, tick))
            rec.mem_capacity[sl] += app.task_memory_mb * m
            rec.inflight[sl] += inflight
        # Per-tick sums the fluid formulas for the mean latency read (exact means).
        rec.lat_n[sl] += out["ok"]
        rec.lat_w_sum[sl] += lsum - out["ok"] * app.io_mean_s
        self.k = k_end
