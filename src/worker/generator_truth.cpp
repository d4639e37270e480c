// The hidden true model and the control outcomes drawn from it. The effects follow the
// directions of domain.md; a common scale and the intercept are solved on a calibration draw so
// that the target (cible 4) rate is 10.9% and the true linear predictor reaches ROC AUC 0.80.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "worker/generator.hpp"
#include "worker/generator_internal.hpp"

namespace dmde::worker {

using namespace detail;

namespace {

constexpr double kTargetRate = 0.109;
constexpr double kTargetAuc = 0.80;
constexpr std::int64_t kCalibrationRows = 60000;

// Every effect is sized so that its variable keeps a detectable marginal link with the target on
// the 14,087-row learning table (guardianship is rare, age, spouse activity, e-mails and the last
// control are partly masked by correlated effects of opposite sign), as the note's variables are.
std::vector<Effect> base_effects() {
  auto E = [](std::string label, std::string var, std::string t, double c, double coef) {
    Effect e;
    e.label = std::move(label);
    e.var = std::move(var);
    e.transform = std::move(t);
    e.c = c;
    e.coef = coef;
    return e;
  };
  auto I = [&](std::string label, std::string v1, std::string t1, double c1, std::string v2, std::string t2, double c2,
               double coef) {
    Effect e = E(std::move(label), std::move(v1), std::move(t1), c1, coef);
    e.var2 = std::move(v2);
    e.transform2 = std::move(t2);
    e.c2 = c2;
    return e;
  };
  return {
      E("single parent", "isole_parent", "gt", 0.5, 0.35),
      E("recent separation", "sep_recente_18m", "gt", 0.5, 0.5),
      E("child aged 19+", "nb_enf_19plus", "gt", 0.5, 0.8),
      E("child student", "act_enf", "eq", 2, -0.3),
      E("child apprentice", "act_enf", "eq", 3, 0.35),
      E("guardianship", "tutelle", "gt", 0.5, 1.2),
      E("income below half the minimum wage", "rev_rapport_smic", "lt", 0.5, 0.3),
      E("income / minimum wage (capped at 3)", "rev_rapport_smic", "min", 3, -0.25),
      E("income instability (capped at 2)", "instab_rev_12m", "min", 2, 0.6),
      E("rent share of income (capped at 1)", "taux_effort_loyer", "min", 1, 0.8),
      E("receives alimony", "mt_pension_alim", "gt", 0, 0.25),
      E("income-rule flags 24m (capped at 5)", "nb_flag_regle_rev_24m", "min", 5, 0.12),
      E("holder unemployed", "chomeur_resp", "gt", 0.5, 0.35),
      E("disability benefit while working", "aah_et_activite", "gt", 0.5, 0.8),
      E("log RSA 12m mean", "mt_rsa_moy12m", "log1p", 0, 0.07),
      E("log prime d'activite 12m mean", "mt_ppa_moy12m", "log1p", 0, 0.06),
      E("log total benefits 12m mean", "mt_prest_tot_moy12m", "log1p", 0, 0.08),
      E("complement familial", "mt_cf_moy12m", "gt", 0, 0.15),
      E("quarterly declaration regime", "regime_trim", "gt", 0.5, 0.3),
      E("rent changes 18m (capped at 4)", "nb_chg_loyer_18m", "min", 4, 0.25),
      E("housed by a third party", "statut_occ", "eq", 3, 0.3),
      E("owner", "statut_occ", "eq", 2, -0.4),
      E("social housing tenant", "statut_occ", "eq", 1, -0.1),
      E("log web logins 12m", "nb_connex_web_12m", "log1p", 0, -0.1),
      E("office visits 12m (capped at 10)", "nb_visite_accueil_12m", "min", 10, 0.06),
      E("last control over 36 months ago", "anc_dern_controle", "gt", 36, 0.8),
      E("situation changes 18m (capped at 6)", "nb_chg_sit_18m", "min", 6, 0.12),
      E("previous overpayments 18m (capped at 4)", "nb_indus_ant_18m", "min", 4, 0.3),
      E("spouse unemployed", "act_conj", "eq", 1, 1.0),
      E("holder self-employed", "act_resp", "eq", 3, 0.25),
      E("holder under 30", "age_resp", "lt", 30, 0.8),
      E("commune unemployment rate", "tx_chomage_com", "linear", 0, 0.03),
      E("moves 18m (capped at 3)", "nb_demenag_18m", "min", 3, 0.15),
      E("e-mails 12m (capped at 20)", "nb_mail_12m", "min", 20, 0.12),
      I("single parent x recent separation", "isole_parent", "gt", 0.5, "sep_recente_18m", "gt", 0.5, 0.3),
      I("unemployed x log RSA", "chomeur_resp", "gt", 0.5, "mt_rsa_moy12m", "log1p", 0, 0.04),
      I("child 19+ x family allowances", "nb_enf_19plus", "gt", 0.5, "mt_af_moy12m", "gt", 0, 0.3),
      I("instability x quarterly regime", "instab_rev_12m", "min", 2, "regime_trim", "gt", 0.5, 0.3),
  };
}

// Missing values contribute nothing (the truth reads observed values, as a model would).
double apply(const std::string& t, double c, double x) {
  if (std::isnan(x)) return 0.0;
  if (t == "linear") return x;
  if (t == "log1p") return std::log1p(std::max(x, 0.0));
  if (t == "gt") return x > c ? 1.0 : 0.0;
  if (t == "lt") return x < c ? 1.0 : 0.0;
  if (t == "eq") return x == c ? 1.0 : 0.0;
  if (t == "min") return std::min(x, c);
  throw std::logic_error("truth: unknown transform " + t);
}

double mean_p(const Eigen::VectorXd& eta, double b0) {
  double s = 0;
  for (Eigen::Index i = 0; i < eta.size(); ++i) s += 1.0 / (1.0 + std::exp(-(b0 + eta[i])));
  return s / static_cast<double>(eta.size());
}

double solve_intercept(const Eigen::VectorXd& eta, double rate) {
  double lo = -30, hi = 30;
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    (mean_p(eta, mid) < rate ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Eigen::VectorXd probs(const Eigen::VectorXd& eta, double b0) {
  return (1.0 + (-(eta.array() + b0)).exp()).inverse().matrix();
}

}  // namespace

std::vector<std::string> Truth::variables() const {
  std::vector<std::string> out;
  auto add = [&](const std::string& v) {
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  };
  for (const auto& e : effects) {
    add(e.var);
    add(e.var2);
  }
  return out;
}

Eigen::VectorXd Truth::eta(const Eigen::MatrixXf& X, const std::vector<std::string>& columns) const {
  auto col = [&](const std::string& v) {
    const auto it = std::find(columns.begin(), columns.end(), v);
    if (it == columns.end()) throw std::invalid_argument("Truth::eta: missing column " + v);
    return static_cast<Eigen::Index>(it - columns.begin());
  };
  Eigen::VectorXd out = Eigen::VectorXd::Zero(X.rows());
  for (const auto& e : effects) {
    const auto j = col(e.var);
    const auto j2 = e.var2.empty() ? Eigen::Index{-1} : col(e.var2);
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      double t = apply(e.transform, e.c, X(i, j));
      if (j2 >= 0) t *= apply(e.transform2, e.c2, X(i, j2));
      out[i] += e.coef * t;
    }
  }
  return out;
}

std::string Truth::to_json(const std::string& extra_json) const {
  nlohmann::json j = nlohmann::json::parse(extra_json);
  j["model"] = "logit P(target_c4 = 1) = intercept + sum coef * transform(var) [* transform2(var2)]";
  j["transforms"] = {{"linear", "x"}, {"log1p", "log(1 + max(x, 0))"}, {"gt", "x > c"}, {"lt", "x < c"},
                     {"eq", "x == c (class level code)"}, {"min", "min(x, c)"}, {"missing", "contributes 0"}};
  j["intercept"] = intercept;
  j["calibration_target_rate"] = target_rate;
  j["calibration_expected_auc"] = expected_auc;
  j["variables"] = variables();
  auto& arr = j["effects"] = nlohmann::json::array();
  for (const auto& e : effects) {
    nlohmann::json x = {{"label", e.label}, {"var", e.var}, {"transform", e.transform}, {"c", e.c}, {"coef", e.coef}};
    if (!e.var2.empty()) {
      x["var2"] = e.var2;
      x["transform2"] = e.transform2;
      x["c2"] = e.c2;
    }
    arr.push_back(x);
  }
  return j.dump(2);
}

double expected_auc(const Eigen::VectorXd& eta, const Eigen::VectorXd& p) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(eta.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return eta[a] < eta[b]; });
  // Pairs (i event, j non-event), i != j: weight p_i (1 - p_j); ties count one half.
  double below_q = 0, num = 0, P = 0, Q = 0, self = 0;
  for (std::size_t k = 0; k < order.size();) {
    std::size_t e = k;
    double gp = 0, gq = 0, gs = 0;
    while (e < order.size() && eta[order[e]] == eta[order[k]]) {
      const double pi = p[order[e]];
      gp += pi;
      gq += 1 - pi;
      gs += pi * (1 - pi);
      ++e;
    }
    num += gp * below_q + 0.5 * (gp * gq - gs);
    below_q += gq;
    P += gp;
    Q += gq;
    self += gs;
    k = e;
  }
  return num / (P * Q - self);
}

double rank_auc(const Eigen::VectorXd& score, const Eigen::VectorXd& y) {
  return expected_auc(score, y);  // with p in {0, 1} the expectation is the empirical AUC
}

const Truth& Generator::truth() const {
  if (!truth_.empty()) return truth_.front();
  if (static_cast<int>(cat_.size()) < core_var_count())
    throw std::invalid_argument("Generator::truth: the catalogue lacks the core variables");
  Truth t;
  t.effects = base_effects();
  const Generator cal(seed_, Domain::Calibration, kCalibrationRows, core_var_count());
  const auto vars = t.variables();
  std::vector<int> cols;
  for (const auto& v : vars) {
    const auto it = std::find_if(cat_.begin(), cat_.end(), [&](const GenVar& g) { return g.info.name == v; });
    cols.push_back(static_cast<int>(it - cat_.begin()));
  }
  Eigen::MatrixXf X;
  cal.fill(0, kCalibrationRows, cols, X);
  const Eigen::VectorXd base = t.eta(X, vars);
  // The AUC grows with the common scale: bisect it, re-solving the intercept each time.
  double lo = 0.05, hi = 8, b0 = 0;
  for (int it = 0; it < 40; ++it) {
    const double s = 0.5 * (lo + hi);
    const Eigen::VectorXd eta = s * base;
    b0 = solve_intercept(eta, kTargetRate);
    (expected_auc(eta, probs(eta, b0)) < kTargetAuc ? lo : hi) = s;
  }
  const double s = 0.5 * (lo + hi);
  for (auto& e : t.effects) e.coef *= s;
  const Eigen::VectorXd eta = t.eta(X, vars);
  t.intercept = solve_intercept(eta, kTargetRate);
  const Eigen::VectorXd p = probs(eta, t.intercept);
  t.target_rate = p.mean();
  t.expected_auc = expected_auc(eta, p);
  truth_.push_back(std::move(t));
  return truth_.front();
}

std::vector<std::string> Generator::outcome_names() {
  auto v = standard_outcomes();
  v.push_back("target_c4");
  return v;
}

void Generator::fill_outcomes(std::int64_t begin, std::int64_t end, Eigen::MatrixXd& outcomes) const {
  const Truth& t = truth();
  const auto vars = t.variables();
  std::vector<int> cols;
  for (const auto& v : vars) {
    for (int j = 0; j < core_var_count(); ++j)
      if (cat_[static_cast<std::size_t>(j)].info.name == v) cols.push_back(j);
  }
  Eigen::MatrixXf X;
  fill(begin, end, cols, X);
  const Eigen::VectorXd p = probs(t.eta(X, vars), t.intercept);
  const Draw d(seed_, static_cast<std::uint32_t>(domain_));
  const auto n = end - begin;
  outcomes.resize(n, 6);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto row = static_cast<std::uint64_t>(begin + i);
    const auto r0 = d(row, kStreamOutcome), r1 = d(row, kStreamOutcome + 1);
    double z0, z1;
    normals(r1[0], r1[1], z0, z1);
    double amount = 0, months = 0, fraud = 0;
    if (u01(r0[0]) < p[i]) {
      // Target: > 600 EUR over > 6 months; larger overpayments are more often fraudulent.
      months = 7 + std::floor(18 * u01(r0[1]));
      const double extra = std::min(60000.0, std::exp(7.585 + 1.415 * z0));
      amount = std::round(600.0 + extra);
      fraud = u01(r0[2]) < (extra > 1970 ? 0.55 : 0.35);
    } else if (u01(r0[1]) < 0.16) {
      // Other overpayments: at most 6 months, so never in cible 4.
      const double u = u01(r0[2]);
      months = u < 0.2 ? 1 : u < 0.35 ? 2 : u < 0.5 ? 3 : u < 0.65 ? 4 : u < 0.8 ? 5 : 6;
      amount = std::round(months * std::min(5000.0, std::exp(std::log(50.0) + 1.7 * z0)));
      fraud = u01(r0[3]) < 0.007;
    }
    const double under = u01(r1[2]) < 0.2 ? std::round(std::exp(std::log(400.0) + 1.0 * z1)) : 0.0;
    outcomes(i, 0) = amount;
    outcomes(i, 1) = months;
    outcomes(i, 2) = fraud;
    outcomes(i, 3) = under;
    outcomes(i, 4) = amount + under;
    outcomes(i, 5) = amount > 600 && months > 6 ? 1.0 : 0.0;
  }
}

}  // namespace dmde::worker
