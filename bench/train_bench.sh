#!/usr/bin/env bash
# Retrain benchmark (issue 5): the bootstrap selection stage of `dmde train` (R replicates of the
# SAS stepwise over the prepared candidates) on the default learning table after `dmde prepare`,
# at 1 and 2 ranks in one run. Targets: 300 replicates < 600 s on the 2-core machine; speed-up
# 1 -> 2 ranks >= 1.8. Also checks that both runs give the same bootstrap output (bit-identical).
# The per-step score-test kernel speed (GFLOP/s vs a plain GEMM of the same shape) is in dmde_bench:
# BM_TrainScoreStep / BM_TrainGemmPeer (bench/train_bench.cpp).
#
#   bench/train_bench.sh [--replicates R] [--ranks "1 2"] [--work DIR]
# Inputs are made once and cached in --work (default $DMDE_BUILD/bench-train). JSON summary to
# $DMDE_BENCH_JSON when set.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${DMDE_BUILD:-$src/build}
reps=300 ranks="1 2" work=
while (($#)); do
  case $1 in
    --replicates) reps=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "train_bench.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
work=${work:-$build/bench-train}
mkdir -p "$work"
dmde=$build/dmde
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
mpi() { local np=$1; shift; mpirun -np "$np" --oversubscribe --bind-to none "$@"; }
[[ -f $work/learning.h5 ]] || mpi 2 "$dmde" generate learning -o "$work/learning.h5" --seed 20190201
[[ -f $work/prepared.h5 ]] || mpi 2 "$dmde" prepare --table "$work/learning.h5" --target target_c4 -o "$work/prepared.h5"

declare -A secs
for np in $ranks; do
  out=$work/model_np$np.dmde
  rm -f "$out".bootstrap.h5*
  t0=$(date +%s.%N)
  mpi "$np" "$dmde" train --table "$work/prepared.h5" -o "$out" --stage bootstrap --replicates "$reps" \
    --no-progress >"$work/train_np$np.log" 2>&1
  t1=$(date +%s.%N)
  secs[$np]=$(echo "$t1 - $t0" | bc -l)
  printf 'train bootstrap: %d replicates at %d rank(s): %.1f s\n' "$reps" "$np" "${secs[$np]}"
done
set -- $ranks
first=$1 last=${!#}
speedup=$(echo "${secs[$first]} / ${secs[$last]}" | bc -l)
same=no
if [[ $first != "$last" ]] && h5diff -q "$work/model_np$first.dmde.bootstrap.h5" "$work/model_np$last.dmde.bootstrap.h5"; then same=yes; fi
printf 'speed-up %s -> %s ranks: %.2fx (target >= 1.8); outputs identical: %s\n' "$first" "$last" "$speedup" "$same"
per300=$(echo "${secs[$first]} * 300 / $reps" | bc -l)
printf 'projected 300 replicates at %s rank(s): %.0f s (target < 600 s at 2 ranks)\n' "$first" "$per300"
if [[ -n ${DMDE_BENCH_JSON:-} ]]; then
  printf '{"bench":"train","replicates":%d,"seconds":{%s},"speedup":%.3f,"identical":"%s"}\n' "$reps" \
    "$(for np in $ranks; do printf '"%s":%.2f,' "$np" "${secs[$np]}"; done | sed 's/,$//')" "$speedup" "$same" \
    >"$DMDE_BENCH_JSON"
fi
