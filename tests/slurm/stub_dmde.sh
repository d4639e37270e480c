#!/usr/bin/env bash
# A stand-in for `dmde` that exercises the job scripts' signal / requeue / resume logic with
# predictable timing, whatever the real train command's speed: `train` "runs" one replicate per
# 0.2 s and commits it to a checkpoint (rank 0 only), skipping committed ones under --resume.
# `doctor` runs the real dmde (DMDE_REAL) so that the MPI launch itself is still exercised.
set -euo pipefail
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${SLURM_PROCID:-0}}}  # mpirun inherits the batch SLURM_PROCID=0
cmd=${1:-}
shift || true
out="" replicates=10 resume=0
while (($#)); do
  case $1 in
    -o | --dir) out=$2; shift 2 ;;
    --replicates) replicates=$2; shift 2 ;;
    --resume) resume=1; shift ;;
    *) shift ;;
  esac
done
case $cmd in
  doctor) exec "$DMDE_REAL" doctor --dir "${out:-.}" ;;
  prepare) if ((rank == 0)); then echo prepared >"$out.tmp" && mv "$out.tmp" "$out"; fi ;;
  train)
    ckpt=$out.ckpt
    if ((rank == 0)); then
      if ((!resume)); then : >"$ckpt"; fi
      echo "stub train: resume=$resume, $(wc -l <"$ckpt") replicates already committed"
      for ((r = 0; r < replicates; r++)); do
        grep -qx "$r" "$ckpt" && continue
        sleep 0.2
        echo "$r" >>"$ckpt"
      done
      printf 'replicates=%s\nresumed=%s\n' "$(wc -l <"$ckpt")" "$resume" >"$out.tmp" && mv "$out.tmp" "$out"
    fi
    ;;
  *) echo "stub dmde: unknown command '$cmd'" >&2; exit 2 ;;
esac
