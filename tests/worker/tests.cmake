# Restart after real SIGKILLs of one rank and of the whole job (issue 5), under mpirun.
add_test(NAME train_kill_resume COMMAND ${CMAKE_CURRENT_LIST_DIR}/train_kill_test.sh $<TARGET_FILE:dmde>)
set_tests_properties(train_kill_resume PROPERTIES LABELS "worker;mpi" TIMEOUT 300 ENVIRONMENT "${DMDE_MPIEXEC_ENV}")
