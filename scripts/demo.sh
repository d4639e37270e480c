#!/usr/bin/env bash
# The demo command of README.md: install dependencies, build, then run the pipeline on the
# embedded defaults under `mpirun -np 2`: generate a learning table and a small national
# population, build the targets, prepare the variables, retrain (300 bootstrap replicates unless
# DMDE_REPLICATES says otherwise), score, audit, monitor controls and write the HTML report.
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

seed=20190201
run generate learning -o "$out/learning.h5" --seed $seed
run targets -i "$out/learning.h5" --choose c4 -o "$out/learning_targets.h5" --csv "$out/targets.csv" --json "$out/targets.json"
run prepare --table "$out/learning_targets.h5" --target target_c4 -o "$out/prepared.h5"
run train --table "$out/prepared.h5" --target target_c4 -o "$out/model.dmde" --replicates "${DMDE_REPLICATES:-300}" --seed $seed
run generate population -o "$out/population.h5" --rows "${DMDE_POPULATION_ROWS:-200000}" --seed $seed
run score --model "$out/model.dmde" --population "$out/population.h5" -o "$out/scores.h5" --learning "$out/learning_targets.h5"
run audit --table "$out/population.h5" --scores "$out/scores.h5" --model "$out/model.dmde" --csv "$out/audit.csv" --json "$out/audit.json" --report "$out/audit.txt"
run generate controls -o "$out/controls.csv" --seed $seed
run monitor --controls "$out/controls.csv" --csv "$out/monitor.csv" --json "$out/monitor.json"
run report -o "$out/report.html" --learning "$out/learning_targets.h5" --outcome target_c4 --model "$out/model.dmde" \
    --population "$out/population.h5" --scores "$out/scores.h5"
echo "demo outputs in $out:" >&2
ls -la "$out" >&2
