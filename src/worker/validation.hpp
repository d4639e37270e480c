#pragma once
// Validation of the final model specification (technical note section 7): repeated stratified
// k-fold cross-validation and Harrell's bootstrap optimism correction, distributed over ranks.
// What is validated: the FINAL MODEL'S EFFECT SET (kept variables + accepted interactions),
// refitted in every fold / bootstrap sample; the bootstrap selection itself is not repeated
// inside the folds (its stability is reported by the bootstrap stage).
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "core/comm.hpp"
#include "worker/bootstrap_model.hpp"

namespace dmde::worker {

/// The note's performance table: concordance figures and the top-5% statistics (weighted).
struct Metrics {
  double auc = 0;              ///< ROC AUC = c = (C + T/2) / pairs
  double area_under_lift = 0;  ///< the note's "aire sous la courbe LIFT" (model::GainsCurve::area_normalized)
  double pct_concordant = 0;   ///< 100 C / pairs
  double top_target = 0;       ///< share of targets among the top `top_share` scored
  double top_fraud = 0;        ///< share of frauds (outcome "fraud" > 0) in the top
  double top_fi = 0;           ///< share with a financial impact (financial_impact != 0)
  double top_overpayment = 0;  ///< share with an overpayment (overpayment_amount > 0)
  double top_mean_fi = 0;      ///< mean financial impact in the top

  static const std::vector<std::string>& names();
  std::vector<double> values() const;
  static Metrics from_values(const std::vector<double>& v);
};

/// Metrics of `score` under weights `w` (rows with w = 0 ignored). `extra` = ClassData::extra.
Metrics compute_metrics(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                        Eigen::Ref<const Eigen::VectorXd> w, Eigen::Ref<const Eigen::MatrixXd> extra,
                        double top_share = 0.05);

/// Stratified fold of each row for repeat `rep` (0..k-1), from Philox keyed by (seed, rep).
std::vector<int> fold_assignment(Eigen::Ref<const Eigen::VectorXd> y, int k, std::uint64_t seed, int rep);

struct ValidationOptions {
  int folds = 5;
  int repeats = 5;          ///< CV repeats (different fold splits)
  int optimism_b = 100;     ///< bootstrap samples for the optimism correction (0 = skip)
  int ci_b = 200;           ///< row bootstrap of the pooled CV predictions for 95% intervals
  double top_share = 0.05;
  std::uint64_t seed = 1;
  int prefetch = 2;
  bool progress = true;
};

struct ValidationReport {
  std::vector<Metrics> per_repeat;  ///< pooled out-of-fold metrics of each repeat
  Metrics mean, lo, hi;             ///< mean over repeats; 2.5% / 97.5% row-bootstrap percentiles (repeat 0)
  double apparent_auc = 0, optimism = 0, corrected_auc = 0;
  int optimism_b = 0;
};

/// Runs the validation of `effects` on all ranks (collective); the report is valid on every rank.
ValidationReport validate_model(const Comm& comm, const ClassData& d, const std::vector<int>& effects,
                                const ValidationOptions& opt, const StepwiseOptions& fit_opt = {});
/// Writes the report as HDF5 (atomic; rank 0 only).
void write_validation(const std::string& path, const ValidationReport& r, const ValidationOptions& opt,
                      const std::vector<std::string>& effects);

/// Pooled out-of-fold ROC AUC of `effects` for one fold split (serial; used by the interaction gain check).
double cv_auc(const ClassData& d, const std::vector<int>& effects, const std::vector<int>& fold, int k,
              const StepwiseOptions& fit_opt = {});

}  // namespace dmde::worker
