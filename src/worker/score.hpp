#pragma once
// Nightly national scoring (technical note, section 8): every rank scores whole Cafs, streaming
// their rows in chunks and reading only the model's input variables, and writes per-dossier
// results at each row's original position in one parallel HDF5 file (collective writes), plus
// per-Caf summaries, drift (PSI) and a manifest reconciled against the input.
//
// Output file (dmde_format="dmde-scores"; readable with h5py / rhdf5):
//   /id int64[n], /caf int32[n]              copied from the population, same row order
//   /score/eta float64[n]                    linear predictor
//   /score/probability float64[n]
//   /score/rank_caf int32[n]                 1 = highest probability in its Caf; ties by ascending id
//   /score/pct_caf float64[n]                100 * (#lower + #equal/2) / n_caf, ties on probability shared
//   /score/pct_national float64[n]           same definition nationally, from a 2^20-bin histogram of the
//                                            probability: exact to within half a bin's mass (attr max_error)
//   /score/flag_top uint8[n]                 rank_caf <= ceil(top_percent/100 * n_caf)
//   /score/reason{1,2,3} int16[n]            index of the scorecard effect with the 1st/2nd/3rd largest
//                                            contribution relative to the reference profile (ties: lower
//                                            index first; -1 when the model has fewer effects)
//   /score/reason{1,2,3}_contrib float64[n]  those contributions; all contributions + baseline = eta
//   /score/effects strings                   effect names (attr baseline)
//   /caf_summary/{caf, count, mean, deciles[n_caf x 9] (R type 7), flagged, unseen, missing,
//                 out_of_range, nonfinite}   Cafs listed in the population's /cafs but absent get count 0
//   /drift/{input, variable, psi, level, n_missing, n_nonfinite, n_out_of_range, n_unseen,
//           class_offset, class_share_learning, class_share_tonight}; attrs score_psi, score_psi_level
//   /manifest/{caf, rows_in, rows_out, checksum}  checksum: sum over rows of mix64(id, probability bits)
// Root attributes: model_fingerprint, model_name, population, top_percent, n_rows.
//
// Rows of one Caf may be non-contiguous (an imported file): the plan lists maximal runs
// ("segments") of each Caf; grouped files (one segment per Caf, as `dmde generate` writes) are the
// fast path, interleaved files are scored correctly with one read per run and independent writes
// (collective rounds, ScoreOptions::collective_writes, need grouped files).
// Memory per rank: the per-Caf buffers (~110 bytes x rows of its largest Caf; two sets with
// --threads 2), one block of inputs (chunk_rows x (4 + 8 + inputs x 1..4 bytes): raw column, ids,
// class codes; four blocks with --threads 2), the direct writer's staging buffers (2 MiB per
// output dataset + 8 in flight: 44 MiB), the 8 MB histogram, and 4 bytes per row of the rank
// (each row's histogram bin, for the national percentiles without a second read): 55 MB for
// 13.8 M rows on one rank, under 2 GB up to ~350 M rows per rank. The large ones are allocated
// once, in 2 MiB huge pages (core/huge_pages.hpp). Measured peak: 292 MB at 13.8 M rows.
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "core/table.hpp"
#include "worker/score_model.hpp"

namespace dmde::worker {

/// A maximal run of consecutive rows [begin, end) of one Caf.
struct Segment {
  std::int32_t caf = 0;
  std::int64_t begin = 0, end = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & caf & begin & end;
  }
};

/// Who scores what. Identical on every rank.
struct ScorePlan {
  std::int64_t n_rows = 0;
  std::vector<std::int32_t> cafs;      ///< distinct Caf codes present, ascending
  std::vector<std::int64_t> caf_rows;  ///< rows of each Caf
  std::vector<int> owner;              ///< rank scoring each Caf: contiguous shares in file order, or LPT when those balance > 5% worse
  std::vector<std::vector<Segment>> caf_segments;  ///< each Caf's runs, in file order
  bool grouped = true;                 ///< every Caf is one run
  bool ids_increasing = false;         ///< interleaved files: /id strictly increasing in file order (so no duplicates anywhere); grouped files: settled after scoring

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & n_rows & cafs & caf_rows & owner & caf_segments & grouped & ids_increasing;
  }
  /// Indices (into cafs) of the Cafs of `rank`, in file order of their first rows.
  std::vector<std::size_t> cafs_of(int rank) const;
};

/// Builds the plan from the runs of the /caf column (pure: same answer on every rank).
ScorePlan make_plan(const std::vector<Segment>& runs, std::int64_t n_rows, int ranks);
/// Every rank streams its share of /caf in chunks and finds the runs; the runs are gathered and
/// every rank makes the same plan (an interleaved file's /id is scanned by rank 0 to check ids
/// increase). A read error on any rank is thrown on every rank.
ScorePlan plan_scoring(const Comm& comm, const TableReader& pop, std::int64_t chunk_rows);

/// Options of a scoring run.
struct ScoreOptions {
  double top_percent = 5.0;          ///< flag the top k% of each Caf
  std::int64_t chunk_rows = 65536;   ///< rows read per chunk
  std::string population_label;      ///< stored as an attribute (a path; no personal data)
  /// Per-dossier blocks written with MPI-IO collective calls, in lock-step rounds (one per Caf run,
  /// empty calls for ranks with fewer). Off by default: ranks finish their Cafs at different times
  /// and the rounds make them wait for each other (measured 3.4x slower at 2 ranks on a shared
  /// node); on a parallel file system whose collective buffering pays, turn it on. The result is
  /// identical either way. Small tables and metadata are always collective.
  bool collective_writes = false;
  /// Read the unfiltered float32 and int16 chunks of the inputs with a plain pread of their bytes
  /// (TableReader::read_raw_var: no HDF5 call, so both threads of a rank read and code them)
  /// instead of through HDF5; falls back to HDF5 reads per variable where the layout does not allow
  /// it. Same values, so identical output.
  bool raw_inputs = true;
  /// Write the per-dossier results with O_DIRECT from a writer thread (core/direct_writer.hpp),
  /// the unaligned edges of each rank's pieces through HDF5; the file system refusing O_DIRECT,
  /// or collective_writes, means HDF5 writes throughout. Same bytes, so identical output.
  bool direct_io = true;
  /// Threads per rank: 1, or 2 to overlap the HDF5 reads and writes (kept on the calling thread:
  /// HDF5 and MPI-IO are called from one thread only; that thread also codes) with the kernel,
  /// probabilities and per-Caf ranks on a second thread, one block ahead (+1 coded block of
  /// chunk_rows x (8 + inputs x code bytes) and a second set of per-Caf buffers). 0: 2 when the rank
  /// has two CPUs of its own (core/cpus.hpp: its binding divided by the ranks sharing it), else 1.
  /// Output identical for any value; with collective_writes, 1.
  int threads = 0;
};

/// Totals of a run (identical on every rank).
struct ScoreResult {
  std::int64_t rows = 0;
  std::int64_t cafs = 0;
  std::int64_t flagged = 0;
  double score_psi = 0;  ///< NaN when the model has no learning score distribution
  int max_psi_level = 0; ///< worst level over variables and score
};

/// Scores population `pop_path` with `model` into `out_path` (collective; atomic: the file
/// appears only when complete). Throws InputError for bad input (missing/mistyped variable,
/// duplicate ids, model/spec mismatch) and leaves no output.
ScoreResult score_population(const Comm& comm, const ScoreModel& model, const std::string& pop_path,
                             const std::string& out_path, const ScoreOptions& opt);

}  // namespace dmde::worker
