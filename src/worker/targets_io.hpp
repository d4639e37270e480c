#pragma once
// File side of `dmde targets`: the rule file, the comparison table as CSV/JSON/text, and writing
// target columns back into a learning table.
#include <string>
#include <vector>

#include "core/table.hpp"
#include "model/targets.hpp"

namespace dmde::worker {

/// Reads a rule file: one rule per line (`name: cond [and cond] [| label]`, see model/targets.hpp),
/// '#' starts a comment, blank lines are skipped. Throws InputError naming file and line.
std::vector<model::TargetRule> read_target_rules(const std::string& path);

/// The comparison table as CSV (header line; '.' decimal point), as JSON (array of objects) and as
/// aligned text for the console. `total` is the number of observations.
std::string target_table_csv(const std::vector<model::TargetSummary>& rows);
std::string target_table_json(const std::vector<model::TargetSummary>& rows, double total);
std::string target_table_text(const std::vector<model::TargetSummary>& rows, double total);

/// Adds the 0/1 column "target_<name>" for each rule to `t` and records the rules in the table's
/// metadata (meta "target_<name>" = rule text); `chosen` (a rule name, may be empty) becomes meta
/// "target" = "target_<chosen>". Throws InputError when a rule reads a missing outcome column.
void add_target_columns(Table& t, const std::vector<model::TargetRule>& rules, const std::string& chosen);

/// Writes `t` to `path` atomically, each "target_*" outcome dataset carrying its rule text in the
/// attribute `rule` (from the table metadata set by add_target_columns).
void write_table_with_rules(const std::string& path, const Table& t);

}  // namespace dmde::worker
