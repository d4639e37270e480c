#include "worker/checkpoint.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/file.h>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/h5.hpp"
#include "worker/artifact_io.hpp"

namespace dmde::worker {
namespace {

std::string hex(std::uint64_t h) {
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(h));
  return b;
}

// Data on stable storage (a node crash, not just a killed process), or InputError.
void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    throw InputError("cannot sync checkpoint '" + path + "': " + why);
  }
  ::close(fd);
}

}  // namespace

Checkpoint::Checkpoint(std::string path, std::string job_key, bool resume) : path_(std::move(path)), key_(std::move(job_key)) {
  // Two live runs appending to one checkpoint would overwrite each other's copies.
  const int fd = ::open((path_ + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd >= 0) {
    lock_ = std::shared_ptr<int>(new int(fd), [](int* f) { ::close(*f); delete f; });
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
      throw InputError("checkpoint '" + path_ + "' is in use by another running job");
  }  // no lock file or no flock support (some network file systems): proceed unguarded
  if (resume && std::filesystem::exists(path_)) {
    try {
      auto f = h5::File::open(path_);
      if (!f.has_attr("dmde_format") || f.attr_string("dmde_format") != "dmde-checkpoint")
        throw InputError("'" + path_ + "' is not a dmde checkpoint");
      if (f.attr_string("job_key") != key_)
        throw InputError("checkpoint '" + path_ + "' belongs to another job (different data or parameters); "
                         "run without --resume to start over");
      auto g = f.group("done");
      for (const auto& name : g.list()) {
        auto d = g.dataset(name);
        if (!d.has_attr("fnv")) continue;  // interrupted before the checksum: recompute
        const auto v = d.read_all<std::uint8_t>();
        std::string bytes(v.begin(), v.end());
        if (d.attr_string("fnv") != hex(fnv1a64(bytes.data(), bytes.size()))) continue;
        done_[std::stoll(name.substr(1))] = std::move(bytes);
      }
    } catch (const H5Error& e) {
      throw InputError("checkpoint '" + path_ + "' is unreadable (" + e.what() + "); run without --resume");
    }
    return;
  }
  const std::string tmp = path_ + ".partial";
  {
    auto f = h5::File::create(tmp);
    f.set_attr("dmde_format", std::string("dmde-checkpoint"));
    f.set_attr("job_key", key_);
    f.create_group("done");
    f.flush();
  }
  sync_file(tmp);
  std::filesystem::rename(tmp, path_);
}

// HDF5 is not crash-consistent: a SIGKILL in the middle of a write can leave the whole file
// unreadable. So each append writes a copy and renames it over the checkpoint (atomic on POSIX),
// after an fsync: a kill at any instant leaves the previous or the next complete file.
void Checkpoint::append(std::int64_t task, const std::string& bytes) {
  if (done_.count(task)) return;
  const std::string tmp = path_ + ".partial";
  std::filesystem::copy_file(path_, tmp, std::filesystem::copy_options::overwrite_existing);
  {
    auto f = h5::File::open(tmp, true);
    auto g = f.group("done");
    const std::string name = fmt::format("t{}", task);
    // A dataset left without its checksum by a killed run is replaced.
    if (g.exists(name)) H5Ldelete(g.id(), name.c_str(), H5P_DEFAULT);
    auto d = g.create_dataset<std::uint8_t>(name, bytes.size());
    if (!bytes.empty()) d.write(reinterpret_cast<const std::uint8_t*>(bytes.data()), 0, bytes.size());
    d.set_attr("fnv", hex(fnv1a64(bytes.data(), bytes.size())));
    f.flush();
  }  // closed before the rename
  sync_file(tmp);
  std::filesystem::rename(tmp, path_);
  done_[task] = bytes;
}

void Checkpoint::remove() {
  std::filesystem::remove(path_);
  std::filesystem::remove(path_ + ".partial");
  std::filesystem::remove(path_ + ".lock");
}

}  // namespace dmde::worker
