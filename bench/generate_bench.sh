#!/usr/bin/env bash
# Generation speed vs disk speed: `dmde generate population` (default 13.8 M dossiers x 100
# variables, float32) at 1 and 2 ranks, each timed up to a final `sync`, against a dd-style raw
# write of the same byte count to the same directory (also up to `sync`). Prints rows/s, MB/s and
# the ratio generate/dd (1.0 = disk-bound). Also prints dd with oflag=direct (no page cache: the
# device's own speed; dmde writes its data that way, see src/core/chunk_writer.hpp).
#
#   bench/generate_bench.sh            env: DMDE_BUILD (build dir), DMDE_BENCH_WORK (scratch dir,
#                                      default ./bench-work), GEN_ROWS, GEN_VARS, GEN_RANKS ("1 2"),
#                                      DMDE_BENCH_JSON (write the results there as JSON),
#                                      GEN_MPI_ARGS (default "--bind-to none": each rank runs a compute
#                                      thread beside its writing thread, so it must not be pinned to one core),
#                                      GEN_BASELINE (another dmde executable, e.g. an older build: timed too,
#                                      in the same run, as "baseline")
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${DMDE_BUILD:-$src/build}
dmde=$build/dmde
work=${DMDE_BENCH_WORK:-$PWD/bench-work}
rows=${GEN_ROWS:-13800000}
vars=${GEN_VARS:-100}
ranks=${GEN_RANKS:-1 2}
mpi_args=${GEN_MPI_ARGS---bind-to none}
[[ -x $dmde ]] || { echo "generate_bench: no dmde at $dmde (set DMDE_BUILD)" >&2; exit 2; }
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 HDF5_USE_FILE_LOCKING=FALSE
now() { date +%s.%N; }
rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

out=$work/gen_bench_pop.h5
json="{\"rows\": $rows, \"vars\": $vars, \"runs\": ["
sep=
bytes=0
baseline=${GEN_BASELINE:-}
bjson=
for np in $ranks; do
  for exe in ${baseline:+"$baseline"} "$dmde"; do
    rm -f "$out"
    sync
    t0=$(now)
    mpirun --oversubscribe $mpi_args -np "$np" "$exe" --log-level warn generate population -o "$out" --rows "$rows" --vars "$vars"
    sync
    t1=$(now)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    rps=$(rate "$rows" "$secs")
    if [[ $exe == "$baseline" ]]; then
      bbytes=$(stat -c %s "$out")
      echo "baseline ($exe): ranks=$np bytes=$bbytes seconds=$secs rows/s=$rps MB/s=$(rate "$((bbytes / 1000000))" "$secs")"
      bjson+="${bjson:+, }{\"ranks\": $np, \"seconds\": $secs, \"rows_per_s\": $rps}"
      continue
    fi
    bytes=$(stat -c %s "$out")
    mbs=$(rate "$((bytes / 1000000))" "$secs")
    echo "generate population: ranks=$np rows=$rows vars=$vars bytes=$bytes seconds=$secs rows/s=$rps MB/s=$mbs"
    json+="$sep{\"ranks\": $np, \"seconds\": $secs, \"bytes\": $bytes, \"rows_per_s\": $rps, \"mb_per_s\": $mbs}"
    sep=", "
  done
done
rm -f "$out"

# Disk reference: the same byte count, raw sequential writes, to the same directory.
ref=$work/gen_bench_dd.bin
sync
t0=$(now)
dd if=/dev/zero of="$ref" bs=8M count=$(((bytes + 8388607) / 8388608)) status=none
sync
t1=$(now)
rm -f "$ref"
dsecs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
dmbs=$(rate "$((bytes / 1000000))" "$dsecs")
echo "dd reference: bytes=$bytes seconds=$dsecs MB/s=$dmbs"
# The device without the page cache (falls back silently to nothing where O_DIRECT is refused).
t0=$(now)
if dd if=/dev/zero of="$ref" bs=8M count=$(((bytes + 8388607) / 8388608)) oflag=direct status=none 2>/dev/null; then
  sync
  t1=$(now)
  xsecs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  echo "dd oflag=direct: bytes=$bytes seconds=$xsecs MB/s=$(rate "$((bytes / 1000000))" "$xsecs")"
  json+="], \"dd_direct_seconds\": $xsecs"
else
  json+="]"
fi
rm -f "$ref"
ratio() { echo "$1" | grep -o '"ranks": [0-9]*, "seconds": [0-9.]*' | awk -v d="$dsecs" -v l="$2" '{ gsub(",", ""); printf "  %sranks=%s ratio=%.2f\n", l, $2, d / $4 }'; }
echo "ratio generate/dd MB/s (1.0 = disk speed):"
ratio "$json" ""
if [[ -n $bjson ]]; then
  ratio "$bjson" "baseline "
  json+=", \"baseline\": [$bjson]"
fi
json+=", \"dd_seconds\": $dsecs, \"dd_mb_per_s\": $dmbs"
json+="}"
if [[ -n ${DMDE_BENCH_JSON:-} ]]; then echo "$json" >"$DMDE_BENCH_JSON"; fi
