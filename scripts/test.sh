#!/usr/bin/env bash
# The test command of README.md: install dependencies, build, run every test suite with ctest
# (unit tests, multi-rank tests under mpirun at 1, 2 and 3 ranks, end-to-end and Slurm tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
