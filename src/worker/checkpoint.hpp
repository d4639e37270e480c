#pragma once
// Crash-safe record of finished tasks (bootstrap replicates, CV folds...), written by rank 0 as
// each result arrives. HDF5 file, opened-written-closed per result so that a SIGKILL of the job
// leaves every earlier result readable:
//   / attrs: dmde_format="dmde-checkpoint", job_key (fingerprint of data + parameters)
//   /done/t<task>  uint8[]  serialized result; attr fnv (checksum as a string), written last
// A resume with a different job_key is refused (the results would not be the same job's).
#include <cstdint>
#include <map>
#include <string>

namespace dmde::worker {

class Checkpoint {
 public:
  /// `resume` false: starts a new checkpoint (an old one is replaced). true: reopens it (or
  /// starts one when absent) and checks job_key; throws InputError on a mismatch.
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
};

}  // namespace dmde::worker
