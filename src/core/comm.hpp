#pragma once
// The one place where MPI is called. A Comm is passed to whoever needs it, never a global.
// MPI errors are set to return, and every non-success code becomes a dmde::MpiError.
#include <mpi.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dmde {

/// RAII MPI_Init_thread / MPI_Finalize; constructed once in main().
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

/// A small communicator wrapper: a private duplicate of the parent communicator with
/// MPI_ERRORS_RETURN set. All collectives reduce in a fixed order (rank order on the root)
/// so that results are bit-identical whatever the number of ranks.
class Comm {
 public:
  /// Duplicates `parent` (MPI_COMM_WORLD by default) so our traffic never mixes with a library's.
  explicit Comm(MPI_Comm parent = MPI_COMM_WORLD);
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  /// The raw handle, for MPI-IO in the HDF5 layer only.
  MPI_Comm raw() const { return comm_; }

  void barrier() const;
  /// Broadcast a byte buffer from `root` (its size travels first).
  void bcast(std::string& bytes, int root = 0) const;
  /// Broadcast a trivially copyable value or array.
  void bcast_raw(void* data, std::size_t bytes, int root = 0) const;
  template <class T>
  void bcast_value(T& v, int root = 0) const { bcast_raw(&v, sizeof(T), root); }
  template <class T>
  void bcast_vector(std::vector<T>& v, int root = 0) const {
    std::uint64_t n = v.size();
    bcast_value(n, root);
    v.resize(n);
    if (n) bcast_raw(v.data(), n * sizeof(T), root);
  }

  /// Gather one byte buffer per rank on `root`, in rank order (empty vector elsewhere).
  std::vector<std::string> gather(const std::string& mine, int root = 0) const;
  /// Every rank receives every rank's buffer, in rank order.
  std::vector<std::string> allgather(const std::string& mine) const;
  /// Deterministic sum: gathered to rank 0, summed in rank order, broadcast back.
  void allreduce_sum_ordered(std::span<double> values) const;
  /// Integer sums are exact in any order, so MPI_Allreduce is used directly.
  void allreduce_sum(std::span<std::int64_t> values) const;
  std::int64_t allreduce_max(std::int64_t v) const;
  /// Logical OR over ranks (for "did anyone fail").
  bool any(bool flag) const;
  /// Exclusive prefix sum of `v` in rank order (the offset of this rank's rows).
  std::int64_t exscan_sum(std::int64_t v) const;

  /// Point-to-point for dynamic work distribution (driver/worker).
  void send(const std::string& bytes, int dest, int tag) const;
  /// Receive from any source (or `source`); returns the sender through `from` and the tag.
  std::string recv(int source, int tag, int* from = nullptr, int* got_tag = nullptr) const;
  /// True when a message from `source` with `tag` (MPI_ANY_SOURCE/MPI_ANY_TAG allowed) is waiting:
  /// lets a rank that also computes serve requests between work items without blocking.
  bool poll(int source, int tag) const;

  /// Terminates every rank of the job; used by main after logging a fatal error.
  [[noreturn]] void abort(int code) const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

/// Throws MpiError with the MPI error string when `code` is not MPI_SUCCESS.
void mpi_check(int code, const char* what);

}  // namespace dmde
