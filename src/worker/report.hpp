#pragma once
// The self-contained HTML report of `dmde report`: a training run (cross-validated scores of the
// learning table: association table, ROC and gains curves, calibration, top-k table, targets,
// fit and selection frequencies) and a scoring night (score distribution, by-Caf means and flag
// rates, drift against the learning scores, fairness audit). Plots are inline SVG; no JavaScript.
#include <string>

#include "model/artifact.hpp"
#include "worker/audit.hpp"

namespace dmde::worker {

/// What the report is built from; every part is optional (a section is left out without it).
struct ReportInputs {
  const Table* learning = nullptr;     ///< learning table (outcomes, weights)
  const Scores* cv_scores = nullptr;   ///< cross-validated scores, row-aligned with `learning`
  std::string outcome;                 ///< 0/1 target column of `learning`
  const model::ModelArtifact* model = nullptr;
  const Table* population = nullptr;   ///< population table (group variables) for the audit
  const Scores* scores = nullptr;      ///< scoring-night scores, row-aligned with `population`
  double top = 0.05;                   ///< share for the top-k table and flags without /score/flag_top
  std::string title = "dmde report";
};

/// The HTML document. Throws InputError for misaligned inputs or a missing outcome.
std::string html_report(const ReportInputs& in);

/// Population stability index of `actual` against `reference` over the reference's deciles.
double psi(const Eigen::VectorXd& reference, const Eigen::VectorXd& actual);

}  // namespace dmde::worker
