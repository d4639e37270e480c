// `dmde fit`: one weighted logistic regression (optionally with SAS-style effect selection) on a
// dmde table, printed as PROC LOGISTIC-like tables and written to JSON.
#include <spdlog/spdlog.h>

#include <boost/serialization/vector.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/atomic.hpp"
#include "core/cpus.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "driver/fit_report.hpp"
#include "model/design.hpp"
#include "model/stepwise.hpp"

namespace dmde::driver {
namespace {

std::vector<std::string> split_names(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (auto s : in) {
    for (auto& ch : s)
      if (ch == ',') ch = ' ';
    std::istringstream is(s);
    for (std::string t; is >> t;) out.push_back(t);
  }
  return out;
}

/// Parameters of `dmde fit`.
struct FitParams {
  std::string table;                   ///< input dmde table (learning or prepared)
  std::string target;                  ///< 0/1 response: an outcome column or a variable
  std::string effects;                 ///< model effects, "a b c*d"
  std::vector<std::string> classes;    ///< CLASS variables ("c d" or "c,d")
  std::string param = "ref";           ///< CLASS coding: ref | effect
  std::vector<std::string> refs;       ///< reference levels "var=level" (default: last level)
  std::string weights = "normalized";  ///< normalized | frequency | none
  std::string selection = "none";      ///< none | forward | backward | stepwise
  double slentry = 0.05;               ///< SLENTRY
  double slstay = 0.05;                ///< SLSTAY
  int include = 0;                     ///< SAS INCLUDE=n: the first n effects are forced in
  int max_step = -1;                   ///< SAS MAXSTEP (-1 = SAS default)
  int max_iter = 25;                   ///< SAS MAXITER
  int threads = 0;                     ///< threads forming X'VX (0: this rank's CPUs; same result for any)
  std::string json;                    ///< JSON output file (optional)

  void validate() const {
    if (table.empty() || target.empty()) throw InputError("--table and --target are required");
    try {
      if (model::parse_effects(effects).empty()) throw InputError("--effects lists no effect");
      (void)model::weight_mode_from_string(weights);
      (void)model::selection_from_string(selection);
    } catch (const std::invalid_argument& e) {
      throw InputError(e.what());
    }
    if (param != "ref" && param != "effect") throw InputError("--param must be 'ref' or 'effect'");
    for (const auto& r : refs)
      if (r.find('=') == std::string::npos) throw InputError("--ref takes var=level, got '" + r + "'");
    if (!(slentry > 0 && slentry <= 1) || !(slstay > 0 && slstay <= 1))
      throw InputError("--slentry and --slstay must be in (0, 1]");
    if (include < 0 || max_iter < 1) throw InputError("--include must be >= 0 and --max-iter >= 1");
    if (threads < 0 || threads > 256) throw InputError("--threads must be between 0 (automatic) and 256");
  }
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& table& target& effects& classes& param& refs& weights& selection& slentry& slstay& include& max_step& max_iter&
        threads& json;
  }
};

void fit_on_root(const FitParams& p) {
  const auto effects = model::parse_effects(p.effects);
  const auto class_names = split_names(p.classes);
  std::vector<std::string> used;
  for (const auto& e : effects)
    for (const auto& v : e.vars)
      if (std::find(used.begin(), used.end(), v) == used.end()) used.push_back(v);
  const TableSchema schema = read_schema(p.table);
  const bool target_is_outcome =
      std::find(schema.outcomes.begin(), schema.outcomes.end(), p.target) != schema.outcomes.end();
  if (!target_is_outcome) {
    schema.require(p.target, p.table);
    if (std::find(used.begin(), used.end(), p.target) != used.end())
      throw InputError("the target '" + p.target + "' is also an effect");
    used.push_back(p.target);
  }
  for (const auto& v : used) schema.require(v, p.table);
  const Table t = read_table(p.table, used);
  const Eigen::VectorXd target =
      target_is_outcome ? Eigen::VectorXd(t.outcome(p.target)) : Eigen::VectorXd(t.column(p.target));

  Eigen::MatrixXd raw = t.X;
  std::vector<model::RawVar> vars;
  for (const auto& v : t.schema.vars) vars.push_back({v.name, v.kind == VarKind::Categorical, v.levels});
  for (Eigen::Index i = 0; i < raw.rows(); ++i) {
    if (std::isnan(target[i]))
      raw.row(i).setConstant(std::nan(""));  // missing response: row excluded
    else if (target[i] != 0 && target[i] != 1)
      throw InputError("target '" + p.target + "' must be 0/1 (found another value) in " + p.table);
  }
  std::vector<model::ClassSpec> classes;
  for (const auto& c : class_names) {
    model::ClassSpec cs{c, p.param == "effect" ? model::Coding::Effect : model::Coding::Reference, ""};
    for (const auto& r : p.refs)
      if (r.substr(0, r.find('=')) == c) cs.ref = r.substr(r.find('=') + 1);
    classes.push_back(cs);
  }
  const auto mode = model::weight_mode_from_string(p.weights);
  const auto t0 = std::chrono::steady_clock::now();  // computing time: design + fit/selection
  model::Design d;
  try {
    d = model::build_design(raw, vars, effects, classes);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string(e.what()) + " (" + p.table + ")");
  }
  if (d.X.rows() == 0) throw InputError("no row without missing values in " + p.table);
  Eigen::VectorXd y(d.X.rows()), w0(d.X.rows());
  for (Eigen::Index i = 0; i < d.X.rows(); ++i) {
    y[i] = target[d.rows[static_cast<std::size_t>(i)]];
    w0[i] = t.weight[d.rows[static_cast<std::size_t>(i)]];
  }
  const Eigen::VectorXd w = model::effective_weights(w0, y.size(), mode);

  model::SelectionOptions so;
  so.method = model::selection_from_string(p.selection);
  so.slentry = p.slentry;
  so.slstay = p.slstay;
  so.max_steps = p.max_step;
  so.fit.max_iter = p.max_iter;
  so.fit.threads = p.threads;
  for (int k = 1; k <= p.include && k < static_cast<int>(d.effects.size()); ++k) so.include.push_back(k);
  model::SelectionResult sel;
  model::Design final_design;
  model::LogisticFit fit;
  try {
    if (so.method != model::Selection::None) {
      sel = model::select_effects(d.X, d.block, d.effects, y, w, so);
      final_design = model::subset_effects(d, sel.selected);
      fit = sel.fit;
    } else {
      fit = model::fit_logistic(d.X, y, w, so.fit);
    }
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string(e.what()) + " (" + p.table + ")");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  FitReportInput in;
  in.table = p.table;
  in.response = p.target;
  in.weights = mode;
  in.n_read = t.rows();
  in.design = so.method != model::Selection::None ? &final_design : &d;  // no copy of the full design
  in.y = &y;
  in.w = &w;
  in.fit = &fit;
  in.selection = so.method != model::Selection::None ? &sel : nullptr;
  in.selection_options = so;
  const auto report = fit_report(in);
  std::fputs(format_fit_report(report).c_str(), stdout);
  std::fflush(stdout);
  if (!p.json.empty()) write_file_atomic(p.json, report.dump(2) + "\n");
  spdlog::info("fit: {} rows used ({} with missing values excluded), {} parameters, {}", d.X.rows(), d.n_missing,
               fit.beta.size(), model::to_string(fit.status));
  // Timing goes to the log, not the JSON, so that reports stay bit-identical between runs.
  spdlog::info("fit: design and estimation took {:.4f} s", seconds);
}

int run_fit(Comm& comm, FitParams& p) {
  share_params(comm, p);
  if (p.threads == 0) p.threads = cpus_per_rank(comm);  // collective
  // A single fit runs on rank 0 (threaded X'VX); the other ranks wait for its verdict.
  root_check(comm, [&] { fit_on_root(p); });
  return 0;
}

}  // namespace

void add_fit_command(CLI::App& app, Commands& out) {
  auto p = std::make_shared<FitParams>();
  auto* sub = app.add_subcommand("fit", "Weighted logistic regression with SAS PROC LOGISTIC conventions");
  sub->add_option("--table", p->table, "Input dmde table (HDF5)")->required();
  sub->add_option("--target", p->target, "0/1 response: outcome column or variable")->required();
  sub->add_option("--effects", p->effects, "Effects, e.g. \"a b c*d\"")->required();
  sub->add_option("--class", p->classes, "CLASS variables, e.g. \"c d\"");
  sub->add_option("--param", p->param, "CLASS coding: ref or effect")->capture_default_str();
  sub->add_option("--ref", p->refs, "Reference level var=level (default: last level)");
  sub->add_option("--weights", p->weights, "normalized (sum to n), frequency or none")->capture_default_str();
  sub->add_option("--selection", p->selection, "none, forward, backward or stepwise")->capture_default_str();
  sub->add_option("--slentry", p->slentry, "Significance level for entry")->capture_default_str();
  sub->add_option("--slstay", p->slstay, "Significance level to stay")->capture_default_str();
  sub->add_option("--include", p->include, "Force the first n effects into every model")->capture_default_str();
  sub->add_option("--max-step", p->max_step, "Maximum selection steps (-1: 2 x effects)")->capture_default_str();
  sub->add_option("--max-iter", p->max_iter, "Maximum Newton iterations")->capture_default_str();
  sub->add_option("--threads", p->threads, "Threads for the cross-products (0: the rank's CPUs)")->capture_default_str();
  sub->add_option("--json", p->json, "Write the report as JSON to this file");
  out.push_back({sub, [p](Comm& comm) { return run_fit(comm, *p); }});
}

}  // namespace dmde::driver
