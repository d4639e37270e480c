#pragma once
// Candidate targets of the technical note (section 3) and their comparison table. A target is a
// rule over a learning table's outcome columns, written as a conjunction of comparisons:
//
//   c4: overpayment_amount > 600 and overpayment_months > 6 | indus > 600 EUR et duree > 6 mois
//   c9: overpayment_amount / overpayment_months > 50        | indus mensuel moyen > 50 EUR
//
// Each comparison is `<column> <op> <number>` or `<column> / <column> <op> <number>`, op one of
// > >= < <= == !=. A ratio with a zero denominator is 0 (no overpayment month: no monthly mean).
#include <Eigen/Core>
#include <string>
#include <vector>

namespace dmde::model {

/// One comparison of a rule.
struct TargetCondition {
  std::string column;       ///< outcome column
  std::string denominator;  ///< optional: the condition compares column / denominator
  std::string op;           ///< > >= < <= == !=
  double value = 0;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & column & denominator & op & value;
  }
};

/// A candidate target definition.
struct TargetRule {
  std::string name;   ///< short id, e.g. "c4"; the column written is "target_" + name
  std::string label;  ///< human text for tables ("overpayment > 600 EUR and > 6 months")
  std::vector<TargetCondition> all_of;

  /// The rule in the rule-file syntax (also stored as the target column's attribute).
  std::string text() const;
  /// Outcome columns the rule reads.
  std::vector<std::string> columns() const;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & name & label & all_of;
  }
};

/// Parses one rule line `name: cond and cond ... [| label]`; throws std::invalid_argument with
/// the reason. Blank lines and '#' comments are the caller's business.
TargetRule parse_target_rule(const std::string& line);

/// The 11 candidate targets of the note (c1 fraud-qualified; c2-c6 amount and duration;
/// c7-c11 mean monthly overpayment).
std::vector<TargetRule> note_target_rules();

/// Evaluates `rule` on rows of `outcomes` whose columns are named `names`: 1/0, NaN when a value
/// the rule reads is NaN. Throws std::invalid_argument when a column is missing.
Eigen::VectorXd evaluate_target(const TargetRule& rule, Eigen::Ref<const Eigen::MatrixXd> outcomes,
                                const std::vector<std::string>& names);

/// One row of the note's target comparison table.
struct TargetSummary {
  std::string name, label;
  double count = 0;               ///< observations in the target (unweighted, as the note)
  double percent = 0;             ///< 100 * count / observations with a defined target
  double fraud_share_amount = 0;  ///< % of the target's overpayment amount that is fraudulent (weighted)
  double fraud_capture_amount = 0;  ///< % of all fraudulent overpayment amount inside the target (weighted)
  double fraud_share_count = 0;     ///< % of the target's dossiers that are fraudulent (weighted)
  double mean_financial_impact = 0;  ///< weighted mean financial impact in the target (EUR)
};

/// Column names the comparison table reads.
struct OutcomeNames {
  std::string amount = "overpayment_amount";
  std::string fraud = "fraud";
  std::string impact = "financial_impact";
};

/// The comparison table for `rules` (weights: survey weights; empty = ones). Amounts use the
/// overpayment amount clipped at 0 (a negative net amount carries no overpayment).
std::vector<TargetSummary> compare_targets(const std::vector<TargetRule>& rules,
                                           Eigen::Ref<const Eigen::MatrixXd> outcomes,
                                           const std::vector<std::string>& names,
                                           Eigen::Ref<const Eigen::VectorXd> w = Eigen::VectorXd(),
                                           const OutcomeNames& cols = {});

}  // namespace dmde::model
