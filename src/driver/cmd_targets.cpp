// `dmde targets`: builds the candidate targets of the note from a learning table's outcome
// columns, prints the comparison table (note section 3) and writes the chosen target back.
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <cstdio>

#include "core/atomic.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/targets_io.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde targets`.
struct TargetsParams {
  std::string input;          ///< learning table (HDF5)
  std::string rules;          ///< rule file; empty = the note's 11 candidates
  std::string chosen = "c4";  ///< rule written as the table's target ("target" metadata)
  std::string output;         ///< learning table written with target columns; empty = no table written
  bool all = false;           ///< write every candidate's column, not only the chosen one
  std::string csv;            ///< comparison table as CSV
  std::string json;           ///< comparison table as JSON

  void validate() const {
    if (input.empty()) throw InputError("a learning table is required (-i)");
    if (!output.empty() && output == input) throw InputError("-o must differ from -i (the input is kept intact)");
    if (chosen.empty() && !output.empty()) throw InputError("--choose is required to write a table");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & input & rules & chosen & output & all & csv & json;
  }
};

int run_targets(Comm& comm, TargetsParams& p) {
  share_params(comm, p);
  // ~14k rows: rank 0 does the work, the others wait for its verdict.
  root_check(comm, [&] {
    const auto rules = p.rules.empty() ? model::note_target_rules() : worker::read_target_rules(p.rules);
    Table t = read_table(p.input);
    std::vector<model::TargetSummary> rows;
    try {
      rows = model::compare_targets(rules, t.outcomes, t.schema.outcomes, t.weight);
    } catch (const std::invalid_argument& e) {
      throw InputError(p.input + ": " + e.what());
    }
    const auto total = static_cast<double>(t.rows());
    std::fputs(worker::target_table_text(rows, total).c_str(), stdout);
    std::fflush(stdout);
    if (!p.csv.empty()) write_file_atomic(p.csv, worker::target_table_csv(rows));
    if (!p.json.empty()) write_file_atomic(p.json, worker::target_table_json(rows, total));
    if (!p.output.empty()) {
      std::vector<model::TargetRule> keep;
      for (const auto& r : rules)
        if (p.all || r.name == p.chosen) keep.push_back(r);
      worker::add_target_columns(t, keep, p.chosen);
      worker::write_table_with_rules(p.output, t);
      spdlog::info("wrote {} target column(s) to {} (target = target_{})", keep.size(), p.output, p.chosen);
    }
  });
  return 0;
}

}  // namespace

void add_targets_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<TargetsParams>();
  auto* sub = app.add_subcommand("targets", "Build the candidate targets and their comparison table (note section 3)");
  sub->add_option("-i,--input", p->input, "Learning table (HDF5)")->required();
  sub->add_option("--rules", p->rules, "Rule file (default: the note's 11 candidates)");
  sub->add_option("--choose", p->chosen, "Target written into the table")->capture_default_str();
  sub->add_option("-o,--output", p->output, "Learning table written with the target column(s)");
  sub->add_flag("--all", p->all, "Write every candidate target column, not only the chosen one");
  sub->add_option("--csv", p->csv, "Comparison table as CSV");
  sub->add_option("--json", p->json, "Comparison table as JSON");
  out.push_back({sub, [p](Comm& comm) { return run_targets(comm, *p); }});
}

}  // namespace dmde::driver
