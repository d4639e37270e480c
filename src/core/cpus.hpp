// CPUs a rank may use for threads of its own, without oversubscribing the ranks beside it.
#pragma once

#include "core/comm.hpp"

namespace dmde {

/// The CPUs this rank may run on (its mpirun/srun binding) divided by the ranks of the same host
/// bound to the same CPUs (all of them under --bind-to none); at least 1. Collective over `comm`.
int cpus_per_rank(const Comm& comm);

}  // namespace dmde
