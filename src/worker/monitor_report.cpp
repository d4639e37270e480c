// monitor_report(): the section-9 tables per period and control type as text, CSV and JSON.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "worker/controls.hpp"

namespace dmde::worker {
namespace {

std::string f(double x, int d) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, d) : ""; }
nlohmann::json j(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json row_json(const model::MonitorRow& r) {
  nlohmann::json o = {{"controls", r.n},
                      {"total_gross_overpayment_eur", r.total_gross},
                      {"mean_gross_per_control_eur", j(r.mean_gross_per_control)},
                      {"mean_gross_per_overpayment_eur", j(r.mean_gross_per_overpayment)}};
  for (std::size_t k = 0; k < r.percent.size(); ++k) o[fmt::format("pct_{}", model::monitor_indicators()[k])] = j(r.percent[k]);
  return o;
}

nlohmann::json cmp_json(const model::Comparison& c, double scale) {
  return {{"difference", j(scale * c.diff)}, {"ci_lower", j(scale * c.lower)}, {"ci_upper", j(scale * c.upper)},
          {"statistic", j(c.statistic)},     {"df", j(c.df)},                  {"p_value", j(c.p_value)}};
}

}  // namespace

MonitorReport monitor_report(const Controls& c, const std::vector<Period>& periods, double level) {
  MonitorReport rep;
  const auto& ind = model::monitor_indicators();
  rep.csv = "period,type,group,controls,total_gross_eur,mean_gross_per_control_eur,mean_gross_per_overpayment_eur";
  for (const auto& k : ind) rep.csv += fmt::format(",pct_{}", k);
  rep.csv += "\n";
  nlohmann::json tables = nlohmann::json::array();
  const int pct_level = static_cast<int>(std::lround(level * 100));
  for (const Period& p : periods) {
    for (const int onsite : {1, 0}) {
      const std::string type = onsite ? "on-site" : "documents";
      std::vector<char> mask(c.size());
      for (std::size_t i = 0; i < c.size(); ++i)
        mask[i] = c.onsite[i] == onsite && c.launch[i] >= p.from && c.close[i] >= p.from && c.close[i] <= p.to;
      const model::MonitorTable t = model::monitor_table(c.out, mask, level);
      rep.text += fmt::format("\n{} controls, period {} (launched from, closed within)\n", type, p.name);
      rep.text += fmt::format("{:<16}{:>9}{:>11}{:>10}{:>10}{:>8}{:>8}{:>8}{:>8}{:>8}\n", "group", "controls",
                              "gross MEUR", "mean/ctl", "mean/ind", "%gross", "%net", "%under", "%either", "%target");
      nlohmann::json rows = nlohmann::json::object();
      for (const auto& [name, r] : {std::pair{"all", &t.all}, {"control", &t.control}, {"test", &t.test}}) {
        rep.text += fmt::format("{:<16}{:>9.0f}{:>11.2f}{:>10}{:>10}", name, r->n, r->total_gross / 1e6,
                                f(r->mean_gross_per_control, 0), f(r->mean_gross_per_overpayment, 0));
        for (double x : r->percent) rep.text += fmt::format("{:>8}", f(x, 1));
        rep.text += "\n";
        rep.csv += fmt::format("{},{},{},{:.0f},{:.2f},{},{}", p.name, type, name, r->n, r->total_gross,
                               f(r->mean_gross_per_control, 4), f(r->mean_gross_per_overpayment, 4));
        for (double x : r->percent) rep.csv += fmt::format(",{}", f(x, 4));
        rep.csv += "\n";
        rows[name] = row_json(*r);
      }
      nlohmann::json diffs = nlohmann::json::object();
      if (t.has_comparison) {
        rep.text += fmt::format("{:<16}{:>9}{:>11}{:>10}{:>10}", "test-control", "", "", f(t.diff_mean_gross.diff, 0), "");
        for (const auto& d : t.diff) rep.text += fmt::format("{:>8}", f(100 * d.diff, 1));
        rep.text += fmt::format("\n{:<16}{:>9}{:>11}{:>10}{:>10}", fmt::format("  {}% CI low", pct_level), "", "",
                                f(t.diff_mean_gross.lower, 0), "");
        for (const auto& d : t.diff) rep.text += fmt::format("{:>8}", f(100 * d.lower, 1));
        rep.text += fmt::format("\n{:<16}{:>9}{:>11}{:>10}{:>10}", fmt::format("  {}% CI high", pct_level), "", "",
                                f(t.diff_mean_gross.upper, 0), "");
        for (const auto& d : t.diff) rep.text += fmt::format("{:>8}", f(100 * d.upper, 1));
        rep.text += fmt::format("\n{:<16}{:>9}{:>11}{:>10}{:>10}", "  p-value", "", "", f(t.diff_mean_gross.p_value, 3), "");
        for (const auto& d : t.diff) rep.text += fmt::format("{:>8}", f(d.p_value, 3));
        rep.text += "\n";
        // CSV: difference, CI bounds and p-value rows (percentage points; EUR for the mean).
        const char* what[] = {"test-control", "ci_lower", "ci_upper", "p_value"};
        for (int w = 0; w < 4; ++w) {
          auto pick = [&](const model::Comparison& d, double scale) {
            return w == 0 ? scale * d.diff : w == 1 ? scale * d.lower : w == 2 ? scale * d.upper : d.p_value;
          };
          rep.csv += fmt::format("{},{},{},,,{},", p.name, type, what[w], f(pick(t.diff_mean_gross, 1), 4));
          for (const auto& d : t.diff) rep.csv += fmt::format(",{}", f(pick(d, 100), 4));
          rep.csv += "\n";
        }
        diffs["mean_gross_per_control_eur"] = cmp_json(t.diff_mean_gross, 1);
        for (std::size_t k = 0; k < ind.size(); ++k) diffs[fmt::format("pct_{}", ind[k])] = cmp_json(t.diff[k], 100);
      } else {
        rep.text += "(too few controls in a group for a test-control comparison)\n";
      }
      tables.push_back({{"period", p.name}, {"type", type}, {"groups", rows}, {"test_minus_control", diffs}});
    }
  }
  rep.text += fmt::format(
      "\nmean/ctl: gross overpayment per control; mean/ind: per control with an overpayment; test-control "
      "differences in points (EUR for mean/ctl): proportions by Wald {}% CI and pooled z test, means by Welch t.\n",
      pct_level);
  rep.json = nlohmann::json{{"confidence_level", level}, {"tables", tables}}.dump(2) + "\n";
  return rep;
}

}  // namespace dmde::worker
