#include "core/serialize.hpp"  // first: Eigen members of the scorecard
#include "worker/final_model.hpp"
#include "worker/score_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dmde::worker {

model::ModelArtifact build_final_model(const ClassData& d, const std::vector<int>& effects, const std::string& target,
                                       const StepwiseOptions& opt) {
  const ClassFit fit = fit_effects(d, effects, d.w, opt);
  const ClassFit null_fit = fit_effects(d, {}, d.w, opt);
  model::ModelArtifact a;
  a.target = target;
  auto& card = a.card;
  card.intercept = fit.beta[0];
  std::vector<int> input_of(static_cast<std::size_t>(d.vars()), -1);  // ClassData var -> card input
  auto input = [&](int v) {
    if (input_of[static_cast<std::size_t>(v)] < 0) {
      input_of[static_cast<std::size_t>(v)] = static_cast<int>(card.inputs.size());
      card.inputs.push_back(d.names[static_cast<std::size_t>(v)]);
    }
    return input_of[static_cast<std::size_t>(v)];
  };
  a.fit.parameters.push_back({"Intercept", "", 1, fit.beta[0], std::sqrt(fit.cov(0, 0)),
                              fit.beta[0] * fit.beta[0] / fit.cov(0, 0), chisq_p(fit.beta[0] * fit.beta[0] / fit.cov(0, 0), 1)});
  Eigen::Index c = 1;
  int k_est = fit.cov(0, 0) > 0;
  for (int e : fit.effects) {
    const auto E = static_cast<std::size_t>(e);
    model::ScoreTerm t;
    t.effect = d.names[E];
    for (int par : d.parents[E]) {
      t.inputs.push_back(input(par));
      t.n_levels.push_back(d.n_levels[static_cast<std::size_t>(par)]);
    }
    const Eigen::Index cells = d.n_levels[E], k = d.block[E + 1] - d.block[E];
    t.beta = Eigen::VectorXd::Zero(cells);  // the last cell is the reference (0)
    for (Eigen::Index l = 0; l < k; ++l, ++c) {
      const double var = fit.cov(c, c);
      t.beta[l] = fit.beta[c];
      const bool est = var > 0;
      k_est += est;
      const double wald = est ? fit.beta[c] * fit.beta[c] / var : 0;
      a.fit.parameters.push_back({t.effect, d.levels[E][static_cast<std::size_t>(l)], est ? 1 : 0, fit.beta[c],
                                  est ? std::sqrt(var) : 0.0, wald, est ? chisq_p(wald, 1) : 1.0});
    }
    card.terms.push_back(std::move(t));
  }
  const auto wald = wald_effects(d, fit);
  for (std::size_t k = 0; k < fit.effects.size(); ++k)
    a.fit.effects.push_back({d.names[static_cast<std::size_t>(fit.effects[k])], wald[k].second, wald[k].first,
                             chisq_p(wald[k].first, wald[k].second)});
  // Reference profile: weighted mean contribution over the training rows.
  Eigen::MatrixXi codes(d.rows(), static_cast<Eigen::Index>(card.inputs.size()));
  for (int v = 0; v < d.vars(); ++v)
    if (input_of[static_cast<std::size_t>(v)] >= 0) codes.col(input_of[static_cast<std::size_t>(v)]) = d.codes.col(v);
  card.validate();
  card.set_reference(codes, d.w);
  auto& s = a.fit;
  s.status = fit.converged ? "Convergence criterion (GCONV=1E-8) satisfied." : "Iteration limit reached without convergence.";
  s.weighting = "survey weights normalized to sum to n (SAS WEIGHT / NORMALIZE)";
  s.n_obs = static_cast<double>(d.rows());
  s.sum_weights = d.w.sum();
  s.neg2ll = fit.neg2ll;
  s.neg2ll_null = null_fit.neg2ll;
  s.aic = fit.neg2ll + 2 * k_est;
  s.sc = fit.neg2ll + k_est * std::log(s.sum_weights);
  s.auc = weighted_auc(card.linear_predictor(codes), d.y, d.w);
  s.iterations = fit.iterations;
  s.stats["aic_intercept_only"] = null_fit.neg2ll + 2;
  s.stats["sc_intercept_only"] = null_fit.neg2ll + std::log(s.sum_weights);
  // The learning side of drift (class shares, score deciles) travels with the model.
  ScoreModel sm = score_model_from(a, "final model");
  set_learning_distribution(sm, codes, d.w);
  a.meta["learning_distribution"] = learning_distribution_json(sm);
  return a;
}

std::string format_fit_summary(const model::ModelArtifact& a) {
  const auto& s = a.fit;
  std::string o = fmt::format("Model: P({} = 1), {} observations, {}\n{}\n\n", a.target, s.n_obs, s.weighting, s.status);
  o += fmt::format("Model Fit Statistics\n{:<10}{:>18}{:>18}\n", "Criterion", "Intercept Only", "With Covariates");
  o += fmt::format("{:<10}{:>18.3f}{:>18.3f}\n", "AIC", s.stats.count("aic_intercept_only") ? s.stats.at("aic_intercept_only") : 0.0, s.aic);
  o += fmt::format("{:<10}{:>18.3f}{:>18.3f}\n", "SC", s.stats.count("sc_intercept_only") ? s.stats.at("sc_intercept_only") : 0.0, s.sc);
  o += fmt::format("{:<10}{:>18.3f}{:>18.3f}\n\n", "-2 Log L", s.neg2ll_null, s.neg2ll);
  o += fmt::format("Type 3 Analysis of Effects\n{:<32}{:>4}{:>14}{:>12}\n", "Effect", "DF", "Wald Chi-Sq", "Pr > ChiSq");
  for (const auto& e : s.effects) o += fmt::format("{:<32}{:>4}{:>14.4f}{:>12.4g}\n", e.effect, e.df, e.wald_chisq, e.p_value);
  o += fmt::format("\nAnalysis of Maximum Likelihood Estimates\n{:<32}{:<12}{:>4}{:>12}{:>12}{:>14}{:>12}\n", "Parameter", "",
                   "DF", "Estimate", "Std Error", "Wald Chi-Sq", "Pr > ChiSq");
  for (const auto& p : s.parameters)
    o += fmt::format("{:<32}{:<12}{:>4}{:>12.5f}{:>12.5f}{:>14.4f}{:>12.4g}\n", p.effect, p.level, p.df, p.estimate,
                     p.std_error, p.wald_chisq, p.p_value);
  o += fmt::format("\nc (ROC AUC, apparent) = {:.4f}\n", s.auc);
  for (const auto& [k, v] : s.stats) o += fmt::format("{} = {:.4f}\n", k, v);
  return o;
}

}  // namespace dmde::worker
