#include "worker/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "model/metrics.hpp"
#include "model/targets.hpp"
#include "worker/svg.hpp"

namespace dmde::worker {
namespace {

using svg::escape;

// At most ~400 points of a curve (SVG size), always keeping the ends.
svg::Series thin(const std::string& name, const Eigen::VectorXd& x, const Eigen::VectorXd& y, const std::string& color) {
  svg::Series s;
  s.name = name, s.color = color;
  const Eigen::Index n = x.size(), step = std::max<Eigen::Index>(1, n / 400);
  for (Eigen::Index i = 0; i < n; i += step) s.x.push_back(x[i]), s.y.push_back(y[i]);
  if (n && (n - 1) % step) s.x.push_back(x[n - 1]), s.y.push_back(y[n - 1]);
  return s;
}

std::string row(const std::vector<std::string>& cells, bool head = false) {
  std::string s = "<tr>";
  const char* tag = head ? "th" : "td";
  for (const auto& c : cells) s += fmt::format("<{0}>{1}</{0}>", tag, escape(c));
  return s + "</tr>";
}
std::string n2(double x, int d = 2) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, d) : "-"; }

std::string training_section(const ReportInputs& in) {
  const Table& t = *in.learning;
  const Scores& s = *in.cv_scores;
  if (t.id != s.id) throw InputError("the cross-validated scores are not row-aligned with the learning table");
  const Eigen::VectorXd y = t.outcome(in.outcome);
  const Eigen::VectorXd& p = s.probability;
  std::string h = "<h2>Training run: cross-validated performance</h2>";
  const auto a = model::association(p, y, t.weight);
  const auto roc = model::roc_curve(p, y, t.weight);
  const auto g = model::gains_curve(p, y, t.weight);
  h += "<table>" + row({"statistic", "value"}, true);
  h += row({"weighted observations / events", n2(a.n, 1) + " / " + n2(a.events, 1)});
  h += row({"percent concordant / discordant / tied", n2(a.percent_concordant, 1) + " / " +
                                                          n2(a.percent_discordant, 1) + " / " + n2(a.percent_tied, 1)});
  h += row({"Somers' D / Gamma / Tau-a", n2(a.somers_d, 3) + " / " + n2(a.gamma, 3) + " / " + n2(a.tau_a, 3)});
  h += row({"c = ROC AUC", n2(a.c, 4)});
  h += row({"area under the lift curve (note's definition: 2 AUC - 1)", n2(g.area_normalized, 4)});
  h += row({"raw area under the gains curve", n2(g.area, 4)});
  try {
    const auto hl = model::hosmer_lemeshow(p, y, t.weight);
    h += row({"Hosmer-Lemeshow chi-square (df), p", n2(hl.chi_square, 2) + " (" + std::to_string(hl.df) + "), " +
                                                       n2(hl.p_value, 4)});
  } catch (const std::invalid_argument&) {
  }
  h += "</table><div class=\"plots\">";
  auto diag = svg::Series{"random", {0, 1}, {0, 1}, "#999", true};
  h += svg::line_chart("ROC curve", "false positive rate", "true positive rate",
                       {thin(fmt::format("model (AUC {:.3f})", roc.auc), roc.fpr, roc.tpr, "#1f77b4"), diag});
  h += svg::line_chart("Cumulative gains (lift) curve", "share of dossiers targeted", "share of targets captured",
                       {thin("model", g.share_targeted, g.share_captured, "#2ca02c"), diag});
  // Calibration: deciles of the score, weighted mean predicted vs observed.
  svg::Series cal{"deciles", {}, {}, "#d62728", false, true};
  const auto order = model::order_decreasing(p);
  const double W = t.weight.sum();
  double acc_w = 0, sw = 0, sp = 0, sy = 0, mx = 0;
  int dec = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const auto i = *it;
    sw += t.weight[i], sp += t.weight[i] * p[i], sy += t.weight[i] * y[i], acc_w += t.weight[i];
    if (acc_w >= W * (dec + 1) / 10.0 - 1e-9 || std::next(it) == order.rend()) {
      cal.x.push_back(sp / sw), cal.y.push_back(sy / sw), mx = std::max({mx, sp / sw, sy / sw});
      sw = sp = sy = 0, ++dec;
    }
  }
  mx = std::min(1.0, mx * 1.1 + 1e-6);
  h += svg::line_chart("Calibration by score decile", "mean predicted probability", "observed rate",
                       {cal, svg::Series{"ideal", {0, mx}, {0, mx}, "#999", true}}, 0, mx, 0, mx);
  h += "</div>";
  // Top-k table with the note's flags when the outcomes exist.
  std::vector<std::string> flag_names, amount_names;
  for (const auto& c : {std::string("fraud"), in.outcome})
    if (std::find(t.schema.outcomes.begin(), t.schema.outcomes.end(), c) != t.schema.outcomes.end()) flag_names.push_back(c);
  for (const auto& c : {std::string("financial_impact"), std::string("overpayment_amount")})
    if (std::find(t.schema.outcomes.begin(), t.schema.outcomes.end(), c) != t.schema.outcomes.end()) amount_names.push_back(c);
  Eigen::MatrixXd F(t.rows(), static_cast<Eigen::Index>(flag_names.size()));
  Eigen::MatrixXd A(t.rows(), static_cast<Eigen::Index>(amount_names.size()));
  for (std::size_t k = 0; k < flag_names.size(); ++k) F.col(static_cast<Eigen::Index>(k)) = t.outcome(flag_names[k]);
  for (std::size_t k = 0; k < amount_names.size(); ++k) A.col(static_cast<Eigen::Index>(k)) = t.outcome(amount_names[k]);
  const auto tk = model::top_k_table(p, in.top, F, A, t.weight);
  h += fmt::format("<h3>The {:.0f}% highest scored</h3><table>", 100 * in.top) +
       row({"column", "top", "all", "share captured"}, true);
  for (std::size_t k = 0; k < flag_names.size(); ++k) {
    const auto e = static_cast<Eigen::Index>(k);
    h += row({"% " + flag_names[k], n2(100 * tk.flag_share_top[e], 1), n2(100 * tk.flag_share_all[e], 1),
              n2(100 * tk.flag_capture[e], 1)});
  }
  for (std::size_t k = 0; k < amount_names.size(); ++k) {
    const auto e = static_cast<Eigen::Index>(k);
    h += row({"mean " + amount_names[k] + " (EUR)", n2(tk.mean_top[e], 0), n2(tk.mean_all[e], 0), ""});
  }
  h += "</table>";
  try {  // the note's target comparison, when the standard outcomes are there
    const auto rows = model::compare_targets(model::note_target_rules(), t.outcomes, t.schema.outcomes, t.weight);
    h += "<h3>Candidate targets (note section 3)</h3><table>" +
         row({"target", "definition", "count", "% total", "% fraud amount", "% of fraud amount inside", "mean IF"}, true);
    for (const auto& r : rows)
      h += row({r.name, r.label, n2(r.count, 0), n2(r.percent, 1), n2(r.fraud_share_amount, 0),
                n2(r.fraud_capture_amount, 0), n2(r.mean_financial_impact, 0)});
    h += "</table>";
  } catch (const std::invalid_argument&) {
  }
  return h;
}

std::string model_section(const model::ModelArtifact& m) {
  std::string h = "<h2>Model</h2><table>" + row({"item", "value"}, true);
  h += row({"target", m.target});
  h += row({"status", m.fit.status});
  h += row({"weighting", m.fit.weighting});
  h += row({"-2 log L (null)", n2(m.fit.neg2ll, 2) + " (" + n2(m.fit.neg2ll_null, 2) + ")"});
  h += row({"apparent AUC", n2(m.fit.auc, 4)});
  for (const auto& [k, v] : m.meta)
    if (k == "created_utc" || k == "software_version" || k == "data_fingerprint" || k == "seed") h += row({k, v});
  h += "</table><table>" + row({"effect", "level", "estimate", "std error", "p-value"}, true);
  for (const auto& p : m.fit.parameters) h += row({p.effect, p.level, n2(p.estimate, 4), n2(p.std_error, 4), n2(p.p_value, 4)});
  h += "</table>";
  // Selection frequencies: fit.stats entries "selection_frequency.<effect>" (share of replicates).
  std::vector<std::string> names;
  std::vector<double> freq;
  for (const auto& [k, v] : m.fit.stats)
    if (k.rfind("selection_frequency.", 0) == 0) names.push_back(k.substr(20)), freq.push_back(v);
  if (!names.empty())
    h += "<div class=\"plots\">" + svg::bar_chart("Bootstrap selection frequency", names, freq, "share of replicates", 0.5) +
         "</div>";
  return h;
}

std::string scoring_section(const ReportInputs& in) {
  const Scores& s = *in.scores;
  const Eigen::VectorXd& p = s.probability;
  std::string h = fmt::format("<h2>Scoring night</h2><p>{} dossiers scored.</p><div class=\"plots\">", p.size());
  // Histogram of scores (20 bins on [0, max]).
  const double mx = p.size() ? std::max(1e-6, p.maxCoeff()) : 1.0;
  std::vector<double> hist(20, 0.0);
  std::vector<std::string> lab;
  for (Eigen::Index i = 0; i < p.size(); ++i) hist[std::min<std::size_t>(19, static_cast<std::size_t>(p[i] / mx * 20))] += 1;
  for (int b = 0; b < 20; ++b) lab.push_back(fmt::format("{:.2f}", mx * b / 20));
  for (auto& v : hist) v /= std::max<double>(1.0, static_cast<double>(p.size()));
  h += svg::bar_chart("Score distribution", lab, hist, "share of dossiers");
  // By Caf: mean score and flag rate.
  std::map<std::int32_t, std::array<double, 3>> caf;  // n, sum p, flagged
  const Eigen::VectorXd flag = s.flag_top.size() ? s.flag_top : model::flag_top_k(p, in.top);
  for (Eigen::Index i = 0; i < p.size(); ++i) {
    auto& c = caf[s.caf[static_cast<std::size_t>(i)]];
    c[0] += 1, c[1] += p[i], c[2] += flag[i];
  }
  std::vector<std::string> cl;
  std::vector<double> mean, rate;
  for (const auto& [k, v] : caf) cl.push_back(fmt::format("{:03d}", k)), mean.push_back(v[1] / v[0]), rate.push_back(v[2] / v[0]);
  h += svg::bar_chart("Mean score by Caf", cl, mean, "mean probability", p.size() ? p.mean() : -1);
  h += svg::bar_chart("Share flagged by Caf", cl, rate, "share flagged", flag.size() ? flag.mean() : -1);
  h += "</div>";
  if (in.cv_scores) {
    const double d = psi(in.cv_scores->probability, p);
    h += fmt::format("<p>Drift: population stability index of tonight's scores against the learning table's "
                     "cross-validated scores = <b>{:.4f}</b> (below 0.1: stable; 0.1-0.25: watch; above 0.25: "
                     "shift).</p>",
                     d);
  }
  if (in.population) {
    AuditSpec spec;
    spec.top = in.top;
    std::vector<std::string> effects;
    if (in.model)
      for (const auto& term : in.model->card.terms) effects.push_back(term.effect);
    const auto r = run_audit(*in.population, s, spec, effects);
    h += "<h2>Fairness audit</h2><div class=\"plots\">";
    for (const auto& g : r.groupings) {
      if (g.variable == "caf") continue;
      std::vector<std::string> lv;
      std::vector<double> ratio;
      for (const auto& a : g.rows) lv.push_back(a.level), ratio.push_back(a.ratio);
      h += svg::bar_chart("Flagged share / population share: " + g.variable, lv, ratio, "ratio", 1.0);
    }
    h += "</div><pre>" + escape(audit_text(r)) + "</pre>";
  }
  return h;
}

}  // namespace

double psi(const Eigen::VectorXd& reference, const Eigen::VectorXd& actual) {
  if (reference.size() < 10 || actual.size() == 0) return std::nan("");
  std::vector<double> r(reference.data(), reference.data() + reference.size());
  std::sort(r.begin(), r.end());
  std::vector<double> cuts;
  for (int k = 1; k < 10; ++k) {
    const double c = r[static_cast<std::size_t>(k * (r.size() - 1) / 10)];
    if (cuts.empty() || c > cuts.back()) cuts.push_back(c);
  }
  std::vector<double> pr(cuts.size() + 1, 0.0), pa(cuts.size() + 1, 0.0);
  for (double v : r) pr[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), v) - cuts.begin())] += 1;
  for (Eigen::Index i = 0; i < actual.size(); ++i)
    pa[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), actual[i]) - cuts.begin())] += 1;
  double out = 0;
  for (std::size_t b = 0; b < pr.size(); ++b) {
    const double x = std::max(pr[b] / static_cast<double>(r.size()), 1e-6);
    const double y = std::max(pa[b] / static_cast<double>(actual.size()), 1e-6);
    out += (y - x) * std::log(y / x);
  }
  return out;
}

std::string html_report(const ReportInputs& in) {
  std::string body;
  if (in.learning && in.cv_scores) body += training_section(in);
  if (in.model) body += model_section(*in.model);
  if (in.scores) {
    if (in.population && in.population->id != in.scores->id)
      throw InputError("the scores are not row-aligned with the population table");
    body += scoring_section(in);
  }
  if (body.empty()) body = "<p>Nothing to report: give a learning table with cross-validated scores, a model, or scores.</p>";
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(in.title) +
         "</title><style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;"
         "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}"
         "td:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:12px}pre{font-size:12px}</style>"
         "</head><body><h1>" +
         escape(in.title) + "</h1>" + body + "</body></html>\n";
}

}  // namespace dmde::worker
