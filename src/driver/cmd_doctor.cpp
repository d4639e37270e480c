// `dmde doctor`: checks the MPI and parallel-HDF5 environment of a job (ranks, hosts, a collective
// write and read-back in the output directory). Cluster operators run it first in a new allocation.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "core/h5.hpp"
#include "driver/command.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde doctor`.
struct DoctorParams {
  std::string dir = ".";  ///< directory where the parallel HDF5 test file is written (then removed)
  int fail_on_rank = -1;  ///< simulate a failure on this rank (checks that the job aborts cleanly)

  void validate() const {
    if (!std::filesystem::is_directory(dir)) throw InputError("--dir '" + dir + "' is not a directory");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & dir & fail_on_rank;
  }
};

int run_doctor(Comm& comm, DoctorParams& p) {
  share_params(comm, p);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  auto hosts = comm.gather(host);
  if (comm.is_root()) {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    spdlog::info("ranks: {}; MPI: {}", comm.size(), std::string(version, static_cast<std::size_t>(len)).substr(0, 60));
    spdlog::info("HDF5 {}.{}.{} (parallel)", maj, min, rel);
    for (std::size_t r = 0; r < hosts.size(); ++r) spdlog::info("rank {} on {}", r, hosts[r]);
  }
  if (comm.rank() == p.fail_on_rank) throw Error("simulated failure on rank " + std::to_string(comm.rank()));
  // Collective write of one value per rank, read back by rank 0.
  const auto path = (std::filesystem::path(p.dir) / ".dmde-doctor.h5").string();
  {
    auto f = h5::File::create(path, &comm);
    auto d = f.create_dataset<std::int64_t>("rank", static_cast<hsize_t>(comm.size()));
    const std::int64_t me = comm.rank();
    d.write(&me, static_cast<hsize_t>(comm.rank()), 1, h5::Xfer::Collective);
  }
  comm.barrier();
  int bad = 0;
  if (comm.is_root()) {
    auto v = h5::File::open(path).dataset("rank").read_all<std::int64_t>();
    for (std::size_t r = 0; r < v.size(); ++r) bad += v[r] != static_cast<std::int64_t>(r);
    std::filesystem::remove(path);
    if (bad) spdlog::error("parallel HDF5 write/read-back: {} wrong values", bad);
    else spdlog::info("parallel HDF5 collective write/read-back in '{}': ok", p.dir);
  }
  comm.bcast_value(bad);
  return bad ? 1 : 0;
}

}  // namespace

void add_doctor_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<DoctorParams>();
  auto* sub = app.add_subcommand("doctor", "Check the MPI and parallel HDF5 environment of this job");
  sub->add_option("--dir", p->dir, "Directory for the parallel HDF5 test file")->capture_default_str();
  sub->add_option("--fail-on-rank", p->fail_on_rank, "Simulate a failure on this rank (tests clean aborts)");
  out.push_back({sub, [p](Comm& comm) { return run_doctor(comm, *p); }});
}

}  // namespace dmde::driver
