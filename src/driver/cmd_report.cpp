// `dmde report`: a self-contained HTML report (inline SVG, no JavaScript, viewable offline) of a
// training run and/or a scoring night. Rendering check: tests/driver/report_render_check.sh.
#include <spdlog/spdlog.h>

#include <boost/serialization/string.hpp>
#include <optional>

#include "core/atomic.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "worker/artifact_io.hpp"
#include "worker/report.hpp"

namespace dmde::driver {
namespace {

/// Parameters of `dmde report`.
struct ReportParams {
  std::string output;       ///< HTML file written
  std::string learning;     ///< learning table (with --cv-scores and --outcome)
  std::string cv_scores;    ///< cross-validated scores of the learning table (scores-file layout)
  std::string outcome;      ///< 0/1 target column of the learning table
  std::string model;        ///< model artifact
  std::string population;   ///< population table (group variables for the audit)
  std::string scores;       ///< scoring-night scores file
  double top = 0.05;        ///< share for the top-k table and flags
  std::string title = "dmde report";  ///< report title

  void validate() const {
    if (output.empty()) throw InputError("an output file is required (-o)");
    if (!cv_scores.empty() && (learning.empty() || outcome.empty()))
      throw InputError("--cv-scores needs --learning and --outcome");
    if (!population.empty() && scores.empty()) throw InputError("--population needs --scores");
    if (!(top > 0 && top <= 1)) throw InputError("--top must be in (0, 1]");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & output & learning & cv_scores & outcome & model & population & scores & top & title;
  }
};

int run_report(Comm& comm, ReportParams& p) {
  share_params(comm, p);
  root_check(comm, [&] {
    std::optional<Table> learning, population;
    std::optional<worker::Scores> cv, scores;
    std::optional<model::ModelArtifact> model;
    worker::ReportInputs in;
    in.top = p.top, in.title = p.title, in.outcome = p.outcome;
    if (!p.cv_scores.empty()) {
      learning = read_table(p.learning), cv = worker::read_scores(p.cv_scores);
      in.learning = &*learning, in.cv_scores = &*cv;
    }
    if (!p.model.empty()) model = worker::load_artifact(p.model), in.model = &*model;
    if (!p.scores.empty()) scores = worker::read_scores(p.scores), in.scores = &*scores;
    if (!p.population.empty()) {
      const worker::AuditSpec spec;
      const auto schema = read_schema(p.population);
      std::vector<std::string> vars;
      for (const auto& g : spec.groups)
        if (schema.find(g) >= 0) vars.push_back(g);
      if (vars.empty() && !schema.vars.empty()) vars.push_back(schema.vars.front().name);
      population = read_table(p.population, vars), in.population = &*population;
    }
    write_file_atomic(p.output, worker::html_report(in));
    spdlog::info("wrote report {}", p.output);
  });
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<ReportParams>();
  auto* sub = app.add_subcommand("report", "Self-contained HTML report of a training run and/or a scoring night");
  sub->add_option("-o,--output", p->output, "HTML file")->required();
  sub->add_option("--learning", p->learning, "Learning table (HDF5)");
  sub->add_option("--cv-scores", p->cv_scores, "Cross-validated scores of the learning table");
  sub->add_option("--outcome", p->outcome, "0/1 target column of the learning table");
  sub->add_option("--model", p->model, "Model artifact");
  sub->add_option("--population", p->population, "Population table (audit group variables)");
  sub->add_option("--scores", p->scores, "Scoring-night scores file");
  sub->add_option("--top", p->top, "Share for the top-k table and flags")->capture_default_str();
  sub->add_option("--title", p->title, "Report title")->capture_default_str();
  out.push_back({sub, [p](Comm& comm) { return run_report(comm, *p); }});
}

}  // namespace dmde::driver
