#!/usr/bin/env bash
# The dmde benchmark suite: one run, one machine-readable result file, one summary.
#
#   bench/run_all.sh [--build DIR] [--work DIR] [--out FILE] [--quick] [--ranks 1,2,4]
#                    [--only kernels,e2e,steps,peers]
#
# Sections (each skipped with a clear "not available" line when its piece does not exist yet):
#   kernels  Google Benchmark executable dmde_bench (IRLS fit, batched score tests, association,
#            scoring chunk, ...), JSON output embedded as is.
#   e2e      the chain generate learning -> generate population -> prepare -> train -> score, each
#            step timed under `mpirun -np N` for N in --ranks (4 is oversubscribed on 2 cores), with
#            peak RSS; sizes from DMDE_BENCH_* variables below (smaller with --quick).
#   steps    the per-step scripts bench/{generate,prepare,train,score}_bench.sh written with each
#            subcommand (full-size: 13.8 M dossiers, 300 replicates); skipped by --quick.
#   peers    bench/peers/*.sh (R glm; the h5py+numpy peer runs inside score_bench.sh) where R /
#            Debian's python3 are installed, so that ratios come from the same run; skipped by --quick.
# Each step script and peer gets DMDE_BENCH_JSON=<file>: a JSON object written there is embedded in
# the results; otherwise its last output lines are. Environment (CPU, cores, memory, compiler, Open
# MPI, HDF5, git commit, Slurm job, load average) is recorded. DMDE_BENCH_FILTER: a Google Benchmark
# regex selecting kernels. Result: --out (default <work>/bench-results.json).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
work=
out=
quick=0
ranks="1 2 4"
only="kernels,e2e,steps,peers"
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --ranks) ranks=${2//,/ }; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run_all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build=$(cd "$build" && pwd)
work=${work:-$build/bench-work}
mkdir -p "$work"/logs
work=$(cd "$work" && pwd)
out=${out:-$work/bench-results.json}
dmde=$build/dmde
[[ -x $dmde ]] || { echo "run_all.sh: $dmde not found: build dmde first" >&2; exit 2; }
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || { echo "run_all.sh: python3 needed to collect results" >&2; exit 2; }

# Sizes: the defaults keep the whole suite within minutes on 2 cores; per-row and per-replicate
# costs, not totals, are what docs/scaling.md extrapolates from.
if ((quick)); then
  : "${DMDE_BENCH_LEARNING_ROWS:=2000}" "${DMDE_BENCH_VARS:=40}" "${DMDE_BENCH_POP_ROWS:=20000}"
  : "${DMDE_BENCH_REPLICATES:=4}" "${DMDE_BENCH_MIN_TIME:=0.01}"
else
  : "${DMDE_BENCH_LEARNING_ROWS:=14087}" "${DMDE_BENCH_VARS:=200}" "${DMDE_BENCH_POP_ROWS:=1000000}"
  : "${DMDE_BENCH_REPLICATES:=20}" "${DMDE_BENCH_MIN_TIME:=0.5}"
fi
: "${DMDE_BENCH_SEED:=20190201}" "${DMDE_BENCH_TARGET:=target_c4}" "${DMDE_BENCH_STEP_TIMEOUT:=3600}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none HDF5_USE_FILE_LOCKING=FALSE
: "${OMPI_MCA_pml:=ob1}"; export OMPI_MCA_pml  # faster start-up on one node

section() { [[ ",$only," == *",$1,"* ]]; }
note() { echo "[bench] $*" >&2; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# Peak RSS (largest process, KB) through GNU time when installed (Debian package `time`).
timer=()
[[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f '%M' -o)
# has_cmd WORD... : the (sub)subcommand is listed in the parent's --help (CLI11 answers --help with 0
# even for unknown words, so `dmde X --help` alone proves nothing).
has_cmd() {
  local parent=("${@:1:$#-1}") last=${!#}
  "$dmde" "${parent[@]}" --help 2>/dev/null | grep -E "^ +$last( |\$)" >/dev/null
}
rm -f "$work"/e2e.tsv "$work"/steps.tsv "$work"/kernels.json
printf 'quick\t%s\nranks\t%s\nlearning_rows\t%s\nvars\t%s\npopulation_rows\t%s\nreplicates\t%s\n' \
  "$quick" "$ranks" "$DMDE_BENCH_LEARNING_ROWS" "$DMDE_BENCH_VARS" "$DMDE_BENCH_POP_ROWS" \
  "$DMDE_BENCH_REPLICATES" >"$work/config.tsv"

# ---- kernels -----------------------------------------------------------------------------------
if section kernels; then
  bench_exe=$build/bench/dmde_bench
  [[ -x $bench_exe ]] || bench_exe=$build/dmde_bench
  if [[ -x $bench_exe ]]; then
    note "kernels: $bench_exe${DMDE_BENCH_FILTER:+ (filter $DMDE_BENCH_FILTER)}"
    "$bench_exe" --benchmark_min_time="$DMDE_BENCH_MIN_TIME" --benchmark_filter="${DMDE_BENCH_FILTER:-.}" \
      --benchmark_out="$work/kernels.json" --benchmark_out_format=json >"$work/logs/kernels.log" 2>&1 ||
      note "kernels: dmde_bench failed (rc $?), see $work/logs/kernels.log"
  else
    note "kernels: not available (no $build/bench/dmde_bench: not built? ninja -C $build dmde_bench)"
  fi
fi

# ---- e2e: one chain per rank count ---------------------------------------------------------------
# time_step NAME NP CMD...: runs CMD, appends "name np seconds rc max_rss_kb" to e2e.tsv.
time_step() {
  local name=$1 np=$2 t0 t1 rc=0 rss
  shift 2
  t0=$(date +%s.%N)
  rm -f "$work/logs/$name.np$np.rss"
  ${timer[@]+"${timer[@]}" "$work/logs/$name.np$np.rss"} timeout "$DMDE_BENCH_STEP_TIMEOUT" "$@" \
    >"$work/logs/$name.np$np.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  rss=$(tail -1 "$work/logs/$name.np$np.rss" 2>/dev/null || echo 0)
  [[ $rss =~ ^[0-9]+$ ]] || rss=0
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$np" "$(elapsed "$t0" "$t1")" "$rc" "$rss" >>"$work/e2e.tsv"
  ((rc == 0)) || note "e2e: $name at np $np failed (rc $rc), see $work/logs/$name.np$np.log"
  return "$rc"
}
skip_step() { printf '%s\t%s\tNA\tNA\tNA\n' "$1" "$2" >>"$work/e2e.tsv"; }

if section e2e; then
  for np in $ranks; do
    d=$work/e2e-np$np
    rm -rf "$d" && mkdir -p "$d"
    run=(mpirun -np "$np" "$dmde")
    ok_learn=0 ok_pop=0 ok_prep=0 ok_train=0
    if has_cmd generate learning; then
      time_step generate_learning "$np" "${run[@]}" generate learning -o "$d/learning.h5" \
        --rows "$DMDE_BENCH_LEARNING_ROWS" --vars "$DMDE_BENCH_VARS" --seed "$DMDE_BENCH_SEED" && ok_learn=1
      time_step generate_population "$np" "${run[@]}" generate population -o "$d/population.h5" \
        --rows "$DMDE_BENCH_POP_ROWS" --vars "$DMDE_BENCH_VARS" --seed "$DMDE_BENCH_SEED" && ok_pop=1
    else
      note "e2e: generate not available (no 'dmde generate learning'); the chain needs it"
      skip_step generate_learning "$np"; skip_step generate_population "$np"
    fi
    if ((ok_learn)) && has_cmd prepare; then
      time_step prepare "$np" "${run[@]}" prepare --table "$d/learning.h5" --target "$DMDE_BENCH_TARGET" \
        -o "$d/prepared.h5" && ok_prep=1
    else
      note "e2e: prepare not available at np $np"; skip_step prepare "$np"
    fi
    if ((ok_prep)) && has_cmd train; then
      time_step train "$np" "${run[@]}" train --table "$d/prepared.h5" -o "$d/model.dmde" \
        --replicates "$DMDE_BENCH_REPLICATES" && ok_train=1
    else
      note "e2e: train not available at np $np"; skip_step train "$np"
    fi
    if ((ok_train && ok_pop)) && has_cmd score; then
      time_step score "$np" "${run[@]}" score --model "$d/model.dmde" --population "$d/population.h5" \
        -o "$d/scores.h5" || true
    else
      note "e2e: score not available at np $np"; skip_step score "$np"
    fi
    # Start-up + collective HDF5 write: the fixed cost of every MPI job (serial part of the model).
    time_step doctor "$np" "${run[@]}" doctor --dir "$d" || true
    rm -f "$d"/population.h5  # the largest file; keep the rest for inspection
  done
fi

# ---- steps and peers: the scripts written with each subcommand ---------------------------------
run_script() {  # run_script KIND NAME PATH [ARGS...]
  local kind=$1 name=$2 path=$3 t0 t1 rc=0
  shift 3
  rm -f "$work/$kind-$name.json"
  note "$kind: $name ($path)"
  t0=$(date +%s.%N)
  DMDE_BENCH_JSON=$work/$kind-$name.json DMDE_BUILD=$build DMDE_BENCH_WORK=$work/scratch \
    timeout "$DMDE_BENCH_STEP_TIMEOUT" bash "$path" "$@" >"$work/logs/$kind-$name.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$name" "$(elapsed "$t0" "$t1")" "$rc" "$work/logs/$kind-$name.log" >>"$work/steps.tsv"
  ((rc == 0)) || note "$kind: $name failed (rc $rc), see $work/logs/$kind-$name.log"
}
if section steps; then
  for s in generate prepare train score; do
    f=$src/bench/${s}_bench.sh
    if ((quick)); then printf 'step\t%s\tNA\tskipped (--quick)\t\n' "$s" >>"$work/steps.tsv"
    elif [[ -f $f ]]; then (cd "$src" && run_script step "$s" "$f")
    else note "step: $s not available (no bench/${s}_bench.sh)"; printf 'step\t%s\tNA\tnot available\t\n' "$s" >>"$work/steps.tsv"
    fi
  done
fi
if section peers; then
  shopt -s nullglob
  peers=("$src"/bench/peers/*.sh)
  if ((${#peers[@]} == 0)); then note "peers: not available (no bench/peers/*.sh)"; fi
  for f in "${peers[@]}"; do
    p=$(basename "$f" .sh)
    if ((quick)); then printf 'peer\t%s\tNA\tskipped (--quick)\t\n' "$p" >>"$work/steps.tsv"
    elif grep -q Rscript "$f" && ! command -v Rscript >/dev/null; then
      note "peer: $p not available (Rscript not installed: r-base-core)"
      printf 'peer\t%s\tNA\tnot available (no Rscript)\t\n' "$p" >>"$work/steps.tsv"
    else (cd "$src" && run_script peer "$p" "$f" "$build")  # peers take the build directory
    fi
  done
fi

"$py" "$src/bench/collect_results.py" --src "$src" --build "$build" --work "$work" --out "$out"
