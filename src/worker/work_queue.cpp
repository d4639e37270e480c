#include "worker/work_queue.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>

namespace dmde::worker {
namespace {

constexpr int kTask = 7101, kStop = 7102, kResult = 7103;

std::string pack(std::int64_t task, const std::string& body = {}) {
  std::string s(sizeof task, '\0');
  std::memcpy(s.data(), &task, sizeof task);
  return s + body;
}
std::int64_t unpack(const std::string& s) {
  std::int64_t t = 0;
  std::memcpy(&t, s.data(), sizeof t);
  return t;
}
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::int64_t run_work_queue(const Comm& comm, const std::vector<std::int64_t>& tasks,
                            const std::function<std::string(std::int64_t)>& compute,
                            const std::function<void(std::int64_t, const std::string&)>& commit,
                            const QueueOptions& opt) {
  std::int64_t committed = 0;
  if (!comm.is_root()) {
    std::deque<std::int64_t> queue;
    bool stop = false;
    for (;;) {
      while (comm.poll(0, MPI_ANY_TAG) || (queue.empty() && !stop)) {
        int tag = 0;
        const std::string m = comm.recv(0, MPI_ANY_TAG, nullptr, &tag);
        if (tag == kStop) stop = true;
        else queue.push_back(unpack(m));
        if (stop && queue.empty()) break;
      }
      if (queue.empty()) break;  // stop received and nothing left
      const std::int64_t t = queue.front();
      queue.pop_front();
      comm.send(pack(t, compute(t)), 0, kResult);
    }
  } else {
    const auto N = static_cast<std::size_t>(tasks.size());
    std::size_t next = 0;
    std::vector<int> outstanding(static_cast<std::size_t>(comm.size()), 0);
    int total_out = 0;
    bool stopping = false;
    auto give = [&](int w) {
      if (stopping || next >= N) return;
      comm.send(pack(tasks[next++]), w, kTask);
      ++outstanding[static_cast<std::size_t>(w)];
      ++total_out;
    };
    auto accept = [&]() {
      int from = 0;  // set by recv: must be read after it (not as a sibling argument)
      const std::string m = comm.recv(MPI_ANY_SOURCE, kResult, &from);
      --outstanding[static_cast<std::size_t>(from)];
      --total_out;
      if (!stopping) {
        commit(unpack(m), m.substr(sizeof(std::int64_t)));
        ++committed;
        if (opt.stop_after >= 0 && committed >= opt.stop_after) stopping = true;
      }
      give(from);
    };
    for (int k = 0; k < std::max(opt.prefetch, 1); ++k)
      for (int w = 1; w < comm.size(); ++w) give(w);
    // Serving from inside compute(): results are committed by task id, so the order does not
    // change any output. Reset on every exit so the caller never holds a dangling function.
    struct ServeGuard {
      std::function<void()>* f;
      ~ServeGuard() {
        if (f) *f = nullptr;
      }
    } guard{opt.serve};
    if (opt.serve) *opt.serve = [&] {
        while (total_out > 0 && comm.poll(MPI_ANY_SOURCE, kResult)) accept();
      };
    if (opt.stop_after == 0) stopping = true;
    for (;;) {
      while (total_out > 0 && comm.poll(MPI_ANY_SOURCE, kResult)) accept();
      if (!stopping && next < N) {
        const std::int64_t t = tasks[next++];
        const std::string r = compute(t);
        if (!stopping) {  // recheck: never commit past the stop point
          commit(t, r);
          ++committed;
          if (opt.stop_after >= 0 && committed >= opt.stop_after) stopping = true;
        }
        continue;
      }
      if (total_out == 0) break;
      accept();
    }
    for (int w = 1; w < comm.size(); ++w) comm.send(std::string(), w, kStop);
  }
  comm.bcast_value(committed);
  return committed;
}

Progress::Progress(std::string what, std::int64_t total, std::int64_t already_done, bool enabled, double period_s)
    : what_(std::move(what)), total_(total), done_(already_done), start_done_(already_done), enabled_(enabled),
      tty_(enabled && ::isatty(STDERR_FILENO)), period_s_(period_s), t0_(now_s()), last_(t0_) {}

Progress::~Progress() {
  if (tty_ && !finished_) std::fputc('\n', stderr);
}

void Progress::tick(std::int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const double t = now_s();
  if (tty_ ? t - last_ >= 0.2 : t - last_ >= period_s_) {
    last_ = t;
    print(false);
  }
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  print(true);
  finished_ = true;
}

void Progress::print(bool final_line) {
  const double el = now_s() - t0_;
  const double rate = el > 0 ? static_cast<double>(done_ - start_done_) / el : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0;
  const int pct = total_ ? static_cast<int>(100 * done_ / total_) : 100;
  char line[160];
  std::snprintf(line, sizeof line, "%s: %lld/%lld (%d%%), %.2f/s, %s %.0fs", what_.c_str(),
                static_cast<long long>(done_), static_cast<long long>(total_), pct, rate,
                final_line ? "elapsed" : "ETA", final_line ? el : eta);
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K%s", line, final_line ? "\n" : "");
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line);
  }
}

}  // namespace dmde::worker
