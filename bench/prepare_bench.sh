#!/usr/bin/env bash
# Data-management speed: `dmde prepare` on the default learning table (14,087 x 1,700, made once by
# `dmde generate learning`) at each rank count, with the correlation (association) block timed
# separately from the report JSON; prints the association speed-up against the 1-rank run and
# checks that the spec is byte-identical at every rank count.
#
#   bench/prepare_bench.sh      env: DMDE_BUILD (build dir), DMDE_BENCH_WORK (scratch dir, default
#                               ./bench-work), PREP_ROWS (14087), PREP_VARS (1700), PREP_RANKS ("1 2"),
#                               PREP_TARGET (target_c4), DMDE_BENCH_JSON (write the results there)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${DMDE_BUILD:-$src/build}
dmde=$build/dmde
work=${DMDE_BENCH_WORK:-$PWD/bench-work}
rows=${PREP_ROWS:-14087}
vars=${PREP_VARS:-1700}
ranks=${PREP_RANKS:-1 2}
target=${PREP_TARGET:-target_c4}
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
[[ -x $dmde ]] || { echo "prepare_bench: no dmde at $dmde (set DMDE_BUILD)" >&2; exit 2; }
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
now() { date +%s.%N; }

learn=$work/prep_bench_learning_${rows}x${vars}.h5
if [[ ! -f $learn ]]; then
  "$dmde" --log-level warn generate learning -o "$learn" --rows "$rows" --vars "$vars"
fi

json="{\"rows\": $rows, \"vars\": $vars, \"load_average\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"runs\": ["
sep=
assoc1=
for np in $ranks; do
  out=$work/prep_bench_np$np.h5
  rm -f "$out"
  t0=$(now)
  mpirun --oversubscribe -np "$np" "$dmde" --log-level warn prepare --table "$learn" --target "$target" -o "$out" >/dev/null
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  read -r screen assoc clus pairs kept < <("$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timing_seconds"]
print(t["screening"], t["association"], t["clustering"], r["pairs"], sum(v["status"] == "kept" for v in r["variables"]))
' "${out%.h5}.report.json")
  [[ -z $assoc1 ]] && assoc1=$assoc
  speedup=$(awk -v a="$assoc1" -v b="$assoc" 'BEGIN { printf "%.2f", a / b }')
  same=yes
  cmp -s "$work/prep_bench_np${ranks%% *}.spec" "${out%.h5}.spec" || same=no
  echo "prepare: ranks=$np total=${secs}s screening=${screen}s association=${assoc}s (pairs=$pairs, x$speedup vs first run) clustering=${clus}s kept=$kept spec_identical=$same"
  json+="$sep{\"ranks\": $np, \"seconds\": $secs, \"screening_s\": $screen, \"association_s\": $assoc, \"clustering_s\": $clus, \"pairs\": $pairs, \"kept\": $kept, \"association_speedup\": $speedup, \"spec_identical\": \"$same\"}"
  sep=", "
done
json+="]}"
[[ -n ${DMDE_BENCH_JSON:-} ]] && echo "$json" >"$DMDE_BENCH_JSON"
echo "$json"
