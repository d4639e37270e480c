#pragma once
// The seeded synthetic generator behind `dmde generate learning|population`.
//
// Every value is a pure function of (seed, domain, row index, variable): the row kernel draws
// with Random123 Philox4x32, counter = (row, stream), key = (seed, domain), so any split of the
// rows over ranks or blocks gives bit-identical output (variables 2k and 2k+1 share one call: see
// generator_columns.cpp). Each dossier has latent factors
// (precarity, instability, family complexity, digital use, ...) that drive many variables;
// the same quantity over windows 0/3/6/12/18 months shares a block latent (strongly correlated);
// amounts are log-normal, counts skewed, categories have rare levels; spouse variables are
// missing for single adults; some variables are pure noise; local context is constant per Caf
// (and per commune). A hidden logistic model (the Truth) gives the target (cible 4) and the
// control outcomes are drawn consistently with it.
#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/table.hpp"

namespace dmde::worker {

/// One Caf: code (département number; 2A/2B as 201/202; 641/642 for the two Pyrénées-Atlantiques
/// Caf; 971-974 overseas), name, and its number of allocataire households (sums to 13.8 M).
struct CafInfo {
  std::int32_t code = 0;
  std::string name;
  std::int64_t size = 0;
};
/// The 101 Caf, ordered by code (population rows follow this order).
const std::vector<CafInfo>& caf_catalogue();

/// Number of latent factors per dossier.
inline constexpr int kFactors = 8;

/// How a variable's value is made from its standard-normal latent z.
enum class Dist : std::uint8_t { Normal, LogNormal, Count, Binary, Category, Uniform, Special };

/// Generation recipe of one variable (the catalogue entry).
struct GenVar {
  VarInfo info;
  Dist dist = Dist::Normal;
  int special = -1;                    ///< hand-coded household variable (Dist::Special), else -1
  std::array<float, kFactors> load{};  ///< loadings on the latent factors (sum of squares < 1)
  int block = -1;                      ///< window block: variables of a block share a latent
  float rho = 0;                       ///< weight of the block latent (correlation across windows)
  float a = 0, b = 1;                  ///< location / scale of the transform
  float zero_cut = -10;                ///< z below this gives 0 (zero inflation of amounts/counts)
  float lo = -1e30f;                   ///< lower clip of Normal values (ages, rates)
  int receipt = -1;                    ///< benefit whose non-receipt forces 0 (see kReceipt*), or -1
  std::vector<float> cuts;             ///< categorical: increasing thresholds on z (levels-1 of them)
  float p_miss = 0;                    ///< random missingness
  int requires_ = 0;                   ///< structural missingness: 1 spouse, 2 children, 3 tenant, 4 past control
  int local = 0;                       ///< 1: constant per Caf, 2: constant per commune
  std::uint32_t stream = 0;            ///< index in the full catalogue (the RNG stream)
};

/// The first `n_vars` (<= kMaxVars) variables of the full catalogue for `seed`: the same prefix
/// whatever `n_vars`, so a population with fewer columns matches a learning table with more.
std::vector<GenVar> build_catalogue(std::uint64_t seed, int n_vars);
inline constexpr int kMaxVars = 4360;
/// Number of leading variables that the truth uses (the minimum for --vars).
int core_var_count();

/// Which draw: the learning sample and the population are independent draws of the same law.
enum class Domain : std::uint32_t { Population = 0, Learning = 1, Calibration = 2 };

/// One effect of the hidden logistic model: coef * transform(var) [* transform2(var2)].
struct Effect {
  std::string label;      ///< readable description
  std::string var;        ///< variable name
  std::string transform;  ///< "linear", "log1p", "gt" (x > c), "eq" (x == c: a class level), "min" (min(x, c))
  double c = 0;
  std::string var2, transform2;  ///< interactions only
  double c2 = 0;
  double coef = 0;  ///< final coefficient (after scaling)
};

/// The hidden true model; `intercept` and the common scale are solved on a calibration draw.
struct Truth {
  std::vector<Effect> effects;
  double intercept = 0;
  double target_rate = 0;    ///< expected rate on the calibration draw
  double expected_auc = 0;   ///< expected ROC AUC of the true linear predictor (calibration draw)
  /// Linear predictor for rows whose true variables are the columns of `X` (order of `columns`).
  Eigen::VectorXd eta(const Eigen::MatrixXf& X, const std::vector<std::string>& columns) const;
  /// Variables the truth reads, in a fixed order.
  std::vector<std::string> variables() const;
  /// JSON text (effects, coefficients, intercept, rates); `extra` is merged at top level.
  std::string to_json(const std::string& extra_json = "{}") const;
};

/// The generator for one (seed, domain, row count).
class Generator {
 public:
  Generator(std::uint64_t seed, Domain domain, std::int64_t n_rows, int n_vars);

  const std::vector<GenVar>& catalogue() const { return cat_; }
  std::int64_t rows() const { return n_rows_; }
  /// Rows per Caf (index into caf_catalogue()): proportional to sizes; learning: stratified sample.
  const std::vector<std::int64_t>& caf_rows() const { return caf_rows_; }
  /// Solves the truth (deterministic; ~50k calibration rows). Cached after the first call.
  const Truth& truth() const;

  /// Fills ids, Caf codes and weights for rows [begin, end).
  void fill_keys(std::int64_t begin, std::int64_t end, std::vector<std::int64_t>& id, std::vector<std::int32_t>& caf,
                 Eigen::VectorXd& weight) const;
  /// Fills X (end-begin rows, cols.size() columns; indices into catalogue()) for rows [begin, end).
  void fill(std::int64_t begin, std::int64_t end, const std::vector<int>& cols, Eigen::MatrixXf& X) const;
  /// The same into caller-owned column-major storage of (end-begin) x cols.size() floats (e.g. a
  /// block-aligned buffer that direct I/O writes without a copy).
  void fill(std::int64_t begin, std::int64_t end, const std::vector<int>& cols, float* X) const;
  /// Outcome columns: standard_outcomes() then target_c4, for rows [begin, end).
  void fill_outcomes(std::int64_t begin, std::int64_t end, Eigen::MatrixXd& outcomes) const;
  /// Outcome names written by fill_outcomes.
  static std::vector<std::string> outcome_names();

 private:
  std::uint64_t seed_;
  Domain domain_;
  std::int64_t n_rows_;
  std::vector<GenVar> cat_;
  std::vector<std::int64_t> caf_rows_, caf_start_;
  mutable std::vector<Truth> truth_;  // 0 or 1 element (lazy)
  int caf_of_row(std::int64_t row) const;
};

/// Expected ROC AUC of a score `eta` when the outcome is Bernoulli(p) (pairs weighted p_i (1-p_j)).
double expected_auc(const Eigen::VectorXd& eta, const Eigen::VectorXd& p);
/// Empirical ROC AUC (ties count 1/2), unweighted.
double rank_auc(const Eigen::VectorXd& score, const Eigen::VectorXd& y);

}  // namespace dmde::worker

namespace dmde::worker {

/// What `dmde generate learning|population` writes.
struct GenerateSpec {
  bool learning = true;                ///< learning table (outcomes, survey weights) or population (float32)
  std::string output;                  ///< HDF5 table path (written atomically)
  std::int64_t rows = 0;
  int vars = 0;                        ///< catalogue prefix length
  std::uint64_t seed = 0;
  std::vector<std::string> selected;   ///< only these variables (catalogue order); empty = all
  std::int64_t chunk_rows = 65536;     ///< rows per file chunk; blocks are whole chunks (bounds memory per rank)
  int threads = 0;                     ///< generating threads per rank (0: generator_threads())
  bool direct_io = true;               ///< WriteOptions::direct_io (O_DIRECT chunk writes, no page cache)
  int block_chunks = 0;                ///< chunks per generated block (0: up to 4 while a block holds <= 128 MB)
};

/// Collective: default generating threads of a rank: the CPUs it may run on (its affinity mask)
/// divided by the ranks of its host bound to the same CPUs, 1 to 8.
int generator_threads(const Comm& comm);

/// Collective over `comm`: each rank generates its block_range share in blocks of whole chunks and
/// writes them with TableWriter, then the file is committed. Blocks are generated by
/// `threads` helper threads while the calling thread writes (at most threads + 1 blocks in memory).
/// Returns the generator used.
Generator write_generated(const Comm& comm, const GenerateSpec& spec);

/// Truth JSON for a generated learning table: the truth plus its realised weighted target rate
/// and true-model AUC on the table's rows (recomputed serially: call on one rank).
std::string truth_report(const Generator& gen, const GenerateSpec& spec);

}  // namespace dmde::worker
