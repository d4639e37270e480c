#!/usr/bin/env bash
# Issue 5, checkpoint and restart with real SIGKILLs (not the --stop-after hook of train_mpi):
#   1. an uninterrupted bootstrap (2 ranks) is the reference;
#   2. a run SIGKILLed on ONE rank once its checkpoint holds >= 4 replicates, resumed at 3 ranks;
#   3. a run whose WHOLE job (mpirun and its ranks) is SIGKILLed, resumed at 1 rank;
# each resumed output must equal the reference bit for bit (h5diff exit 0), no final output may
# exist after a kill, the checkpoint must stay readable whatever instant the kill hit, and a
# second job started on a live checkpoint is refused.
#   train_kill_test.sh DMDE_EXE
set -euo pipefail
dmde=$1
work=$(mktemp -d)
trap '[[ -n ${job:-} ]] && pkill -KILL -s "$job"; rm -rf "$work"' EXIT
fail() { echo "train_kill_test: FAIL: $*" >&2; exit 1; }
mpi() { local np=$1; shift; mpirun -np "$np" --oversubscribe --bind-to none "$@"; }

"$dmde" --log-level warn generate learning -o "$work/learn.h5" --rows 3000 --vars 150 --seed 7
"$dmde" --log-level warn prepare --table "$work/learn.h5" --target target_c4 -o "$work/prep.h5" >/dev/null
args=(--log-level warn train --table "$work/prep.h5" --stage bootstrap --replicates 150 --seed 11 --no-progress)
mpi 2 "$dmde" "${args[@]}" -o "$work/full.dmde"
[[ -f $work/full.dmde.bootstrap.h5 ]] || fail "reference run wrote no output"

done_count() {  # replicates recorded in a checkpoint (0 while it does not exist yet)
  h5ls "$1/done" 2>/dev/null | grep -c '^t' || true
}
# Starts a run in its own process group, waits for >= 4 checkpointed replicates, then kills
# ($1 = "rank": one rank process; "job": the whole group).
kill_run() {
  local what=$1 out=$2 n=0
  setsid mpirun -np 2 --oversubscribe --bind-to none "$dmde" "${args[@]}" -o "$out" >"$out.log" 2>&1 &
  job=$!
  for _ in $(seq 1200); do
    n=$(done_count "$out.bootstrap.h5.ckpt")
    ((n >= 4)) && break
    sleep 0.05
  done
  ((n >= 4)) || fail "no checkpointed replicate after 60 s ($what)"
  if [[ $what == rank ]]; then  # a second job on a live checkpoint is refused (exit 2)
    local rc=0
    "$dmde" "${args[@]}" -o "$out" --resume >"$out.second.log" 2>&1 || rc=$?
    ((rc == 2)) && grep -q "in use by another running job" "$out.second.log" || fail "concurrent resume: exit $rc"
  fi
  if [[ $what == rank ]]; then
    local victim
    victim=$(pgrep -s "$job" -x dmde | tail -1)
    [[ -n $victim ]] || fail "no rank process found"
    kill -KILL "$victim"
  else
    pkill -KILL -s "$job" || true  # the whole session: mpirun and every rank
  fi
  wait "$job" && fail "killed run exited 0 ($what)"
  pkill -KILL -s "$job" 2>/dev/null || true  # mpirun may leave an orphaned rank behind
  job=
  [[ -f $out.bootstrap.h5 ]] && fail "a killed run left a final output ($what)"
  n=$(done_count "$out.bootstrap.h5.ckpt")
  ((n >= 4 && n < 150)) || fail "checkpoint holds $n replicates after the kill ($what)"
  echo "killed ($what) with $n replicates checkpointed"
}

kill_run rank "$work/a.dmde"
mpi 3 "$dmde" "${args[@]}" -o "$work/a.dmde" --resume
h5diff "$work/full.dmde.bootstrap.h5" "$work/a.dmde.bootstrap.h5" || fail "resume after a rank kill differs"

kill_run job "$work/b.dmde"
"$dmde" "${args[@]}" -o "$work/b.dmde" --resume
h5diff "$work/full.dmde.bootstrap.h5" "$work/b.dmde.bootstrap.h5" || fail "resume after a job kill differs"
[[ -e $work/b.dmde.bootstrap.h5.ckpt ]] && fail "checkpoint left after a completed run"
echo "train_kill_test: OK"
