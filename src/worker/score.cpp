// Scoring one population: per-Caf streaming compute, collective output rounds, national
// percentiles from a global histogram, drift and summaries.
#include "core/serialize.hpp"  // first: Eigen members
#include "worker/score.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/serialization/array.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <limits>
#include <numeric>

#include "core/atomic.hpp"
#include "worker/score_io.hpp"
#include "worker/score_kernel.hpp"
#include "worker/score_sort.hpp"

namespace dmde::worker {
namespace {

/// Phases whose CPU seconds are logged at debug level (thread CPU time: on a shared node the wall
/// clock mostly measures the neighbours).
enum Phase { kRead, kCode, kTerms, kProb, kRank, kWrite, kPhases };
using PhaseSeconds = std::array<double, kPhases>;

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Adds the thread CPU time of its scope to one phase.
class PhaseTimer {
 public:
  PhaseTimer(PhaseSeconds& acc, Phase p) : acc_(acc[p]), t0_(thread_cpu()) {}
  ~PhaseTimer() { acc_ += thread_cpu() - t0_; }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  double& acc_;
  double t0_;
};

constexpr int kHistBits = 20;
constexpr std::size_t kCodeBlock = 4096;  ///< rows coded at a time into an int buffer that stays in L1
constexpr std::size_t kCompareClasses = 12;  ///< up to this many classes, counted by compares (count_codes)
static_assert(kCodeBlock < 8160, "count_codes keeps per-byte counters");
constexpr std::int64_t kHistBins = std::int64_t{1} << kHistBits;

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::int64_t hist_bin(double p) { return std::min<std::int64_t>(kHistBins - 1, static_cast<std::int64_t>(p * kHistBins)); }

/// Per-dossier results of one Caf, in file order of its rows.
struct CafBuffers {
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf, rank;
  std::vector<double> eta, prob, pct;
  std::vector<std::uint8_t> flag;
  std::array<std::vector<std::int16_t>, 3> reason;
  std::array<std::vector<double>, 3> contrib;

  void resize(std::size_t n) {
    id.resize(n), caf.resize(n), rank.resize(n), eta.resize(n), prob.resize(n), pct.resize(n), flag.resize(n);
    for (auto& r : reason) r.resize(n);
    for (auto& c : contrib) c.resize(n);
  }
  RowBlock block(std::size_t at) const {
    RowBlock b{id.data() + at, caf.data() + at, eta.data() + at, prob.data() + at, rank.data() + at,
               pct.data() + at, flag.data() + at, {}, {}};
    for (std::size_t k = 0; k < 3; ++k) b.reason[k] = reason[k].data() + at, b.contrib[k] = contrib[k].data() + at;
    return b;
  }
};

class Scorer {
 public:
  Scorer(const ScoreModel& m, const TableReader& pop, const ScoreOptions& opt)
      : m_(m), pop_(pop), opt_(opt), plan_(kernel_plan(m.card)) {
    for (const auto& c : m.coding) coders_.emplace_back(c, pop.schema(), pop.path());
    auto& offset_ = st_.class_offset;
    offset_.push_back(0);
    int most = 0;
    for (const auto& c : m.coding) offset_.push_back(offset_.back() + c.n_classes), most = std::max(most, c.n_classes);
    code_bytes_ = most <= 256 ? 1 : most <= 65536 ? 2 : 4;
    st_.var_counts.resize(m.coding.size());
    st_.class_counts.assign(static_cast<std::size_t>(offset_.back()), 0);
    st_.score_bins.assign(m.score_cuts.size() + 1, 0);
    st_.hist.assign(static_cast<std::size_t>(kHistBins), 0);
  }
  ScoreTallies& state() { return st_; }
  PhaseSeconds& cpu() { return cpu_; }
  /// This rank's rows as maximal contiguous runs, ascending (a block read never goes past one), and
  /// the first rows of its Caf segments, ascending (where a block's parts begin).
  void set_runs(std::vector<Segment> runs, std::vector<std::int64_t> starts) {
    runs_ = std::move(runs);
    starts_ = std::move(starts);
  }

  /// Scores every row of one Caf into `b` and fills its summary.
  void score_caf(const std::vector<Segment>& segs, std::int64_t rows, CafBuffers& b) {
    b.resize(static_cast<std::size_t>(rows));
    CafResult r;
    r.caf = segs.front().caf;
    r.rows_in = rows;
    std::vector<CodingCounts> before = st_.var_counts;
    std::size_t at = 0;
    const std::int64_t g = opt_.chunk_rows;
    for (const auto& s : segs)
      for (std::int64_t off = s.begin; off < s.end;) {  // pieces never cross the grid of g rows
        const std::int64_t cnt = std::min((off / g + 1) * g, s.end) - off;
        score_chunk(off, cnt, b, at);
        at += static_cast<std::size_t>(cnt);
        off += cnt;
      }
    for (std::size_t k = 0; k < before.size(); ++k) {
      r.unseen += st_.var_counts[k].unseen - before[k].unseen;
      r.missing += st_.var_counts[k].missing - before[k].missing;
      r.out_of_range += st_.var_counts[k].out_of_range - before[k].out_of_range;
      r.nonfinite += st_.var_counts[k].nonfinite - before[k].nonfinite;
    }
    std::fill(b.caf.begin(), b.caf.end(), r.caf);
    PhaseTimer timer(cpu_, kRank);
    rank_caf(b, r);
    st_.cafs.push_back(r);
  }

 private:
  void score_chunk(std::int64_t off, std::int64_t cnt, CafBuffers& b, std::size_t at) {
    const auto n = static_cast<std::size_t>(cnt);
    const Part* part = load(off, cnt);
    for (std::size_t k = 0; k < coders_.size(); ++k) {  // the piece's counts join its Caf's now
      auto& v = st_.var_counts[k];
      const auto& c = part->counts[k];
      v.missing += c.missing, v.nonfinite += c.nonfinite, v.out_of_range += c.out_of_range, v.unseen += c.unseen;
    }
    for (std::size_t c = 0; c < part->classes.size(); ++c) st_.class_counts[c] += part->classes[c];
    const auto skip = static_cast<std::size_t>(off - lo_);
    const std::size_t g = stride();
    std::copy_n(ids_.data() + skip, n, b.id.begin() + static_cast<std::ptrdiff_t>(at));
    {
    PhaseTimer timer(cpu_, kTerms);
    const std::array<std::int16_t*, 3> reason{b.reason[0].data() + at, b.reason[1].data() + at, b.reason[2].data() + at};
    const std::array<double*, 3> contrib{b.contrib[0].data() + at, b.contrib[1].data() + at, b.contrib[2].data() + at};
    double* eta = b.eta.data() + at;
    const double c0 = m_.card.intercept;
    if (code_bytes_ == 1) score_rows(plan_, narrow_.data() + skip, g, n, eta, reason, contrib);
    else if (code_bytes_ == 2)
      score_rows(plan_.terms, c0, reinterpret_cast<const std::uint16_t*>(narrow_.data()) + skip, g, n, eta, reason, contrib);
    else score_rows(plan_.terms, c0, reinterpret_cast<const int*>(narrow_.data()) + skip, g, n, eta, reason, contrib);
    }
    const double* eta = b.eta.data() + at;
    PhaseTimer timer2(cpu_, kProb);
    double* prob = b.prob.data() + at;
    for (std::size_t i = 0; i < n; ++i) prob[i] = model::inv_logit(eta[i]);
  }

  /// Distance between two inputs' codes in narrow_, in codes: a chunk plus one cache line's worth, so
  /// that the kernel's 100 or so streams (one per input) do not all fall in the same cache sets (a
  /// power-of-two stride made every code load an L3 access).
  std::size_t stride() const { return static_cast<std::size_t>(opt_.chunk_rows) + 64; }

  /// Rows of a loaded block between two of this rank's Caf starts, with their coding and class
  /// counts, added to the tallies when scoring reaches them (per-Caf summaries).
  struct Part {
    std::int64_t begin = 0, end = 0;
    std::vector<CodingCounts> counts;   ///< per input
    std::vector<std::int64_t> classes;  ///< per input class, as ScoreTallies::class_counts
  };

  /// Makes rows [off, off + cnt) available as ids_ and class codes in narrow_ (input k's codes at
  /// k * chunk_rows, from row lo_) and returns their Part. Reads whole pieces of the grid of
  /// chunk_rows rows (the file's chunks when dmde wrote it), up to the end of this rank's run: one
  /// read per column per chunk, however small the Cafs (a partial read of a chunked dataset costs
  /// the whole chunk). Each column is coded right after its read, while it is still in cache.
  const Part* load(std::int64_t off, std::int64_t cnt) {
    auto find = [&]() -> const Part* {
      for (const auto& pt : parts_)
        if (pt.begin == off && pt.end == off + cnt) return &pt;
      return nullptr;
    };
    if (off >= lo_ && off + cnt <= hi_)
      if (const Part* pt = find()) return pt;
    // Normally a block reaches the grid or the run's end; a piece that would not be one of its parts
    // (never, with pieces cut at the grid and at Caf starts) gets a block of its own.
    for (bool exact : {false, true}) {
      read_block(off, cnt, exact);
      if (const Part* pt = find()) return pt;
    }
    throw Error("scoring: rows " + std::to_string(off) + "+" + std::to_string(cnt) + " not found in their block");
  }

  void read_block(std::int64_t off, std::int64_t cnt, bool exact) {
    const std::int64_t g = opt_.chunk_rows;
    auto run = std::upper_bound(runs_.begin(), runs_.end(), off, [](std::int64_t o, const Segment& s) { return o < s.begin; });
    const std::int64_t run_end = run == runs_.begin() ? off + cnt : std::max(off + cnt, std::prev(run)->end);
    lo_ = off;
    hi_ = exact ? off + cnt : std::min((off / g + 1) * g, run_end);
    parts_.clear();
    const std::size_t p = coders_.size();
    auto add_part = [&](std::int64_t b0, std::int64_t e0) {
      Part pt;
      pt.begin = b0, pt.end = e0;
      pt.counts.assign(p, CodingCounts{});
      pt.classes.assign(st_.class_counts.size(), 0);
      parts_.push_back(std::move(pt));
    };
    std::int64_t from = lo_;
    for (auto it = std::upper_bound(starts_.begin(), starts_.end(), lo_); it != starts_.end() && *it < hi_; ++it)
      add_part(from, *it), from = *it;
    add_part(from, hi_);

    const auto m = static_cast<std::size_t>(hi_ - lo_);
    col_.resize(m);
    tmp_.resize(std::min(m, kCodeBlock));
    narrow_.resize(stride() * p * code_bytes_);
    {
      PhaseTimer timer(cpu_, kRead);
      ids_ = pop_.read_id(lo_, hi_ - lo_);
    }
    for (std::size_t k = 0; k < p; ++k) {
      {
        PhaseTimer timer(cpu_, kRead);
        pop_.read_var(coders_[k].coding().variable, lo_, hi_ - lo_, col_.data());
      }
      PhaseTimer timer(cpu_, kCode);
      const auto K = static_cast<std::size_t>(coders_[k].coding().n_classes);
      for (auto& pt : parts_)
        for (std::int64_t r0 = pt.begin; r0 < pt.end; r0 += static_cast<std::int64_t>(kCodeBlock)) {
          const auto i0 = static_cast<std::size_t>(r0 - lo_);
          const auto bn = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(kCodeBlock), pt.end - r0));
          coders_[k].apply(col_.data() + i0, static_cast<std::int64_t>(bn), tmp_.data(), pt.counts[k]);
          std::int64_t* cc = pt.classes.data() + st_.class_offset[k];
          const std::size_t o = k * stride() + i0;
          if (code_bytes_ != 1 || K > kCompareClasses) count_classes(tmp_.data(), bn, K, cc);
          if (code_bytes_ == 1) {
            std::copy_n(tmp_.data(), bn, narrow_.data() + o);
            if (K <= kCompareClasses) count_codes(narrow_.data() + o, bn, K, cc);
          } else if (code_bytes_ == 2) {
            std::copy_n(tmp_.data(), bn, reinterpret_cast<std::uint16_t*>(narrow_.data()) + o);
          } else {
            std::copy_n(tmp_.data(), bn, reinterpret_cast<int*>(narrow_.data()) + o);
          }
        }
    }
  }

  /// cc[c] += number of codes equal to c (codes in [0, K)). Four interleaved sub-histograms: a
  /// single one stalls on store-to-load forwarding when the same class repeats.
  void count_classes(const int* ck, std::size_t n, std::size_t K, std::int64_t* cc) {
    h4_.assign(4 * K, 0);
    std::uint32_t* h = h4_.data();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      ++h[static_cast<std::size_t>(ck[i])];
      ++h[K + static_cast<std::size_t>(ck[i + 1])];
      ++h[2 * K + static_cast<std::size_t>(ck[i + 2])];
      ++h[3 * K + static_cast<std::size_t>(ck[i + 3])];
    }
    for (; i < n; ++i) ++h[static_cast<std::size_t>(ck[i])];
    for (std::size_t c = 0; c < K; ++c) cc[c] += std::int64_t{h[c]} + h[K + c] + h[2 * K + c] + h[3 * K + c];
  }

  /// Ranks, percentiles, flags and the summary of one whole Caf.
  void rank_caf(CafBuffers& b, CafResult& r) {
    const std::size_t n = b.id.size();
    r.count = static_cast<std::int64_t>(n);
    // Duplicate ids (no id in the message: personal data); ids usually come sorted: no copy then.
    const bool sorted = std::is_sorted(b.id.begin(), b.id.end());
    {
      std::size_t dups = 0;
      if (sorted) {
        for (std::size_t i = 1; i < n; ++i) dups += b.id[i] == b.id[i - 1];
      } else {
        std::vector<std::int64_t> ids = b.id;
        std::sort(ids.begin(), ids.end());
        dups = n - static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
      }
      if (dups) throw InputError("population has " + std::to_string(dups) + " duplicate dossier id(s) in Caf " +
                                 std::to_string(r.caf));
    }
    // Sort keys travel with their row index: contiguous 16-byte records sort faster than an
    // indirect index. Probabilities are >= +0, so their bits order like them; descending p is
    // ascending ~bits, and ties (rare) go to the smaller id: with ids increasing in row order that
    // is a stable sort on the key alone (radix), otherwise a comparison sort on (key, id).
    auto& keys = keys_;
    keys.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t bits;
      std::memcpy(&bits, &b.prob[i], sizeof bits);
      keys[i] = {~bits, static_cast<std::uint32_t>(i)};
    }
    if (sorted) {
      radix_sort_keys(keys, sort_tmp_);
    } else {
      const std::int64_t* id = b.id.data();
      std::sort(keys.begin(), keys.end(),
                [id](const SortKey& a, const SortKey& c) { return a.k != c.k ? a.k < c.k : id[a.row] < id[c.row]; });
    }
    auto& order = order_;
    order.resize(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = keys[i].row;
    const auto top = static_cast<std::size_t>(std::ceil(opt_.top_percent * static_cast<double>(n) / 100.0 - 1e-9));
    for (std::size_t q = 0; q < n;) {
      std::size_t e = q;
      while (e < n && keys[e].k == keys[q].k) ++e;
      const double pct = 100.0 * (static_cast<double>(n - e) + 0.5 * static_cast<double>(e - q)) / static_cast<double>(n);
      const std::uint64_t bits = ~keys[q].k;
      double p;
      std::memcpy(&p, &bits, sizeof p);
      st_.hist[static_cast<std::size_t>(hist_bin(p))] += static_cast<std::int64_t>(e - q);  // in p order: cache friendly
      for (std::size_t k = q; k < e; ++k) {
        b.rank[order[k]] = static_cast<std::int32_t>(k + 1);
        b.pct[order[k]] = pct;
        b.flag[order[k]] = k < top ? 1 : 0;
      }
      q = e;
    }
    r.flagged = static_cast<std::int64_t>(std::min(top, n));
    double sum = 0;
    std::uint64_t chk = 0;
    for (std::size_t i = 0; i < n; ++i) {  // file order: deterministic sum
      const double p = b.prob[i];
      sum += p;
      std::uint64_t bits;
      std::memcpy(&bits, &p, sizeof bits);
      chk += mix64(static_cast<std::uint64_t>(b.id[i]) ^ mix64(bits));
      std::size_t sb = 0;  // cuts not >= p (cuts ascending; = upper_bound with <=), without branches
      for (const double cut : m_.score_cuts) sb += !(p <= cut);
      ++st_.score_bins[sb];
    }
    r.checksum = chk;
    r.mean = n ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < 9; ++k) {  // R type 7 on the ascending order
      if (!n) {
        r.deciles[k] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      const double h = static_cast<double>(n - 1) * static_cast<double>(k + 1) / 10.0;
      const auto lo = static_cast<std::size_t>(std::floor(h));
      const auto hi = std::min(lo + 1, n - 1);
      const double xl = b.prob[order[n - 1 - lo]], xh = b.prob[order[n - 1 - hi]];
      r.deciles[k] = xl + (h - static_cast<double>(lo)) * (xh - xl);
    }
  }

  const ScoreModel& m_;
  const TableReader& pop_;
  const ScoreOptions& opt_;
  std::vector<InputCoder> coders_;
  ScoreTallies st_;
  PhaseSeconds cpu_{};
  std::vector<SortKey> keys_, sort_tmp_;
  std::vector<std::uint32_t> order_;
  std::vector<Segment> runs_;
  std::vector<std::int64_t> starts_;
  std::vector<Part> parts_;
  std::vector<float> col_;
  std::int64_t lo_ = 0, hi_ = 0;    ///< rows held in narrow_ and ids_
  std::vector<std::int64_t> ids_;
  KernelPlan plan_;
  std::size_t code_bytes_ = 4;     ///< width of a class code in narrow_: 1, 2 or 4 bytes (fewest that fit)
  std::vector<int> tmp_;
  std::vector<std::uint8_t> narrow_;
  std::vector<std::uint32_t> h4_;
};

}  // namespace

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
  const ScorePlan plan = plan_scoring(comm, pop, std::max<std::int64_t>(opt.chunk_rows, 1 << 20));
  if (comm.is_root()) {
    spdlog::info("scoring {} dossiers of {} Cafs on {} rank(s), {} model inputs{}", plan.n_rows, plan.cafs.size(),
                 comm.size(), model.coding.size(), plan.grouped ? "" : " (Cafs not contiguous: slow path)");
    if (!plan.ids_increasing) spdlog::warn("dossier ids are not increasing in file order: duplicates are checked within each Caf only");
  }
  lap("plan");
  std::vector<std::int32_t> listed;
  if (pop.file().exists("cafs")) listed = pop.file().dataset("cafs").read_all<std::int32_t>();

  AtomicPath atomic(out_path, &comm);
  ScoreOutput out(comm, atomic.temp(), plan.n_rows, plan.grouped && opt.collective_writes);
  const auto mine = plan.cafs_of(comm.rank());
  std::int64_t my_writes = 0;
  std::vector<Segment> runs;
  for (auto c : mine) {
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
  const std::int64_t rounds = out.collective() ? comm.allreduce_max(my_writes) : my_writes;

  // Errors inside a Caf are kept until every rank has made its collective calls, then thrown on all.
  std::string err;
  bool input_err = false;
  CafBuffers b;
  std::int64_t done = 0;
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
    PhaseTimer timer(scorer.cpu(), kWrite);
    for (const auto& s : segs) {
      const std::int64_t cnt = err.empty() ? s.end - s.begin : 0;
      out.write_rows(s.begin, cnt, b.block(err.empty() ? at : 0));
      at += static_cast<std::size_t>(s.end - s.begin);
      ++done;
    }
  }
  lap("scored own Cafs");
  {
    const auto& c = scorer.cpu();
    spdlog::debug("CPU s: read {:.3f}, coding {:.3f}, effects and reasons {:.3f}, probabilities {:.3f}, ranks {:.3f}, "
                  "writes {:.3f}; process {:.3f}", c[kRead], c[kCode], c[kTerms], c[kProb], c[kRank], c[kWrite], thread_cpu());
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
  atomic.commit();
  lap("closed and renamed");
  return res;
}

}  // namespace dmde::worker
