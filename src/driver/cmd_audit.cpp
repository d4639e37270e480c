// `dmde audit`: fairness audit of a scored population (or of cross-validated scores on a learning
// table) by group, plus the model's effects involving sensitive themes.
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <cstdio>

#include "core/atomic.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/artifact_io.hpp"
#include "worker/audit.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde audit`.
struct AuditParams {
  std::string table;                ///< population (or learning) table, row-aligned with the scores
  std::string scores;               ///< scores file (/id, /caf, /score/probability, /score/flag_top)
  std::string model;                ///< model artifact (optional): lists effects on sensitive themes
  std::vector<std::string> groups;  ///< group variables (default: isole_parent, mt_aah_moy12m, mt_rsa_m0, age_resp, qpv)
  std::vector<std::string> bands;   ///< NAME:b1,b2,... cut points of a numeric group variable
  bool no_caf = false;              ///< leave out the Caf grouping
  double top = 0.05;                ///< share flagged when the scores have no flag (or --recompute-flag)
  bool recompute_flag = false;      ///< flag the top share instead of reading /score/flag_top
  std::string outcome;              ///< 0/1 outcome column (learning table): calibration, TPR, FPR
  bool unweighted = false;          ///< ignore the table's weights
  std::string csv, json, report;    ///< outputs: CSV table, JSON, readable text report

  void validate() const {
    if (table.empty() || scores.empty()) throw InputError("--table and --scores are required");
    if (!(top > 0 && top <= 1)) throw InputError("--top must be in (0, 1]");
    for (const auto& b : bands)
      if (b.find(':') == std::string::npos) throw InputError("--band takes NAME:b1,b2,... not '" + b + "'");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & table & scores & model & groups & bands & no_caf & top & recompute_flag & outcome & unweighted & csv & json &
        report;
  }
};

worker::AuditSpec make_spec(const AuditParams& p) {
  worker::AuditSpec spec;
  if (!p.groups.empty()) spec.groups = p.groups, spec.groups_are_defaults = false;
  for (const auto& b : p.bands) {
    const auto colon = b.find(':');
    std::vector<double> cuts;
    std::string rest = b.substr(colon + 1);
    for (std::size_t pos = 0; pos <= rest.size();) {
      const auto comma = std::min(rest.find(',', pos), rest.size());
      try {
        cuts.push_back(std::stod(rest.substr(pos, comma - pos)));
      } catch (const std::exception&) {
        throw InputError("--band '" + b + "': cut points must be numbers");
      }
      pos = comma + 1;
    }
    spec.bands[b.substr(0, colon)] = cuts;
  }
  spec.by_caf = !p.no_caf;
  spec.top = p.top;
  spec.recompute_flag = p.recompute_flag;
  spec.outcome = p.outcome;
  spec.weighted = !p.unweighted;
  return spec;
}

int run_audit(Comm& comm, AuditParams& p) {
  share_params(comm, p);
  root_check(comm, [&] {
    const auto spec = make_spec(p);
    // Read only the group variables present (a population has thousands of columns).
    const auto schema = read_schema(p.table);
    std::vector<std::string> vars;
    for (const auto& g : spec.groups)
      if (schema.find(g) >= 0) vars.push_back(g);
    if (vars.empty() && !schema.vars.empty()) vars.push_back(schema.vars.front().name);  // empty = read all
    const Table t = read_table(p.table, vars);
    const auto scores = worker::read_scores(p.scores);
    std::vector<std::string> effects;
    if (!p.model.empty())
      for (const auto& term : worker::load_artifact(p.model).card.terms) effects.push_back(term.effect);
    const auto r = worker::run_audit(t, scores, spec, effects);
    const auto text = worker::audit_text(r);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    if (!p.csv.empty()) write_file_atomic(p.csv, worker::audit_csv(r));
    if (!p.json.empty()) write_file_atomic(p.json, worker::audit_json(r));
    if (!p.report.empty()) write_file_atomic(p.report, text);
    spdlog::info("audited {} dossiers over {} grouping(s)", t.rows(), r.groupings.size());
  });
  return 0;
}

}  // namespace

void add_audit_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<AuditParams>();
  auto* sub = app.add_subcommand("audit", "Fairness audit of scores by group (flag rates, calibration, TPR/FPR)");
  sub->add_option("--table", p->table, "Population or learning table (HDF5), row-aligned with the scores")->required();
  sub->add_option("--scores", p->scores, "Scores file (/id, /caf, /score/probability, /score/flag_top)")->required();
  sub->add_option("--model", p->model, "Model artifact: list its effects on sensitive themes");
  sub->add_option("--group", p->groups, "Group variable (repeatable; replaces the defaults)");
  sub->add_option("--band", p->bands, "Cut points of a numeric group variable, NAME:b1,b2,...");
  sub->add_flag("--no-caf", p->no_caf, "Leave out the Caf grouping");
  sub->add_option("--top", p->top, "Share flagged when the scores carry no flag")->capture_default_str();
  sub->add_flag("--recompute-flag", p->recompute_flag, "Flag the --top share instead of reading /score/flag_top");
  sub->add_option("--outcome", p->outcome, "0/1 outcome column (learning table): calibration, TPR, FPR");
  sub->add_flag("--unweighted", p->unweighted, "Ignore the table's weights");
  sub->add_option("--csv", p->csv, "Audit table as CSV");
  sub->add_option("--json", p->json, "Audit as JSON");
  sub->add_option("--report", p->report, "Readable text report");
  out.push_back({sub, [p](Comm& comm) { return run_audit(comm, *p); }});
}

}  // namespace dmde::driver
