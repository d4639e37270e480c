# The Slurm test: a private single-node Slurm cluster runs jobs/slurm/*.sbatch on small data.
# Run it alone with `ctest -L slurm`. It needs slurm-wlm and munge (scripts/packages.txt).
add_test(NAME slurm.jobs
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_slurm_test.sh $<TARGET_FILE:dmde> ${PROJECT_SOURCE_DIR})
set_tests_properties(slurm.jobs PROPERTIES LABELS "slurm" TIMEOUT 600 RUN_SERIAL TRUE
                     ENVIRONMENT "${DMDE_MPIEXEC_ENV}")
