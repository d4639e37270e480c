// GoogleTest main shared by every test executable: MPI is initialised once so that serial and
// multi-rank suites (run under mpirun) use the same binary layout.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/comm.hpp"

int main(int argc, char** argv) {
  // A singleton run as root (ctest discovery) must be allowed like mpirun runs are.
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  ::testing::InitGoogleTest(&argc, argv);
  dmde::MpiSession mpi(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    // Only rank 0 prints results; every rank still runs and asserts.
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  // A failure on any rank fails the whole run.
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return rc;
}
