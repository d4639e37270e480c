#pragma once
// `dmde prepare` on each rank: screening, recoding and discretization split over ranks by
// variable index (variable j on rank j % size: each variable's result depends only on its own
// column, so it is the same at any rank count), then the pairwise association matrix of the
// screened candidates in blocks of the upper triangle (block pair q on rank q % size, gathered
// in block order), then average-linkage clustering and one representative per cluster
// (identical on every rank). Every rank holds the whole learning table (~14k rows).
#include <Eigen/Core>
#include <limits>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "core/error.hpp"
#include "core/table.hpp"
#include "model/prep_rules.hpp"
#include "model/prep_spec.hpp"
#include "model/weights.hpp"

namespace dmde::worker {

/// One row of the data-management report: what was done to a raw variable and why it was dropped.
struct VarReport {
  std::string name;
  std::string kind;  ///< "numeric" or "categorical"
  std::string theme;
  double observed_share = 0.0;
  double mode_share = 0.0;
  int distinct = 0;
  int n_classes = 0;
  double chi2 = 0.0;  ///< target link on the prepared classes (normalized weights)
  int df = 0;
  double pvalue = 1.0;
  double pvalue_adj = 1.0;  ///< pvalue times the Bonferroni multiplier of the class search (capped at 1): screened on
  double iv = 0.0;
  int cluster = -1;            ///< cluster among screened candidates (-1: screened out)
  std::string representative;  ///< the cluster's representative
  double association = std::numeric_limits<double>::quiet_NaN();  ///< with the representative
  bool kept = false;
  std::string reason;   ///< why dropped ("" when kept)
  std::string classes;  ///< class labels joined by " | "

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & name & kind & theme & observed_share & mode_share & distinct & n_classes & chi2 & df & pvalue & pvalue_adj & iv &
        cluster & representative & association & kept & reason & classes;
  }
};

/// Everything `dmde prepare` produces, identical on every rank.
struct PrepareResult {
  model::PrepSpec spec;                 ///< transforms of the kept variables, in table order
  std::vector<VarReport> report;        ///< one row per raw variable, in table order
  std::vector<std::string> candidates;  ///< screened candidates (rows/cols of `association`)
  Eigen::MatrixXd association;          ///< pairwise association of the candidates (1 on the diagonal)
  std::vector<int> cluster;             ///< cluster of each candidate
  double seconds_screen = 0.0, seconds_association = 0.0, seconds_cluster = 0.0;
  std::int64_t pairs = 0;
};

/// Runs data management on table `t` (present on every rank) against 0/1 outcome `target`.
/// Throws InputError when the target is missing or not 0/1.
PrepareResult prepare(const Comm& comm, const Table& t, const std::string& target, const model::PrepOptions& opt,
                      model::WeightMode weights = model::WeightMode::Normalized);

/// The pairwise association matrix of the candidates (see model/association.hpp for the
/// choices): `codes` n x m prepared codes, `k` classes of each, `raw` n x m raw columns and
/// `numeric` flags. Blocks of the upper triangle are spread over ranks; the result is complete on every rank.
Eigen::MatrixXd association_matrix(const Comm& comm, Eigen::Ref<const Eigen::MatrixXi> codes, const std::vector<int>& k,
                                   Eigen::Ref<const Eigen::MatrixXd> raw, const std::vector<bool>& numeric,
                                   Eigen::Ref<const Eigen::VectorXd> w, std::int64_t* pairs = nullptr);

/// Applies `spec` to `t`: a "prepared" table (categorical variables with the class labels as
/// levels; id, caf, weight and outcomes kept). `unseen` (optional) receives the counts of values
/// training never saw. Throws InputError when a source variable is absent.
Table apply_spec(const model::PrepSpec& spec, const Table& t, model::UnseenCounts* unseen = nullptr);

/// The report as CSV (one line per variable, ';'-free: ',' separated, quoted) and as JSON.
std::string report_csv(const std::vector<VarReport>& report);
std::string report_json(const PrepareResult& r, const model::PrepOptions& opt);
/// A short console table: counts per reason and the kept variables by decreasing chi-square.
std::string report_console(const PrepareResult& r, std::size_t max_rows = 25);

}  // namespace dmde::worker
