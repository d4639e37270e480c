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
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/atomic.hpp"
#include "core/cpus.hpp"
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

/// Rows of a loaded block between two of this rank's Caf starts, with their coding and class
/// counts, added to the tallies when scoring reaches them (per-Caf summaries).
struct Part {
  std::int64_t begin = 0, end = 0;
  std::vector<CodingCounts> counts;   ///< per input
  std::vector<std::int64_t> classes;  ///< per input class, as ScoreTallies::class_counts
};

/// Rows [lo, hi) of this rank read and coded: ids, class codes (input k's at k * stride, 1, 2 or 4
/// bytes each) and the parts between Caf starts.
struct Block {
  std::int64_t lo = 0, hi = 0;
  std::vector<std::int64_t> ids;
  std::vector<std::uint8_t> narrow;
  std::vector<Part> parts;
};

/// A block to prepare: rows and the bounds of its parts.
struct BlockSpec {
  std::int64_t lo = 0, hi = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> parts;
};

/// Per-thread buffers of the coding.
struct Scratch {
  std::vector<float> col;
  std::vector<int> tmp;
  std::vector<std::uint32_t> h4;
};

/// Where the pipelined mode's scoring thread gets its blocks: in the order of
/// Scorer::block_sequence, each held until release().
class BlockFeed {
 public:
  virtual ~BlockFeed() = default;
  virtual const Block& take(std::int64_t lo, std::int64_t hi) = 0;
  virtual void release() = 0;
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
    const Block& blk = *cur_;
    const auto skip = static_cast<std::size_t>(off - blk.lo);
    const std::size_t g = stride();
    std::copy_n(blk.ids.data() + skip, n, b.id.begin() + static_cast<std::ptrdiff_t>(at));
    if (code_bytes_ == 1) {  // class counts of the inputs with few classes: compares, on this thread
      PhaseTimer timer(cpu_, kCode);
      for (std::size_t k = 0; k < coders_.size(); ++k) {
        const auto K = static_cast<std::size_t>(coders_[k].coding().n_classes);
        if (K > kCompareClasses) continue;
        const std::uint8_t* ck = blk.narrow.data() + k * stride() + skip;
        for (std::size_t i = 0; i < n; i += kCodeBlock)
          count_codes(ck + i, std::min(kCodeBlock, n - i), K, st_.class_counts.data() + st_.class_offset[k]);
      }
    }
    {
    PhaseTimer timer(cpu_, kTerms);
    const std::array<std::int16_t*, 3> reason{b.reason[0].data() + at, b.reason[1].data() + at, b.reason[2].data() + at};
    const std::array<double*, 3> contrib{b.contrib[0].data() + at, b.contrib[1].data() + at, b.contrib[2].data() + at};
    double* eta = b.eta.data() + at;
    const double c0 = m_.card.intercept;
    if (code_bytes_ == 1) score_rows(plan_, blk.narrow.data() + skip, g, n, eta, reason, contrib);
    else if (code_bytes_ == 2)
      score_rows(plan_.terms, c0, reinterpret_cast<const std::uint16_t*>(blk.narrow.data()) + skip, g, n, eta, reason, contrib);
    else score_rows(plan_.terms, c0, reinterpret_cast<const int*>(blk.narrow.data()) + skip, g, n, eta, reason, contrib);
    }
    const double* eta = b.eta.data() + at;
    PhaseTimer timer2(cpu_, kProb);
    double* prob = b.prob.data() + at;
    for (std::size_t i = 0; i < n; ++i) prob[i] = model::inv_logit(eta[i]);
    const std::size_t nb = st_.row_bins.size();
    st_.row_bins.resize(nb + n);
    for (std::size_t i = 0; i < n; ++i) st_.row_bins[nb + i] = static_cast<std::uint32_t>(hist_bin(prob[i]));
  }

  /// Distance between two inputs' codes in narrow_, in codes: a chunk plus one cache line's worth, so
  /// that the kernel's 100 or so streams (one per input) do not all fall in the same cache sets (a
  /// power-of-two stride made every code load an L3 access).
  std::size_t stride() const { return static_cast<std::size_t>(opt_.chunk_rows) + 64; }

  /// Makes rows [off, off + cnt) available in the current block (cur_) and returns their Part.
  /// Blocks are whole pieces of the grid of chunk_rows rows (the file's chunks when dmde wrote it),
  /// up to the end of this rank's run: one read per column per chunk, however small the Cafs (a
  /// partial read of a chunked dataset costs the whole chunk).
  const Part* load(std::int64_t off, std::int64_t cnt) {
    auto find = [&]() -> const Part* {
      for (const auto& pt : cur_->parts)
        if (pt.begin == off && pt.end == off + cnt) return &pt;
      return nullptr;
    };
    if (cur_ && off >= cur_->lo && off + cnt <= cur_->hi)
      if (const Part* pt = find()) return pt;
    // Normally a block reaches the grid or the run's end; a piece that would not be one of its parts
    // (never, with pieces cut at the grid and at Caf starts) gets a block of its own.
    for (bool exact : {false, true}) {
      std::int64_t lo = 0, hi = 0;
      std::vector<std::pair<std::int64_t, std::int64_t>> bounds;
      block_bounds(off, cnt, exact, lo, hi, bounds);
      if (feed_) {
        if (cur_) feed_->release();
        cur_ = nullptr;  // not ours any more
        cur_ = &feed_->take(lo, hi);
      } else {
        fill_block(lo, hi, bounds, own_, scratch_, cpu_);
        cur_ = &own_;
      }
      if (const Part* pt = find()) return pt;
    }
    throw Error("scoring: rows " + std::to_string(off) + "+" + std::to_string(cnt) + " not found in their block");
  }

  /// The block [lo, hi) load() reads for rows [off, off + cnt), and its parts' bounds.
  void block_bounds(std::int64_t off, std::int64_t cnt, bool exact, std::int64_t& lo, std::int64_t& hi,
                    std::vector<std::pair<std::int64_t, std::int64_t>>& parts) const {
    const std::int64_t g = opt_.chunk_rows;
    auto run = std::upper_bound(runs_.begin(), runs_.end(), off, [](std::int64_t o, const Segment& s) { return o < s.begin; });
    const std::int64_t run_end = run == runs_.begin() ? off + cnt : std::max(off + cnt, std::prev(run)->end);
    lo = off;
    hi = exact ? off + cnt : std::min((off / g + 1) * g, run_end);
    parts.clear();
    std::int64_t from = lo;
    for (auto it = std::upper_bound(starts_.begin(), starts_.end(), lo); it != starts_.end() && *it < hi; ++it)
      parts.emplace_back(from, *it), from = *it;
    parts.emplace_back(from, hi);
  }

 public:
  /// The blocks load() will need, in order, when the Cafs `segs` are scored in that order (what the
  /// HDF5 thread of the pipelined mode prepares ahead), with their parts' bounds.
  std::vector<BlockSpec> block_sequence(const std::vector<const std::vector<Segment>*>& segs) const {
    std::vector<BlockSpec> seq;
    std::int64_t lo = 0, hi = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> parts;
    const std::int64_t g = opt_.chunk_rows;
    for (const auto* caf : segs)
      for (const auto& s : *caf)
        for (std::int64_t off = s.begin; off < s.end;) {
          const std::int64_t cnt = std::min((off / g + 1) * g, s.end) - off;
          auto has = [&] { return std::find(parts.begin(), parts.end(), std::make_pair(off, off + cnt)) != parts.end(); };
          if (!(off >= lo && off + cnt <= hi && has()))
            for (bool exact : {false, true}) {
              block_bounds(off, cnt, exact, lo, hi, parts);
              seq.push_back({lo, hi, parts});
              if (has()) break;
            }
          off += cnt;
        }
    return seq;
  }

  /// Reads rows [lo, hi) of /id and of every input into `blk` and codes them, each column right
  /// after its read while it is in cache, with the parts' coding and class counts. Touches no
  /// scoring state: the pipelined mode runs it on the HDF5 thread with its own scratch.
  void fill_block(std::int64_t lo, std::int64_t hi, const std::vector<std::pair<std::int64_t, std::int64_t>>& bounds,
                  Block& blk, Scratch& sc, PhaseSeconds& cpu, const std::function<void()>& between = {}) const {
    const std::size_t p = coders_.size();
    blk.lo = lo, blk.hi = hi;
    blk.parts.resize(bounds.size());
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      auto& pt = blk.parts[i];
      pt.begin = bounds[i].first, pt.end = bounds[i].second;
      pt.counts.assign(p, CodingCounts{});
      pt.classes.assign(st_.class_offset.back(), 0);
    }
    const auto m = static_cast<std::size_t>(hi - lo);
    sc.tmp.resize(std::min(m, kCodeBlock));
    sc.col.resize(m);
    blk.narrow.resize(stride() * p * code_bytes_);
    {
      PhaseTimer timer(cpu, kRead);
      blk.ids = pop_.read_id(lo, hi - lo);
    }
    for (std::size_t k = 0; k < p; ++k) {
      if (between) between();
      {
        PhaseTimer timer(cpu, kRead);
        pop_.read_var(coders_[k].coding().variable, lo, hi - lo, sc.col.data());
      }
      PhaseTimer timer(cpu, kCode);
      const auto K = static_cast<std::size_t>(coders_[k].coding().n_classes);
      int* tmp = sc.tmp.data();
      for (auto& pt : blk.parts)
        for (std::int64_t r0 = pt.begin; r0 < pt.end; r0 += static_cast<std::int64_t>(kCodeBlock)) {
          const auto i0 = static_cast<std::size_t>(r0 - lo);
          const auto bn = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(kCodeBlock), pt.end - r0));
          coders_[k].apply(sc.col.data() + i0, static_cast<std::int64_t>(bn), tmp, pt.counts[k]);
          std::int64_t* cc = pt.classes.data() + st_.class_offset[k];
          const std::size_t o = k * stride() + i0;
          if (code_bytes_ != 1 || K > kCompareClasses) count_classes(tmp, bn, K, cc, sc.h4);
          if (code_bytes_ == 1) {
            std::copy_n(tmp, bn, blk.narrow.data() + o);
            // (K <= kCompareClasses: counted by the scoring thread when it reaches the part, score_chunk)
          } else if (code_bytes_ == 2) {
            std::copy_n(tmp, bn, reinterpret_cast<std::uint16_t*>(blk.narrow.data()) + o);
          } else {
            std::copy_n(tmp, bn, reinterpret_cast<int*>(blk.narrow.data()) + o);
          }
        }
    }
  }
  /// Pipelined mode: load() takes its blocks from `feed` instead of reading them (nullptr: back to
  /// reading; the block held is given back).
  void set_feed(BlockFeed* feed) {
    if (feed_ && cur_) feed_->release();
    cur_ = nullptr;
    feed_ = feed;
  }

 private:
  /// cc[c] += number of codes equal to c (codes in [0, K)). Four interleaved sub-histograms: a
  /// single one stalls on store-to-load forwarding when the same class repeats.
  static void count_classes(const int* ck, std::size_t n, std::size_t K, std::int64_t* cc, std::vector<std::uint32_t>& h4) {
    h4.assign(4 * K, 0);
    std::uint32_t* h = h4.data();
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
    r.ids_increasing = sorted;  // and no duplicates
    if (n) r.first_id = b.id.front(), r.last_id = b.id.back();
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
      for (std::size_t k = q; k < e; ++k) {
        b.rank[order[k]] = static_cast<std::int32_t>(k + 1);
        b.pct[order[k]] = pct;
        b.flag[order[k]] = k < top ? 1 : 0;
      }
      q = e;
    }
    // The national histogram: its 8 MB miss the cache at every row (even in p order bins are far
    // apart), so each row's line is prefetched a few rows ahead.
    auto bin_of = [](std::uint64_t key) {
      const std::uint64_t bits = ~key;
      double p;
      std::memcpy(&p, &bits, sizeof p);
      return static_cast<std::size_t>(hist_bin(p));
    };
    constexpr std::size_t kAhead = 16;
    std::int64_t* hist = st_.hist.data();
    for (std::size_t k = 0; k < n; ++k) {
      if (k + kAhead < n) __builtin_prefetch(hist + bin_of(keys[k + kAhead].k), 1);
      ++hist[bin_of(keys[k].k)];
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
  KernelPlan plan_;
  std::size_t code_bytes_ = 4;     ///< width of a class code in narrow_: 1, 2 or 4 bytes (fewest that fit)
  Block own_;           ///< the block being scored (one-thread mode)
  Scratch scratch_;
  const Block* cur_ = nullptr;  ///< the block being scored: own_ or the feed's
  BlockFeed* feed_ = nullptr;
};

/// The pipelined mode (ScoreOptions::threads = 2): this thread makes every HDF5 call; it reads and
/// codes the blocks of Scorer::block_sequence one ahead into two slots and writes each Caf when it
/// is scored, while a second thread scores (kernel, probabilities, per-Caf ranks). Same work in the
/// same order as one thread: identical output. Extra memory: a second block (chunk_rows x (8 +
/// inputs x code bytes)) and a second CafBuffers.
class Pipeline final : public BlockFeed {
 public:
  Pipeline(Scorer& sc, const ScorePlan& plan, const std::vector<std::size_t>& mine, const ScoreOutput& out)
      : sc_(sc), plan_(plan), mine_(mine), out_(out) {
    std::vector<const std::vector<Segment>*> segs;
    for (auto c : mine) segs.push_back(&plan.caf_segments[c]);
    seq_ = sc.block_sequence(segs);
  }
  /// Runs both threads to the end (or the first error: see error()).
  void run(PhaseSeconds& io) {
    std::thread worker([this] { score_all(); });
    std::unique_lock lk(mu_);
    for (;;) {
      {
        const auto w0 = std::chrono::steady_clock::now();
        cv_.wait(lk, [&] { return !done_.empty() || can_read() || finished_; });
        io_wait_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
      }
      // Feed the scorer first when it has nothing queued; otherwise free the buffers it waits for.
      if (can_read() && (next_read_ == next_take_ || done_.empty())) {
        const std::size_t slot = next_read_ % 2;
        const auto& spec = seq_[next_read_];
        lk.unlock();
        try {
          // Between columns, write the Cafs scored meanwhile: the scorer then never waits for buffers.
          sc_.fill_block(spec.lo, spec.hi, spec.parts, slot_[slot], scratch_, io, [&] {
            std::unique_lock lk2(mu_);
            while (!done_.empty()) write_one(lk2, io);
          });
        } catch (const std::exception& e) {
          lk.lock();
          fail(e.what(), dynamic_cast<const InputError*>(&e) != nullptr);
          continue;
        }
        lk.lock();
        full_[slot] = true;
        ++next_read_;
      } else if (!done_.empty()) {
        write_one(lk, io);
      } else if (finished_) {
        break;
      }
      cv_.notify_all();
    }
    lk.unlock();
    worker.join();
    spdlog::debug("pipeline waits (wall s): HDF5 thread {:.3f}, scoring thread {:.3f} for blocks, {:.3f} for buffers",
                  io_wait_, block_wait_, buf_wait_);
  }
  const std::string& error() const { return err_; }
  bool input_error() const { return input_err_; }

  /// Under the lock, with a scored Caf waiting: writes it (lock released meanwhile) and frees its buffers.
  void write_one(std::unique_lock<std::mutex>& lk, PhaseSeconds& io) {
    const auto [i, bi] = done_.front();
    done_.pop_front();
    lk.unlock();
    std::string what;
    try {
      PhaseTimer timer(io, kWrite);
      std::size_t at = 0;
      for (const auto& s : plan_.caf_segments[mine_[i]]) {
        out_.write_rows(s.begin, s.end - s.begin, bufs_[bi].block(at));
        at += static_cast<std::size_t>(s.end - s.begin);
      }
    } catch (const std::exception& e) {
      what = e.what();
    }
    lk.lock();
    if (!what.empty()) fail(what, false);
    busy_[bi] = false;
    cv_.notify_all();
  }

  const Block& take(std::int64_t lo, std::int64_t hi) override {
    std::unique_lock lk(mu_);
    const auto w0 = std::chrono::steady_clock::now();
    cv_.wait(lk, [&] { return full_[next_take_ % 2] || abort_ || next_take_ >= seq_.size(); });
    block_wait_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (abort_) throw Error("scoring stopped");
    if (next_take_ >= seq_.size()) throw Error("scoring: block sequence out of step");
    const Block& rb = slot_[next_take_ % 2];
    if (rb.lo != lo || rb.hi != hi) throw Error("scoring: block sequence out of step");
    return rb;
  }
  void release() override {
    {
      std::lock_guard lk(mu_);
      full_[next_take_ % 2] = false;
      ++next_take_;
    }
    cv_.notify_all();
  }

 private:
  bool can_read() const { return !abort_ && next_read_ < seq_.size() && !full_[next_read_ % 2]; }
  /// Under the lock: keeps the first error and stops both threads.
  void fail(const std::string& what, bool input) {
    if (err_.empty()) err_ = what, input_err_ = input;
    abort_ = true;
    cv_.notify_all();
  }
  void score_all() {
    sc_.set_feed(this);
    for (std::size_t i = 0; i < mine_.size(); ++i) {
      std::size_t bi = 0;
      {
        std::unique_lock lk(mu_);
        const auto w0 = std::chrono::steady_clock::now();
        cv_.wait(lk, [&] { return !busy_[0] || !busy_[1] || abort_; });
        buf_wait_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
        if (abort_) break;
        bi = busy_[0] ? 1 : 0;
        busy_[bi] = true;
      }
      const auto c = mine_[i];
      std::string what;
      bool input = false;
      try {
        sc_.score_caf(plan_.caf_segments[c], plan_.caf_rows[c], bufs_[bi]);
      } catch (const InputError& e) {
        what = e.what(), input = true;
      } catch (const std::exception& e) {
        what = e.what();
      }
      std::lock_guard lk(mu_);
      if (!what.empty()) {
        if (!abort_) fail(what, input);  // after an abort, the reader's error is the one to report
        break;
      }
      done_.emplace_back(i, bi);
      cv_.notify_all();
    }
    sc_.set_feed(nullptr);
    std::lock_guard lk(mu_);
    finished_ = true;
    cv_.notify_all();
  }

  Scorer& sc_;
  const ScorePlan& plan_;
  const std::vector<std::size_t>& mine_;
  const ScoreOutput& out_;
  std::vector<BlockSpec> seq_;
  Scratch scratch_;  ///< the HDF5 thread's coding buffers
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Block, 2> slot_;
  std::array<bool, 2> full_{};
  std::size_t next_read_ = 0, next_take_ = 0;
  std::array<CafBuffers, 2> bufs_;
  std::array<bool, 2> busy_{};
  std::deque<std::pair<std::size_t, std::size_t>> done_;  ///< (index into mine, buffer) scored, to write
  bool finished_ = false, abort_ = false, input_err_ = false;
  double io_wait_ = 0, block_wait_ = 0, buf_wait_ = 0;  ///< wall seconds each thread waited (debug log)
  std::string err_;
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
    if (!plan.grouped && !plan.ids_increasing)
      spdlog::warn("dossier ids are not increasing in file order: duplicates are checked within each Caf only");
  }
  lap("plan");
  std::vector<std::int32_t> listed;
  if (pop.file().exists("cafs")) listed = pop.file().dataset("cafs").read_all<std::int32_t>();

  AtomicPath atomic(out_path, &comm);
  ScoreOutput out(comm, atomic.temp(), plan.n_rows, plan.grouped && opt.collective_writes);
  const auto mine = plan.cafs_of(comm.rank());
  std::int64_t my_writes = 0, my_rows = 0;
  std::vector<Segment> runs;
  for (auto c : mine) {
    my_rows += plan.caf_rows[c];
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
  scorer.state().row_bins.reserve(static_cast<std::size_t>(my_rows));
  const std::int64_t rounds = out.collective() ? comm.allreduce_max(my_writes) : my_writes;

  // Errors inside a Caf are kept until every rank has made its collective calls, then thrown on all.
  std::string err;
  bool input_err = false;
  std::int64_t done = 0;
  PhaseSeconds io{};  // pipelined mode: the HDF5 thread's reads and writes
  const int threads = opt.threads > 0 ? opt.threads : std::min(2, cpus_per_rank(comm));
  if (threads >= 2 && !out.collective()) {
    Pipeline pipe(scorer, plan, mine, out);
    pipe.run(io);
    err = pipe.error(), input_err = pipe.input_error();
    done = static_cast<std::int64_t>(mine.size());  // independent writes: no rounds to make up
  } else {
    CafBuffers b;
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
  atomic.commit();
  lap("closed and renamed");
  return res;
}

}  // namespace dmde::worker
