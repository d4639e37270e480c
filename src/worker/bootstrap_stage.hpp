#pragma once
// The bootstrap selection stage as one collective job: replicates handed out dynamically
// (worker/work_queue.hpp), each finished replicate committed to a checkpoint by rank 0
// (worker/checkpoint.hpp), `resume` reruns only the missing ones, and the output file is
// assembled in replicate order, so it is bit-identical at any rank count and after any restart.
//
// Output (HDF5, atomic):
//   / attrs: dmde_format="dmde-bootstrap", replicates, seed, stratify, threshold, job_key, mean_oob_auc
//   /variables strings[p]; /selection_count int32[p]; /selection_frequency, /sign_stability float64[p]
//   /kept strings
//   /replicates/{oob_auc float64, steps int32, converged int32}[R]
//   /replicates/selected int32[], selected_offset int64[R+1] (CSR: replicate r's selected variable indices)
//   /replicates/coef float64[], coef_offset int64[R+1] (intercept then the dummies of each selected effect)
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "worker/bootstrap.hpp"

namespace dmde::worker {

struct BootstrapStageOptions {
  int replicates = 300;
  std::uint64_t seed = 1;
  bool stratify = true;
  double threshold = 0.5;
  bool resume = false;
  std::int64_t stop_after = -1;  ///< test hook: stop after this many new replicates (no output written)
  int prefetch = 2;
  bool progress = true;
  std::string job_key;           ///< identifies data + parameters in the checkpoint
};

struct BootstrapStageResult {
  bool complete = false;                 ///< false after stop_after: nothing written
  std::vector<ReplicateResult> results;  ///< replicate order (rank 0; empty elsewhere)
  SelectionSummary summary;              ///< rank 0 when complete; `kept` on every rank
  std::int64_t computed = 0;             ///< replicates computed by this run (not from the checkpoint)
};

/// Collective. Writes `out_path` (complete runs) and keeps `ckpt_path` until then.
BootstrapStageResult run_bootstrap_stage(const Comm& comm, const ClassData& d, const StepwiseOptions& sw,
                                         const BootstrapStageOptions& opt, const std::string& out_path,
                                         const std::string& ckpt_path);

/// Names of the kept variables of a bootstrap output file.
std::vector<std::string> read_kept(const std::string& path);

}  // namespace dmde::worker
