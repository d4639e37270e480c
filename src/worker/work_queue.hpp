#pragma once
// Dynamic distribution of independent tasks (bootstrap replicates, CV folds, interaction pairs)
// over the ranks of a communicator. Rank 0 is the driver AND computes: between its own tasks it
// serves the other ranks, which each hold `prefetch` tasks ahead so they never wait for rank 0.
// (A pure driver would waste one of the machine's two cores.) Results reach rank 0 in arrival
// order; callers store them by task id, so the outcome does not depend on the rank count.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/comm.hpp"

namespace dmde::worker {

struct QueueOptions {
  int prefetch = 2;             ///< tasks queued ahead on each non-root rank
  std::int64_t stop_after = -1; ///< test hook: stop once this many results are committed (simulated kill)
  /// When set, rank 0 stores here, for the duration of the queue, a function that accepts waiting
  /// results and hands out tasks; a long compute() calls it now and then (e.g. between stepwise
  /// steps) so that workers do not wait for rank 0's own task to end.
  std::function<void()>* serve = nullptr;
};

/// Runs every task id of `tasks` once over all ranks (collective). `compute(task)` runs on the
/// rank that received the task and returns its serialized result; `commit(task, bytes)` runs on
/// rank 0 for each result, in arrival order. Returns (on every rank) the number of results committed.
std::int64_t run_work_queue(const Comm& comm, const std::vector<std::int64_t>& tasks,
                            const std::function<std::string(std::int64_t)>& compute,
                            const std::function<void(std::int64_t, const std::string&)>& commit,
                            const QueueOptions& opt = {});

/// Rank-0 progress of a long loop: in place on a terminal (isatty), else one plain log line
/// every `period_s` seconds (batch logs). Shows done/total, rate and ETA.
class Progress {
 public:
  Progress(std::string what, std::int64_t total, std::int64_t already_done, bool enabled, double period_s = 10);
  ~Progress();
  void tick(std::int64_t n = 1);
  /// Final line (also in batch mode).
  void finish();

 private:
  void print(bool final_line);
  std::string what_;
  std::int64_t total_, done_, start_done_;
  bool enabled_, tty_;
  double period_s_, t0_, last_;
  bool finished_ = false;
};

}  // namespace dmde::worker
