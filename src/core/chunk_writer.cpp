#include "core/chunk_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace dmde {

ChunkWriter::ChunkWriter(const std::string& path) : path_(path) {
  // O_DIRECT is refused by some file systems (tmpfs, some FUSE): then direct() is false.
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
}

ChunkWriter::~ChunkWriter() {
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

bool ChunkWriter::direct_write(const void* buf, std::size_t bytes, std::uint64_t at) {
  ssize_t w;
  do w = ::pwrite(fd_, buf, bytes, static_cast<off_t>(at));
  while (w < 0 && errno == EINTR);
  if (w < 0 && errno == EINVAL) {
    // Stricter alignment than kAlign: no more direct writes to this file.
    ::close(fd_);
    fd_ = -1;
  } else if (w < 0) {
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  return w == static_cast<ssize_t>(bytes);  // a short write is redone by the caller, whole
}

std::vector<std::pair<hsize_t, hsize_t>> ChunkWriter::write(int k, hsize_t offset, hsize_t count, const void* data) {
  const Column& c = cols_.at(static_cast<std::size_t>(k));
  if (offset + count > c.rows) throw Error("ChunkWriter: rows beyond the end of a dataset in '" + path_ + "'");
  std::vector<std::pair<hsize_t, hsize_t>> left;
  const auto leave = [&](hsize_t r0, hsize_t r1) {
    if (!left.empty() && left.back().second == r0) left.back().second = r1;
    else left.emplace_back(r0, r1);
  };
  // Whole aligned chunks that follow each other in the file (HDF5 allocates a dataset's chunks in
  // order) go out as one request: fewer, larger requests keep the device busier.
  std::uint64_t run_at = 0;
  const char* run_src = nullptr;
  std::size_t run_bytes = 0;
  hsize_t run_r0 = 0, run_r1 = 0;
  const auto flush = [&] {
    if (run_bytes > 0 && !(fd_ >= 0 && direct_write(run_src, run_bytes, run_at))) leave(run_r0, run_r1);
    run_bytes = 0;
  };
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
    if (fd_ >= 0 && aligned && padded == bytes && reinterpret_cast<std::uintptr_t>(src) % kAlign == 0) {
      if (run_bytes > 0 && run_at + run_bytes == at && run_bytes + bytes <= kMaxRequest) {
        run_bytes += bytes;
        run_r1 = r_end;
      } else {
        flush();
        run_at = at;
        run_src = src;
        run_bytes = bytes;
        run_r0 = r;
        run_r1 = r_end;
      }
    } else {
      flush();
      bool done = false;
      if (fd_ >= 0 && aligned) {
        // O_DIRECT needs an aligned buffer of whole blocks: stage the piece.
        if (stage_bytes_ < padded) {
          std::free(stage_);
          stage_ = std::aligned_alloc(kAlign, padded);
          if (!stage_) throw std::bad_alloc();
          stage_bytes_ = padded;
        }
        std::memcpy(stage_, src, bytes);
        std::memset(static_cast<char*>(stage_) + bytes, 0, padded - bytes);
        done = direct_write(stage_, padded, at);
      }
      if (!done) leave(r, r_end);
    }
    src += bytes;
    r = r_end;
  }
  flush();
  return left;
}

void ChunkWriter::close() {
  const int rc = fd_ >= 0 ? ::close(fd_) : 0;
  fd_ = -1;
  if (rc != 0) throw Error("cannot close '" + path_ + "' after writing it");
}

}  // namespace dmde
