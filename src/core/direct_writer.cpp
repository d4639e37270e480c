#include "core/direct_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "core/huge_pages.hpp"

namespace dmde {

DirectWriter::DirectWriter(const std::string& path, std::size_t buffer_bytes, std::size_t in_flight)
    : path_(path), buffer_bytes_(std::max(kAlign, buffer_bytes / kAlign * kAlign)), in_flight_(std::max<std::size_t>(in_flight, 1)) {
  // O_DIRECT is refused by some file systems (tmpfs, some FUSE): then direct() is false.
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_DIRECT);
  if (fd_ < 0) return;
  fd_buffered_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_buffered_ < 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  thread_ = std::thread([this] { run(); });
}

DirectWriter::~DirectWriter() {
  {
    std::lock_guard lk(mu_);
    stop_ = abandon_ = true;  // the job in progress ends; the queue is left (the thread owns its front)
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  if (fd_buffered_ >= 0) ::close(fd_buffered_);
  for (char* p : all_) std::free(p);
}

int DirectWriter::add(const h5::Dataset& d, std::size_t elem_size) {
  const haddr_t a = d.contiguous_offset();
  if (a == HADDR_UNDEF || a % kAlign != 0 || elem_size == 0 || kAlign % elem_size != 0) return -1;
  Column c;
  c.addr = a, c.rows = d.rows(), c.elem = elem_size;
  cols_.push_back(c);
  return static_cast<int>(cols_.size()) - 1;
}

void DirectWriter::run() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
    if (abandon_ || queue_.empty()) return;  // abandoned, or stopped with nothing left
    const Job j = queue_.front();
    lk.unlock();
    std::string err;
    const int fd = j.direct ? fd_ : fd_buffered_;
    for (std::size_t done = 0; done < j.bytes && err.empty();) {
      const ssize_t w = ::pwrite(fd, j.data + done, j.bytes - done, static_cast<off_t>(j.at + done));
      if (w > 0) done += static_cast<std::size_t>(w);
      else if (!(w < 0 && errno == EINTR)) err = "cannot write '" + path_ + "': " + (w < 0 ? std::strerror(errno) : "no progress");
    }
    lk.lock();
    queue_.pop_front();
    if (!err.empty() && error_.empty()) error_ = err;
    if (j.direct) written_ += j.bytes;
    if (j.release) free_.push_back(j.release);
    cv_.notify_all();
  }
}

char* DirectWriter::take_buffer() {
  std::unique_lock lk(mu_);
  // Each dataset fills one buffer; in_flight_ more may wait for the device.
  if (free_.empty() && all_.size() < cols_.size() + in_flight_) {
    void* p = nullptr;
    // 2 MiB-aligned when the buffer is whole huge pages: one fault each, cheaper O_DIRECT pinning.
    const std::size_t align = buffer_bytes_ % (std::size_t{2} << 20) == 0 ? std::size_t{2} << 20 : kAlign;
    if (::posix_memalign(&p, align, buffer_bytes_) != 0) throw Error("DirectWriter: out of memory");
    advise_huge_pages(p, buffer_bytes_);
    all_.push_back(static_cast<char*>(p));
    return static_cast<char*>(p);
  }
  const auto w0 = std::chrono::steady_clock::now();
  cv_.wait(lk, [&] { return !free_.empty() || !error_.empty(); });
  waited_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  if (!error_.empty()) throw Error(error_);
  char* b = free_.back();
  free_.pop_back();
  return b;
}

void DirectWriter::submit(Column& c, bool last) {
  if (!c.buf) return;
  const std::size_t whole = c.bytes / kAlign * kAlign, rest = c.bytes - whole;
  char* carry = nullptr;
  if (rest > 0 && !last) {  // the partial block starts the next buffer
    carry = take_buffer();
    std::memcpy(carry, c.buf + whole, rest);
  }
  {
    std::lock_guard lk(mu_);
    const bool tail = rest > 0 && last;  // through the page cache: the block's other bytes are not ours
    if (whole > 0) queue_.push_back({c.buf, whole, c.at, true, tail ? nullptr : c.buf});
    if (tail) queue_.push_back({c.buf + whole, rest, c.at + whole, false, c.buf});
    if (whole == 0 && !tail) free_.push_back(c.buf);  // nothing to write from it
  }
  cv_.notify_all();
  c.buf = carry, c.at += whole, c.bytes = carry ? rest : 0;
}

std::vector<std::pair<hsize_t, hsize_t>> DirectWriter::write(int k, hsize_t offset, hsize_t count, const void* data) {
  if (count == 0) return {};
  if (fd_ < 0 || k < 0) return {{offset, offset + count}};
  Column& c = cols_.at(static_cast<std::size_t>(k));
  if (offset + count > c.rows) throw Error("DirectWriter: rows beyond the end of a dataset in '" + path_ + "'");
  std::uint64_t at = c.addr + offset * c.elem;
  const std::uint64_t end = c.addr + (offset + count) * c.elem;
  const char* src = static_cast<const char*>(data);
  std::vector<std::pair<hsize_t, hsize_t>> left;
  if (!(c.buf && c.at + c.bytes == at)) {  // not a continuation: its head block is the caller's
    submit(c, true);
    const std::uint64_t A = (at + kAlign - 1) / kAlign * kAlign;
    if (A >= end) return {{offset, offset + count}};
    if (A > at) {
      left.emplace_back(offset, (A - c.addr) / c.elem);
      src += A - at;
      at = A;
    }
  }
  while (at < end) {
    if (!c.buf) c.buf = take_buffer(), c.at = at, c.bytes = 0;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(end - at, buffer_bytes_ - c.bytes));
    std::memcpy(c.buf + c.bytes, src, n);
    c.bytes += n, src += n, at += n;
    if (c.bytes == buffer_bytes_) submit(c, false);
  }
  return left;
}

void DirectWriter::finish() {
  if (fd_ < 0) return;
  for (auto& c : cols_) submit(c, true);
  std::string err;
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return queue_.empty() || !error_.empty(); });
    stop_ = true;
    err = error_;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const int rc = ::close(fd_), rc2 = ::close(fd_buffered_);
  fd_ = fd_buffered_ = -1;
  if (!err.empty()) throw Error(err);
  if (rc != 0 || rc2 != 0) throw Error("cannot close '" + path_ + "' after writing it");
}

std::uint64_t DirectWriter::bytes_written() const {
  std::lock_guard lk(mu_);
  return written_;
}

}  // namespace dmde
