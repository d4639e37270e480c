// The pipelined mode of `dmde score`: HDF5 reads, coding and writes on the calling thread,
// scoring on a second thread.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "worker/score_scorer.hpp"

namespace dmde::worker::scoring {
namespace {

/// Blocks read ahead: the two threads' work per block varies (a Caf's results are written when it
/// ends), and with two slots each thread waited 0.15-0.3 s per 13.8 M rows for the other.
constexpr std::size_t kSlots = 4;

/// The pipelined mode (ScoreOptions::threads = 2): this thread makes every HDF5 call; it reads and
/// codes the blocks of Scorer::block_sequence ahead into kSlots slots and writes each Caf when it
/// is scored, while a second thread scores (kernel, probabilities, per-Caf ranks). Same work in the
/// same order as one thread: identical output. Extra memory: kSlots - 1 more blocks (chunk_rows x (8 +
/// inputs x code bytes)) and a second CafBuffers.
class Pipeline final : public BlockFeed {
 public:
  Pipeline(Scorer& sc, const ScorePlan& plan, const std::vector<std::size_t>& mine, const ScoreOutput& out)
      : sc_(sc), plan_(plan), mine_(mine), out_(out) {
    std::vector<const std::vector<Segment>*> segs;
    for (auto c : mine) segs.push_back(&plan.caf_segments[c]);
    seq_ = sc.block_sequence(segs);
    for (auto& b : bufs_) b.reserve(sc.largest_caf());
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
        const std::size_t slot = next_read_ % kSlots;
        const auto& spec = seq_[next_read_];
        lk.unlock();
        // Between columns, write the Cafs scored meanwhile: the scorer then never waits for buffers.
        const auto write_done = [&] {
          std::unique_lock lk2(mu_);
          while (!done_.empty()) write_one(lk2, io);
        };
        // Fills the slot's inputs of one kind; false once the error is recorded.
        const auto fill = [&](Scorer::Columns which) {
          try {
            sc_.fill_block(spec.lo, spec.hi, spec.parts, slot_[slot], scratch_, io, write_done, which);
            return true;
          } catch (const std::exception& e) {
            std::lock_guard lk2(mu_);
            fail(e.what(), dynamic_cast<const InputError*>(&e) != nullptr);
            return false;
          }
        };
        const bool read = fill(Scorer::Columns::Hdf5);
        lk.lock();
        if (!read) continue;
        full_[slot] = true;
        ++next_read_;
        cv_.notify_all();
        lk.unlock();
        // Then the block's raw inputs, shared with the scoring thread when it reaches the block.
        const bool coded = fill(Scorer::Columns::Raw);
        lk.lock();
        if (!coded) continue;
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
    cv_.wait(lk, [&] { return full_[next_take_ % kSlots] || abort_ || next_take_ >= seq_.size(); });
    block_wait_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (abort_) throw Error("scoring stopped");
    if (next_take_ >= seq_.size()) throw Error("scoring: block sequence out of step");
    Block& rb = slot_[next_take_ % kSlots];
    if (rb.lo != lo || rb.hi != hi) throw Error("scoring: block sequence out of step");
    lk.unlock();
    // Raw inputs the HDF5 thread has not claimed yet are coded here (no HDF5 call), then the
    // ones it is coding are waited for.
    sc_.fill_block(lo, hi, {}, rb, score_scratch_, sc_.cpu(), {}, Scorer::Columns::Raw);
    if (rb.coded.load() < rb.raw_inputs.size()) {
      lk.lock();
      const auto w1 = std::chrono::steady_clock::now();
      cv_.wait(lk, [&] { return rb.coded.load() >= rb.raw_inputs.size() || abort_; });
      block_wait_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - w1).count();
      if (abort_) throw Error("scoring stopped");
    }
    return rb;
  }
  void release() override {
    {
      std::lock_guard lk(mu_);
      full_[next_take_ % kSlots] = false;
      ++next_take_;
    }
    cv_.notify_all();
  }

 private:
  bool can_read() const { return !abort_ && next_read_ < seq_.size() && !full_[next_read_ % kSlots]; }
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
  Scratch scratch_;        ///< the HDF5 thread's coding buffers
  Scratch score_scratch_;  ///< the scoring thread's (raw inputs)
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Block, kSlots> slot_;
  std::array<bool, kSlots> full_{};
  std::size_t next_read_ = 0, next_take_ = 0;
  std::array<CafBuffers, 2> bufs_;
  std::array<bool, 2> busy_{};
  std::deque<std::pair<std::size_t, std::size_t>> done_;  ///< (index into mine, buffer) scored, to write
  bool finished_ = false, abort_ = false, input_err_ = false;
  double io_wait_ = 0, block_wait_ = 0, buf_wait_ = 0;  ///< wall seconds each thread waited (debug log)
  std::string err_;
};

}  // namespace

void run_pipelined(Scorer& sc, const ScorePlan& plan, const std::vector<std::size_t>& mine, const ScoreOutput& out,
                   PhaseSeconds& io, std::string& err, bool& input_err) {
  Pipeline pipe(sc, plan, mine, out);
  pipe.run(io);
  err = pipe.error(), input_err = pipe.input_error();
}

}  // namespace dmde::worker::scoring
