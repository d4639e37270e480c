#pragma once
// Internal to score*.cpp: the per-rank scorer of `dmde score` (blocks of rows read and coded, the
// kernel, per-Caf ranks and summaries) and the pipelined mode that runs it beside the HDF5 thread.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"
#include "worker/score.hpp"
#include "worker/score_io.hpp"
#include "worker/score_kernel.hpp"
#include "worker/score_sort.hpp"

namespace dmde::worker::scoring {

/// Phases whose CPU seconds are logged at debug level (thread CPU time: on a shared node the wall
/// clock mostly measures the neighbours).
enum Phase { kRead, kCode, kTerms, kProb, kRank, kWrite, kPhases };
using PhaseSeconds = std::array<double, kPhases>;

inline double thread_cpu() {
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

inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline std::int64_t hist_bin(double p) { return std::min<std::int64_t>(kHistBins - 1, static_cast<std::int64_t>(p * kHistBins)); }

/// Per-dossier results of one Caf, in file order of its rows.
struct CafBuffers {
  HugeVector<std::int64_t> id;
  HugeVector<std::int32_t> caf, rank;
  HugeVector<double> eta, prob, pct;
  HugeVector<std::uint8_t> flag;
  std::array<HugeVector<std::int16_t>, 3> reason;
  std::array<HugeVector<double>, 3> contrib;

  /// Room for a Caf of n rows (allocated once, for the rank's largest Caf).
  void reserve(std::size_t n) {
    id.reserve(n), caf.reserve(n), rank.reserve(n), eta.reserve(n), prob.reserve(n), pct.reserve(n), flag.reserve(n);
    for (auto& r : reason) r.reserve(n);
    for (auto& c : contrib) c.reserve(n);
  }
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
  HugeVector<std::uint8_t> narrow;
  std::vector<Part> parts;
  /// Pipelined mode: the inputs left for Columns::Raw (raw reads), claimed in turn (claim)
  /// by both threads; coded counts the ones done.
  std::vector<std::size_t> raw_inputs;
  std::atomic<std::size_t> claim{0}, coded{0};
};

/// A block to prepare: rows and the bounds of its parts.
struct BlockSpec {
  std::int64_t lo = 0, hi = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> parts;
};

/// Per-thread buffers of the coding.
struct Scratch {
  std::vector<float> col;             ///< an input read through HDF5
  std::vector<float> raw;             ///< a raw float32 input (TableReader::read_raw_var)
  std::vector<std::int16_t> raw16;    ///< raw int16 level codes (TableReader::read_raw_codes)
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

/// One rank's scorer: scores its Cafs one at a time (score_caf), reading and coding the blocks of
/// rows it needs itself or taking them from a BlockFeed (pipelined mode), and accumulates the
/// tallies that finish_scoring reduces over ranks.
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
  /// Room for this rank's rows (each row's histogram bin) and for ranking its largest Caf:
  /// allocated once, before scoring.
  void reserve(std::size_t rank_rows, std::size_t largest_caf) {
    st_.row_bins.reserve(rank_rows);
    prefix_.reserve(largest_caf), prefix_tmp_.reserve(largest_caf);
    largest_caf_ = largest_caf;
  }
  /// The rows of this rank's largest Caf (reserve): what each CafBuffers set is sized for.
  std::size_t largest_caf() const { return largest_caf_; }
  PhaseSeconds& cpu() { return cpu_; }
  /// This rank's rows as maximal contiguous runs, ascending (a block read never goes past one), and
  /// the first rows of its Caf segments, ascending (where a block's parts begin).
  void set_runs(std::vector<Segment> runs, std::vector<std::int64_t> starts) {
    runs_ = std::move(runs);
    starts_ = std::move(starts);
  }

  /// Scores every row of one Caf into `b` and fills its summary.
  void score_caf(const std::vector<Segment>& segs, std::int64_t rows, CafBuffers& b);

 private:
  void score_chunk(std::int64_t off, std::int64_t cnt, CafBuffers& b, std::size_t at);

  /// Distance between two inputs' codes in narrow_, in codes: a chunk plus one cache line's worth, so
  /// that the kernel's 100 or so streams (one per input) do not all fall in the same cache sets (a
  /// power-of-two stride made every code load an L3 access).
  std::size_t stride() const { return static_cast<std::size_t>(opt_.chunk_rows) + 64; }

  /// Makes rows [off, off + cnt) available in the current block (cur_) and returns their Part.
  /// Blocks are whole pieces of the grid of chunk_rows rows (the file's chunks when dmde wrote it),
  /// up to the end of this rank's run: one read per column per chunk, however small the Cafs (a
  /// partial read of a chunked dataset costs the whole chunk).
  const Part* load(std::int64_t off, std::int64_t cnt);

  /// The block [lo, hi) load() reads for rows [off, off + cnt), and its parts' bounds.
  void block_bounds(std::int64_t off, std::int64_t cnt, bool exact, std::int64_t& lo, std::int64_t& hi,
                    std::vector<std::pair<std::int64_t, std::int64_t>>& parts) const;

 public:
  /// The blocks load() will need, in order, when the Cafs `segs` are scored in that order (what the
  /// HDF5 thread of the pipelined mode prepares ahead), with their parts' bounds.
  std::vector<BlockSpec> block_sequence(const std::vector<const std::vector<Segment>*>& segs) const;

  /// Which inputs fill_block codes: all; the pipelined mode's HDF5 thread's share (the ids and
  /// every input read through HDF5; the inputs TableReader::read_raw_var serves are listed in
  /// Block::raw_inputs); or, in a block already filled with Hdf5, raw inputs claimed one at a
  /// time until none is left (no HDF5 call: both threads run it on the same block, each input is
  /// coded once, by whichever thread claims it, so the work balances itself).
  enum class Columns { All, Hdf5, Raw };
  /// Reads rows [lo, hi) of /id and of the inputs into `blk` and codes them, each column right
  /// after its read while it is in cache (raw inputs: one pread of the chunk's bytes), with the
  /// parts' coding and class counts. Touches no scoring state: the pipelined mode runs it on the
  /// HDF5 thread (Hdf5, then Raw) and on the scoring thread (Raw), each with its own
  /// scratch; `between` runs between columns (the HDF5 thread's writes).
  void fill_block(std::int64_t lo, std::int64_t hi, const std::vector<std::pair<std::int64_t, std::int64_t>>& bounds,
                  Block& blk, Scratch& sc, PhaseSeconds& cpu, const std::function<void()>& between = {},
                  Columns which = Columns::All) const;
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
  static void count_classes(const int* ck, std::size_t n, std::size_t K, std::int64_t* cc, std::vector<std::uint32_t>& h4);

  /// Codes input k's raw column (rows blk.lo..blk.hi: float values `col`, or int16 level codes
  /// `lv` when not null) into blk, with its parts' counts.
  void code_column(std::size_t k, const float* col, const std::int16_t* lv, Block& blk, Scratch& sc,
                   PhaseSeconds& cpu) const;
  /// Whether input k's class counts are found when it is coded (whatever the path), not by the
  /// scoring thread (score_chunk's count_codes): inputs InputCoder codes into bytes.
  bool counted_at_coding(std::size_t k) const {
    return code_bytes_ == 1 && (coders_[k].codes_bytes() || coders_[k].codes_levels());
  }

  /// Ranks, percentiles, flags and the summary of one whole Caf.
  void rank_caf(CafBuffers& b, CafResult& r);

  const ScoreModel& m_;
  const TableReader& pop_;
  const ScoreOptions& opt_;
  std::vector<InputCoder> coders_;
  ScoreTallies st_;
  PhaseSeconds cpu_{};
  std::vector<SortKey> keys_;  ///< rank order when ids are not increasing
  HugeVector<SortKey32> prefix_, prefix_tmp_;
  std::size_t largest_caf_ = 0;
  std::vector<Segment> runs_;
  std::vector<std::int64_t> starts_;
  KernelPlan plan_;
  std::size_t code_bytes_ = 4;     ///< width of a class code in narrow_: 1, 2 or 4 bytes (fewest that fit)
  Block own_;           ///< the block being scored (one-thread mode)
  Scratch scratch_;
  const Block* cur_ = nullptr;  ///< the block being scored: own_ or the feed's
  BlockFeed* feed_ = nullptr;
};

/// The pipelined mode (ScoreOptions::threads = 2) over this rank's Cafs `mine`: the calling thread
/// makes every HDF5 call (reads and codes blocks one ahead, writes each Caf when scored), a second
/// thread scores. Sets `err` (and `input_err`) to the first error; identical output to one thread.
void run_pipelined(Scorer& sc, const ScorePlan& plan, const std::vector<std::size_t>& mine, const ScoreOutput& out,
                   PhaseSeconds& io, std::string& err, bool& input_err);

}  // namespace dmde::worker::scoring
