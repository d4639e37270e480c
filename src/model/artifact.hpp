#pragma once
// The model artifact: everything nightly scoring and audits need from a retrain, in one versioned
// object — the preprocessing spec of the model inputs, the additive scorecard, the target, the
// SAS-style fit summary, and the training metadata (data fingerprint, seed, parameters, software
// version, date). Pure data; saved/loaded/exported by worker/artifact_io.hpp.
//
// Serialization: Boost.Serialization (class version below). Scorecard holds Eigen vectors, so
// the archive is instantiated only where core/serialize.hpp is included (worker/artifact_io.cpp).
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>
#include <map>
#include <string>
#include <vector>

#include "model/scorecard.hpp"

namespace dmde::model {

/// One row of the "Analysis of Maximum Likelihood Estimates" table (reference coding).
struct ParameterRow {
  std::string effect;  ///< "Intercept", "a" or "a*b"
  std::string level;   ///< class level(s) of the parameter ("" for the intercept)
  int df = 1;          ///< 0 when aliased (fixed at 0, like SAS)
  double estimate = 0, std_error = 0, wald_chisq = 0, p_value = 1;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & effect & level & df & estimate & std_error & wald_chisq & p_value;
  }
};

/// One row of the "Type 3 Analysis of Effects" table.
struct EffectRow {
  std::string effect;
  int df = 0;
  double wald_chisq = 0, p_value = 1;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & effect & df & wald_chisq & p_value;
  }
};

/// The fit of the final model on the whole learning table, as `dmde fit` prints it.
struct FitSummary {
  std::vector<ParameterRow> parameters;
  std::vector<EffectRow> effects;
  std::string status;            ///< convergence status in SAS wording
  std::string weighting;         ///< e.g. "survey weights normalized to sum to n"
  double n_obs = 0;              ///< rows used
  double sum_weights = 0;        ///< sum of the effective weights
  double neg2ll = 0, neg2ll_null = 0, aic = 0, sc = 0;
  double auc = 0;                ///< apparent (resubstitution) ROC AUC; validated figures live in `stats`
  int iterations = 0;
  std::map<std::string, double> stats;  ///< further figures: cv_auc, optimism, area_under_lift, ...

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & parameters & effects & status & weighting & n_obs & sum_weights & neg2ll & neg2ll_null & aic & sc & auc &
        iterations & stats;
  }
};

/// A retrained model, ready for scoring. `card.inputs` are prepared variable names; `prep_spec`
/// maps raw variables to their class codes.
struct ModelArtifact {
  /// Serialized model::PrepSpec (core/serialize.hpp `to_bytes` of the spec restricted to the model
  /// inputs, or the whole spec). Kept as bytes so that the artifact format does not change when
  /// the spec type gains fields (PrepSpec has its own class version inside these bytes); read it
  /// with `from_bytes(a.prep_spec, spec)`. Empty when the table was not made by `dmde prepare`.
  std::string prep_spec;
  Scorecard card;        ///< intercept + per-effect class contributions (reference class = 0)
  std::string target;    ///< outcome column modelled (e.g. "target4")
  FitSummary fit;        ///< the final fit
  /// Training metadata: "data_fingerprint", "seed", "parameters" (JSON), "software_version",
  /// "created_utc", "table", "n_replicates", ...
  std::map<std::string, std::string> meta;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & prep_spec & card & target & fit & meta;
  }
};

}  // namespace dmde::model

// Bump when a field is added; serialize() then branches on `version` to keep reading old files.
BOOST_CLASS_VERSION(dmde::model::ModelArtifact, 1)
