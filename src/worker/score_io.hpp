#pragma once
// The scores file (layout documented in worker/score.hpp): creation of every dataset by all ranks
// together, per-dossier row blocks, and the small tables (Caf summary, drift, manifest) written by
// rank 0. Internal to score*.cpp.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/direct_writer.hpp"
#include "core/h5.hpp"
#include "core/huge_pages.hpp"
#include "worker/score.hpp"

namespace dmde::worker {

/// Per-Caf results, computed by the rank that scored the Caf.
struct CafResult {
  std::int32_t caf = 0;
  std::int64_t rows_in = 0, count = 0, flagged = 0;
  double mean = 0;
  std::array<double, 9> deciles{};
  std::int64_t unseen = 0, missing = 0, out_of_range = 0, nonfinite = 0;
  std::uint64_t checksum = 0;
  std::int64_t first_id = 0, last_id = 0;  ///< ids of the Caf's first and last rows in file order
  bool ids_increasing = true;              ///< ids strictly increasing in file order within the Caf

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & caf & rows_in & count & flagged & mean & deciles & unseen & missing & out_of_range & nonfinite & checksum &
        first_id & last_id & ids_increasing;
  }
};

/// What one rank accumulates while scoring, reduced over ranks by finish_scoring.
struct ScoreTallies {
  std::vector<CodingCounts> var_counts;    ///< per input
  std::vector<std::int64_t> class_offset;  ///< input k's classes: class_counts[class_offset[k] ..]
  std::vector<std::int64_t> class_counts;  ///< per input class
  std::vector<std::int64_t> score_bins;    ///< per learning score bin
  HugeVector<std::int64_t> hist;           ///< fine probability histogram (national percentiles)
  /// Histogram bin of each of this rank's rows, in the order they were scored (its Cafs in
  /// ScorePlan::cafs_of order, each Caf's segments in file order): the national percentiles are
  /// written from these without reading the probabilities back. 4 bytes per row of the rank.
  HugeVector<std::uint32_t> row_bins;
  std::vector<CafResult> cafs;             ///< this rank's Cafs
};

/// Pointers to one block of per-dossier results (rows [offset, offset + count) of the file).
struct RowBlock {
  const std::int64_t* id = nullptr;
  const std::int32_t* caf = nullptr;
  const double* eta = nullptr;
  const double* prob = nullptr;
  const std::int32_t* rank_caf = nullptr;
  const double* pct_caf = nullptr;
  const std::uint8_t* flag = nullptr;
  std::array<const std::int16_t*, 3> reason{};
  std::array<const double*, 3> contrib{};
};

/// Drift figures, identical on every rank.
struct DriftTable {
  std::vector<std::string> input, variable;
  std::vector<double> psi;
  std::vector<std::int32_t> level;
  std::vector<std::int64_t> missing, nonfinite, out_of_range, unseen, class_offset;
  std::vector<double> share_learning, share_tonight;
  double score_psi = 0;
  std::int32_t score_level = 0;
};

class ScoreOutput {
 public:
  /// Creates `path` (collective) with all per-dossier datasets of `n_rows` rows; `direct`: their
  /// aligned blocks written with O_DIRECT by a writer thread (not with `collective`).
  ScoreOutput(const Comm& comm, const std::string& path, std::int64_t n_rows, bool collective, bool direct);
  ~ScoreOutput();
  /// Writes one block (collective mode: every rank calls it the same number of times, count may be 0).
  void write_rows(std::int64_t offset, std::int64_t count, const RowBlock& b) const;
  void write_pct_national(std::int64_t offset, std::int64_t count, const double* pct) const;
  /// Collective: creates the small tables; rank 0 writes their data.
  void write_tables(const std::vector<CafResult>& cafs, const DriftTable& drift,
                    const std::vector<std::string>& effects) const;
  const h5::File& file() const { return *file_; }
  /// Whether per-dossier blocks are written collectively (every rank makes the same number of calls).
  bool collective() const { return xfer_ == h5::Xfer::Collective; }
  /// Collective close before the rename (direct writes completed first; datasets before the
  /// file: an MPI-IO file does not close while objects in it are open).
  void close();
  /// Bytes this rank wrote with O_DIRECT (0 when not used).
  std::uint64_t direct_bytes() const { return direct_bytes_; }

 private:
  const Comm& comm_;
  h5::Xfer xfer_;
  std::unique_ptr<h5::File> file_;
  std::vector<h5::Dataset> ds_;  ///< id, caf, eta, prob, rank, pct_caf, flag, r1..3, c1..3, pct_national
  std::unique_ptr<DirectWriter> direct_;  ///< or nullptr
  std::vector<int> direct_id_;            ///< per dataset: its DirectWriter index (-1: HDF5 writes)
  std::uint64_t direct_bytes_ = 0;
  /// Rows [o, o + c) of dataset k from `data`: direct where possible, the rest through HDF5.
  template <class T>
  void put(std::size_t k, hsize_t o, hsize_t c, const T* data) const;
};

/// After the per-dossier pass: national percentiles (from the tallies' row bins), drift,
/// Caf summaries and manifest (reconciled against the plan; a mismatch throws). Collective.
ScoreResult finish_scoring(const Comm& comm, const ScoreModel& m, const ScorePlan& plan, const ScoreOutput& out,
                           ScoreTallies& t, const ScoreOptions& opt, const std::vector<std::int32_t>& listed_cafs);

}  // namespace dmde::worker
