# Headless-Chromium rendering check of the HTML report, only where chromium is installed.
find_program(DMDE_CHROMIUM chromium)
if(DMDE_CHROMIUM)
  add_test(NAME report_render_chromium COMMAND ${CMAKE_CURRENT_LIST_DIR}/report_render_check.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(report_render_chromium PROPERTIES LABELS "driver;render" TIMEOUT 120
    ENVIRONMENT "${DMDE_MPIEXEC_ENV}")
endif()
