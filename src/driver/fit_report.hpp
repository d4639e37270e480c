#pragma once
// The report of `dmde fit`: SAS PROC LOGISTIC-style tables built once as JSON (stable keys) and
// printed from that JSON, so the text and the file always agree.
//
// JSON keys: model{table,response,weights,n_read,n_used,n_missing,events,selection},
// convergence{status,message,iterations,aliased[]}, fit{neg2loglik,aic,sc,intercept_only{...}},
// global_tests{likelihood_ratio,score,wald}{chisq,df,p_value}, type3[]{effect,df,wald_chisq,p_value},
// parameters[]{effect,level,df,estimate,std_error,wald_chisq,p_value,odds_ratio},
// odds_ratios[]{effect,comparison,estimate,lower_95,upper_95},
// association{percent_concordant,percent_discordant,percent_tied,pairs,somers_d,gamma,tau_a,c} (when available),
// selection{method,slentry,slstay,stop_reason,cycle,steps[]{step,effect,action,df,chisq,p_value,n_in}}.
// Non-finite numbers are written as null.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "model/design.hpp"
#include "model/logistic.hpp"
#include "model/stepwise.hpp"
#include "model/weights.hpp"

namespace dmde::driver {

/// Everything the report needs about one fit.
struct FitReportInput {
  std::string table;     ///< input file name
  std::string response;  ///< response column
  model::WeightMode weights = model::WeightMode::Normalized;
  long long n_read = 0;                   ///< rows in the table
  const model::Design* design = nullptr;  ///< design of the reported (final) model
  const Eigen::VectorXd* y = nullptr;     ///< response of design rows
  const Eigen::VectorXd* w = nullptr;     ///< effective weights of design rows
  const model::LogisticFit* fit = nullptr;
  const model::SelectionResult* selection = nullptr;  ///< null: no selection
  model::SelectionOptions selection_options;
};

/// Builds the report (all tables) as JSON.
nlohmann::json fit_report(const FitReportInput& in);
/// Formats the report as SAS-like text tables.
std::string format_fit_report(const nlohmann::json& report);

}  // namespace dmde::driver
