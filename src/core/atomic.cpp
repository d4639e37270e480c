#include "core/atomic.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace dmde {

AtomicPath::AtomicPath(std::string final_path, const Comm* comm)
    : final_(std::move(final_path)), temp_(final_ + ".partial"), comm_(comm) {
  if (!comm_ || comm_->is_root()) std::remove(temp_.c_str());
}

AtomicPath::~AtomicPath() {
  if (!committed_ && (!comm_ || comm_->is_root())) std::remove(temp_.c_str());
}

void AtomicPath::commit() {
  if (comm_) comm_->barrier();  // every rank has closed its handle on the temp file
  std::string err;
  if (!comm_ || comm_->is_root()) {
    if (std::rename(temp_.c_str(), final_.c_str()) != 0)
      err = "cannot rename '" + temp_ + "' to '" + final_ + "': " + std::strerror(errno);
  }
  if (comm_) comm_->bcast(err);
  if (!err.empty()) throw Error(err);
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicPath out(path);
  {
    const int fd = ::open(out.temp().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw Error("cannot write '" + path + "': " + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        ::close(fd);
        throw Error("cannot write '" + path + "': " + std::strerror(errno));
      }
      done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
  }
  out.commit();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dmde
