#pragma once
// File side of `dmde audit`: reading a scores file, building the groupings from a population or
// learning table, and writing the audit as CSV, JSON and a readable text report.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/table.hpp"
#include "model/fairness.hpp"

namespace dmde::worker {

/// Scores of a population (or cross-validated scores of a learning table), row-aligned with it.
struct Scores {
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd probability;  ///< /score/probability
  Eigen::VectorXd flag_top;     ///< /score/flag_top (0/1); empty when the file has none
};

/// Reads a scores file: datasets /id (int64), /caf (int32), /score/probability (float64) and,
/// optionally, /score/flag_top (0/1, any numeric type). The only place that knows this layout.
Scores read_scores(const std::string& path);

/// What to audit.
struct AuditSpec {
  /// Group variables of the table; numeric ones with more than 2 distinct values are banded
  /// (by `bands` when given for that name, else at their quintiles). Defaults use the learning
  /// table catalogue's names: single parent, disability benefit (AAH, 12-month mean amount),
  /// RSA (current amount), age of the holder, deprived-neighbourhood flag.
  std::vector<std::string> groups = {"isole_parent", "mt_aah_moy12m", "mt_rsa_m0", "age_resp", "qpv"};
  bool groups_are_defaults = true;  ///< defaults absent from the table are skipped, not errors
  /// Amount variables cut at 0.01: "< 0.01" = not receiving, ">= 0.01" = receiving.
  std::map<std::string, std::vector<double>> bands = {
      {"age_resp", {25, 35, 45, 55, 65}}, {"mt_aah_moy12m", {0.01}}, {"mt_rsa_m0", {0.01}}};
  bool by_caf = true;          ///< add the Caf grouping
  double top = 0.05;           ///< share flagged when the scores file has no flag (or recompute)
  bool recompute_flag = false;  ///< ignore /score/flag_top and flag the top `top` share
  std::string outcome;         ///< 0/1 outcome column of the table (learning table) or empty
  bool weighted = true;        ///< use the table's weights
  /// Patterns for the sensitive-effects list (variable name substrings or themes).
  std::vector<std::string> sensitive = {"isole", "single_parent", "aah", "handicap", "disab", "rsa", "age",
                                        "qpv", "deprived", "nationalite", "nationality", "sexe", "sex", "family"};
};

/// Audit results.
struct AuditResult {
  struct Grouping {
    std::string variable;
    std::vector<model::GroupAudit> rows;
  };
  std::vector<Grouping> groupings;
  std::vector<std::string> sensitive_effects;  ///< "effect: reason" (empty without a model)
  std::vector<std::string> notes;              ///< skipped groupings and other remarks
  double flagged_share = 0;                    ///< weighted share flagged overall
  bool has_outcomes = false;
};

/// Runs the audit. `t` holds the group variables (and the outcome, if any), row-aligned with `s`
/// (same ids in the same order: checked). `effects` are the model's effect names (may be empty).
/// Throws InputError for misalignment, a named variable or outcome that is absent.
AuditResult run_audit(const Table& t, const Scores& s, const AuditSpec& spec, const std::vector<std::string>& effects);

std::string audit_csv(const AuditResult& r);
std::string audit_json(const AuditResult& r);
std::string audit_text(const AuditResult& r);

}  // namespace dmde::worker
