#pragma once
// Asynchronous direct I/O for the rows of contiguous datasets (the scores file). HDF5 stores an
// unfiltered contiguous dataset as the raw bytes of its type from one file offset, so a writer
// that knows the offset can pwrite rows itself. Whole 4 KiB blocks of a piece are copied into
// aligned staging buffers and written through an O_DIRECT descriptor by a writer thread: the
// caller neither copies into the page cache (on the VMs we run on, page-cache writes of the 1.1 GB
// of nightly scores cost more CPU than the copy here, and dirty-page writeback made them vary from
// 0.1 to 1.8 s per rank) nor waits for the device. The unaligned edges of a piece are left to the
// caller, who writes them with H5Dwrite: direct and buffered bytes never share a file-system block,
// so the page cache and the direct writes stay coherent, also between ranks whose pieces meet
// inside a block. A dataset's last block is never padded (the bytes after it may be metadata).
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/h5.hpp"

namespace dmde {

class DirectWriter {
 public:
  /// Alignment of O_DIRECT offsets, lengths and buffers (the usual logical block size or a multiple).
  static constexpr std::size_t kAlign = 4096;

  /// Opens `path`, an existing file (HDF5 created it with File::create's `align` = kAlign, which
  /// also keeps HDF5 from caching raw data around its own writes), with O_DIRECT, and starts the
  /// writer thread; staging buffers hold `buffer_bytes` (a multiple of
  /// kAlign), each dataset fills one at a time and at most `in_flight` more wait for the device.
  /// direct() is false when the file system refuses O_DIRECT (tmpfs): then every piece is the caller's.
  explicit DirectWriter(const std::string& path, std::size_t buffer_bytes = std::size_t{2} << 20,
                        std::size_t in_flight = 8);
  /// Stops the thread; pending writes are abandoned (use finish() to complete them).
  ~DirectWriter();
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  /// Registers a 1-D dataset of `elem_size`-byte elements (1, 2, 4 or 8); returns its index, or -1
  /// when it cannot take direct writes (not contiguous, filtered, unallocated, or its storage not
  /// aligned on kAlign). Collective in a parallel file, like every metadata query.
  int add(const h5::Dataset& d, std::size_t elem_size);
  /// Takes rows [offset, offset + count) of dataset `k` (copied: `data` may be reused on return).
  /// Rows that continue this writer's previous piece of the dataset join it; a piece that does not
  /// leaves its first partial block to the caller. Returns the row ranges [first, second) the
  /// caller must write with H5Dwrite (that head, or everything when !direct() or k < 0). Waits for
  /// a free staging buffer when all are in flight; throws dmde::Error if an earlier write failed.
  std::vector<std::pair<hsize_t, hsize_t>> write(int k, hsize_t offset, hsize_t count, const void* data);
  /// Whether O_DIRECT writes are possible.
  bool direct() const { return fd_ >= 0; }
  /// Writes what the datasets' buffers hold (whole blocks directly, a last partial block through
  /// the page cache), waits until every write is done, stops the thread and closes the descriptors
  /// (before the HDF5 file is closed). Throws dmde::Error on a failed write or close.
  void finish();
  /// Bytes written directly so far (for logs and tests).
  std::uint64_t bytes_written() const;
  /// Wall seconds write() waited for a staging buffer (the device behind).
  double waited() const { return waited_; }

 private:
  struct Column {
    haddr_t addr = 0;
    hsize_t rows = 0;
    std::size_t elem = 0;
    char* buf = nullptr;     ///< staging buffer being filled, or nullptr
    std::uint64_t at = 0;    ///< file offset of buf[0] (block-aligned)
    std::size_t bytes = 0;   ///< bytes in buf
  };
  struct Job {
    const char* data;
    std::size_t bytes;
    std::uint64_t at;
    bool direct;    ///< false: a last partial block, through the page cache
    char* release;  ///< staging buffer free once this job is done, or nullptr
  };
  std::string path_;
  int fd_ = -1, fd_buffered_ = -1;
  std::vector<Column> cols_;
  std::size_t buffer_bytes_, in_flight_;
  std::vector<char*> free_;  ///< staging buffers not in use
  std::vector<char*> all_;
  std::deque<Job> queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, abandon_ = false;
  std::string error_;
  std::uint64_t written_ = 0;
  double waited_ = 0;
  std::thread thread_;

  void run();
  /// Hands column c's buffer to the thread: its whole blocks, or everything (`last`: the partial
  /// block too, buffered); a partial block that is not last moves to a fresh buffer.
  void submit(Column& c, bool last);
  /// A free buffer (waits for one); throws the writer's error.
  char* take_buffer();
};

}  // namespace dmde
