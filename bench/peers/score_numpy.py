#!/usr/bin/python3
"""h5py + numpy peer of `dmde score` for bench/score_bench.sh: the same full work (spec applied to
each model input, linear predictor, top-3 reason codes, per-Caf ranks/percentiles/flags, national
percentiles, Caf summary, drift counts, output written) from the model's JSON export
(`dmde score-fixture --json`). Run with Debian's /usr/bin/python3 (h5py, numpy).

usage: score_numpy.py MODEL.json POPULATION.h5 OUT.h5 [--top 5] [--chunk 1048576] [--check DMDE_SCORES.h5 [--strict]]
--strict: exit 1 unless dmde's output agrees (probabilities to 1e-12, ranks, flags and the three
reason codes exactly, national percentiles within dmde's documented bound); used by ctest.
"""
import argparse
import json
import math
import time

import h5py
import numpy as np


def code_input(inp, raw, pop_levels):
    if inp["by_code"]:
        return raw.astype(np.int64)
    if inp["categorical"]:
        cls = {name: c for name, c in zip(inp["levels"], inp["level_class"])}
        table = np.array([cls.get(l, inp["unseen_class"]) for l in pop_levels] + [inp["missing_class"]], dtype=np.int64)
        return table[np.where(np.isnan(raw), len(pop_levels), np.nan_to_num(raw)).astype(np.int64)]
    codes = np.searchsorted(np.asarray(inp["cuts"], dtype=np.float32), raw, side="left").astype(np.int64)
    codes[~np.isfinite(raw)] = inp["missing_class"]
    return codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("population")
    ap.add_argument("out")
    ap.add_argument("--top", type=float, default=5.0)
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--check", default="")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    t0 = time.perf_counter()
    m = json.load(open(a.model))
    f = h5py.File(a.population, "r")
    caf = f["caf"][:]
    ids = f["id"][:]
    n = len(ids)
    inputs, terms = m["inputs"], m["terms"]
    levels = {}
    for inp in inputs:
        d = f["variables"][inp["variable"]]
        levels[inp["variable"]] = [x.decode() if isinstance(x, bytes) else str(x) for x in d.attrs.get("levels", [])]
    eta = np.empty(n)
    reason = np.empty((n, 3), dtype=np.int16)
    contrib = np.empty((n, 3))
    class_counts = [np.zeros(inp["n_classes"], dtype=np.int64) for inp in inputs]
    betas = [np.asarray(t["beta"]) for t in terms]
    for off in range(0, n, a.chunk):
        end = min(n, off + a.chunk)
        codes = []
        for k, inp in enumerate(inputs):
            d = f["variables"][inp["variable"]]
            raw = d[off:end]
            if inp["categorical"]:
                raw = np.where(raw < 0, np.nan, raw).astype(np.float32)
            c = code_input(inp, raw, levels[inp["variable"]])
            class_counts[k] += np.bincount(c, minlength=inp["n_classes"])
            codes.append(c)
        e = np.full(end - off, m["intercept"])
        C = np.empty((end - off, len(terms)))
        for j, t in enumerate(terms):
            cell = codes[t["inputs"][0]]
            if len(t["inputs"]) > 1:
                cell = cell + t["n_levels"][0] * codes[t["inputs"][1]]
            v = betas[j][cell]
            e += v
            C[:, j] = v - t["reference"]
        eta[off:end] = e
        top = np.argsort(-C, axis=1, kind="stable")[:, :3]  # ties: lower effect index first
        reason[off:end] = top
        contrib[off:end] = np.take_along_axis(C, top, axis=1)
    prob = 1.0 / (1.0 + np.exp(-eta))
    # Per Caf: rank by probability desc then id asc; midrank percentile; top-k flag.
    order = np.lexsort((ids, -prob, caf))
    scaf = caf[order]
    starts = np.flatnonzero(np.r_[True, scaf[1:] != scaf[:-1]])
    ends = np.r_[starts[1:], n]
    rank = np.empty(n, dtype=np.int32)
    pct_caf = np.empty(n)
    flag = np.zeros(n, dtype=np.uint8)
    cafs, count, mean, dec, flagged = [], [], [], [], []
    for s, e in zip(starts, ends):
        rows = order[s:e]
        k = e - s
        rank[rows] = np.arange(1, k + 1)
        p = prob[rows]
        asc = p[::-1]
        lower = np.searchsorted(asc, p, "left")
        equal = np.searchsorted(asc, p, "right") - lower
        pct_caf[rows] = 100.0 * (lower + 0.5 * equal) / k
        top = math.ceil(a.top * k / 100.0 - 1e-9)
        flag[rows[:top]] = 1
        cafs.append(scaf[s]); count.append(k); mean.append(p.mean()); flagged.append(min(top, k))
        dec.append(np.quantile(asc, np.arange(1, 10) / 10.0))
    srt = np.sort(prob)
    lower = np.searchsorted(srt, prob, "left")
    pct_nat = 100.0 * (lower + 0.5 * (np.searchsorted(srt, prob, "right") - lower)) / n
    psi = []
    for inp, cc in zip(inputs, class_counts):
        if not inp["learn_share"]:
            psi.append(np.nan)
            continue
        ex = np.maximum(np.asarray(inp["learn_share"]), 1e-4)
        ac = np.maximum(cc / cc.sum(), 1e-4)
        psi.append(float(((ac - ex) * np.log(ac / ex)).sum()))
    with h5py.File(a.out + ".partial", "w") as o:
        o["id"] = ids
        o["caf"] = caf
        g = o.create_group("score")
        g["eta"], g["probability"], g["rank_caf"], g["pct_caf"] = eta, prob, rank, pct_caf
        g["pct_national"], g["flag_top"] = pct_nat, flag
        for k in range(3):
            g[f"reason{k + 1}"] = reason[:, k]
            g[f"reason{k + 1}_contrib"] = contrib[:, k]
        s = o.create_group("caf_summary")
        s["caf"], s["count"], s["mean"], s["deciles"], s["flagged"] = cafs, count, mean, np.array(dec), flagged
        o.create_group("drift")["psi"] = psi
    import os
    os.replace(a.out + ".partial", a.out)
    secs = time.perf_counter() - t0
    print(f"numpy_seconds {secs:.4f}")
    if a.check:  # agreement with dmde's output (national percentiles: within dmde's documented bound)
        c = h5py.File(a.check, "r")["score"]
        dprob = np.abs(c["probability"][:] - prob).max()
        ranks_ok = bool((c["rank_caf"][:] == rank).all())
        flags_ok = bool((c["flag_top"][:] == flag).all())
        reasons_ok = all(bool((c["reason%d" % (k + 1)][:] == reason[:, k]).all()) for k in range(3))
        dpct, bound = np.abs(c["pct_national"][:] - pct_nat).max(), c["pct_national"].attrs["max_error"]
        print("check max|dprob| %.3g, ranks equal %s, flags equal %s, reasons equal %s, max|dpct_national| %.3g (bound %.3g)" % (
            dprob, ranks_ok, flags_ok, reasons_ok, dpct, bound))
        if a.strict and not (dprob <= 1e-12 and ranks_ok and flags_ok and reasons_ok and dpct <= bound + 1e-12):
            raise SystemExit("score_numpy: dmde's output disagrees with the numpy computation")

if __name__ == "__main__":
    main()
