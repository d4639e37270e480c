#pragma once
// Runs the `dmde` executable under mpirun for CLI tests (header-only helper shared by tests).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace dmde::test {

struct DmdeResult {
  int code;
  std::string output;
};

/// `dmde ARGS` under mpirun -np `np`, stdout+stderr captured; env rebuilt (env -i) so the child
/// mpirun does not join this test process's MPI singleton.
inline DmdeResult run_dmde(int np, const std::string& args) {
  const char* path = std::getenv("PATH");
  const std::string cmd = std::string("env -i PATH='") + (path ? path : "/usr/bin:/bin") +
                          "' HOME=/tmp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
                          " OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_pml=ob1"
                          " HDF5_USE_FILE_LOCKING=FALSE mpirun --oversubscribe -np " +
                          std::to_string(np) + " " + DMDE_EXE + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  const int status = pclose(pipe.release());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, out};
}

/// A fresh path under the temp directory, unique to this process.
inline std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("dmde-test-" + std::to_string(getpid()) + "-" + name)).string();
}

}  // namespace dmde::test
