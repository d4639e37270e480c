#pragma once
// Fairness audit by group (single parents, disability benefit, RSA, age band, deprived
// neighbourhood, Caf, ...): who gets flagged for control compared with their share of the
// population, mean score, and, where outcomes are known (learning table, cross-validated scores),
// calibration and true/false positive rates per group.
#include <Eigen/Core>
#include <string>
#include <vector>

namespace dmde::model {

/// Audit figures of one group level. Shares are weighted; NaN where undefined.
struct GroupAudit {
  std::string level;
  double n = 0;              ///< weighted count
  double population_share = 0;  ///< n / total
  double flagged = 0;        ///< weighted count flagged (top k%)
  double flag_rate = 0;      ///< flagged / n
  double flagged_share = 0;  ///< flagged / all flagged: the group's share of the selection
  double ratio = 0;          ///< flagged_share / population_share (1 = proportional)
  double mean_score = 0;     ///< weighted mean predicted probability
  // Outcome-based (NaN without outcomes):
  double observed_rate = 0;  ///< weighted event rate
  double calibration = 0;    ///< mean_score / observed_rate (1 = calibrated; > 1 over-predicts)
  double tpr = 0;            ///< flagged events / events
  double fpr = 0;            ///< flagged non-events / non-events
};

/// Audit of one grouping. `group` holds codes 0..levels.size()-1 (NaN = missing, reported as an
/// extra level "(missing)" when present); `score` predicted probabilities; `flag` 0/1 selection;
/// `y` 0/1 outcomes or empty; `w` weights or empty. Throws std::invalid_argument on bad input.
std::vector<GroupAudit> audit_groups(Eigen::Ref<const Eigen::VectorXd> group, const std::vector<std::string>& levels,
                                     Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> flag,
                                     Eigen::Ref<const Eigen::VectorXd> y = Eigen::VectorXd(),
                                     Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd());

/// 0/1 flags of the top k share by decreasing score (the selection rule of top_k_table).
Eigen::VectorXd flag_top_k(Eigen::Ref<const Eigen::VectorXd> score, double k,
                           Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd());

/// Cuts a numeric variable into groups: `breaks` ascending b1 < ... < bm give levels
/// "< b1", "[b1, b2)", ..., ">= bm". Returns codes (NaN stays NaN) and fills `levels`.
Eigen::VectorXd band(Eigen::Ref<const Eigen::VectorXd> x, const std::vector<double>& breaks,
                     std::vector<std::string>& levels);

/// Model effects (names like "a" or "a*b") whose variables match a sensitive pattern: a variable
/// matches when its name contains the pattern (case-insensitive) or its theme equals it.
/// `themes[i]` is the theme of `vars[i]`. Returns "effect: reason" lines.
std::vector<std::string> sensitive_effects(const std::vector<std::string>& effects,
                                           const std::vector<std::string>& patterns,
                                           const std::vector<std::string>& vars = {},
                                           const std::vector<std::string>& themes = {});

}  // namespace dmde::model
