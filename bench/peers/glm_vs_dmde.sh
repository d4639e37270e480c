#!/bin/bash
# Ratio of R glm to dmde on the same CSV, measured in one run:
#   1. one weighted fit, 14,087 rows x 150 columns (target: dmde >= 10x faster);
#   2. STEPS steps of SAS-rule stepwise over 300 candidates (target: >= 100x); R's add1(test="Rao")
#      refits per candidate, so STEPS is small by default (3) to keep the R side to minutes.
# Usage: bench/peers/glm_vs_dmde.sh [BUILD_DIR] [STEPS]. Like for like: R's system.time(glm(...))
# (model frame + fit, CSV reading excluded) against dmde's logged "design and estimation" time
# (design matrix + fit, HDF5 reading excluded); the whole dmde process time is printed too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
steps=${2:-3}
dmde=$build/dmde
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
now() { date +%s.%N; }

Rscript "$here/glm_peer.R" make "$work/learn.csv"
"$dmde" --log-level warn import --csv "$work/learn.csv" --id id --target y --weight w -o "$work/learn.h5"
eff150=$(seq -f 'v%g' 1 150 | tr '\n' ' ')
eff300=$(seq -f 'v%g' 1 300 | tr '\n' ' ')

r_fit=$(Rscript "$here/glm_peer.R" fit "$work/learn.csv" 150)
t0=$(now); "$dmde" fit --table "$work/learn.h5" --target y --effects "$eff150" --json "$work/fit.json" >/dev/null 2>"$work/fit.log"; t1=$(now)
d_fit=$(awk '/design and estimation took/ {print $(NF-1)}' "$work/fit.log")
echo "(dmde fit process wall time including MPI start-up and HDF5 read: $(echo "$t1 - $t0" | bc -l)s)"
r_fit_s=$(echo "$r_fit" | awk '/^seconds/ {print $2}')
echo "fit 14087x150:   R glm ${r_fit_s}s  dmde ${d_fit}s  ratio $(echo "$r_fit_s / $d_fit" | bc -l | cut -c1-6)"
echo "  R   $(echo "$r_fit" | grep neg2loglik)"
echo "  dmde neg2loglik $(/usr/bin/python3 -c "import json;print(json.load(open('$work/fit.json'))['fit']['neg2loglik'])")"

r_step=$(Rscript "$here/glm_peer.R" stepwise "$work/learn.csv" "$steps")
t0=$(now); "$dmde" fit --table "$work/learn.h5" --target y --effects "$eff300" --selection stepwise \
  --max-step "$steps" --json "$work/step.json" >/dev/null 2>"$work/step.log"; t1=$(now)
d_step=$(awk '/design and estimation took/ {print $(NF-1)}' "$work/step.log")
echo "(dmde stepwise process wall time including MPI start-up and HDF5 read: $(echo "$t1 - $t0" | bc -l)s)"
r_step_s=$(echo "$r_step" | awk '/^seconds/ {print $2}')
echo "stepwise 300 candidates, $steps steps:   R ${r_step_s}s  dmde ${d_step}s  ratio $(echo "$r_step_s / $d_step" | bc -l | cut -c1-6)"
echo "  R    $(echo "$r_step" | grep '^path')"
echo "  dmde path $(/usr/bin/python3 -c "import json;print(' '.join(('+' if s['action']=='entered' else '-')+s['effect'] for s in json.load(open('$work/step.json'))['selection']['steps']))")"
