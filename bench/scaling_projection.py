#!/usr/bin/env python3
"""Projected wall time of nightly scoring and of bootstrap retrains on 1..64 nodes (docs/scaling.md).

    T(nodes) = serial part + work / (ranks x rate) + communication + file I/O

Every constant is an option; the defaults are the values measured and assumed in docs/scaling.md.
Prints the markdown tables of that document. Standard library only."""
import argparse
import math

# Caf sizes do not matter beyond the largest one: LPT over 101 Cafs gives a makespan close to
# max(total / ranks, largest Caf) (within 4/3 of optimal; in practice within a few %).
NODES = [1, 2, 4, 8, 16, 32, 64]


def score_time(a, nodes):
    ranks = nodes * a.ranks_per_node
    per_rank_rows = max(a.dossiers / ranks, a.largest_caf)
    compute = per_rank_rows / a.score_rate
    # Input columns and output rows travel through the parallel file system: the slower of the
    # file system's aggregate bandwidth and the nodes' network links.
    bw = min(a.fs_gbs, nodes * a.node_gbs) * 1e9
    io = a.dossiers * (a.score_in_bytes + a.score_out_bytes) / bw
    # Per-rank messages: 2^20-bin int64 histogram allreduce (8 MB), small allreduces, Caf summary
    # gather (~100 B per Caf), error allgathers; ring/Rabenseifner allreduce moves ~2x the buffer.
    comm = (2 * a.hist_bytes / (a.node_gbs * 1e9 / a.ranks_per_node) if ranks > 1 else 0.0) \
        + 20 * math.ceil(math.log2(max(ranks, 2))) * a.latency_s
    serial = a.startup_s + a.startup_per_log2 * math.log2(max(ranks, 1))
    return serial + compute + io + comm, ranks


def train_time(a, nodes, replicates):
    ranks = nodes * a.ranks_per_node
    workers = max(ranks - 1, 1) if a.rank0_dispatches else ranks
    # Dynamic queue: whole waves of replicates, the last one partly idle; a replicate's cost varies
    # (number of steps): the makespan's tail is about one slow replicate.
    waves = math.ceil(replicates / workers)
    bootstrap = waves * a.replicate_s + (a.replicate_tail - 1) * a.replicate_s
    # Distributing the prepared table (read once, broadcast) and gathering each replicate's result
    # (selected effects, coefficients, OOB AUC: a few KB) on rank 0, which commits it to the checkpoint.
    bw = a.node_gbs * 1e9
    dist = a.table_bytes / bw * 2 + math.ceil(math.log2(max(ranks, 2))) * a.latency_s
    gather = replicates * (a.result_bytes / bw + a.latency_s)
    # Rank 0 flushes the checkpoint after each replicate: serial, so it bounds the rate at scale.
    checkpoint = replicates * a.flush_s
    # After the bootstrap: k-fold cross-validation of the selection (k stepwise fits, spread over the
    # ranks), then the interaction tests and the final refit (about one replicate on one rank).
    after = (math.ceil(a.cv_folds / workers) + 1) * a.replicate_s
    serial = a.startup_s + a.startup_per_log2 * math.log2(max(ranks, 1))
    total = serial + dist + max(bootstrap, checkpoint) + gather + after
    return total, ranks


def fmt(seconds):
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ranks-per-node", type=int, default=32)
    ap.add_argument("--dossiers", type=float, default=13.8e6)
    ap.add_argument("--largest-caf", type=float, default=620e3, help="dossiers of the largest Caf (Nord)")
    ap.add_argument("--score-rate", type=float, default=0.97e6, help="dossiers/s per rank, full scoring work")
    ap.add_argument("--score-in-bytes", type=float, default=100 * 4, help="bytes read per dossier")
    ap.add_argument("--score-out-bytes", type=float, default=79, help="bytes written per dossier")
    ap.add_argument("--hist-bytes", type=float, default=8 * 2**20)
    ap.add_argument("--replicate-s", type=float, default=16.5, help="seconds of one bootstrap replicate on one rank")
    ap.add_argument("--replicate-tail", type=float, default=1.5, help="slowest replicate / mean")
    ap.add_argument("--rank0-dispatches", action="store_true", help="rank 0 only hands out work")
    ap.add_argument("--cv-folds", type=int, default=10)
    ap.add_argument("--table-bytes", type=float, default=14087 * 1700 * 8.0)
    ap.add_argument("--result-bytes", type=float, default=4096)
    ap.add_argument("--flush-s", type=float, default=0.005, help="checkpoint commit on rank 0 (parallel FS)")
    ap.add_argument("--startup-s", type=float, default=0.5, help="launch + open files at 1 rank")
    ap.add_argument("--startup-per-log2", type=float, default=0.15, help="launch cost per doubling of ranks")
    ap.add_argument("--latency-s", type=float, default=3e-6)
    ap.add_argument("--node-gbs", type=float, default=10.0, help="network GB/s per node")
    ap.add_argument("--fs-gbs", type=float, default=20.0, help="parallel file system aggregate GB/s")
    a = ap.parse_args()

    print("| nodes | ranks | nightly scoring | retrain 300 replicates | retrain 3,000 replicates |")
    print("|---:|---:|---:|---:|---:|")
    rpn = a.ranks_per_node
    a.ranks_per_node = 1
    ts, _ = score_time(a, 1)
    t300, _ = train_time(a, 1, 300)
    t3000, _ = train_time(a, 1, 3000)
    print(f"| 1 rank | 1 | {fmt(ts)} | {fmt(t300)} | {fmt(t3000)} |")
    a.ranks_per_node = rpn
    for n in NODES:
        ts, ranks = score_time(a, n)
        t300, _ = train_time(a, n, 300)
        t3000, _ = train_time(a, n, 3000)
        print(f"| {n} | {ranks} | {fmt(ts)} | {fmt(t300)} | {fmt(t3000)} |")


if __name__ == "__main__":
    main()
