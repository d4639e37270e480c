#include "worker/checkpoint.hpp"

#include <fmt/format.h>

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

}  // namespace

Checkpoint::Checkpoint(std::string path, std::string job_key, bool resume) : path_(std::move(path)), key_(std::move(job_key)) {
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
  auto f = h5::File::create(path_);
  f.set_attr("dmde_format", std::string("dmde-checkpoint"));
  f.set_attr("job_key", key_);
  f.create_group("done");
  f.flush();
}

void Checkpoint::append(std::int64_t task, const std::string& bytes) {
  if (done_.count(task)) return;
  {
    auto f = h5::File::open(path_, true);
    auto g = f.group("done");
    const std::string name = fmt::format("t{}", task);
    // A dataset left without its checksum by a killed run is replaced.
    if (g.exists(name)) H5Ldelete(g.id(), name.c_str(), H5P_DEFAULT);
    auto d = g.create_dataset<std::uint8_t>(name, bytes.size());
    if (!bytes.empty()) d.write(reinterpret_cast<const std::uint8_t*>(bytes.data()), 0, bytes.size());
    d.set_attr("fnv", hex(fnv1a64(bytes.data(), bytes.size())));
    f.flush();
  }  // closed: on disk before the next task is handed out
  done_[task] = bytes;
}

void Checkpoint::remove() { std::filesystem::remove(path_); }

}  // namespace dmde::worker
