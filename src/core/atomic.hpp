#pragma once
// An output file that appears only when complete: everything is written to "<path>.partial",
// and commit() renames it to <path>. Destroyed without commit (an exception unwinding), the
// partial file is removed, so a failed run leaves nothing that looks valid.
#include <string>

#include "core/comm.hpp"

namespace dmde {

class AtomicPath {
 public:
  /// `comm` given: the path is shared by all its ranks and rank 0 renames/removes (after a barrier
  /// in commit()). Without one, the calling process owns the file.
  explicit AtomicPath(std::string final_path, const Comm* comm = nullptr);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::string& temp() const { return temp_; }
  const std::string& final_path() const { return final_; }
  /// Renames temp to final (collective when a comm was given). Throws dmde::Error on failure.
  void commit();

 private:
  std::string final_;
  std::string temp_;
  const Comm* comm_;
  bool committed_ = false;
};

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
void write_file_atomic(const std::string& path, const std::string& bytes);
/// Reads a whole file; throws InputError naming the path when it cannot.
std::string read_file(const std::string& path);

}  // namespace dmde
