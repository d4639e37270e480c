# Headless-Chromium rendering check of the HTML report, only where chromium is installed.
find_program(DMDE_CHROMIUM chromium)
if(DMDE_CHROMIUM)
  add_test(NAME report_render_chromium COMMAND ${CMAKE_CURRENT_LIST_DIR}/report_render_check.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(report_render_chromium PROPERTIES LABELS "driver;render" TIMEOUT 120
    ENVIRONMENT "${DMDE_MPIEXEC_ENV}")
endif()

# The scores file read by h5py+numpy (an independent implementation of the scoring) and by R's
# hdf5r, where both are installed (scripts/packages.txt installs them).
find_program(DMDE_RSCRIPT Rscript)
if(DMDE_RSCRIPT AND EXISTS /usr/bin/python3)
  add_test(NAME score_readers_h5py_R COMMAND ${CMAKE_CURRENT_LIST_DIR}/score_readers_check.sh
           ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(score_readers_h5py_R PROPERTIES LABELS "driver;readers" TIMEOUT 300
    ENVIRONMENT "${DMDE_MPIEXEC_ENV}")
endif()
