#include "core/chunk_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace dmde {

ChunkWriter::ChunkWriter(const std::string& path, bool direct) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) throw Error("cannot open '" + path + "' for writing: " + std::strerror(errno));
  // O_DIRECT is refused by some file systems (tmpfs, some FUSE): then every write is buffered.
  if (direct) fd_direct_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
}

ChunkWriter::~ChunkWriter() {
  if (fd_direct_ >= 0) ::close(fd_direct_);
  if (fd_ >= 0) ::close(fd_);
  std::free(stage_);
}

int ChunkWriter::add(const h5::Dataset& d, std::size_t elem_size) {
  Column c;
  c.addr = d.chunk_addresses(c.chunk_rows);
  c.rows = c.addr.empty() ? 0 : d.rows();
  c.elem = elem_size;
  if (c.addr.empty() || std::find(c.addr.begin(), c.addr.end(), HADDR_UNDEF) != c.addr.end()) return -1;
  cols_.push_back(std::move(c));
  return static_cast<int>(cols_.size()) - 1;
}

void ChunkWriter::pwrite_all(int fd, const void* data, std::size_t bytes, std::uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t w = ::pwrite(fd, p, bytes, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error("cannot write '" + path_ + "': " + std::strerror(w < 0 ? errno : EIO));
    p += w;
    bytes -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

void ChunkWriter::write(int k, hsize_t offset, hsize_t count, const void* data) {
  const Column& c = cols_.at(static_cast<std::size_t>(k));
  if (offset + count > c.rows) throw Error("ChunkWriter: rows beyond the end of a dataset in '" + path_ + "'");
  const std::size_t chunk_bytes = c.chunk_rows * c.elem;
  const auto* src = static_cast<const char*>(data);
  for (hsize_t r = offset; r < offset + count;) {
    const hsize_t ci = r / c.chunk_rows, r_end = std::min(offset + count, (ci + 1) * c.chunk_rows);
    const std::uint64_t at = c.addr[ci] + (r - ci * c.chunk_rows) * c.elem;
    const std::size_t bytes = (r_end - r) * c.elem;
    // Direct when the piece starts on a block and ends on one, or ends the dataset (the padding
    // then falls in the edge chunk's unused tail, which HDF5 stores but never reads).
    const std::size_t padded = (bytes + kAlign - 1) / kAlign * kAlign;
    const bool aligned = at % kAlign == 0 && chunk_bytes % kAlign == 0 &&
                         (padded == bytes || (r_end == c.rows && at + padded <= c.addr[ci] + chunk_bytes));
    if (fd_direct_ >= 0 && aligned && padded == bytes && reinterpret_cast<std::uintptr_t>(src) % kAlign == 0) {
      // Already a whole number of blocks in an aligned buffer: no staging copy.
      const ssize_t w = ::pwrite(fd_direct_, src, bytes, static_cast<off_t>(at));
      if (w < 0 && errno == EINVAL) {
        ::close(fd_direct_);
        fd_direct_ = -1;
      }
      if (w != static_cast<ssize_t>(bytes)) pwrite_all(fd_, src, bytes, at);
    } else if (fd_direct_ >= 0 && aligned) {
      if (stage_bytes_ < padded) {
        std::free(stage_);
        stage_ = std::aligned_alloc(kAlign, padded);
        if (!stage_) throw std::bad_alloc();
        stage_bytes_ = padded;
      }
      std::memcpy(stage_, src, bytes);
      std::memset(static_cast<char*>(stage_) + bytes, 0, padded - bytes);
      const ssize_t w = ::pwrite(fd_direct_, stage_, padded, static_cast<off_t>(at));
      if (w == static_cast<ssize_t>(padded)) {
        // done
      } else if (w < 0 && errno == EINVAL) {
        // Stricter alignment than kAlign: give up direct I/O for this file.
        ::close(fd_direct_);
        fd_direct_ = -1;
        pwrite_all(fd_, src, bytes, at);
      } else {
        pwrite_all(fd_, src, bytes, at);  // short or interrupted: finish the piece buffered
      }
    } else {
      pwrite_all(fd_, src, bytes, at);
    }
    src += bytes;
    r = r_end;
  }
}

void ChunkWriter::close() {
  int rc = 0;
  if (fd_direct_ >= 0) rc |= ::close(fd_direct_);
  if (fd_ >= 0) rc |= ::close(fd_);
  fd_direct_ = fd_ = -1;
  if (rc != 0) throw Error("cannot close '" + path_ + "' after writing it");
}

}  // namespace dmde
