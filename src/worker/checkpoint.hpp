#pragma once
// Crash-safe record of finished tasks (bootstrap replicates, CV folds...), written by rank 0 as
// each result arrives. HDF5 file, rewritten as a copy and renamed over the old one per result
// (after fsync), so that a SIGKILL or a node crash at any instant leaves a complete file:
//   / attrs: dmde_format="dmde-checkpoint", job_key (fingerprint of data + parameters)
//   /done/t<task>  uint8[]  serialized result; attr fnv (checksum as a string), written last
// A resume with a different job_key is refused (the results would not be the same job's).
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace dmde::worker {

class Checkpoint {
 public:
  /// `resume` false: starts a new checkpoint (an old one is replaced). true: reopens it (or
  /// starts one when absent) and checks job_key; throws InputError on a mismatch, or when another
  /// live process holds the checkpoint (flock on <path>.lock, released by the kernel at exit).
  Checkpoint(std::string path, std::string job_key, bool resume);
  /// Results already recorded (task -> bytes); entries failing their checksum are dropped.
  const std::map<std::int64_t, std::string>& done() const { return done_; }
  /// Records one result durably (no-op if the task is already recorded).
  void append(std::int64_t task, const std::string& bytes);
  const std::string& path() const { return path_; }
  /// Deletes the file (after the final output is committed).
  void remove();

 private:
  std::string path_, key_;
  std::map<std::int64_t, std::string> done_;
  std::shared_ptr<int> lock_;  ///< flock'ed <path>.lock: a second run on the same checkpoint is refused
};

}  // namespace dmde::worker
