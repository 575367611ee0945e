"""The request engine's event loop, compiled with numba: every request, every task, in time order.

One call computes whole ticks [k_start, k_stop) of a stretch in which routing is fixed (the
`RoutingView` the engine hands the data plane), for all the tasks of the view at once, because
least-outstanding-requests routing needs every task's state at every arrival. It stops early, at
a tick boundary, when a buffer could overflow in the next tick; the caller grows the buffer and
calls again from where it stopped (the state lives in the arrays, so a call is resumable).

Events, in time order (ties in this order: a response, a CPU completion, a timeout, an arrival):
- arrival: routed to a column (round robin pointer, weighted draw or fewest outstanding), then
  elb_503 (no column routable), elb_502 (the column's app does not answer), target_503 (the task
  holds max_concurrency requests) or admitted;
- CPU completion: processor sharing over K cores of speed s (each of n requests in the CPU
  phase gets s * min(1, K / n) vCPU), or first come first served on K servers of speed s;
- response (CPU done + I/O time): ok, unless the request has timed out already;
- timeout at arrival + timeout: the load balancer answers 504; the task keeps the request.

Processor sharing uses a per-task virtual clock V (the CPU-seconds each request of the task has
received since the task was last empty): a request arriving when the clock reads V with demand
x finishes when it reads V + x, so each task needs a heap of finish readings, and the next
completion is at tl + (min - V) / rate. With FCFS the heap holds real completion times of the
requests in service and a linked list (through `p_next`) holds the waiting ones.

Deadlines are arrival + a constant timeout, so they come in arrival order: a FIFO ring holds
them, and an entry whose request has already been answered (the pool entry is free or reused,
seen by its request id) is skipped. Responses after I/O sit in one heap of real times.
"""
from __future__ import annotations

import numpy as np

try:  # numba is a dependency; without it the kernel still runs (slowly) as plain Python.
    from numba import njit
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

    def njit(*args, **kwargs):
        if args and callable(args[0]):
            return args[0]
        return lambda f: f

# Status codes of run_ticks.
DONE, GROW_POOL, GROW_HEAP, GROW_OUT = 0, 1, 2, 3
# Routing algorithms, as integers for the kernel.
ROUND_ROBIN, LEAST_OUTSTANDING, WEIGHTED_RANDOM = 0, 1, 2
# Integer scalars of the state (sc) and float scalars (fl), by position.
SC_FREE_TOP, SC_IO_SIZE, SC_RING_HEAD, SC_RING_TAIL, SC_RR, SC_IN_FLIGHT, SC_LIVE, SC_OUT = range(8)
N_SC = 8
FL_T, FL_ACC_CPU, FL_ACC_HELD = range(3)
N_FL = 3

INF = np.inf


# ---------------------------------------------------------------------- binary heaps
@njit(cache=True, inline="always", error_model="numpy")
def _heap_push(keys, vals, row, size, key, val):
    """Push (key, val) into the min-heap keys[row, :size]; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[row, parent] <= key:
            break
        keys[row, i] = keys[row, parent]
        vals[row, i] = vals[row, parent]
        i = parent
    keys[row, i] = key
    vals[row, i] = val
    return size + 1


@njit(cache=True, inline="always", error_model="numpy")
def _heap_pop(keys, vals, row, size):
    """Remove the minimum of keys[row, :size]; returns the new size."""
    size -= 1
    if size == 0:
        return 0
    key = keys[row, size]
    val = vals[row, size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[row, c + 1] < keys[row, c]:
            c += 1
        if keys[row, c] >= key:
            break
        keys[row, i] = keys[row, c]
        vals[row, i] = vals[row, c]
        i = c
    keys[row, i] = key
    vals[row, i] = val
    return size


@njit(cache=True, inline="always", error_model="numpy")
def _io_push(keys, idx, rid, size, key, i, r):
    j = size
    while j > 0:
        parent = (j - 1) >> 1
        if keys[parent] <= key:
            break
        keys[j] = keys[parent]
        idx[j] = idx[parent]
        rid[j] = rid[parent]
        j = parent
    keys[j] = key
    idx[j] = i
    rid[j] = r
    return size + 1


@njit(cache=True, inline="always", error_model="numpy")
def _io_pop(keys, idx, rid, size):
    size -= 1
    if size == 0:
        return 0
    key = keys[size]
    i0 = idx[size]
    r0 = rid[size]
    j = 0
    while True:
        c = 2 * j + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[j] = keys[c]
        idx[j] = idx[c]
        rid[j] = rid[c]
        j = c
    keys[j] = key
    idx[j] = i0
    rid[j] = r0
    return size


@njit(cache=True, inline="always", error_model="numpy")
def _next_cpu(fcfs, n, v, tl, hmin, K, s):
    """Real time of a task's next CPU completion."""
    if n == 0:
        return INF
    if fcfs:
        return hmin
    rate = s if n <= K else s * K / n
    return tl + (hmin - v) / rate


@njit(cache=True, inline="always", error_model="numpy")
def _tree_update(win, tn, P, j):
    """Leaf j of the tournament tree changed: replay its matches up to the root."""
    i = (P + j) >> 1
    while i >= 1:
        a = win[2 * i]
        b = win[2 * i + 1]
        win[i] = a if tn[a] <= tn[b] else b
        i >>= 1


# ---------------------------------------------------------------------- the loop
@njit(cache=True, error_model="numpy")
def run_ticks(k_start, k_stop, k0, tick, arrivals, req_first,
              weights, cols, rows, serving, algorithm, fcfs, K, s, timeout, max_conc,
              rq_base, u_off, x_s, io_s, u_route,
              n_cpu, held, outst, V, tl, hsize, hkey, hval, qhead, qtail,
              p_alive, p_rid, p_slot, p_tarr, p_x, p_io, p_tstart, p_timed, p_next,
              free_stack, io_key, io_idx, io_rid, ring_idx, ring_rid, ring_dead, sc, fl,
              o_ok, o_504, o_e503, o_e502, o_t503, o_busy, o_held, o_lsum, hc_n,
              lo_tick, lo_lat, lo_wait):
    """Compute ticks [k_start, k_stop); returns (status, first tick not computed, next request).

    Column j is task slot cols[j], whose CPU heap is row rows[j] of hkey / hval (rows are
    handed out to the tasks of the view only). Per-tick outputs are indexed k - k0 (o_lsum: the sum of the ok latencies answered in it); hc_n[k - k0, j] is column j's number of requests in
    the CPU phase at the start of tick k (row k_stop - k0 is written when the stretch is done).
    """
    m = len(cols)
    H = hkey.shape[1]
    io_cap = len(io_key)
    ring_cap = len(ring_idx)
    ring_mask = ring_cap - 1          # the ring's capacity is a power of two
    out_cap = len(lo_tick)
    free_top = sc[SC_FREE_TOP]
    io_size = sc[SC_IO_SIZE]
    ring_head = sc[SC_RING_HEAD]
    ring_tail = sc[SC_RING_TAIL]
    rr = sc[SC_RR]
    in_flight = sc[SC_IN_FLIGHT]
    n_live = sc[SC_LIVE]
    n_out = sc[SC_OUT]
    tg = fl[FL_T]
    acc_cpu = fl[FL_ACC_CPU]
    acc_held = fl[FL_ACC_HELD]

    # Totals the integrals need, and each column's next CPU completion.
    busy = 0           # cores busy, summed over the columns (an integer: no rounding drift)
    held_total = 0
    # A tournament tree over the columns finds the earliest next CPU completion in O(1) and
    # updates in O(log m): leaves P..P+m-1 (padding leaves point at a column stuck at +inf).
    P = 1
    while P < m:
        P *= 2
    tn = np.full(m + 1, INF)
    win = np.full(2 * P, m, dtype=np.int64)
    for j in range(m):
        sl = cols[j]
        hr = rows[j]
        nj = n_cpu[sl]
        busy += min(nj, K)
        held_total += held[sl]
        tn[j] = _next_cpu(fcfs, nj, V[sl], tl[sl], hkey[hr, 0] if hsize[sl] > 0 else INF, K, s)
        win[P + j] = j
    for i in range(P - 1, 0, -1):
        a_ = win[2 * i]
        b_ = win[2 * i + 1]
        win[i] = a_ if tn[a_] <= tn[b_] else b_
    if m == 0:
        win[1] = 0

    routable = np.empty(m, dtype=np.int64)
    offs = np.empty(0)
    cum = np.empty(m)
    status = DONE
    k = k_start
    rq = req_first
    while k < k_stop:
        a = arrivals[k]
        r = k - k0
        # Room for this tick: every arrival may need a pool entry, a ring entry, a heap slot
        # and an I/O slot; every request alive now or arriving may be answered in it.
        max_h = 0
        for j in range(m):
            if hsize[cols[j]] > max_h:
                max_h = hsize[cols[j]]
        if free_top < a or io_cap - io_size < a or ring_cap - (ring_tail - ring_head) < a:
            status = GROW_POOL
            break
        if max_h + a > H:
            status = GROW_HEAP
            break
        if out_cap - n_out < n_live + a:
            status = GROW_OUT
            break

        T0 = k * tick
        T1 = (k + 1) * tick
        for j in range(m):
            hc_n[r, j] = n_cpu[cols[j]]
        # Routing of this tick: the columns with weight > 0.
        nr = 0
        total_w = 0.0
        equal = True
        w_first = 0.0
        for j in range(m):
            w = weights[r, j]
            if w > 0.0:
                if nr == 0:
                    w_first = w
                elif abs(w - w_first) > 1e-12 * w_first:
                    equal = False
                routable[nr] = j
                total_w += w
                cum[nr] = total_w
                nr += 1
        # The round robin pointer rotates over this tick's routable columns.
        rr_pos = rr % nr if nr > 0 else 0
        first = rq - rq_base
        # Arrival instants: the tick's uniforms, in ascending order.
        if len(offs) < a:
            offs = np.empty(2 * a)
        for q in range(a):
            offs[q] = u_off[first + q]
        offs[:a].sort()
        ai = 0
        ok_k = 0
        t504_k = 0
        e503_k = 0
        e502_k = 0
        t503_k = 0
        lsum_k = 0.0
        while True:
            ta = T0 + offs[ai] * tick if ai < a else INF
            jc = win[1]
            tc = tn[jc]
            ti = io_key[0] if io_size > 0 else INF
            td = ring_dead[ring_head & ring_mask] if ring_tail > ring_head else INF
            t = min(min(ta, tc), min(ti, td))
            if t >= T1:
                break
            acc_cpu += s * busy * (t - tg)
            acc_held += held_total * (t - tg)
            tg = t
            if ti <= t or tc <= t:
                if ti <= t:
                    # A response leaves after its I/O time (or a stale entry of a killed task).
                    idx = io_idx[0]
                    rid = io_rid[0]
                    io_size = _io_pop(io_key, io_idx, io_rid, io_size)
                    if not (p_alive[idx] and p_rid[idx] == rid):
                        continue
                else:
                    # CPU completion on column jc.
                    sl = cols[jc]
                    hr = rows[jc]
                    idx = hval[hr, 0]
                    nj = n_cpu[sl]
                    if fcfs:
                        hsize[sl] = _heap_pop(hkey, hval, hr, hsize[sl])
                        nj -= 1
                        if nj >= K:
                            # The next waiting request takes the freed server.
                            w_idx = qhead[sl]
                            qhead[sl] = p_next[w_idx]
                            if qhead[sl] < 0:
                                qtail[sl] = -1
                            p_tstart[w_idx] = t
                            hsize[sl] = _heap_push(hkey, hval, hr, hsize[sl],
                                                   t + p_x[w_idx] / s, w_idx)
                    else:
                        V[sl] = hkey[hr, 0]
                        tl[sl] = t
                        hsize[sl] = _heap_pop(hkey, hval, hr, hsize[sl])
                        nj -= 1
                        if nj == 0:
                            V[sl] = 0.0
                    busy -= min(nj + 1, K) - min(nj, K)
                    n_cpu[sl] = nj
                    tn[jc] = _next_cpu(fcfs, nj, V[sl], tl[sl],
                                       hkey[hr, 0] if hsize[sl] > 0 else INF, K, s)
                    _tree_update(win, tn, P, jc)
                    if p_io[idx] > 0.0:
                        io_size = _io_push(io_key, io_idx, io_rid, io_size, t + p_io[idx],
                                           idx, p_rid[idx])
                        continue
                # The response is sent at t.
                sl = p_slot[idx]
                held[sl] -= 1
                held_total -= 1
                if not p_timed[idx]:
                    ok_k += 1
                    in_flight -= 1
                    outst[sl] -= 1
                    lat = t - p_tarr[idx]
                    lsum_k += lat
                    lo_tick[n_out] = k
                    lo_lat[n_out] = lat
                    lo_wait[n_out] = p_tstart[idx] - p_tarr[idx]
                    n_out += 1
                p_alive[idx] = False
                free_stack[free_top] = idx
                free_top += 1
                n_live -= 1
            elif td <= t and td < ta:
                # A deadline: the load balancer answers 504 if the task has not.
                pos = ring_head & ring_mask
                idx = ring_idx[pos]
                if p_alive[idx] and p_rid[idx] == ring_rid[pos] and not p_timed[idx]:
                    p_timed[idx] = True
                    t504_k += 1
                    in_flight -= 1
                    outst[p_slot[idx]] -= 1
                ring_head += 1
            else:
                # An arrival.
                rid = rq + ai
                i_r = first + ai
                ai += 1
                if nr == 0:
                    e503_k += 1
                    continue
                if algorithm == LEAST_OUTSTANDING:
                    j = routable[0]
                    best = outst[cols[j]]
                    for q in range(1, nr):
                        jq = routable[q]
                        if outst[cols[jq]] < best:
                            best = outst[cols[jq]]
                            j = jq
                elif algorithm == ROUND_ROBIN and equal:
                    j = routable[rr_pos]
                    rr_pos += 1
                    if rr_pos == nr:
                        rr_pos = 0
                else:
                    u = u_route[i_r] * total_w
                    q = 0
                    while q < nr - 1 and cum[q] <= u:
                        q += 1
                    j = routable[q]
                    if algorithm == ROUND_ROBIN:
                        rr_pos += 1
                        if rr_pos >= nr:
                            rr_pos = 0
                if not serving[j]:
                    e502_k += 1
                    continue
                sl = cols[j]
                hr = rows[j]
                if held[sl] >= max_conc:
                    t503_k += 1
                    continue
                free_top -= 1
                idx = free_stack[free_top]
                p_alive[idx] = True
                p_rid[idx] = rid
                p_slot[idx] = sl
                p_tarr[idx] = t
                x = x_s[i_r]
                p_x[idx] = x
                p_io[idx] = io_s[i_r]
                p_tstart[idx] = t
                p_timed[idx] = False
                p_next[idx] = -1
                n_live += 1
                in_flight += 1
                held[sl] += 1
                outst[sl] += 1
                held_total += 1
                pos = ring_tail & ring_mask
                ring_idx[pos] = idx
                ring_rid[pos] = rid
                ring_dead[pos] = t + timeout
                ring_tail += 1
                nj = n_cpu[sl]
                if fcfs:
                    if nj < K:
                        hsize[sl] = _heap_push(hkey, hval, hr, hsize[sl], t + x / s, idx)
                    else:
                        if qtail[sl] < 0:
                            qhead[sl] = idx
                        else:
                            p_next[qtail[sl]] = idx
                        qtail[sl] = idx
                else:
                    if nj > 0:
                        V[sl] += (t - tl[sl]) * (s if nj <= K else s * K / nj)
                    tl[sl] = t
                    hsize[sl] = _heap_push(hkey, hval, hr, hsize[sl], V[sl] + x, idx)
                busy += min(nj + 1, K) - min(nj, K)
                n_cpu[sl] = nj + 1
                tn[j] = _next_cpu(fcfs, nj + 1, V[sl], tl[sl], hkey[hr, 0], K, s)
                _tree_update(win, tn, P, j)
        rr = rr_pos
        acc_cpu += s * busy * (T1 - tg)
        acc_held += held_total * (T1 - tg)
        tg = T1
        o_ok[r] += ok_k
        o_504[r] += t504_k
        o_e503[r] += e503_k
        o_e502[r] += e502_k
        o_t503[r] += t503_k
        o_busy[r] += acc_cpu
        o_held[r] += acc_held
        o_lsum[r] += lsum_k
        acc_cpu = 0.0
        acc_held = 0.0
        rq += a
        k += 1

    if status == DONE:
        for j in range(m):
            hc_n[k_stop - k0, j] = n_cpu[cols[j]]
    sc[SC_FREE_TOP] = free_top
    sc[SC_IO_SIZE] = io_size
    sc[SC_RING_HEAD] = ring_head
    sc[SC_RING_TAIL] = ring_tail
    sc[SC_RR] = rr
    sc[SC_IN_FLIGHT] = in_flight
    sc[SC_LIVE] = n_live
    sc[SC_OUT] = n_out
    fl[FL_T] = tg
    fl[FL_ACC_CPU] = acc_cpu
    fl[FL_ACC_HELD] = acc_held
    return status, k, rq
