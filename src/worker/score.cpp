// Scoring one population: the plan, per-Caf scoring on every rank (one thread, or pipelined beside
// the HDF5 thread), national percentiles from a global histogram, drift and summaries.
#include "core/serialize.hpp"  // first: Eigen members
#include "worker/score.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/serialization/array.hpp>
#include <chrono>

#include "core/atomic.hpp"
#include "core/cpus.hpp"
#include "worker/score_scorer.hpp"

namespace dmde::worker {

using namespace scoring;


// Defined in score_finish.cpp: national percentiles, drift and the small tables.
ScoreResult score_population(const Comm& comm, const ScoreModel& model, const std::string& pop_path,
                             const std::string& out_path, const ScoreOptions& opt) {
  model.validate("model");
  if (!(opt.top_percent > 0 && opt.top_percent <= 100)) throw InputError("top percent must be in (0, 100]");
  if (opt.chunk_rows < 1) throw InputError("chunk rows must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  auto lap = [&](const char* what) {
    spdlog::debug("{}: {:.3f} s", what, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  TableReader pop(pop_path, &comm);
  Scorer scorer(model, pop, opt);  // checks every model variable exists with its kind (same on all ranks)
  if (opt.raw_inputs) {
    std::vector<std::string> inputs;
    for (const auto& c : model.coding) inputs.push_back(c.variable);
    pop.open_raw(inputs);  // collective
    spdlog::debug("{} of {} inputs read raw (pread of their chunks)", pop.raw_columns(), inputs.size());
    lap("opened");
  }
  const ScorePlan plan = plan_scoring(comm, pop, std::max<std::int64_t>(opt.chunk_rows, 1 << 20));
  if (comm.is_root()) {
    spdlog::info("scoring {} dossiers of {} Cafs on {} rank(s), {} model inputs{}", plan.n_rows, plan.cafs.size(),
                 comm.size(), model.coding.size(), plan.grouped ? "" : " (Cafs not contiguous: slow path)");
    if (!plan.grouped && !plan.ids_increasing)
      spdlog::warn("dossier ids are not increasing in file order: duplicates are checked within each Caf only");
  }
  lap("plan");
  std::vector<std::int32_t> listed;
  if (pop.file().exists("cafs")) listed = pop.file().dataset("cafs").read_all<std::int32_t>();

  AtomicPath atomic(out_path, &comm);
  ScoreOutput out(comm, atomic.temp(), plan.n_rows, plan.grouped && opt.collective_writes, opt.direct_io);
  const auto mine = plan.cafs_of(comm.rank());
  std::int64_t my_writes = 0, my_rows = 0, largest = 0;
  std::vector<Segment> runs;
  for (auto c : mine) {
    my_rows += plan.caf_rows[c];
    largest = std::max(largest, plan.caf_rows[c]);
    my_writes += static_cast<std::int64_t>(plan.caf_segments[c].size());
    runs.insert(runs.end(), plan.caf_segments[c].begin(), plan.caf_segments[c].end());
  }
  std::sort(runs.begin(), runs.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  std::vector<Segment> merged;
  std::vector<std::int64_t> starts;
  for (const auto& r : runs) {
    starts.push_back(r.begin);
    if (!merged.empty() && merged.back().end == r.begin) merged.back().end = r.end;
    else merged.push_back(r);
  }
  scorer.set_runs(std::move(merged), std::move(starts));
  scorer.reserve(static_cast<std::size_t>(my_rows), static_cast<std::size_t>(largest));
  const std::int64_t rounds = out.collective() ? comm.allreduce_max(my_writes) : my_writes;

  // Errors inside a Caf are kept until every rank has made its collective calls, then thrown on all.
  std::string err;
  bool input_err = false;
  std::int64_t done = 0;
  PhaseSeconds io{};  // pipelined mode: the HDF5 thread's reads and writes
  const int threads = opt.threads > 0 ? opt.threads : std::min(2, cpus_per_rank(comm));
  if (threads >= 2 && !out.collective()) {
    run_pipelined(scorer, plan, mine, out, io, err, input_err);
    done = static_cast<std::int64_t>(mine.size());  // independent writes: no rounds to make up
  } else {
    CafBuffers b;
    b.reserve(scorer.largest_caf());
    for (auto c : mine) {
      const auto& segs = plan.caf_segments[c];
      if (err.empty()) {
        try {
          scorer.score_caf(segs, plan.caf_rows[c], b);
        } catch (const InputError& e) {
          err = e.what(), input_err = true;
        } catch (const std::exception& e) {
          err = e.what();
        }
      }
      std::size_t at = 0;
      PhaseTimer timer(io, kWrite);
      for (const auto& s : segs) {
        const std::int64_t cnt = err.empty() ? s.end - s.begin : 0;
        out.write_rows(s.begin, cnt, b.block(err.empty() ? at : 0));
        at += static_cast<std::size_t>(s.end - s.begin);
        ++done;
      }
    }
  }
  lap("scored own Cafs");
  {
    const auto& c = scorer.cpu();
    spdlog::debug("CPU s ({} thread(s)): read {:.3f}, coding {:.3f}, effects and reasons {:.3f}, probabilities {:.3f}, "
                  "ranks {:.3f}, writes {:.3f}", threads, c[kRead] + io[kRead], c[kCode] + io[kCode], c[kTerms], c[kProb], c[kRank],
                  io[kWrite]);
  }
  const RowBlock none = CafBuffers{}.block(0);
  for (; done < rounds; ++done) out.write_rows(0, 0, none);
  lap("per-dossier pass");
  const bool any_input = comm.any(input_err);
  if (comm.any(!err.empty())) {  // every rank throws the first error in rank order
    std::string msg;
    for (const auto& e : comm.allgather(err))
      if (msg.empty()) msg = e;
    if (any_input) throw InputError(msg);
    throw Error(msg);
  }
  auto res = finish_scoring(comm, model, plan, out, scorer.state(), opt, listed);
  lap("national percentiles and tables");
  out.file().set_attr("model_fingerprint", model.fingerprint());
  out.file().set_attr("model_name", model.name);
  out.file().set_attr("population", opt.population_label.empty() ? pop_path : opt.population_label);
  out.file().set_attr("top_percent", opt.top_percent);
  out.file().set_attr("n_rows", plan.n_rows);
  out.close();
  if (out.direct_bytes() > 0)
    spdlog::debug("{:.1f} MB of results written with O_DIRECT", static_cast<double>(out.direct_bytes()) / 1048576.0);
  atomic.commit();
  lap("closed and renamed");
  return res;
}

}  // namespace dmde::worker
