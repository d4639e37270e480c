#pragma once
// Monitoring of closed controls (note section 9): per group (all / control / test) counts,
// amounts and shares of controls with an overpayment or underpayment, and the test - control
// differences with confidence intervals and tests (model/compare.hpp).
#include <Eigen/Core>
#include <string>
#include <vector>

#include "model/compare.hpp"

namespace dmde::model {

/// Outcomes of closed controls, one entry per control (amounts in EUR, >= 0).
struct ControlOutcomes {
  Eigen::VectorXd gross;      ///< gross overpayment amount
  Eigen::VectorXd net;        ///< net overpayment amount (after offsetting underpayments)
  Eigen::VectorXd under;      ///< underpayment (rappel) amount
  Eigen::VectorXd in_target;  ///< 1 if the dossier was in the model's target, else 0
  Eigen::VectorXd test;       ///< 1 = test group, 0 = control group
};

/// The shares reported, in this order (names used in output tables).
const std::vector<std::string>& monitor_indicators();  // gross_overpayment, net_overpayment, underpayment,
                                                        // overpayment_or_underpayment, in_target

/// One row of the table (a group of controls).
struct MonitorRow {
  double n = 0;                        ///< number of controls
  double total_gross = 0;              ///< total gross overpayment (EUR)
  double mean_gross_per_control = 0;   ///< total_gross / n
  double mean_gross_per_overpayment = 0;  ///< total_gross / controls with a gross overpayment
  double var_gross = 0;                ///< sample variance of the gross amount per control
  std::vector<double> count;           ///< per indicator: number of controls with it
  std::vector<double> percent;         ///< per indicator: 100 * count / n
};

/// The table of one period and control type.
struct MonitorTable {
  MonitorRow all, control, test;
  std::vector<Comparison> diff;  ///< per indicator: test - control (proportions, not percent)
  Comparison diff_mean_gross;    ///< Welch: mean gross overpayment per control, test - control
  bool has_comparison = false;   ///< false when a group has too few controls to compare
};

/// Builds the table over the controls where `mask` is true (empty mask: all of them).
/// Throws std::invalid_argument on length mismatches or negative amounts.
MonitorTable monitor_table(const ControlOutcomes& c, const std::vector<char>& mask = {}, double level = 0.95);

}  // namespace dmde::model
