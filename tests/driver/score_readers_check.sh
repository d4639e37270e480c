#!/bin/sh
# The scores file read without dmde: `dmde score` at 2 ranks on a generated population, then
# (1) bench/peers/score_numpy.py --strict, an independent h5py+numpy implementation of the whole
# scoring work, must agree with it, and (2) tests/driver/score_read_check.R reads it with R's hdf5r
# and checks it against R's own definitions. Usage: score_readers_check.sh BUILD_DIR SOURCE_DIR
# Needs /usr/bin/python3 with h5py and Rscript with hdf5r (scripts/packages.txt); registered in
# ctest by tests/driver/tests.cmake when found.
set -eu
build=$1 src=$2
dmde="$build/dmde"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mpi() { np=$1; shift; mpirun -np "$np" --oversubscribe --bind-to none "$@"; }
mpi 2 "$dmde" generate population --rows 40000 --vars 72 --seed 11 -o "$out/pop.h5" >/dev/null 2>&1
"$dmde" score-fixture --population "$out/pop.h5" --inputs 24 -o "$out/m.dmde" --json "$out/m.json" >/dev/null 2>&1
mpi 2 "$dmde" score --model "$out/m.dmde" --population "$out/pop.h5" -o "$out/s.h5" --top 7.5 >/dev/null 2>&1
/usr/bin/python3 "$src/bench/peers/score_numpy.py" "$out/m.json" "$out/pop.h5" "$out/np.h5" --top 7.5 \
  --check "$out/s.h5" --strict
Rscript "$src/tests/driver/score_read_check.R" "$out/s.h5"
