// The data-management report: CSV and JSON files, and a console summary.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "worker/prepare.hpp"

namespace dmde::worker {
namespace {

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

}  // namespace

std::string report_csv(const std::vector<VarReport>& report) {
  std::string s =
      "variable,kind,theme,observed_share,mode_share,distinct,n_classes,chi2,df,pvalue,pvalue_adj,iv,cluster,representative,"
      "association,status,reason,classes\n";
  for (const auto& r : report)
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", quote(r.name), r.kind, quote(r.theme),
                     num(r.observed_share), num(r.mode_share), r.distinct, r.n_classes, num(r.chi2), r.df,
                     num(r.pvalue), num(r.pvalue_adj), num(r.iv), r.cluster, quote(r.representative), num(r.association),
                     r.kept ? "kept" : "dropped", quote(r.reason), quote(r.classes));
  return s;
}

std::string report_json(const PrepareResult& res, const model::PrepOptions& o) {
  nlohmann::json j;
  j["target"] = res.spec.target;
  j["weights"] = res.spec.weight_mode;
  j["options"] = {{"min_observed", o.min_observed},       {"max_mode_share", o.max_mode_share},
                  {"prebins", o.prebins},                 {"max_classes", o.max_classes},
                  {"min_class_share", o.min_class_share}, {"merge_pvalue", o.merge_pvalue},
                  {"monotone", o.monotone},               {"rare_level_share", o.rare_level_share},
                  {"max_pvalue", o.max_pvalue},           {"min_iv", o.min_iv},
                  {"strong_pvalue", o.strong_pvalue},
                  {"cluster_threshold", o.cluster_threshold}};
  j["rules"] = {
      {"screening", "kept when the adjusted p-value (chi-square of the classes x CHAID Bonferroni multiplier of the "
                    "class search) <= max_pvalue and (IV >= min_iv or adjusted p-value <= strong_pvalue)"},
      {"association", "|weighted Pearson r| on raw values for numeric pairs; Cramer's V on prepared classes otherwise"},
      {"clustering", "average linkage on 1 - association, cut at cluster_threshold"},
      {"representative", "largest target chi-square in the cluster"},
      {"unseen", "numeric out of range: first/last class; unknown level: 'other' class else largest class; "
                 "missing never seen: largest class"}};
  j["timing_seconds"] = {{"screening", res.seconds_screen},
                         {"association", res.seconds_association},
                         {"clustering", res.seconds_cluster}};
  j["pairs"] = res.pairs;
  auto& vars = j["variables"] = nlohmann::json::array();
  for (const auto& r : res.report) {
    nlohmann::json v = {{"variable", r.name},       {"kind", r.kind},        {"theme", r.theme},
                        {"observed_share", r.observed_share}, {"mode_share", r.mode_share}, {"distinct", r.distinct},
                        {"n_classes", r.n_classes}, {"chi2", r.chi2},        {"df", r.df},
                        {"pvalue", r.pvalue},       {"pvalue_adj", r.pvalue_adj}, {"iv", r.iv},            {"cluster", r.cluster},
                        {"representative", r.representative},
                        {"status", r.kept ? "kept" : "dropped"},             {"reason", r.reason},
                        {"classes", r.classes}};
    v["association"] = std::isnan(r.association) ? nlohmann::json() : nlohmann::json(r.association);
    vars.push_back(std::move(v));
  }
  return j.dump(1) + "\n";
}

std::string report_console(const PrepareResult& res, std::size_t max_rows) {
  std::map<std::string, int> reasons;
  std::vector<const VarReport*> kept;
  for (const auto& r : res.report) {
    if (r.kept) kept.push_back(&r);
    else {
      // Group "correlated with X" lines under one heading.
      const auto key = r.reason.rfind("correlated with", 0) == 0 ? std::string("correlated (not representative)") : r.reason;
      ++reasons[key];
    }
  }
  std::string s = fmt::format("{} variables: {} kept, {} dropped\n", res.report.size(), kept.size(),
                              res.report.size() - kept.size());
  for (const auto& [why, n] : reasons) s += fmt::format("  dropped {:6d}  {}\n", n, why);
  std::stable_sort(kept.begin(), kept.end(), [](auto a, auto b) { return a->chi2 > b->chi2; });
  s += fmt::format("{:<32} {:>4} {:>10} {:>10} {:>7} {:>8}\n", "kept variable", "K", "chi2", "adj. p", "IV", "cluster");
  for (std::size_t i = 0; i < std::min(max_rows, kept.size()); ++i) {
    const auto& r = *kept[i];
    s += fmt::format("{:<32} {:>4} {:>10.2f} {:>10.3g} {:>7.4f} {:>8}\n", r.name.substr(0, 32), r.n_classes, r.chi2,
                     r.pvalue_adj, r.iv, r.cluster);
  }
  if (kept.size() > max_rows) s += fmt::format("... {} more in the report\n", kept.size() - max_rows);
  return s;
}

}  // namespace dmde::worker
