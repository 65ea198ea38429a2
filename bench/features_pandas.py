#!/usr/bin/python3
"""bench/features_pandas.py: the numpy/pandas baseline of bench/features.mjs.

The same two computations as the library's columnar calculators, written the way a pandas
user would (vectorised numpy, pandas rolling windows), with the library's definitions:

  (a) best-level OFI per quote update (Cont, Kukanov & Stoikov 2014), stale update ids dropped,
      then a rolling z-score over the last W flows, scored against the window *before* each
      point with the sample standard deviation: ``(x - s.rolling(W).mean().shift(1)) /
      s.rolling(W).std().shift(1)``, 0 where that std is 0;
  (b) the whole feature fusion with the library's defaults: OFI and CVD (market prints) summed
      over the last second, each z-scored over the 60 s before the point (at least 30 points),
      score = 0.6 z_ofi + 0.4 z_cvd, side at |score| > 1, consistency
      1 - |z_ofi - z_cvd| / (|z_ofi| + |z_cvd|), and price/CVD divergence on confirmed 5/5
      pivots of the 1 s sampled (mid, cumulative CVD) points, reported for 60 s.

    /usr/bin/python3 bench/features_pandas.py DIR [--window 1000] [--reps 3] [--stride 7]

DIR holds the input columns as .npy files written by bench/features.mjs. Prints one JSON line
(seconds per run, best of --reps, loading excluded) and writes every --stride-th output row to
DIR/pandas-*.npy, and the divergences to DIR/pandas-divergences.json, for the comparison.

Run it with /usr/bin/python3, Debian's interpreter that `apt-get install python3-pandas` serves:
a python3 from pyenv or /usr/local earlier on PATH usually has no pandas.
"""
import argparse
import json
import sys
import time

try:
    import numpy as np
    import pandas as pd
    from pandas.api.indexers import BaseIndexer
except ImportError as err:  # the bench then runs the library side alone
    print(json.dumps({"error": f"pandas not available to {sys.executable}: {err}"}))
    sys.exit(3)

FLOW_MS = 1000.0  # flowWindow: both flows summed over the last second
Z_MS = 60_000.0  # z-score window
Z_MIN = 30  # z-score warm-up
W_OFI, W_CVD, THRESHOLD = 0.6, 0.4, 1.0
SAMPLE_MS, TTL_MS, LEFT, RIGHT, MAX_GAP = 1000.0, 60_000.0, 5, 5, 100
TYPES = ["regular-bearish", "regular-bullish", "hidden-bearish", "hidden-bullish"]


def shifted(a, first):
    """a moved one place later, `first` in front."""
    out = np.empty_like(a)
    out[0] = first
    out[1:] = a[:-1]
    return out


def gate(ids, bp, bq, ap, aq):
    """Quotes to use: the update id above the highest accepted one (NaN ids are never stale),
    and no side with a price but an unusable size (such a quote does not move the guard)."""
    invalid = (np.isfinite(bp) & ~np.isfinite(bq)) | (np.isfinite(ap) & ~np.isfinite(aq))
    highest = np.fmax.accumulate(np.where(invalid, np.nan, ids))  # stale ids never raise it
    return ~(ids <= shifted(highest, -np.inf)) & ~invalid


def ofi_e(bp, bq, ap, aq):
    """e_n of every quote after the first (an empty side: a queue of 0 at the worst price)."""
    eb = ~np.isfinite(bp)
    ea = ~np.isfinite(ap)
    bp, bq = np.where(eb, -np.inf, bp), np.where(eb, 0.0, bq)
    ap, aq = np.where(ea, np.inf, ap), np.where(ea, 0.0, aq)
    pb, qb, pa, qa = bp[:-1], bq[:-1], ap[:-1], aq[:-1]
    b, q, a, r = bp[1:], bq[1:], ap[1:], aq[1:]
    return np.where(b >= pb, q, 0.0) - np.where(b <= pb, qb, 0.0) - np.where(a <= pa, r, 0.0) + np.where(a >= pa, qa, 0.0)


def zscore(x, mean, sd):
    """(x - mean) / sd, 0 for a window without dispersion, NaN while warming up."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, (x - mean) / sd, np.where(np.isnan(sd), np.nan, 0.0))


class PriorWindow(BaseIndexer):
    """Row i's window: the rows j < i with t_j > t_i - span (the window before the point)."""

    def get_window_bounds(self, num_values=0, min_periods=None, center=None, closed=None, step=None):
        return self.start, self.end


def zscore_prior_time(x, t, span, min_periods):
    """Rolling z-score over a time window, scored against the points before x (the clock is
    monotone: a timestamp that goes back reads as the latest one)."""
    tc = np.fmax.accumulate(t)
    start = np.searchsorted(tc, tc - span, side="right").astype(np.int64)
    end = np.arange(len(x), dtype=np.int64)
    r = pd.Series(x).rolling(PriorWindow(start=start, end=end), min_periods=min_periods)
    return zscore(x, r.mean().to_numpy(), r.std().to_numpy())


def rolling_time_sum(x, t_ms, span_ms):
    """Sum over (t - span, t], pandas' own time window on a DatetimeIndex."""
    idx = pd.to_datetime(t_ms, unit="ms")
    return pd.Series(x, index=idx).rolling(f"{int(span_ms)}ms").sum().to_numpy()


def carry(n, rows, values, before=np.nan):
    """values[k] from row rows[k] on until the next entry (NaN entries carried as they are)."""
    last = np.full(n, -1, dtype=np.int64)
    last[rows] = np.arange(len(rows))
    last = np.maximum.accumulate(last)
    out = values[np.maximum(last, 0)]
    out[last < 0] = before
    return out


def run_a(q, window):
    """(a) OFI per event + rolling z-score over `window` events (prior, sample std)."""
    nq = len(q["ts"])
    acc = np.flatnonzero(gate(q["updateId"], q["bidPrice"], q["bidQty"], q["askPrice"], q["askQty"]))
    e = ofi_e(q["bidPrice"][acc], q["bidQty"][acc], q["askPrice"][acc], q["askQty"][acc])
    out = np.full(nq, np.nan)
    if len(acc) < 2:
        return out
    first = acc[1]  # the first quote with a predecessor; a stale one after it adds 0
    flow = np.zeros(nq - first)
    flow[acc[1:] - first] = e
    s = pd.Series(flow)
    mean = s.rolling(window).mean().shift(1).to_numpy()
    sd = s.rolling(window).std().shift(1).to_numpy()
    out[first:] = zscore(flow, mean, sd)
    return out


def run_b(q, t):
    """(b) the whole fusion: rows are quotes and trades merged by ts, a quote first on ties."""
    qts, tts = q["ts"], t["ts"]
    nq, nt = len(qts), len(tts)
    n = nq + nt
    # quotes: the gate, OFI over the last second, its z-score
    acc = np.flatnonzero(gate(q["updateId"], q["bidPrice"], q["bidQty"], q["askPrice"], q["askQty"]))
    bp, ap = q["bidPrice"][acc], q["askPrice"][acc]
    e = ofi_e(bp, q["bidQty"][acc], ap, q["askQty"][acc])
    te = np.fmax.accumulate(qts[acc[1:]])
    z_ofi = zscore_prior_time(rolling_time_sum(e, te, FLOW_MS), te, Z_MS, Z_MIN)
    # trades: CVD of market prints over the last second (ready once a second has passed), its z-score
    sign = t["side"].astype(np.float64)
    market = t["market"].astype(bool)
    signed = np.where(market, sign * t["qty"], 0.0)
    tc = np.fmax.accumulate(tts)
    mi = np.flatnonzero(market)
    cvd1s = rolling_time_sum(signed[mi], tc[mi], FLOW_MS)
    ready = tc[mi] - tc[0] >= FLOW_MS
    zi = mi[ready]
    z_cvd = zscore_prior_time(cvd1s[ready], tts[zi], Z_MS, Z_MIN)
    cum = np.cumsum(signed)  # cumulative CVD after each trade, what divergence reads
    # the merge (both inputs are time-ordered, checked by the caller)
    pos_q = np.arange(nq) + np.searchsorted(tts, qts, side="left")
    pos_t = np.arange(nt) + np.searchsorted(qts, tts, side="right")
    row_ts = np.empty(n)
    row_ts[pos_q] = qts
    row_ts[pos_t] = tts
    zo = carry(n, pos_q[acc[1:]], z_ofi)
    zc = carry(n, pos_t[zi], z_cvd)
    ok = ~np.isnan(zo) & ~np.isnan(zc)
    score = W_OFI * zo + W_CVD * zc
    s = np.abs(zo) + np.abs(zc)
    with np.errstate(divide="ignore", invalid="ignore"):
        cons = np.where(s > 0, 1 - np.abs(zo - zc) / s, 0.0)
    cons[~ok] = np.nan
    side = np.where(score > THRESHOLD, 1, np.where(score < -THRESHOLD, -1, 0)).astype(np.int8)
    # divergence: a point per sampled interval that had events (mid and cumulative CVD as of its
    # end), taken when the first event at or after that end arrives
    mid_after = carry(n, pos_q[acc], 0.5 * (bp + ap))
    flow_after = carry(n, pos_t, cum, before=0.0)
    ev = np.sort(np.concatenate([pos_q[acc], pos_t]))  # rows that sample (not stale quotes)
    bucket = np.floor(row_ts[ev] / SAMPLE_MS)
    close = np.flatnonzero(bucket[1:] > bucket[:-1]) + 1
    p_ts = (bucket[close - 1] + 1) * SAMPLE_MS
    P = mid_after[ev[close] - 1]
    F = flow_after[ev[close] - 1]
    Ps = pd.Series(P)
    lmax, rmax = Ps.rolling(LEFT).max().shift(1).to_numpy(), Ps.rolling(RIGHT).max().shift(-RIGHT).to_numpy()
    lmin, rmin = Ps.rolling(LEFT).min().shift(1).to_numpy(), Ps.rolling(RIGHT).min().shift(-RIGHT).to_numpy()
    high = (P >= lmax) & (P > rmax)
    low = ~high & (P <= lmin) & (P < rmin)
    dets = []  # (knownIndex, type, first, second)
    for piv, up_kind, down_kind in ((np.flatnonzero(high), 2, 0), (np.flatnonzero(low), 3, 1)):
        # highs: price up & flow down = regular bearish (0), price down & flow up = hidden bearish (2)
        # lows:  price down & flow up = regular bullish (1), price up & flow down = hidden bullish (3)
        a, c = piv[:-1], piv[1:]
        near = c - a <= MAX_GAP
        dp, df = P[c] - P[a], F[c] - F[a]
        if up_kind == 2:
            kinds = np.where(near & (dp > 0) & (df < 0), 0, np.where(near & (dp < 0) & (df > 0), 2, -1))
        else:
            kinds = np.where(near & (dp < 0) & (df > 0), 1, np.where(near & (dp > 0) & (df < 0), 3, -1))
        for k in np.flatnonzero(kinds >= 0):
            dets.append((int(c[k]) + RIGHT, int(kinds[k]), int(a[k]), int(c[k])))
    dets.sort()
    det_known = np.array([d[0] for d in dets], dtype=np.int64)
    det_rows = ev[close[det_known]] if len(dets) else np.zeros(0, dtype=np.int64)
    det_ts = p_ts[det_known] if len(dets) else np.zeros(0)
    strength = np.empty(len(dets))
    for k, (_, _, a, c) in enumerate(dets):
        pr = np.ptp(P[a : c + 1])
        fr = np.ptp(F[a : c + 1])
        strength[k] = 0.5 * ((abs(P[c] - P[a]) / pr if pr > 0 else 0.0) + (abs(F[c] - F[a]) / fr if fr > 0 else 0.0))
    latest = np.searchsorted(det_rows, np.arange(n), side="right") - 1
    fresh = ok & (latest >= 0) & (row_ts - det_ts[np.maximum(latest, 0)] <= TTL_MS) if len(dets) else np.zeros(n, bool)
    div = np.where(fresh, latest, -1).astype(np.int32)
    divs = [
        {"type": TYPES[kind], "strength": float(strength[k]), "knownTs": float(p_ts[known]), "knownIndex": known,
         "first": {"index": a, "ts": float(p_ts[a]), "price": float(P[a]), "flow": float(F[a])},
         "second": {"index": c, "ts": float(p_ts[c]), "price": float(P[c]), "flow": float(F[c])}}
        for k, (known, kind, a, c) in enumerate(dets)
    ]
    return {"ts": row_ts, "z_ofi": np.where(ok, zo, np.nan), "z_cvd": np.where(ok, zc, np.nan), "score": np.where(ok, score, np.nan),
            "side": side, "consistency": cons, "divergence": div, "divergences": divs, "points": len(close)}


def best(reps, fn):
    """Best wall time of `reps` runs, and the last result."""
    best_s, cpu_s, out = float("inf"), float("inf"), None
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best_s:
            best_s, cpu_s = wall, time.process_time() - c0
    return best_s, cpu_s, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--stride", type=int, default=7)
    args = ap.parse_args()
    d = args.dir
    q = {k: np.load(f"{d}/quote-{k}.npy") for k in ("ts", "bidPrice", "bidQty", "askPrice", "askQty", "updateId")}
    t = {k: np.load(f"{d}/trade-{k}.npy") for k in ("ts", "price", "qty", "side", "market")}
    for name, ts in (("quote", q["ts"]), ("trade", t["ts"])):
        if np.any(ts[1:] < ts[:-1]):
            raise SystemExit(f"{name} ts go back: the vectorised merge here needs time-ordered input")
    sa, ca, za = best(args.reps, lambda: run_a(q, args.window))
    sb, cb, fb = best(args.reps, lambda: run_b(q, t))
    st = args.stride
    np.save(f"{d}/pandas-a-z.npy", za[::st])
    for k in ("ts", "z_ofi", "z_cvd", "score", "side", "consistency", "divergence"):
        np.save(f"{d}/pandas-b-{k}.npy", fb[k][::st])
    with open(f"{d}/pandas-divergences.json", "w") as f:
        json.dump(fb["divergences"], f)
    print(json.dumps({
        "python": sys.version.split()[0], "executable": sys.executable, "numpy": np.__version__, "pandas": pd.__version__,
        "a": {"events": len(q["ts"]), "s": sa, "cpu_s": ca}, "b": {"events": len(q["ts"]) + len(t["ts"]), "s": sb, "cpu_s": cb},
        "points": fb["points"], "divergences": len(fb["divergences"]),
    }))


if __name__ == "__main__":
    main()
