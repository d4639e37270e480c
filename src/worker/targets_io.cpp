#include "worker/targets_io.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/atomic.hpp"
#include "core/error.hpp"
#include "core/h5.hpp"

namespace dmde::worker {

std::vector<model::TargetRule> read_target_rules(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open rule file '" + path + "'");
  std::vector<model::TargetRule> rules;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      rules.push_back(model::parse_target_rule(line));
    } catch (const std::invalid_argument& e) {
      throw InputError(fmt::format("{}:{}: {}", path, lineno, e.what()));
    }
    for (std::size_t k = 0; k + 1 < rules.size(); ++k)
      if (rules[k].name == rules.back().name)
        throw InputError(fmt::format("{}:{}: target '{}' defined twice", path, lineno, rules.back().name));
  }
  if (rules.empty()) throw InputError("rule file '" + path + "' has no rule");
  return rules;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
// Fixed decimals; empty for NaN (undefined share: empty target).
std::string fixed(double x, int decimals) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, decimals) : ""; }
nlohmann::json num(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
}  // namespace

std::string target_table_csv(const std::vector<model::TargetSummary>& rows) {
  std::string s =
      "target,label,count,percent_of_total,fraud_share_of_target_amount_pct,fraud_amount_in_target_pct,"
      "fraud_share_of_target_dossiers_pct,mean_financial_impact_eur\n";
  for (const auto& r : rows)
    s += fmt::format("{},{},{:.0f},{},{},{},{},{}\n", r.name, csv_field(r.label), r.count, fixed(r.percent, 4),
                     fixed(r.fraud_share_amount, 4), fixed(r.fraud_capture_amount, 4), fixed(r.fraud_share_count, 4),
                     fixed(r.mean_financial_impact, 2));
  return s;
}

std::string target_table_json(const std::vector<model::TargetSummary>& rows, double total) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& r : rows)
    a.push_back({{"target", r.name},
                 {"label", r.label},
                 {"count", r.count},
                 {"percent_of_total", num(r.percent)},
                 {"fraud_share_of_target_amount_pct", num(r.fraud_share_amount)},
                 {"fraud_amount_in_target_pct", num(r.fraud_capture_amount)},
                 {"fraud_share_of_target_dossiers_pct", num(r.fraud_share_count)},
                 {"mean_financial_impact_eur", num(r.mean_financial_impact)}});
  return nlohmann::json{{"observations", total}, {"weighted", "amount shares and means use survey weights"},
                        {"targets", a}}
             .dump(2) + "\n";
}

std::string target_table_text(const std::vector<model::TargetSummary>& rows, double total) {
  std::string s = fmt::format("{:<5} {:<58} {:>7} {:>7} {:>10} {:>10} {:>10}\n", "", "definition", "count", "% tot",
                              "fraud%amt", "fraud in", "mean IF");
  for (const auto& r : rows)
    s += fmt::format("{:<5} {:<58} {:>7.0f} {:>6.1f}% {:>9.0f}% {:>9.0f}% {:>8.0f} EUR\n", r.name,
                     r.label.substr(0, 58), r.count, r.percent, r.fraud_share_amount, r.fraud_capture_amount,
                     r.mean_financial_impact);
  s += fmt::format("{:<5} {:<58} {:>7.0f}   100%\n", "total", "observations", total);
  s += "fraud%amt: share of the target's overpayment amount qualified fraudulent (weighted); fraud in: share of all\n"
       "fraudulent overpayment amount inside the target (weighted); mean IF: weighted mean financial impact.\n";
  return s;
}

void add_target_columns(Table& t, const std::vector<model::TargetRule>& rules, const std::string& chosen) {
  bool found = chosen.empty();
  for (const auto& r : rules) {
    Eigen::VectorXd v;
    try {
      v = model::evaluate_target(r, t.outcomes, t.schema.outcomes);
    } catch (const std::invalid_argument& e) {
      throw InputError("target " + r.name + ": " + e.what());
    }
    t.set_outcome("target_" + r.name, v);
    t.schema.meta["target_" + r.name] = r.text();
    found = found || r.name == chosen;
  }
  if (!found) throw InputError("the chosen target '" + chosen + "' is not among the rules");
  if (!chosen.empty()) t.schema.meta["target"] = "target_" + chosen;
}

void write_table_with_rules(const std::string& path, const Table& t) {
  AtomicPath out(path);
  write_table(out.temp(), t);
  {
    auto f = h5::File::open(out.temp(), true);
    auto og = f.group("outcomes");
    for (const auto& name : t.schema.outcomes) {
      const auto it = t.schema.meta.find(name);
      if (name.rfind("target_", 0) == 0 && it != t.schema.meta.end()) og.dataset(name).set_attr("rule", it->second);
    }
  }
  out.commit();
}

}  // namespace dmde::worker
