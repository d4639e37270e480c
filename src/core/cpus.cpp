#include "core/cpus.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace dmde {

int cpus_per_rank(const Comm& comm) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  // Ranks sharing a host and a CPU set share those CPUs.
  const std::string key = std::string(host) + '\n' + std::string(reinterpret_cast<const char*>(&set), sizeof set);
  const auto all = comm.allgather(key);
  const auto sharing = std::max<std::ptrdiff_t>(1, std::count(all.begin(), all.end(), key));
  return std::max(1, cpus / static_cast<int>(sharing));
}

}  // namespace dmde
