#!/usr/bin/env bash
# The demo command of README.md: install dependencies, build, then run the pipeline on the
# embedded defaults under `mpirun -np 2`: generate a learning table and a small national
# population, build the targets, prepare the variables, retrain, score, monitor and audit.
# Outputs go to ${DMDE_DEMO_DIR:-out/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
out=${DMDE_DEMO_DIR:-out/demo}
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
       OMPI_MCA_btl_vader_single_copy_mechanism=none HDF5_USE_FILE_LOCKING=FALSE
np=${DMDE_NP:-2}
run() { echo "+ $*" >&2; mpirun -np "$np" build/dmde "$@"; }
has() { build/dmde "$1" --help >/dev/null 2>&1; }

run generate learning -o "$out/learning.h5" --seed 20190201
run generate population -o "$out/population.h5" --rows "${DMDE_POPULATION_ROWS:-200000}" --seed 20190201
if has targets; then run targets --table "$out/learning.h5" --choose c4 --json "$out/targets.json"; fi
if has prepare; then run prepare --table "$out/learning.h5" --target target_c4 -o "$out/prepared.h5"; fi
if has train; then run train --table "$out/prepared.h5" -o "$out/model.dmde" --replicates "${DMDE_REPLICATES:-300}"; fi
if has score; then run score --model "$out/model.dmde" --population "$out/population.h5" -o "$out/scores.h5"; fi
if has generate && build/dmde generate controls --help >/dev/null 2>&1; then
  run generate controls -o "$out/controls.csv" --seed 20190201
  run monitor --controls "$out/controls.csv" --json "$out/monitor.json"
fi
if has audit; then run audit --scores "$out/scores.h5" --population "$out/population.h5" --model "$out/model.dmde" --json "$out/audit.json"; fi
if has report; then run report --dir "$out" -o "$out/report.html"; fi
echo "demo outputs in $out:" >&2
ls -la "$out" >&2
