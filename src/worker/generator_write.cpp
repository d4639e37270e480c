// Parallel writing of a generated table, and the truth report of a learning table.
#include <nlohmann/json.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "core/cpus.hpp"
#include "core/log.hpp"
#include "worker/generator.hpp"
#include "worker/partition.hpp"

namespace dmde::worker {
namespace {

std::string caf_meta() {
  std::string s;
  for (const auto& c : caf_catalogue()) {
    if (!s.empty()) s += ';';
    s += std::to_string(c.code);
    s += ':';
    s += c.name;
  }
  return s;
}

/// One generated block of rows, ready to write. X lives in a 4 KiB-aligned buffer so that
/// direct I/O writes its columns without a staging copy.
struct Block {
  std::int64_t begin = 0, rows = 0;
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd weight;
  std::unique_ptr<float, decltype(&std::free)> x{nullptr, &std::free};
  std::size_t x_capacity = 0;
  Eigen::MatrixXd out;
  float* reserve(std::size_t n) {
    if (n > x_capacity) {
      // 2 MiB-aligned and advised for huge pages: fewer first-touch faults, cheaper pinning of the
      // buffer by each O_DIRECT write.
      constexpr std::size_t kHuge = std::size_t{2} << 20;
      const std::size_t bytes = (n * sizeof(float) + kHuge - 1) / kHuge * kHuge;
      x.reset(static_cast<float*>(std::aligned_alloc(kHuge, bytes)));
      if (!x) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
      madvise(x.get(), bytes, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
      x_capacity = n;
    }
    return x.get();
  }
};

}  // namespace

int generator_threads(const Comm& comm) {
  // Capped to bound memory (one block buffer per thread). The writing thread mostly waits on the
  // kernel, so it is not counted.
  return std::clamp(cpus_per_rank(comm), 1, 8);
}

Generator write_generated(const Comm& comm, const GenerateSpec& spec) {
  Generator gen(spec.seed, spec.learning ? Domain::Learning : Domain::Population, spec.rows, spec.vars);
  const auto& cat = gen.catalogue();
  std::vector<int> cols;
  for (int j = 0; j < static_cast<int>(cat.size()); ++j)
    if (spec.selected.empty() || std::find(spec.selected.begin(), spec.selected.end(),
                                           cat[static_cast<std::size_t>(j)].info.name) != spec.selected.end())
      cols.push_back(j);
  TableSchema s;
  s.kind = spec.learning ? "learning" : "population";
  s.n_rows = spec.rows;
  for (int j : cols) s.vars.push_back(cat[static_cast<std::size_t>(j)].info);
  if (spec.learning) s.outcomes = Generator::outcome_names();
  s.meta = {{"generator", "dmde generate " + s.kind},
            {"generator_seed", std::to_string(spec.seed)},
            {"generator_vars", std::to_string(spec.vars)},
            {"cafs", caf_meta()}};
  WriteOptions wopt;
  wopt.numeric_float32 = !spec.learning;
  wopt.chunk_rows = static_cast<hsize_t>(std::min(spec.chunk_rows, spec.rows));
  wopt.direct_io = spec.direct_io;
  TableWriter w(comm, spec.output, s, wopt);
  const auto mine = block_range(spec.rows, comm.rank(), comm.size());
  if (spec.learning) (void)gen.truth();  // solve once, before the loop (the compute thread only reads it)
  // Pipelining: helper threads generate the next blocks while this thread writes the current one,
  // so the time approaches max(compute, write) instead of their sum. Only this (main) thread calls
  // HDF5/MPI (MPI_THREAD_FUNNELED); the generator is a pure function of the row range, so the
  // bits do not depend on which thread made a block.
  // Blocks follow the file's chunk grid (a rank's first block may be shorter): each column write
  // is then whole chunks, not two partial ones.
  // Several chunks per block when they fit in ~128 MB of values: a column's chunks of one block
  // are adjacent in the file and go to disk as one larger request.
  const auto chunk_bytes = spec.chunk_rows * static_cast<std::int64_t>(std::max<std::size_t>(cols.size(), 1)) * 4;
  const std::int64_t block_rows =
      spec.chunk_rows * (spec.block_chunks > 0 ? spec.block_chunks
                                               : std::clamp<std::int64_t>((std::int64_t{128} << 20) / chunk_bytes, 1, 4));
  const auto block_end = [&](std::int64_t b) { return std::min(mine.end, (b / block_rows + 1) * block_rows); };
  const auto make = [&](std::int64_t b, Block& k) {
    k.begin = b;
    const std::int64_t e = block_end(b);
    gen.fill_keys(b, e, k.id, k.caf, k.weight);
    k.rows = e - b;
    gen.fill(b, e, cols, k.reserve(static_cast<std::size_t>(k.rows) * cols.size()));
    if (spec.learning) gen.fill_outcomes(b, e, k.out);
    else k.out.resize(e - b, 0);
  };
  const auto threads = static_cast<std::size_t>(spec.threads > 0 ? spec.threads : generator_threads(comm));
  spdlog::debug("generate: {} generating thread(s) beside the writing one", threads);
  std::vector<std::int64_t> starts;
  for (std::int64_t b = mine.begin; b < mine.end; b = block_end(b)) starts.push_back(b);
  const auto n_blocks = static_cast<std::int64_t>(starts.size());
  // Persistent generating threads (their per-thread scratch is reused block after block): block k
  // goes to ring slot k mod (threads + 1) once block k - threads - 1 has been written.
  const auto slots = static_cast<std::int64_t>(threads) + 1;
  std::vector<Block> buf(static_cast<std::size_t>(slots));
  std::vector<std::int64_t> ready(buf.size(), -1);  // block held by each slot, once made
  std::int64_t claimed = 0, written = 0;
  bool stop = false;
  std::exception_ptr failure;
  std::mutex mu;
  std::condition_variable cv;
  // Idle time, for the debug log: generating threads waiting for a free slot, the writer waiting
  // for the next block, and the writer's own time in write_rows.
  using clock = std::chrono::steady_clock;
  clock::duration gen_idle{}, write_idle{}, write_busy{};
  const auto work = [&] {
    for (;;) {
      std::unique_lock lock(mu);
      const std::int64_t k = claimed++;
      if (k >= n_blocks) return;
      const auto t0 = clock::now();
      cv.wait(lock, [&] { return stop || k < written + slots; });
      gen_idle += clock::now() - t0;
      if (stop) return;
      lock.unlock();
      auto& slot = buf[static_cast<std::size_t>(k % slots)];
      try {
        make(starts[static_cast<std::size_t>(k)], slot);
      } catch (...) {
        lock.lock();
        if (!failure) failure = std::current_exception();
        stop = true;
        cv.notify_all();
        return;
      }
      lock.lock();
      ready[static_cast<std::size_t>(k % slots)] = k;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  const auto finish = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    for (auto& t : pool) t.join();
    pool.clear();
  };
  for (std::size_t t = 0; t < std::min<std::size_t>(threads, static_cast<std::size_t>(n_blocks)); ++t) pool.emplace_back(work);
  try {
    for (std::int64_t k = 0; k < n_blocks; ++k) {
      const auto t0 = clock::now();
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return stop || ready[static_cast<std::size_t>(k % slots)] == k; });
        if (failure) std::rethrow_exception(failure);
      }
      const auto t1 = clock::now();
      const Block& cur = buf[static_cast<std::size_t>(k % slots)];
      w.write_rows(cur.begin, cur.id, cur.caf, cur.weight, cur.out,
                   Eigen::Map<const Eigen::MatrixXf>(cur.x.get(), cur.rows, static_cast<Eigen::Index>(cols.size())));
      write_idle += t1 - t0;
      write_busy += clock::now() - t1;
      std::lock_guard lock(mu);
      ++written;
      cv.notify_all();
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  const auto secs = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  spdlog::debug("generate: {} blocks; writer busy {:.2f} s, waiting for blocks {:.2f} s; generating threads waiting "
                "for a free slot {:.2f} s (summed)", n_blocks, secs(write_busy), secs(write_idle), secs(gen_idle));
  w.commit();
  return gen;
}

std::string truth_report(const Generator& gen, const GenerateSpec& spec) {
  const auto& truth = gen.truth();
  const auto tv = truth.variables();
  const auto& cat = gen.catalogue();
  std::vector<int> tc;
  for (const auto& v : tv)
    for (int j = 0; j < core_var_count(); ++j)
      if (cat[static_cast<std::size_t>(j)].info.name == v) tc.push_back(j);
  Eigen::MatrixXf T;
  Eigen::MatrixXd o;
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd weight;
  gen.fill(0, gen.rows(), tc, T);
  gen.fill_outcomes(0, gen.rows(), o);
  gen.fill_keys(0, gen.rows(), id, caf, weight);
  const Eigen::VectorXd eta = truth.eta(T, tv);
  const Eigen::VectorXd y = o.col(5);
  nlohmann::json extra = {{"seed", spec.seed},
                          {"table", spec.output},
                          {"rows", spec.rows},
                          {"target", "target_c4 = overpayment_amount > 600 and overpayment_months > 6"},
                          {"table_target_rate_weighted", weight.dot(y) / weight.sum()},
                          {"table_target_rate", y.mean()},
                          {"table_true_model_auc", rank_auc(eta, y)}};
  return truth.to_json(extra.dump());
}

}  // namespace dmde::worker
