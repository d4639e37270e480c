#include "driver/fit_report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <cmath>

#include "model/hypothesis.hpp"
#if __has_include("model/metrics.hpp")
#include "model/metrics.hpp"
#define DMDE_HAVE_METRICS 1
#endif

namespace dmde::driver {
namespace {

using nlohmann::json;

json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }
json test_json(const model::ChiSqTest& t) {
  return {{"chisq", num(t.chisq)}, {"df", t.df}, {"p_value", num(t.p_value)}};
}

// Wald odds ratio of a contrast c'beta with its 95% CI.
json odds_ratio(const model::LogisticFit& f, const Eigen::VectorXd& c, const std::string& effect,
                const std::string& comparison) {
  const double est = c.dot(f.beta), se = std::sqrt(c.dot(f.cov * c));
  constexpr double z = 1.959963984540054;
  return {{"effect", effect},
          {"comparison", comparison},
          {"estimate", num(std::exp(est))},
          {"lower_95", num(std::exp(est - z * se))},
          {"upper_95", num(std::exp(est + z * se))}};
}

}  // namespace

json fit_report(const FitReportInput& in) {
  const auto& d = *in.design;
  const auto& f = *in.fit;
  const auto& y = *in.y;
  const auto& w = *in.w;
  json r;
  r["model"] = {{"table", in.table},
                {"response", in.response},
                {"event", "1"},
                {"weights", model::to_string(in.weights)},
                {"n_read", in.n_read},
                {"n_used", static_cast<long long>(d.X.rows())},
                {"n_missing", static_cast<long long>(d.n_missing)},
                {"events", static_cast<long long>(y.sum())},
                {"sum_weights", num(w.sum())},
                {"selection", model::to_string(in.selection ? in.selection_options.method : model::Selection::None)}};
  json aliased = json::array();
  for (auto c : f.aliased)
    aliased.push_back(d.col_effect[static_cast<std::size_t>(c)] + " " + d.col_level[static_cast<std::size_t>(c)]);
  r["convergence"] = {{"status", f.converged()                                      ? "converged"
                                 : f.status == model::FitStatus::NotConverged       ? "not_converged"
                                 : f.status == model::FitStatus::CompleteSeparation ? "complete_separation"
                                                                                    : "quasi_complete_separation"},
                      {"message", model::to_string(f.status)},
                      {"iterations", f.iterations},
                      {"aliased", aliased}};
  r["fit"] = {
      {"neg2loglik", num(f.neg2ll)},
      {"aic", num(f.aic)},
      {"sc", num(f.sc)},
      {"intercept_only", {{"neg2loglik", num(f.neg2ll_null)}, {"aic", num(f.aic_null)}, {"sc", num(f.sc_null)}}}};
  if (f.has_intercept && d.X.cols() > 1) {
    const auto g = model::global_tests(d.X, y, w, f);
    r["global_tests"] = {{"likelihood_ratio", test_json(g.likelihood_ratio)},
                         {"score", test_json(g.score)},
                         {"wald", test_json(g.wald)}};
  }
  r["type3"] = json::array();
  for (std::size_t e = 0; e < d.effects.size(); ++e) {
    if (d.effects[e] == "Intercept") continue;
    std::vector<Eigen::Index> cols;
    for (auto c = d.block[e]; c < d.block[e + 1]; ++c) cols.push_back(c);
    const auto t = model::wald_test(f, cols);
    r["type3"].push_back(
        {{"effect", d.effects[e]}, {"df", t.df}, {"wald_chisq", num(t.chisq)}, {"p_value", num(t.p_value)}});
  }
  r["parameters"] = json::array();
  const auto wald = model::wald_parameters(f);
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    const auto k = static_cast<std::size_t>(j);
    const bool intercept = d.col_effect[k] == "Intercept";
    if (std::find(f.aliased.begin(), f.aliased.end(), j) != f.aliased.end()) {
      // SAS: an aliased parameter is printed with DF 0, estimate 0 and missing statistics.
      r["parameters"].push_back({{"effect", d.col_effect[k]}, {"level", d.col_level[k]}, {"df", 0},
                                 {"estimate", 0.0}, {"std_error", nullptr}, {"wald_chisq", nullptr},
                                 {"p_value", nullptr}, {"odds_ratio", nullptr}, {"aliased", true}});
      continue;
    }
    r["parameters"].push_back({{"effect", d.col_effect[k]},
                               {"level", d.col_level[k]},
                               {"df", wald[k].df},
                               {"estimate", num(f.beta[j])},
                               {"std_error", num(std::sqrt(f.cov(j, j)))},
                               {"wald_chisq", num(wald[k].chisq)},
                               {"p_value", num(wald[k].p_value)},
                               {"odds_ratio", intercept ? json(nullptr) : num(std::exp(f.beta[j]))}});
  }
  // Odds ratios (SAS): main effects not contained in an interaction; class levels vs the reference.
  r["odds_ratios"] = json::array();
  for (std::size_t e = 0; e < d.effects.size(); ++e) {
    const auto& name = d.effects[e];
    if (name == "Intercept" || name.find('*') != std::string::npos) continue;
    bool in_interaction = false;
    for (const auto& other : d.effects)
      if (other.find('*') != std::string::npos &&
          (other.rfind(name + "*", 0) == 0 ||
           (other.size() > name.size() + 1 && other.substr(other.size() - name.size() - 1) == "*" + name)))
        in_interaction = true;
    if (in_interaction) continue;
    const model::ClassLevels* cl = nullptr;
    for (const auto& c : d.classes)
      if (c.var == name) cl = &c;
    for (auto c = d.block[e]; c < d.block[e + 1]; ++c) {
      Eigen::VectorXd v = Eigen::VectorXd::Zero(d.cols());
      v[c] = 1;
      if (!cl) {
        r["odds_ratios"].push_back(odds_ratio(f, v, name, "unit increase"));
        continue;
      }
      if (cl->coding == model::Coding::Effect) v.segment(d.block[e], d.block[e + 1] - d.block[e]).array() += 1.0;
      r["odds_ratios"].push_back(
          odds_ratio(f, v, name,
                     d.col_level[static_cast<std::size_t>(c)] + " vs " + cl->names[static_cast<std::size_t>(cl->ref)]));
    }
  }
#ifdef DMDE_HAVE_METRICS
  const auto a = model::association(f.mu, y, w);
  r["association"] = {{"percent_concordant", num(a.percent_concordant)},
                      {"percent_discordant", num(a.percent_discordant)},
                      {"percent_tied", num(a.percent_tied)},
                      {"pairs", num(a.pairs)},
                      {"somers_d", num(a.somers_d)},
                      {"gamma", num(a.gamma)},
                      {"tau_a", num(a.tau_a)},
                      {"c", num(a.c)},
                      {"weighted", true}};
#endif
  if (in.selection) {
    const auto& s = *in.selection;
    json steps = json::array();
    for (const auto& st : s.steps)
      steps.push_back({{"step", st.step},
                       {"effect", st.name},
                       {"action", st.entered ? "entered" : "removed"},
                       {"test", st.entered ? "score" : "wald"},
                       {"df", st.test.df},
                       {"chisq", num(st.test.chisq)},
                       {"p_value", num(st.test.p_value)},
                       {"n_in", st.n_in}});
    r["selection"] = {{"method", model::to_string(in.selection_options.method)},
                      {"slentry", in.selection_options.slentry},
                      {"slstay", in.selection_options.slstay},
                      {"stop_reason", s.stop_reason},
                      {"cycle", s.cycle},
                      {"steps", steps}};
  }
  return r;
}

namespace {

std::string g(const json& v, int prec = 4) {
  if (v.is_null()) return ".";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  const double x = v.get<double>();
  if (x != 0 && std::abs(x) < 1e-4) return fmt::format("{:.{}e}", x, 2);
  return fmt::format("{:.{}f}", x, prec);
}
std::string pv(const json& v) {
  if (v.is_null()) return ".";
  const double p = v.get<double>();
  return p < 1e-4 ? "<.0001" : fmt::format("{:.4f}", p);
}

}  // namespace

std::string format_fit_report(const json& r) {
  std::string o;
  const auto& m = r["model"];
  o += "                    The LOGISTIC Procedure (dmde)\n\n";
  o += "                      Model Information\n";
  o += fmt::format("  Data Set                     {}\n  Response Variable            {}\n",
                   m["table"].get<std::string>(), m["response"].get<std::string>());
  o += fmt::format("  Model                        binary logit\n  Optimization Technique       Newton-Raphson\n");
  o += fmt::format("  Weights                      {}\n", m["weights"].get<std::string>());
  o += fmt::format("  Number of Observations Read  {}\n  Number of Observations Used  {}\n", g(m["n_read"]),
                   g(m["n_used"]));
  o += fmt::format(
      "  Observations with Missing    {}\n  Events (response = 1)        {}\n  Sum of Weights Used          {}\n\n",
      g(m["n_missing"]), g(m["events"]), g(m["sum_weights"]));
  if (r.contains("selection")) {
    const auto& s = r["selection"];
    o += fmt::format("           Summary of {} Selection (SLENTRY={} SLSTAY={})\n", s["method"].get<std::string>(),
                     g(s["slentry"], 3), g(s["slstay"], 3));
    o += fmt::format("  {:>4}  {:<24} {:<8} {:>3} {:>5} {:>12} {:>10}\n", "Step", "Effect", "Action", "DF", "In",
                     "Chi-Square", "Pr>ChiSq");
    for (const auto& st : s["steps"])
      o += fmt::format("  {:>4}  {:<24} {:<8} {:>3} {:>5} {:>12} {:>10}\n", g(st["step"]),
                       st["effect"].get<std::string>(), st["action"].get<std::string>(), g(st["df"]), g(st["n_in"]),
                       g(st["chisq"]), pv(st["p_value"]));
    o += fmt::format("  Stop: {}\n\n", s["stop_reason"].get<std::string>());
  }
  const auto& c = r["convergence"];
  o += fmt::format("                    Model Convergence Status\n  {}\n", c["message"].get<std::string>());
  for (const auto& a : c["aliased"])
    o += fmt::format("  Aliased (linearly dependent, set to 0): {}\n", a.get<std::string>());
  const auto& f = r["fit"];
  o += fmt::format("\n                    Model Fit Statistics\n  {:<10} {:>16} {:>26}\n", "Criterion",
                   "Intercept Only", "Intercept and Covariates");
  o += fmt::format("  {:<10} {:>16} {:>26}\n", "AIC", g(f["intercept_only"]["aic"]), g(f["aic"]));
  o += fmt::format("  {:<10} {:>16} {:>26}\n", "SC", g(f["intercept_only"]["sc"]), g(f["sc"]));
  o += fmt::format("  {:<10} {:>16} {:>26}\n\n", "-2 Log L", g(f["intercept_only"]["neg2loglik"]), g(f["neg2loglik"]));
  if (r.contains("global_tests")) {
    o += fmt::format("            Testing Global Null Hypothesis: BETA=0\n  {:<18} {:>12} {:>4} {:>10}\n", "Test",
                     "Chi-Square", "DF", "Pr>ChiSq");
    for (const auto& [key, label] :
         {std::pair{"likelihood_ratio", "Likelihood Ratio"}, {"score", "Score"}, {"wald", "Wald"}}) {
      const auto& t = r["global_tests"][key];
      o += fmt::format("  {:<18} {:>12} {:>4} {:>10}\n", label, g(t["chisq"]), g(t["df"]), pv(t["p_value"]));
    }
    o += "\n";
  }
  o += fmt::format("                 Type 3 Analysis of Effects\n  {:<24} {:>4} {:>12} {:>10}\n", "Effect", "DF",
                   "Wald Chi-Sq", "Pr>ChiSq");
  for (const auto& t : r["type3"])
    o += fmt::format("  {:<24} {:>4} {:>12} {:>10}\n", t["effect"].get<std::string>(), g(t["df"]), g(t["wald_chisq"]),
                     pv(t["p_value"]));
  o += fmt::format(
      "\n              Analysis of Maximum Likelihood Estimates\n  {:<20} {:<14} {:>3} {:>11} {:>10} {:>11} {:>9}\n",
      "Parameter", "Level", "DF", "Estimate", "Std Error", "Wald ChiSq", "Pr>ChiSq");
  for (const auto& p : r["parameters"])
    o += fmt::format("  {:<20} {:<14} {:>3} {:>11} {:>10} {:>11} {:>9}\n", p["effect"].get<std::string>(),
                     p["level"].get<std::string>(), g(p["df"]), g(p["estimate"]), g(p["std_error"]), g(p["wald_chisq"]),
                     pv(p["p_value"]));
  o += fmt::format("\n                     Odds Ratio Estimates\n  {:<20} {:<22} {:>10} {:>10} {:>10}\n", "Effect",
                   "Comparison", "Estimate", "95% Wald", "Limits");
  for (const auto& e : r["odds_ratios"])
    o += fmt::format("  {:<20} {:<22} {:>10} {:>10} {:>10}\n", e["effect"].get<std::string>(),
                     e["comparison"].get<std::string>(), g(e["estimate"], 3), g(e["lower_95"], 3), g(e["upper_95"], 3));
  if (r.contains("association")) {
    const auto& a = r["association"];
    o += "\n   Association of Predicted Probabilities and Observed Responses\n";
    o += fmt::format("  Percent Concordant {:>8}    Somers' D {:>7}\n", g(a["percent_concordant"], 1),
                     g(a["somers_d"], 3));
    o +=
        fmt::format("  Percent Discordant {:>8}    Gamma     {:>7}\n", g(a["percent_discordant"], 1), g(a["gamma"], 3));
    o += fmt::format("  Percent Tied       {:>8}    Tau-a     {:>7}\n", g(a["percent_tied"], 1), g(a["tau_a"], 3));
    o += fmt::format("  Pairs              {:>8}    c         {:>7}\n", g(a["pairs"], 0), g(a["c"], 3));
  }
  return o;
}

}  // namespace dmde::driver
