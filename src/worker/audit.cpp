#include "worker/audit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"
#include "core/h5.hpp"

namespace dmde::worker {

Scores read_scores(const std::string& path) {
  const auto f = h5::File::open(path);
  for (const char* d : {"id", "caf", "score/probability"})
    if (!f.exists(d)) throw InputError("scores file '" + path + "' has no /" + std::string(d) + " dataset");
  Scores s;
  s.id = f.dataset("id").read_all<std::int64_t>();
  s.caf = f.dataset("caf").read_all<std::int32_t>();
  const auto p = f.dataset("score/probability").read_all<double>();
  s.probability = Eigen::Map<const Eigen::VectorXd>(p.data(), static_cast<Eigen::Index>(p.size()));
  if (f.exists("score/flag_top")) {
    const auto fl = f.dataset("score/flag_top").read_all<double>();
    s.flag_top = Eigen::Map<const Eigen::VectorXd>(fl.data(), static_cast<Eigen::Index>(fl.size()));
  }
  if (s.caf.size() != s.id.size() || static_cast<std::size_t>(s.probability.size()) != s.id.size() ||
      (s.flag_top.size() && static_cast<std::size_t>(s.flag_top.size()) != s.id.size()))
    throw InputError("scores file '" + path + "': datasets differ in length");
  return s;
}

namespace {

// Codes and level names of a group variable.
Eigen::VectorXd group_codes(const Table& t, const VarInfo& v, const AuditSpec& spec, std::vector<std::string>& levels) {
  const Eigen::VectorXd x = t.column(v.name);
  if (v.kind == VarKind::Categorical) {
    levels = v.levels;
    return x;
  }
  std::set<double> distinct;
  for (Eigen::Index i = 0; i < x.size() && distinct.size() <= 2; ++i)
    if (!std::isnan(x[i])) distinct.insert(x[i]);
  if (distinct.size() <= 2) {  // a flag: its values are the levels
    levels.clear();
    Eigen::VectorXd c(x.size());
    std::vector<double> vals(distinct.begin(), distinct.end());
    for (double d : vals) levels.push_back(fmt::format("{}", d));
    for (Eigen::Index i = 0; i < x.size(); ++i)
      c[i] = std::isnan(x[i]) ? x[i] : static_cast<double>(std::find(vals.begin(), vals.end(), x[i]) - vals.begin());
    return c;
  }
  std::vector<double> breaks;
  const auto it = spec.bands.find(v.name);
  if (it != spec.bands.end()) {
    breaks = it->second;
  } else {  // quintiles of the observed values
    std::vector<double> obs;
    for (Eigen::Index i = 0; i < x.size(); ++i)
      if (!std::isnan(x[i])) obs.push_back(x[i]);
    std::sort(obs.begin(), obs.end());
    for (int q = 1; q < 5; ++q) {
      const double b = obs[static_cast<std::size_t>(q * (obs.size() - 1) / 5)];
      if (breaks.empty() || b > breaks.back()) breaks.push_back(b);
    }
  }
  return model::band(x, breaks, levels);
}

std::string pct(double x) { return std::isfinite(x) ? fmt::format("{:.1f}", 100 * x) : "-"; }
std::string num(double x, int d) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, d) : ""; }
nlohmann::json js(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

}  // namespace

AuditResult run_audit(const Table& t, const Scores& s, const AuditSpec& spec, const std::vector<std::string>& effects) {
  if (static_cast<std::size_t>(t.rows()) != s.id.size())
    throw InputError(fmt::format("the table has {} rows but the scores file {}", t.rows(), s.id.size()));
  if (t.id != s.id) throw InputError("the scores file's ids are not those of the table in the same order");
  AuditResult r;
  Eigen::VectorXd w = spec.weighted ? t.weight : Eigen::VectorXd();
  const Eigen::VectorXd flag = (spec.recompute_flag || s.flag_top.size() == 0)
                                   ? model::flag_top_k(s.probability, spec.top, w)
                                   : s.flag_top;
  Eigen::VectorXd y;
  if (!spec.outcome.empty()) {
    y = t.outcome(spec.outcome);
    r.has_outcomes = true;
  }
  const double total = w.size() ? w.sum() : static_cast<double>(t.rows());
  r.flagged_share = (w.size() ? flag.dot(w) : flag.sum()) / total;
  auto add = [&](const std::string& name, const Eigen::VectorXd& codes, const std::vector<std::string>& levels) {
    try {
      r.groupings.push_back({name, model::audit_groups(codes, levels, s.probability, flag, y, w)});
    } catch (const std::invalid_argument& e) {
      throw InputError("audit of '" + name + "': " + e.what());
    }
  };
  for (const auto& g : spec.groups) {
    const int k = t.schema.find(g);
    if (k < 0) {
      if (!spec.groups_are_defaults) throw InputError("group variable '" + g + "' is not in the table");
      r.notes.push_back("default group variable '" + g + "' is not in the table: skipped");
      continue;
    }
    std::vector<std::string> levels;
    const Eigen::VectorXd codes = group_codes(t, t.schema.vars[static_cast<std::size_t>(k)], spec, levels);
    add(g, codes, levels);
  }
  if (spec.by_caf) {
    std::vector<std::int32_t> cafs(s.caf.begin(), s.caf.end());
    std::sort(cafs.begin(), cafs.end());
    cafs.erase(std::unique(cafs.begin(), cafs.end()), cafs.end());
    std::vector<std::string> levels;
    for (auto c : cafs) levels.push_back(fmt::format("{:03d}", c));
    Eigen::VectorXd codes(t.rows());
    for (Eigen::Index i = 0; i < t.rows(); ++i)
      codes[i] = static_cast<double>(std::lower_bound(cafs.begin(), cafs.end(), s.caf[static_cast<std::size_t>(i)]) -
                                     cafs.begin());
    add("caf", codes, levels);
  }
  std::vector<std::string> vars, themes;
  for (const auto& v : t.schema.vars) vars.push_back(v.name), themes.push_back(v.theme);
  r.sensitive_effects = model::sensitive_effects(effects, spec.sensitive, vars, themes);
  return r;
}

std::string audit_csv(const AuditResult& r) {
  std::string s =
      "variable,level,n,population_share,flagged,flag_rate,flagged_share,ratio,mean_score,observed_rate,"
      "calibration,tpr,fpr\n";
  for (const auto& g : r.groupings)
    for (const auto& a : g.rows)
      s += fmt::format("{},\"{}\",{},{},{},{},{},{},{},{},{},{},{}\n", g.variable, a.level, num(a.n, 4),
                       num(a.population_share, 6), num(a.flagged, 4), num(a.flag_rate, 6), num(a.flagged_share, 6),
                       num(a.ratio, 6), num(a.mean_score, 6), num(a.observed_rate, 6), num(a.calibration, 6),
                       num(a.tpr, 6), num(a.fpr, 6));
  return s;
}

std::string audit_json(const AuditResult& r) {
  nlohmann::json gs = nlohmann::json::array();
  for (const auto& g : r.groupings) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& a : g.rows)
      rows.push_back({{"level", a.level}, {"n", a.n}, {"population_share", js(a.population_share)},
                      {"flagged", a.flagged}, {"flag_rate", js(a.flag_rate)}, {"flagged_share", js(a.flagged_share)},
                      {"ratio", js(a.ratio)}, {"mean_score", js(a.mean_score)}, {"observed_rate", js(a.observed_rate)},
                      {"calibration", js(a.calibration)}, {"tpr", js(a.tpr)}, {"fpr", js(a.fpr)}});
    gs.push_back({{"variable", g.variable}, {"levels", rows}});
  }
  return nlohmann::json{{"flagged_share", r.flagged_share}, {"has_outcomes", r.has_outcomes}, {"groupings", gs},
                        {"sensitive_effects", r.sensitive_effects}, {"notes", r.notes}}
             .dump(2) + "\n";
}

std::string audit_text(const AuditResult& r) {
  std::string s = fmt::format("Fairness audit: {:.2f}% of dossiers flagged{}\n", 100 * r.flagged_share,
                              r.has_outcomes ? " (outcomes known: calibration, TPR, FPR shown)" : "");
  for (const auto& g : r.groupings) {
    s += fmt::format("\n{}\n{:<22}{:>8}{:>9}{:>9}{:>7}{:>10}", g.variable, "level", "% pop", "% flagd", "flag %",
                     "ratio", "mean p");
    if (r.has_outcomes) s += fmt::format("{:>9}{:>8}{:>8}{:>8}", "obs %", "calib", "TPR %", "FPR %");
    s += "\n";
    for (const auto& a : g.rows) {
      s += fmt::format("{:<22}{:>8}{:>9}{:>9}{:>7}{:>10}", a.level.substr(0, 21), pct(a.population_share),
                       pct(a.flagged_share), pct(a.flag_rate), num(a.ratio, 2), num(a.mean_score, 4));
      if (r.has_outcomes)
        s += fmt::format("{:>9}{:>8}{:>8}{:>8}", pct(a.observed_rate), num(a.calibration, 2), pct(a.tpr), pct(a.fpr));
      s += "\n";
    }
  }
  s += "\nratio: share of the flagged over share of the population (1 = proportional; weighted).\n";
  s += "\nModel effects involving sensitive themes:\n";
  if (r.sensitive_effects.empty()) s += "  (none found, or no model given)\n";
  for (const auto& e : r.sensitive_effects) s += "  " + e + "\n";
  for (const auto& n : r.notes) s += "note: " + n + "\n";
  return s;
}

}  // namespace dmde::worker
